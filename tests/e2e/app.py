#!/usr/bin/env python3
"""An app instance for the rolling-restart test (tests/e2e/rolling-restart.test).

Usage:
  app.py --id ID --registry URL --port-file F [--heartbeat SECONDS]

Listens on 127.0.0.1 (ephemeral port, written to F), answers every GET with 200 and its ID, then
registers with the registry (tests/e2e/registry.py) and sends a heartbeat every --heartbeat seconds
(default 0.2). A heartbeat answered 404 (the registry forgot the instance) registers it again,
as Eureka and Nacos clients do: deleting a live instance from the registry does not keep it out.

On SIGTERM it does what a typical app does without a graceful-shutdown hook: closes its listener
and exits at once (status 0), without deregistering. Connections that arrive later are refused.
"""

import argparse
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def log(iid, text):
    print("%.3f app %s: %s" % (time.time(), iid, text), flush=True)


def call(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=1) as r:
        r.read()    # closing with the reply unread would reset the connection
        return r.status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        data = self.server.iid.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def heartbeats(iid, registry, addr, interval):
    register = json.dumps({"addr": addr}).encode()
    while True:
        time.sleep(interval)
        try:
            call("PUT", "%s/instances/%s/heartbeat" % (registry, iid))
        except urllib.error.HTTPError as e:
            if e.code == 404:
                log(iid, "heartbeat: unknown to the registry, registering again")
                try:
                    call("PUT", "%s/instances/%s" % (registry, iid), register)
                except OSError as e2:
                    log(iid, "register: %s" % e2)
        except OSError as e:
            log(iid, "heartbeat: %s" % e)


def main():
    p = argparse.ArgumentParser(description="App instance for the rolling-restart test.")
    p.add_argument("--id", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--heartbeat", type=float, default=0.2)
    args = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.iid = args.id
    addr = "127.0.0.1:%d" % server.server_address[1]

    def on_sigterm(signum, frame):
        # Close the listener first, so that nothing connects any more, then exit at once.
        server.socket.close()
        log(args.id, "SIGTERM: listener closed, exiting")
        os._exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(args.port_file + ".tmp", args.port_file)
    call("PUT", "%s/instances/%s" % (args.registry, args.id), json.dumps({"addr": addr}).encode())
    log(args.id, "listening on %s, registered" % addr)
    threading.Thread(target=heartbeats, args=(args.id, args.registry, addr, args.heartbeat),
                     daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
