import Foundation
import Testing
import XRayTestSupport

/// `last` is what the user last did (a request), not the segment `xray run` recorded for itself;
/// `last-run` is that run's own trace.
@Suite struct LastTraceEndToEndTests {
    let dir: URL
    let store: String

    init() throws {
        dir = try makeTemporaryDirectory("last")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func xray(_ arguments: [String]) throws -> CommandResult {
        try XRayBinary.run(arguments + ["--store", store])
    }

    /// A request imported first, then a run that captured nothing: the run's bare segment is newer.
    func requestThenBareRun() throws {
        let fixture = fixturesDirectory.appendingPathComponent("sdk/aiohttp.jsonl").path
        #expect(try xray(["inspect", "import", fixture]).status == 0)
        let run = try XRayBinary.run(["run", "--quiet", "--name", "bare-run", "--store", store, "--", "/bin/true"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func showLastSkipsARunsBareSegmentAndLastRunShowsIt() throws {
        try requestThenBareRun()
        let last = try xray(["inspect", "show", "last"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(last.stdout.contains("aiohttp-front"))
        #expect(!last.stdout.contains("bare-run"))
        let lastRun = try xray(["inspect", "show", "last-run"])
        #expect(lastRun.status == 0, "\(lastRun.stderr)")
        #expect(lastRun.stdout.contains("bare-run"))
        let exported = try xray(["inspect", "export", "last"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("aiohttp-front"))
        #expect(!exported.stdout.contains("bare-run"))
    }

    @Test func lastInAStoreOfOnlyRunsPointsAtLastRun() throws {
        let run = try XRayBinary.run(["run", "--quiet", "--name", "bare-run", "--store", store, "--", "/bin/true"])
        #expect(run.status == 0, "\(run.stderr)")
        let last = try xray(["inspect", "show", "last"])
        #expect(last.status == 66)
        #expect(last.stderr.contains("show last-run"))
    }

    @Test func lastRunWithNoRunsSaysSo() throws {
        let fixture = fixturesDirectory.appendingPathComponent("sdk/aiohttp.jsonl").path
        #expect(try xray(["inspect", "import", fixture]).status == 0)
        let lastRun = try xray(["inspect", "show", "last-run"])
        #expect(lastRun.status == 66)
        #expect(lastRun.stderr.contains("no xray run"))
    }

    @Test func aStorePathThatDoesNotExistIsNoSuchStore() throws {
        let missing = dir.appendingPathComponent("missing.sqlite").path
        for command in [["inspect", "traces"], ["inspect", "show", "last"], ["inspect", "stats"]] {
            let result = try XRayBinary.run(command + ["--store", missing])
            #expect(result.status == 66, "\(command)")
            #expect(result.stderr.contains("no such store: \(missing)"), "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }

    @Test func runSegmentsAreLeftOutOfListingsStatsAndTheGraphUnlessIncludeRuns() throws {
        try requestThenBareRun()
        let listed = try xray(["inspect", "traces", "--format", "jsonl"])
        #expect(listed.stdout.split(separator: "\n").count == 1, "\(listed.stdout)")
        #expect(try xray(["inspect", "traces", "--format", "jsonl", "--include-runs"]).stdout.split(separator: "\n").count == 2)
        #expect(try xray(["inspect", "traces", "--format", "jsonl", "--run", "last"]).stdout.contains("bare-run"))
        for command in [["inspect", "stats", "--by", "service"], ["inspect", "graph"]] {
            let without = try xray(command)
            #expect(without.status == 0, "\(command): \(without.stderr)")
            #expect(without.stdout.contains("aiohttp-front"), "\(command): \(without.stdout)")
            #expect(!without.stdout.contains("bare-run"), "\(command): \(without.stdout)")
            #expect(try xray(command + ["--include-runs"]).stdout.contains("bare-run"), "\(command)")
        }
        let stats = try xray(["inspect", "stats", "--format", "json"])
        let withRuns = try xray(["inspect", "stats", "--format", "json", "--include-runs"])
        #expect(stats.stdout != withRuns.stdout, "the bare run is one trace more")
    }

    @Test func aListingCutAtItsLimitSaysSoOnStandardErrorAndNoRejectsSaysSo() throws {
        try requestThenBareRun()
        let cut = try xray(["inspect", "traces", "--include-runs", "--limit", "1", "--format", "csv"])
        #expect(cut.status == 0)
        #expect(cut.stderr.contains("1 of 2 traces shown; --limit N for more"), "\(cut.stderr)")
        #expect(!cut.stdout.contains("traces shown"))
        let whole = try xray(["inspect", "traces", "--limit", "1"])
        #expect(!whole.stderr.contains("traces shown"), "the one request fits: \(whole.stderr)")
        let rejects = try xray(["inspect", "rejects"])
        #expect(rejects.status == 0)
        #expect(rejects.stderr.contains("no rejects"))
    }
}

/// A run's own segment is not a service node of `service()` or `edge()` unless `--include-runs` (or the filter
/// asks for runs by type), so the app a run started is not "called by" the run.
@Suite struct RunSegmentsInServiceFiltersEndToEndTests {
    let store: String

    init() throws {
        store = try makeTemporaryDirectory("run-nodes").appendingPathComponent("traces.sqlite").path
        // The child sends one segment under the run's trace context, as an SDK would.
        let script = #"""
            import os, socket, time
            ctx = dict(p.split("=", 1) for p in os.environ["_X_AMZN_TRACE_ID"].split(";"))
            host, port = os.environ["AWS_XRAY_DAEMON_ADDRESS"].rsplit(":", 1)
            now = time.time()
            doc = ('{"trace_id":"%s","id":"53995c3f42cd8ad8","parent_id":"%s","name":"inner-app",'
                   '"start_time":%f,"end_time":%f,"fault":true}') % (ctx["Root"], ctx["Parent"], now, now + 0.5)
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
                ('{"format":"json","version":1}\n' + doc).encode(), (host, int(port)))
            """#
        let python = try #require(testPython, "the test virtualenv (Scripts/test-venv)")
        let run = try XRayBinary.run(["run", "--quiet", "--name", "wrapper", "--store", store, "--", python, "-c", script])
        #expect(run.status == 0, "\(run.stderr)")
    }

    func count(_ filter: String, includeRuns: Bool = false) throws -> Int {
        let result = try XRayBinary.run(
            ["inspect", "traces", "--format", "jsonl", "--filter", filter, "--store", store]
                + (includeRuns ? ["--include-runs"] : []))
        #expect(result.status == 0, "\(filter): \(result.stderr)")
        return result.stdout.split(separator: "\n").count
    }

    @Test func serviceAndEdgeSeeTheAppButNotTheRunUnlessIncludeRuns() throws {
        #expect(try count(#"service("inner-app") { fault }"#) == 1)
        #expect(try count(#"service("wrapper")"#) == 0)
        #expect(try count(#"service("wrapper")"#, includeRuns: true) == 1)
        #expect(try count(#"edge("wrapper", "inner-app")"#) == 0)
        #expect(try count(#"edge("wrapper", "inner-app")"#, includeRuns: true) == 1)
        #expect(try count(#"service(id(type: "xray::Run"))"#) == 1, "asked for by type, runs are nodes")
    }
}
