#!/usr/bin/env python3
"""A client for the rolling-restart test (tests/e2e/rolling-restart.test).

Usage:
  client.py --registry URL --status-file F [--rate N] [--lookup-interval SECONDS] [--phase S]

Behaves like a client-side load-balanced service consumer: it looks the app's instances up in
the registry (GET URL/instances) every --lookup-interval seconds (default 1.0) and keeps that
list in between (a failed lookup keeps the old list; with --phase S, the second lookup comes S
seconds after the first, and the rest every interval after it); it sends GET requests at a fixed rate of
--rate per second (default 50), round robin over the cached list, each on a new connection with a
0.5 s timeout. A request fails when it cannot connect, times out or gets a status other than
200; with an empty list, the request counts as failed too.

After every lookup, and when it stops (SIGTERM or SIGINT), it writes F (atomically) as JSON:
  {"sent", "ok", "failed", "lookups", "lookup_errors", "view": [ids of the last lookup],
   "failed_by_instance": {id: count}}
Every failure is logged on stdout.
"""

import argparse
import http.client
import json
import os
import signal
import time
import urllib.request


class Client:
    def __init__(self, args):
        self.args = args
        self.view = []  # [{"id", "addr"}] from the last successful lookup
        self.stats = {"sent": 0, "ok": 0, "failed": 0, "lookups": 0, "lookup_errors": 0,
                      "view": [], "failed_by_instance": {}}
        self.next = 0
        self.stopping = False

    def lookup(self):
        try:
            with urllib.request.urlopen(self.args.registry + "/instances", timeout=0.5) as r:
                self.view = json.load(r)
            self.stats["lookups"] += 1
            self.stats["view"] = [i["id"] for i in self.view]
        except (OSError, ValueError) as e:
            self.stats["lookup_errors"] += 1
            log("lookup failed: %s (keeping %d instances)" % (e, len(self.view)))
        self.write_status()

    def request(self):
        self.stats["sent"] += 1
        if not self.view:
            return self.failed("-", "no instance to send to")
        inst = self.view[self.next % len(self.view)]
        self.next += 1
        host, port = inst["addr"].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=0.5)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                return self.failed(inst["id"], "status %d" % resp.status)
            self.stats["ok"] += 1
        except (OSError, http.client.HTTPException) as e:
            self.failed(inst["id"], str(e) or type(e).__name__)
        finally:
            conn.close()

    def failed(self, iid, why):
        self.stats["failed"] += 1
        by = self.stats["failed_by_instance"]
        by[iid] = by.get(iid, 0) + 1
        log("request to %s failed: %s" % (iid, why))

    def write_status(self):
        path = self.args.status_file
        with open(path + ".tmp", "w") as f:
            json.dump(self.stats, f)
        os.replace(path + ".tmp", path)

    def run(self):
        period = 1.0 / self.args.rate
        now = time.monotonic()
        next_lookup = next_send = now
        while not self.stopping:
            now = time.monotonic()
            if now >= next_lookup:
                self.lookup()
                if self.stats["lookups"] + self.stats["lookup_errors"] == 1 and self.args.phase > 0:
                    next_lookup += self.args.phase
                else:
                    next_lookup += self.args.lookup_interval
            if now >= next_send:
                self.request()
                next_send += period
                if time.monotonic() - next_send > period:
                    next_send = time.monotonic()  # late: keep the rate, do not burst
            pause = min(next_lookup, next_send) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self.write_status()


def log(text):
    print("%.3f client: %s" % (time.time(), text), flush=True)


def main():
    p = argparse.ArgumentParser(description="Client for the rolling-restart test.")
    p.add_argument("--registry", required=True)
    p.add_argument("--status-file", required=True)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--lookup-interval", type=float, default=1.0)
    p.add_argument("--phase", type=float, default=0)
    client = Client(p.parse_args())

    def stop(signum, frame):
        client.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    client.run()


if __name__ == "__main__":
    main()
