import XRayWire

/// The ways `xray inspect show` prints one trace.
public enum TraceViewFormat: String, Sendable, CaseIterable {
    case tree, json, xray, waterfall, html
}

/// Renders assembled traces.
public enum TraceViews {
    /// One line per entity, indented under its parent.
    public static func tree(_ trace: TraceTree, style: TerminalStyle) -> String {
        let origin = trace.startTime
        var out = style.bold(trace.traceID) + "  " + style.dim("\(trace.entityCount) entities, \(Format.milliseconds(trace.endTime - trace.startTime)) ms") + "\n"
        func line(_ node: TraceNode, prefix: String, isLast: Bool, isRoot: Bool) {
            let e = node.entity
            var parts: [String] = []
            parts.append(style.bold(e.name))
            var kind = e.kind.name
            if let o = e.origin { kind += " " + o }
            if let n = e.namespace { kind += " " + n }
            parts.append(style.dim("[\(kind)]"))
            let offset = "+" + Format.milliseconds(e.startTime - origin) + "ms"
            let duration = e.duration.map { Format.milliseconds($0) + "ms" } ?? "…"
            parts.append(style.dim(offset) + " " + duration)
            if e.httpMethod != nil || e.httpURL != nil || e.httpStatus != nil {
                var http: [String] = []
                if let m = e.httpMethod { http.append(m) }
                if let u = e.httpURL { http.append(e.kind == .segment ? Format.path(ofURL: u) : u) }
                if let s = e.httpStatus { http.append(String(s)) }
                parts.append(http.joined(separator: " "))
            }
            if e.fault { parts.append(style.red("FAULT")) }
            if e.error { parts.append(style.yellow("ERROR")) }
            if e.throttle { parts.append(style.magenta("THROTTLE")) }
            if e.inProgress { parts.append(style.cyan("IN PROGRESS")) }
            if !e.annotations.isEmpty {
                parts.append(e.annotations.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: " "))
            }
            if let c = e.cause { parts.append(style.red(c)) }
            if let sql = e.sql { parts.append(style.dim("sql: " + sql)) }
            if let missing = node.missingParent { parts.append(style.dim("(parent \(missing) not stored)")) }
            for w in e.warnings { parts.append(style.yellow("warning: " + w)) }
            let branch = isRoot ? "" : (isLast ? "└─ " : "├─ ")
            out += prefix + branch + parts.joined(separator: "  ") + "\n"
            let childPrefix = isRoot ? prefix : prefix + (isLast ? "   " : "│  ")
            for (i, c) in node.children.enumerated() {
                line(c, prefix: childPrefix, isLast: i == node.children.count - 1, isRoot: false)
            }
        }
        for r in trace.roots { line(r, prefix: "", isLast: true, isRoot: true) }
        return out
    }

    /// `{"trace_id", "start_time", "end_time", "duration", "segments": [NODE...]}`, where each node is the
    /// entity's own fields as received plus `children` (and `missing_parent` on an orphaned root).
    public static func json(_ trace: TraceTree) -> JSONValue {
        func node(_ n: TraceNode) -> JSONValue {
            var o = n.fields
            o["children"] = .array(n.children.map(node))
            if let m = n.missingParent { o["missing_parent"] = .string(m) }
            return .object(o)
        }
        return .object(JSONObject([
            ("trace_id", .string(trace.traceID)),
            ("start_time", .number(JSONNumber(trace.startTime))),
            ("end_time", .number(JSONNumber(trace.endTime))),
            ("duration", .number(JSONNumber(roundMicro(trace.endTime - trace.startTime)))),
            ("segments", .array(trace.roots.map(node))),
        ]))
    }

    /// One trace in the `BatchGetTraces` shape: one Document string per segment, subsegments embedded,
    /// streamed ones merged back in (reference 6).
    public static func batchGetTrace(_ trace: TraceTree) -> JSONValue {
        var documents: [JSONValue] = []
        func embed(_ n: TraceNode) -> JSONObject {
            var o = n.fields
            let subs = n.children.filter { $0.entity.kind == .subsegment }
            if !subs.isEmpty { o["subsegments"] = .array(subs.map { .object(embed($0)) }) }
            for child in n.children where child.entity.kind == .segment { emitDocument(child) }
            return o
        }
        func emitDocument(_ n: TraceNode) {
            let index = documents.count
            documents.append(.null)
            let doc = embed(n)
            documents[index] = .object(JSONObject([("Id", .string(n.entity.id)), ("Document", .string(JSONWriter.string(.object(doc))))]))
        }
        for r in trace.roots { emitDocument(r) }
        return .object(JSONObject([
            ("Id", .string(trace.traceID)),
            ("Duration", .number(JSONNumber(roundMicro(trace.endTime - trace.startTime)))),
            ("LimitExceeded", .bool(false)),
            ("Segments", .array(documents)),
        ]))
    }

    /// The whole `BatchGetTraces` response for several traces.
    public static func batchGetTraces(_ traces: [TraceTree], unprocessed: [String] = []) -> JSONValue {
        .object(JSONObject([
            ("Traces", .array(traces.map(batchGetTrace))),
            ("UnprocessedTraceIds", .array(unprocessed.map { .string($0) })),
        ]))
    }

    static func roundMicro(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1_000_000 }
}
