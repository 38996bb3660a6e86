#!/usr/bin/env python3
"""Polling helper for the rolling-restart test (tests/e2e/rolling-restart.test).

Usage:
  wait.py registered REGISTRY_URL ID...  until every ID is listed by GET REGISTRY_URL/instances
  wait.py view STATUS_FILE ID...         until the client's last lookup (the "view" in its status
                                         file, see client.py) is exactly these IDs

Polls every 20 ms for at most --timeout seconds (default 10); exits 0 once the condition holds,
1 with a message on timeout.
"""

import argparse
import json
import sys
import time
import urllib.request


def holds(what, args):
    if what == "registered":
        with urllib.request.urlopen(args[0] + "/instances", timeout=1) as r:
            listed = {i["id"] for i in json.load(r)}
        return set(args[1:]) <= listed
    with open(args[0]) as f:
        return sorted(json.load(f)["view"]) == sorted(args[1:])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("what", choices=["registered", "view"])
    p.add_argument("args", nargs="+")
    a = p.parse_args()
    end = time.monotonic() + a.timeout
    while True:
        try:
            if holds(a.what, a.args):
                return 0
        except (OSError, ValueError, KeyError):
            pass
        if time.monotonic() > end:
            sys.stderr.write("wait.py %s %s: still not true after %.0f s\n"
                             % (a.what, " ".join(a.args), a.timeout))
            return 1
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
