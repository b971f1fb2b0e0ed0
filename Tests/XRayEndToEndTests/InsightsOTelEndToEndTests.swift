import Foundation
import Testing
import XRayTestSupport

/// `inspect insights`, `inspect diff` and `xray run --fail-on` through the built binary, over traces that real
/// OpenTelemetry apps (Django's ORM, Flask with `requests`) sent under `xray run -- opentelemetry-instrument`:
/// the SQL shapes come from the translated `sql` block (`db.statement`), the calls from the client spans' URLs.
@Suite(.serialized) struct InsightsOTelEndToEndTests {
    let dir: URL
    let store: String
    static var venvBin: URL? { testPython.map { URL(fileURLWithPath: $0).deletingLastPathComponent() } }
    static var hasOTel: Bool {
        venvBin.map { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("opentelemetry-instrument").path) } ?? false
    }
    static let apps = fixturesDirectory.appendingPathComponent("apps")

    /// The query Django's ORM issues for `book.author` (sqlite3 instrumentation's `db.statement`, literals shaped).
    static let authorQuery =
        #"SELECT "otel_orm_site_author"."id", "otel_orm_site_author"."name" FROM "otel_orm_site_author" WHERE "otel_orm_site_author"."id" = %s LIMIT ?"#

    init() throws {
        dir = try makeTemporaryDirectory("insights-otel")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func xray(_ arguments: [String]) throws -> CommandResult {
        try XRayBinary.run(arguments + ["--store", store])
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(result.status == 0 || result.status == 1, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    }

    /// `xray run [extra] -- opentelemetry-instrument python SCRIPT ARGS...`, no OTel settings but the app's own.
    func runApp(_ script: String, _ arguments: [String], extra: [String] = [], environment: [String: String] = [:]) throws -> CommandResult {
        let bin = try #require(Self.venvBin)
        return try XRayBinary.run(
            ["run", "--store", store, "--quiet"] + extra
                + [
                    "--", bin.appendingPathComponent("opentelemetry-instrument").path, bin.appendingPathComponent("python").path,
                    Self.apps.appendingPathComponent(script).path,
                ] + arguments,
            environment: environment.merging(["PYTHONUNBUFFERED": "1"]) { a, _ in a })
    }

    /// The ORM site: three /books/ pages (six books, each with its author) and two book pages.
    func runSite(_ mode: String, extra: [String] = []) throws -> CommandResult {
        try runApp(
            "otel_orm_site.py", [mode, "/books/", "/books/", "/books/", "/books/1/", "/books/2/"],
            extra: ["--tracing-name", "library"] + extra,
            environment: ["DJANGO_SETTINGS_MODULE": "otel_orm_site", "PYTHONPATH": Self.apps.path])
    }

    @Test(.enabled(if: hasOTel))
    func aDjangoORMNPlusOneUnderOpenTelemetryIsFoundAndItsSelectRelatedFixShowsAsAQueryDrop() throws {
        for mode in ["n+1", "fixed"] {
            let run = try runSite(mode)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "/books/ 200\n/books/ 200\n/books/ 200\n/books/1/ 200\n/books/2/ 200\n")
            #expect(!run.stderr.contains("Failed to export"), "\(run.stderr)")
        }

        // One N+1 per /books/ page: the author query once per book, under the Django request's segment.
        let first = try json(try xray(["inspect", "insights", "--run", "1", "--format", "json"]))
        let findings = try #require(first["findings"] as? [[String: Any]])
        let nPlusOne = findings.filter { $0["kind"] as? String == "n_plus_one" }
        #expect(nPlusOne.count == 3, "\(findings)")
        #expect(nPlusOne.allSatisfy { $0["count"] as? Int == 6 })
        #expect(nPlusOne.first?["call"] as? String == Self.authorQuery)
        #expect(nPlusOne.first?["path"] as? [String] == ["library"])
        #expect(findings.count == nPlusOne.count, "nothing else: the placeholders keep the queries from counting as repeats")

        // select_related: one join per page, nothing to report.
        let fixed = try xray(["inspect", "insights", "--run", "last", "--exit-status"])
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(fixed.stdout.contains("no findings in 6 traces"), "\(fixed.stdout)")

        // diff: /books/ went from 7 queries a request to 1, /books/1/ and /books/2/ are one endpoint.
        let diff = try json(try xray(["inspect", "diff", "--run", "previous", "--run", "last", "--format", "json"]))
        let endpoints = try #require(diff["endpoints"] as? [[String: Any]])
        #expect(endpoints.compactMap { $0["endpoint"] as? String } == ["GET /books/", "GET /books/{id}/"])
        let books = try #require(endpoints.first)
        #expect((books["a"] as? [String: Any])?["sql_per_request"] as? Double == 7)
        #expect((books["b"] as? [String: Any])?["sql_per_request"] as? Double == 1)
        #expect((books["a"] as? [String: Any])?["requests"] as? Double == 3)
        let change = try #require((books["change"] as? [String: Any])?["sql_per_request"] as? [String: Any])
        #expect(change["absolute"] as? Double == -6)
        let gate = try xray(["inspect", "diff", "--run", "last", "--run", "previous", "--fail-if", "sql_per_request > +20%"])
        #expect(gate.status == 1)
        #expect(gate.stderr.contains("GET /books/: sql_per_request 1.00 → 7.00 (+6, +600%) crosses sql_per_request > +20%"), "\(gate.stderr)")
    }

    @Test(.enabled(if: hasOTel))
    func runFailOnNPlusOneFailsTheOpenTelemetryORMViewAndPassesItsFix() throws {
        let fixed = try runSite("fixed", extra: ["--fail-on", "n+1"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let failed = try runSite("n+1", extra: ["--fail-on", "n+1"])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("xray run: --fail-on n+1: 3 findings in 3 traces"), "\(failed.stderr)")
        #expect(failed.stderr.contains("6 × SQL " + Self.authorQuery), "\(failed.stderr)")
    }

    @Test(.enabled(if: hasOTel))
    func aFlaskViewRepeatingARequestsCallUnderOpenTelemetryFailsTheRepeatedAndNPlusOneGates() throws {
        let run = try runApp("flask_calls_site.py", ["--otel", "/cart"], extra: ["--fail-on", "insight:repeated", "--fail-on", "n+1"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout == "/cart 200\n")
        #expect(run.stderr.contains("--fail-on insight:repeated: 1 finding in 1 trace"), "\(run.stderr)")
        #expect(run.stderr.range(of: #"2 × HTTP GET http://127\.0\.0\.1:\d+/prices/3:"#, options: .regularExpression) != nil, "\(run.stderr)")
        #expect(run.stderr.contains("--fail-on n+1: 1 finding in 1 trace"))
        #expect(run.stderr.range(of: #"6 × HTTP GET http://127\.0\.0\.1:\d+/prices/\{id\}:"#, options: .regularExpression) != nil, "\(run.stderr)")

        // The calls count as remote calls of the request, as the X-Ray SDK's do.
        let diff = try json(try xray(["inspect", "diff", "--run", "last", "--run", "last", "--format", "json"]))
        let cart = try #require((diff["endpoints"] as? [[String: Any]])?.first)
        #expect(cart["endpoint"] as? String == "GET /cart")
        #expect((cart["a"] as? [String: Any])?["calls_per_request"] as? Double == 6)
    }
}
