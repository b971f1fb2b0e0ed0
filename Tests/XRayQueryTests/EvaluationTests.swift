import Testing
import XRayQuery
import XRayStore
import XRayWire

/// Filter expressions run through the SQL compiler against a real store, checked against `BruteForce` over the
/// assembled trees: two independent implementations must agree on every expression.
@Suite struct EvaluationTests {
    static let synthetic = (1...5).map { "1-65540000-00000000000000000000000\($0)" }

    /// (expression, the synthetic traces it must select by number, or nil when only agreement is checked).
    static let cases: [(String, [Int]?)] = [
        ("ok", [1, 4]), ("!ok", [2, 3, 5]), ("error", [3, 5]), ("fault", [2]), ("throttle", [3]), ("partial", [3]),
        ("fault = true", [2]), ("fault = false", [1, 3, 4, 5]), ("fault != true", [1, 3, 4, 5]), ("!fault", [1, 3, 4, 5]),
        ("inferred", [1, 3, 5]), ("remote", [1, 2, 3, 5]), ("root", [1, 2, 3, 5]), ("!root", [4]),
        ("responsetime > 2", [2, 5]), ("responsetime >= 2.5", [2, 5]), ("responsetime < 0.1", [3]),
        ("duration >= 1 AND duration <= 3", [2, 4]), ("duration != 0.5", nil), ("duration = 0.5", [1]),
        ("http.status = 500", [2]), ("http.status >= 400 http.status < 500", [3, 5]),
        ("http.url CONTAINS \"/api/\"", [1, 2, 5]), ("http.url BEGINSWITH \"https://shop.example.com/api/\"", [1, 2, 5]),
        ("http.url ENDSWITH \"/health\"", [3]), ("http.url ENDSWITH \"\"", nil), ("http.method = \"POST\"", [2]),
        ("http.method != \"GET\"", [2]), ("http.useragent CONTAINS \"curl\"", [1]), ("http.clientip = \"10.0.0.1\"", [1]),
        ("user = \"alice\"", [1]), ("user CONTAINS \"\"", [1, 3]), ("user != \"alice\"", [3]), ("name = \"orders\"", [4]),
        ("type = \"AWS::EC2::Instance\"", [1]), ("message = \"connection refused\"", [2]), ("message CONTAINS \"timed\"", [5]),
        ("availabilityzone = \"us-east-1a\"", [1]), ("instance.id BEGINSWITH \"i-\"", [1]), ("resource.arn ENDSWITH \"/orders\"", [1]),
        ("annotation.user = \"u123\"", [1, 2]), ("annotation.user", [1, 2, 3]), ("!annotation.user", [4, 5]),
        ("annotation.vip", [1]), ("!annotation.vip", [2, 3, 4, 5]), ("!annotation.vip AND annotation.user", [2, 3]),
        ("http.url", nil), ("!http.url", nil), ("user", [1, 3]), ("!user", [2, 4, 5]), ("http.url AND responseTime > 2", [2, 5]),
        ("responsetime", nil), ("!responsetime", nil), ("http.status", nil), ("!http.status", nil), ("duration", nil),
        ("message", [2, 5]), ("service(\"orders\") { http.url }", nil), ("service() { !http.status }", nil),
        ("service() { responsetime AND !user }", nil), ("rootcause.responsetime.entity { coverage }", nil),
        ("rootcause.fault.service { index AND http.url }", nil),
        ("annotation.tier > 2", [2, 3]), ("annotation.tier = 2", [1]), ("annotation.vip = true", [1]),
        ("annotation.vip = false", [3, 4]), ("annotation.vip != true", [3, 4]), ("annotation.user CONTAINS \"9\"", [3]),
        ("annotation[tier] <= 5", [1, 3]), ("annotation.table = \"items\"", [1]),
        ("service(\"orders\")", [1, 2, 4]), ("!service(\"orders\")", [3, 5]), ("service(\"orders\") { fault }", [2]),
        ("service(\"orders\") { responsetime > 1 }", [2, 4]), ("service() { fault }", [2, 5]), ("service() { error }", [3, 5]),
        ("service(\"payments\") { error }", [5]), ("service(\"DynamoDB\")", [1]), ("service(\"cache\")", [3, 5]),
        ("service(id(name: \"orders\", type: \"AWS::ECS::Container\"))", [4]), ("service(id(type: \"AWS::EC2::Instance\"))", [1]),
        ("service(id(name: \"front\", account.id: \"123456789012\"))", [1]),
        ("service(\"front\") { fault = true OR responsetime > 2.5 } AND annotation.user = \"u123\"", [2]),
        ("edge(\"front\", \"orders\")", [1, 2]), ("edge(\"front\", \"orders\") { responsetime > 1 }", [2]),
        ("edge(\"front\", \"orders\") { error }", []), ("edge(\"orders\", \"DynamoDB\")", [1]), ("edge(\"front\", \"payments\") { error }", [5]),
        ("edge(\"front\", \"cache\")", [3, 5]), ("edge(\"orders\", \"front\")", []),
        ("rootcause.fault.entity { name = \"db\" }", [2]), ("rootcause.fault.entity { last AND name = \"redis.get\" }", [5]),
        ("rootcause.fault.entity { first AND name = \"orders\" }", [2]), ("rootcause.fault.entity { index = 1 }", [2, 5]),
        ("rootcause.fault.service { name = \"orders\" }", [2]), ("rootcause.fault.service { first AND name = \"front\" }", [2, 5]),
        ("rootcause.fault.service { index > 0 }", [2]), ("rootcause.fault.service { last AND name = \"front\" }", [5]),
        ("rootcause.error.service { name = \"payments\" }", [5]), ("rootcause.error.entity", [3, 5]),
        ("rootcause.responsetime.entity { name = \"db\" }", [2]), ("rootcause.responsetime.entity { last and coverage > 0.7 }", [2, 4, 5]),
        ("rootcause.responsetime.service { coverage > 0.9 }", [1, 2, 4, 5]), ("rootcause.fault.service { index > 5 }", []),
        ("ok !partial duration < 3", [1, 4]), ("(fault OR error) AND !throttle", [2, 5]), ("fault OR error AND throttle", [2, 3]),
        ("FAULT or Error", [2, 3, 5]),
        ("service(\"cache\") { !(responsetime > 0.01) }", [3]), ("!(http.status = 200)", [2, 3, 5]),
        ("!(annotation.tier > 2)", [1, 4, 5]), ("edge(\"front\", \"cache\") { !(responsetime < 1) }", [3]),
        ("!(user = \"alice\" OR http.method = \"POST\")", [3, 4, 5]), ("service() { !(http.url CONTAINS \"/\") }", nil), ("ResponseTime > 2", [2, 5]),
        ("http.url BEGINSWITH \"https://shop.example.com/\" AND http.url CONTAINS \"/api/\" AND !service(\"payments\")", [1, 2]),
    ]

    @Test(arguments: cases.indices)
    func compiledSQLAgreesWithTheTreeEvaluator(_ i: Int) throws {
        let (text, expected) = Self.cases[i]
        let store = try fixtureStore()
        let expression = try FilterParser.parse(text)
        let fromSQL = Set(try QueryEngine(store: store).traceIDs(TraceQuery(filter: expression)))
        var fromTrees = Set<String>()
        for id in try store.allTraceIDs() where BruteForce(tree: try store.trace(id)).evaluate(expression) {
            fromTrees.insert(id)
        }
        #expect(fromSQL == fromTrees, "\(text)")
        if let expected {
            #expect(fromSQL.filter(Self.synthetic.contains).sorted() == expected.map { Self.synthetic[$0 - 1] }, "\(text)")
        }
    }

    @Test func groupsResolveToTheirSavedFilter() throws {
        let store = try fixtureStore()
        let groups = GroupStore(store: store)
        try groups.add(name: "slow", filter: "responsetime > 2", now: 1)
        try groups.add(name: "slow-pay", filter: "group.name = \"slow\" AND http.method = \"POST\"", now: 1)
        let expression = try FilterParser.parse("group.name = \"slow-pay\" OR user = \"bob\"")
        let ids = try QueryEngine(store: store).traceIDs(TraceQuery(filter: expression))
        #expect(ids == [Self.synthetic[1], Self.synthetic[2]])
        #expect(throws: QueryError.unknownGroup("nope", known: ["slow", "slow-pay"])) {
            try QueryEngine(store: store).count(TraceQuery(filter: try FilterParser.parse("group.name = \"nope\"")))
        }
        #expect(throws: QueryError.duplicateGroup("slow")) { try groups.add(name: "slow", filter: "ok", now: 1) }
        #expect(throws: QueryError.invalidGroupName("a b")) { try groups.add(name: "a b", filter: "ok", now: 1) }
        #expect(try groups.remove(name: "slow-pay"))
        #expect(try !groups.remove(name: "slow-pay"))
        #expect(try groups.list().map(\.name) == ["slow"])
    }

    /// Each group naming the one below it twice doubles the inlined SQL per level: the compiler stops at its
    /// bound with a clear error instead of spending minutes and gigabytes (20 levels would be 2^20 copies).
    @Test func groupsThatDoubleEachOtherAreRefusedAtTheirBound() throws {
        let store = try fixtureStore()
        let groups = GroupStore(store: store)
        try groups.add(name: "g0", filter: "fault", now: 1)
        var refused: QueryError?
        for i in 1...20 {
            do {
                try groups.add(name: "g\(i)", filter: "group.name = \"g\(i - 1)\" OR group.name = \"g\(i - 1)\"", now: 1)
            } catch {
                refused = error
                break
            }
        }
        guard case .groupsTooLarge? = refused else {
            Issue.record("expected groupsTooLarge, got \(String(describing: refused))")
            return
        }
        #expect(throws: QueryError.self) {
            try QueryEngine(store: store).count(TraceQuery(filter: try FilterParser.parse("group.name = \"g9\" OR group.name = \"g9\"")))
        }
    }

    @Test func windowSortAndLimitApplyAfterTheFilter() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        let slow = try engine.summaries(TraceQuery(filter: try FilterParser.parse("annotation.tier"), sort: .responsetime))
        #expect(slow.map(\.traceID) == [Self.synthetic[1], Self.synthetic[0], Self.synthetic[2]])
        let windowed = try engine.summaries(TraceQuery(start: 1_700_000_010, end: 1_700_000_040, sort: .start, limit: 2))
        #expect(windowed.map(\.traceID) == [Self.synthetic[3], Self.synthetic[2]])
        #expect(try engine.count(TraceQuery(start: 1_700_000_010, end: 1_700_000_040)) == 3)
    }
}
