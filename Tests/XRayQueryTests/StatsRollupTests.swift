import Testing
import XRayStore
import XRayWire

@testable import XRayQuery

/// Stats without a filter read the store's rollups: the same groups and counts as the exact scan, and
/// percentiles within the sketch's relative accuracy of the exact nearest-rank values.
@Suite struct StatsRollupTests {
    static func close(_ approximate: Double?, _ exact: Double?) -> Bool {
        switch (approximate, exact) {
        case (nil, nil): true
        case let (a?, e?): abs(a - e) <= DurationSketch.relativeAccuracy * e + 1e-9
        default: false
        }
    }

    @Test(arguments: [StatsGrouping.none, .service, .operation, .url, .annotation("user"), .annotation("tier"), .annotation("vip")])
    func rollupsAgreeWithTheExactScan(grouping: StatsGrouping) throws {
        let engine = QueryEngine(store: try fixtureStore())
        for includeRuns in [true, false] {
            var query = TraceQuery()
            query.includeRuns = includeRuns
            let fast = try TraceStats.compute(query, by: grouping, engine: engine)
            let exact = try TraceStats.compute(query, by: grouping, engine: engine, exact: true)
            #expect(!fast.isEmpty && fast.allSatisfy(\.approximate) && !exact.contains(where: \.approximate))
            #expect(
                fast.map { [$0.key, "\($0.count)", "\($0.ok)", "\($0.error)", "\($0.fault)", "\($0.throttle)"] }
                    == exact.map { [$0.key, "\($0.count)", "\($0.ok)", "\($0.error)", "\($0.fault)", "\($0.throttle)"] })
            for (f, e) in zip(fast, exact) {
                for p in [50.0, 90, 99] { #expect(Self.close(f.percentile(p), e.percentile(p)), "\(f.key) p\(p)") }
                #expect(Self.close(f.maximum, e.maximum), "\(f.key) max")
            }
        }
    }

    @Test func aFilterOrWindowIsAnsweredExactly() throws {
        let engine = QueryEngine(store: try fixtureStore())
        var windowed = TraceQuery()
        windowed.start = 0
        #expect(!(try TraceStats.compute(windowed, by: .service, engine: engine)).contains(where: \.approximate))
        let filtered = TraceQuery(filter: try FilterParser.parse("ok OR !ok"))
        #expect(!(try TraceStats.compute(filtered, by: .service, engine: engine)).contains(where: \.approximate))
    }

    @Test func jsonSaysWhetherPercentilesAreExact() throws {
        let engine = QueryEngine(store: try fixtureStore())
        let fast = TraceStats.render(try TraceStats.compute(TraceQuery(), by: .service, engine: engine), by: .service, format: .json)
        let exact = TraceStats.render(try TraceStats.compute(TraceQuery(), by: .service, engine: engine, exact: true), by: .service, format: .json)
        #expect(fast.contains(#""percentiles": "within 1%""#) && !fast.contains(#""percentiles": "exact""#))
        #expect(exact.contains(#""percentiles": "exact""#) && !exact.contains(#""percentiles": "within 1%""#))
    }
}

/// The service nodes the filter language selects in SQL are the ones the store's Swift rules list.
@Suite struct ServiceNodeRuleTests {
    @Test func sqlAndSwiftAgreeOnWhatAServiceNodeIs() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        var inferredSeen = 0
        for id in try store.allTraceIDs() {
            var bySQL: [String] = []
            try store.serviceNodes(traceID: id, ServiceGraph.nodeSQL()) { row in
                let node = row.name + "/" + (ServiceGraph.nodeType(origin: row.origin, kind: row.kind, namespace: row.namespace, name: row.name) ?? "")
                if !bySQL.contains(node) { bySQL.append(node) }
                if row.kind == 1 { inferredSeen += 1 }
            }
            let fields = Dictionary(uniqueKeysWithValues: try TraceDetails.fields(traceID: id, engine: engine).map { ($0.key, $0.value) })
            let bySwift = (fields["ServiceIds"]?.arrayValue ?? []).compactMap { $0.objectValue }.map {
                ($0["Name"]?.stringValue ?? "") + "/" + ($0["Type"]?.stringValue ?? "")
            }
            #expect(bySQL == bySwift, "\(id)")
        }
        #expect(inferredSeen > 0, "the fixtures hold inferred nodes")
    }
}
