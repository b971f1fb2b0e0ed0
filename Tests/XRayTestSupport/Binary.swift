import Foundation
import Synchronization

/// What a run of the built binary printed and returned.
package struct CommandResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    package var stdoutData: Data
}

/// Runs the `xray` binary that `swift build` put next to the test bundle.
package enum XRayBinary {
    /// The built binary: `$XRAY_BIN`, else `xray` in the products folder that holds this test bundle.
    package static var url: URL {
        if let path = ProcessInfo.processInfo.environment["XRAY_BIN"] { return URL(fileURLWithPath: path) }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = bundle.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("xray")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/xray")
    }

    /// Runs `xray ARGS` (or `executable`), feeding `stdin`, and waits for it; `NO_COLOR` is set.
    @discardableResult
    package static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
        executable: URL? = nil, currentDirectory: URL? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable ?? url
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let writer = Thread {
            if let stdin { input.fileHandleForWriting.write(stdin) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        // Read both pipes before waiting so a chatty child never blocks on a full pipe.
        // A thread of its own, not a shared pool, so that many tests at once never wait for a free worker.
        let errors = StreamBox()
        let errorsRead = DispatchSemaphore(value: 0)
        let errReader = Thread {
            errors.finish(err.fileHandleForReading.readDataToEndOfFile())
            errorsRead.signal()
        }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errorsRead.wait()
        let errData = errors.data
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutData: outData
        )
    }
}

/// The bytes a pipe's reader thread collected, handed to the thread that waits for the child.
package final class StreamBox: Sendable {
    private let state = Mutex(Data())

    package init() {}

    /// Stores what the reader read to the end of the stream.
    package func finish(_ data: Data) {
        state.withLock { $0 = data }
    }

    package var data: Data { state.withLock { $0 } }
}

/// Runs a program other than xray (an SDK app) to its end, or `timeout` seconds, when it is terminated;
/// its output is collected as it arrives, so a chatty app never blocks on a full pipe.
package func runProgram(
    _ executable: URL, _ arguments: [String], environment: [String: String], timeout: Double
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdout = PipeStream(), stderr = PipeStream()
    stdout.attach(out)
    stderr.attach(err)
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    stdout.waitForEnd()
    stderr.waitForEnd()
    return (process.terminationStatus, stdout.text, stderr.text)
}

/// Collects a long-running child's pipe as it arrives, so the child never blocks on a full pipe and a test
/// can read what it printed so far.
package final class PipeStream: Sendable {
    private struct State {
        var data = Data()
        var ended = false
    }
    private let state = Mutex(State())

    package init() {}

    package func attach(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                state.withLock { $0.ended = true }
            } else {
                state.withLock { $0.data.append(chunk) }
            }
        }
    }

    package var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }

    /// Waits (at most `seconds`) until the writer closed the pipe and every byte was taken. Callers wait after
    /// the process exited, when the end of input is certain: the long default only matters on a loaded machine,
    /// where the reading queue may run late.
    package func waitForEnd(seconds: Double = 30) {
        let deadline = Date().addingTimeInterval(seconds)
        while !state.withLock({ $0.ended }), Date() < deadline { usleep(5_000) }
    }
}
