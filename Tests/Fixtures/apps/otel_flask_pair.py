"""A Flask front calling a Flask back with `requests`, the back running a sqlite3 `cursor.execute`, meant to be
started under `opentelemetry-instrument` with no OpenTelemetry configuration of its own: the exporter settings
come from the environment (`xray run` sets them, or the caller points them at `xray daemon`).

usage: otel_flask_pair.py PATH...   Starts the back as a second `opentelemetry-instrument` process (service
otel-back), serves the front in this one (its service name is whatever OTEL_SERVICE_NAME says), requests each
PATH of the front and prints one line per request: PATH STATUS. Both processes exit normally, so the SDK's
shutdown exports what it still holds.
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def back(port):
    app = Flask("otel_back")
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.cursor().execute("create table items (id integer primary key, name text)")
    db.cursor().execute("insert into items values (1, 'tea')")

    @app.route("/data")
    def data():
        cursor = db.cursor()
        cursor.execute("select name from items where id = ?", (1,))
        return {"name": cursor.fetchone()[0]}

    server = make_server("127.0.0.1", port, app, threaded=True)
    # SIGTERM ends serve_forever through SystemExit, so the SDK's atexit shutdown still exports; a parent that
    # started this process with SIGTERM blocked (a test runner's thread) must not keep it from arriving.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    server.serve_forever()


def front(paths):
    back_port, front_port = free_port(), free_port()
    instrument = os.path.join(os.path.dirname(sys.executable), "opentelemetry-instrument")
    child = subprocess.Popen([instrument, sys.executable, __file__, "--back", str(back_port)],
                             env=dict(os.environ, OTEL_SERVICE_NAME="otel-back"))
    app = Flask("otel_front")

    @app.route("/hello")
    def hello():
        span = trace.get_current_span()
        span.set_attribute("customer", "c42")
        span.set_attribute("aws.xray.annotations", ["customer"])
        name = requests.get(f"http://127.0.0.1:{back_port}/data", timeout=10).json()["name"]
        return {"hello": name}

    @app.route("/boom")
    def boom():
        raise ValueError("kaboom")

    server = make_server("127.0.0.1", front_port, app, threaded=True)
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
    else:
        front(sys.argv[1:])
