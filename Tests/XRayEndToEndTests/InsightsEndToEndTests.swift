import Foundation
import Testing
import XRayTestSupport

/// `inspect insights` and `inspect diff` through the built binary, over traces a real Django app sent with the
/// real X-Ray SDK under `xray run`.
@Suite(.serialized) struct InsightsEndToEndTests {
    let dir: URL
    let store: String

    init() throws {
        dir = try makeTemporaryDirectory("insights")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func xray(_ arguments: [String]) throws -> CommandResult {
        try XRayBinary.run(arguments + ["--store", store])
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    }

    /// Runs the Django fixture once under `xray run`: three /authors/ requests and two book pages.
    func runSite(_ mode: String) throws {
        let python = try #require(testPython)
        let app = fixturesDirectory.appendingPathComponent("apps/nplusone_site.py").path
        let result = try XRayBinary.run(
            ["run", "--store", store, "--quiet", "--", python, app, mode, "/authors/", "/authors/", "/authors/", "/books/1/", "/books/2/"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: " 200\n").count == 6, "five requests answered 200: \(result.stdout)")
    }

    @Test(.enabled(if: testPython != nil))
    func aDjangoNPlusOneIsFoundAndItsFixShowsAsAQueryDropThatGatesCI() throws {
        try runSite("n+1")
        try runSite("fixed")

        // insights over the first run: one N+1 per /authors/ request, six queries each (one per author).
        let first = try json(try xray(["inspect", "insights", "--run", "1", "--format", "json"]))
        let findings = try #require(first["findings"] as? [[String: Any]])
        let nPlusOne = findings.filter { $0["kind"] as? String == "n_plus_one" }
        #expect(nPlusOne.count == 3)
        #expect(nPlusOne.allSatisfy { $0["count"] as? Int == 6 })
        #expect(nPlusOne.first?["call"] as? String == "select title from books where author_id = ?")
        #expect(nPlusOne.first?["path"] as? [String] == ["library"])
        let table = try xray(["inspect", "insights", "--run", "1", "--exit-status"])
        #expect(table.status == 1, "--exit-status: something was found")
        #expect(table.stdout.contains("6 × SQL select title from books where author_id = ?"))
        #expect(table.stdout.contains("fix: fetch the rows in one query"))

        // The fixed run has none, and the segment xray run records for the command is not a slow span.
        let fixed = try xray(["inspect", "insights", "--run", "last", "--exit-status"])
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(fixed.stdout.contains("no findings in 6 traces"))

        // diff: /authors/ went from 7 queries a request to 1; /books/7 and /books/9 are one endpoint.
        let diff = try json(try xray(["inspect", "diff", "--run", "previous", "--run", "last", "--format", "json"]))
        let endpoints = try #require(diff["endpoints"] as? [[String: Any]])
        #expect(endpoints.compactMap { $0["endpoint"] as? String } == ["GET /authors/", "GET /books/{id}/"])
        let authors = try #require(endpoints.first)
        #expect((authors["a"] as? [String: Any])?["sql_per_request"] as? Double == 7)
        #expect((authors["b"] as? [String: Any])?["sql_per_request"] as? Double == 1)
        #expect((authors["a"] as? [String: Any])?["requests"] as? Double == 3)
        let change = try #require((authors["change"] as? [String: Any])?["sql_per_request"] as? [String: Any])
        #expect(change["absolute"] as? Double == -6)
        #expect((diff["skipped_traces"] as? [String: Any])?["a"] as? Int == 1, "the run's own trace answers no request")

        // The gate: a drop passes, the same comparison the other way round fails and says what crossed.
        let rule = ["--fail-if", "sql_per_request > +20%"]
        #expect(try xray(["inspect", "diff", "--run", "previous", "--run", "last"] + rule).status == 0)
        let regressed = try xray(["inspect", "diff", "--run", "last", "--run", "previous", "--format", "markdown"] + rule)
        #expect(regressed.status == 1)
        #expect(regressed.stderr.contains("GET /authors/: sql_per_request 1.00 → 7.00 (+6, +600%) crosses sql_per_request > +20%"))
        #expect(regressed.stdout.hasPrefix("| endpoint |"))
        #expect(regressed.stdout.contains("**Failed checks**"))
        let malformed = try xray(["inspect", "diff", "--run", "previous", "--run", "last", "--fail-if", "sql > lots"])
        #expect(malformed.status == 64)
        #expect(malformed.stderr.contains("accepted forms: METRIC > +N%"))

        // Two traces: the structure shows the five per-author queries that went away.
        let traces = try xray(["inspect", "traces", "--format", "csv", "--limit", "100"]).stdout.split(separator: "\n")
        let authorsTraces = traces.filter { $0.contains("/authors/") }.map { String($0.prefix(35)) }
        let byTree = try xray(["inspect", "diff", try #require(authorsTraces.last), try #require(authorsTraces.first)])
        #expect(byTree.status == 0)
        #expect(byTree.stdout.contains("removed: library > execute#7"))
        #expect(!byTree.stdout.contains("removed: library > execute#8"))
    }

    @Test(.enabled(if: testPython != nil))
    func runFailOnNPlusOneFailsTheNPlusOneViewAndPassesItsFix() throws {
        let python = try #require(testPython)
        let app = fixturesDirectory.appendingPathComponent("apps/nplusone_site.py").path
        func gate(_ mode: String, _ extra: [String] = []) throws -> CommandResult {
            try XRayBinary.run(
                ["run", "--store", store, "--quiet", "--fail-on", "n+1"] + extra + ["--", python, app, mode, "/authors/", "/authors/", "/books/1/"])
        }
        let fixed = try gate("fixed")
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(!fixed.stderr.contains("--fail-on"))

        let failed = try gate("n+1")
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("xray run: --fail-on n+1: 2 findings in 2 traces"), "\(failed.stderr)")
        #expect(failed.stderr.contains("6 × SQL select title from books where author_id = ?"))
        #expect(failed.stderr.contains("fix: fetch the rows in one query"))

        // The threshold is --n-plus-one's: seven calls of one shape are more than six.
        #expect(try gate("n+1", ["--n-plus-one", "7"]).status == 0)
        // insight:KIND names the same kind; other kinds are gated on their own.
        #expect(try gate("n+1", ["--fail-on", "insight:repeated"]).stderr.contains("--fail-on n+1: 2 findings"))
        #expect(try gate("n+1", ["--n-plus-one", "7", "--fail-on", "insight:hidden-error"]).status == 0)

        let bogus = try gate("fixed", ["--fail-on", "insight:slowness"])
        #expect(bogus.status == 64)
        #expect(bogus.stderr.contains("\"insight:slowness\" names no insight; the kinds are n+1, repeated, slow, hidden-error, gap"))
        #expect(try gate("fixed", ["--slow", "soon"]).status == 64)
    }

    @Test(.enabled(if: testPython != nil))
    func aFlaskViewsRepeatedRequestsCallsAndASlowSubsegmentFailTheirGates() throws {
        let python = try #require(testPython)
        let app = fixturesDirectory.appendingPathComponent("apps/flask_calls_site.py").path
        let result = try XRayBinary.run([
            "run", "--store", store, "--quiet", "--slow", "200ms", "--fail-on", "insight:repeated",
            "--fail-on", "insight:slow", "--fail-on", "n+1", "--", python, app, "/cart", "/report",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout == "/cart 200\n/report 200\n")
        #expect(result.stderr.contains("--fail-on insight:repeated: 1 finding in 1 trace"), "\(result.stderr)")
        #expect(result.stderr.range(of: #"2 × HTTP get http://127\.0\.0\.1:\d+/prices/3:"#, options: .regularExpression) != nil)
        #expect(result.stderr.contains("--fail-on n+1: 1 finding in 1 trace"))
        #expect(result.stderr.range(of: #"6 × HTTP get http://127\.0\.0\.1:\d+/prices/\{id\}:"#, options: .regularExpression) != nil)
        #expect(result.stderr.contains("--fail-on insight:slow: 1 finding in 1 trace"))
        #expect(result.stderr.contains("shop > render report"))

        let json = try json(try xray(["inspect", "insights", "--run", "last", "--slow", "200ms", "--format", "json"]))
        let kinds = try #require(json["findings"] as? [[String: Any]]).compactMap { $0["kind"] as? String }
        #expect(kinds.sorted() == ["n_plus_one", "repeated_call", "slow_span"])
    }

    @Test func missingRunsAndTracesAreExit66AndBadSelectionsExit64() throws {
        let document = #"{"trace_id":"1-65540000-000000000000000000000001","id":"0000000000000001","name":"web","start_time":1700000000,"end_time":1700000001}"#
        let file = dir.appendingPathComponent("one.jsonl")
        try Data((document + "\n").utf8).write(to: file)
        #expect(try xray(["inspect", "import", file.path]).status == 0)
        #expect(try xray(["inspect", "diff", "--run", "previous", "--run", "last"]).status == 66)
        #expect(try xray(["inspect", "insights", "1-ffff"]).status == 66)
        #expect(try xray(["inspect", "diff", "--run", "1"]).status == 64)
        #expect(try xray(["inspect", "diff", "--run", "1", "--run", "yesterday"]).status == 64)
        #expect(try xray(["inspect", "insights", "--gap", "soon"]).status == 64)
        #expect(try xray(["inspect", "insights", "last", "--run", "1"]).status == 64)
    }

    @Test func valuesFromTracesAreEscapedInTheTable() throws {
        // Five identical-shape queries whose text carries a terminal escape, from a root that answered 200.
        var subsegments: [String] = []
        for i in 0..<5 {
            let start = 1_700_000_000.01 + Double(i) * 0.01
            subsegments.append(
                #"{"id":"00000000000000a\#(i)","name":"db\u001b]0;pwned\u0007","start_time":\#(start),"end_time":\#(start + 0.005),"sql":{"sanitized_query":"select \u001b[2J from t where id = \#(i)"}}"#
            )
        }
        let document =
            #"{"trace_id":"1-65540000-000000000000000000000002","id":"0000000000000002","name":"web\u001b[31m","start_time":1700000000,"end_time":1700000000.1,"http":{"request":{"method":"GET","url":"http://h/x"},"response":{"status":200}},"subsegments":["#
            + subsegments.joined(separator: ",") + "]}"
        let file = dir.appendingPathComponent("escape.jsonl")
        try Data((document + "\n").utf8).write(to: file)
        #expect(try xray(["inspect", "import", file.path]).status == 0)
        let result = try xray(["inspect", "insights", "last", "--exit-status"])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("\u{1b}"), "no raw escape reaches the terminal")
        #expect(result.stdout.contains(#"web\x1b[31m"#))
        #expect(result.stdout.contains(#"5 × SQL select \x1b[? from t where id = ?"#))
    }
}
