"""A Flask app with no tracing code, meant to run under `opentelemetry-instrument` (Flask and requests
instrumentations), whose /cart view fetches each item's price from a second HTTP server with `requests`, one
call per item and the same item twice: remote-call evidence for `xray inspect insights` from OpenTelemetry
spans.

usage: otel_flask_calls_site.py PATH...   Prints one line per request: PATH STATUS. The price server (plain
http.server, not instrumented) listens on a free port of 127.0.0.1 for the script's lifetime; the Flask app is
requested through its test client.
"""
import http.server
import sys
import threading

import requests
from flask import Flask, jsonify

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


@app.route("/cart")
def cart():
    # One price request per item, and item 3 twice: an N+1 of remote calls with a repeated one in it.
    total = sum(requests.get(f"{prices}/prices/{item}").json()["price"] for item in ITEMS)
    return jsonify(total=total)


client = app.test_client()
for p in sys.argv[1:]:
    print(p, client.get(p).status_code, flush=True)
server.shutdown()
