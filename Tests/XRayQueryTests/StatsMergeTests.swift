import Foundation
import Testing
import XRayStore
import XRayTestSupport
import XRayWire

@testable import XRayQuery

/// Rollup groups that print under one key (an operation's URLs with different query strings, the number 1
/// and the string "1") and rows with and without `xray run`'s segments are summed as the exact scan counts them.
@Suite struct StatsMergeTests {
    static func store() throws -> TraceStore {
        let store = try TraceStore(path: temporaryStorePath())
        let folder = try makeTemporaryDirectory("xray-stats")
        defer { try? FileManager.default.removeItem(at: folder) }
        var documents: [String] = []
        for i in 1...12 {
            let trace = "1-65540000-\(String(format: "%024x", i))"
            let annotation = i % 3 == 0 ? #""n":1"# : (i % 3 == 1 ? #""n":"1""# : #""n":1.5"#)
            let origin = i % 4 == 0 ? #","origin":"\#(TraceStore.runOrigin)""# : ""
            let start = 1_700_000_000 + Double(i)
            documents.append(
                #"{"trace_id":"\#(trace)","id":"\#(String(format: "%016x", i))","name":"front"\#(origin),"start_time":\#(start),"end_time":\#(start + 0.01 * Double(i * i)),"fault":\#(i % 5 == 0),"http":{"request":{"method":"GET","url":"https://h.example/api/items?page=\#(i)"},"response":{"status":200}},"annotations":{\#(annotation)}}"#
            )
        }
        let file = folder.appendingPathComponent("stats.jsonl").path
        try documents.map { $0 + "\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let report = try TraceImporter(store: store, now: { 3 }).importFile(file, format: .jsonl)
        #expect(report.problems.isEmpty, "\(report.problems)")
        return store
    }

    @Test(arguments: [StatsGrouping.none, .service, .operation, .url, .annotation("n")])
    func mergedGroupsAgreeWithTheExactScan(grouping: StatsGrouping) throws {
        let engine = QueryEngine(store: try Self.store())
        for includeRuns in [true, false] {
            var query = TraceQuery()
            query.includeRuns = includeRuns
            let fast = try TraceStats.compute(query, by: grouping, engine: engine)
            let exact = try TraceStats.compute(query, by: grouping, engine: engine, exact: true)
            #expect(!fast.isEmpty && fast.allSatisfy(\.approximate))
            #expect(
                fast.map { [$0.key, "\($0.count)", "\($0.ok)", "\($0.fault)"] } == exact.map { [$0.key, "\($0.count)", "\($0.ok)", "\($0.fault)"] },
                "includeRuns \(includeRuns)")
            for (f, e) in zip(fast, exact) {
                for p in [10.0, 50, 90, 99] { #expect(StatsRollupTests.close(f.percentile(p), e.percentile(p)), "\(f.key) p\(p)") }
                #expect(StatsRollupTests.close(f.maximum, e.maximum), "\(f.key) max")
            }
            if grouping == .operation, includeRuns {
                #expect(fast.map(\.key) == ["front GET /api/items"] && fast.first?.count == 12, "twelve URLs, one operation")
            }
            if grouping == .annotation("n"), includeRuns {
                #expect(fast.first { $0.key == "1" }?.count == 8, "the number 1 and the string \"1\" print as one key")
            }
        }
    }

    @Test func bucketListsMergeInOrderAddingTheSameBucket() {
        func buckets(_ pairs: [(Int, Int)]) -> [StatsRow.StatsBucket] { pairs.map { StatsRow.StatsBucket(index: $0.0, count: $0.1) } }
        #expect(
            TraceStats.merged(buckets([(1, 2), (4, 1), (9, 3)]), buckets([(0, 1), (4, 5), (10, 1)])) == buckets([(0, 1), (1, 2), (4, 6), (9, 3), (10, 1)]))
        #expect(TraceStats.merged([], buckets([(3, 1)])) == buckets([(3, 1)]))
        #expect(TraceStats.merged(buckets([(3, 1)]), []) == buckets([(3, 1)]))
    }
}
