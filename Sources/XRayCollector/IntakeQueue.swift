import XRayStore
import XRaySystem

/// One datagram as the reader took it off the socket: the exact bytes, the sender, the time.
struct ReceivedDatagram: Sendable {
    var bytes: [UInt8]
    /// `udp:127.0.0.1:53311`.
    var source: String
    var receivedAt: Double
    /// The kernel had more bytes than the 64 KiB slot (MSG_TRUNC): the datagram is rejected.
    var truncated: Bool
}

/// Signalled by the writer once a batch handed in over HTTP is committed (or failed).
final class BatchCompletion: Sendable {
    private let state = Monitor<Result<IngestCounts, StoreError>?>(nil)

    func finish(_ result: Result<IngestCounts, StoreError>) { state.withLock { $0 = result } }

    /// Waits up to `timeout` seconds for the writer; nil when it did not get there in time.
    func wait(timeout: Double) -> Result<IngestCounts, StoreError>? {
        state.wait(until: { $0 != nil }, timeout: timeout) { state, _ in state }
    }
}

/// Documents already parsed, and the rejects met on the way: what every way a document arrives (datagram,
/// PutTraceSegments body) becomes before the writer takes it.
struct ParsedBatch: Sendable {
    var documents: [IncomingDocument] = []
    var rejects: [IncomingReject] = []
    /// The counter key of each reject, in the order of `rejects`.
    var rejectReasons: [String] = []
    /// Told the outcome once committed or failed; nil for datagrams, which are kept and retried instead.
    var completion: BatchCompletion?

    var count: Int { documents.count + rejects.count }
    /// The raw bytes of its documents and rejects: what a queue's byte bound weighs.
    var bytes: Int { documents.reduce(0) { $0 + $1.raw.count } + rejects.reduce(0) { $0 + $1.raw.count } }
    var isEmpty: Bool { documents.isEmpty && rejects.isEmpty }

    /// Appends `other`'s documents and rejects (not its completion).
    mutating func append(_ other: ParsedBatch) {
        documents += other.documents
        rejects += other.rejects
        rejectReasons += other.rejectReasons
    }
}

/// What the decoder thread takes: datagrams from the reader, and batches parsed on an HTTP thread, which
/// pass through it so that what arrived first is stored first.
enum DecoderInput: Sendable {
    case datagrams([ReceivedDatagram])
    case parsed(ParsedBatch)
}

/// The reader's (and HTTP threads') queue to the decoder.
typealias IntakeQueue = BoundedQueue<DecoderInput>

/// The decoder's queue to the SQLite writer.
typealias DocumentQueue = BoundedQueue<ParsedBatch>

/// A bounded handoff between pipeline threads: reader (and HTTP threads) → decoder → SQLite writer.
///
/// Bounded in items (datagrams, documents) and in bytes, so that a store that cannot keep up cannot eat all
/// memory whatever the items weigh: when either bound is reached the producer blocks, the kernel's receive
/// buffer absorbs what keeps arriving, and anything beyond that is dropped by the kernel and counted
/// (`kernelDrops`). An item heavier than a bound on its own still goes in once the queue is empty.
final class BoundedQueue<Item: Sendable>: Sendable {
    struct State {
        var items: [Item] = []
        var weight = 0
        var bytes = 0
        var closed = false
    }

    let capacity: Int
    let byteCapacity: Int
    private let state = Monitor(State())
    /// Where the deepest fill is recorded; nil for a queue whose depth no counter reports.
    private let counters: LiveCounters?

    /// `byteCapacity` defaults to no bound in bytes, for a queue whose items are few and small.
    init(capacity: Int, byteCapacity: Int = .max, counters: LiveCounters?) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.counters = counters
    }

    /// Appends `item`, weighing `weight` items and `bytes` bytes, waiting while the queue is full; false
    /// once the queue is closed.
    @discardableResult
    func push(_ item: Item, weight: Int, bytes: Int) -> Bool {
        let capacity = capacity
        let byteCapacity = byteCapacity
        let (accepted, depth) = state.wait(
            until: {
                $0.closed || $0.weight == 0 || ($0.weight + weight <= capacity && $0.bytes + bytes <= byteCapacity)
            }, timeout: nil
        ) { state, _ -> (Bool, Int) in
            guard !state.closed else { return (false, 0) }
            state.items.append(item)
            state.weight += weight
            state.bytes += bytes
            return (true, state.weight)
        }
        if accepted, let counters {
            var high = counters.queueHighWater.load(ordering: .relaxed)
            while depth > high {
                let (exchanged, original) = counters.queueHighWater.compareExchange(
                    expected: high, desired: depth, ordering: .relaxed)
                if exchanged { break }
                high = original
            }
        }
        return accepted
    }

    /// Takes everything queued, waiting until there is something (or at most `timeout` seconds, then
    /// possibly nothing); `finished` once closed and empty.
    func takeAll(timeout: Double? = nil) -> (items: [Item], finished: Bool) {
        state.wait(until: { !$0.items.isEmpty || $0.closed }, timeout: timeout) { state, _ in
            let items = state.items
            state.items.removeAll(keepingCapacity: true)
            state.weight = 0
            state.bytes = 0
            return (items, state.closed && items.isEmpty)
        }
    }

    /// Refuses new items; the consumer still takes what is queued.
    func close() {
        state.withLock { $0.closed = true }
    }
}

/// The one way documents parsed outside the decoder reach the writer: a PutTraceSegments body today, and
/// any operation joined through `HTTPOperations` (OTLP spans translated to documents) next.
///
/// The batch queues behind whatever the decoder already holds, and the caller waits for its commit, so an
/// answer acknowledges only what the store holds.
package struct DocumentHandoff: Sendable {
    let queue: IntakeQueue

    package enum Outcome: Sendable {
        case stored(IngestCounts)
        case failed(StoreError)
        /// Not committed within the timeout: nothing is acknowledged.
        case timedOut
        /// The collector is stopping and took nothing.
        case closed
    }

    /// Stores `documents` and keeps `rejects` (with `rejectReasons`, their counter keys, in order) in one
    /// transaction, waiting at most `timeout` seconds for the commit.
    package func store(
        _ documents: [IncomingDocument], rejects: [IncomingReject], rejectReasons: [String], timeout: Double
    ) -> Outcome {
        let done = BatchCompletion()
        let batch = ParsedBatch(documents: documents, rejects: rejects, rejectReasons: rejectReasons, completion: done)
        guard queue.push(.parsed(batch), weight: batch.count, bytes: batch.bytes) else { return .closed }
        switch done.wait(timeout: timeout) {
        case nil: return .timedOut
        case .failure(let error)?: return .failed(error)
        case .success(let counts)?: return .stored(counts)
        }
    }
}
