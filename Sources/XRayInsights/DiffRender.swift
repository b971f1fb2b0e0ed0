import XRayRender
import XRayWire

/// How `diff` prints a comparison.
package enum DiffFormat: String, Sendable, CaseIterable {
    case table, json, markdown
}

extension RunComparison {
    /// The columns of the tables, in order.
    static let columns: [DiffMetric] = DiffMetric.allCases

    package func render(_ format: DiffFormat, violations: [Violation] = []) -> String {
        switch format {
        case .table: table(violations, markdown: false)
        case .markdown: table(violations, markdown: true)
        case .json: JSONWriter.prettyString(json(violations)) + "\n"
        }
    }

    /// `12.0 → 15.0 (+3.0, +25%)`; one side alone when the endpoint is new or vanished.
    static func cell(_ e: EndpointComparison, _ m: DiffMetric) -> String {
        switch (e.a, e.b) {
        case (let a?, let b?):
            guard let c = e.change(m) else { return "" }
            return value(a[m], m) + " → " + value(b[m], m) + " (" + signed(c.absolute) + ", " + percent(c.percent) + ")"
        case (let a?, nil): return value(a[m], m) + " → -"
        case (nil, let b?): return "- → " + value(b[m], m)
        case (nil, nil): return ""
        }
    }

    static func value(_ v: Double, _ m: DiffMetric) -> String {
        m == .requests ? trim(v) : fixed(v, decimals: m == .p50 || m == .p95 || m == .max ? 1 : 2)
    }

    static func signed(_ v: Double) -> String { (v > 0 ? "+" : "") + trim((v * 100).rounded() / 100) }

    static func percent(_ p: Double) -> String {
        guard p.isFinite else { return p > 0 ? "+∞%" : "-∞%" }
        return (p > 0 ? "+" : "") + fixed(p, decimals: 0) + "%"
    }

    /// For people: one row per endpoint and a column per metric; markdown for a pull-request comment.
    func table(_ violations: [Violation], markdown: Bool) -> String {
        func text(_ s: String) -> String { markdown ? TextTable.markdownCell(s) : TerminalText.escape(s) }
        func path(_ p: [String]) -> String { p.map(text).joined(separator: " > ") }
        let header = ["endpoint"] + Self.columns.map { $0.rawValue + ($0.unit.isEmpty ? "" : " (\($0.unit))") }
        let rows = (endpoints + [total]).map { e in
            [e.endpoint + (e.a == nil ? " (new)" : e.b == nil ? " (vanished)" : "")] + Self.columns.map { Self.cell(e, $0) }
        }
        var out = markdown ? TextTable.markdown(header: header, rows: rows) : TextTable.render(header: header, rows: rows)
        if skipped.a + skipped.b > 0 {
            out += (markdown ? "\n" : "") + "traces without an HTTP root, not counted: \(skipped.a) in A, \(skipped.b) in B\n"
        }
        for name in added { out += (markdown ? "\n- " : "") + "new endpoint: " + text(name) + "\n" }
        for name in vanished { out += (markdown ? "\n- " : "") + "vanished endpoint: " + text(name) + "\n" }
        if let s = structure {
            let bullet = markdown ? "- " : "  "
            out += markdown ? "\n**Trace structure**\n\n" : "\ntrace structure:\n"
            if s.added.isEmpty && s.removed.isEmpty && s.slower.isEmpty { out += bullet + "the same entities, none slower\n" }
            for p in s.added { out += bullet + "added: " + path(p) + "\n" }
            for p in s.removed { out += bullet + "removed: " + path(p) + "\n" }
            for c in s.slower {
                out += bullet + "slower: " + path(c.path) + " " + Durations.short(c.a) + " → " + Durations.short(c.b) + "\n"
            }
        }
        if !violations.isEmpty {
            out += markdown ? "\n**Failed checks**\n\n" : "\nfailed checks:\n"
            for v in violations { out += (markdown ? "- " + text(Self.describe(v)) : "  " + Self.describe(v)) + "\n" }
        }
        return out
    }

    /// `GET /books/{id}: sql_per_request 7.00 → 2.00 (-5, -71%) crosses sql_per_request > +20%`.
    package static func describe(_ v: Violation) -> String {
        TerminalText.escape(v.endpoint) + ": " + v.rule.metric.rawValue + " " + value(v.a, v.rule.metric) + " → "
            + value(v.b, v.rule.metric) + " (" + signed(v.change.absolute) + ", " + percent(v.change.percent)
            + ") crosses " + v.rule.description
    }

    func json(_ violations: [Violation]) -> JSONValue {
        func stats(_ s: EndpointStats?) -> JSONValue {
            guard let s else { return .null }
            return .object(JSONObject(Self.columns.map { ($0.rawValue, number(s[$0])) }))
        }
        func endpoint(_ e: EndpointComparison) -> JSONValue {
            var change: [(key: String, value: JSONValue)] = []
            for m in Self.columns {
                guard let c = e.change(m) else { continue }
                change.append(
                    (
                        m.rawValue,
                        .object(
                            JSONObject([
                                ("absolute", number(c.absolute)),
                                ("percent", c.percent.isFinite ? number(c.percent) : .null),
                            ]))
                    ))
            }
            return .object(
                JSONObject([
                    ("endpoint", .string(e.endpoint)), ("a", stats(e.a)), ("b", stats(e.b)),
                    ("change", e.a != nil && e.b != nil ? .object(JSONObject(change)) : .null),
                ]))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("endpoints", .array(endpoints.map(endpoint))),
            ("total", endpoint(total)),
            ("new_endpoints", .array(added.map { .string($0) })),
            ("vanished_endpoints", .array(vanished.map { .string($0) })),
            ("skipped_traces", .object(JSONObject([("a", .number(JSONNumber(skipped.a))), ("b", .number(JSONNumber(skipped.b)))]))),
        ]
        if let s = structure {
            members.append(
                (
                    "structure",
                    .object(
                        JSONObject([
                            ("added", .array(s.added.map { .array($0.map { .string($0) }) })),
                            ("removed", .array(s.removed.map { .array($0.map { .string($0) }) })),
                            (
                                "slower",
                                .array(
                                    s.slower.map { c in
                                        .object(
                                            JSONObject([
                                                ("path", .array(c.path.map { .string($0) })),
                                                ("a_ms", number(c.a * 1000)), ("b_ms", number(c.b * 1000)),
                                            ]))
                                    })
                            ),
                        ]))
                ))
        }
        members.append(
            (
                "failed",
                .array(
                    violations.map { v in
                        .object(
                            JSONObject([
                                ("rule", .string(v.rule.description)), ("endpoint", .string(v.endpoint)),
                                ("a", number(v.a)), ("b", number(v.b)), ("message", .string(Self.describe(v))),
                            ]))
                    })
            ))
        return .object(JSONObject(members))
    }
}
