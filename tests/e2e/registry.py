#!/usr/bin/env python3
"""A small service registry for the rolling-restart test (tests/e2e/rolling-restart.test).

Usage:
  registry.py --port-file F [--ttl SECONDS]

Listens on 127.0.0.1 (ephemeral port, written to F once listening) and keeps the instances of one
app, the way Eureka or Nacos keep ephemeral instances:

  PUT    /instances/ID                 register ID (body: {"addr": "HOST:PORT"}), enabled; 200
  PUT    /instances/ID/heartbeat       keep ID alive; 404 if ID is unknown (expired or deleted),
                                       and the app then registers again
  PUT    /instances/ID/enabled?value=false|true
                                       disable (or enable) ID: a disabled instance stays
                                       registered and alive but is left out of lookups; 200 "ok",
                                       404 if unknown
  DELETE /instances/ID                 forget ID (its next heartbeat gets 404); 200, or 404
  GET    /instances                    200 application/json: [{"id": ID, "addr": ADDR}, ...], the
                                       enabled instances with a heartbeat in the last TTL seconds

Instances whose last heartbeat (or registration) is older than --ttl seconds (default 1.0) are
forgotten. Every change is logged on stdout. Exits with status 0 on SIGTERM or SIGINT.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Registry:
    def __init__(self, ttl):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.instances = {}  # id -> {"addr", "enabled", "seen"}

    def _expire(self, now):
        for iid in [i for i, v in self.instances.items() if now - v["seen"] > self.ttl]:
            del self.instances[iid]
            log("expired %s" % iid)

    def register(self, iid, addr):
        with self.lock:
            self.instances[iid] = {"addr": addr, "enabled": True, "seen": time.monotonic()}
        log("registered %s at %s" % (iid, addr))

    def heartbeat(self, iid):
        with self.lock:
            now = time.monotonic()
            self._expire(now)
            if iid not in self.instances:
                return False
            self.instances[iid]["seen"] = now
            return True

    def set_enabled(self, iid, enabled):
        with self.lock:
            self._expire(time.monotonic())
            if iid not in self.instances:
                return False
            self.instances[iid]["enabled"] = enabled
        log("%s %s" % ("enabled" if enabled else "disabled", iid))
        return True

    def delete(self, iid):
        with self.lock:
            found = self.instances.pop(iid, None) is not None
        if found:
            log("deleted %s" % iid)
        return found

    def lookup(self):
        with self.lock:
            self._expire(time.monotonic())
            return [{"id": i, "addr": v["addr"]}
                    for i, v in sorted(self.instances.items()) if v["enabled"]]


def log(text):
    print("%.3f registry: %s" % (time.time(), text), flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reg = self.server.registry
        if parts[:1] != ["instances"]:
            return self.reply(404, "no such path")
        if self.command == "GET" and len(parts) == 1:
            return self.reply(200, reg.lookup(), "application/json")
        if len(parts) < 2:
            return self.reply(405, "method not allowed")
        iid = parts[1]
        if self.command == "PUT" and len(parts) == 2:
            try:
                addr = json.loads(body)["addr"]
            except (ValueError, KeyError, TypeError):
                return self.reply(400, "body must be {\"addr\": \"HOST:PORT\"}")
            reg.register(iid, addr)
            return self.reply(200, {"id": iid}, "application/json")
        if self.command == "PUT" and parts[2:] == ["heartbeat"]:
            return self.reply(200, "ok") if reg.heartbeat(iid) else self.reply(404, "unknown instance")
        if self.command == "PUT" and parts[2:] == ["enabled"]:
            value = parse_qs(url.query).get("value", [""])[0]
            if value not in ("true", "false"):
                return self.reply(400, "value must be true or false")
            ok = reg.set_enabled(iid, value == "true")
            return self.reply(200, "ok") if ok else self.reply(404, "unknown instance")
        if self.command == "DELETE" and len(parts) == 2:
            return self.reply(200, "ok") if reg.delete(iid) else self.reply(404, "unknown instance")
        return self.reply(405, "method not allowed")

    do_GET = do_PUT = do_DELETE = route


def main():
    p = argparse.ArgumentParser(description="Service registry for the rolling-restart test.")
    p.add_argument("--port-file", required=True)
    p.add_argument("--ttl", type=float, default=1.0)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.registry = Registry(args.ttl)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(args.port_file + ".tmp", args.port_file)
    log("listening on 127.0.0.1:%d, ttl %.1f s" % (server.server_address[1], args.ttl))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
