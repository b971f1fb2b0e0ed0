import Foundation
import Testing
import XRayTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `xray daemon --forward-otlp`: a second daemon, or a small Python HTTP server, as the OTLP backend.
@Suite(.serialized) struct ForwardOTLPEndToEndTests {
    /// The fixture Flask app's segment documents as daemon datagrams.
    static func sdkDatagrams() throws -> [String] {
        let text = try String(contentsOf: fixturesDirectory.appendingPathComponent("sdk/flask.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.isEmpty }.map { #"{"format":"json","version":1}"# + "\n" + $0 }
    }

    /// (spanId, name) of every span `inspect export --format otlp` writes for the store.
    static func exportedSpans(_ store: String) throws -> Set<String> {
        let result = try XRayBinary.run(["inspect", "export", "--format", "otlp", "--store", store])
        try #require(result.status == 0, "export: \(result.stderr)")
        var spans = Set<String>()
        for line in result.stdout.split(separator: "\n") {
            let request = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            for rs in request["resourceSpans"] as? [[String: Any]] ?? [] {
                for ss in rs["scopeSpans"] as? [[String: Any]] ?? [] {
                    for span in ss["spans"] as? [[String: Any]] ?? [] {
                        spans.insert("\(span["spanId"] as? String ?? "?") \(span["name"] as? String ?? "?")")
                    }
                }
            }
        }
        return spans
    }

    /// The `counters` event of `xray daemon --json`.
    static func counters(_ stdout: String) throws -> [String: Any] {
        let events = stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return try #require(events.first { $0["event"] as? String == "counters" }, "no counters event in \(stdout)")
    }

    @Test func forwardsSDKAndOpenTelemetrySpansToASecondDaemon() throws {
        let folder = try makeTemporaryDirectory("xray-forward")
        defer { try? FileManager.default.removeItem(at: folder) }
        let front = folder.appendingPathComponent("front.sqlite").path, back = folder.appendingPathComponent("back.sqlite").path
        let backend = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off",
            "--quiet", "--store", back,
        ])
        defer { backend.kill() }
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off", "--json",
            "--forward-otlp", "http://127.0.0.1:\(backend.port)", "--store", front,
        ])
        defer { daemon.kill() }
        UDP.send(try Self.sdkDatagrams(), port: daemon.port)
        let capture = Array(try Data(contentsOf: fixturesDirectory.appendingPathComponent("otel/flask-protobuf.binpb")))
        #expect(try OTLPPost.send(port: daemon.port, capture, contentType: "application/x-protobuf").status == 200)
        // Stopping sends what is still queued before the daemon exits.
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(backend.stop(signal: SIGINT).status == 0)
        let sent = try Self.exportedSpans(front), received = try Self.exportedSpans(back)
        #expect(sent.count >= 10)
        #expect(received == sent)
        let counters = try Self.counters(stopped.stdout)
        #expect(counters["otlp_forwarded_spans"] as? Int == sent.count)
        #expect(counters["otlp_forward_dropped"] as? Int == 0)
        #expect(counters["otlp_forward_failed"] as? Int == 0)
        // The OTel spans arrive as the app sent them: the backend keeps them as originals, with their resource.
        let exported = try XRayBinary.run(["inspect", "export", "--format", "otlp", "--store", back]).stdout
        #expect(exported.contains("telemetry.sdk.language"))
    }

    /// A backend written in Python: answers the statuses given, one per request (the last repeats), and
    /// prints each request's path and body size.
    static let scriptedBackend = #"""
        import http.server, sys
        statuses = [int(s) for s in sys.argv[1].split(",")]
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                print(self.path, self.headers["Content-Type"], len(body), status, flush=True)
                answer = b"backend says no" if status >= 400 else b""
                self.send_response(status)
                if status == 503: self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    /// Starts the scripted backend; returns it and its port.
    static func startBackend(_ statuses: String, output: PipeStream) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", scriptedBackend, statuses]
        let pipe = Pipe()
        process.standardOutput = pipe
        output.attach(pipe)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let first = output.text.split(separator: "\n").first, output.text.contains("\n"), let port = Int(first) { return (process, port) }
            usleep(20_000)
        }
        stop(process)
        throw DaemonStartFailure(stderr: "the Python backend did not print its port")
    }

    /// SIGKILL and wait: the backend may inherit a blocked SIGTERM from the test runner's thread.
    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func retriesABatchTheBackendAnswered503() throws {
        let folder = try makeTemporaryDirectory("xray-forward-retry")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = PipeStream()
        let (backend, port) = try Self.startBackend("503,200", output: output)
        defer { Self.stop(backend) }
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off", "--json",
            "--forward-otlp", "http://127.0.0.1:\(port)/otlp/traces",
            "--store", folder.appendingPathComponent("s.sqlite").path,
        ])
        defer { daemon.kill() }
        UDP.send(try Self.sdkDatagrams(), port: daemon.port)
        // Wait for the retry to be answered before stopping, so it is the backoff that retried, not the exit.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, output.text.split(separator: "\n").count < 3 { usleep(50_000) }
        let stopped = daemon.stop(signal: SIGINT)
        let requests = output.text.split(separator: "\n").dropFirst()
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.hasPrefix("/otlp/traces application/x-protobuf ") })
        // The same batch both times.
        #expect(Set(requests.map { $0.split(separator: " ")[2] }).count == 1)
        let counters = try Self.counters(stopped.stdout)
        #expect(counters["otlp_forward_retries"] as? Int == 1)
        #expect(counters["otlp_forward_batches"] as? Int == 1)
        #expect((counters["otlp_forwarded_spans"] as? Int ?? 0) > 0)
        #expect(counters["otlp_forward_failed"] as? Int == 0)
    }

    @Test func dropsABatchTheBackendRefusedWithItsMessage() throws {
        let folder = try makeTemporaryDirectory("xray-forward-400")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = PipeStream()
        let (backend, port) = try Self.startBackend("400", output: output)
        defer { Self.stop(backend) }
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off", "--json",
            "--forward-otlp", "http://127.0.0.1:\(port)",
            "--store", folder.appendingPathComponent("s.sqlite").path,
        ])
        defer { daemon.kill() }
        UDP.send(try Self.sdkDatagrams(), port: daemon.port)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, output.text.split(separator: "\n").count < 2 { usleep(50_000) }
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
        #expect(output.text.split(separator: "\n").count == 2, "a 400 is not retried")
        let counters = try Self.counters(stopped.stdout)
        #expect(counters["otlp_forward_retries"] as? Int == 0)
        #expect((counters["otlp_forward_failed"] as? Int ?? 0) > 0)
        #expect((counters["otlp_forward_last_error"] as? String ?? "").contains("400: backend says no"))
        #expect(stopped.stdout.contains(#""event":"warning""#) && stopped.stdout.contains("backend says no"))
    }

    @Test func aBackendThatIsDownNeitherSlowsNorLosesLocalIntake() throws {
        let folder = try makeTemporaryDirectory("xray-forward-down")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A port nothing listens on: bound, then closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let downPort = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
        let store = folder.appendingPathComponent("s.sqlite").path
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off", "--json",
            "--forward-otlp", "http://127.0.0.1:\(downPort)", "--forward-otlp-queue", "20", "--store", store,
        ])
        defer { daemon.kill() }
        let burst = (0..<500).map { i in
            let id = String(format: "%016x", 0x1000 + i)
            return #"{"format":"json","version":1}"# + "\n"
                + #"{"trace_id":"1-6b0f0000-\#(String(format: "%024x", i))","id":"\#(id)","name":"burst","start_time":1796154710.0,"end_time":1796154710.5}"#
        }
        UDP.send(burst, port: daemon.port)
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let counters = try Self.counters(stopped.stdout)
        #expect(counters["stored"] as? Int == 500)
        #expect(counters["otlp_forwarded_spans"] as? Int == 0)
        let dropped = counters["otlp_forward_dropped"] as? Int ?? 0, failed = counters["otlp_forward_failed"] as? Int ?? 0
        #expect(dropped > 0)
        #expect(dropped + failed == 500)
        #expect((counters["otlp_forward_last_error"] as? String ?? "").contains("cannot reach the OTLP backend"))
        let listing = try XRayBinary.run(["inspect", "traces", "--count", "--store", store])
        #expect(listing.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "500")
    }

    @Test func httpsIsRefusedWithTheReasonAndAWorkaround() throws {
        let result = try XRayBinary.run(["daemon", "--forward-otlp", "https://otel.example.com:4318", "--store", temporaryStorePath()])
        #expect(result.status == 64)
        #expect(result.stderr.contains("https is not supported"))
        #expect(result.stderr.contains("OpenTelemetry Collector"))
        let queue = try XRayBinary.run(["daemon", "--forward-otlp-queue", "5", "--store", temporaryStorePath()])
        #expect(queue.status == 64)
        #expect(queue.stderr.contains("--forward-otlp-queue needs --forward-otlp"))
    }
}
