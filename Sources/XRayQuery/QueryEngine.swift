import XRayStore
import XRayWire

/// Which traces to read: a filter, a window on the trace's start time, an order and a limit.
package struct TraceQuery: Sendable {
    package var filter: FilterExpression?
    /// Inclusive lower bound on the trace's start, epoch seconds.
    package var start: Double?
    /// Exclusive upper bound on the trace's start, epoch seconds.
    package var end: Double?
    package var sort: TraceSort
    package var limit: Int?
    /// Only the traces an `xray run` captured: `last` or a run number.
    package var run: String?
    /// Whether `xray run`'s own segments count: as traces when a trace holds nothing else, and as service
    /// nodes. Listings, stats and the graph leave them out by default; `run` selects them regardless.
    package var includeRuns = true

    package init(filter: FilterExpression? = nil, start: Double? = nil, end: Double? = nil, sort: TraceSort = .start, limit: Int? = nil) {
        self.filter = filter
        self.start = start
        self.end = end
        self.sort = sort
        self.limit = limit
    }
}

/// Runs filter expressions against a store: the one place XRayQuery's SQL meets `TraceStore.select`.
package struct QueryEngine {
    package let store: TraceStore

    package init(store: TraceStore) { self.store = store }

    /// The WHERE clause (over `traces t`) and its parameters for a query's filter and time window.
    func whereClause(_ query: TraceQuery) throws(QueryError) -> SQLFilter {
        var compiled = SQLFilter.all
        if let filter = query.filter {
            let groups = filter.groupNames.isEmpty ? [:] : try GroupStore(store: store).all()
            compiled = try FilterCompiler.compile(filter, groups: groups, includeRuns: query.includeRuns)
        }
        if let start = query.start {
            compiled = compiled.and(SQLFilter(sql: "t.start_time>=?", parameters: [.double(start)]))
        }
        if let end = query.end {
            compiled = compiled.and(SQLFilter(sql: "t.start_time<?", parameters: [.double(end)]))
        }
        if !query.includeRuns && query.run == nil {
            compiled = compiled.and(SQLFilter(sql: TraceStore.notBareRunSQL("t"), parameters: []))
        }
        if let run = query.run {
            let record: RunRecord
            do {
                record = try store.resolveRun(run)
            } catch {
                throw QueryError.store(error)
            }
            compiled = compiled.and(store.capturedBy(run: record.id))
        }
        return compiled
    }

    /// Runs a store read with StoreError mapped into QueryError.
    func reading<T>(_ body: () throws(StoreError) -> T) throws(QueryError) -> T {
        do {
            return try body()
        } catch {
            throw QueryError.store(error)
        }
    }

    /// The matching traces' summaries, in the query's order.
    package func summaries(_ query: TraceQuery) throws(QueryError) -> [TraceSummary] {
        let filter = try whereClause(query)
        return try reading { () throws(StoreError) in try store.traceSummaries(matching: filter, order: query.sort, limit: query.limit) }
    }

    /// How many traces match (the limit is ignored).
    package func count(_ query: TraceQuery) throws(QueryError) -> Int {
        let filter = try whereClause(query)
        return try reading { () throws(StoreError) in try store.countTraces(matching: filter) }
    }

    /// The matching trace ids, oldest first: the order `export` writes.
    package func traceIDs(_ query: TraceQuery) throws(QueryError) -> [String] {
        let filter = try whereClause(query)
        return try reading { () throws(StoreError) in try store.traceIDs(matching: filter) }
    }
}
