import CXRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable POSIX thread running a closure.
///
/// The collector uses plain threads rather than Swift concurrency: the UDP reader must never be descheduled
/// behind other work, and SQLite calls block.
package struct NativeThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread.
    ///
    /// - Throws: `ThreadStartError` when the system refuses another thread.
    package static func start(
        _ name: String, _ body: @escaping @Sendable () -> Void
    ) throws(ThreadStartError) -> NativeThread {
        let box = Unmanaged.passRetained(ThreadBody(name, body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(
            &handle, nil,
            { raw in
                guard let raw else { return nil }
                let body = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
                xr_set_thread_name(body.name)
                body.run()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw ThreadStartError(name: name, errno: rc)
        }
        return NativeThread(handle: handle)
    }

    /// Waits for the thread to finish.
    package func join() {
        _ = pthread_join(handle, nil)
    }

    /// Lets the thread finish on its own; its resources are freed when it ends.
    package func detach() {
        _ = pthread_detach(handle)
    }
}

/// pthread_create refused a thread: the thread's name and the error it returned.
package struct ThreadStartError: Error, Equatable, Sendable {
    package var name: String
    package var errno: Int32
}

private final class ThreadBody: Sendable {
    let name: String
    let run: @Sendable () -> Void
    init(_ name: String, _ run: @escaping @Sendable () -> Void) {
        self.name = name
        self.run = run
    }
}

/// A mutex and condition variable pair for the blocking handoffs `Synchronization.Mutex` cannot express
/// (waiting until a queue has room or items).
package final class Monitor<State: Sendable>: @unchecked Sendable {
    // Safe: `state` is only read or written inside `withLock`/`wait`, which hold `mutex`; the pthread
    // objects live at stable heap addresses for the life of the monitor and are never copied.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var state: State

    package init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        #if os(Linux) && !XRAY_POSIX_FALLBACK
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        // macOS has no pthread_condattr_setclock: timed waits there run on the realtime clock.
        pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state locked and wakes every waiter afterwards.
    package func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Waits until `ready` holds (or `timeout` seconds pass), then runs `body` with the state locked.
    ///
    /// `body` receives whether `ready` held; waiters are woken afterwards.
    package func wait<T>(until ready: (State) -> Bool, timeout: Double?, _ body: (inout State, Bool) -> T) -> T {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        let deadline = timeout.map { monotonicNow() + $0 }
        while !ready(state) {
            if let deadline {
                let remaining = deadline - monotonicNow()
                if remaining <= 0 { break }
                var ts = timespec()
                clock_gettime(conditionClock, &ts)
                let nanos = Int(ts.tv_nsec) + Int((remaining - remaining.rounded(.down)) * 1e9)
                ts.tv_sec += Int(remaining.rounded(.down)) + nanos / 1_000_000_000
                ts.tv_nsec = nanos % 1_000_000_000
                pthread_cond_timedwait(condition, mutex, &ts)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
        return body(&state, ready(state))
    }
}

/// The clock `pthread_cond_timedwait` measures `Monitor`'s deadlines on (see `Monitor.init`).
#if os(Linux) && !XRAY_POSIX_FALLBACK
private let conditionClock = CLOCK_MONOTONIC
#else
private let conditionClock = CLOCK_REALTIME
#endif
