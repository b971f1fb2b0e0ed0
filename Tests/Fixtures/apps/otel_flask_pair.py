"""A Flask front calling a Flask back with `requests`, the back running a sqlite3 `cursor.execute`, meant to be
started under `opentelemetry-instrument` with no OpenTelemetry configuration of its own: the exporter settings
come from the environment (`xray run` sets them, or the caller points them at `xray daemon`).

usage: otel_flask_pair.py [--xray-front | --otel-front-xray-back] PATH...   Starts the back as a second `opentelemetry-instrument` process
(service otel-back), serves the front in this one (its service name is whatever OTEL_SERVICE_NAME says), requests
each PATH of the front and prints one line per request: PATH STATUS. Both processes exit normally, so the SDK's
shutdown exports what it still holds. With --xray-front the front is traced by the X-Ray SDK instead (service
xray-front, run with plain python) and the back takes its X-Amzn-Trace-Id header through OTEL_PROPAGATORS=xray:
the migration case, one trace with both. With --otel-front-xray-back it is the other way round: the front is
traced by OpenTelemetry (started under opentelemetry-instrument with OTEL_PROPAGATORS=xray) and the back by the
X-Ray SDK (service xray-back, plain python).
"""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import requests
from flask import Flask
from opentelemetry import trace
from werkzeug.serving import make_server


def wait_for(port, process=None):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"the back exited early ({process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def back(port, xray=False):
    app = Flask("otel_back")
    if xray:
        from aws_xray_sdk.core import patch, xray_recorder
        from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

        xray_recorder.configure(service="xray-back", sampling=False, context_missing="LOG_ERROR", plugins=())
        patch(["sqlite3"])
        XRayMiddleware(app, xray_recorder)
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.cursor().execute("create table items (id integer primary key, name text)")
    db.cursor().execute("insert into items values (1, 'tea')")

    @app.route("/data")
    def data():
        cursor = db.cursor()
        cursor.execute("select name from items where id = ?", (1,))
        return {"name": cursor.fetchone()[0]}

    server = make_server("127.0.0.1", port, app, threaded=True)
    # The port chosen (port 0 picks one), for the front: a port picked before binding could be taken by another
    # process in between.
    print(server.server_port, flush=True)
    # SIGTERM ends serve_forever through SystemExit, so the SDK's atexit shutdown still exports; a parent that
    # started this process with SIGTERM blocked (a test runner's thread) must not keep it from arriving.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    server.serve_forever()


def front(paths, xray_front=False, xray_back=False):
    instrument = os.path.join(os.path.dirname(sys.executable), "opentelemetry-instrument")
    back_env = dict(os.environ, OTEL_SERVICE_NAME="otel-back")
    if xray_front:
        back_env["OTEL_PROPAGATORS"] = "xray"
    if xray_back:
        # The back is traced by the X-Ray SDK alone: plain python, and the front's X-Amzn-Trace-Id header.
        command = [sys.executable, __file__, "--xray-back", "0"]
    else:
        command = [instrument, sys.executable, __file__, "--back", "0"]
    child = subprocess.Popen(command, env=back_env, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if not line.strip().isdigit():
        sys.exit(f"the back did not report its port ({child.poll()})")
    back_port = int(line)
    app = Flask("otel_front")
    if xray_front:
        from aws_xray_sdk.core import patch, xray_recorder
        from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

        xray_recorder.configure(service="xray-front", sampling=False, context_missing="LOG_ERROR", plugins=())
        patch(["requests"])
        XRayMiddleware(app, xray_recorder)

    @app.route("/hello")
    def hello():
        if xray_front:
            xray_recorder.put_annotation("customer", "c42")
        else:
            span = trace.get_current_span()
            span.set_attribute("customer", "c42")
            span.set_attribute("aws.xray.annotations", ["customer"])
        name = requests.get(f"http://127.0.0.1:{back_port}/data", timeout=10).json()["name"]
        return {"hello": name}

    @app.route("/boom")
    def boom():
        raise ValueError("kaboom")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    front_port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for(back_port, child)
        wait_for(front_port)
        for p in paths:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{front_port}{p}", timeout=10).status
            except urllib.error.HTTPError as e:
                status = e.code
            print(p, status, flush=True)
    finally:
        server.shutdown()
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--back"]:
        back(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--xray-back"]:
        back(int(sys.argv[2]), xray=True)
    elif sys.argv[1:2] == ["--otel-front-xray-back"]:
        front(sys.argv[2:], xray_back=True)
    elif sys.argv[1:2] == ["--xray-front"]:
        front(sys.argv[2:], xray_front=True)
    else:
        front(sys.argv[1:])
