import Foundation
import Testing
import XRayTestSupport

/// `xray run` never captures nothing without saying why: an exported daemon address, an empty run, and the
/// `--fail-on` gate naming what tripped it. Through the built binary with the real Python SDK.
@Suite(.serialized) struct RunDiagnosticsEndToEndTests {
    let dir: URL
    let store: String

    init() throws {
        dir = try makeTemporaryDirectory("run-diagnostics")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try XRayBinary.run(["run", "--store", store] + arguments, environment: environment)
    }

    /// A script that records one segment of its own with the SDK and says on stderr when it started.
    func segmentScript() throws -> String {
        let script = dir.appendingPathComponent("job.py")
        try Data(
            """
            import sys
            print("command started", file=sys.stderr, flush=True)
            from aws_xray_sdk.core import xray_recorder
            xray_recorder.configure(service="job", sampling=False)
            xray_recorder.begin_segment("job")
            xray_recorder.end_segment()
            """.utf8
        ).write(to: script)
        return script.path
    }

    /// A loopback TCP port nothing listens on: bound, read back, closed.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func runTraceNames() throws -> [String] {
        let listed = try XRayBinary.run(["inspect", "traces", "--run", "last", "--format", "csv", "--store", store])
        return listed.stdout.split(separator: "\n").dropFirst().map(String.init)
    }

    /// An exported address where nothing listens: said before the command starts, said again in the summary
    /// with where the segments went, and the empty run lists its likely reasons.
    @Test(.enabled(if: testPython != nil))
    func anExportedDaemonAddressWithNothingThereIsSaidBeforeTheCommandStarts() throws {
        let python = try #require(testPython)
        let address = "127.0.0.1:\(try closedPort())"
        let result = try run(["--", python, try segmentScript()], environment: ["AWS_XRAY_DAEMON_ADDRESS": address])
        #expect(result.status == 0, "\(result.stderr)")
        let warning = try #require(result.stderr.range(of: "AWS_XRAY_DAEMON_ADDRESS is set to \(address)"))
        let started = try #require(result.stderr.range(of: "command started"))
        #expect(warning.lowerBound < started.lowerBound, "the warning comes before the command runs")
        #expect(result.stderr.contains("nothing answers there"))
        #expect(result.stderr.contains("the command's segments went to \(address)"))
        #expect(result.stderr.contains("likely reasons"))
        #expect(result.stderr.contains("--capture-all"))
        #expect(try runTraceNames().count == 1, "only the run's own trace")
    }

    /// An exported OTLP endpoint is said before the command starts, with whether anything answers there, the
    /// traces-specific variable winning as in the SDKs; `--capture-all` takes the spans and says nothing.
    @Test func anExportedOTLPEndpointIsSaidBeforeTheCommandStarts() throws {
        let closed = "http://127.0.0.1:\(try closedPort())"
        let result = try run(["--", "/bin/sh", "-c", "echo command started >&2"], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": closed])
        #expect(result.status == 0, "\(result.stderr)")
        let warning = try #require(result.stderr.range(of: "OTEL_EXPORTER_OTLP_ENDPOINT is set to \(closed)"), "\(result.stderr)")
        let started = try #require(result.stderr.range(of: "command started"))
        #expect(warning.lowerBound < started.lowerBound, "the warning comes before the command runs")
        #expect(result.stderr.contains("nothing answers there"), "\(result.stderr)")
        let daemon = try DaemonProcess.start([
            "daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off",
            "--store", store + "-other",
        ])
        defer { daemon.kill() }
        let open = "http://127.0.0.1:\(daemon.port)/v1/traces"
        let answered = try run(["--", "true"], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": closed, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": open])
        #expect(answered.stderr.contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set to \(open)"), "\(answered.stderr)")
        #expect(answered.stderr.contains("something accepts connections there"), "\(answered.stderr)")
        let captured = try run(
            ["--capture-all", "--", "/bin/sh", "-c", "echo $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": closed, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": open])
        #expect(!captured.stderr.contains("is set to"), "\(captured.stderr)")
        #expect(
            captured.stdout.hasPrefix("http://127.0.0.1:") && captured.stdout.hasSuffix("/v1/traces\n")
                && !captured.stdout.contains(open), "the run's own endpoint: \(captured.stdout)")
    }

    /// An exported address where `xray daemon` answers is recognised as an X-Ray daemon, and the segment
    /// lands there; `--capture-all` makes the run's collector take it instead.
    @Test(.enabled(if: testPython != nil))
    func anExportedAddressOfARunningDaemonIsRecognisedAndCaptureAllWins() throws {
        let python = try #require(testPython)
        let script = try segmentScript()
        let daemonStore = dir.appendingPathComponent("daemon.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", daemonStore])
        defer { daemon.kill() }
        let environment = ["AWS_XRAY_DAEMON_ADDRESS": daemon.address]

        let elsewhere = try run(["--", python, script], environment: environment)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("an X-Ray daemon answers there"))
        #expect(!elsewhere.stderr.contains("left alone, as you had set them: AWS_XRAY_DAEMON_ADDRESS"))
        #expect(try runTraceNames().count == 1)

        let captured = try run(["--capture-all", "--", python, script], environment: environment)
        #expect(captured.status == 0, "\(captured.stderr)")
        #expect(!captured.stderr.contains("AWS_XRAY_DAEMON_ADDRESS is set to"))
        #expect(!captured.stderr.contains("likely reasons"))
        #expect(try runTraceNames().contains { $0.contains(",job,") }, "the run's collector took the segment")

        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
        let atDaemon = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--store", daemonStore])
        #expect(atDaemon.stdout.split(separator: "\n").filter { $0.contains(",job,") }.count == 1, "only the first run's segment")
    }

    /// A command that sends nothing gets the reasons, and no address warning when none was exported.
    @Test func anEmptyRunListsTheLikelyReasons() throws {
        let result = try run(["--", "/bin/true"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("likely reasons"))
        #expect(result.stderr.contains("--lambda"))
        #expect(result.stderr.contains("sampling"))
        #expect(!result.stderr.contains("AWS_XRAY_DAEMON_ADDRESS is set to"))
    }

    var examples: URL { fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples") }

    /// `--fail-on fault` names each offending trace: id, request, status, the entity with the flag and its
    /// cause; a Django `Http404` is `fault,error` (the SDK's doing), and the hint says how to allow it.
    @Test(.enabled(if: testPython != nil))
    func failOnNamesTheOffendingTraceAndExplainsDjangos404() throws {
        let python = try #require(testPython)
        let result = try run(["--fail-on", "fault", "--", python, examples.appendingPathComponent("django_app.py").path])
        #expect(result.stdout.contains("/order/7/ 404"))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("--fail-on fault: 1 trace matches"))
        let line = try #require(result.stderr.split(separator: "\n").first { $0.contains("GET http://testserver/order/7/ 404") })
        #expect(line.contains("fault,error on segment my-site: Http404: no order 7"))
        #expect(line.contains("1-"), "the trace id leads the line")
        #expect(result.stderr.contains("--fail-on 'fault AND !http.status = 404'"))
    }

    /// A filter expression is a gate too: 5xx only lets the 404 pass.
    @Test(.enabled(if: testPython != nil))
    func failOnTakesAFilterExpression() throws {
        let python = try #require(testPython)
        let result = try run(["--fail-on", "fault AND !http.status = 404", "--", python, examples.appendingPathComponent("django_app.py").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("--fail-on"))
        let bad = try run(["--fail-on", "fault AND (", "--", "/bin/true"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--fail-on"))
    }

    /// A Python run's segment is named after the script, and `--tracing-name` still wins.
    @Test(.enabled(if: testPython != nil))
    func aPythonRunIsNamedAfterItsScript() throws {
        let python = try #require(testPython)
        let script = dir.appendingPathComponent("manage.py")
        try Data("import sys\n".utf8).write(to: script)
        #expect(try run(["--quiet", "--", python, script.path, "check"]).status == 0)
        let names = { () throws -> String? in
            let shown = try XRayBinary.run(["inspect", "show", "last-run", "--format", "json", "--store", self.store])
            let json = try JSONSerialization.jsonObject(with: shown.stdoutData) as? [String: Any]
            return (json?["segments"] as? [[String: Any]])?.first?["name"] as? String
        }
        #expect(try names() == "manage.py check")
        #expect(try run(["--quiet", "--tracing-name", "api", "--", python, script.path]).status == 0)
        #expect(try names() == "api")
    }

    /// The summary counts entities, the run's own segment included, in the singular when there is one, and
    /// its hint names the run's traces.
    @Test(.enabled(if: testPython != nil))
    func theSummaryCountsEntitiesWithTheRunsOwnSegment() throws {
        let python = try #require(testPython)
        let empty = try run(["--", "/bin/true"])
        #expect(empty.stderr.contains("1 trace, 1 entity captured"), "\(empty.stderr)")
        #expect(empty.stderr.contains("see it with: xray inspect traces --run 1 or xray inspect show 1-"))
        let one = try run(["--", python, try segmentScript()])
        #expect(one.stderr.contains("2 traces, 2 entities captured"), "\(one.stderr)")
        #expect(one.stderr.contains("xray inspect traces --run 2"))
        let failed = try run(["--", "/bin/sh", "-c", "exit 3"])
        #expect(failed.status == 3)
        let trace = try #require(failed.stderr.split(separator: " ").first { $0.hasPrefix("1-") })
        #expect(failed.stderr.contains("the first failed trace: xray inspect show \(trace)"))
    }
}
