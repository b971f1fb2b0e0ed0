/// The OpenTelemetry spans kept beside the documents they were translated to (`otlp_spans`, schema v4, a rowid table since v6).
extension TraceStore {
    /// Keeps `span` (a one-span OTLP/JSON request) under the document's trace and id, in the caller's
    /// transaction, replacing an earlier copy as the document itself was.
    func storeOriginalSpan(_ document: IncomingDocument, _ span: [UInt8]) throws(StoreError) {
        let s = try db.prepared("INSERT OR REPLACE INTO otlp_spans(trace_id, span_id, received_at, request) VALUES(?,?,?,?)")
        s.bind(1, document.document.traceID)
        s.bind(2, document.document.id)
        s.bind(3, document.receivedAt)
        span.withUnsafeBytes { s.bind(4, blob: $0) }
        try s.step()
    }

    /// The kept spans of a trace, by span id (the id of the document each became).
    package func originalSpans(traceID: String) throws(StoreError) -> [(spanID: String, request: [UInt8])] {
        var out: [(spanID: String, request: [UInt8])] = []
        try rows("SELECT span_id, request FROM otlp_spans WHERE trace_id=? ORDER BY received_at, span_id", [.text(traceID)]) { s in
            out.append((s.text(0) ?? "", s.blob(1)))
        }
        return out
    }
}
