import XRayRender
import XRayWire

/// How `insights` prints its report.
package enum InsightsFormat: String, Sendable, CaseIterable {
    case table, json, jsonl
}

extension FindingKind {
    /// The short label of the table.
    package var label: String {
        switch self {
        case .nPlusOne: "n+1"
        case .repeatedCall: "repeated"
        case .slowSpan: "slow"
        case .hiddenError: "hidden-error"
        case .gap: "gap"
        }
    }
}

extension InsightsReport {
    package func render(_ format: InsightsFormat) -> String {
        switch format {
        case .table: table()
        case .json:
            JSONWriter.prettyString(
                .object(
                    JSONObject([
                        ("traces_analyzed", .number(JSONNumber(tracesAnalyzed))),
                        ("findings", .array(findings.map { $0.json })),
                        ("critical_paths", .array(criticalPaths.map { $0.json })),
                    ]))) + "\n"
        case .jsonl:
            (findings.map { JSONWriter.string($0.json) } + criticalPaths.map { JSONWriter.string($0.json) })
                .map { $0 + "\n" }.joined()
        }
    }

    /// One block per finding (kind, trace, path; then evidence and fix), then the critical paths. Every value
    /// that came from a trace goes through `TerminalText.escape`.
    func table() -> String {
        var out = ""
        let kindWidth = max(4, findings.map(\.kind.label.count).max() ?? 0)
        if findings.isEmpty {
            out += "no findings in \(tracesAnalyzed) trace\(tracesAnalyzed == 1 ? "" : "s")\n"
        } else {
            out += TextTable.pad("KIND", to: kindWidth) + "  TRACE                                PATH\n"
            for f in findings {
                out +=
                    TextTable.pad(f.kind.label, to: kindWidth) + "  " + TextTable.pad(TerminalText.escape(f.traceID), to: 35) + "  "
                    + f.path.map(TerminalText.escape).joined(separator: " > ") + "\n"
                let indent = String(repeating: " ", count: kindWidth + 2)
                out += indent + TerminalText.escape(f.evidence) + "\n"
                out += indent + "fix: " + f.hint + "\n"
            }
            var counts: [FindingKind: Int] = [:]
            for f in findings { counts[f.kind, default: 0] += 1 }
            let summary = FindingKind.allCases.compactMap { k in counts[k].map { "\($0) \(k.label)" } }.joined(separator: ", ")
            out += "\(findings.count) finding\(findings.count == 1 ? "" : "s") (\(summary)) in \(tracesAnalyzed) trace\(tracesAnalyzed == 1 ? "" : "s")\n"
        }
        if !criticalPaths.isEmpty {
            out += "\ncritical path of the slowest trace\(criticalPaths.count == 1 ? "" : "s"):\n"
            for p in criticalPaths {
                out += "  " + TerminalText.escape(p.traceID) + "  " + Durations.short(p.duration) + "\n"
                for (depth, s) in p.steps.enumerated() {
                    out +=
                        "    " + String(repeating: "  ", count: min(depth, 16)) + TerminalText.escape(s.name)
                        + "  " + Durations.short(s.duration) + " (own " + Durations.short(s.ownTime) + ")\n"
                }
            }
        }
        return out
    }
}

func number(_ value: Double) -> JSONValue { .number(JSONNumber(value)) }

extension Finding {
    /// Times in milliseconds, like `stats`.
    package var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("kind", .string(kind.rawValue)),
            ("trace_id", .string(traceID)),
            ("path", .array(path.map { .string($0) })),
            ("entity_id", .string(entityID)),
        ]
        if let call { members.append(("call", .string(call))) }
        if let count { members.append(("count", .number(JSONNumber(count)))) }
        members.append(("time_ms", number(time * 1000)))
        members.append(("first_ms", number(first * 1000)))
        if let last { members.append(("last_ms", number(last * 1000))) }
        members.append(("evidence", .string(evidence)))
        members.append(("hint", .string(hint)))
        return .object(JSONObject(members))
    }
}

extension CriticalPath {
    package var json: JSONValue {
        .object(
            JSONObject([
                ("kind", .string("critical_path")),
                ("trace_id", .string(traceID)),
                ("duration_ms", number(duration * 1000)),
                (
                    "steps",
                    .array(
                        steps.map { s in
                            .object(
                                JSONObject([
                                    ("name", .string(s.name)), ("entity_id", .string(s.entityID)),
                                    ("duration_ms", number(s.duration * 1000)), ("own_ms", number(s.ownTime * 1000)),
                                ]))
                        })
                ),
            ]))
    }
}
