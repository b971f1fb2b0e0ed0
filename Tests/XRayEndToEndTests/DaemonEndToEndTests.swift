import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// `xray daemon` as a real process, driven by real apps with the real Python X-Ray SDK.
@Suite(.serialized) struct DaemonEndToEndTests {
    /// Flask with `XRayMiddleware`: every request the SDK sends is stored and assembled right, and SIGTERM
    /// flushes, prints the counters and exits 0.
    @Test(.enabled(if: testPython != nil)) func storesAFlaskAppsTraces() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", store])
        defer { daemon.kill() }
        let app = try PythonApp.run("flask_daemon_app.py", ["plain"], daemonAddress: daemon.address)
        #expect(app.status == 0, "\(app.stderr)")
        let requests = app.lines
        #expect(requests.count == 2)
        let itemsTrace = try #require(requests.first?["trace_id"] as? String)
        let boomTrace = try #require(requests.last?["trace_id"] as? String)

        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("datagrams 2, documents 2: stored 2, duplicates 0, rejected 0"))
        #expect(stopped.stderr.contains("flask-app  GET  /items/3  200"))

        let items = try showTrace(itemsTrace, store: store)
        let segments = try #require(items["segments"] as? [[String: Any]])
        #expect(segments.count == 1)
        let root = try #require(segments.first)
        #expect(root["name"] as? String == "flask-app")
        #expect(((root["http"] as? [String: Any])?["response"] as? [String: Any])?["status"] as? Int == 200)
        #expect((root["annotations"] as? [String: Any])?["item"] as? Int == 3)
        #expect(((root["metadata"] as? [String: Any])?["app"] as? [String: Any])?["request"] != nil)
        let children = try #require(root["children"] as? [[String: Any]])
        #expect(children.compactMap { $0["name"] as? String }.sorted() == [":memory:", "compute", "flask_daemon_app"])
        let sql = try #require(children.first { $0["name"] as? String == ":memory:" })
        #expect(sql["namespace"] as? String == "remote")
        #expect((sql["sql"] as? [String: Any])?["database_type"] as? String == "sqlite3")
        let compute = try #require(children.first { $0["name"] as? String == "compute" })
        #expect((compute["annotations"] as? [String: Any])?["square"] as? Int == 9)

        let boom = try showTrace(boomTrace, store: store)
        let boomRoot = try #require((boom["segments"] as? [[String: Any]])?.first)
        #expect(boomRoot["fault"] as? Bool == true)
        #expect(((boomRoot["http"] as? [String: Any])?["response"] as? [String: Any])?["status"] as? Int == 500)
        let exceptions = (boomRoot["cause"] as? [String: Any])?["exceptions"] as? [[String: Any]]
        #expect(exceptions?.first?["message"] as? String == "boom")
    }

    /// Centralized sampling against the daemon's TCP API: the SDK fetches the rules, reports statistics to
    /// SamplingTargets, loads the quota it gets back, and samples no more than that quota allows.
    @Test(.enabled(if: testPython != nil)) func drivesCentralizedSampling() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-sampling")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let rules = folder.appendingPathComponent("rules.json")
        try Data(
            """
            [{"RuleName":"items","Priority":1,"FixedRate":0,"ReservoirSize":2,"ServiceName":"*","ServiceType":"*",
              "Host":"*","HTTPMethod":"*","URLPath":"/items/*","Version":1,"ResourceARN":"*","Attributes":{}},
             {"RuleName":"Default","Priority":10000,"FixedRate":0,"ReservoirSize":0,"ServiceName":"*","ServiceType":"*",
              "Host":"*","HTTPMethod":"*","URLPath":"*","Version":1,"ResourceARN":"*","Attributes":{}}]
            """.utf8
        ).write(to: rules)
        let daemon = try DaemonProcess.start(
            ["daemon", "--listen", "127.0.0.1:0", "--store", store, "--sampling-rules", rules.path, "--json"])
        defer { daemon.kill() }
        let app = try PythonApp.run("flask_daemon_app.py", ["centralized", "40"], daemonAddress: daemon.address, timeout: 90)
        #expect(app.status == 0, "\(app.stderr)")
        let summary = try #require(app.lines.last)
        #expect(summary["summary"] as? Bool == true)
        #expect(summary["rules"] as? [String] == ["Default", "items"], "the SDK loaded the daemon's rules")
        #expect(summary["quota"] as? Int == 2, "the SDK loaded the quota from SamplingTargets")
        let burstSampled = try #require(summary["burst_sampled"] as? Int)
        let burstSeconds = try #require(summary["burst_seconds"] as? Int)
        #expect(burstSampled >= 1)
        #expect(burstSampled <= 2 * burstSeconds, "FixedRate 0: only the reservoir quota is sampled")

        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
        let events = stopped.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let counters = try #require(events.last)
        #expect(counters["event"] as? String == "counters")
        #expect((counters["http_requests"] as? Int ?? 0) >= 2, "GetSamplingRules and SamplingTargets were served")
        #expect(counters["rejected"] as? Int == 0)
        // Every sampled request of the burst is in the store, decided by the rule "items".
        for id in summary["burst_trace_ids"] as? [String] ?? [] {
            let trace = try showTrace(id, store: store)
            let root = (trace["segments"] as? [[String: Any]])?.first
            let rule = ((root?["aws"] as? [String: Any])?["xray"] as? [String: Any])?["sampling_rule_name"] as? String
            #expect(rule == "items")
        }
    }

    /// A port already in use is a clear error naming the port, with exit status 69.
    @Test func reportsAPortInUse() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-port")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", store])
        defer { daemon.kill() }
        let second = try XRayBinary.run(["daemon", "--listen", daemon.address, "--store", store])
        #expect(second.status == 69)
        #expect(second.stderr.contains("port \(daemon.port)"))
        #expect(second.stderr.contains("already in use"))
        #expect(daemon.stop(signal: SIGTERM).status == 0)
    }

    /// `--forward` sends every accepted datagram, unchanged, to a second daemon.
    @Test func forwardsToASecondDaemon() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-forward")
        defer { try? FileManager.default.removeItem(at: folder) }
        let downstreamStore = folder.appendingPathComponent("down.sqlite").path
        let downstream = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", downstreamStore])
        defer { downstream.kill() }
        let upstream = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--store", folder.appendingPathComponent("up.sqlite").path,
            "--forward", "127.0.0.1:\(downstream.port)",
        ])
        defer { upstream.kill() }
        let segment =
            #"{"trace_id":"1-5f84c7a1-00000000000000000000abcd","id":"00000000000000aa","name":"fwd","start_time":1602537378.1,"end_time":1602537378.2}"#
        sendDatagram(#"{"format":"json","version":1}"# + "\n" + segment, port: upstream.port)
        let up = upstream.stop(signal: SIGTERM)
        #expect(up.stderr.contains("forwarded 1"))
        #expect(downstream.stop(signal: SIGTERM).stderr.contains("stored 1"))
        let shown = try showTrace("1-5f84c7a1-00000000000000000000abcd", store: downstreamStore)
        #expect((shown["segments"] as? [[String: Any]])?.first?["name"] as? String == "fwd")
    }

    /// A second SIGINT while the daemon drains a flood ends it at once (130); what it had committed is intact.
    @Test func aSecondSigintExitsAtOnceAndTheStoreStaysIntact() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-twice")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        for i in 0..<20_000 {
            let trace = String(format: "1-5f84c7a1-%024x", i + 1)
            sendDatagram(
                #"{"format":"json","version":1}"# + "\n"
                    + #"{"trace_id":"\#(trace)","id":"00000000000000aa","name":"twice","start_time":1602537378.1,"end_time":1602537378.2}"#, port: daemon.port)
        }
        kill(daemon.process.processIdentifier, SIGINT)
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 130 || stopped.status == 0, "\(stopped.stderr)")
        let listing = try XRayBinary.run(["inspect", "traces", "--count", "--store", store])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect((Int(listing.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) >= 0)
        let shown = try XRayBinary.run(["inspect", "show", "last", "--format", "json", "--store", store])
        #expect(shown.status == 0 || shown.status == 66, "a readable store, possibly still empty: \(shown.stderr)")
    }

    /// SIGTERM in the middle of a flood: every document the counters call stored is in the store.
    @Test func sigtermDuringAFloodLosesNothingCounted() throws {
        let folder = try makeTemporaryDirectory("xray-daemon-flood")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", store, "--json"])
        defer { daemon.kill() }
        let port = daemon.port
        let finished = DispatchSemaphore(value: 0)
        defer { _ = finished.wait(timeout: .now() + 30) }
        let sender = Thread {
            defer { finished.signal() }
            for i in 0..<20_000 {
                let trace = String(format: "1-5f84c7a1-%024x", i + 1)
                let segment = #"{"trace_id":"\#(trace)","id":"00000000000000aa","name":"flood","start_time":1602537378.1,"end_time":1602537378.2}"#
                DaemonEndToEndTests().sendDatagram(#"{"format":"json","version":1}"# + "\n" + segment, port: port)
            }
        }
        sender.start()
        usleep(100_000)
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 0)
        let events = stopped.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let counters = try #require(events.last)
        let stored = try #require(counters["stored"] as? Int)
        #expect(stored > 0)
        #expect(counters["documents"] as? Int == stored + (counters["duplicates"] as? Int ?? -1) + (counters["rejected"] as? Int ?? -1))
        let listing = try XRayBinary.run(["inspect", "traces", "--limit", "100000", "--format", "jsonl", "--store", store])
        #expect(listing.status == 0)
        #expect(listing.stdout.split(separator: "\n").count == stored)
    }

    func showTrace(_ id: String, store: String) throws -> [String: Any] {
        let result = try XRayBinary.run(["inspect", "show", id, "--format", "json", "--store", store])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    }

    func sendDatagram(_ text: String, port: Int) {
        UDP.send([text], port: port)
    }
}

/// A running `xray daemon` whose port was learned from its first stderr line.
final class DaemonProcess {
    let process = Process()
    let stdout = PipeStream()
    let stderr = PipeStream()
    private(set) var port = 0
    var address: String { "127.0.0.1:\(port)" }

    static func start(_ arguments: [String]) throws -> DaemonProcess {
        let daemon = DaemonProcess()
        daemon.process.executableURL = XRayBinary.url
        daemon.process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment.removeValue(forKey: "AWS_XRAY_DAEMON_ADDRESS")
        daemon.process.environment = environment
        let out = Pipe(), err = Pipe()
        daemon.process.standardOutput = out
        daemon.process.standardError = err
        daemon.stdout.attach(out)
        daemon.stderr.attach(err)
        try daemon.process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, daemon.process.isRunning {
            let text = daemon.stderr.text + daemon.stdout.text
            if let range = text.range(of: #"udp"?[=:]"?127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let match = text[range]
                daemon.port = Int(match.split(separator: ":").last ?? "") ?? 0
                break
            }
            usleep(20_000)
        }
        guard daemon.port != 0 else {
            daemon.kill()
            throw DaemonStartFailure(stderr: daemon.stderr.text)
        }
        return daemon
    }

    /// Sends `signal`, waits (bounded) for the exit, and returns the status and everything printed.
    func stop(signal: Int32) -> (status: Int32, stdout: String, stderr: String) {
        Glibc.kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill() }
        process.waitUntilExit()
        stdout.waitForEnd()
        stderr.waitForEnd()
        return (process.terminationStatus, stdout.text, stderr.text)
    }

    /// Ends the daemon at once if it still runs (test clean-up).
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct DaemonStartFailure: Error, CustomStringConvertible {
    var stderr: String
    var description: String { "xray daemon did not report its port: \(stderr)" }
}

/// Runs a fixture app under `Tests/Fixtures/apps` with the test virtualenv's Python.
enum PythonApp {
    struct Result {
        var status: Int32
        var lines: [[String: Any]]
        var stderr: String
    }

    static func run(_ script: String, _ arguments: [String], daemonAddress: String, timeout: Double = 60) throws -> Result {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_XRAY_DAEMON_ADDRESS"] = daemonAddress
        environment["PYTHONUNBUFFERED"] = "1"
        let app = fixturesDirectory.appendingPathComponent("apps").appendingPathComponent(script).path
        let (status, stdout, stderr) = try runProgram(
            URL(fileURLWithPath: testPython ?? "/usr/bin/python3"), [app] + arguments, environment: environment, timeout: timeout)
        let lines = stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return Result(status: status, lines: lines, stderr: stderr)
    }
}
