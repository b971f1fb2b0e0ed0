import XRayRender
import XRayStore
import XRayWire

/// Trace summaries in the `GetTraceSummaries` shape (GetTraceSummaries in the AWS X-Ray API reference): the
/// `traces` row with the details the store keeps beside it (`Http` with `UserAgent` and `ClientIp`,
/// `Annotations`, `Users`, `ServiceIds` and the root causes), spliced as the compact JSON the store holds, so
/// a listing neither assembles traces nor parses JSON per trace.
package enum TraceDetails {
    /// How a listing lays its summaries out.
    package enum Layout: Sendable {
        /// One compact object a line: `--format jsonl`.
        case lines
        /// `{"TraceSummaries": [...]}` as `JSONWriter.prettyString` writes it, then a newline: `--format json`.
        case document
        /// The compact objects separated by commas, for the read API to wrap in its response.
        case members
    }

    /// Output is handed to `flush` in pieces of about this size, so a listing of the whole store is never
    /// held in memory at once.
    static let flushSize = 1 << 20

    /// Writes the summaries `query` selects (after skipping `offset`) in `layout`, handing the bytes to
    /// `flush` as they grow and once at the end; returns how many matched. Rows past `shown` are counted
    /// but not written: the read API asks for one more than a page to learn whether another page follows.
    ///
    /// One statement reads each summary with its stored details, and each record is written as bytes
    /// straight from SQLite's buffers: neither a lookup nor a `String` per trace.
    package static func write(
        _ query: TraceQuery, offset: Int = 0, shown: Int? = nil, engine: QueryEngine, layout: Layout,
        flush: ([UInt8]) -> Void
    ) throws(QueryError) -> Int {
        let filter = try engine.whereClause(query)
        var out: [UInt8] = []
        out.reserveCapacity(flushSize + flushSize / 4)
        var object: [UInt8] = []
        var count = 0
        var written = 0
        try engine.reading { () throws(StoreError) in
            try engine.store.forEachSummary(matching: filter, order: query.sort, limit: query.limit, offset: offset) { summary, http, members in
                count += 1
                if let shown, written >= shown { return }
                written += 1
                switch layout {
                case .lines:
                    TraceListing.writeJSON(summary, http: http, members: members, into: &out)
                    out.append(UInt8(ascii: "\n"))
                case .members:
                    if written > 1 { out.append(UInt8(ascii: ",")) }
                    TraceListing.writeJSON(summary, http: http, members: members, into: &out)
                case .document:
                    out.append(literal: written > 1 ? ",\n    " : "{\n  \"TraceSummaries\": [\n    ")
                    object.removeAll(keepingCapacity: true)
                    TraceListing.writeJSON(summary, http: http, members: members, into: &object)
                    object.withUnsafeBytes { JSONBytes.pretty($0, depth: 2, into: &out) }
                }
                if out.count >= flushSize {
                    flush(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        if layout == .document { out.append(literal: written > 0 ? "\n  ]\n}\n" : "{\n  \"TraceSummaries\": []\n}\n") }
        flush(out)
        return count
    }

    /// The detail fields of one trace as values, for callers that inspect them rather than print them.
    package static func fields(traceID: String, engine: QueryEngine) throws(QueryError) -> [(key: String, value: JSONValue)] {
        guard let details = try engine.reading({ () throws(StoreError) in try engine.store.summaryDetails(traceIDs: [traceID]) }).first,
            case .object(let http)? = try? JSONParser.parse(details.http).value,
            case .object(let rest)? = try? JSONParser.parse("{" + details.members + "}").value
        else { return [] }
        return [("Http", .object(http))] + rest.members
    }
}
