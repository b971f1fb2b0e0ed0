import Synchronization
import Testing
import XRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes of real files and pipes, including reads interrupted by signals.
@Suite(.serialized) struct FileIOTests {
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        var template = Array("/tmp/xray-system-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd) }
        try bytes.withUnsafeBytes { try FileIO.writeAll(fd, $0) }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let pattern = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }

    @Test func aFileIsReadWhole() throws {
        let path = try Self.temporaryFile(Self.pattern)
        defer { unlink(path) }
        #expect(try FileIO.readFile(path) == Self.pattern)
    }

    @Test func aLimitReadsOneByteMoreThanItSoOversizeInputIsSeen() throws {
        let path = try Self.temporaryFile(Self.pattern)
        defer { unlink(path) }
        #expect(try FileIO.readFile(path, limit: 100_000) == Array(Self.pattern.prefix(100_001)))
        #expect(try FileIO.readFile(path, limit: Self.pattern.count) == Self.pattern)
        #expect(try FileIO.readFile(path, limit: 0) == [Self.pattern[0]])
    }

    @Test func aMissingFileIsAnOpenErrorWithItsPathAndErrno() throws {
        #expect(throws: SystemError.open(path: "/nonexistent/xray", errno: ENOENT)) {
            try FileIO.readFile("/nonexistent/xray")
        }
        let error = SystemError.open(path: "/nonexistent/xray", errno: ENOENT)
        #expect(error.description == "cannot open /nonexistent/xray: No such file or directory")
    }

    @Test func aDirectoryIsAReadError() throws {
        #expect(throws: SystemError.read(errno: EISDIR)) { try FileIO.readFile("/tmp") }
    }

    /// A pipe written in pieces by another thread, more than its buffer, read whole by the other end.
    @Test func writeAllAndReadAllMoveEveryByteThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let writer = try NativeThread.start("pipe-writer") {
            defer { close(writeEnd) }
            var offset = 0
            while offset < Self.pattern.count {
                let piece = min(7_777, Self.pattern.count - offset)
                Self.pattern[offset..<offset + piece].withUnsafeBytes { try? FileIO.writeAll(writeEnd, $0) }
                offset += piece
            }
        }
        let bytes = try FileIO.readAll(readEnd)
        writer.join()
        #expect(bytes == Self.pattern)
    }

    /// Signals without SA_RESTART make a blocked read(2) fail with EINTR; the read carries on.
    @Test func signalsDoNotInterruptAReadOfAPipe() throws {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in interruptions.add(1, ordering: .relaxed) }
        #else
        action.__sigaction_u.__sa_handler = { _ in interruptions.add(1, ordering: .relaxed) }
        #endif
        action.sa_flags = 0
        var previous = sigaction()
        try #require(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }

        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let readerThread = Mutex<pthread_t?>(nil)
        let result = Mutex<Result<[UInt8], SystemError>?>(nil)
        let reader = try NativeThread.start("pipe-reader") {
            // Test runner threads may block signals; this one must take them.
            var usr2 = sigset_t()
            sigemptyset(&usr2)
            sigaddset(&usr2, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &usr2, nil)
            readerThread.withLock { $0 = pthread_self() }
            let bytes = Result { () throws(SystemError) in try FileIO.readAll(readEnd) }
            result.withLock { $0 = bytes }
        }
        var started: pthread_t?
        while started == nil {
            sched_yield()
            started = readerThread.withLock { $0 }
        }
        let thread = try #require(started)
        // Interrupt the reader while it waits for the first bytes, and between pieces.
        for piece in 0..<20 {
            for _ in 0..<5 {
                _ = pthread_kill(thread, SIGUSR2)
                usleep(1_000)
            }
            [UInt8(piece)].withUnsafeBytes { try? FileIO.writeAll(writeEnd, $0) }
        }
        close(writeEnd)
        reader.join()
        #expect(interruptions.load(ordering: .relaxed) > 0)
        #expect(try result.withLock { $0 }?.get() == (0..<20).map(UInt8.init))
    }

    @Test func waitSeesReadinessAndGivesUpAtItsTimeout() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(!FileIO.wait(fds[0], events: Int16(POLLIN), milliseconds: 10))
        [UInt8(1)].withUnsafeBytes { try? FileIO.writeAll(fds[1], $0) }
        #expect(FileIO.wait(fds[0], events: Int16(POLLIN), milliseconds: 5_000))
    }
}

/// Threads, the monitor's waits, the wake-up descriptor and the clocks.
@Suite struct ThreadTests {
    @Test func aThreadRunsItsBodyAndJoins() throws {
        let ran = Atomic<Int>(0)
        let threads = try (0..<4).map { index in
            try NativeThread.start("test-\(index)") { ran.add(1, ordering: .relaxed) }
        }
        for thread in threads { thread.join() }
        #expect(ran.load(ordering: .relaxed) == 4)
    }

    @Test func aMonitorWaitEndsWhenItsConditionHoldsOrItsTimeoutPasses() throws {
        let monitor = Monitor(0)
        let timedOut = monitor.wait(until: { $0 > 0 }, timeout: 0.02) { _, ready in ready }
        #expect(!timedOut)
        let setter = try NativeThread.start("setter") { monitor.withLock { $0 = 5 } }
        let value = monitor.wait(until: { $0 > 0 }, timeout: nil) { state, ready in ready ? state : -1 }
        setter.join()
        #expect(value == 5)
    }

    @Test func aWakeupIsReadableFromSignalUntilCleared() throws {
        let wakeup = try Wakeup()
        #expect(!FileIO.wait(wakeup.fd, events: Int16(POLLIN), milliseconds: 0))
        for _ in 0..<3 { wakeup.signal() }
        #expect(FileIO.wait(wakeup.fd, events: Int16(POLLIN), milliseconds: 5_000))
        wakeup.clear()
        #expect(!FileIO.wait(wakeup.fd, events: Int16(POLLIN), milliseconds: 0))
    }

    @Test func theEpochClockIsTodayAndTheMonotonicClockDoesNotGoBack() {
        // 2020-01-01 and 2100-01-01: a clock in seconds, not milliseconds or nanoseconds.
        #expect((1_577_836_800.0..<4_102_444_800.0).contains(epochSeconds()))
        var last = monotonicNow()
        for _ in 0..<10_000 {
            let now = monotonicNow()
            #expect(now >= last)
            last = now
        }
    }
}

/// Signals the handler of `signalsDoNotInterruptAReadOfAPipe` took (a C handler cannot capture).
private let interruptions = Atomic<Int>(0)
