import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// OpenTelemetry apps through the built binary: the real OTel Python SDK, instrumentations and exporters
/// of the test virtualenv against `xray run` and `xray daemon`, and bad OTLP input over real sockets.
@Suite(.serialized) struct OTelEndToEndTests {
    static var venvBin: URL? { testPython.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } }
    static var hasOTel: Bool {
        venvBin.map { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("opentelemetry-instrument").path) } ?? false
    }

    static var pairApp: String { fixturesDirectory.appendingPathComponent("apps/otel_flask_pair.py").path }

    /// `xray run -- opentelemetry-instrument python app.py` with no OTel settings of its own: the front, the back
    /// and the sqlite3 query land in one trace tied to the run; metrics are answered, so the app logs no export error.
    @Test(.enabled(if: hasOTel)) func runCapturesAFlaskFrontAndBackUnderOpenTelemetryInstrument() throws {
        let folder = try makeTemporaryDirectory("xray-otel-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let bin = try #require(Self.venvBin)
        let run = try XRayBinary.run(
            ["run", "--store", store, "--tracing-name", "otel-front", "--",
             bin.appendingPathComponent("opentelemetry-instrument").path, bin.appendingPathComponent("python").path,
             Self.pairApp, "/hello", "/boom"],
            environment: ["PYTHONUNBUFFERED": "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/hello 200\n/boom 500\n")
        for failure in ["Failed to export", "Transient error", "StatusCode.UNAVAILABLE", "Connection refused"] {
            #expect(!run.stderr.contains(failure), "\(run.stderr)")
        }
        #expect(run.stderr.contains("1 fault"))

        let hello = try xray(["inspect", "traces", "--run", "1", "--filter", #"annotation.customer = "c42""#, "--format", "jsonl"], store)
        let helloSummary = try #require(jsonLines(hello).first)
        let helloID = try #require(helloSummary["Id"] as? String)
        #expect(helloSummary["EntityCount"] as? Int == 4)
        let tree = try xray(["inspect", "show", helloID, "--format", "json"], store)
        let root = try #require((try JSONSerialization.jsonObject(with: Data(tree.utf8)) as? [String: Any])?["segments"] as? [[String: Any]])
        #expect(root.count == 1)
        #expect(root.first?["name"] as? String == "otel-front")
        let call = try #require((root.first?["children"] as? [[String: Any]])?.first)
        #expect(call["namespace"] as? String == "remote")
        let back = try #require((call["children"] as? [[String: Any]])?.first)
        #expect(back["name"] as? String == "otel-back")
        let query = try #require((back["children"] as? [[String: Any]])?.first)
        #expect((query["sql"] as? [String: Any])?["sanitized_query"] as? String == "select name from items where id = ?")

        let faults = jsonLines(try xray(["inspect", "traces", "--filter", "fault", "--format", "jsonl"], store))
        #expect(faults.count == 1)
        #expect((faults.first?["Http"] as? [String: Any])?["HttpStatus"] as? Int == 500)
        let causes = faults.first?["FaultRootCauses"] as? [[String: Any]]
        #expect("\(causes ?? [])".contains("kaboom"))
        let backs = jsonLines(try xray(["inspect", "traces", "--filter", #"service("otel-back")"#, "--format", "jsonl"], store))
        #expect(backs.map { $0["Id"] as? String } == [helloID])
        let stats = try xray(["inspect", "stats", "--filter", #"service("otel-front")"#], store)
        #expect(stats.contains("all        2"), "\(stats)")
        let graph = try xray(["inspect", "graph"], store)
        #expect(graph.contains("-> otel-back: 1 calls"), "\(graph)")
    }

    /// The protobuf, gzip and JSON exporters against `xray daemon`'s API port; the daemon's counters at exit count the spans.
    @Test(.enabled(if: hasOTel), arguments: [
        ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"],
        ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"],
        ["OTEL_TRACES_EXPORTER": "otlp_json_http", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"],
    ])
    func daemonStoresWhatEachExporterSends(_ settings: [String: String]) throws {
        let folder = try makeTemporaryDirectory("xray-otel-daemon")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--store", store])
        defer { daemon.kill() }
        let bin = try #require(Self.venvBin)
        let process = Process()
        process.executableURL = bin.appendingPathComponent("opentelemetry-instrument")
        process.arguments = [bin.appendingPathComponent("python").path, Self.pairApp, "/hello"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OTEL_") }
        environment["OTEL_SERVICE_NAME"] = "otel-front"
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(daemon.port)"
        environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = settings["OTEL_TRACES_EXPORTER"] == nil ? nil : "http://127.0.0.1:\(daemon.port)/v1/traces"
        for (key, value) in settings { environment[key] = value }
        process.environment = environment
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = out
        let stderr = StreamBox(), stdout = StreamBox()
        stderr.attach(err)
        stdout.attach(out)
        try process.run()
        let deadline = Date().addingTimeInterval(40)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        stdout.waitForEnd()
        stderr.waitForEnd()
        #expect(process.terminationStatus == 0, "\(stderr.text)")
        #expect(stdout.text == "/hello 200\n")
        #expect(!stderr.text.contains("Failed to export"), "\(stderr.text)")
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("rejected 0"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("otlp spans 6: stored 6, rejected 0"), "\(stopped.stderr)")
        let hello = jsonLines(try xray(["inspect", "traces", "--filter", #"annotation.customer = "c42""#, "--format", "jsonl"], store))
        #expect(hello.first?["EntityCount"] as? Int == 4)
    }

    /// Bad OTLP bodies through a real socket: a clear status each, nothing stored but the good span, and the
    /// refused span in `xray inspect rejects`.
    @Test func daemonAnswersBadOTLPInputWithOTLPStatusCodes() throws {
        let folder = try makeTemporaryDirectory("xray-otel-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--store", store])
        defer { daemon.kill() }
        let port = daemon.port
        #expect(try OTLPPost.send(port: port, [0x0A, 0xFF], contentType: "application/x-protobuf").status == 400)
        #expect(try OTLPPost.send(port: port, Array("hello".utf8), contentType: "text/plain").status == 415)
        #expect(try OTLPPost.send(port: port, [0x0A], contentType: "application/x-protobuf", encoding: "zstd").status == 415)
        let bomb = Array(try Data(contentsOf: fixturesDirectory.appendingPathComponent("otel/bomb-10MiB-zeros.gz")))
        let bombed = try OTLPPost.send(port: port, bomb, contentType: "application/x-protobuf", encoding: "gzip")
        #expect(bombed.status == 413)
        #expect(String(decoding: bombed.body, as: UTF8.self).contains("inflates past the 4194304-byte limit"))
        let oversize = try OTLPPost.send(port: port, [UInt8](repeating: 0, count: (4 << 20) + 1), contentType: "application/x-protobuf")
        #expect(oversize.status == 413)
        // One span with a 16-byte trace id and a 7-byte span id next to a good one, in OTLP/JSON.
        let spans = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otel-bad"}}]},"scopeSpans":[{"spans":[{"traceId":"6b0f08b0111111111111111111111111","spanId":"2222222222222222","name":"GET /good","kind":2,"startTimeUnixNano":"1796154710000000000","endTimeUnixNano":"1796154710500000000"},{"traceId":"6b0f08b0111111111111111111111111","spanId":"33333333333333","name":"GET /bad","kind":2,"startTimeUnixNano":"1796154710000000000","endTimeUnixNano":"1796154710500000000"}]}]}]}"#
        let partial = try OTLPPost.send(port: port, Array(spans.utf8), contentType: "application/json")
        #expect(partial.status == 200)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(partial.body)) as? [String: Any])
        #expect((answer["partialSuccess"] as? [String: Any])?["rejectedSpans"] as? String == "1")
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.stderr.contains("otlp spans 2: stored 1, rejected 1"), "\(stopped.stderr)")
        #expect(try xray(["inspect", "traces", "--count"], store).hasPrefix("1"))
        let rejects = try xray(["inspect", "rejects"], store)
        #expect(rejects.contains("spanId has 7 bytes"), "\(rejects)")
    }

    /// ADOT's Lambda-mode `T1S` datagram, captured from aws-opentelemetry-distro 0.21.0, sent over real UDP to
    /// the daemon: its four spans are stored; a datagram with broken base64 is a reject.
    @Test func daemonStoresADOTDatagrams() throws {
        let folder = try makeTemporaryDirectory("xray-otel-adot")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--store", store])
        defer { daemon.kill() }
        let captured = try String(contentsOf: fixturesDirectory.appendingPathComponent("otel/adot-lambda.t1s"), encoding: .utf8)
        UDP.send([captured, "{\"format\":\"json\",\"version\":1}\nT1S%%%%"], port: daemon.port)
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.stderr.contains("datagrams 2, documents 5: stored 4, duplicates 0, rejected 1"), "\(stopped.stderr)")
        let listing = jsonLines(try xray(["inspect", "traces", "--format", "jsonl"], store))
        #expect(listing.reduce(0) { $0 + ($1["EntityCount"] as? Int ?? 0) } == 4)
        #expect(try xray(["inspect", "rejects"], store).contains("not base64"))
    }

    func xray(_ arguments: [String], _ store: String) throws -> String {
        let result = try XRayBinary.run(arguments + ["--store", store])
        try #require(result.status == 0, "xray \(arguments): \(result.stderr)")
        return result.stdout
    }

    func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// One OTLP/HTTP request with raw bytes over a real TCP connection.
enum OTLPPost {
    static func send(port: Int, path: String = "/v1/traces", _ body: [UInt8], contentType: String,
                     encoding: String? = nil) throws -> (status: Int, body: [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTP.Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nConnection: close\r\n"
        if let encoding { head += "Content-Encoding: \(encoding)\r\n" }
        let request = Array((head + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // A refused oversize request is answered before its body is read: stop sending and read the answer.
            if n <= 0 { break }
            sent += n
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            buffer += chunk[0..<n]
        }
        guard let end = (0..<max(buffer.count - 3, 0)).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }) else {
            throw HTTP.Failure(description: "no response: \(String(decoding: buffer.prefix(200), as: UTF8.self))")
        }
        let statusLine = String(decoding: buffer[..<end], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, Array(buffer[(end + 4)...]))
    }
}
