import CXRaySystem
import XRayStore
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// Hands the store, opened on the starting thread, to the writer thread that alone uses it afterwards.
final class StoreHandoff: @unchecked Sendable {
    // Safe: `TraceStore` is not thread-safe, but after `Collector.start` returns only the writer thread
    // touches it (the start thread never keeps a reference), so it is never used from two threads at once.
    let store: TraceStore
    init(_ store: TraceStore) { self.store = store }
}

/// The parser thread: turns queued datagrams into documents and rejects, and forwards accepted ones.
///
/// Parsing runs on its own thread so the SQLite writer does nothing but write: on two cores the two
/// halves then run side by side instead of one after the other.
struct Parser: Sendable {
    let input: IntakeQueue
    let output: IntakeQueue
    let counters: LiveCounters
    let forwardFD: Int32?

    func run() {
        var pending = Intake.Classified()
        func flush() {
            guard !pending.documents.isEmpty || !pending.rejects.isEmpty else { return }
            output.push(.classified(pending), weight: pending.documents.count + pending.rejects.count)
            pending = Intake.Classified()
        }
        while true {
            let (items, finished) = input.takeAll()
            for item in items {
                switch item {
                case .datagrams(let datagrams):
                    for datagram in datagrams {
                        let before = pending.documents.count
                        let rejectsBefore = pending.rejects.count
                        Intake.classify(datagram, into: &pending)
                        counters.documents.add(
                            pending.documents.count - before + pending.rejects.count - rejectsBefore, ordering: .relaxed)
                        if let forwardFD, pending.documents.count > before { forward(datagram.bytes, fd: forwardFD) }
                        if pending.documents.count + pending.rejects.count >= Writer.maxBatch { flush() }
                    }
                case .documents(let documents, let rejects, _, _):
                    // Keep arrival order: what was parsed before this request is stored before it.
                    flush()
                    counters.documents.add(documents.count + rejects.count, ordering: .relaxed)
                    output.push(item, weight: documents.count + rejects.count)
                case .classified:
                    output.push(item, weight: 1)
                }
            }
            flush()
            if finished {
                output.close()
                return
            }
        }
    }

    func forward(_ bytes: [UInt8], fd: Int32) {
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, XR_MSG_DONTWAIT) }
        if sent == bytes.count {
            counters.forwarded.add(1, ordering: .relaxed)
        } else {
            counters.forwardFailures.add(1, ordering: .relaxed)
        }
    }
}

/// The one thread that writes to SQLite, in batches.
///
/// Batching is adaptive: the writer takes everything queued while it was busy, and commits at most
/// `maxBatch` documents per transaction. Under light load that is one small transaction per arrival (a
/// trace shows up at once); under heavy load transactions grow and the per-transaction cost vanishes.
struct Writer: Sendable {
    /// Documents per transaction at most: larger transactions rewrite shared index pages less often.
    static let maxBatch = 4000

    let handoff: StoreHandoff
    let queue: IntakeQueue
    let counters: LiveCounters
    let onTraceCompleted: (@Sendable (TraceSummary) -> Void)?
    let onTracesStored: (@Sendable ([String]) -> Void)?

    func run() {
        while true {
            let (items, finished) = queue.takeAll()
            var pending = Intake.Classified()
            for item in items {
                switch item {
                case .classified(let batch):
                    if pending.documents.count + pending.rejects.count + batch.documents.count + batch.rejects.count > Self.maxBatch {
                        commit(&pending)
                    }
                    pending.documents += batch.documents
                    pending.rejects += batch.rejects
                    pending.rejectReasons += batch.rejectReasons
                case .documents(let documents, let rejects, let reasons, let done):
                    commit(&pending)
                    var batch = Intake.Classified(documents: documents, rejects: rejects, rejectReasons: reasons)
                    done.finish(commit(&batch))
                case .datagrams:
                    // The parser never passes raw datagrams on.
                    break
                }
            }
            commit(&pending)
            if finished { return }
        }
    }

    /// Stores one batch in one transaction and updates the counters; the batch is emptied.
    @discardableResult
    func commit(_ batch: inout Intake.Classified) -> IngestCounts {
        guard !batch.documents.isEmpty || !batch.rejects.isEmpty else { return IngestCounts() }
        defer { batch = Intake.Classified() }
        let counts: IngestCounts
        do {
            counts = try handoff.store.ingest(batch.documents, rejects: batch.rejects)
        } catch {
            counters.storeFailures.add(batch.documents.count + batch.rejects.count, ordering: .relaxed)
            counters.lastStoreError.withLock { $0 = error.description }
            return IngestCounts()
        }
        counters.stored.add(counts.stored, ordering: .relaxed)
        counters.duplicates.add(counts.duplicates + counts.staleInProgress, ordering: .relaxed)
        if !batch.rejectReasons.isEmpty {
            counters.rejectedByReason.withLock { table in
                for reason in batch.rejectReasons { table[reason, default: 0] += 1 }
            }
        }
        if let onTracesStored, !counts.traceIDs.isEmpty { onTracesStored(counts.traceIDs) }
        if let onTraceCompleted { announce(batch.documents, onTraceCompleted) }
        return counts
    }

    /// Reports each trace whose root segment just arrived complete: that is when a request is over.
    func announce(_ documents: [IncomingDocument], _ callback: @Sendable (TraceSummary) -> Void) {
        var ids: [String] = []
        for incoming in documents {
            guard let top = incoming.document.entities.first, top.kind == .segment, top.parentID == nil,
                  !incoming.document.inProgress, !ids.contains(incoming.document.traceID) else { continue }
            ids.append(incoming.document.traceID)
        }
        guard !ids.isEmpty, let summaries = try? handoff.store.traceSummaries(limit: ids.count, traceIDs: ids) else { return }
        for summary in summaries { callback(summary) }
    }
}
