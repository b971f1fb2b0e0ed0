import Synchronization
import XRayStore
import XRaySystem
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// Hands the store, opened on the starting thread, to the writer thread that alone uses it afterwards.
///
/// The lock is never contended (only the writer takes it); it is what lets the compiler check that the
/// store, which is not thread-safe, is sent once and never used from two threads.
final class StoreHandoff: Sendable {
    private let store: Mutex<TraceStore>
    init(_ store: sending TraceStore) { self.store = Mutex(store) }

    func withStore<T: Sendable, E: Error>(_ body: (TraceStore) throws(E) -> T) throws(E) -> T {
        try store.withLock { store throws(E) -> T in try body(store) }
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
    /// Documents per transaction at most: larger transactions rewrite shared index pages less often. Under
    /// light load a transaction holds what arrived since the last one; only a deep queue fills it.
    static let maxBatch = 8000
    /// The raw bytes of the documents waiting for the writer at most (`DocumentQueue`'s byte bound).
    static let maxBatchBytes = 12 << 20
    /// Documents kept for another try while the store fails.
    static let maxBacklog = 100_000
    /// Seconds between tries while the store fails, and between checks of the store's files when idle.
    static let retryInterval = 0.5

    let handoff: StoreHandoff
    let queue: DocumentQueue
    let counters: LiveCounters
    let onTraceCompleted: (@Sendable (TraceSummary) -> Void)?
    let onTracesStored: (@Sendable ([String]) -> Void)?
    let onWarning: (@Sendable (String) -> Void)?
    /// Takes a copy of every committed batch for `--forward-otlp`; it only queues, so the writer never waits on it.
    var forwarder: OTLPForwarder?
    /// The WAL checkpoint on its own thread: told of every commit, and waited for when the WAL is long.
    var checkpoints: Checkpoints?

    /// What the writer thread alone keeps between batches.
    struct State {
        var backlog: [ParsedBatch] = []
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
            var pending = ParsedBatch()
            for batch in items {
                if let completion = batch.completion {
                    commit(&pending, &state)
                    let result = store(batch)
                    if case .failure(let error) = result { noteFailure(error, &state, kept: false) }
                    completion.finish(result)
                    continue
                }
                if pending.count + batch.count > Self.maxBatch { commit(&pending, &state) }
                pending.append(batch)
            }
            commit(&pending, &state)
            checkFiles(&state)
            if finished {
                defer { checkpoints?.close() }
                // A last few tries for what is still kept, then it counts as lost.
                for _ in 0..<3 where !state.backlog.isEmpty {
                    retryBacklog(&state)
                    if !state.backlog.isEmpty { sleepSeconds(Self.retryInterval) }
                }
                if state.backlogCount > 0 {
                    counters.storeFailures.add(state.backlogCount, ordering: .relaxed)
                    counters.storeBacklog.store(0, ordering: .relaxed)
                    onWarning?(
                        "\(state.backlogCount) documents could not be stored before exit and are lost: "
                            + (counters.lastStoreError.withLock { $0 } ?? ""))
                }
                return
            }
        }
    }

    /// Stores one UDP batch, or keeps it in the backlog when the store fails (or already fails); the batch is emptied.
    func commit(_ batch: inout ParsedBatch, _ state: inout State) {
        guard !batch.isEmpty else { return }
        defer { batch = ParsedBatch() }
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
            while taken < state.backlog.count, merged.count + state.backlog[taken].count <= Self.maxBatch {
                merged.append(state.backlog[taken])
                taken += 1
            }
            if case .failure(let error) = store(merged) {
                noteFailure(error, &state, kept: true)
                return
            }
            state.backlog.removeFirst(taken)
            state.backlogCount -= merged.count
            counters.storeBacklog.store(state.backlogCount, ordering: .relaxed)
        }
        if state.failing {
            state.failing = false
            onWarning?(
                "the store takes writes again; every kept document is stored"
                    + (state.dropped > 0 ? " except the \(state.dropped) dropped" : ""))
            state.dropped = 0
        }
    }

    /// Adds a failed batch to the backlog, dropping the oldest documents past `maxBacklog`.
    func keep(_ batch: ParsedBatch, _ state: inout State) {
        state.backlog.append(batch)
        state.backlogCount += batch.count
        var dropped = 0
        while state.backlogCount > Self.maxBacklog, let oldest = state.backlog.first {
            state.backlog.removeFirst()
            let n = oldest.count
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
            onWarning?(
                "cannot write to the store: \(error.description); keeping documents in memory "
                    + "(up to \(Self.maxBacklog)) and trying again every \(Self.retryInterval)s")
        }
    }

    /// Looks for a deleted or replaced store file or WAL; says so once per new finding.
    func checkFiles(_ state: inout State) {
        guard let problem = handoff.withStore({ $0.checkFiles() }) else { return }
        guard problem != state.lastFileProblem else { return }
        state.lastFileProblem = problem
        counters.storeFileProblem.withLock { $0 = problem }
        onWarning?(problem)
    }

    /// Stores one batch in one transaction (bisected if one document is refused) and updates the counters.
    func store(_ batch: ParsedBatch) -> Result<IngestCounts, StoreError> {
        guard !batch.isEmpty else { return .success(IngestCounts()) }
        let counts: IngestCounts
        if let checkpoints { checkpoints.settle(walFrames: handoff.withStore { $0.walFrames }) }
        do throws(StoreError) {
            counts = try handoff.withStore { store throws(StoreError) in try store.ingest(batch.documents, rejects: batch.rejects) }
        } catch {
            return .failure(error)
        }
        if let checkpoints { checkpoints.committed(walFrames: handoff.withStore { $0.walFrames }) }
        counters.stored.add(counts.stored, ordering: .relaxed)
        counters.duplicates.add(counts.duplicates + counts.staleInProgress, ordering: .relaxed)
        if !batch.rejectReasons.isEmpty || !counts.refused.isEmpty {
            counters.rejectedByReason.withLock { table in
                for reason in batch.rejectReasons { table[reason, default: 0] += 1 }
                if !counts.refused.isEmpty { table["refused by the store", default: 0] += counts.refused.count }
            }
        }
        forwarder?.offer(batch.documents)
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
                !incoming.document.inProgress, seen.insert(incoming.document.traceID).inserted
            else { continue }
            ids.append(incoming.document.traceID)
        }
        guard !ids.isEmpty, let summaries = try? handoff.withStore({ store throws(StoreError) in try store.traceSummaries(limit: ids.count, traceIDs: ids) })
        else { return }
        for summary in summaries { callback(summary) }
    }
}

/// Sleeps the calling thread (the writer's, never a Swift concurrency thread).
func sleepSeconds(_ seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}
