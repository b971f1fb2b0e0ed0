import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a run of the built binary printed and returned.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutData: Data
}

/// Runs the `xray` binary that `swift build` put next to the test bundle.
enum XRayBinary {
    /// The built binary: `$XRAY_BIN`, else `xray` in the products folder that holds this test bundle.
    static var url: URL {
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

    /// Runs `xray ARGS`, feeding `stdin`, and waits for it.
    @discardableResult
    static func run(
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
        let errBox = DataBox()
        let errReader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errBox.done { usleep(1000) }
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self),
            stdoutData: outData
        )
    }
}

/// Carries a pipe's bytes from its reader thread; `done` flips once the reader finished.
final class DataBox: @unchecked Sendable {
    // Safe: written once by the reader thread before `done` is set, read only after `done` is observed.
    private let lock = NSLock()
    private var _data = Data()
    private var _done = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _done = true } }
    }
    var done: Bool { lock.withLock { _done } }
}

/// A fresh folder under the system temporary folder, removed by the caller when done.
func makeTemporaryDirectory(_ name: String = "xray-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The checked-in fixtures folder (`Tests/Fixtures`).
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The Python of the test virtualenv that `Scripts/test` prepares, when there is one.
var testPython: String? {
    if let p = ProcessInfo.processInfo.environment["XRAY_TEST_PYTHON"], FileManager.default.isExecutableFile(atPath: p) {
        return p
    }
    let local = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".tools/venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: local) ? local : nil
}

/// graphviz's `dot`, which `Scripts/test` installs: the README pipes `graph --format dot` into it.
func graphviz() throws -> URL {
    let path = try #require(["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) },
                            "graphviz's dot (apt-get install graphviz; Scripts/test does)")
    return URL(fileURLWithPath: path)
}

/// A minimal HTTP/1.1 client over a real TCP socket on 127.0.0.1.
enum HTTP {
    struct Response {
        var status: Int
        var body: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends one request with `Connection: close` and reads the answer to the end of the stream.
    static func post(port: Int, _ path: String, _ body: String) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        let request = Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed after \(sent) bytes") }
            sent += n
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            buffer += chunk[0..<n]
        }
        let text = String(decoding: buffer, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { throw Failure(description: "no response (the daemon may have died): \(text.prefix(200))") }
        let statusLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "bad status line \(statusLine)") }
        return Response(status: status, body: String(text[headEnd.upperBound...]))
    }
}

/// Datagrams to 127.0.0.1, as an SDK sends them.
enum UDP {
    /// Sends each payload as one datagram from one socket.
    static func send(_ payloads: [String], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        for payload in payloads {
            let bytes = Array(payload.utf8)
            _ = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }
}
