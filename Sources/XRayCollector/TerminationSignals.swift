import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM handling for a foreground collector, without signal handlers.
///
/// `block()` must run before `Collector.start` so every thread inherits the blocked mask; the signals then
/// stay pending until `waitForFirst()` takes one with `sigwait`. A second signal while stopping ends the
/// process at once with `_exit`: committed data is safe (SQLite WAL), only queued data is given up.
public struct TerminationSignals: Sendable {
    private init() {}

    /// Blocks SIGINT and SIGTERM in the calling thread and in threads it starts afterwards.
    public static func block() -> TerminationSignals {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return TerminationSignals()
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }

    /// Waits for SIGINT or SIGTERM and returns which one came.
    public func waitForFirst() -> Int32 {
        var set = Self.signalSet()
        var signal: Int32 = 0
        while sigwait(&set, &signal) != 0 {}
        return signal
    }

    /// From now on, the next SIGINT or SIGTERM runs `announce` and exits the process with 128+signal.
    public func exitOnNext(_ announce: @escaping @Sendable (Int32) -> Void) {
        let thread = try? NativeThread.start("xray-signals") {
            let signal = waitForFirst()
            announce(signal)
            _exit(128 + signal)
        }
        thread?.detach()
    }
}
