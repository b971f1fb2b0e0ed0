import Testing
import XRayInsights
import XRayWire

@Suite struct DiffTests {
    func sample(_ url: String, _ seconds: Double, sql: Int, status: Int = 200) throws -> RequestSample {
        let root = Node(
            "web", 0, seconds, url: url, status: status, fault: status >= 500,
            queries(sql, each: seconds / Double(max(sql, 1)) / 2) { "select * from b where id = \($0)" })
        return try #require(RequestSample.of(try tree(root)))
    }

    @Test func requestsGroupByMethodAndPathWithIDsNormalized() throws {
        let a = try sample("http://127.0.0.1:8000/books/7?x=1", 0.1, sql: 3)
        let b = try sample("http://127.0.0.1:8000/books/9", 0.2, sql: 1)
        #expect(a.endpoint == "GET /books/{id}")
        #expect(a.endpoint == b.endpoint)
        #expect(a.sqlCalls == 3)
    }

    @Test func aTraceWithoutAnHTTPRootIsNoRequest() throws {
        #expect(RequestSample.of(try tree(Node("batch", 0, 1))) == nil)
    }

    @Test func statsArePercentilesPerRequestCountsAndRates() throws {
        let samples = try (1...20).map { try sample("http://h/x", Double($0) / 100, sql: $0 % 2 == 0 ? 2 : 4, status: $0 == 20 ? 500 : 200) }
        let s = EndpointStats(samples)
        #expect(s[.requests] == 20)
        #expect(abs(s[.p50] - 100) < 1e-3, "nearest rank: the 10th of 20")
        #expect(abs(s[.p95] - 190) < 1e-3)
        #expect(abs(s[.max] - 200) < 1e-3)
        #expect(s[.sqlPerRequest] == 3)
        #expect(s[.faultRate] == 5)
        #expect(s[.errorRate] == 0)
    }

    @Test func theComparisonShowsChangesAndNewAndVanishedEndpoints() throws {
        let a = [try sample("http://h/authors", 0.1, sql: 7), try sample("http://h/old", 0.1, sql: 0)]
        let b = [try sample("http://h/authors", 0.05, sql: 2), try sample("http://h/new", 0.1, sql: 0)]
        let c = RunComparison(a: a, b: b)
        #expect(c.added == ["GET /new"])
        #expect(c.vanished == ["GET /old"])
        let authors = try #require(c.endpoints.first { $0.endpoint == "GET /authors" })
        let change = try #require(authors.change(.sqlPerRequest))
        #expect(change.absolute == -5)
        #expect(abs(change.percent - (-500.0 / 7)) < 1e-9)
        let table = c.render(.table)
        #expect(table.contains("7.00 → 2.00 (-5, -71%)"))
        #expect(table.contains("new endpoint: GET /new"))
        let markdown = c.render(.markdown)
        #expect(markdown.hasPrefix("| endpoint | requests |"))
        #expect(markdown.contains("- vanished endpoint: GET /old"))
    }

    @Test func markdownCellsCannotBreakTheTableOrOpenHTML() throws {
        let c = RunComparison(a: [try sample("http://h/a|b<script>", 0.1, sql: 0)], b: [])
        let markdown = c.render(.markdown)
        #expect(markdown.contains(#"GET /a\|b&lt;script> (vanished)"#))
        #expect(!markdown.contains("<script>"))
    }

    @Test(arguments: [
        ("sql_per_request > +20%", DiffMetric.sqlPerRequest, true, 20.0, true),
        ("p95>+10%", .p95, true, 10, true),
        ("max > 50", .max, true, 50, false),
        ("error_rate < -5", .errorRate, false, -5, false),
        (" requests < -10.5% ", .requests, false, -10.5, true),
        ("p95 > +50ms", .p95, true, 50, false),
        ("p50 > +0.5s", .p50, true, 500, false),
        ("max < -1m", .max, false, -60_000, false),
        ("p95 > 10ms", .p95, true, 10, false),
    ])
    func failIfRulesParse(_ text: String, _ metric: DiffMetric, _ greater: Bool, _ threshold: Double, _ percent: Bool) throws {
        #expect(try FailIf(parsing: text) == FailIf(metric: metric, greater: greater, threshold: threshold, percent: percent))
    }

    @Test(arguments: [
        "sql > +20%", "p95 > ", "p95 = +10%", "p95 > +ten%", "p95 > +1e3", "p95 > +inf", "", "p95 > +10%%",
        "p95 > +10sec", "p95 > +-10ms", "sql_per_request > +2s", "p95 > +10ms%",
    ])
    func malformedFailIfRulesSayTheAcceptedForms(_ text: String) {
        #expect {
            try FailIf(parsing: text)
        } throws: { error in
            "\(error)".contains("accepted forms: METRIC > +N%") && "\(error)".contains("sql_per_request")
        }
    }

    @Test func rulesAreCrossedStrictlyAndAZeroBaseIsAnInfiniteRise() throws {
        let rise = try FailIf(parsing: "sql_per_request > +20%")
        #expect(rise.isCrossed(by: (1, 25)))
        #expect(!rise.isCrossed(by: (1, 20)))
        #expect(!rise.isCrossed(by: (-5, -71)))
        #expect(rise.isCrossed(by: (1, .infinity)))
        let drop = try FailIf(parsing: "requests < -10%")
        #expect(drop.isCrossed(by: (-2, -20)))
        #expect(!drop.isCrossed(by: (2, 20)))
    }

    @Test func violationsNameTheEndpointAndTheRule() throws {
        let a = [try sample("http://h/authors", 0.1, sql: 2)]
        let b = [try sample("http://h/authors", 0.1, sql: 7)]
        let c = RunComparison(a: a, b: b)
        let v = c.violations([try FailIf(parsing: "sql_per_request > +20%"), try FailIf(parsing: "requests > +0")])
        #expect(v.map(\.endpoint) == ["GET /authors", RunComparison.totalLabel])
        #expect(RunComparison.describe(v[0]) == "GET /authors: sql_per_request 2.00 → 7.00 (+5, +250%) crosses sql_per_request > +20%")
        #expect(c.render(.table, violations: v).contains("failed checks:"))
    }

    @Test func twoTreesDifferByPathsOfNames() throws {
        let a = try tree(Node("web", 0, 0.1, [Node("auth", 0, 0.01)] + queries(3) { "q\($0)" }))
        let b = try tree(Node("web", 0, 0.2, [Node("render", 0.05, 0.2, [Node("tpl", 0.06, 0.07)])] + queries(1, each: 0.01) { "q\($0)" }))
        let d = TreeDiff(a, b)
        #expect(d.added == [["web", "render"]], "only the top of an added subtree")
        #expect(d.removed == [["web", "auth"], ["web", "execute#2"], ["web", "execute#3"]])
        #expect(d.slower.map(\.path) == [["web"], ["web", "execute"]])
    }
}
