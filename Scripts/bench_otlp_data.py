"""Generates the OTLP/HTTP protobuf bodies for Scripts/bench-otlp.

argv: SPANS BODIES.bin. Traces of 3 spans, shaped like what opentelemetry-instrumentation-flask, -requests and
-sqlite3 0.66b1 emit for a Flask handler that reads SQLite and calls another service, with
OTEL_SEMCONV_STABILITY_OPT_IN=http/dup (old and new HTTP attribute names side by side): a SERVER span, a CLIENT
span from requests and a CLIENT db span from sqlite3. Spans are batched as the SDK's BatchSpanProcessor
exports them: in the order they end, up to 512 (OTEL_BSP_MAX_EXPORT_BATCH_SIZE) per ExportTraceServiceRequest,
one ResourceSpans and one ScopeSpans per instrumentation, as opentelemetry-exporter-otlp-proto-common's
encode_spans groups them. One in 50 requests fails with a 500 and an exception event.

BODIES.bin holds each request as a little-endian uint32 span count, a uint32 length and the protobuf body.
"""
import random
import struct
import sys
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

spans_wanted, out_path = int(sys.argv[1]), sys.argv[2]
BATCH = 512
rng = random.Random(14)
VERSION = "0.66b1"
SCHEMA = "https://opentelemetry.io/schemas/1.11.0"
SCOPES = ["opentelemetry.instrumentation.flask", "opentelemetry.instrumentation.requests",
          "opentelemetry.instrumentation.sqlite3"]
RESOURCE = {
    "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "1.45.1",
    "service.name": "shop", "telemetry.auto.version": VERSION, "service.version": "2.4.1",
    "deployment.environment": "dev", "host.name": "dev-laptop", "process.pid": 48213,
    "process.runtime.name": "cpython", "process.runtime.version": "3.11.2",
}
ROUTES = [("/api/orders/<int:order_id>", "/api/orders/%d", "SELECT id, status, total FROM orders WHERE id = ?"),
          ("/api/users/<int:user_id>", "/api/users/%d", "SELECT id, name, email FROM users WHERE id = ?"),
          ("/api/cart/<int:cart_id>", "/api/cart/%d", "SELECT sku, quantity FROM cart_items WHERE cart_id = ?")]
STACK = ('Traceback (most recent call last):\n  File "/srv/shop/app.py", line 41, in order\n'
         '    raise ValueError("order %d is locked")\nValueError: order %d is locked\n')


def value(v):
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    return AnyValue(string_value=v)


def attributes(target, pairs):
    target.extend(KeyValue(key=k, value=value(v)) for k, v in pairs.items())


def trace_spans(now_ns):
    """The three spans of one request, in the order they end: sqlite3, requests, Flask."""
    trace_id = rng.randbytes(16)
    server_id, client_id, db_id = rng.randbytes(8), rng.randbytes(8), rng.randbytes(8)
    route, path_format, statement = rng.choice(ROUTES)
    item = rng.randrange(1, 100000)
    path = path_format % item
    fails = rng.randrange(50) == 0
    status = 500 if fails else 200
    start = now_ns - rng.randrange(1, 10**9)
    db_start = start + 300_000
    db_end = db_start + rng.randrange(50_000, 2_000_000)
    client_start = db_end + 100_000
    client_end = client_start + rng.randrange(1_000_000, 20_000_000)
    server_end = client_end + rng.randrange(50_000, 5_000_000)
    peer_port = rng.randrange(40000, 60000)

    db = Span(trace_id=trace_id, span_id=db_id, parent_span_id=server_id, name=statement.split()[0],
              kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=db_start, end_time_unix_nano=db_end, flags=0x100)
    attributes(db.attributes, {"db.system": "sqlite", "db.name": "shop.db", "db.statement": statement})

    inventory = "http://inventory.internal:8080/api/stock/%d" % item
    client = Span(trace_id=trace_id, span_id=client_id, parent_span_id=server_id, name="GET",
                  kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=client_start, end_time_unix_nano=client_end,
                  flags=0x100)
    attributes(client.attributes, {
        "http.method": "GET", "http.request.method": "GET", "http.url": inventory, "url.full": inventory,
        "server.address": "inventory.internal", "server.port": 8080, "http.status_code": 200,
        "http.response.status_code": 200})

    server = Span(trace_id=trace_id, span_id=server_id, name="GET " + route, kind=Span.SPAN_KIND_SERVER,
                  start_time_unix_nano=start, end_time_unix_nano=server_end, flags=0x100)
    attributes(server.attributes, {
        "http.method": "GET", "http.request.method": "GET", "http.server_name": "127.0.0.1", "http.scheme": "http",
        "url.scheme": "http", "net.host.name": "127.0.0.1", "http.host": "127.0.0.1:5077",
        "server.address": "127.0.0.1:5077", "net.host.port": 5077, "server.port": 5077, "http.target": path,
        "url.path": path, "net.peer.ip": "127.0.0.1", "client.address": "127.0.0.1", "net.peer.port": peer_port,
        "client.port": peer_port, "http.user_agent": "python-requests/2.34.2",
        "user_agent.original": "python-requests/2.34.2", "http.flavor": "1.1", "network.protocol.version": "1.1",
        "http.route": route, "http.status_code": status, "http.response.status_code": status})
    if fails:
        attributes(server.attributes, {"error.type": "500"})
        event = server.events.add(time_unix_nano=server_end - 10_000, name="exception")
        attributes(event.attributes, {
            "exception.type": "ValueError", "exception.message": "order %d is locked" % item,
            "exception.stacktrace": STACK % (item, item), "exception.escaped": "False"})
        server.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="ValueError: order %d is locked" % item))
    return [(2, db), (1, client), (0, server)]


def body(batch):
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add(schema_url=SCHEMA)
    attributes(resource_spans.resource.attributes, RESOURCE)
    by_scope = {}
    for scope, span in batch:
        by_scope.setdefault(scope, []).append(span)
    for scope in sorted(by_scope):
        scope_spans = resource_spans.scope_spans.add(schema_url=SCHEMA)
        scope_spans.scope.name, scope_spans.scope.version = SCOPES[scope], VERSION
        scope_spans.spans.extend(by_scope[scope])
    return request.SerializeToString()


now_ns = time.time_ns()
with open(out_path, "wb") as out:
    pending = []
    made = 0
    while made < spans_wanted:
        for span in trace_spans(now_ns):
            if made < spans_wanted:
                pending.append(span)
                made += 1
        while len(pending) >= BATCH or (made == spans_wanted and pending):
            batch, pending = pending[:BATCH], pending[BATCH:]
            data = body(batch)
            out.write(struct.pack("<II", len(batch), len(data)) + data)
