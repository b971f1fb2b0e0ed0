import XRayWire

/// A stored document: its raw bytes as received, with where and when they came from.
public struct StoredDocument: Sendable {
    public var traceID: String
    public var id: String
    public var raw: [UInt8]
    public var receivedAt: Double
    public var source: String?
}

extension TraceStore {
    /// Resolves `last` (the trace that most recently received data) or a unique prefix of a trace id.
    public func resolveTraceID(_ query: String) throws(StoreError) -> String {
        if query == "last" {
            let s = try db.cached("SELECT trace_id FROM traces ORDER BY last_received DESC, start_time DESC LIMIT 1")
            // A statement left on its row holds a read transaction: reset before returning (see `transaction`).
            defer { s.reset() }
            guard try s.step(), let id = s.text(0) else { throw StoreError.emptyStore(path: path) }
            return id
        }
        guard !query.isEmpty else { throw StoreError.traceNotFound(query) }
        let s = try db.cached("SELECT trace_id FROM traces WHERE trace_id >= ? AND trace_id < ? ORDER BY trace_id LIMIT 4")
        s.bind(1, query)
        s.bind(2, query + "\u{10FFFF}")
        var found: [String] = []
        while try s.step() { if let id = s.text(0) { found.append(id) } }
        if found.count == 1 { return found[0] }
        if found.contains(query) { return query }
        if found.isEmpty { throw StoreError.traceNotFound(query) }
        throw StoreError.ambiguousTracePrefix(query, candidates: found)
    }

    /// Every stored document of a trace, oldest arrival first.
    public func documents(traceID: String) throws(StoreError) -> [StoredDocument] {
        let s = try db.cached("SELECT id, raw, received_at, source FROM documents WHERE trace_id=? ORDER BY rowid")
        s.bind(1, traceID)
        var out: [StoredDocument] = []
        while try s.step() {
            out.append(StoredDocument(traceID: traceID, id: s.text(0) ?? "", raw: s.blob(1), receivedAt: s.double(2), source: s.text(3)))
        }
        return out
    }

    /// Loads and assembles a whole trace. Documents were validated on the way in, so none fails here;
    /// one that somehow does (a store edited by hand) is skipped rather than hiding the rest.
    public func trace(_ traceID: String) throws(StoreError) -> TraceTree {
        let docs = try documents(traceID: traceID)
        let parsed = docs.compactMap { try? SegmentDocumentParser.parse(bytes: $0.raw) }
        return TraceAssembler.assemble(traceID: traceID, documents: parsed)
    }

    /// The newest traces first (by start time), at most `limit`.
    public func traceSummaries(limit: Int, traceIDs: [String]? = nil) throws(StoreError) -> [TraceSummary] {
        let columns = """
            trace_id, start_time, end_time, duration, response_time, root_name, root_origin, http_method, http_url,
            http_status, has_error, has_fault, has_throttle, is_partial, entity_count, in_progress_count
            """
        var out: [TraceSummary] = []
        func read(_ s: SQLiteStatement) {
            out.append(TraceSummary(
                traceID: s.text(0) ?? "", startTime: s.double(1), endTime: s.double(2), duration: s.double(3),
                responseTime: s.optionalDouble(4), rootName: s.text(5), rootOrigin: s.text(6), httpMethod: s.text(7),
                httpURL: s.text(8), httpStatus: s.optionalInt(9), hasError: s.bool(10), hasFault: s.bool(11),
                hasThrottle: s.bool(12), isPartial: s.bool(13), entityCount: s.int(14), inProgressCount: s.int(15)
            ))
        }
        if let traceIDs {
            let s = try db.cached("SELECT \(columns) FROM traces WHERE trace_id=?")
            defer { s.reset() }
            for id in traceIDs {
                s.reset()
                s.bind(1, id)
                if try s.step() { read(s) }
            }
            return out
        }
        let s = try db.cached("SELECT \(columns) FROM traces ORDER BY start_time DESC, trace_id LIMIT ?")
        s.bind(1, limit)
        while try s.step() { read(s) }
        return out
    }

    /// Every trace id, oldest first: what `export` writes when given no ids.
    public func allTraceIDs() throws(StoreError) -> [String] {
        let s = try db.cached("SELECT trace_id FROM traces ORDER BY start_time, trace_id")
        var out: [String] = []
        while try s.step() { if let id = s.text(0) { out.append(id) } }
        return out
    }

    /// Rejected input, newest first.
    public func rejects(limit: Int) throws(StoreError) -> [RejectRecord] {
        let s = try db.cached("SELECT rowid, received_at, source, reason, raw FROM rejects ORDER BY rowid DESC LIMIT ?")
        s.bind(1, limit)
        var out: [RejectRecord] = []
        while try s.step() {
            out.append(RejectRecord(id: s.int(0), receivedAt: s.double(1), source: s.text(2), reason: s.text(3) ?? "", raw: s.blob(4)))
        }
        return out
    }

    /// Counts for a quick look at the store.
    public func counts() throws(StoreError) -> (traces: Int, documents: Int, entities: Int, rejects: Int) {
        (try db.scalarInt("SELECT count(*) FROM traces"), try db.scalarInt("SELECT count(*) FROM documents"),
         try db.scalarInt("SELECT count(*) FROM entities"), try db.scalarInt("SELECT count(*) FROM rejects"))
    }
}

/// One result row of `TraceStore.select`, read by column index.
public struct StoreRow {
    let statement: SQLiteStatement

    public func int(_ column: Int32) -> Int { statement.int(column) }
    public func optionalInt(_ column: Int32) -> Int? { statement.optionalInt(column) }
    public func double(_ column: Int32) -> Double { statement.double(column) }
    public func optionalDouble(_ column: Int32) -> Double? { statement.optionalDouble(column) }
    public func bool(_ column: Int32) -> Bool { statement.bool(column) }
    public func text(_ column: Int32) -> String? { statement.text(column) }
    public func isNull(_ column: Int32) -> Bool { statement.isNull(column) }
}

extension TraceStore {
    /// Runs a read query built by xray's own code (the filter compiler), with every value bound.
    ///
    /// - Important: `sql` must never contain text from the user; user values go in `parameters`.
    public func select(_ sql: String, _ parameters: [SQLValue], each: (StoreRow) throws -> Void) throws {
        let s = try db.cached(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), p) }
        defer { s.reset() }
        while try s.step() { try each(StoreRow(statement: s)) }
    }

    /// Runs a write statement built by xray's own code (prune, groups), with every value bound; returns the changed row count.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws(StoreError) -> Int {
        let s = try db.cached(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), p) }
        defer { s.reset() }
        try s.step()
        return db.changes
    }
}
