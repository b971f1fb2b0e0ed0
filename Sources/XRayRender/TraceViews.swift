import XRayWire

/// The ways `xray inspect show` prints one trace.
public enum TraceViewFormat: String, Sendable, CaseIterable {
    case tree, json, xray, waterfall, html
}

/// Renders assembled traces.
public enum TraceViews {
    /// Tree levels drawn with their own indentation; deeper lines keep this indentation and say their depth,
    /// so a `parent_id` chain thousands deep prints in time and space linear in its length.
    public static let maxIndent = 32

    /// Tree levels nested inside one another in JSON output; see `json` and `batchGetTrace`. Twice this (an
    /// object and an array a level) stays well under the nesting JSON readers accept (256 for xray's own).
    public static let maxNesting = 64

    /// One line per entity, indented under its parent.
    public static func tree(_ trace: TraceTree, style: TerminalStyle) -> String {
        let origin = trace.startTime
        var out =
            style.bold(trace.traceID) + "  "
            + style.dim(Wording.count(trace.entityCount, "entity", "entities") + ", \(Durations.milliseconds(trace.endTime - trace.startTime)) ms") + "\n"
        // prefixes[d]: what goes before the branch of a line at depth d, for the ancestors of the current entry.
        var prefixes = [""]
        for (i, entry) in trace.entries.enumerated() {
            let e = entry.entity
            let x = TerminalText.escape
            var parts: [String] = []
            parts.append(style.bold(x(e.name)))
            var kind = e.kind.name
            if let o = e.origin { kind += " " + o }
            if let n = e.namespace { kind += " " + n }
            parts.append(style.dim("[\(x(kind))]"))
            let offset = "+" + Durations.milliseconds(e.startTime - origin) + "ms"
            let duration = e.duration.map { Durations.milliseconds($0) + "ms" } ?? "…"
            parts.append(style.dim(offset) + " " + duration)
            if e.httpMethod != nil || e.httpURL != nil || e.httpStatus != nil {
                var http: [String] = []
                if let m = e.httpMethod { http.append(m) }
                if let u = e.httpURL { http.append(e.kind == .segment ? URLPath.target(of: u) : u) }
                if let s = e.httpStatus { http.append(String(s)) }
                parts.append(x(http.joined(separator: " ")))
            }
            if e.fault { parts.append(style.red("FAULT")) }
            if e.error { parts.append(style.yellow("ERROR")) }
            if e.throttle { parts.append(style.magenta("THROTTLE")) }
            if e.inProgress { parts.append(style.cyan("IN PROGRESS")) }
            if !e.annotations.isEmpty {
                parts.append(x(e.annotations.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: " ")))
            }
            if let c = e.cause { parts.append(style.red(x(c))) }
            if let sql = e.sql { parts.append(style.dim("sql: " + x(sql))) }
            if let missing = entry.missingParent { parts.append(style.dim("(parent \(x(missing)) not stored)")) }
            for w in e.warnings { parts.append(style.yellow("warning: " + x(w))) }
            let isRoot = entry.parent == nil
            let isLast = entry.parent.map { trace.entries[$0].children.last == i } ?? true
            let shown = min(entry.depth, maxIndent)
            let prefix = prefixes[shown]
            let branch = isRoot ? "" : (isLast ? "└─ " : "├─ ")
            let deep = entry.depth > maxIndent ? style.dim("[depth \(entry.depth)] ") : ""
            out += prefix + branch + deep + parts.joined(separator: "  ") + "\n"
            if entry.depth < maxIndent {
                prefixes.removeSubrange((entry.depth + 1)...)
                prefixes.append(isRoot ? prefix : prefix + (isLast ? "   " : "│  "))
            }
        }
        return out
    }

    /// `{"trace_id", "start_time", "end_time", "duration", "segments": [NODE...]}`, where each node is the
    /// entity's own fields as received plus `children` (and `missing_parent` on an orphaned root).
    ///
    /// A node `maxNesting` levels down is not nested further: it is listed in `segments` after the tree it
    /// belongs to, with `nested_in` naming its parent, so the output stays readable whatever the depth.
    public static func json(_ trace: TraceTree) -> JSONValue {
        let entries = trace.entries
        let detached = entries.map { $0.depth > 0 && $0.depth % maxNesting == 0 }
        // Bottom-up (children come after their parent in `entries`), so no recursion and no copies per level.
        var built = [JSONValue](repeating: .null, count: entries.count)
        for i in entries.indices.reversed() {
            var o = entries[i].fields
            var children: [JSONValue] = []
            for c in entries[i].children where !detached[c] {
                children.append(built[c])
                built[c] = .null
            }
            o["children"] = .array(children)
            if let m = entries[i].missingParent { o["missing_parent"] = .string(m) }
            if detached[i], let p = entries[i].parent { o["nested_in"] = .string(entries[p].entity.id) }
            built[i] = .object(o)
        }
        var segments: [JSONValue] = []
        for i in entries.indices where entries[i].parent == nil || detached[i] {
            segments.append(built[i])
        }
        return .object(
            JSONObject([
                ("trace_id", .string(trace.traceID)),
                ("start_time", .number(JSONNumber(trace.startTime))),
                ("end_time", .number(JSONNumber(trace.endTime))),
                ("duration", .number(JSONNumber(roundMicro(trace.endTime - trace.startTime)))),
                ("segments", .array(segments)),
            ]))
    }

    /// One trace in the `BatchGetTraces` shape: one Document string per segment, subsegments embedded,
    /// streamed ones merged back in (BatchGetTraces in the X-Ray API reference).
    ///
    /// A subsegment `maxNesting` levels below its document's top gets a Document of its own, in the form of a
    /// subsegment sent alone (`type`, `trace_id`, `parent_id`), so no Document nests deeper than that.
    public static func batchGetTrace(_ trace: TraceTree) -> JSONValue {
        let entries = trace.entries
        var level = [Int](repeating: 0, count: entries.count)
        var isTop = [Bool](repeating: true, count: entries.count)
        for i in entries.indices {
            guard entries[i].entity.kind == .subsegment, let p = entries[i].parent, level[p] + 1 < maxNesting else { continue }
            isTop[i] = false
            level[i] = level[p] + 1
        }
        var built = [JSONObject](repeating: JSONObject(), count: entries.count)
        for i in entries.indices.reversed() {
            var o = entries[i].fields
            var subs: [JSONValue] = []
            for c in entries[i].children where !isTop[c] {
                subs.append(.object(built[c]))
                built[c] = JSONObject()
            }
            if !subs.isEmpty { o["subsegments"] = .array(subs) }
            if isTop[i], entries[i].entity.kind == .subsegment, let p = entries[i].parent {
                o["type"] = .string("subsegment")
                o["trace_id"] = .string(trace.traceID)
                o["parent_id"] = .string(entries[p].entity.id)
            }
            built[i] = o
        }
        var documents: [JSONValue] = []
        for i in entries.indices where isTop[i] {
            documents.append(.object(JSONObject([("Id", .string(entries[i].entity.id)), ("Document", .string(JSONWriter.string(.object(built[i]))))])))
        }
        return .object(
            JSONObject([
                ("Id", .string(trace.traceID)),
                ("Duration", .number(JSONNumber(roundMicro(trace.endTime - trace.startTime)))),
                ("LimitExceeded", .bool(false)),
                ("Segments", .array(documents)),
            ]))
    }

    /// The whole `BatchGetTraces` response for several traces.
    public static func batchGetTraces(_ traces: [TraceTree], unprocessed: [String] = []) -> JSONValue {
        .object(
            JSONObject([
                ("Traces", .array(traces.map(batchGetTrace))),
                ("UnprocessedTraceIds", .array(unprocessed.map { .string($0) })),
            ]))
    }

    static func roundMicro(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1_000_000 }
}
