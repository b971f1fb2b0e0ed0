import Foundation
import Testing
import XRayRender
import XRayTestSupport
import XRayWire

@testable import XRayQuery
@testable import XRayStore

/// The listing writer (one joined read, bytes straight from the stored details) writes exactly what the
/// `JSONValue` path writes: each summary from `TraceListing.json` with its details from `summaryDetails`
/// spliced in, through `JSONWriter`.
@Suite struct ListingWriterTests {
    static let hostileName = "we\"ird\\ sv\u{1}c\u{1f}\t\n\r\u{8}\u{c} ünï 🙂 \u{2028}</script>"

    /// Documents with hostile strings, unusual numbers, a root still in progress, a trace whose root's
    /// caller is not stored, and one over the write-time details bound.
    static func documents() -> [String] {
        func id(_ trace: Int) -> String { "1-65540000-\(String(format: "%024x", trace))" }
        let name = JSONWriter.string(.string(hostileName))
        var docs = [
            #"{"trace_id":"\#(id(1))","id":"a000000000000001","name":\#(name),"origin":\#(name),"start_time":1700000000.123456789,"end_time":1700000000.9876543,"user":\#(name),"http":{"request":{"method":\#(name),"url":"https://h.example/\u00e9?q=\"x\"","user_agent":\#(name),"client_ip":"::1"},"response":{"status":503}},"fault":true,"annotations":{"big":1e21,"neg":-0.0,"pi":3.141592653589793,"s":\#(name),"b":true},"subsegments":[{"id":"a000000000000002","name":\#(name),"namespace":"remote","start_time":1700000000.2,"end_time":1700000000.9,"fault":true,"cause":{"exceptions":[{"type":\#(name),"message":\#(name)}]}}]}"#,
            #"{"trace_id":"\#(id(2))","id":"b000000000000001","name":"front","start_time":1700000010,"in_progress":true}"#,
            #"{"trace_id":"\#(id(3))","id":"c000000000000001","parent_id":"ffffffffffffffff","name":"orders","start_time":1700000020.5,"end_time":1700000021,"error":true}"#,
        ]
        // Standalone subsegments: a document is at most 64 KiB.
        docs.append(#"{"trace_id":"\#(id(4))","id":"0000000000000001","name":"big","start_time":1700000030,"end_time":1700000033,"fault":true}"#)
        for i in 0...SummaryRules.maxEntitiesAtWriteTime {
            docs.append(
                #"{"trace_id":"\#(id(4))","id":"\#(String(format: "%016x", i + 2))","parent_id":"0000000000000001","type":"subsegment","name":"c\#(i % 3)","start_time":1700000030.\#(i),"end_time":1700000032,"fault":\#(i % 2 == 0)}"#
            )
        }
        return docs
    }

    static func store(deletingDetails: Bool) throws -> TraceStore {
        let store = try fixtureStore()
        let folder = try makeTemporaryDirectory("xray-listing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("hostile.jsonl").path
        try documents().map { $0 + "\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let report = try TraceImporter(store: store, now: { 3 }).importFile(file, format: .jsonl)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(try Self.storedDetails(store, traceID: "1-65540000-000000000000000000000004") == 0, "the trace over the bound has no details row")
        if deletingDetails {
            // As an upgraded store holds some traces: no details row, computed when listed.
            try store.transaction { () throws(StoreError) in try store.execute("DELETE FROM trace_details WHERE rowid % 2 = 0", []) }
        }
        return store
    }

    static func storedDetails(_ store: TraceStore, traceID: String) throws -> Int {
        var n = 0
        try store.select("SELECT count(*) FROM trace_details WHERE trace_id=?", [.text(traceID)]) { n = $0.int(0) }
        return n
    }

    /// The summaries of `query` through the `JSONValue` path.
    static func reference(_ query: TraceQuery, engine: QueryEngine) throws -> [JSONValue] {
        let traces = try engine.summaries(query)
        let details = try engine.store.summaryDetails(traceIDs: traces.map(\.traceID))
        return try zip(traces, details).map { t, d in
            var o = try #require(TraceListing.json(t).objectValue)
            o["Http"] = try JSONParser.parse(d.http).value
            o.members += try #require(try JSONParser.parse("{" + d.members + "}").value.objectValue).members
            return .object(o)
        }
    }

    static func written(_ query: TraceQuery, offset: Int = 0, shown: Int? = nil, engine: QueryEngine, layout: TraceDetails.Layout) throws -> (
        text: String, count: Int
    ) {
        var bytes: [UInt8] = []
        let count = try TraceDetails.write(query, offset: offset, shown: shown, engine: engine, layout: layout) { chunk in
            bytes += chunk
        }
        return (String(decoding: bytes, as: UTF8.self), count)
    }

    @Test(arguments: [false, true])
    func everyLayoutWritesTheBytesOfTheJSONValuePath(deletingDetails: Bool) throws {
        let store = try Self.store(deletingDetails: deletingDetails)
        let engine = QueryEngine(store: store)
        for sort in TraceSort.allCases {
            let query = TraceQuery(sort: sort)
            let objects = try Self.reference(query, engine: engine)
            #expect(objects.count > 10)
            let lines = try Self.written(query, engine: engine, layout: .lines)
            #expect(lines.count == objects.count)
            #expect(lines.text == objects.map { JSONWriter.string($0) + "\n" }.joined())
            let document = try Self.written(query, engine: engine, layout: .document)
            #expect(document.text == JSONWriter.prettyString(.object(JSONObject([("TraceSummaries", .array(objects))]))) + "\n")
            let members = try Self.written(query, engine: engine, layout: .members)
            #expect(members.text == objects.map { JSONWriter.string($0) }.joined(separator: ","))
        }
        let listed = try Self.written(TraceQuery(), engine: engine, layout: .lines).text
        #expect(listed.contains(JSONWriter.string(.string(Self.hostileName))), "the hostile strings are listed, escaped")
        #expect(listed.contains(#""Id":"1-65540000-000000000000000000000004""#), "the trace over the bound is listed")
    }

    @Test func aListingLargerThanOneFlushIsHandedOverInPiecesThatJoinUp() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let folder = try makeTemporaryDirectory("xray-listing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("many.jsonl").path
        let annotations = (0..<20).map { #""k\#($0)":"\#(String(repeating: "v\\\"", count: 20))""# }.joined(separator: ",")
        let documents = (1...600).map { i in
            #"{"trace_id":"1-65540000-\#(String(format: "%024x", i))","id":"\#(String(format: "%016x", i))","name":"svc","start_time":\#(1_700_000_000 + i),"end_time":\#(1_700_000_001 + i),"annotations":{\#(annotations)}}"#
        }
        try documents.map { $0 + "\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let report = try TraceImporter(store: store, now: { 3 }).importFile(file, format: .jsonl)
        #expect(report.problems.isEmpty, "\(report.problems)")
        let engine = QueryEngine(store: store)
        let objects = try Self.reference(TraceQuery(), engine: engine)
        for layout in [TraceDetails.Layout.lines, .document] {
            var pieces: [[UInt8]] = []
            let count = try TraceDetails.write(TraceQuery(), engine: engine, layout: layout) { pieces.append($0) }
            #expect(count == 600)
            #expect(pieces.count > 1, "the listing spans more than one flush")
            let expected =
                layout == .lines
                ? objects.map { JSONWriter.string($0) + "\n" }.joined()
                : JSONWriter.prettyString(.object(JSONObject([("TraceSummaries", .array(objects))]))) + "\n"
            #expect(String(decoding: pieces.joined(), as: UTF8.self) == expected)
        }
    }

    @Test func aQueryWithNoMatchWritesAnEmptyDocument() throws {
        let engine = QueryEngine(store: try Self.store(deletingDetails: false))
        let none = TraceQuery(filter: try FilterParser.parse(#"service("no-such-service")"#))
        let document = try Self.written(none, engine: engine, layout: .document)
        #expect(document.count == 0)
        #expect(document.text == JSONWriter.prettyString(.object(JSONObject([("TraceSummaries", .array([]))]))) + "\n")
        #expect(try Self.written(none, engine: engine, layout: .lines).text == "")
    }

    @Test func anOffsetSkipsAndRowsPastShownAreCountedNotWritten() throws {
        let engine = QueryEngine(store: try Self.store(deletingDetails: true))
        let objects = try Self.reference(TraceQuery(), engine: engine)
        var query = TraceQuery(limit: 4)
        let page = try Self.written(query, offset: 3, shown: 3, engine: engine, layout: .members)
        #expect(page.count == 4)
        #expect(page.text == objects[3..<6].map { JSONWriter.string($0) }.joined(separator: ","))
        query.limit = nil
        let tail = try Self.written(query, offset: objects.count - 2, engine: engine, layout: .lines)
        #expect(tail.count == 2)
        #expect(tail.text == objects.suffix(2).map { JSONWriter.string($0) + "\n" }.joined())
    }
}
