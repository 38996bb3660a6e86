#!/usr/bin/env python3
"""Scriptable HTTP/1.1 test server for stopplan's integration tests.

Usage:
  server.py --routes ROUTES.json --record REQS.jsonl --port-file PORTFILE
            [--port N] [--bind ADDR] [--tls-cert CERT --tls-key KEY]

The server binds ADDR (default 127.0.0.1; an address containing ':' is
IPv6) on port N (default 0 = ephemeral) and, once it listens, writes the
actual port number to PORTFILE atomically (PORTFILE.tmp + rename).

ROUTES.json holds a JSON list of route objects, re-read on every request
and matched in order (first match wins):

  method   "PUT" or ["GET", "HEAD"]; any method if absent
  path     exact path (query excluded), or
  prefix   path prefix; neither given = match every path
  times    the route matches only its first N hits, later ones fall through
           (hit counters restart whenever the routes file is rewritten)
  status   response status (default 200)
  reason   response reason phrase (default: the standard one)
  body     response body: a string, or any other JSON value (sent as JSON)
  headers  {"Name": "value"} extra response headers
  delay    seconds to wait before answering (default 0)
  hang     read the request, then never answer: wait until the client
           disconnects (or 600 s) and close
  drop     read the request, then close the connection without answering
  drip     send the headers (with Content-Length), then the body one byte
           per drip_interval seconds (default 1.0)
  chunked  send the body with Transfer-Encoding: chunked, in chunks of
           chunk_size bytes (default 8)
  close    answer with Connection: close and close the connection
  echo     answer with a text body reflecting the request as received: the
           request line, the headers and the body (replaces "body"), and a
           header X-Echo-Target with the raw request target

Misbehaviours (for the hostile-server tests; each reads the request first):
  garbage          send these bytes (a string; default: binary junk that is
                   not HTTP) instead of a response, then close
  reset_mid_body   send the headers with Content-Length of the whole body
                   (body, default 1000 'x'), then reset_after bytes of it
                   (default half), then reset the connection (RST, via
                   SO_LINGER 0) instead of closing it
  chunked_forever  send chunked headers, then a chunk of chunk_size bytes
                   (default 8) every chunk_interval seconds (default 0.1),
                   never the last chunk, until the client goes away
  big_body         send N bytes of 'x' with Content-Length N, generated
                   64 KiB at a time (never held in memory); logs how many
                   bytes went out before the client went away
  headers_forever  send a status line, then header lines without end (64
                   KiB a batch, every header_interval seconds, default 0.01)

Unmatched requests get 404 "no route".  Every request is appended, before
any delay, to REQS.jsonl as one JSON object per line:
  {"method", "path", "query", "args", "headers", "body", "version", "time"}
Exits with status 0 on SIGTERM or SIGINT.
"""

import argparse
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HANG_MAX_SECONDS = 600
MISBEHAVIOURS = ("garbage", "reset_mid_body", "chunked_forever", "big_body", "headers_forever")


class Routes:
    """Loads the route list and keeps the per-route hit counters."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.generation = None
        self.hits = {}

    def _load(self):
        """Read the routes file; reset hit counters if it was rewritten."""
        with open(self.path, "rb") as f:
            st = os.fstat(f.fileno())
            raw = f.read()
        generation = (st.st_ino, st.st_mtime_ns, raw)
        if generation != self.generation:
            self.generation = generation
            self.hits = {}
        routes = json.loads(raw.decode("utf-8"))
        if not isinstance(routes, list):
            raise ValueError("routes file must hold a JSON list")
        return routes

    def find(self, method, path):
        """Return the first route matching METHOD and PATH, or None."""
        with self.lock:
            for index, route in enumerate(self._load()):
                if not route_matches(route, method, path):
                    continue
                times = route.get("times")
                if times is not None:
                    if self.hits.get(index, 0) >= times:
                        continue
                    self.hits[index] = self.hits.get(index, 0) + 1
                return route
        return None


def route_matches(route, method, path):
    """True if ROUTE's method and path/prefix constraints accept the request."""
    want = route.get("method")
    if want is not None:
        wanted = [want] if isinstance(want, str) else want
        if method.upper() not in [m.upper() for m in wanted]:
            return False
    if "path" in route and path != route["path"]:
        return False
    if "prefix" in route and not path.startswith(route["prefix"]):
        return False
    return True


class Recorder:
    """Appends one JSON line per request to the record file."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


def split_target(target):
    """Split a request target into (path, raw query)."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    path = path.partition("#")[0]
    return path, query


def encode_body(route):
    """Return (bytes, default content type) for a route's body."""
    body = route.get("body", "")
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(body).encode("utf-8"), "application/json"


class Handler(BaseHTTPRequestHandler):
    """Handles every method through handle_any()."""

    protocol_version = "HTTP/1.1"
    server_version = "stopplan-test-server/1"

    def __getattr__(self, name):
        # BaseHTTPRequestHandler dispatches to do_<METHOD>; accept them all.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s [%s] %s\n" % (
            self.address_string(), self.log_date_time_string(), fmt % args))
        sys.stderr.flush()

    # -- request side -----------------------------------------------------

    def read_body(self):
        """Read the request body (Content-Length or chunked)."""
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        return b""

    def read_chunked(self):
        data = bytearray()
        while True:
            line = self.rfile.readline(65537)
            if not line:
                break
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.skip_trailers()
                break
            data += self.rfile.read(size)
            self.rfile.readline(65537)  # CRLF after the chunk data
        return bytes(data)

    def skip_trailers(self):
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                return

    def record(self, path, query, body):
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        self.server.recorder.write({
            "method": self.command,
            "path": path,
            "query": query,
            "args": parse_qs(query, keep_blank_values=True),
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "version": self.request_version,
            "time": time.time(),
        })

    # -- response side ----------------------------------------------------

    def handle_any(self):
        path, query = split_target(self.path)
        body = self.read_body()
        self.record(path, query, body)
        try:
            route = self.server.routes.find(self.command, path)
        except (OSError, ValueError) as e:
            route = {"status": 500, "body": "bad routes file: %s\n" % e}
        if route is None:
            route = {"status": 404, "body": "no route"}
        if route.get("echo"):
            route = dict(route)
            route["body"] = "%s\n%s\n%s" % (
                self.requestline, str(self.headers).rstrip("\n"), body.decode("utf-8", "replace"))
            route["headers"] = dict(route.get("headers") or {}, **{"X-Echo-Target": self.path})
        delay = float(route.get("delay", 0) or 0)
        if delay > 0:
            time.sleep(delay)
        if route.get("hang"):
            self.log_message('"%s" hanging', self.requestline)
            self.hang()
        elif any(route.get(k) for k in MISBEHAVIOURS):
            self.close_connection = True
            try:
                self.misbehave(route)
            except OSError:  # the client went away: that is the point
                pass
        elif route.get("drop"):
            self.log_message('"%s" dropped', self.requestline)
            self.close_connection = True
        else:
            self.respond(route)

    def hang(self):
        """Never answer: wait for the client to go away, then close."""
        self.close_connection = True
        sock = self.connection
        deadline = time.monotonic() + HANG_MAX_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            if getattr(sock, "pending", lambda: 0)():
                sock.recv(65536)  # buffered TLS data; discard
                continue
            readable, _, _ = select.select([sock], [], [], min(left, 1.0))
            if not readable:
                continue
            try:
                if not sock.recv(65536):
                    return  # client closed
            except (OSError, ssl.SSLError):
                return

    # -- misbehaviours ------------------------------------------------------

    def misbehave(self, route):
        """Run the first misbehaviour key ROUTE sets."""
        for key in MISBEHAVIOURS:
            if route.get(key):
                self.log_message('"%s" %s', self.requestline, key)
                getattr(self, "send_" + key)(route)
                return

    def send_garbage(self, route):
        junk = route["garbage"]
        if not isinstance(junk, str):
            junk = "\x00\xff\xfe\x16\x03\x01 SSH-2.0-not-http \x7f\x1b[2J\r\n\r\n"
        self.wfile.write(junk.encode("latin-1", errors="replace"))
        self.wfile.flush()

    def send_reset_mid_body(self, route):
        data, ctype = encode_body(route) if "body" in route else (b"x" * 1000, "text/plain")
        part = int(route.get("reset_after", len(data) // 2))
        self.send_response(int(route.get("status", 200)))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:part])
        self.wfile.flush()
        time.sleep(0.2)  # let the client read the part it got
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST, not FIN
        self.log_message("reset the connection after %d of %d body bytes", part, len(data))

    def send_chunked_forever(self, route):
        size = max(int(route.get("chunk_size", 8)), 1)
        interval = float(route.get("chunk_interval", 0.1))
        self.send_response(int(route.get("status", 200)))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"%x\r\n%s\r\n" % (size, b"c" * size)
        deadline = time.monotonic() + HANG_MAX_SECONDS
        while time.monotonic() < deadline:
            self.wfile.write(chunk)
            self.wfile.flush()
            time.sleep(interval)

    def send_big_body(self, route):
        total = int(route["big_body"])
        block = b"x" * 65536
        sent = 0
        self.send_response(int(route.get("status", 200)))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        try:
            while sent < total:
                n = min(len(block), total - sent)
                self.wfile.write(block[:n])
                sent += n
        finally:
            self.log_message("big_body: sent %d of %d bytes", sent, total)

    def send_headers_forever(self, route):
        interval = float(route.get("header_interval", 0.01))
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        batch = b"".join(b"X-Junk-%04d: %s\r\n" % (i, b"j" * 48) for i in range(1024))
        deadline = time.monotonic() + HANG_MAX_SECONDS
        while time.monotonic() < deadline:
            self.wfile.write(batch)
            self.wfile.flush()
            time.sleep(interval)

    def respond(self, route):
        status = int(route.get("status", 200))
        data, ctype = encode_body(route)
        headers = {"Content-Type": ctype}
        headers.update(route.get("headers") or {})
        lower = {k.lower() for k in headers}
        no_body = self.command == "HEAD" or status in (204, 304) or status < 200
        chunked = bool(route.get("chunked")) and not no_body
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        elif "content-length" not in lower and status not in (204, 304) and status >= 200:
            headers["Content-Length"] = str(len(data))
        if route.get("close"):
            headers["Connection"] = "close"

        self.send_response(status, route.get("reason"))
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()
        if no_body:
            return
        interval = float(route.get("drip_interval", 1.0)) if route.get("drip") else 0
        try:
            if chunked:
                self.send_chunked(data, int(route.get("chunk_size", 8)), interval)
            elif interval:
                self.send_dripped(data, interval)
            else:
                self.wfile.write(data)
        except OSError:  # client went away mid-body
            self.close_connection = True

    def send_dripped(self, data, interval):
        for i in range(len(data)):
            if i:
                time.sleep(interval)
            self.wfile.write(data[i:i + 1])

    def send_chunked(self, data, size, interval):
        size = max(size, 1)
        for i in range(0, len(data), size):
            if i and interval:
                time.sleep(interval)
            chunk = data[i:i + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


class Server(ThreadingHTTPServer):
    """Threaded HTTP server with optional TLS (handshake in the worker)."""

    daemon_threads = True
    tls_context = None

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError) as e:
                sys.stderr.write("TLS handshake with %s failed: %s\n" % (client_address[0], e))
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # A client going away mid-request is routine in these tests.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(args):
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    server_class = type("BoundServer", (Server,), {"address_family": family})
    server = server_class((args.bind, args.port), Handler)
    server.routes = Routes(args.routes)
    server.recorder = Recorder(args.record)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key or None)
        server.tls_context = ctx
    return server


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def exit_on_signal(signum, frame):
    sys.exit(0)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Scriptable HTTP test server.")
    p.add_argument("--routes", required=True, help="JSON list of routes")
    p.add_argument("--record", required=True, help="JSON-lines request log")
    p.add_argument("--port-file", required=True, help="written once listening")
    p.add_argument("--port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGINT, exit_on_signal)
    server = make_server(args)
    write_atomically(args.port_file, "%d\n" % server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
