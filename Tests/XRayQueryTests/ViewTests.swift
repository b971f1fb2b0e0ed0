import Testing
import XRayQuery
import XRayStore
import XRayWire

/// Stats, the service graph, OTLP export, prune and time parsing on the fixture store.
@Suite struct ViewTests {
    static let synthetic = EvaluationTests.synthetic

    func syntheticOnly() throws -> TraceQuery {
        TraceQuery(filter: try FilterParser.parse("http.url CONTAINS \"shop.example.com\" OR name = \"orders\""))
    }

    @Test func statsByServiceCountEveryServiceNodeWithNearestRankPercentiles() throws {
        let store = try fixtureStore()
        let rows = try TraceStats.compute(try syntheticOnly(), by: .service, engine: QueryEngine(store: store))
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        #expect(rows.map(\.key) == ["front", "orders", "cache", "DynamoDB", "payments"])
        let front = try #require(byName["front"])
        #expect([front.count, front.ok, front.error, front.fault, front.throttle] == [4, 1, 2, 1, 1])
        // front response times: 0.05, 0.5, 2.5, 3.2 seconds.
        #expect(front.percentile(50).map { ($0 * 1000).rounded() } == 500)
        #expect(front.percentile(90).map { ($0 * 1000).rounded() } == 3200)
        #expect(front.maximum.map { ($0 * 1000).rounded() } == 3200)
        let orders = try #require(byName["orders"])
        #expect([orders.count, orders.fault] == [3, 1])
        let cache = try #require(byName["cache"])
        #expect(cache.count == 2 && cache.percentile(50) != nil, "the in-progress call counts but has no time")
        let csv = TraceStats.render(rows, by: .service, format: .csv).split(separator: "\n")
        #expect(csv[0].hasPrefix("service,count,ok,error,fault,throttle,ok_rate"))
        #expect(csv[1].hasPrefix("front,4,1,2,1,1,0.25,0.5,0.25,0.25,500.0,3200.0,3200.0,3200.0"))
    }

    /// `--run` alone narrows per-service stats to the run's traces: with no filter or window, the service
    /// nodes used to be read from every trace in the store.
    @Test func statsByServiceOfARunCountOnlyItsTraces() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        let captured = try engine.traceIDs(try syntheticOnly())
        _ = try store.recordRun(
            RunRecord(id: 0, traceID: captured[0], segmentID: "00000000000000aa", name: "t", argv: ["t"], startedAt: 1, endedAt: 2, exitStatus: 0),
            traceIDs: captured)
        var ofRun = TraceQuery()
        ofRun.run = "last"
        let rows = try TraceStats.compute(ofRun, by: .service, engine: engine)
        #expect(rows == (try TraceStats.compute(try syntheticOnly(), by: .service, engine: engine)))
        #expect(rows != (try TraceStats.compute(TraceQuery(), by: .service, engine: engine)))
    }

    @Test func statsByAnnotationOperationAndURL() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        let tiers = try TraceStats.compute(try syntheticOnly(), by: .annotation("vip"), engine: engine)
        #expect(tiers.map(\.key) == ["false", "true"])
        #expect(tiers.map(\.count) == [2, 1])
        let operations = try TraceStats.compute(try syntheticOnly(), by: .operation, engine: engine)
        #expect(
            operations.map(\.key).sorted() == [
                "front GET /api/items", "front GET /api/orders", "front GET /health", "front POST /api/pay", "orders GET /items",
            ])
        let all = try TraceStats.compute(TraceQuery(), by: .none, engine: engine)
        #expect(all.map(\.count) == [15])
        #expect(StatsGrouping(grouping: "annotation.user") == .annotation("user"))
        #expect(StatsGrouping(grouping: "host") == nil)
    }

    @Test func serviceGraphHasTheClientEntryPointsCallsAndInferredNodes() throws {
        let store = try fixtureStore()
        let graph = try ServiceGraph.build(try syntheticOnly(), engine: QueryEngine(store: store))
        let names = graph.nodes.map(\.name)
        // Nodes are (name, type): "front" with and without an origin are two nodes, so sum over names.
        func edge(_ a: String, _ b: String) -> CallStatistics? {
            var sum: CallStatistics?
            for from in graph.nodes where from.name == a {
                for (to, stats) in from.edges where graph.nodes[to].name == b {
                    var s = sum ?? CallStatistics()
                    s.total += stats.total
                    s.fault += stats.fault
                    s.errorOther += stats.errorOther
                    sum = s
                }
            }
            return sum
        }
        #expect(graph.nodes.filter { $0.name == "front" }.map(\.type) == ["AWS::EC2::Instance", nil])
        #expect(names.first == "client")
        #expect(edge("client", "front")?.total == 4)
        #expect(edge("client", "orders")?.total == 1, "a segment whose caller is not stored hangs under the client")
        #expect(edge("front", "orders")?.total == 2)
        #expect(edge("front", "orders")?.fault == 1)
        #expect(edge("orders", "DynamoDB")?.total == 1)
        #expect(edge("front", "payments")?.errorOther == 1)
        #expect(edge("front", "cache")?.total == 2)
        #expect(edge("orders", "front") == nil)
        let json = try JSONParser.parse(graph.render(.json)).value
        let services = try #require(json.objectValue?["Services"]?.arrayValue)
        #expect(services.count == graph.nodes.count)
        #expect(services[0].objectValue?["Type"]?.stringValue == "client")
        #expect(graph.render(.dot).hasPrefix("digraph xray {"))
        #expect(graph.render(.mermaid).contains("n0 -->|\"1 call, 0 fault\"| n1"))
    }

    @Test func otlpUsesThePropagatorsIdsAndOneResourcePerService() throws {
        let store = try fixtureStore()
        let request = OTLPExport.request(try store.trace(Self.synthetic[0]))
        #expect(OTLPExport.traceID("1-5759e988-bd862e3fe1be46a994272793") == "5759e988bd862e3fe1be46a994272793")
        let resources = try #require(request.objectValue?["resourceSpans"]?.arrayValue)
        let services = resources.map {
            $0.objectValue?["resource"]?.objectValue?["attributes"]?.arrayValue?.first?.objectValue?["value"]?.objectValue?["stringValue"]?.stringValue
        }
        #expect(services == ["front", "orders"])
        let spans = resources.flatMap { $0.objectValue?["scopeSpans"]?.arrayValue?.first?.objectValue?["spans"]?.arrayValue ?? [] }
        #expect(spans.count == 4)
        #expect(spans.allSatisfy { $0.objectValue?["traceId"]?.stringValue == "65540000000000000000000000000001" })
        let orders = try #require(spans.first { $0.objectValue?["spanId"]?.stringValue == "a000000000000003" }?.objectValue)
        #expect(orders["parentSpanId"]?.stringValue == "a000000000000002")
        #expect(orders["startTimeUnixNano"]?.stringValue == "1700000000120000000")
        #expect(spans.first?.objectValue?["kind"] == .number(JSONNumber(2)))
    }

    @Test func pruneDeletesWholeTracesAndKeepsTheNewest() throws {
        let store = try fixtureStore()
        let removed = try store.prune(.keepLast(3), vacuum: true)
        #expect(removed.traces == 12)
        #expect(try store.allTraceIDs().count == 3)
        let counts = try store.counts()
        #expect(counts.documents > 0 && counts.entities > 0)
        var orphans = -1
        try store.select("SELECT count(*) FROM entities WHERE trace_id NOT IN (SELECT trace_id FROM traces)", []) { orphans = $0.int(0) }
        #expect(orphans == 0)
        let old = try store.prune(.endedBefore(4_000_000_000), vacuum: false)
        #expect(old.traces == 3)
        #expect(try store.counts().entities == 0)
    }

    @Test func timesAndDurations() throws {
        #expect(try TimeSpec.duration("90s") == 90)
        #expect(try TimeSpec.duration("10m") == 600)
        #expect(try TimeSpec.duration("1.5h") == 5400)
        #expect(try TimeSpec.duration("7d") == 604_800)
        #expect(try TimeSpec.duration("10") == 10, "a bare number is seconds, as for every duration flag")
        #expect(throws: QueryError.invalidDuration("10 m")) { try TimeSpec.duration("10 m") }
        #expect(try TimeSpec.time("1700000000.5", now: 0) == 1_700_000_000.5)
        #expect(try TimeSpec.time("10m", now: 1000) == 400)
        #expect(try TimeSpec.time("2023-11-14T22:13:20Z", now: 0) == 1_700_000_000)
        #expect(try TimeSpec.time("2023-11-14T23:13:20.25+01:00", now: 0) == 1_700_000_000.25)
        #expect(try TimeSpec.time("2023-11-14", now: 0) == 1_699_920_000)
        #expect(throws: QueryError.invalidTime("yesterday")) { try TimeSpec.time("yesterday", now: 0) }
    }
}
