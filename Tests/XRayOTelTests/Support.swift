import Foundation
import Testing
import XRayOTel
import XRayTestSupport
import XRayWire

/// The checked-in captures of Tests/Fixtures/otel (made by Scripts/capture-otel-fixtures).
let otelFixtures = fixturesDirectory.appendingPathComponent("otel")

func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: otelFixtures.appendingPathComponent(name)))
}

/// What the reference Python protobuf decoder read from each capture (`expected.json`).
struct ExpectedSpan {
    var traceID: String, spanID: String, parentSpanID: String, name: String
    var kind: Int, start: UInt64, end: UInt64, flags: Int, attributes: Int, events: Int, status: Int
}

func expectedSpans(_ file: String) throws -> [ExpectedSpan] {
    let tree = try JSONParser.parse(try fixture("expected.json")).value
    let list = tree.objectValue?[file]?.arrayValue ?? []
    return list.compactMap { v in
        guard let o = v.objectValue else { return nil }
        func s(_ k: String) -> String { o[k]?.stringValue ?? "" }
        func i(_ k: String) -> Int { o[k].flatMap { if case .number(let n) = $0 { n.int } else { nil } } ?? -1 }
        return ExpectedSpan(
            traceID: s("traceId"), spanID: s("spanId"), parentSpanID: s("parentSpanId"), name: s("name"),
            kind: i("kind"), start: UInt64(s("start")) ?? 0, end: UInt64(s("end")) ?? 0, flags: i("flags"),
            attributes: i("attributes"), events: i("events"), status: i("status"))
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16) ?? 0) }
    return out
}

/// A small span with valid ids, for tables.
func makeSpan(
    kind: OTLPSpanKind = .server, parent: String = "", name: String = "GET /x",
    attributes: [OTLPKeyValue] = [], events: [OTLPEvent] = [], status: OTLPStatus = OTLPStatus()
) -> OTLPSpan {
    OTLPSpan(
        traceID: bytes(hex: "6750a1b20123456789abcdef01234567"), spanID: bytes(hex: "53995c3f42cd8ad8"),
        parentSpanID: bytes(hex: parent), name: name, kind: kind,
        startTimeUnixNano: 1_733_000_000_500_000_000, endTimeUnixNano: 1_733_000_001_250_000_000,
        attributes: attributes, events: events, status: status)
}

/// Decoded spans agree, field by field, with what the reference decoder read from the same capture.
func expectSameSpans(_ spans: [OTLPSpan], _ expected: [ExpectedSpan], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(spans.count == expected.count, sourceLocation: sourceLocation)
    for (span, want) in zip(spans, expected) {
        #expect(hex(span.traceID) == want.traceID, sourceLocation: sourceLocation)
        #expect(hex(span.spanID) == want.spanID, sourceLocation: sourceLocation)
        #expect(hex(span.parentSpanID) == want.parentSpanID, sourceLocation: sourceLocation)
        #expect(span.name == want.name, sourceLocation: sourceLocation)
        #expect(Int(span.kind.rawValue) == want.kind, sourceLocation: sourceLocation)
        #expect(span.startTimeUnixNano == want.start, sourceLocation: sourceLocation)
        #expect(span.endTimeUnixNano == want.end, sourceLocation: sourceLocation)
        #expect(Int(span.flags) == want.flags, sourceLocation: sourceLocation)
        #expect(span.attributes.count == want.attributes, sourceLocation: sourceLocation)
        #expect(span.events.count == want.events, sourceLocation: sourceLocation)
        #expect(Int(span.status.code.rawValue) == want.status, sourceLocation: sourceLocation)
    }
}
