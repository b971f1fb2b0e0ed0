import Synchronization
import XRaySystem

/// Which connection a request came from: the descriptor, and a serial that tells a reused descriptor apart.
struct ConnectionID: Hashable, Sendable {
    var fd: Int32
    var serial: UInt64
}

/// A response a worker finished, waiting for the event loop to write it.
struct Completion: Sendable {
    var connection: ConnectionID
    var response: HTTPResponse
}

/// Finished responses handed from worker threads to the event loop, and the `Wakeup` that wakes it.
///
/// Workers may still hold it after the loop has ended; the descriptor is closed only when the last holder
/// lets go, so a late post never writes to a reused descriptor number.
final class Mailbox: Sendable {
    /// Nil if the system refused a wake-up descriptor (the loop then polls on a short timeout).
    private let wakeup = try? Wakeup()
    private let items = Mutex<[Completion]>([])

    /// The descriptor the loop polls, -1 without one.
    var fd: Int32 { wakeup?.fd ?? -1 }

    func post(_ completion: Completion) {
        items.withLock { $0.append(completion) }
        wake()
    }

    /// Makes the loop's poller wait return.
    func wake() { wakeup?.signal() }

    /// Everything posted so far, oldest first; also clears the wake-up.
    func drain() -> [Completion] {
        wakeup?.clear()
        return items.withLock { items in
            defer { items.removeAll(keepingCapacity: true) }
            return items
        }
    }
}

/// A few threads running the request handler, fed by a bounded queue.
///
/// The handler can block for seconds (a PutTraceSegments waits for its commit), so it never runs on the
/// event loop; a full queue is answered at once with 503 and `Retry-After` instead of waiting.
final class WorkerPool: Sendable {
    struct Job: Sendable {
        var connection: ConnectionID
        var request: HTTPRequest
    }

    private struct State: Sendable {
        var jobs: [Job] = []
        /// Body bytes of the queued jobs.
        var bytes = 0
        var closed = false
    }

    /// Jobs that may wait, and their body bytes at most: a burst of small requests (every SDK poller at
    /// once) waits its turn, while big PutTraceSegments bodies cannot pile up memory.
    let capacity: Int
    let byteCapacity: Int
    private let state = Monitor(State())
    private let started = Atomic<Int>(0)

    init(capacity: Int, byteCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Threads running; 0 when none could be started.
    var workers: Int { started.load(ordering: .relaxed) }

    /// Starts `count` detached threads, each taking jobs and running `work` until `close`.
    func start(_ count: Int, _ work: @escaping @Sendable (Job) -> Void) {
        for index in 0..<count {
            do {
                let thread = try NativeThread.start("xray-http-\(index)") { [self] in
                    while let job = take() { work(job) }
                }
                thread.detach()
                started.add(1, ordering: .relaxed)
            } catch {
                return
            }
        }
    }

    /// Queues a job; false when the queue is full or closed.
    func submit(_ job: Job) -> Bool {
        state.withLock { state in
            guard !state.closed, state.jobs.count < capacity,
                state.jobs.isEmpty || state.bytes + job.request.body.count <= byteCapacity
            else { return false }
            state.jobs.append(job)
            state.bytes += job.request.body.count
            return true
        }
    }

    /// Ends the workers once their current job is done; queued jobs are dropped.
    func close() {
        state.withLock { state in
            state.closed = true
            state.jobs.removeAll()
            state.bytes = 0
        }
    }

    private func take() -> Job? {
        state.wait(until: { $0.closed || !$0.jobs.isEmpty }, timeout: nil) { state, _ in
            guard !state.closed else { return nil }
            let job = state.jobs.removeFirst()
            state.bytes -= job.request.body.count
            return job
        }
    }
}
