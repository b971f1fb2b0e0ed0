import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// OpenTelemetry apps through the built binary: the real OTel Python SDK, instrumentations and exporters
/// of the test virtualenv against `xray run` and `xray daemon`, and bad OTLP input over real sockets.
@Suite(.serialized) struct OTelEndToEndTests {
    static var venvBin: URL? { testPython.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } }
    static var hasOTel: Bool {
        venvBin.map { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("opentelemetry-instrument").path) } ?? false
    }

    /// The separate virtualenv `Scripts/test-venv` makes for aws-opentelemetry-distro.
    static var adotBin: URL? {
        let bin = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".tools/adot-venv/bin")
        return FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("opentelemetry-instrument").path) ? bin : nil
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
            [
                "run", "--store", store, "--tracing-name", "otel-front", "--",
                bin.appendingPathComponent("opentelemetry-instrument").path, bin.appendingPathComponent("python").path,
                Self.pairApp, "/hello", "/boom",
            ],
            environment: ["PYTHONUNBUFFERED": "1"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/hello 200\n/boom 500\n")
        for failure in ["Failed to export", "Transient error", "StatusCode.UNAVAILABLE", "Connection refused"] {
            #expect(!run.stderr.contains(failure), "\(run.stderr)")
        }
        #expect(run.stderr.contains("1 fault"))
        #expect(run.stderr.contains("xray run: OpenTelemetry spans 7: stored 7\n"), "\(run.stderr)")

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
        #expect(graph.contains("-> otel-back: 1 call,"), "\(graph)")
    }

    /// The migration case: a Flask front traced by the X-Ray SDK calls a Flask back traced by OpenTelemetry with the
    /// `xray` propagator, both under one `xray run`; the back's segment hangs under the front's `requests` subsegment
    /// in one trace, and `edge()` sees the call.
    @Test(.enabled(if: hasOTel)) func runJoinsAnXRaySDKFrontAndAnOpenTelemetryBackInOneTrace() throws {
        let folder = try makeTemporaryDirectory("xray-otel-mixed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let python = try #require(Self.venvBin).appendingPathComponent("python").path
        let run = try XRayBinary.run(["run", "--store", store, "--", python, Self.pairApp, "--xray-front", "/hello"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/hello 200\n")
        let mixed = jsonLines(try xray(["inspect", "traces", "--filter", #"edge("xray-front", "otel-back")"#, "--format", "jsonl"], store))
        #expect(mixed.count == 1)
        let id = try #require(mixed.first?["Id"] as? String)
        let tree = try xray(["inspect", "show", id, "--format", "json"], store)
        let root = try #require(((try JSONSerialization.jsonObject(with: Data(tree.utf8)) as? [String: Any])?["segments"] as? [[String: Any]])?.first)
        #expect(root["name"] as? String == "xray-front")
        #expect((root["annotations"] as? [String: Any])?["customer"] as? String == "c42")
        let call = try #require((root["children"] as? [[String: Any]])?.first)
        let back = try #require((call["children"] as? [[String: Any]])?.first)
        #expect(back["name"] as? String == "otel-back")
        #expect(back["parent_id"] as? String == call["id"] as? String)
        #expect(((back["children"] as? [[String: Any]])?.first?["sql"] as? [String: Any]) != nil)
    }

    /// The migration the other way round: an OpenTelemetry front (the `xray` propagator and id generator, as
    /// ADOT sets them) calling a Flask back traced by the X-Ray SDK gives one trace, the SDK's segment under the
    /// front's client call.
    @Test(.enabled(if: hasOTel)) func runJoinsAnOpenTelemetryFrontAndAnXRaySDKBackInOneTrace() throws {
        let folder = try makeTemporaryDirectory("xray-otel-mixed-reverse")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let bin = try #require(Self.venvBin)
        let run = try XRayBinary.run(
            [
                "run", "--store", store, "--", bin.appendingPathComponent("opentelemetry-instrument").path,
                bin.appendingPathComponent("python").path, Self.pairApp, "--otel-front-xray-back", "/hello",
            ],
            environment: [
                "OTEL_SERVICE_NAME": "otel-front", "OTEL_PROPAGATORS": "xray", "OTEL_PYTHON_ID_GENERATOR": "xray",
                "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/hello 200\n")
        let mixed = jsonLines(try xray(["inspect", "traces", "--filter", #"edge("otel-front", "xray-back")"#, "--format", "jsonl"], store))
        let listing = try xray(["inspect", "traces"], store)
        #expect(mixed.count == 1, "\(listing)")
        let id = try #require(mixed.first?["Id"] as? String)
        let tree = try xray(["inspect", "show", id], store)
        #expect(tree.contains("otel-front") && tree.contains("xray-back"), "\(tree)")
    }

    /// aiohttp (server and client instrumentations) and Django under `xray run -- opentelemetry-instrument`: each
    /// request is a trace of the run, the aiohttp call nested under the remote subsegment that made it.
    @Test(.enabled(if: hasOTel)) func runCapturesAiohttpAndDjangoUnderOpenTelemetryInstrument() throws {
        let folder = try makeTemporaryDirectory("xray-otel-frameworks")
        defer { try? FileManager.default.removeItem(at: folder) }
        let bin = try #require(Self.venvBin)
        let apps = fixturesDirectory.appendingPathComponent("apps")
        let python = bin.appendingPathComponent("python").path, instrument = bin.appendingPathComponent("opentelemetry-instrument").path
        func drive(_ name: String, _ script: String, _ paths: String, environment: [String: String] = [:]) throws -> String {
            let store = folder.appendingPathComponent("\(name).sqlite").path
            let port = String(Int.random(in: 20_000..<40_000))
            let run = try XRayBinary.run(
                [
                    "run", "--store", store, "--tracing-name", name, "--", python, apps.appendingPathComponent("drive.py").path, port, paths,
                    "--", instrument, python, apps.appendingPathComponent(script).path, port,
                ],
                environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("Failed to export"), "\(run.stderr)")
            return store
        }
        let aiohttp = try drive("front", "otel_aiohttp_app.py", "/checkout")
        let checkout = jsonLines(try xray(["inspect", "traces", "--run", "last", "--filter", #"http.url CONTAINS "/checkout""#, "--format", "jsonl"], aiohttp))
        let id = try #require(checkout.first?["Id"] as? String)
        let tree = try xray(["inspect", "show", id], aiohttp)
        #expect(tree.contains("front  [segment]"), "\(tree)")
        #expect(tree.contains("GET  [subsegment remote]"), "\(tree)")
        #expect(tree.contains("GET /stock/42 200"), "\(tree)")
        #expect(checkout.first?["EntityCount"] as? Int == 3)

        let django = try drive(
            "my-site", "otel_django_site.py", "/orders/ada/,/broken/",
            environment: ["DJANGO_SETTINGS_MODULE": "otel_django_site", "PYTHONPATH": apps.path])
        let csv = try xray(["inspect", "traces", "--run", "last", "--format", "csv"], django)
        #expect(csv.contains(",my-site,GET,") && csv.contains("/orders/ada/,200,"), "\(csv)")
        let faults = jsonLines(try xray(["inspect", "traces", "--filter", #"service("my-site") AND fault"#, "--format", "jsonl"], django))
        #expect(faults.count == 1)
        #expect((faults.first?["Http"] as? [String: Any])?["HttpStatus"] as? Int == 503)
    }

    /// The protobuf, gzip and JSON exporters against `xray daemon`'s API port; the daemon's counters at exit count the spans.
    @Test(
        .enabled(if: hasOTel),
        arguments: [
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
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OTEL_") }
        environment["OTEL_SERVICE_NAME"] = "otel-front"
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(daemon.port)"
        environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = settings["OTEL_TRACES_EXPORTER"] == nil ? nil : "http://127.0.0.1:\(daemon.port)/v1/traces"
        for (key, value) in settings { environment[key] = value }
        let app = try runProgram(
            bin.appendingPathComponent("opentelemetry-instrument"),
            [bin.appendingPathComponent("python").path, Self.pairApp, "/hello"], environment: environment, timeout: 40)
        #expect(app.status == 0, "\(app.stderr)")
        #expect(app.stdout == "/hello 200\n")
        #expect(!app.stderr.contains("Failed to export"), "\(app.stderr)")
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
        let spans =
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otel-bad"}}]},"scopeSpans":[{"spans":[{"traceId":"6b0f08b0111111111111111111111111","spanId":"2222222222222222","name":"GET /good","kind":2,"startTimeUnixNano":"1796154710000000000","endTimeUnixNano":"1796154710500000000"},{"traceId":"6b0f08b0111111111111111111111111","spanId":"33333333333333","name":"GET /bad","kind":2,"startTimeUnixNano":"1796154710000000000","endTimeUnixNano":"1796154710500000000"}]}]}]}"#
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

    /// `xray inspect export --format otlp` gives back the spans the Python exporter sent (ids, times, flags, kinds,
    /// attributes, events, resource), not a conversion of the translated documents.
    @Test func exportGivesBackTheSpansAsSent() throws {
        let folder = try makeTemporaryDirectory("xray-otel-export")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--store", store])
        defer { daemon.kill() }
        let capture = Array(try Data(contentsOf: fixturesDirectory.appendingPathComponent("otel/flask-protobuf.binpb")))
        #expect(try OTLPPost.send(port: daemon.port, capture, contentType: "application/x-protobuf").status == 200)
        #expect(daemon.stop(signal: SIGTERM).status == 0)
        let expected = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: fixturesDirectory.appendingPathComponent("otel/expected.json"))) as? [String: Any])
        let sent = try #require(expected["flask-protobuf.binpb"] as? [[String: Any]])
        var exported: [String: [String: Any]] = [:]
        var resourceAttributes: [String: Int] = [:]
        for request in jsonLines(try xray(["inspect", "export", "--format", "otlp"], store)) {
            for rs in request["resourceSpans"] as? [[String: Any]] ?? [] {
                let resource = ((rs["resource"] as? [String: Any])?["attributes"] as? [Any])?.count ?? 0
                for ss in rs["scopeSpans"] as? [[String: Any]] ?? [] {
                    for span in ss["spans"] as? [[String: Any]] ?? [] {
                        let id = span["spanId"] as? String ?? ""
                        exported[id] = span
                        resourceAttributes[id] = resource
                    }
                }
            }
        }
        #expect(exported.count == sent.count)
        for want in sent {
            let id = try #require(want["spanId"] as? String)
            let got = try #require(exported[id], "span \(id) not exported")
            #expect(got["traceId"] as? String == want["traceId"] as? String)
            #expect((got["parentSpanId"] as? String ?? "") == want["parentSpanId"] as? String)
            #expect(got["name"] as? String == want["name"] as? String)
            #expect(got["kind"] as? Int == want["kind"] as? Int)
            #expect(got["startTimeUnixNano"] as? String == want["start"] as? String)
            #expect(got["endTimeUnixNano"] as? String == want["end"] as? String)
            #expect(got["flags"] as? Int == want["flags"] as? Int)
            #expect((got["attributes"] as? [Any])?.count == want["attributes"] as? Int)
            #expect(((got["events"] as? [Any])?.count ?? 0) == want["events"] as? Int)
            #expect(resourceAttributes[id] == want["resourceAttributes"] as? Int)
        }
    }

    /// `--otlp-max-body`, `--index-attributes` and `--index-all-attributes` through the built binary.
    @Test func daemonOptionsBoundBodiesAndIndexAttributes() throws {
        let folder = try makeTemporaryDirectory("xray-otel-options")
        defer { try? FileManager.default.removeItem(at: folder) }
        let span =
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeSpans":[{"spans":[{"traceId":"6b0f08b0222222222222222222222222","spanId":"4444444444444444","name":"GET /x","kind":2,"startTimeUnixNano":"1796154710000000000","endTimeUnixNano":"1796154710500000000","attributes":[{"key":"http.route","value":{"stringValue":"/x"}},{"key":"tier","value":{"stringValue":"gold"}}]}]}]}]}"#
        func annotations(_ options: [String]) throws -> [String: Any] {
            let store = folder.appendingPathComponent("\(options.joined()).sqlite").path
            let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--store", store] + options)
            defer { daemon.kill() }
            #expect(try OTLPPost.send(port: daemon.port, Array(span.utf8), contentType: "application/json").status == 200)
            #expect(daemon.stop(signal: SIGTERM).status == 0)
            let tree = try xray(["inspect", "show", "1-6b0f08b0-222222222222222222222222", "--format", "json"], store)
            let root = (try JSONSerialization.jsonObject(with: Data(tree.utf8)) as? [String: Any])?["segments"] as? [[String: Any]]
            return root?.first?["annotations"] as? [String: Any] ?? [:]
        }
        #expect(try annotations([]).isEmpty)
        #expect(try annotations(["--index-attributes", "http.route"]).keys.sorted() == ["http.route"])
        #expect(try annotations(["--index-attributes", "tier,http.route"]).keys.sorted() == ["http.route", "tier"])
        #expect(try annotations(["--index-all-attributes"])["tier"] as? String == "gold")

        let store = folder.appendingPathComponent("small.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-max-body", "1024", "--store", store])
        defer { daemon.kill() }
        let capture = Array(try Data(contentsOf: fixturesDirectory.appendingPathComponent("otel/flask-protobuf.binpb")))
        #expect(try OTLPPost.send(port: daemon.port, capture, contentType: "application/x-protobuf").status == 413)
        #expect(try OTLPPost.send(port: daemon.port, Array(span.utf8), contentType: "application/json").status == 200)
        let usage = try XRayBinary.run(["daemon", "--otlp-max-body", "10", "--store", store])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--otlp-max-body"))
    }

    /// aws-opentelemetry-distro in Lambda mode under `xray run --lambda` (which sets AWS_LAMBDA_FUNCTION_NAME and
    /// AWS_XRAY_DAEMON_ADDRESS): its `T1S` datagrams reach the run's UDP port and become the run's traces.
    @Test(.enabled(if: adotBin != nil)) func runCapturesADOTInLambdaMode() throws {
        let folder = try makeTemporaryDirectory("xray-otel-adot-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let bin = try #require(Self.adotBin)
        let run = try XRayBinary.run(
            [
                "run", "--lambda", "--tracing-name", "adot-demo", "--store", store, "--",
                bin.appendingPathComponent("opentelemetry-instrument").path, bin.appendingPathComponent("python").path,
                fixturesDirectory.appendingPathComponent("apps/adot_flask_app.py").path, "/hello", "/boom",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/hello 200\n/boom 500\n")
        #expect(run.stderr.contains("xray run: OpenTelemetry spans 3: stored 3\n"), "\(run.stderr)")
        let hello = jsonLines(
            try xray(["inspect", "traces", "--run", "last", "--filter", #"service("adot-demo") AND http.url CONTAINS "/hello""#, "--format", "jsonl"], store))
        #expect(hello.count == 1)
        #expect(hello.first?["EntityCount"] as? Int == 2)
        #expect(jsonLines(try xray(["inspect", "traces", "--run", "last", "--filter", "fault", "--format", "jsonl"], store)).count == 1)
        #expect(try XRayBinary.run(["inspect", "rejects", "--store", store]).stderr.contains("no rejects"))
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
    struct NoResponse: Error, CustomStringConvertible { var description: String }

    static func send(
        port: Int, path: String = "/v1/traces", _ body: [UInt8], contentType: String,
        encoding: String? = nil
    ) throws -> (status: Int, body: [UInt8]) {
        let connection = try RawHTTP(port: port, timeout: 30)
        defer { connection.close() }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nConnection: close\r\n"
        if let encoding { head += "Content-Encoding: \(encoding)\r\n" }
        // A refused oversize request is answered before its body is read: the answer is read either way.
        connection.write(bytes: Array((head + "Content-Length: \(body.count)\r\n\r\n").utf8) + body)
        let buffer = connection.readToEnd()
        guard let end = ClientResponse.headEnd(buffer), let (status, _) = ClientResponse.head(buffer[..<end]) else {
            throw NoResponse(description: "no response: \(String(decoding: buffer.prefix(200), as: UTF8.self))")
        }
        return (status, Array(buffer[(end + 4)...]))
    }
}
