"""A Flask app instrumented with the real X-Ray SDK, driven by Flask's test client.

Used by DaemonEndToEndTests: AWS_XRAY_DAEMON_ADDRESS points at a running `xray daemon`.
Prints one JSON line per request: {"path", "status", "trace_id"}.

Modes:
  plain        sampling off in the SDK (every request traced): a template, sqlite3, annotations,
               metadata, a custom subsegment, and a 500.
  centralized  the SDK's default centralized sampling against the daemon's TCP API; sends
               requests over a few seconds so the rule poller and the target poller both run.
"""
import json
import sys
import time

from flask import Flask, render_template_string
from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

mode = sys.argv[1] if len(sys.argv) > 1 else "plain"
app = Flask(__name__)
if mode == "centralized":
    xray_recorder.configure(service="sampled-app", context_missing="LOG_ERROR")
else:
    xray_recorder.configure(service="flask-app", sampling=False, context_missing="LOG_ERROR")
patch(["sqlite3"])
XRayMiddleware(app, xray_recorder)


@app.route("/items/<int:n>")
def items(n):
    import sqlite3

    connection = sqlite3.connect(":memory:")
    connection.execute("select 1").fetchall()
    connection.close()
    segment = xray_recorder.current_segment()
    segment.put_annotation("item", n)
    segment.put_metadata("request", {"n": n}, "app")
    with xray_recorder.in_subsegment("compute") as sub:
        sub.put_annotation("square", n * n)
    return render_template_string("<p>{{ n }}</p>", n=n)


@app.route("/boom")
def boom():
    raise RuntimeError("boom")


def trace_id(response):
    header = response.headers.get("X-Amzn-Trace-Id", "")
    for part in header.split(";"):
        if part.startswith("Root="):
            return part[len("Root="):]
    return None


def sampled(response):
    """Unsampled requests carry the SDK's all-zero no-op trace id (reference 7.14)."""
    root = trace_id(response)
    return root is not None and root.strip("1-0") != ""


def request(client, path):
    response = client.get(path)
    print(json.dumps({"path": path, "status": response.status_code, "trace_id": trace_id(response),
                      "sampled": sampled(response)}), flush=True)


client = app.test_client()
if mode == "centralized":
    # Python decides the first requests locally until the first rule fetch returns; the target poller
    # reports after ~10 s. Keep requesting until the rule "items" holds a quota from the daemon.
    deadline = time.time() + float(sys.argv[2] if len(sys.argv) > 2 else 30)
    sampler = xray_recorder.sampler
    n = 0

    def quota():
        for rule in sampler._cache.rules:
            if rule.name == "items":
                return rule.reservoir.quota
        return None

    while time.time() < deadline and quota() is None:
        request(client, "/items/%d" % n)
        n += 1
        time.sleep(0.1)
    # A burst once the quota is in: FixedRate 0 and a quota of 2 per second bound what is sampled.
    start = time.time()
    burst = [client.get("/items/%d" % i) for i in range(20)]
    end = time.time()
    chosen = [r for r in burst if sampled(r)]
    print(json.dumps({"summary": True, "quota": quota(), "rules": sorted(r.name for r in sampler._cache.rules),
                      "burst": len(burst), "burst_sampled": len(chosen),
                      "burst_seconds": int(end) - int(start) + 1,
                      "burst_trace_ids": [trace_id(r) for r in chosen]}), flush=True)
else:
    request(client, "/items/3")
    request(client, "/boom")
