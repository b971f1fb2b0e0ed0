import XRayStore

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

/// Work for the writer thread.
enum IntakeItem: Sendable {
    case datagrams([ReceivedDatagram])
    /// Documents from `PutTraceSegments`, already parsed; `rejectReasons` parallels `rejects`.
    case documents([IncomingDocument], rejects: [IncomingReject], rejectReasons: [String], done: BatchCompletion)
    /// Datagrams the parser thread already turned into documents and rejects.
    case classified(Intake.Classified)
}

/// A bounded handoff between pipeline threads: reader (and HTTP threads) → parser → SQLite writer.
///
/// Bounded so a store that cannot keep up cannot eat all memory: when it is full the reader blocks, the
/// kernel's receive buffer absorbs the rest, and anything beyond that shows up as kernel drops. The
/// capacity (in datagrams) is far above what a healthy writer lets accumulate.
final class IntakeQueue: Sendable {
    struct State {
        var items: [IntakeItem] = []
        var weight = 0
        var closed = false
    }

    let capacity: Int
    private let state = Monitor(State())
    private let counters: LiveCounters

    init(capacity: Int, counters: LiveCounters) {
        self.capacity = capacity
        self.counters = counters
    }

    /// Appends `item`, waiting while the queue is full; false once the queue is closed.
    @discardableResult
    func push(_ item: IntakeItem, weight: Int) -> Bool {
        let capacity = capacity
        let (accepted, depth) = state.wait(
            until: { $0.closed || $0.weight == 0 || $0.weight + weight <= capacity }, timeout: nil
        ) { state, _ -> (Bool, Int) in
            guard !state.closed else { return (false, 0) }
            state.items.append(item)
            state.weight += weight
            return (true, state.weight)
        }
        if accepted {
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
    func takeAll(timeout: Double? = nil) -> (items: [IntakeItem], finished: Bool) {
        state.wait(until: { !$0.items.isEmpty || $0.closed }, timeout: timeout) { state, _ in
            let items = state.items
            state.items.removeAll(keepingCapacity: true)
            state.weight = 0
            return (items, state.closed && items.isEmpty)
        }
    }

    /// Refuses new items; the writer still takes what is queued.
    func close() {
        state.withLock { $0.closed = true }
    }
}
