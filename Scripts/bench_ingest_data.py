"""Generates SDK-sized segment documents for Scripts/bench-ingest.

argv: COUNT DOCS.jsonl ROWS.tsv. One document per datagram, each a trace of its own, shaped as the Python
SDK's Flask middleware and its requests and database patches send them (Tests/Fixtures/sdk/flask.jsonl): a
segment with http request/response, the aws.xray sdk block, service, annotations and metadata, and two
inline subsegments (an outgoing HTTP call and an SQL query), about 1.3 KB as compact JSON. ROWS.tsv holds the rows xray
derives from each document in the format of Scripts/bench_import_data.py, so Scripts/bench_import_baseline.c
inserts the same rows: D (document), E (entity, three per document), A (annotation), T (trace summary),
C (commit, every 4,000 documents, as in the earlier baselines; xray's writer commits up to 8,000 when its
queue is deep).
"""
import json
import random
import sys

from bench_rows import annotation_rows, entity_row, summary_row

count, docs_path, rows_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
BATCH = 4000
rng = random.Random(11)
routes = ["/api/orders", "/api/users/%d", "/api/cart/%d/items", "/checkout", "/hello/%d"]
downstream = ["http://inventory:8080/stock/%d", "http://pricing:8081/prices/%d", "http://users:8082/users/%d"]
queries = ["SELECT * FROM items WHERE id = ?", "UPDATE carts SET total = ? WHERE id = ?"]


def hexid(n=16):
    return "%0*x" % (n, rng.getrandbits(n * 4))


with open(docs_path, "w") as docs, open(rows_path, "w") as rows:
    for i in range(count):
        t0 = 1_795_000_000 + i * 0.02
        trace = "1-%08x-%s" % (int(t0), hexid(24))
        seg_id = hexid()
        status = rng.choice([200] * 17 + [404, 500, 429])
        call_start = t0 + rng.uniform(0.0002, 0.002)
        call_end = call_start + rng.uniform(0.002, 0.08)
        call = {
            "id": hexid(), "name": "inventory", "start_time": call_start, "parent_id": seg_id,
            "in_progress": False,
            "http": {"request": {"method": "GET", "url": rng.choice(downstream) % rng.randrange(100000)},
                     "response": {"status": 200}},
            "trace_id": trace, "type": "subsegment", "namespace": "remote", "end_time": call_end,
        }
        query_start = call_end + rng.uniform(0.0001, 0.001)
        query = {
            "id": hexid(), "name": "orders@db", "start_time": query_start, "parent_id": seg_id,
            "in_progress": False, "trace_id": trace, "type": "subsegment", "namespace": "remote",
            "sql": {"database_type": "PostgreSQL",
                    "sanitized_query": rng.choice(queries)},
            "end_time": query_start + rng.uniform(0.0005, 0.02),
        }
        route = rng.choice(routes)
        seg = {
            "id": seg_id, "name": "orders-api", "start_time": t0, "in_progress": False,
            "http": {"request": {"url": "http://orders%s" % (route % rng.randrange(10000) if "%" in route else route),
                                 "method": rng.choice(["GET", "GET", "POST"]), "user_agent": "curl/8.5.0",
                                 "client_ip": "10.0.%d.%d" % (rng.randrange(256), rng.randrange(256))},
                     "response": {"status": status, "content_length": rng.randrange(10, 2000)}},
            "annotations": {"tenant": "t%d" % rng.randrange(10), "premium": rng.random() < 0.1},
            "metadata": {"default": {"items": rng.randrange(50)}},
            "aws": {"xray": {"sdk": "X-Ray for Python", "sdk_version": "2.15.0"}},
            "subsegments": [call, query], "trace_id": trace,
            "service": {"runtime": "CPython", "runtime_version": "3.12.8"},
            "end_time": query["end_time"] + rng.uniform(0.0005, 0.01),
        }
        if status == 500:
            seg["fault"] = True
        elif status == 429:
            seg["error"] = seg["throttle"] = True
        elif status == 404:
            seg["error"] = True
        raw = json.dumps(seg, separators=(",", ":"))
        docs.write(raw + "\n")
        lines = ["\t".join(["D", trace, seg_id, "0", raw]), entity_row(seg, trace, None, 0),
                 entity_row(call, trace, seg_id, 1), entity_row(query, trace, seg_id, 1)]
        lines += annotation_rows(seg, trace)
        rows.write("\n".join(lines) + "\n")
        rows.write(summary_row(trace, seg["start_time"], seg, status, 3))
        if (i + 1) % BATCH == 0:
            rows.write("C\n")
    rows.write("C\n")
