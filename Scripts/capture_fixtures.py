"""Capture real X-Ray SDK datagrams as fixtures, or send them to a running daemon.

usage: capture_fixtures.py OUT                      capture every scenario into OUT/<scenario>.jsonl
       capture_fixtures.py --against HOST:PORT NAME  run scenario NAME against a daemon (end-to-end tests)

Each scenario runs a small app instrumented with aws-xray-sdk. Captured, every datagram it sent is written
as received (header line, newline, document), one after the other: what `xray inspect import` reads.
"""
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

AGAINST = sys.argv[2] if len(sys.argv) > 3 and sys.argv[1] == "--against" else None
if AGAINST:
    sink = None
    PORT = int(AGAINST.rsplit(":", 1)[1])
    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = AGAINST
else:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(0.2)
    PORT = sink.getsockname()[1]
    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = f"127.0.0.1:{PORT}"
os.environ["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR"

from aws_xray_sdk.core import patch, xray_recorder  # noqa: E402
from aws_xray_sdk.core.sampling.local.sampler import LocalSampler  # noqa: E402

ALL = {"version": 2, "rules": [], "default": {"fixed_target": 1000, "rate": 1.0}}
xray_recorder.configure(sampling=True, sampler=LocalSampler(ALL), plugins=(), service="fixtures")
patch(("requests", "sqlite3"))

OUT = None if AGAINST else (sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/sdk")
if OUT:
    os.makedirs(OUT, exist_ok=True)


def drain(name):
    """Reads every datagram still queued and writes them to OUT/name.jsonl."""
    if sink is None:
        return 0
    time.sleep(0.3)
    grams = []
    while True:
        try:
            data, _ = sink.recvfrom(65536)
        except socket.timeout:
            break
        grams.append(data)
    if name is None:
        return len(grams)
    with open(os.path.join(OUT, name + ".jsonl"), "wb") as f:
        for g in grams:
            f.write(g.rstrip(b"\n") + b"\n")
    print(f"{name}: {len(grams)} datagrams")
    return len(grams)


class Downstream(BaseHTTPRequestHandler):
    """A plain HTTP server the apps call, so `requests` subsegments are real remote calls."""

    def do_GET(self):
        body = b'{"ok": true}'
        self.send_response(200 if "missing" not in self.path else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


downstream = HTTPServer(("127.0.0.1", 0), Downstream)
threading.Thread(target=downstream.serve_forever, daemon=True).start()
DOWN = f"http://127.0.0.1:{downstream.server_address[1]}"


def flask_scenario():
    import sqlite3

    import requests
    from flask import Flask, render_template_string

    from aws_xray_sdk.ext.flask.middleware import XRayMiddleware

    app = Flask("flask-fixture")
    xray_recorder.configure(service="flask-app")
    XRayMiddleware(app, xray_recorder)

    @app.route("/hello/<name>")
    def hello(name):
        seg = xray_recorder.current_segment()
        seg.put_annotation("user", name)
        seg.put_annotation("premium", True)
        seg.put_annotation("score", 42)
        seg.put_metadata("request", {"name": name}, "app")
        seg.set_user(name)
        with xray_recorder.in_subsegment("render") as sub:
            sub.put_annotation("template", "hello")
            html = render_template_string("<p>{{ n }}</p>", n=name)
        return html

    @app.route("/api/orders")
    def orders():
        requests.get(DOWN + "/inventory")
        db = sqlite3.connect(":memory:")
        db.execute("select 1").fetchall()
        db.close()
        return {"orders": []}

    @app.route("/fail")
    def fail():
        raise ValueError("kaboom")

    client = app.test_client()
    client.get("/hello/ada")
    client.get("/api/orders")
    client.get("/fail")
    client.get("/missing")
    drain("flask")


def django_scenario():
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF="__main__",
        SECRET_KEY="fixtures",
        INSTALLED_APPS=["aws_xray_sdk.ext.django", "django.contrib.contenttypes", "django.contrib.auth"],
        MIDDLEWARE=["aws_xray_sdk.ext.django.middleware.XRayMiddleware"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}],
        XRAY_RECORDER={
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{PORT}",
            "AUTO_INSTRUMENT": True,
            "AWS_XRAY_TRACING_NAME": "django-app",
            "SAMPLING": True,
            "SAMPLING_RULES": ALL,
            "PLUGINS": (),
        },
    )
    from aws_xray_sdk.core.context import Context

    xray_recorder.configure(context=Context())
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    globals()["urlpatterns"] = urlpatterns_factory()
    call_command("migrate", verbosity=0)
    assert drain(None) == 0, "migrations ran outside any segment and must send nothing"
    client = Client(raise_request_exception=False)
    client.get("/users/")
    client.get("/page/")
    client.get("/nowhere/")
    client.get("/crash/")
    drain("django")


def django_users(request):
    from django.contrib.auth.models import User
    from django.http import JsonResponse

    return JsonResponse({"users": list(User.objects.values_list("username", flat=True))})


def django_page(request):
    from django.template import engines
    from django.http import HttpResponse

    template = engines["django"].from_string("<p>{{ title }}</p>")
    return HttpResponse(template.render({"title": "hi"}))


def django_crash(request):
    raise RuntimeError("django boom")


def urlpatterns_factory():
    from django.urls import path

    return [path("users/", django_users), path("page/", django_page), path("crash/", django_crash)]


def aiohttp_scenario():
    import asyncio

    from aiohttp import ClientSession, web

    from aws_xray_sdk.core.async_context import AsyncContext
    from aws_xray_sdk.ext.aiohttp.client import aws_xray_trace_config
    from aws_xray_sdk.ext.aiohttp.middleware import middleware


    async def back_handler(request):
        return web.json_response({"stock": 3})

    async def front_handler(request):
        async with ClientSession(trace_configs=[aws_xray_trace_config()]) as session:
            async with session.get(request.app["back_url"] + "/stock") as resp:
                data = await resp.json()
        return web.json_response({"front": True, "back": data})

    async def main():
        # The context must belong to the loop asyncio.run creates.
        xray_recorder.configure(service="aiohttp-front", context=AsyncContext())
        async def serve(app):
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner, site._server.sockets[0].getsockname()[1]

        back = web.Application(middlewares=[middleware])
        back.router.add_get("/stock", back_handler)
        back_runner, back_port = await serve(back)
        front = web.Application(middlewares=[middleware])
        front["back_url"] = f"http://127.0.0.1:{back_port}"
        front.router.add_get("/checkout", front_handler)
        front_runner, front_port = await serve(front)

        async with ClientSession() as plain:
            async with plain.get(f"http://127.0.0.1:{front_port}/checkout") as resp:
                await resp.read()
        await front_runner.cleanup()
        await back_runner.cleanup()

    asyncio.run(main())
    drain("aiohttp")


def batch_scenario():
    from aws_xray_sdk.core.context import Context

    xray_recorder.configure(service="batch-job", context=Context(), streaming_threshold=5)

    @xray_recorder.capture("step")
    def step(i):
        time.sleep(0.001)
        return i

    segment = xray_recorder.begin_segment("nightly-batch")
    segment.put_annotation("job", "nightly")
    # An in-progress copy first, as long-running work sends (the SDK never does this on its own).
    xray_recorder.emitter.send_entity(segment)
    for i in range(8):
        step(i)
    try:
        with xray_recorder.in_subsegment("load") as outer:
            with xray_recorder.in_subsegment("parse"):
                raise KeyError("missing column")
    except KeyError:
        pass
    xray_recorder.end_segment()
    drain("batch")


SCENARIOS = {"flask": flask_scenario, "batch": batch_scenario, "aiohttp": aiohttp_scenario, "django": django_scenario}

if __name__ == "__main__":
    for name in [sys.argv[3]] if AGAINST else SCENARIOS:
        SCENARIOS[name]()
