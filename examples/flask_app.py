"""A small Flask app instrumented with the AWS X-Ray SDK for Python, as its docs show.

Run it with AWS_XRAY_DAEMON_ADDRESS pointing at `xray daemon` (Scripts/demo does): it serves three
requests through Flask's test client and every segment goes to the daemon over UDP.
"""
import sqlite3

from flask import Flask

from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

app = Flask(__name__)
xray_recorder.configure(service="shop", sampling=False)  # every request, not the SDK's 1 a second + 5%
XRayMiddleware(app, xray_recorder)  # AWS_XRAY_DAEMON_ADDRESS is read from the environment
patch(("sqlite3",))  # or patch_all(): requests, sqlite3, ... calls become subsegments
app.logger.disabled = True  # the /checkout failure is the point; its traceback is noise here


@app.route("/orders/<user>")
def orders(user):
    xray_recorder.current_segment().put_annotation("user", user)
    with xray_recorder.in_subsegment("load-orders"):
        db = sqlite3.connect(":memory:")
        db.execute("create table orders(id integer, user text)")
        db.execute("insert into orders values (1, ?)", (user,))
        rows = db.execute("select id from orders where user = ?", (user,)).fetchall()
        db.close()
    return {"user": user, "orders": [r[0] for r in rows]}


@app.route("/checkout")
def checkout():
    raise RuntimeError("payment service unavailable")


if __name__ == "__main__":
    client = app.test_client()
    for path in ["/orders/ada", "/orders/grace", "/checkout"]:
        print(path, client.get(path).status_code)
