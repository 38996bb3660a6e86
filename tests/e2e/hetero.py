#!/usr/bin/env python3
"""The heterogeneous rolling restart (tests/e2e/rolling-restart.test, scenario 2, and bench/).

Usage:
  hetero.py --stopplan BIN --plan PLAN --workdir DIR --out RESULT.json
            [--set NAME=VALUE]... [--lookups 0.5,1,2,4] [--rate N] [--instances N] [--waves N]
            [--grace SECONDS]

Starts a registry (registry.py), --instances apps (app.py) and one client (client.py) per lookup
interval in --lookups, each sending --rate requests/s and looking the instances up at its own
interval, at its own phase. Then --waves times, like a Deployment with maxSurge = instances: it
starts as many replacements and waits until they are registered, then terminates every old
instance the way the kubelet does, side by side, each starting a little later than the one before
(0.37 s apart, so that the clients' lookups fall at different points of each termination): the
preStop hook `BIN run PLAN` (environment: REGISTRY_URL, INSTANCE_ID, APP_PORT and the --set
values), then SIGTERM, then SIGKILL when the grace period is over. The termination time of an
instance runs from the start of its hook to its exit.

Writes RESULT.json: {"sent", "failed", "terminations": [seconds...], "hook_exit": [codes...],
"failed_by_client": {interval: count}} and prints a summary line.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
STAGGER = 0.37


def wait_file(path, timeout=10):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for %s" % path)
        time.sleep(0.02)
    with open(path) as f:
        return f.read().strip()


def registered(reg, iid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(reg + "/instances", timeout=1) as r:
                if iid in {i["id"] for i in json.load(r)}:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise SystemExit("%s did not register" % iid)


class Run:
    def __init__(self, a):
        self.a = a
        self.procs = []
        self.apps = {}       # id -> (Popen, port)
        self.terminations = []
        self.hook_exit = []
        self.lock = threading.Lock()

    def spawn(self, name, argv):
        log = open(os.path.join(self.a.workdir, name + ".log"), "w")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(p)
        return p

    def start_app(self, iid):
        pf = os.path.join(self.a.workdir, iid + ".port")
        p = self.spawn(iid, [PY, os.path.join(HERE, "app.py"), "--id", iid, "--registry", self.reg,
                             "--port-file", pf, "--heartbeat", "0.2"])
        port = wait_file(pf)
        registered(self.reg, iid)
        self.apps[iid] = (p, port)

    def terminate(self, iid, delay):
        time.sleep(delay)    # staggers the terminations of one wave, not a wait for a state
        p, port = self.apps[iid]
        env = dict(os.environ, REGISTRY_URL=self.reg, INSTANCE_ID=iid, APP_PORT=port)
        for kv in self.a.set:
            k, _, v = kv.partition("=")
            env[k] = v
        t0 = time.monotonic()
        with open(os.path.join(self.a.workdir, "prestop-%s.err" % iid), "w") as err:
            try:
                rc = subprocess.run([self.a.stopplan, "run", self.a.plan], env=env, stdout=err,
                                    stderr=err, timeout=self.a.grace).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=max(2.0, self.a.grace - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        with self.lock:
            self.terminations.append(round(time.monotonic() - t0, 3))
            self.hook_exit.append(rc)

    def run(self):
        a = self.a
        reg_port = os.path.join(a.workdir, "registry.port")
        self.spawn("registry", [PY, os.path.join(HERE, "registry.py"), "--port-file", reg_port,
                                "--ttl", "1.0"])
        self.reg = "http://127.0.0.1:%s" % wait_file(reg_port)
        n = 0
        live = []
        for _ in range(a.instances):
            n += 1
            self.start_app("app%d" % n)
            live.append("app%d" % n)
        lookups = [float(x) for x in a.lookups.split(",")]
        clients = []
        for i, iv in enumerate(lookups):
            sf = os.path.join(a.workdir, "client%d.status" % i)
            # Phases spread over each interval: 0.29, 0.41, 0.63, 0.72 of it.
            phase = iv * (0.29, 0.41, 0.63, 0.72)[i % 4]
            clients.append((iv, sf, self.spawn("client%d" % i, [
                PY, os.path.join(HERE, "client.py"), "--registry", self.reg, "--status-file", sf,
                "--rate", str(a.rate), "--lookup-interval", str(iv), "--phase", str(phase)])))
        for _, sf, _ in clients:
            wait_file(sf)
        for _ in range(a.waves):
            new = []
            for _ in range(a.instances):
                n += 1
                new.append("app%d" % n)
            starters = [threading.Thread(target=self.start_app, args=(iid,)) for iid in new]
            for t in starters:
                t.start()
            for t in starters:
                t.join()
            stoppers = [threading.Thread(target=self.terminate, args=(iid, k * STAGGER))
                        for k, iid in enumerate(live)]
            for t in stoppers:
                t.start()
            for t in stoppers:
                t.join()
            live = new
        sent = failed = 0
        by_client = {}
        for iv, sf, p in clients:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
            with open(sf) as f:
                st = json.load(f)
            sent += st["sent"]
            failed += st["failed"]
            by_client["%g" % iv] = st["failed"]
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        res = {"sent": sent, "failed": failed, "terminations": sorted(self.terminations),
               "hook_exit": self.hook_exit, "failed_by_client": by_client}
        with open(a.out, "w") as f:
            json.dump(res, f)
        t = res["terminations"]
        print("%s: %d restarts, %d requests, %d failed %s; termination median %.2f s, worst %.2f s: %s"
              % (os.path.basename(a.plan), len(t), sent, failed, by_client, statistics.median(t), t[-1],
                 " ".join("%.2f" % x for x in t)), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--stopplan", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--lookups", default="0.5,1,2,4")
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--instances", type=int, default=4)
    p.add_argument("--waves", type=int, default=3)
    p.add_argument("--grace", type=float, default=10)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    for name in os.listdir(a.workdir):      # port and status files of an earlier run
        if name.endswith((".port", ".status", ".err")):
            os.unlink(os.path.join(a.workdir, name))
    r = Run(a)
    try:
        r.run()
    finally:
        for proc in r.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
