import Synchronization
import XRaySystem
import XRayWire

extension TraceStore {
    /// How many traces one bulk read asks for: one statement step per document instead of one statement per
    /// trace, and a batch small enough that its documents (a few MiB) are all the memory a whole-store walk holds.
    package static let bulkBatchSize = 512

    /// The raw documents of many traces, read in batches of `bulkBatchSize` ids with one `IN` query each;
    /// `body` gets each trace that has documents, in the order of `traceIDs`, its documents oldest arrival
    /// first (as `documents(traceID:)` returns them).
    package func forEachTraceDocuments(
        _ traceIDs: [String], _ body: ([(traceID: String, documents: [[UInt8]])]) -> Void
    ) throws(StoreError) {
        var start = 0
        while start < traceIDs.count {
            let batch = traceIDs[start..<min(start + Self.bulkBatchSize, traceIDs.count)]
            start += batch.count
            body(try documentBatch(batch))
        }
    }

    private func documentBatch(_ ids: ArraySlice<String>) throws(StoreError) -> [(traceID: String, documents: [[UInt8]])] {
        let marks = [String](repeating: "?", count: ids.count).joined(separator: ",")
        // rowid is arrival order; the trace_id index hands rows over grouped by trace, so the sort is per trace.
        let s = try db.cached("SELECT trace_id, rowid, raw FROM documents WHERE trace_id IN (\(marks))")
        defer { s.reset() }
        for (i, id) in ids.enumerated() { s.bind(Int32(i + 1), id) }
        var found: [String: [(rowid: Int, raw: [UInt8])]] = [:]
        found.reserveCapacity(ids.count)
        while try s.step() {
            guard let id = s.text(0) else { continue }
            found[id, default: []].append((s.int(1), s.blob(2)))
        }
        var out: [(traceID: String, documents: [[UInt8]])] = []
        out.reserveCapacity(found.count)
        for id in ids {
            guard let docs = found.removeValue(forKey: id) else { continue }
            out.append((id, docs.sorted { $0.rowid < $1.rowid }.map(\.raw)))
        }
        return out
    }

    /// Every trace of `traceIDs` assembled as `trace(_:)` assembles one, passed through `transform`, with
    /// `body` called on the results in the order of `traceIDs`.
    ///
    /// Reading is one `IN` query per batch on the caller's thread; parsing, assembly and `transform` run on
    /// `threads` threads (the caller's and helpers started per batch), each over a contiguous share of the
    /// batch, so at most one batch of documents and results is held at a time. A trace with no documents is
    /// skipped, as is a document that fails to parse (see `trace(_:)`).
    package func forEachTrace<Result: Sendable>(
        _ traceIDs: [String], threads: Int = 2, transform: @escaping @Sendable (TraceTree) -> Result,
        _ body: (Result) -> Void
    ) throws(StoreError) {
        let workers = max(1, threads)
        try forEachTraceDocuments(traceIDs) { batch in
            let shares = Self.split(batch.count, into: workers)
            let results = Shares<Result>(shares.count)
            let work: @Sendable (Int, [(traceID: String, documents: [[UInt8]])]) -> Void = { share, items in
                var out: [Result] = []
                out.reserveCapacity(items.count)
                for item in items { out.append(transform(Self.assemble(item.traceID, item.documents))) }
                results.slots.withLock { $0[share] = out }
            }
            var helpers: [NativeThread] = []
            for (share, range) in shares.enumerated().dropFirst() {
                let items = Array(batch[range])
                // A refused thread only costs parallelism: the caller does that share itself.
                do {
                    helpers.append(try NativeThread.start("xray-assemble") { work(share, items) })
                } catch {
                    work(share, items)
                }
            }
            if let first = shares.first { work(0, Array(batch[first])) }
            for h in helpers { h.join() }
            for share in results.slots.withLock({ r in
                let taken = r
                r = []
                return taken
            }) {
                for r in share { body(r) }
            }
        }
    }

    /// The same as `forEachTrace(_:threads:transform:_:)` with the trees themselves as results.
    package func forEachTrace(_ traceIDs: [String], threads: Int = 2, _ body: (TraceTree) -> Void) throws(StoreError) {
        try forEachTrace(traceIDs, threads: threads, transform: { $0 }, body)
    }

    static func assemble(_ traceID: String, _ documents: [[UInt8]]) -> TraceTree {
        TraceAssembler.assemble(traceID: traceID, documents: documents.compactMap { try? SegmentDocumentParser.parse(bytes: $0) })
    }

    /// `count` items cut into at most `parts` contiguous ranges of nearly equal size, none empty.
    static func split(_ count: Int, into parts: Int) -> [Range<Int>] {
        let n = min(parts, count)
        guard n > 0 else { return [] }
        var out: [Range<Int>] = []
        var lower = 0
        for i in 0..<n {
            let upper = lower + (count - lower) / (n - i)
            out.append(lower..<upper)
            lower = upper
        }
        return out
    }
}

/// The results of one batch, one slot per share, filled by the threads that worked on it.
private final class Shares<Result: Sendable>: Sendable {
    let slots: Mutex<[[Result]]>
    init(_ count: Int) { slots = Mutex([[Result]](repeating: [], count: count)) }
}
