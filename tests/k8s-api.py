#!/usr/bin/python3
"""A stand-in for the Kubernetes API server's event endpoint, over TLS, for tests/event.test.

Usage:
  k8s-api.py --cert CERT --key KEY --token-file FILE --namespace NS --record REQS.jsonl
             --port-file PORTFILE [--mode ok|forbidden|hang]

It answers POST /api/v1/namespaces/NS/events as the API server does: 401 without the bearer token
read from FILE (read on every request: tokens rotate), 404 for any other path, 415 unless the
Content-Type is application/json, 422 when the body is not a valid core/v1 Event, else 201 with the
event. Validity is judged by Debian's python3-kubernetes: the body must deserialize into the
CoreV1Event model (required fields present, types right), every key must be one the model (or the
nested model) knows, and the API's own rules for events must hold (namespace of the object and the
event agree, reason and type set, count >= 1, timestamps present). Modes: forbidden answers 403 as
an API server without RBAC for events does; hang reads the request and never answers.
Every request is appended to REQS.jsonl: {"method", "path", "headers", "body", "status", "error"}.
"""

import argparse
import datetime
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kubernetes import client

API = client.ApiClient()


def check_keys(obj, model):
    """Every key of the JSON object obj is an attribute of model (recursively); returns errors."""
    errors = []
    if not isinstance(obj, dict):
        return errors
    known = {v: k for k, v in model.attribute_map.items()}
    for key, value in obj.items():
        if key not in known:
            errors.append("unknown field %s in %s" % (key, model.__name__))
            continue
        kind = model.openapi_types[known[key]]
        sub = getattr(client.models, kind, None)
        if sub is not None and isinstance(value, dict):
            errors.extend(check_keys(value, sub))
    return errors


def validate_event(raw, namespace):
    """Returns None when raw (bytes) is a valid core/v1 Event for namespace, else why not."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return "not JSON: %s" % e

    class Reply:  # what ApiClient.deserialize reads
        pass

    reply = Reply()
    reply.data = raw.decode("utf-8")
    try:
        ev = API.deserialize(reply, "CoreV1Event")
    except Exception as e:  # the models raise ValueError, TypeError, ...
        return "not a CoreV1Event: %s" % e
    errors = check_keys(data, client.CoreV1Event)
    if data.get("apiVersion") != "v1" or data.get("kind") != "Event":
        errors.append("apiVersion/kind not v1/Event")
    if not ev.metadata or not ev.metadata.name:
        errors.append("no metadata.name")
    if ev.metadata and ev.metadata.namespace not in (None, namespace):
        errors.append("metadata.namespace %s is not %s" % (ev.metadata.namespace, namespace))
    io = ev.involved_object
    if io.kind != "Pod" or io.api_version != "v1" or not io.name:
        errors.append("involvedObject is not a v1 Pod with a name")
    if io.namespace != namespace:
        errors.append("involvedObject.namespace %s does not match the event's %s" % (io.namespace, namespace))
    if ev.type not in ("Normal", "Warning"):
        errors.append("type %r" % ev.type)
    if not ev.reason or not ev.message:
        errors.append("no reason or message")
    if len(ev.message.encode("utf-8")) > 1024:
        errors.append("message longer than 1 KiB")
    if not ev.count or ev.count < 1:
        errors.append("count %r" % ev.count)
    if not isinstance(ev.first_timestamp, datetime.datetime) or not isinstance(ev.last_timestamp, datetime.datetime):
        errors.append("firstTimestamp and lastTimestamp must be times")
    elif ev.last_timestamp < ev.first_timestamp:
        errors.append("lastTimestamp before firstTimestamp")
    if not ev.source or ev.source.component != "stopplan":
        errors.append("source.component is not stopplan")
    return "; ".join(errors) or None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("k8s-api: " + fmt % args + "\n")

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, reason, message):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                          "reason": reason, "code": code})

    def do_POST(self):
        opts = self.server.opts
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        rec = {"method": "POST", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace"), "time": time.time()}
        with open(opts.token_file) as f:
            token = f.read().strip()
        error, status = None, 201
        if opts.mode == "hang":
            status, error = 0, "hang"
        elif self.headers.get("Authorization") != "Bearer " + token:
            status, error = 401, "bad or no bearer token"
        elif self.path != "/api/v1/namespaces/%s/events" % opts.namespace:
            status, error = 404, "path"
        elif (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            status, error = 415, "content type"
        elif opts.mode == "forbidden":
            status, error = 403, "forbidden"
        else:
            error = validate_event(body, opts.namespace)
            if error:
                status = 422
        rec["status"], rec["error"] = status, error
        with self.server.lock, open(opts.record, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if opts.mode == "hang":
            time.sleep(30)
            return
        if status == 201:
            self.reply(201, json.loads(body))
        elif status == 403:
            self.status(403, "Forbidden", 'events is forbidden: User "system:serviceaccount:%s:default" cannot '
                        'create resource "events" in API group "" in the namespace "%s"' % (opts.namespace,
                                                                                        opts.namespace))
        else:
            self.status(status, "Invalid", error)


def main():
    ap = argparse.ArgumentParser()
    for a in ("--cert", "--key", "--token-file", "--namespace", "--record", "--port-file"):
        ap.add_argument(a, required=True)
    ap.add_argument("--mode", default="ok", choices=("ok", "forbidden", "hang"))
    opts = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.opts, srv.lock = opts, threading.Lock()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(opts.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(opts.port_file + ".tmp", opts.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
