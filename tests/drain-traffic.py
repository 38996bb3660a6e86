#!/usr/bin/env python3
"""Traffic for stopplan's drain tests: a line server and clients.

Usage:
  drain-traffic.py server --port-file F [--port N] [--bind ADDR]
      Listens on ADDR:N (default 127.0.0.1:0), writes the port to F
      (atomically) and answers every line it reads with "ok\\n", keeping
      connections open until the client closes them.
  drain-traffic.py keepalive --port P --rate R --duration S [--until F2] [--close] [--stamp F]
      One connection: a line every 1/R s for S s (S < 0: forever) or until
      the file F2 exists, then the connection stays open and idle until
      SIGTERM (with --close: is closed at once).  Writes the time each line is sent (time.time(), just before
      the send, so no later than the server receives it) to F.
  drain-traffic.py per-conn --port P --rate R --duration S [--stamp F]
      A new connection per line (connect, send, read the answer, close) at
      R per second for S s (S < 0: forever).  Writes the time just before
      each connect to F.
  drain-traffic.py idle --port P --count N [--ready F]
      Opens N connections, never sends, writes F once all are connected,
      holds them until SIGTERM.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import time


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def serve(args):
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.bind, args.port))
    lsock.listen(4096)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    write_atomically(args.port_file, "%d\n" % lsock.getsockname()[1])
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                try:
                    c, _ = lsock.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                continue
            try:
                s.send(b"ok\n" * data.count(b"\n"))
            except OSError:
                pass


def stamp(path):
    if path:
        write_atomically(path, "%.3f\n" % time.time())


def ask(sock):
    sock.sendall(b"ping\n")
    got = b""
    while not got.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            break
        got += chunk


def keepalive(args):
    sock = socket.create_connection(("127.0.0.1", args.port))
    end = time.monotonic() + args.duration
    t = time.monotonic()
    while (args.duration < 0 or time.monotonic() < end) and not (args.until and os.path.exists(args.until)):
        stamp(args.stamp)
        ask(sock)
        t += 1.0 / args.rate
        time.sleep(max(0.0, t - time.monotonic()))
    if args.close:
        sock.close()
    signal.pause()


def per_conn(args):
    end = time.monotonic() + args.duration
    t = time.monotonic()
    while args.duration < 0 or time.monotonic() < end:
        stamp(args.stamp)
        sock = socket.create_connection(("127.0.0.1", args.port))
        ask(sock)
        sock.close()
        t += 1.0 / args.rate
        time.sleep(max(0.0, t - time.monotonic()))
    signal.pause()


def idle(args):
    socks = [socket.create_connection(("127.0.0.1", args.port)) for _ in range(args.count)]
    if args.ready:
        write_atomically(args.ready, "%d\n" % len(socks))
    signal.pause()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "keepalive", "per-conn", "idle"])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--duration", type=float, default=-1)
    p.add_argument("--stamp")
    p.add_argument("--until")
    p.add_argument("--close", action="store_true")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--ready")
    args = p.parse_args()
    {"server": serve, "keepalive": keepalive, "per-conn": per_conn, "idle": idle}[args.mode](args)


if __name__ == "__main__":
    main()
