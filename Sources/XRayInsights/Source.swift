import XRayQuery
import XRayStore
import XRayWire

/// Why traces cannot be read for insights or diff; the store's and the query engine's own errors, kept.
package enum InsightsError: Error, Sendable, CustomStringConvertible {
    case store(StoreError)
    case query(QueryError)

    package var description: String {
        switch self {
        case .store(let e): e.description
        case .query(let e): e.description
        }
    }
}

/// The thin layer between the analyses and the store: which trace ids a selection names, and their trees,
/// read in batches and assembled on both cores, so memory follows one batch, not the selection.
package struct InsightsSource {
    package let engine: QueryEngine

    package init(store: TraceStore) { engine = QueryEngine(store: store) }

    /// A trace id, a unique prefix of one, or `last`.
    package func traceID(_ text: String) throws(InsightsError) -> String {
        do { return try engine.store.resolveTraceID(text) } catch { throw .store(error) }
    }

    /// The ids a query selects, oldest first.
    package func traceIDs(_ query: TraceQuery) throws(InsightsError) -> [String] {
        do { return try engine.traceIDs(query) } catch { throw .query(error) }
    }

    package func tree(_ id: String) throws(InsightsError) -> TraceTree {
        do { return try engine.store.trace(id) } catch { throw .store(error) }
    }

    /// A `--run` value as the query engine takes it: `previous` (the run before the newest) becomes its number.
    package func run(_ text: String) throws(InsightsError) -> String {
        guard text == "previous" else { return text }
        let id: Int?
        do {
            id = try engine.store.previousRunID()
        } catch {
            throw .store(error)
        }
        guard let id else { throw .store(.runNotFound(text)) }
        return String(id)
    }

    /// Every tree of a selection, in the order of `ids`.
    package func forEachTree(_ ids: [String], _ body: (TraceTree) -> Void) throws(InsightsError) {
        do { try engine.store.forEachTrace(ids, body) } catch { throw .store(error) }
    }

    /// The findings of a selection: each trace analysed on the thread that assembled it, the results
    /// gathered in the order of `ids`.
    package func report(_ ids: [String], options: InsightsOptions) throws(InsightsError) -> InsightsReport {
        var report = InsightsReport(options: options)
        do {
            try engine.store.forEachTrace(ids, transform: { TraceInsights($0, options: options) }) { report.add($0) }
        } catch {
            throw .store(error)
        }
        return report
    }

    /// The requests of a selection and how many of its traces have no HTTP root.
    package func samples(_ ids: [String]) throws(InsightsError) -> (samples: [RequestSample], skipped: Int) {
        var out: [RequestSample] = []
        var skipped = 0
        do {
            try engine.store.forEachTrace(ids, transform: { RequestSample.of($0) }) { sample in
                if let sample { out.append(sample) } else { skipped += 1 }
            }
        } catch {
            throw .store(error)
        }
        return (out, skipped)
    }
}
