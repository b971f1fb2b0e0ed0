"""The rows xray stores for a segment document, as the plain C baselines of Scripts/bench-import and
Scripts/bench-ingest insert them (tab-separated lines read by bench_import_baseline.c): E for an entity,
A for an annotation, T for a trace summary."""


def esc(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def entity_row(e, trace, parent, kind):
    http = e.get("http", {})
    req, resp = http.get("request", {}), http.get("response", {})
    sql = e.get("sql", {}).get("sanitized_query")
    cause = None
    if "cause" in e:
        ex = e["cause"]["exceptions"][0]
        cause = f"{ex['type']}: {ex['message']}"
    return "\t".join(esc(v) for v in [
        "E", trace, e["id"], parent, kind, e["name"], e.get("origin"), e.get("namespace"), e["start_time"],
        e.get("end_time"), 0, e.get("error", False), e.get("fault", False), e.get("throttle", False),
        req.get("method"), req.get("url"), resp.get("status"), req.get("user_agent"), req.get("client_ip"),
        e.get("user"), sql, cause])


def annotation_rows(e, trace):
    rows = []
    for k, v in e.get("annotations", {}).items():
        t = 2 if isinstance(v, bool) else 1 if isinstance(v, (int, float)) else 0
        rows.append("\t".join(["A", trace, e["id"], k, str(t), esc(v)]))
    return rows


def summary_row(trace, t0, seg, status, n_entities):
    """The trace summary row xray keeps."""
    values = [t0, seg["end_time"], seg["end_time"] - t0, seg["end_time"] - t0, seg["id"], seg["name"], None,
              seg["http"]["request"]["method"], seg["http"]["request"]["url"], status, seg.get("error", False),
              seg.get("fault", False), seg.get("throttle", False), False, n_entities, 0]
    return "T\t%s\t%s\n" % (trace, "\t".join(esc(v) for v in values))
