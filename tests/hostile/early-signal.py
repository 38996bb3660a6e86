#!/usr/bin/env python3
"""Sends a signal to stopplan in its first milliseconds, for tests/hostile-startup.test.

Usage:
  early-signal.py OUT_PREFIX SIG STDIN_FILE|- -- CMD [ARGS...]

Runs CMD with stdout in OUT_PREFIX.out, stderr in OUT_PREFIX.err and its standard input a pipe
held open by this script.  As soon as /proc/PID/status shows SIG caught (at most 3 s: a program
that installs no handler yet gets it anyway), sends SIG; then writes STDIN_FILE ("-": nothing)
into the pipe and closes it.  Prints RC=N (128+N when killed by signal N) for eval; kills CMD
after 20 s (RC=137).
"""

import os
import signal
import subprocess
import sys
import time


def caught(pid, sig):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16) & (1 << (sig - 1))
    except OSError:
        pass
    return 0


def main(argv):
    cut = argv.index("--")
    out, name, data = argv[:cut]
    sig = getattr(signal, "SIG" + name)
    with open(out + ".out", "wb") as o, open(out + ".err", "wb") as e:
        p = subprocess.Popen(argv[cut + 1:], stdin=subprocess.PIPE, stdout=o, stderr=e)
    end = time.monotonic() + 3
    while not caught(p.pid, sig) and time.monotonic() < end and p.poll() is None:
        time.sleep(0.0005)
    p.send_signal(sig)
    try:
        if data != "-":
            with open(data, "rb") as f:
                p.stdin.write(f.read())
        p.stdin.close()
    except OSError:
        pass  # it ended before reading
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = -9
    print("RC=%d" % (128 - rc if rc < 0 else rc))


if __name__ == "__main__":
    main(sys.argv[1:])
