#!/usr/bin/env python3
"""Plain TCP listener for stopplan's port-check integration tests.

Usage:
  tcp-listen.py --port-file F [--bind ADDR] [--ipv6] PORT...

Listens on every PORT (0 = ephemeral) on ADDR (default 127.0.0.1; with
--ipv6 the default is "::" and the sockets are IPv6-only).  Once all of
them listen, writes the actual ports, space-separated in the order given,
to F atomically (F.tmp + rename).  Accepted connections are kept open
(never read from or written to) until the process gets SIGTERM or SIGINT,
then it exits with status 0.  Each accepted connection is logged on stdout.
"""

import argparse
import selectors
import signal
import socket
import sys

from server import write_atomically  # tests/server.py, next to this file


def open_listener(addr, port, ipv6):
    """Return a listening socket bound to ADDR:PORT."""
    family = socket.AF_INET6 if ipv6 or ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((addr, port))
    sock.listen(128)
    return sock


def serve(listeners):
    """Accept connections forever, holding every accepted socket open."""
    accepted = []
    sel = selectors.DefaultSelector()
    for sock in listeners:
        sel.register(sock, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            try:
                conn, peer = key.fileobj.accept()
            except OSError:
                continue
            accepted.append(conn)
            port = key.fileobj.getsockname()[1]
            print("accept %d from %s:%d" % (port, peer[0], peer[1]), flush=True)


def exit_on_signal(signum, frame):
    sys.exit(0)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Hold TCP ports open.")
    p.add_argument("--port-file", required=True)
    p.add_argument("--bind", help="default 127.0.0.1, or :: with --ipv6")
    p.add_argument("--ipv6", action="store_true", help="IPv6 only (IPV6_V6ONLY)")
    p.add_argument("ports", nargs="+", type=int, metavar="PORT")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGINT, exit_on_signal)
    addr = args.bind or ("::" if args.ipv6 else "127.0.0.1")
    listeners = [open_listener(addr, port, args.ipv6) for port in args.ports]
    ports = [str(sock.getsockname()[1]) for sock in listeners]
    write_atomically(args.port_file, " ".join(ports) + "\n")
    serve(listeners)


if __name__ == "__main__":
    sys.exit(main())
