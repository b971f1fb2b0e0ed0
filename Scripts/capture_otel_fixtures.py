"""Capture real OpenTelemetry Python exports as fixtures for Tests/XRayOTelTests.

usage: capture_otel_fixtures.py OUT VENV [ADOT_VENV]   capture every scenario into OUT/
       capture_otel_fixtures.py --app PORT DOWNSTREAM   (internal) the instrumented Flask app

Each scenario starts the app below under `opentelemetry-instrument` with its exporter pointed at a capture
server on 127.0.0.1, sends it /hello (sqlite3 cursor.execute and an outgoing requests call, with an
X-Amzn-Trace-Id header) and /boom (raises), then stops it with SIGINT so the batch processor flushes once.
Each request body is written as received. Loopback only.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def run_app(port, downstream):
    import sqlite3

    import requests
    from flask import Flask

    app = Flask(__name__)

    @app.route("/hello")
    def hello():
        conn = sqlite3.connect(":memory:")
        cur = conn.cursor()
        cur.execute("create table greeting (word text)")
        cur.execute("select count(*) from greeting")
        requests.get(f"http://127.0.0.1:{downstream}/downstream", timeout=5)
        return "hello"

    @app.route("/boom")
    def boom():
        raise ValueError("kaboom")

    app.run(host="127.0.0.1", port=port)


SCENARIOS = [
    # name, extra environment, file suffix
    ("flask-protobuf", {}, "binpb"),
    ("flask-protobuf-semconv-http", {"OTEL_SEMCONV_STABILITY_OPT_IN": "http"}, "binpb"),
    ("flask-protobuf-gzip", {"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}, "binpb.gz"),
    ("flask-protobuf-deflate", {"OTEL_EXPORTER_OTLP_COMPRESSION": "deflate"}, "binpb.zz"),
    ("flask-json", {"OTEL_TRACES_EXPORTER": "otlp_json_http"}, "json"),
    ("flask-json-semconv-http", {"OTEL_TRACES_EXPORTER": "otlp_json_http", "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}, "json"),
]

bodies = []
lock = threading.Lock()


class Capture(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", self.headers.get("Content-Type", "application/x-protobuf"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the app did not listen on {port}")


def drive(venv, capture_port, env_extra):
    app_port = free_port()
    env = dict(os.environ)
    env.update({
        "OTEL_SERVICE_NAME": "flask-demo",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{capture_port}/v1/traces",
        "OTEL_PROPAGATORS": "xray",
        "OTEL_PYTHON_ID_GENERATOR": "xray",
        "OTEL_BSP_SCHEDULE_DELAY": "60000",
    })
    env.update(env_extra)
    child = subprocess.Popen(
        [f"{venv}/bin/opentelemetry-instrument", f"{venv}/bin/python", __file__, "--app", str(app_port), str(capture_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(app_port)
        hello = urllib.request.Request(f"http://127.0.0.1:{app_port}/hello", headers={
            "X-Amzn-Trace-Id": "Root=1-6750a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"})
        urllib.request.urlopen(hello, timeout=10).read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{app_port}/boom", timeout=10).read()
        except urllib.error.HTTPError:
            pass
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)


def capture_adot(venv, out, downstream):
    """ADOT in Lambda mode sends T1S datagrams to AWS_XRAY_DAEMON_ADDRESS: one is written as received."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(5)
    udp_port = sink.getsockname()[1]
    env_extra = {
        "AWS_LAMBDA_FUNCTION_NAME": "demo-fn",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{udp_port}",
    }
    for key in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_PROPAGATORS",
                "OTEL_PYTHON_ID_GENERATOR", "OTEL_TRACES_EXPORTER"):
        env_extra[key] = ""
    app_port = free_port()
    env = dict(os.environ)
    env.update({"OTEL_SERVICE_NAME": "flask-demo", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                "OTEL_BSP_SCHEDULE_DELAY": "60000"})
    env.update({k: v for k, v in env_extra.items() if v})
    child = subprocess.Popen(
        [f"{venv}/bin/opentelemetry-instrument", f"{venv}/bin/python", __file__, "--app", str(app_port), str(downstream)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(app_port)
        urllib.request.urlopen(f"http://127.0.0.1:{app_port}/hello", timeout=10).read()
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=30)
    data, _ = sink.recvfrom(65536)
    with open(os.path.join(out, "adot-lambda.t1s"), "wb") as f:
        f.write(data)
    print(f"adot-lambda.t1s: {len(data)} bytes")


def summarize(out):
    """Writes expected.json: the ids, names and counts that the reference protobuf decoder reads from each
    capture, the oracle the Swift decoder is tested against."""
    import base64
    import gzip
    import json
    import zlib

    from google.protobuf.json_format import Parse
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    summary = {}
    for file in sorted(os.listdir(out)):
        data = open(os.path.join(out, file), "rb").read()
        request = ExportTraceServiceRequest()
        if file.endswith(".binpb"):
            request.ParseFromString(data)
        elif file.endswith(".binpb.gz"):
            request.ParseFromString(gzip.decompress(data))
        elif file.endswith(".binpb.zz"):
            request.ParseFromString(zlib.decompress(data))
        elif file.endswith(".t1s"):
            request.ParseFromString(base64.b64decode(data.split(b"\n", 1)[1][3:]))
        elif file.endswith(".json") and file != "expected.json":
            # Python's protobuf JSON reads ids as base64; rewrite them from hex first (OTLP/JSON quirk).
            tree = json.loads(data)
            for rs in tree.get("resourceSpans", []):
                for ss in rs.get("scopeSpans", []):
                    for span in ss.get("spans", []):
                        for key in ("traceId", "spanId", "parentSpanId"):
                            if span.get(key):
                                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
            Parse(json.dumps(tree), request, ignore_unknown_fields=True)
        else:
            continue
        spans = []
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    spans.append({
                        "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(),
                        "parentSpanId": span.parent_span_id.hex(), "name": span.name, "kind": span.kind,
                        "start": str(span.start_time_unix_nano), "end": str(span.end_time_unix_nano),
                        "flags": span.flags, "attributes": len(span.attributes), "events": len(span.events),
                        "status": span.status.code, "scope": ss.scope.name,
                        "resourceAttributes": len(rs.resource.attributes),
                    })
        summary[file] = spans
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    if sys.argv[1] == "--app":
        run_app(int(sys.argv[2]), int(sys.argv[3]))
        return
    out, venv = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    for name, env_extra, suffix in SCENARIOS:
        bodies.clear()
        drive(venv, port, env_extra)
        traces = [b for path, b in bodies if path == "/v1/traces"]
        for i, body in enumerate(traces):
            file = f"{name}.{suffix}" if len(traces) == 1 else f"{name}-{i + 1}.{suffix}"
            with open(os.path.join(out, file), "wb") as f:
                f.write(body)
            print(f"{file}: {len(body)} bytes")
    if len(sys.argv) > 3:
        capture_adot(sys.argv[3], out, port)
    server.shutdown()
    summarize(out)


if __name__ == "__main__":
    main()
