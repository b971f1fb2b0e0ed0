import XRayWire

/// A stored document: its raw bytes as received, with where and when they came from.
package struct StoredDocument: Sendable {
    package var traceID: String
    package var id: String
    package var raw: [UInt8]
    package var receivedAt: Double
    package var source: String?
}

extension TraceStore {
    /// The `origin` of the segment `xray run` records for the command itself (`Launcher.runSegmentOrigin`).
    package static let runOrigin = "xray::Run"

    /// An SQL condition true when the trace aliased `alias` holds an entity that is not a run's own segment.
    package static func notBareRunSQL(_ alias: String) -> String {
        "EXISTS(SELECT 1 FROM entities nr WHERE nr.trace_id=\(alias).trace_id AND nr.origin IS NOT '\(runOrigin)')"
    }

    /// Resolves `last`, `last-run` or a unique prefix of a trace id.
    ///
    /// `last` is the newest trace that holds more than `xray run`'s own segments (a request, or a `--lambda`
    /// run's trace with the script's subsegments): a run's bare segment is never what someone looking for
    /// "what just happened" wants. `last-run` is the newest run's own trace.
    package func resolveTraceID(_ query: String) throws(StoreError) -> String {
        if query == "last" {
            let s = try db.cached(
                """
                SELECT t.trace_id FROM traces t WHERE \(Self.notBareRunSQL("t")) \
                ORDER BY t.last_received DESC, t.start_time DESC LIMIT 1
                """)
            // A statement left on its row holds a read transaction: reset before returning (see `transaction`).
            defer { s.reset() }
            guard try s.step(), let id = s.text(0) else {
                throw try db.scalarInt("SELECT count(*) FROM traces") == 0 ? StoreError.emptyStore(path: path) : StoreError.onlyRunSegments(path: path)
            }
            return id
        }
        if query == "last-run" {
            do {
                return try resolveRun("last").traceID
            } catch .runNotFound {
                throw StoreError.noRuns(path: path)
            }
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
    package func documents(traceID: String) throws(StoreError) -> [StoredDocument] {
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
    package func trace(_ traceID: String) throws(StoreError) -> TraceTree {
        let docs = try documents(traceID: traceID)
        let parsed = docs.compactMap { try? SegmentDocumentParser.parse(bytes: $0.raw) }
        return TraceAssembler.assemble(traceID: traceID, documents: parsed)
    }

    /// The newest traces first (by start time), at most `limit`.
    package func traceSummaries(limit: Int, traceIDs: [String]? = nil) throws(StoreError) -> [TraceSummary] {
        var out: [TraceSummary] = []
        if let traceIDs {
            let s = try db.cached("SELECT \(TraceSummary.columns) FROM traces t WHERE trace_id=?")
            defer { s.reset() }
            for id in traceIDs {
                s.reset()
                s.bind(1, id)
                if try s.step() { out.append(TraceSummary(row: s)) }
            }
            return out
        }
        let s = try db.cached("SELECT \(TraceSummary.columns) FROM traces t ORDER BY \(TraceSort.start.orderBy) LIMIT ?")
        s.bind(1, limit)
        while try s.step() { out.append(TraceSummary(row: s)) }
        return out
    }

    /// The summaries of the traces `filter` matches, in `order`, at most `limit`.
    package func traceSummaries(matching filter: SQLFilter, order: TraceSort, limit: Int?) throws(StoreError) -> [TraceSummary] {
        var parameters = filter.parameters
        var sql = "SELECT \(TraceSummary.columns) FROM traces t WHERE \(filter.sql) ORDER BY \(order.orderBy)"
        if let limit {
            sql += " LIMIT ?"
            parameters.append(.int(limit))
        }
        var out: [TraceSummary] = []
        try rows(sql, parameters) { out.append(TraceSummary(row: $0)) }
        return out
    }

    /// How many traces `filter` matches.
    package func countTraces(matching filter: SQLFilter) throws(StoreError) -> Int {
        var n = 0
        try rows("SELECT count(*) FROM traces t WHERE \(filter.sql)", filter.parameters) { n = $0.int(0) }
        return n
    }

    /// The ids of the traces `filter` matches, oldest first: the order `export` writes.
    package func traceIDs(matching filter: SQLFilter) throws(StoreError) -> [String] {
        var out: [String] = []
        try rows("SELECT t.trace_id FROM traces t WHERE \(filter.sql) ORDER BY t.start_time, t.trace_id", filter.parameters) { s in
            if let id = s.text(0) { out.append(id) }
        }
        return out
    }

    /// The condition (over `traces t`) for the traces run `id` captured.
    package func capturedBy(run id: Int) -> SQLFilter {
        SQLFilter(sql: "t.trace_id IN (SELECT trace_id FROM run_traces WHERE run_id=?)", parameters: [.int(id)])
    }

    /// Each annotation of a trace with the name of the segment whose document recorded it, by key, then arrival, then entity id.
    package func annotationSources(traceID: String) throws(StoreError) -> [(key: String, value: AnnotationValue, service: String)] {
        var out: [(key: String, value: AnnotationValue, service: String)] = []
        try rows(
            """
            SELECT a.key, a.type, a.value, top.name FROM annotations a JOIN documents d ON d.rowid=a.document_id
            JOIN entities top ON top.trace_id=d.trace_id AND top.id=d.id WHERE a.trace_id=? ORDER BY a.key, d.rowid, a.entity_id
            """, [.text(traceID)]
        ) { s in
            let value: AnnotationValue =
                switch s.int(1) {
                case 1: .number(s.double(2))
                case 2: .bool(s.bool(2))
                default: .string(s.text(2) ?? "")
                }
            out.append((s.text(0) ?? "", value, s.text(3) ?? ""))
        }
        return out
    }

    /// Each user name set on an entity of a trace, with the name of the segment whose document recorded it, by arrival, then entity id.
    package func userSources(traceID: String) throws(StoreError) -> [(name: String, service: String)] {
        var out: [(name: String, service: String)] = []
        try rows(
            """
            SELECT e.user, top.name FROM entities e JOIN documents d ON d.rowid=e.document_id
            JOIN entities top ON top.trace_id=d.trace_id AND top.id=d.id WHERE e.trace_id=? AND e.user IS NOT NULL ORDER BY d.rowid, e.id
            """, [.text(traceID)]
        ) { s in
            out.append((s.text(0) ?? "", s.text(1) ?? ""))
        }
        return out
    }

    /// Every trace id, oldest first: what `export` writes when given no ids.
    package func allTraceIDs() throws(StoreError) -> [String] {
        let s = try db.cached("SELECT trace_id FROM traces ORDER BY start_time, trace_id")
        var out: [String] = []
        while try s.step() { if let id = s.text(0) { out.append(id) } }
        return out
    }

    /// Rejected input, newest first.
    package func rejects(limit: Int) throws(StoreError) -> [RejectRecord] {
        let s = try db.cached("SELECT rowid, received_at, source, reason, raw FROM rejects ORDER BY rowid DESC LIMIT ?")
        s.bind(1, limit)
        var out: [RejectRecord] = []
        while try s.step() {
            out.append(RejectRecord(id: s.int(0), receivedAt: s.double(1), source: s.text(2), reason: s.text(3) ?? "", raw: s.blob(4)))
        }
        return out
    }

    /// Counts for a quick look at the store.
    package func counts() throws(StoreError) -> (traces: Int, documents: Int, entities: Int, rejects: Int) {
        (
            try db.scalarInt("SELECT count(*) FROM traces"), try db.scalarInt("SELECT count(*) FROM documents"),
            try db.scalarInt("SELECT count(*) FROM entities"), try db.scalarInt("SELECT count(*) FROM rejects")
        )
    }
}

/// A condition over `traces t` built by xray's own code (the filter compiler), every user value bound.
package struct SQLFilter: Sendable, Hashable {
    package var sql: String
    package var parameters: [SQLValue]

    package init(sql: String, parameters: [SQLValue]) {
        self.sql = sql
        self.parameters = parameters
    }

    /// Every trace.
    package static let all = SQLFilter(sql: "1", parameters: [])

    /// Both conditions.
    package func and(_ other: SQLFilter) -> SQLFilter {
        SQLFilter(sql: "(\(sql)) AND \(other.sql)", parameters: parameters + other.parameters)
    }
}

/// How `xray inspect traces` orders what it lists; each case maps to a fixed ORDER BY, never to user text.
package enum TraceSort: String, Sendable, CaseIterable {
    case start, duration, responsetime

    var orderBy: String {
        switch self {
        case .start: "t.start_time DESC, t.trace_id"
        case .duration: "t.duration DESC, t.trace_id"
        case .responsetime: "t.response_time IS NULL, t.response_time DESC, t.trace_id"
        }
    }
}

/// An entity's `http.request` and status, as GetTraceSummaries reports the root segment's.
package struct RootRequest: Sendable, Hashable {
    package var url: String?
    package var status: Int?
    package var method: String?
    package var userAgent: String?
    package var clientIP: String?
}

extension TraceSummary {
    /// The columns of `traces t` a summary is read from, in the order `init(row:)` reads them.
    static let columns = """
        t.trace_id, t.start_time, t.end_time, t.duration, t.response_time, t.root_name, t.root_origin, t.http_method,
        t.http_url, t.http_status, t.has_error, t.has_fault, t.has_throttle, t.is_partial, t.entity_count, t.in_progress_count
        """

    /// How many columns `columns` names: the first column index after them in a wider select.
    static let columnCount = columns.split(separator: ",").count

    /// The one place a summary is decoded.
    init(row s: SQLiteStatement) {
        self.init(
            traceID: s.text(0) ?? "", startTime: s.double(1), endTime: s.double(2), duration: s.double(3),
            responseTime: s.optionalDouble(4), rootName: s.text(5), rootOrigin: s.text(6), httpMethod: s.text(7),
            httpURL: s.text(8), httpStatus: s.optionalInt(9), hasError: s.bool(10), hasFault: s.bool(11),
            hasThrottle: s.bool(12), isPartial: s.bool(13), entityCount: s.int(14), inProgressCount: s.int(15))
    }
}

/// One result row of `TraceStore.select`, read by column index.
package struct StoreRow {
    let statement: SQLiteStatement

    package func int(_ column: Int32) -> Int { statement.int(column) }
    package func optionalInt(_ column: Int32) -> Int? { statement.optionalInt(column) }
    package func double(_ column: Int32) -> Double { statement.double(column) }
    package func optionalDouble(_ column: Int32) -> Double? { statement.optionalDouble(column) }
    package func bool(_ column: Int32) -> Bool { statement.bool(column) }
    package func text(_ column: Int32) -> String? { statement.text(column) }
    package func isNull(_ column: Int32) -> Bool { statement.isNull(column) }
}

extension TraceStore {
    /// Runs a read built outside this module (the run record in XRayLauncher, tests), with every value bound.
    ///
    /// - Important: `sql` must never contain text from the user; user values go in `parameters`.
    package func select(_ sql: String, _ parameters: [SQLValue], each: (StoreRow) -> Void) throws(StoreError) {
        try rows(sql, parameters) { each(StoreRow(statement: $0)) }
    }

    /// Runs a read of this module's own, every value bound.
    func rows(_ sql: String, _ parameters: [SQLValue], each: (SQLiteStatement) -> Void) throws(StoreError) {
        let s = try db.cached(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), p) }
        defer { s.reset() }
        while try s.step() { each(s) }
    }

    /// Runs one of this module's write statements (prune, groups), with every value bound; returns the changed row count.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(StoreError) -> Int {
        let s = try db.cached(sql)
        for (i, p) in parameters.enumerated() { s.bind(Int32(i + 1), p) }
        defer { s.reset() }
        try s.step()
        return db.changes
    }
}
