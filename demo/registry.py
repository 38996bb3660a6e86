#!/usr/bin/env python3
"""Local demo services for trying stopplan without a real cluster.

Usage:
  demo/registry.py [--lwp-port 18080] [--hsf-port 12200]
                   [--hsf-http-port 12201] [--ready-file F]

Emulates, on 127.0.0.1 and (when available) ::1:
  * a fake LWP/vipserver registry on --lwp-port: GET /vipserver/offline?app=NAME
    or any path under /offline/ (e.g. /offline/NAME) answers 200 "ok" and
    prints "demo registry: offline NAME" (likewise for online);
  * an HSF service: a plain TCP listener on --hsf-port, and an HTTP server
    on --hsf-http-port answering /hsf/offline?k=hsf with
    "server is unregistered on cs(dr)" and /hsf/online?k=hsf with
    "server is resumed to register on cs(dr)".
Every request and connection is logged on stdout.  Once everything listens,
the --ready-file (if given) is written.  Exits with status 0 on SIGTERM or
SIGINT.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ADDRESSES = ("127.0.0.1", "::1")  # the IPv6 one is optional


def log(text):
    print(text, flush=True)


class DemoHandler(BaseHTTPRequestHandler):
    """Answers any method through route(); subclasses define route()."""

    protocol_version = "HTTP/1.1"
    server_version = "stopplan-demo/1"
    label = "demo"

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def log_message(self, fmt, *args):
        log("%s: %s %s" % (self.label, self.address_string(), fmt % args))

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path, _, query = self.path.partition("?")
        status, body = self.route(path, parse_qs(query, keep_blank_values=True))
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class RegistryHandler(DemoHandler):
    """Fake LWP/vipserver registry."""

    label = "demo lwp"

    def route(self, path, args):
        for action in ("offline", "online"):
            name = registry_app(path, args, action)
            if name is not None:
                log("demo registry: %s %s" % (action, name))
                return 200, "ok"
        return 404, "not found"


def registry_app(path, args, action):
    """App name if PATH/ARGS is a registry ACTION request, else None."""
    if path.rstrip("/") == "/vipserver/" + action:
        return args.get("app", ["-"])[0]
    marker = "/%s/" % action
    if marker in path + "/":
        rest = (path + "/").split(marker, 1)[1].strip("/")
        return args.get("app", [rest or "-"])[0]
    return None


class HsfHandler(DemoHandler):
    """HSF's online/offline HTTP control port."""

    label = "demo hsf"
    answers = {
        "/hsf/offline": "server is unregistered on cs(dr)",
        "/hsf/online": "server is resumed to register on cs(dr)",
    }

    def route(self, path, args):
        body = self.answers.get(path.rstrip("/"))
        if body is None:
            return 404, "not found"
        log("demo hsf: %s" % body)
        return 200, body


class ListenError(Exception):
    """A port the demo cannot listen on, named in the message."""

    def __init__(self, addr, port, err):
        super().__init__("cannot listen on %s port %d: %s" % (addr, port, err.strerror or err))


def start_http(port, handler):
    """Start HANDLER's server on every address; return the servers."""
    servers = []
    for addr in ADDRESSES:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        cls = type("Server", (ThreadingHTTPServer,),
                   {"address_family": family, "daemon_threads": True})
        try:
            server = cls((addr, port), handler)
        except OSError as e:
            if family == socket.AF_INET6:
                log("demo: skipping [%s]:%d (%s)" % (addr, port, e))
                continue
            raise ListenError(addr, port, e) from e
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def open_tcp_listeners(port):
    """Listening sockets for the plain HSF port on every address."""
    socks = []
    for addr in ADDRESSES:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, port))
        except OSError as e:
            sock.close()
            if family == socket.AF_INET6:
                log("demo: skipping [%s]:%d (%s)" % (addr, port, e))
                continue
            raise ListenError(addr, port, e) from e
        sock.listen(128)
        socks.append(sock)
    return socks


def serve_tcp(listeners):
    """Accept HSF connections; keep each open until its peer closes it."""
    sel = selectors.DefaultSelector()
    for sock in listeners:
        sel.register(sock, selectors.EVENT_READ, "listener")
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data == "listener":
                conn, peer = sock.accept()
                log("demo hsf: tcp connection from %s port %d" % peer[:2])
                sel.register(conn, selectors.EVENT_READ, "conn")
            elif not recv_or_empty(sock):
                sel.unregister(sock)
                sock.close()


def recv_or_empty(sock):
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="stopplan demo registry and HSF service.")
    p.add_argument("--lwp-port", type=int, default=18080)
    p.add_argument("--hsf-port", type=int, default=12200)
    p.add_argument("--hsf-http-port", type=int, default=12201)
    p.add_argument("--ready-file", help="written once everything listens")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    try:
        servers = start_http(args.lwp_port, RegistryHandler)
        servers += start_http(args.hsf_http_port, HsfHandler)
        tcp = open_tcp_listeners(args.hsf_port)
    except ListenError as e:
        print("demo: %s" % e, file=sys.stderr)
        return 1
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    log("demo: registry on port %d, hsf on ports %d (tcp) and %d (http)"
        % (args.lwp_port, args.hsf_port, args.hsf_http_port))
    if args.ready_file:
        write_atomically(args.ready_file, "ready\n")

    stop.wait()
    log("demo: stopping")  # serving threads are daemons: just leave
    return 0


if __name__ == "__main__":
    sys.exit(main())
