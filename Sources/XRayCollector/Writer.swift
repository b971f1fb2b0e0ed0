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
///
/// A transaction that fails (a full disk, a store another process keeps locked) loses nothing at once:
/// its documents wait in a backlog of at most `maxBacklog` documents and are written again every
/// `retryInterval`; past that bound the oldest are dropped and counted in `storeFailures`. Each change
/// between failing and working is reported through `onWarning`.
struct Writer: Sendable {
    /// Documents per transaction at most: larger transactions rewrite shared index pages less often.
    static let maxBatch = 4000
    /// Documents kept for another try while the store fails.
    static let maxBacklog = 100_000
    /// Seconds between tries while the store fails, and between checks of the store's files when idle.
    static let retryInterval = 0.5

    let handoff: StoreHandoff
    let queue: IntakeQueue
    let counters: LiveCounters
    let onTraceCompleted: (@Sendable (TraceSummary) -> Void)?
    let onTracesStored: (@Sendable ([String]) -> Void)?
    let onWarning: (@Sendable (String) -> Void)?

    /// What the writer thread alone keeps between batches.
    struct State {
        var backlog: [Intake.Classified] = []
        var backlogCount = 0
        var failing = false
        var dropped = 0
        var lastFileProblem: String?
        /// When the last transaction failed (monotonic seconds): the backlog is tried again `retryInterval` later.
        var failedAt = 0.0
    }

    func run() {
        var state = State()
        while true {
            let (items, finished) = queue.takeAll(timeout: Self.retryInterval)
            if !state.backlog.isEmpty, monotonicNow() - state.failedAt >= Self.retryInterval { retryBacklog(&state) }
            var pending = Intake.Classified()
            for item in items {
                switch item {
                case .classified(let batch):
                    if pending.documents.count + pending.rejects.count + batch.documents.count + batch.rejects.count > Self.maxBatch {
                        commit(&pending, &state)
                    }
                    pending.documents += batch.documents
                    pending.rejects += batch.rejects
                    pending.rejectReasons += batch.rejectReasons
                case .documents(let documents, let rejects, let reasons, let done):
                    commit(&pending, &state)
                    let batch = Intake.Classified(documents: documents, rejects: rejects, rejectReasons: reasons)
                    let result = store(batch)
                    if case .failure(let error) = result { noteFailure(error, &state, kept: false) }
                    done.finish(result)
                case .datagrams:
                    // The parser never passes raw datagrams on.
                    break
                }
            }
            commit(&pending, &state)
            checkFiles(&state)
            if finished {
                // A last few tries for what is still kept, then it counts as lost.
                for _ in 0..<3 where !state.backlog.isEmpty {
                    retryBacklog(&state)
                    if !state.backlog.isEmpty { sleepSeconds(Self.retryInterval) }
                }
                if state.backlogCount > 0 {
                    counters.storeFailures.add(state.backlogCount, ordering: .relaxed)
                    counters.storeBacklog.store(0, ordering: .relaxed)
                    onWarning?("\(state.backlogCount) documents could not be stored before exit and are lost: "
                        + (counters.lastStoreError.withLock { $0 } ?? ""))
                }
                return
            }
        }
    }

    /// Stores one UDP batch, or keeps it in the backlog when the store fails (or already fails); the batch is emptied.
    func commit(_ batch: inout Intake.Classified, _ state: inout State) {
        guard !batch.documents.isEmpty || !batch.rejects.isEmpty else { return }
        defer { batch = Intake.Classified() }
        if !state.backlog.isEmpty {
            keep(batch, &state)
            return
        }
        if case .failure(let error) = store(batch) {
            noteFailure(error, &state, kept: true)
            keep(batch, &state)
        }
    }

    /// Writes the backlog, oldest first, in transactions of at most `maxBatch`; stops at the first failure.
    func retryBacklog(_ state: inout State) {
        while let first = state.backlog.first {
            var merged = first
            var taken = 1
            while taken < state.backlog.count,
                  merged.documents.count + merged.rejects.count + state.backlog[taken].documents.count
                    + state.backlog[taken].rejects.count <= Self.maxBatch {
                merged.documents += state.backlog[taken].documents
                merged.rejects += state.backlog[taken].rejects
                merged.rejectReasons += state.backlog[taken].rejectReasons
                taken += 1
            }
            if case .failure(let error) = store(merged) {
                noteFailure(error, &state, kept: true)
                return
            }
            state.backlog.removeFirst(taken)
            state.backlogCount -= merged.documents.count + merged.rejects.count
            counters.storeBacklog.store(state.backlogCount, ordering: .relaxed)
        }
        if state.failing {
            state.failing = false
            onWarning?("the store takes writes again; every kept document is stored"
                + (state.dropped > 0 ? " except the \(state.dropped) dropped" : ""))
            state.dropped = 0
        }
    }

    /// Adds a failed batch to the backlog, dropping the oldest documents past `maxBacklog`.
    func keep(_ batch: Intake.Classified, _ state: inout State) {
        state.backlog.append(batch)
        state.backlogCount += batch.documents.count + batch.rejects.count
        var dropped = 0
        while state.backlogCount > Self.maxBacklog, let oldest = state.backlog.first {
            state.backlog.removeFirst()
            let n = oldest.documents.count + oldest.rejects.count
            state.backlogCount -= n
            dropped += n
        }
        counters.storeBacklog.store(state.backlogCount, ordering: .relaxed)
        if dropped > 0 {
            counters.storeFailures.add(dropped, ordering: .relaxed)
            if state.dropped == 0 {
                onWarning?("the retry backlog is full (\(Self.maxBacklog) documents): dropping the oldest; the count of lost documents is in the counters")
            }
            state.dropped += dropped
        }
    }

    /// Counts a failed transaction and warns once per failing spell; a PutTraceSegments batch (`kept`
    /// false) is not kept, its sender got a 503, so it warns on its own without starting a spell.
    func noteFailure(_ error: StoreError, _ state: inout State, kept: Bool) {
        counters.storeErrors.add(1, ordering: .relaxed)
        counters.lastStoreError.withLock { $0 = error.description }
        guard kept else {
            if !state.failing { onWarning?("cannot write to the store: \(error.description); PutTraceSegments answered 503") }
            return
        }
        state.failedAt = monotonicNow()
        if !state.failing {
            state.failing = true
            onWarning?("cannot write to the store: \(error.description); keeping documents in memory "
                + "(up to \(Self.maxBacklog)) and trying again every \(Self.retryInterval)s")
        }
    }

    /// Looks for a deleted or replaced store file or WAL; says so once per new finding.
    func checkFiles(_ state: inout State) {
        guard let problem = handoff.store.checkFiles() else { return }
        guard problem != state.lastFileProblem else { return }
        state.lastFileProblem = problem
        counters.storeFileProblem.withLock { $0 = problem }
        onWarning?(problem)
    }

    /// Stores one batch in one transaction (bisected if one document is refused) and updates the counters.
    func store(_ batch: Intake.Classified) -> Result<IngestCounts, StoreError> {
        guard !batch.documents.isEmpty || !batch.rejects.isEmpty else { return .success(IngestCounts()) }
        let counts: IngestCounts
        do {
            counts = try handoff.store.ingest(batch.documents, rejects: batch.rejects)
        } catch {
            return .failure(error)
        }
        counters.stored.add(counts.stored, ordering: .relaxed)
        counters.duplicates.add(counts.duplicates + counts.staleInProgress, ordering: .relaxed)
        if !batch.rejectReasons.isEmpty || !counts.refused.isEmpty {
            counters.rejectedByReason.withLock { table in
                for reason in batch.rejectReasons { table[reason, default: 0] += 1 }
                if !counts.refused.isEmpty { table["refused by the store", default: 0] += counts.refused.count }
            }
        }
        if let onTracesStored, !counts.traceIDs.isEmpty { onTracesStored(counts.traceIDs) }
        if let onTraceCompleted { announce(batch.documents, onTraceCompleted) }
        return .success(counts)
    }

    /// Reports each trace whose root segment just arrived complete: that is when a request is over.
    func announce(_ documents: [IncomingDocument], _ callback: @Sendable (TraceSummary) -> Void) {
        var ids: [String] = []
        var seen = Set<String>()
        for incoming in documents {
            guard let top = incoming.document.entities.first, top.kind == .segment, top.parentID == nil,
                  !incoming.document.inProgress, seen.insert(incoming.document.traceID).inserted else { continue }
            ids.append(incoming.document.traceID)
        }
        guard !ids.isEmpty, let summaries = try? handoff.store.traceSummaries(limit: ids.count, traceIDs: ids) else { return }
        for summary in summaries { callback(summary) }
    }
}

/// Sleeps the calling thread (the writer's, never a Swift concurrency thread).
func sleepSeconds(_ seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}
