"""Generates realistic segment documents for Scripts/bench-import.

argv: COUNT DOCS.jsonl ROWS.tsv [--streamed K[,K...]] [--entities N]. Each trace is a segment document
with HTTP, annotations and three inline subsegments (remote call, SQL, local work: 4 entities), then K
streamed subsegment documents with a nested child (2 entities each); K is 9 unless --streamed gives a
list, which later traces cycle through (`2,3`: 7 documents and 18 entities per two traces, 2.57 entities
a document). Generation stops after COUNT documents or, with --entities, at the first document that
reaches N entities. The first trace has exactly 50 entities (31 inline subsegments, 9 streamed).
With --counts, prints `documents entities traces` on stdout. ROWS.tsv holds the rows xray derives from each document, so the
C baseline inserts the same rows without parsing JSON: D (document), E (entity), A (annotation),
T (trace summary), C (commit, every 4,000 documents as xray commits).
"""
import argparse
import json
import random

from bench_rows import annotation_rows, entity_row, summary_row

parser = argparse.ArgumentParser()
parser.add_argument("count", type=int)
parser.add_argument("docs_path")
parser.add_argument("rows_path")
parser.add_argument("--streamed", default="9", help="streamed subsegment documents per trace, a comma-separated cycle")
parser.add_argument("--entities", type=int, default=None, help="stop once this many entities are written")
parser.add_argument("--counts", action="store_true", help="print the documents, entities and traces written")
args = parser.parse_args()
count, docs_path, rows_path = args.count, args.docs_path, args.rows_path
streamed_cycle = [int(k) for k in args.streamed.split(",")]
max_entities = args.entities
# Documents per transaction in the baseline: the same as xray's import and daemon writer.
BATCH = 4000
rng = random.Random(7)
services = ["front", "orders", "users", "payments", "inventory"]
paths = ["/api/orders", "/api/users/42", "/health", "/api/cart", "/checkout"]


def hexid(n=16):
    return "%0*x" % (n, rng.getrandbits(n * 4))


def entity_rows(e, trace, parent, kind, out, ann):
    out.append(entity_row(e, trace, parent, kind))
    ann.extend(annotation_rows(e, trace))
    for s in e.get("subsegments", []):
        entity_rows(s, trace, e["id"], 1, out, ann)


def subsegment(name, start, extra=None):
    s = {"id": hexid(), "name": name, "start_time": start, "end_time": start + rng.uniform(0.001, 0.05),
         "namespace": "local", "in_progress": False}
    if extra:
        s.update(extra)
    return s


with open(docs_path, "w") as docs, open(rows_path, "w") as rows:
    written = 0
    total_entities = 0
    trace_index = 0
    batch = 0

    def done():
        return written >= count or (max_entities is not None and total_entities >= max_entities)

    while not done():
        t0 = 1_795_000_000 + trace_index * 0.5
        trace = "1-%08x-%s" % (int(t0), hexid(24))
        svc = services[trace_index % len(services)]
        seg_id = hexid()
        status = rng.choice([200] * 17 + [404, 500, 429])
        inline = 31 if trace_index == 0 else 3
        subs = []
        for i in range(inline):
            kind = i % 3
            if kind == 0:
                subs.append(subsegment("orders", t0 + 0.001, {"namespace": "remote", "http": {
                    "request": {"method": "GET", "url": "http://orders:8080/api/items"}, "response": {"status": 200, "content_length": 512}}}))
            elif kind == 1:
                subs.append(subsegment("db@localhost", t0 + 0.002, {"namespace": "remote", "sql": {
                    "sanitized_query": "SELECT * FROM items WHERE id = ?", "database_type": "PostgreSQL", "url": "db@localhost"}}))
            else:
                subs.append(subsegment("render", t0 + 0.003))
        seg = {
            "id": seg_id, "name": svc, "start_time": t0, "in_progress": False,
            "http": {"request": {"url": "http://%s.local%s" % (svc, rng.choice(paths)), "method": rng.choice(["GET", "POST"]),
                                 "user_agent": "python-requests/2.34", "client_ip": "127.0.0.1"},
                     "response": {"status": status, "content_length": 1024}},
            "annotations": {"user": "u%d" % rng.randrange(1000), "tenant": "t%d" % rng.randrange(10), "premium": rng.random() < 0.1},
            "metadata": {"default": {"request": {"headers": {"accept": "application/json"}, "size": rng.randrange(10000)}}},
            "aws": {"xray": {"sdk": "X-Ray for Python", "sdk_version": "2.15.0"}},
            "service": {"runtime": "CPython", "runtime_version": "3.11.7"},
            "trace_id": trace, "subsegments": subs, "end_time": t0 + rng.uniform(0.05, 3.0),
        }
        if status == 500:
            seg["fault"] = True
        elif status == 429:
            seg["error"] = seg["throttle"] = True
        elif status == 404:
            seg["error"] = True
        documents = [(seg, None, 0)]
        streamed = 9 if trace_index == 0 else streamed_cycle[(trace_index - 1) % len(streamed_cycle)]
        for i in range(streamed):
            s = subsegment("step", t0 + 0.01 * i, {"trace_id": trace, "parent_id": seg_id, "type": "subsegment",
                                                   "subsegments": [subsegment("inner", t0 + 0.01 * i)]})
            documents.append((s, seg_id, 1))
        entity_lines, ann_lines = [], []
        ends, n_entities = [], 0
        for d, parent, kind in documents:
            if done():
                break
            raw = json.dumps(d)
            docs.write(raw + "\n")
            rows.write("\t".join(["D", trace, d["id"], "0", raw]) + "\n")
            e_rows, a_rows = [], []
            entity_rows(d, trace, parent, kind, e_rows, a_rows)
            n_entities += len(e_rows)
            total_entities += len(e_rows)
            rows.write("\n".join(e_rows + a_rows) + "\n")
            written += 1
            batch += 1
            if batch == BATCH:
                rows.write(summary_row(trace, t0, seg, status, n_entities))
                rows.write("C\n")
                batch = 0
        rows.write(summary_row(trace, t0, seg, status, n_entities))
        trace_index += 1
    rows.write("C\n")
if args.counts:
    print(written, total_entities, trace_index)
