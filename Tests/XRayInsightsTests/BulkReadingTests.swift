import Testing
import XRayInsights
import XRayStore
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// The bulk read behind `insights` and `diff` over a real SQLite file: trees in the order asked for, each the
/// tree a one-trace read assembles, across batch boundaries and on two threads.
@Suite struct BulkReadingTests {
    /// A store of `count` traces: a root answering GET /items/N with six identical-shape queries (an N+1),
    /// and a standalone subsegment document under it; every seventh trace's subsegment arrives first.
    func makeStore(_ count: Int) throws -> (store: TraceStore, ids: [String], path: String) {
        var template = Array("/tmp/xray-bulk-XXXXXX".utf8CString)
        let folder = try #require(template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }.map { String(cString: $0) })
        let path = folder + "/traces.sqlite"
        let store = try TraceStore(path: path)
        var ids: [String] = []
        var incoming: [IncomingDocument] = []
        func add(_ text: String) throws {
            incoming.append(IncomingDocument(raw: Array(text.utf8), document: try SegmentDocumentParser.parse(text), source: nil, receivedAt: base))
        }
        for i in 0..<count {
            let tid = "1-65540000-" + hex(i, 24), root = hex(2 * i + 1, 16), child = hex(2 * i + 2, 16)
            ids.append(tid)
            let t0 = base + Double(i)
            let sql = (0..<6).map { q in
                #"{"id":"\#(hex(1_000_000 + 6 * i + q, 16))","name":"db","start_time":\#(t0 + 0.01 * Double(q + 1)),"end_time":\#(t0 + 0.01 * Double(q + 1) + 0.005),"sql":{"sanitized_query":"select * from t where id = \#(q)"}}"#
            }
            let segment =
                #"{"trace_id":"\#(tid)","id":"\#(root)","name":"web","start_time":\#(t0),"end_time":\#(t0 + 0.5 + Double(i % 10) * 0.01),"http":{"request":{"method":"GET","url":"http://h/items/\#(i)"},"response":{"status":200}},"subsegments":[\#(sql.joined(separator: ","))]}"#
            let sub =
                #"{"trace_id":"\#(tid)","id":"\#(child)","parent_id":"\#(root)","type":"subsegment","name":"render","start_time":\#(t0 + 0.1),"end_time":\#(t0 + 0.2)}"#
            if i % 7 == 0 { try add(sub); try add(segment) } else { try add(segment); try add(sub) }
        }
        _ = try store.ingest(incoming)
        return (store, ids, folder)
    }

    func hex(_ n: Int, _ width: Int) -> String {
        let s = String(n, radix: 16)
        return String(repeating: "0", count: width - s.count) + s
    }

    @Test func treesComeInTheOrderAskedForAsOneTraceReadsAssembleThem() throws {
        let (store, ids, folder) = try makeStore(1_100)
        defer { rmTree(folder) }
        // Newest first, with an id that has no documents: it is skipped, the order of the rest is kept.
        let asked = Array(ids.reversed()) + ["1-65540000-ffffffffffffffffffffffff"]
        var seen: [String] = []
        var mismatched: [String] = []
        try InsightsSource(store: store).forEachTree(asked) { tree in
            seen.append(tree.traceID)
            let alone = try? store.trace(tree.traceID)
            if alone?.entries.map(\.entity.id) != tree.entries.map(\.entity.id) { mismatched.append(tree.traceID) }
        }
        #expect(seen == ids.reversed())
        #expect(mismatched.isEmpty)
    }

    @Test func aParallelReportIsTheReportOfTheTreesOneByOne() throws {
        let (store, ids, folder) = try makeStore(1_100)
        defer { rmTree(folder) }
        let options = InsightsOptions(nPlusOne: 5, slow: 0.3, gap: 0.1, criticalPaths: 3)
        let parallel = try InsightsSource(store: store).report(ids, options: options)
        var serial = InsightsReport(options: options)
        for id in ids { serial.add(try store.trace(id)) }
        #expect(parallel.tracesAnalyzed == 1_100)
        #expect(parallel.findings == serial.findings)
        #expect(parallel.findings.filter { $0.kind == .nPlusOne }.count == 1_100)
        #expect(parallel.criticalPaths == serial.criticalPaths)
        #expect(parallel.criticalPaths.map(\.traceID) == [ids[9], ids[19], ids[29]], "the slowest, first of equals first")
        let samples = try InsightsSource(store: store).samples(ids)
        #expect(samples.samples.count == 1_100)
        #expect(samples.samples.allSatisfy { $0.sqlCalls == 6 && $0.endpoint == "GET /items/{id}" })
    }

    func rmTree(_ folder: String) {
        for name in ["traces.sqlite", "traces.sqlite-wal", "traces.sqlite-shm"] { unlink(folder + "/" + name) }
        rmdir(folder)
    }
}
