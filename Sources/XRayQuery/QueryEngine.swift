import XRayStore
import XRayWire

/// How `xray inspect traces` orders what it lists; each case maps to a fixed ORDER BY, never to user text.
public enum TraceSort: String, Sendable, CaseIterable {
    case start, duration, responsetime

    var orderBy: String {
        switch self {
        case .start: "t.start_time DESC, t.trace_id"
        case .duration: "t.duration DESC, t.trace_id"
        case .responsetime: "t.response_time IS NULL, t.response_time DESC, t.trace_id"
        }
    }
}

/// Which traces to read: a filter, a window on the trace's start time, an order and a limit.
public struct TraceQuery: Sendable {
    public var filter: FilterExpression?
    /// Inclusive lower bound on the trace's start, epoch seconds.
    public var start: Double?
    /// Exclusive upper bound on the trace's start, epoch seconds.
    public var end: Double?
    public var sort: TraceSort
    public var limit: Int?
    /// Only the traces an `xray run` captured: `last` or a run number.
    public var run: String?

    public init(filter: FilterExpression? = nil, start: Double? = nil, end: Double? = nil, sort: TraceSort = .start, limit: Int? = nil) {
        self.filter = filter
        self.start = start
        self.end = end
        self.sort = sort
        self.limit = limit
    }
}

/// Runs filter expressions against a store: the one place XRayQuery's SQL meets `TraceStore.select`.
public struct QueryEngine {
    public let store: TraceStore

    public init(store: TraceStore) { self.store = store }

    /// The WHERE clause (over `traces t`) and its parameters for a query's filter and time window.
    func whereClause(_ query: TraceQuery) throws(QueryError) -> CompiledFilter {
        var compiled = CompiledFilter.all
        if let filter = query.filter {
            let groups = filter.groupNames.isEmpty ? [:] : try GroupStore(store: store).all()
            compiled = try FilterCompiler.compile(filter, groups: groups)
        }
        if let start = query.start {
            compiled.sql = "(\(compiled.sql)) AND t.start_time>=?"
            compiled.parameters.append(.double(start))
        }
        if let end = query.end {
            compiled.sql = "(\(compiled.sql)) AND t.start_time<?"
            compiled.parameters.append(.double(end))
        }
        if let run = query.run {
            let record: RunRecord
            do {
                record = try store.resolveRun(run)
            } catch {
                throw QueryError.store(error)
            }
            compiled.sql = "(\(compiled.sql)) AND t.trace_id IN (SELECT trace_id FROM run_traces WHERE run_id=?)"
            compiled.parameters.append(.int(record.id))
        }
        return compiled
    }

    /// Runs a read with StoreError mapped into QueryError.
    func rows(_ sql: String, _ parameters: [SQLValue], _ each: (StoreRow) -> Void) throws(QueryError) {
        do {
            try store.select(sql, parameters) { each($0) }
        } catch let error as StoreError {
            throw QueryError.store(error)
        } catch {
            throw QueryError.store(.sqlite(path: store.path, code: 0, message: String(describing: error)))
        }
    }

    /// The matching traces' summaries, in the query's order.
    public func summaries(_ query: TraceQuery) throws(QueryError) -> [TraceSummary] {
        let filter = try whereClause(query)
        var parameters = filter.parameters
        var sql = """
            SELECT t.trace_id, t.start_time, t.end_time, t.duration, t.response_time, t.root_name, t.root_origin,
                t.http_method, t.http_url, t.http_status, t.has_error, t.has_fault, t.has_throttle, t.is_partial,
                t.entity_count, t.in_progress_count
            FROM traces t WHERE \(filter.sql) ORDER BY \(query.sort.orderBy)
            """
        if let limit = query.limit {
            sql += " LIMIT ?"
            parameters.append(.int(limit))
        }
        var out: [TraceSummary] = []
        try rows(sql, parameters) { s in
            out.append(TraceSummary(
                traceID: s.text(0) ?? "", startTime: s.double(1), endTime: s.double(2), duration: s.double(3),
                responseTime: s.optionalDouble(4), rootName: s.text(5), rootOrigin: s.text(6), httpMethod: s.text(7),
                httpURL: s.text(8), httpStatus: s.optionalInt(9), hasError: s.bool(10), hasFault: s.bool(11),
                hasThrottle: s.bool(12), isPartial: s.bool(13), entityCount: s.int(14), inProgressCount: s.int(15)
            ))
        }
        return out
    }

    /// How many traces match (the limit is ignored).
    public func count(_ query: TraceQuery) throws(QueryError) -> Int {
        let filter = try whereClause(query)
        var n = 0
        try rows("SELECT count(*) FROM traces t WHERE \(filter.sql)", filter.parameters) { n = $0.int(0) }
        return n
    }

    /// The matching trace ids, oldest first: the order `export` writes.
    public func traceIDs(_ query: TraceQuery) throws(QueryError) -> [String] {
        let filter = try whereClause(query)
        var out: [String] = []
        try rows("SELECT t.trace_id FROM traces t WHERE \(filter.sql) ORDER BY t.start_time, t.trace_id", filter.parameters) { s in
            if let id = s.text(0) { out.append(id) }
        }
        return out
    }
}
