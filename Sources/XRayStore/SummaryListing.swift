import CSQLite
import XRayWire

extension TraceStore {
    /// The summaries `filter` matches, in `order`, each handed to `body` with the bytes of its stored details
    /// (`SummaryDetails.http` and `.members`), read in one statement that joins `trace_details`: a listing
    /// then costs one pass over the rows instead of one lookup per trace, and no `String` per detail.
    ///
    /// The buffers are valid only during the call. A trace without a stored details row (an older store, or
    /// one over `SummaryRules.maxEntitiesAtWriteTime` entities) has its details computed from its rows.
    /// `offset` rows are skipped first, as `GetTraceSummaries` pages do.
    package func forEachSummary(
        matching filter: SQLFilter, order: TraceSort, limit: Int?, offset: Int = 0,
        _ body: (TraceSummary, _ http: UnsafeRawBufferPointer, _ members: UnsafeRawBufferPointer) -> Void
    ) throws(StoreError) {
        var parameters = filter.parameters
        var sql = """
            SELECT \(TraceSummary.columns), t.root_id, d.http, d.details FROM traces t
            LEFT JOIN trace_details d ON d.trace_id=t.trace_id WHERE \(filter.sql) ORDER BY \(order.orderBy)
            """
        if limit != nil || offset > 0 {
            sql += " LIMIT ? OFFSET ?"
            parameters.append(.int(limit ?? -1))
            parameters.append(.int(offset))
        }
        let s = try db.cached(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), p) }
        defer { s.reset() }
        let rootColumn = Int32(TraceSummary.columnCount)
        while try s.step() {
            let summary = TraceSummary(row: s)
            if s.isNull(rootColumn + 1) {
                let computed = try computeSummaryDetails(traceID: summary.traceID, rootID: s.text(rootColumn))
                var http = computed.http
                var members = computed.members
                http.withUTF8 { h in members.withUTF8 { m in body(summary, UnsafeRawBufferPointer(h), UnsafeRawBufferPointer(m)) } }
            } else {
                body(summary, s.bytes(rootColumn + 1), s.bytes(rootColumn + 2))
            }
        }
    }
}

extension SQLiteStatement {
    /// A text column's bytes in SQLite's own buffer, valid until the next step, reset or column read.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let p = sqlite3_column_text(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, column)))
    }
}
