import XRayRender
import XRayStore
import XRayWire

/// Trace summaries in the `GetTraceSummaries` shape (GetTraceSummaries in the AWS X-Ray API reference): the
/// `traces` row with the details the store keeps beside it (`Http` with `UserAgent` and `ClientIp`,
/// `Annotations`, `Users`, `ServiceIds` and the root causes), spliced as the compact JSON the store holds, so
/// a listing neither assembles traces nor parses JSON per trace.
package enum TraceDetails {
    /// One compact JSON object per summary, in order: what `--format jsonl` prints a line each.
    package static func jsonObjects(_ traces: [TraceSummary], engine: QueryEngine) throws(QueryError) -> [String] {
        let details = try engine.reading { () throws(StoreError) in try engine.store.summaryDetails(traceIDs: traces.map(\.traceID)) }
        return zip(traces, details).map { jsonObject($0, details: $1) }
    }

    /// The summary's own fields with the root request's `Http` in place of the row's, then the details.
    package static func jsonObject(_ t: TraceSummary, details: SummaryDetails) -> String {
        guard case .object(let summary) = TraceListing.json(t) else { return "{}" }
        var out = "{"
        for (i, member) in summary.members.enumerated() {
            if i > 0 { out += "," }
            JSONWriter.writeString(member.key, into: &out)
            out += ":"
            if member.key == "Http" { out += details.http } else { JSONWriter.write(member.value, into: &out) }
        }
        if !details.members.isEmpty { out += "," + details.members }
        out += "}"
        return out
    }

    /// `{"TraceSummaries": [...]}` as `JSONWriter.prettyString` writes it, from compact objects.
    package static func prettyListing(_ objects: [String]) -> String {
        pretty("{\"TraceSummaries\":[" + objects.joined(separator: ",") + "]}")
    }

    /// The detail fields of one trace as values, for callers that inspect them rather than print them.
    package static func fields(traceID: String, engine: QueryEngine) throws(QueryError) -> [(key: String, value: JSONValue)] {
        guard let details = try engine.reading({ () throws(StoreError) in try engine.store.summaryDetails(traceIDs: [traceID]) }).first,
            case .object(let http)? = try? JSONParser.parse(details.http).value,
            case .object(let rest)? = try? JSONParser.parse("{" + details.members + "}").value
        else { return [] }
        return [("Http", .object(http))] + rest.members
    }

    /// Re-indents compact JSON (no white space outside strings) exactly as `JSONWriter.pretty` would write the
    /// same value: two spaces a level, `": "` after keys, empty containers as `{}` and `[]`.
    package static func pretty(_ compact: String) -> String {
        var input = compact
        return input.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 2)
            var depth = 0
            var i = 0
            func newline() {
                out.append(UInt8(ascii: "\n"))
                for _ in 0..<depth { out.append(UInt8(ascii: " ")); out.append(UInt8(ascii: " ")) }
            }
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\""):
                    out.append(b)
                    i += 1
                    while i < bytes.count {
                        let c = bytes[i]
                        out.append(c)
                        i += 1
                        if c == UInt8(ascii: "\\"), i < bytes.count {
                            out.append(bytes[i])
                            i += 1
                        } else if c == UInt8(ascii: "\"") {
                            break
                        }
                    }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    out.append(b)
                    if i + 1 < bytes.count, bytes[i + 1] == close {
                        out.append(close)
                        i += 2
                        continue
                    }
                    depth += 1
                    newline()
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    newline()
                    out.append(b)
                case UInt8(ascii: ","):
                    out.append(b)
                    newline()
                case UInt8(ascii: ":"):
                    out.append(b)
                    out.append(UInt8(ascii: " "))
                default:
                    out.append(b)
                }
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
