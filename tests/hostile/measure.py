#!/usr/bin/env python3
"""Runs one command and measures it, for stopplan's hostile-input tests.

Usage:
  measure.py OUT_PREFIX [options] -- CMD [ARGS...]

Runs CMD under /usr/bin/time with stdout in OUT_PREFIX.out and stderr in
OUT_PREFIX.err and prints shell assignments on stdout, for eval:
  RC=N          exit status, or 128+N when killed by signal N
  ELAPSED_MS=N  wall time from the start to the end of CMD
  RSS_KIB=N     CMD's peak resident set size (GNU time's %M)
  STOP_MS=N     with --signal: time from the signal to the end of CMD
  TIMED_OUT=0|1 1 when --timeout killed CMD (SIGKILL; RC is then 137)

Options:
  --timeout S        SIGKILL CMD after S seconds (default 30)
  --stdin FILE       standard input from FILE (default /dev/null)
  --stdin-cmd CMD    standard input from the output of "sh -c CMD" (e.g.
                     "yes"), like "CMD | stopplan ..."
  --signal SIG       send SIG (TERM, INT, ...) once the stderr of CMD has a
                     line matching --after (a Python regex), then measure
                     how long CMD takes to end
  --after REGEX      see --signal (default: send the signal at once)
  --wait-line S      how long to wait for --after before failing (default 10)

Why /usr/bin/time: Linux keeps a process's peak RSS across exec, and a child
forked (or vforked) by this Python process starts with Python's memory, so
wait4's ru_maxrss would report Python's size.  GNU time is small: the child it
forks and execs starts small, and time reports that child's own peak.

Exits 0 when it could run CMD (whatever CMD's status), 1 otherwise (for
example when the --after line never came: CMD is killed, and the message is
on stderr).
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

TIME = "/usr/bin/time"


def parse_args(argv):
    if "--" not in argv:
        sys.exit("usage: measure.py OUT_PREFIX [options] -- CMD [ARGS...]")
    cut = argv.index("--")
    p = argparse.ArgumentParser(prog="measure.py")
    p.add_argument("out")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--stdin")
    p.add_argument("--stdin-cmd")
    p.add_argument("--signal")
    p.add_argument("--after")
    p.add_argument("--wait-line", type=float, default=10.0)
    args = p.parse_args(argv[:cut])
    args.cmd = argv[cut + 1:]
    if not args.cmd:
        sys.exit("measure.py: no command")
    return args


def wait_line(path, regex, proc, limit):
    """Poll PATH every 2 ms until a line matches REGEX; False on timeout or exit."""
    pat = re.compile(regex, re.M)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(path, "rb") as f:
                if pat.search(f.read().decode("utf-8", "replace")):
                    return True
        except OSError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def find_child(ppid, limit=5.0):
    """Return the pid of a process whose parent is PPID (polling /proc), or None."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name, "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
            fields = stat[stat.rfind(b")") + 2:].split()
            if len(fields) > 1 and int(fields[1]) == ppid:
                return int(name)
        time.sleep(0.001)
    return None


def read_rss(path):
    """The last line of GNU time's -o file: %M, the peak RSS in KiB."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        return int(lines[-1])
    except (OSError, ValueError, IndexError):
        return -1


def main(argv):
    args = parse_args(argv)
    feeder = None
    if args.stdin_cmd:
        feeder = subprocess.Popen(["sh", "-c", args.stdin_cmd], stdout=subprocess.PIPE)
        stdin = feeder.stdout
    else:
        stdin = open(args.stdin or os.devnull, "rb")
    out = open(args.out + ".out", "wb")
    err = open(args.out + ".err", "wb")
    start = time.monotonic()
    timefile = args.out + ".time"
    if not os.access(TIME, os.X_OK):
        sys.exit("measure.py: %s is missing (install the 'time' package)" % TIME)
    proc = subprocess.Popen([TIME, "-f", "%M", "-o", timefile] + args.cmd,
                            stdin=stdin, stdout=out, stderr=err)
    stdin.close()  # only the child reads it now (a pipe writer sees EPIPE when it ends)
    out.close()
    err.close()
    sent = None
    ok = True
    if args.signal:
        if args.after and not wait_line(args.out + ".err", args.after, proc, args.wait_line):
            sys.stderr.write("measure.py: no line matching %r on stderr\n" % args.after)
            ok = False
        else:
            target = find_child(proc.pid)
            if target is None:
                sys.stderr.write("measure.py: cannot find the command's pid\n")
                ok = False
            else:
                sent = time.monotonic()
                os.kill(target, getattr(signal, "SIG" + args.signal.upper().replace("SIG", "")))
    timed_out = 0
    deadline = start + args.timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if not ok or time.monotonic() >= deadline:
            target = find_child(proc.pid, 0.5)
            if target is not None:
                os.kill(target, signal.SIGKILL)  # time then reports 137
            proc.kill()
            timed_out = 1 if ok else 0
            pid, status, usage = os.wait4(proc.pid, 0)
            status = 137 << 8
            break
        time.sleep(0.001)
    end = time.monotonic()
    proc.returncode = 0  # reaped by wait4
    if feeder:
        feeder.kill()
        feeder.wait()
    # GNU time exits 128+N when the command was killed by signal N.
    if os.WIFSIGNALED(status):
        rc = 128 + os.WTERMSIG(status)
    else:
        rc = os.WEXITSTATUS(status)
    print("RC=%d" % rc)
    print("ELAPSED_MS=%d" % int((end - start) * 1000))
    print("RSS_KIB=%d" % read_rss(timefile))
    print("STOP_MS=%s" % (int((end - sent) * 1000) if sent is not None else ""))
    print("TIMED_OUT=%d" % timed_out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
