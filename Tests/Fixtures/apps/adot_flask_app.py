"""A Flask app with no tracing code for AWS's OpenTelemetry distribution (aws-opentelemetry-distro) in Lambda mode:
run under `opentelemetry-instrument` with AWS_LAMBDA_FUNCTION_NAME set, ADOT exports its spans as `T1S` UDP
datagrams to AWS_XRAY_DAEMON_ADDRESS. /hello runs a sqlite3 `cursor.execute`; /boom raises.

usage: adot_flask_app.py PATH...   Requests each PATH through Flask's test client and prints: PATH STATUS.
"""
import sqlite3, sys
from flask import Flask
app = Flask(__name__)
@app.route("/hello")
def hello():
    c = sqlite3.connect(":memory:").cursor()
    c.execute("select 1")
    return {"ok": True}
@app.route("/boom")
def boom():
    raise ValueError("kaboom")
client = app.test_client()
for p in sys.argv[1:]:
    print(p, client.get(p).status_code, flush=True)
