import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// OTLP/gRPC through the built binary: the real grpcio client (from the test virtualenv) against
/// `xray daemon`'s TCP port and `xray run`'s collector, which tell HTTP/2 from HTTP/1.1 by the preface.
@Suite(.serialized) struct GRPCEndToEndTests {
    /// Calls each method given on the command line with raw bytes (`METHOD=HEX`, or `METHOD=*N` for N bytes
    /// of `x`) on one channel and prints one JSON line per call: the status code's name and the details.
    static let probe = """
        import json, os, sys, grpc
        target = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "-" else os.environ["AWS_XRAY_DAEMON_ADDRESS"]
        channel = grpc.insecure_channel(target)
        for spec in sys.argv[2:]:
            method, _, payload = spec.partition("=")
            call = channel.unary_unary(method)
            body = b"x" * int(payload[1:]) if payload.startswith("*") else bytes.fromhex(payload)
            try:
                reply = call(body, timeout=10)
                print(json.dumps({"method": method, "code": "OK", "reply": reply.hex()}))
            except grpc.RpcError as error:
                print(json.dumps({"method": method, "code": error.code().name, "details": error.details()}))
        """

    static let traceExport = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

    /// Two spans (a server span and its child) sent by the real OTLP/gRPC span exporter to `argv[1]`,
    /// gzip-compressed when `argv[3]` is `gzip`; prints the export result's name.
    static let exporter = """
        import sys, grpc
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
        from opentelemetry.trace import SpanKind
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        ended = []
        class Keep(SpanProcessor):
            def on_end(self, span):
                ended.append(span)
        provider = TracerProvider(resource=Resource.create({"service.name": sys.argv[2]}))
        provider.add_span_processor(Keep())
        tracer = provider.get_tracer("grpc-e2e")
        with tracer.start_as_current_span("GET /orders", kind=SpanKind.SERVER,
                                          attributes={"http.method": "GET", "http.route": "/orders", "http.status_code": 200}):
            with tracer.start_as_current_span("load orders"):
                pass
        compression = grpc.Compression.Gzip if sys.argv[3] == "gzip" else grpc.Compression.NoCompression
        exporter = OTLPSpanExporter(endpoint="http://" + sys.argv[1], insecure=True, compression=compression, timeout=10)
        print(exporter.export(ended).name)
        """

    static var hasGRPCExporter: Bool {
        guard let python = testPython else { return false }
        let site = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: site.path)) ?? []
        return versions.contains {
            FileManager.default.fileExists(atPath: site.appendingPathComponent("\($0)/site-packages/opentelemetry/exporter/otlp/proto/grpc").path)
        }
    }

    @Test(.enabled(if: hasGRPCExporter), arguments: ["none", "gzip"])
    func theOTLPGRPCExportersSpansAreStored(_ compression: String) throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("grpc-export")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let service = "orders-\(compression)"
        let run = try XRayBinary.run(["-c", Self.exporter, daemon.address, service, compression], executable: URL(fileURLWithPath: python))
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(run.stdout == "SUCCESS\n", "\(run.stdout) \(run.stderr.suffix(2000))")
        #expect(daemon.stop(signal: SIGINT).status == 0)

        let list = try XRayBinary.run(["inspect", "traces", "--format", "jsonl", "--store", store])
        let summaries = Self.calls(list.stdout)
        #expect(summaries.count == 1, "\(list.stdout) \(list.stderr)")
        let id = try #require(summaries.first?["Id"] as? String)
        let shown = try XRayBinary.run(["inspect", "show", id, "--format", "json", "--store", store])
        let json = try #require(try JSONSerialization.jsonObject(with: shown.stdoutData) as? [String: Any])
        let roots = try #require(json["segments"] as? [[String: Any]])
        #expect(roots.map { $0["name"] as? String } == [service])
        let children = roots.first?["children"] as? [[String: Any]] ?? []
        #expect(children.map { $0["name"] as? String } == ["load orders"])
    }

    static func calls(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test(.enabled(if: testPython != nil)) func unknownMethodIsUnimplementedAndHTTP1StillServedOnThePort() throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("grpc-unknown")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let run = try XRayBinary.run(
            ["-c", Self.probe, daemon.address, "/helloworld.Greeter/SayHello=0a03616263"],
            executable: URL(fileURLWithPath: python))
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        let calls = Self.calls(run.stdout)
        #expect(calls.count == 1)
        #expect(calls.first?["code"] as? String == "UNIMPLEMENTED")
        #expect((calls.first?["details"] as? String)?.contains("/helloworld.Greeter/SayHello") == true, "\(calls)")
        // The same port still speaks HTTP/1.1 to the X-Ray SDKs.
        let rules = try HTTP.post(port: daemon.port, "/GetSamplingRules", "{}")
        #expect(rules.status == 200)
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
    }

    @Test(.enabled(if: testPython != nil)) func xrayRunsCollectorAnswersGRPCOnItsOneTCPPort() throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("grpc-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        // The child finds the run's collector in AWS_XRAY_DAEMON_ADDRESS (host:port, UDP and TCP alike).
        let run = try XRayBinary.run([
            "run", "--quiet", "--store", store, "--", python, "-c", Self.probe, "-",
            "/helloworld.Greeter/SayHello=",
        ])
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(Self.calls(run.stdout).first?["code"] as? String == "UNIMPLEMENTED", "\(run.stdout) \(run.stderr.suffix(500))")
    }

    @Test(.enabled(if: testPython != nil)) func messageOverTheLimitIsResourceExhaustedAndTheChannelServesOn() throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("grpc-big")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let run = try XRayBinary.run(
            [
                "-c", Self.probe, daemon.address, "\(Self.traceExport)=*\((4 << 20) + 1)",
                "/helloworld.Greeter/SayHello=*3000000",
            ],
            executable: URL(fileURLWithPath: python))
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        let calls = Self.calls(run.stdout)
        #expect(calls.map { $0["code"] as? String } == ["RESOURCE_EXHAUSTED", "UNIMPLEMENTED"], "\(calls)")
        #expect((calls.first?["details"] as? String)?.contains("4194304") == true)
        #expect(daemon.stop(signal: SIGINT).status == 0)
    }

    /// The `otlp-grpc=127.0.0.1:PORT` of the daemon's listening line.
    static func grpcPort(_ daemon: DaemonProcess) throws -> Int {
        let text = daemon.stderr.text
        let range = try #require(text.range(of: #"otlp-grpc=127\.0\.0\.1:\d+"#, options: .regularExpression), "\(text)")
        return try #require(Int(text[range].split(separator: ":").last ?? ""))
    }

    @Test(.enabled(if: hasGRPCExporter)) func otlpGRPCListenerServesTheExportCallsAndATakenAddressIsExit69() throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("grpc-listener")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "127.0.0.1:0",
            "--quiet", "--store", store,
        ])
        defer { daemon.kill() }
        let port = try Self.grpcPort(daemon)
        #expect(port != daemon.port)
        let probe = try XRayBinary.run(
            [
                "-c", Self.probe, "127.0.0.1:\(port)",
                "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export=",
                "/opentelemetry.proto.collector.logs.v1.LogsService/Export=",
                "/helloworld.Greeter/SayHello=",
            ],
            executable: URL(fileURLWithPath: python))
        #expect(Self.calls(probe.stdout).map { $0["code"] as? String } == ["OK", "OK", "UNIMPLEMENTED"], "\(probe.stdout) \(probe.stderr)")
        let export = try XRayBinary.run(["-c", Self.exporter, "127.0.0.1:\(port)", "listener", "gzip"], executable: URL(fileURLWithPath: python))
        #expect(export.stdout == "SUCCESS\n", "\(export.stderr.suffix(2000))")

        // The same address asked of a second daemon is taken: exit 69, naming the port.
        let second = try XRayBinary.run([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "127.0.0.1:\(port)",
            "--quiet", "--store", store,
        ])
        #expect(second.status == 69, "\(second.stderr)")
        #expect(second.stderr.contains("OTLP/gRPC port \(port) on 127.0.0.1 is already in use"), "\(second.stderr)")
        #expect(second.stderr.contains("choose another address with --otlp-grpc HOST:PORT, or off"), "\(second.stderr)")
        #expect(!second.stderr.contains("--listen"), "the X-Ray address was free: \(second.stderr)")

        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("otlp spans 2: stored 2"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("metrics requests 1, logs requests 1"), "\(stopped.stderr)")
        let list = try XRayBinary.run(["inspect", "traces", "--format", "jsonl", "--store", store])
        #expect(Self.calls(list.stdout).count == 1)
    }

    @Test func otlpGRPCOffLeavesOnlyTheTCPAddress() throws {
        let folder = try makeTemporaryDirectory("grpc-off")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off",
            "--quiet", "--store", store,
        ])
        defer { daemon.kill() }
        #expect(daemon.stderr.text.contains("otlp-grpc=off"), "\(daemon.stderr.text)")
        let bad = try XRayBinary.run(["daemon", "--otlp-grpc", "nowhere", "--store", store])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--otlp-grpc"), "\(bad.stderr)")
        #expect(daemon.stop(signal: SIGINT).status == 0)
    }

    /// An app that insists on gRPC (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, which `xray run` leaves alone) under
    /// `opentelemetry-instrument` with the distribution's other defaults: its spans and metrics reach the run's
    /// collector on its one TCP port, and the SDK logs no export error.
    @Test(.enabled(if: hasGRPCExporter)) func xrayRunCapturesAnAppThatInsistsOnGRPC() throws {
        let python = try #require(testPython)
        let instrument = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("opentelemetry-instrument").path
        let folder = try makeTemporaryDirectory("grpc-run-otel")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let app = """
            from opentelemetry import metrics, trace
            metrics.get_meter("app").create_counter("hits").add(1)
            with trace.get_tracer("app").start_as_current_span("GET /hello", kind=trace.SpanKind.SERVER,
                                                               attributes={"http.method": "GET", "http.status_code": 200}):
                pass
            print("done")
            """
        let run = try XRayBinary.run(
            ["run", "--store", store, "--", instrument, python, "-c", app],
            environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_SERVICE_NAME": "insists-on-grpc"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "done\n")
        #expect(run.stderr.contains("left alone, as you had set them: OTEL_EXPORTER_OTLP_PROTOCOL"), "\(run.stderr)")
        for failure in ["Failed to export", "Transient error", "StatusCode.", "UNAVAILABLE"] {
            #expect(!run.stderr.contains(failure), "\(run.stderr)")
        }
        let list = try XRayBinary.run(["inspect", "traces", "--run", "last", "--format", "jsonl", "--store", store])
        #expect(Self.calls(list.stdout).count == 2, "\(list.stdout)")
        #expect(list.stdout.contains("insists-on-grpc"), "\(list.stdout)")
    }

    /// Broken HTTP/2 from a raw socket: a GOAWAY with the error's code, then the daemon serves the next client.
    @Test func malformedHTTP2GetsGoAwayAndTheDaemonServesOn() throws {
        let folder = try makeTemporaryDirectory("grpc-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
        let cases: [(name: String, bytes: [UInt8], code: UInt32)] = [
            ("HEADERS on stream 0", preface + settings + [0, 0, 1, 1, 4, 0, 0, 0, 0, 0x82], 1),
            ("an HPACK index out of range", preface + settings + [0, 0, 1, 1, 5, 0, 0, 0, 1, 0x80 | 99], 9),
            ("a frame over 16 KiB", preface + settings + [0, 0x40, 0x01, 0, 0, 0, 0, 0, 1], 6),
            ("CONTINUATION without HEADERS", preface + settings + [0, 0, 1, 9, 4, 0, 0, 0, 1, 0x82], 1),
        ]
        for item in cases {
            let answer = try RawTCP.exchange(port: daemon.port, item.bytes)
            #expect(Self.goAwayCode(answer) == item.code, "\(item.name): \(answer)")
        }
        let rules = try HTTP.post(port: daemon.port, "/GetSamplingRules", "{}")
        #expect(rules.status == 200)
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
    }

    /// The error code of the first GOAWAY among the frames the server sent.
    static func goAwayCode(_ bytes: [UInt8]) -> UInt32? {
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            guard offset + 9 + length <= bytes.count else { return nil }
            if bytes[offset + 3] == 7, length >= 8 {
                let p = offset + 9 + 4
                return UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
            }
            offset += 9 + length
        }
        return nil
    }
}

/// Writes bytes to 127.0.0.1:port and reads until the server closes (or 10 s pass).
enum RawTCP {
    struct Failure: Error { var message: String }

    static func exchange(port: Int, _ bytes: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(message: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(message: "connect: \(errno)") }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
}
