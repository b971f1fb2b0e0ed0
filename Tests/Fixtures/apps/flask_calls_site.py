"""A Flask app traced by the X-Ray SDK's middleware whose /cart view fetches each item's price from a second
HTTP server with `requests` (patched by the SDK), one call per item and the same item twice, and whose /report
view renders in a subsegment that sleeps: real remote-call and slow-span evidence for `xray inspect insights`.

usage: flask_calls_site.py [--otel] PATH...   Prints one line per request: PATH STATUS. The price server listens on
a free port of 127.0.0.1 for the script's lifetime; the Flask app is requested through its test client. With --otel
the app has no tracing code of its own and no /report, for running under `opentelemetry-instrument` (Flask and
requests instrumentations): the same remote-call evidence from OpenTelemetry spans.
"""
import http.server
import sys
import threading
import time

import requests
from flask import Flask, jsonify

OTEL = sys.argv[1:2] == ["--otel"]
PATHS = sys.argv[2:] if OTEL else sys.argv[1:]

ITEMS = [3, 5, 8, 13, 21, 3]


class Prices(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"price": 10}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Prices)
threading.Thread(target=server.serve_forever, daemon=True).start()
prices = "http://127.0.0.1:%d" % server.server_address[1]

app = Flask(__name__)
if not OTEL:
    from aws_xray_sdk.core import patch, xray_recorder
    from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

    xray_recorder.configure(service="shop", sampling=False, context_missing="IGNORE_ERROR", plugins=())
    patch(["requests"])
    XRayMiddleware(app, xray_recorder)


@app.route("/cart")
def cart():
    # One price request per item, and item 3 twice: an N+1 of remote calls with a repeated one in it.
    total = sum(requests.get(f"{prices}/prices/{item}").json()["price"] for item in ITEMS)
    return jsonify(total=total)


if not OTEL:

    @app.route("/report")
    def report():
        with xray_recorder.in_subsegment("render report"):
            time.sleep(0.3)
        return jsonify(ok=True)


client = app.test_client()
for p in PATHS:
    print(p, client.get(p).status_code, flush=True)
server.shutdown()
