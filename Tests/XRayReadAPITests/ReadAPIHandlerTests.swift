import Testing
import XRayReadAPI
import XRayStore
import XRayTestSupport
import XRayWire

@testable import XRayCollector

/// The read operations called as the collector calls them, without a socket: the handler `ReadAPI.operations`
/// routes each path to, with an `OperationRequest` over a real store file.
@Suite struct ReadAPIHandlerTests {
    static func traceID(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return "1-5f84c7a1-" + String(repeating: "0", count: 24 - hex.count) + hex
    }

    static func entityID(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A segment at `start` that calls `calls` (remote subsegments, one per name) when given.
    static func segment(_ n: Int, name: String = "front", start: Double = 1_602_537_378, calls: [String] = []) -> String {
        let subsegments = calls.enumerated().map { i, callee in
            #"{"id":"\#(entityID(10_000 + n * 10 + i))","name":"\#(callee)","namespace":"remote","start_time":\#(start + 0.01),"end_time":\#(start + 0.05),"http":{"request":{"method":"GET","url":"http://\#(callee)/x"},"response":{"status":200}}}"#
        }
        return
            #"{"trace_id":"\#(traceID(n))","id":"\#(entityID(n))","name":"\#(name)","start_time":\#(start),"end_time":\#(start + 0.1),"http":{"request":{"method":"GET","url":"http://localhost/items/\#(n)"},"response":{"status":200}},"subsegments":[\#(subsegments.joined(separator: ","))]}"#
    }

    /// A store file holding `documents`, written through the store as the collector's writer would.
    static func store(_ documents: [String]) throws -> String {
        let path = temporaryStorePath("xray-readapi")
        let store = try TraceStore(path: path)
        _ = try store.ingest(
            try documents.map { text in
                IncomingDocument(raw: Array(text.utf8), document: try SegmentDocumentParser.parse(text), source: "test", receivedAt: 1)
            })
        return path
    }

    /// Calls the handler the collector would route `path` to.
    static func call(_ path: String, _ body: String, store: String) throws -> (status: Int, json: JSONObject) {
        let handler = try #require(ReadAPI.operations.routes.first { $0.path == path }?.handler)
        let request = OperationRequest(
            body: Array(body.utf8), peer: "127.0.0.1:40000", storePath: store, receivedAt: 1_602_540_000.7,
            intake: DocumentHandoff(queue: IntakeQueue(capacity: 1, counters: nil)))
        let response = handler(request)
        let json = try #require(try JSONParser.parse(String(decoding: response.body, as: UTF8.self)).value.objectValue)
        return (response.status, json)
    }

    @Test func batchGetTracesAnswersEachStoredIdOnceAndListsTheRest() throws {
        let store = try Self.store([Self.segment(1), Self.segment(2)])
        let malformed = "1-xyz"
        let missing = Self.traceID(99)
        let (status, json) = try Self.call(
            "/Traces", #"{"TraceIds":["\#(Self.traceID(2))","\#(malformed)","\#(Self.traceID(2))","\#(missing)"]}"#, store: store)
        #expect(status == 200)
        let traces = try #require(json["Traces"]?.arrayValue)
        #expect(traces.map { $0.objectValue?["Id"] } == [.string(Self.traceID(2))])
        let document = try #require(traces.first?.objectValue?["Segments"]?.arrayValue?.first?.objectValue?["Document"]?.stringValue)
        #expect(try JSONParser.parse(document).value.objectValue?["id"] == .string(Self.entityID(2)))
        #expect(json["UnprocessedTraceIds"] == .array([.string(malformed), .string(missing)]))
    }

    @Test func batchGetTracesRefusesMoreIdsThanTheServiceTakes() throws {
        let store = try Self.store([Self.segment(1)])
        let ids = (1...6).map { "\"\(Self.traceID($0))\"" }.joined(separator: ",")
        let (status, json) = try Self.call("/Traces", #"{"TraceIds":[\#(ids)]}"#, store: store)
        #expect(status == 400)
        #expect(json["__type"] == .string("InvalidRequestException"))
        #expect(json["message"]?.stringValue?.contains("at most 5") == true)
    }

    @Test func traceSummariesPageByNextTokenUntilEveryTraceIsSeenOnce() throws {
        let store = try Self.store((1...230).map { Self.segment($0, start: 1_602_537_000 + Double($0)) })
        var seen: [String] = []
        var tokens: [String] = []
        var token: String?
        repeat {
            let next = token.map { #","NextToken":"\#($0)""# } ?? ""
            let (status, json) = try Self.call("/TraceSummaries", #"{"StartTime":1602537000,"EndTime":1602538000\#(next)}"#, store: store)
            #expect(status == 200)
            let page = try #require(json["TraceSummaries"]?.arrayValue)
            #expect(json["TracesProcessedCount"]?.doubleValue == Double(page.count))
            #expect(json["ApproximateTime"]?.doubleValue == 1_602_540_000)
            seen += page.compactMap { $0.objectValue?["Id"]?.stringValue }
            token = json["NextToken"]?.stringValue
            if let token { tokens.append(token) }
        } while token != nil && tokens.count < 5
        #expect(tokens == ["100", "200"])
        #expect(seen.count == 230 && Set(seen).count == 230)
        #expect(seen.first == Self.traceID(230), "newest first")
    }

    @Test func traceSummariesKeepTheWindowInclusiveAndTheFilter() throws {
        let store = try Self.store([
            Self.segment(1, name: "orders", start: 1_602_537_100), Self.segment(2, start: 1_602_537_200),
            Self.segment(3, name: "orders", start: 1_602_537_300),
        ])
        let (_, window) = try Self.call("/TraceSummaries", #"{"StartTime":1602537200,"EndTime":1602537300}"#, store: store)
        #expect(window["TraceSummaries"]?.arrayValue?.compactMap { $0.objectValue?["Id"]?.stringValue } == [Self.traceID(3), Self.traceID(2)])
        let (_, filtered) = try Self.call("/TraceSummaries", #"{"FilterExpression":"service(\"orders\")"}"#, store: store)
        #expect(filtered["TraceSummaries"]?.arrayValue?.compactMap { $0.objectValue?["Id"]?.stringValue } == [Self.traceID(3), Self.traceID(1)])
    }

    @Test(arguments: [
        (#"{"NextToken":"150"}"#, "NextToken"), (#"{"NextToken":7}"#, "NextToken"), (#"{"StartTime":"yesterday"}"#, "StartTime"),
        (#"{"FilterExpression":"responsetime >"}"#, "responsetime >"), ("[]", "JSON object"),
    ])
    func traceSummariesSayWhatIsWrongWithARequest(body: String, named: String) throws {
        let store = try Self.store([Self.segment(1)])
        let (status, json) = try Self.call("/TraceSummaries", body, store: store)
        #expect(status == 400)
        #expect(json["__type"] == .string("InvalidRequestException"))
        #expect(json["message"]?.stringValue?.contains(named) == true)
    }

    @Test func serviceGraphHasTheServiceItsCalleesAndTheEdgeCounts() throws {
        let store = try Self.store([
            Self.segment(1, calls: ["inventory"]), Self.segment(2, calls: ["inventory", "payments"]),
            Self.segment(3, start: 1_602_539_000, calls: ["mail"]),
        ])
        let (status, json) = try Self.call("/ServiceGraph", #"{"StartTime":1602537000,"EndTime":1602538000}"#, store: store)
        #expect(status == 200)
        let services = (json["Services"]?.arrayValue ?? []).compactMap(\.objectValue)
        let byName = Dictionary(uniqueKeysWithValues: services.compactMap { s in s["Name"]?.stringValue.map { ($0, s) } })
        #expect(byName["mail"] == nil, "the third trace is outside the window")
        let front = try #require(byName["front"])
        let inventory = try #require(byName["inventory"]?["ReferenceId"])
        let edge = try #require(front["Edges"]?.arrayValue?.compactMap(\.objectValue).first { $0["ReferenceId"] == inventory })
        #expect(edge["SummaryStatistics"]?.objectValue?["TotalCount"]?.doubleValue == 2)
        #expect(front["SummaryStatistics"]?.objectValue?["TotalCount"]?.doubleValue == 2)
        #expect(byName["payments"] != nil)
    }
}
