import Testing

@testable import XRayWire

let traceID = "1-581cf771-a006649127e371903a2de979"

/// A minimal valid segment with `extra` spliced in before the closing brace.
func segment(_ extra: String = "", id: String = "70de5b6f19ff9a0a") -> String {
    #"{"name":"example.com","id":"\#(id)","start_time":1.478293361271E9,"trace_id":"\#(traceID)","end_time":1.478293361449E9\#(extra)}"#
}

@Suite struct SegmentDocumentParsingTests {
    @Test func minimalSegmentFromTheDeveloperGuideParses() throws {
        let doc = try SegmentDocumentParser.parse(segment())
        #expect(doc.traceID == traceID)
        #expect(doc.id == "70de5b6f19ff9a0a")
        #expect(doc.entities.count == 1)
        #expect(doc.entities[0].kind == .segment)
        #expect(doc.entities[0].startTime == 1_478_293_361.271)
        #expect(!doc.inProgress)
    }

    @Test func unknownKeysAreKeptInOrder() throws {
        let doc = try SegmentDocumentParser.parse(segment(#","Dummy":false,"zeta":{"a":[1,2]}"#))
        #expect(doc.json.keys.suffix(2) == ["Dummy", "zeta"])
        #expect(JSONWriter.string(doc.json["zeta"] ?? .null) == #"{"a":[1,2]}"#)
    }

    @Test func contentLengthAsStringAndStatusAreAccepted() throws {
        let doc = try SegmentDocumentParser.parse(
            segment(#","http":{"request":{"method":"GET","url":"http://x/y"},"response":{"status":503,"content_length":"861"}}"#))
        let e = doc.entities[0]
        #expect(e.httpMethod == "GET")
        #expect(e.httpURL == "http://x/y")
        #expect(e.httpStatus == 503)
    }

    @Test func causeAsObjectOrAsExceptionID() throws {
        let object = try SegmentDocumentParser.parse(
            segment(#","fault":true,"cause":{"exceptions":[{"id":"6c7a584293c86531","type":"ValueError","message":"kaboom"}]}"#))
        #expect(object.entities[0].cause == "ValueError: kaboom")
        #expect(object.entities[0].fault)
        let id = try SegmentDocumentParser.parse(segment(#","cause":"6c7a584293c86531""#))
        #expect(id.entities[0].cause == "exception 6c7a584293c86531")
    }

    @Test func inProgressFalseNextToEndTimeIsAccepted() throws {
        let doc = try SegmentDocumentParser.parse(segment(#","in_progress":false"#))
        #expect(!doc.inProgress)
    }

    @Test func inProgressDocumentHasNoEndTime() throws {
        let doc = try SegmentDocumentParser.parse(#"{"name":"a","id":"70de5b6f19ff9a0b","start_time":1.5,"trace_id":"\#(traceID)","in_progress":true}"#)
        #expect(doc.inProgress)
        #expect(doc.entities[0].endTime == nil)
    }

    @Test func nestedSubsegmentsRepeatingTraceAndParentAreAccepted() throws {
        let doc = try SegmentDocumentParser.parse(
            segment(
                #","subsegments":[{"id":"1111111111111111","name":"s","start_time":1.478293361271E9,"end_time":1.478293361300E9,"trace_id":"\#(traceID)","parent_id":"70de5b6f19ff9a0a","type":"subsegment","namespace":"local","subsegments":[{"id":"2222222222222222","name":"t","start_time":1.478293361272E9,"end_time":1.478293361273E9}]}]"#
            ))
        #expect(doc.entities.map(\.id) == ["70de5b6f19ff9a0a", "1111111111111111", "2222222222222222"])
        #expect(doc.entities.map(\.parentID) == [nil, "70de5b6f19ff9a0a", "1111111111111111"])
        #expect(doc.entities[1].kind == .subsegment)
        #expect(doc.entities[2].path == "subsegments[0].subsegments[0]")
    }

    @Test func independentSubsegmentKeepsItsParent() throws {
        let doc = try SegmentDocumentParser.parse(
            #"{"name":"api","id":"53995c3f42cd8ad8","start_time":1.478293361271E9,"end_time":1.478293361449E9,"type":"subsegment","trace_id":"\#(traceID)","parent_id":"defdfd9912dc5a56","namespace":"remote"}"#
        )
        #expect(doc.entities[0].kind == .subsegment)
        #expect(doc.entities[0].parentID == "defdfd9912dc5a56")
        #expect(doc.entities[0].namespace == "remote")
    }

    @Test func annotationsKeepTheirTypes() throws {
        let doc = try SegmentDocumentParser.parse(segment(#","annotations":{"user":"ada","n":3.5,"b":true,"bad":[1]}"#))
        #expect(
            doc.entities[0].annotations == [
                .init(key: "user", value: .string("ada")), .init(key: "n", value: .number(3.5)), .init(key: "b", value: .bool(true)),
            ])
        #expect(doc.entities[0].warnings.count == 1)
    }

    @Test func bareNaNAndInfinityAreKeptAsStringsWithAWarningOnTheirEntity() throws {
        let doc = try SegmentDocumentParser.parse(
            segment(
                #","subsegments":[{"id":"1111111111111111","name":"s","start_time":1.5E9,"end_time":1.5E9,"metadata":{"default":{"x":NaN,"y":-Infinity}}}]"#))
        #expect(doc.entities[0].warnings.isEmpty)
        #expect(doc.entities[1].warnings.count == 2)
        #expect(doc.entities[1].warnings[0].contains("subsegments[0].metadata.default.x"))
        let sub = doc.json["subsegments"]?.arrayValue?.first?.objectValue
        #expect(sub?["metadata"]?.objectValue?["default"]?.objectValue?["x"] == .string("NaN"))
    }

    @Test func aRepeatedKeyKeepsTheLastValueWithAWarningOnItsEntity() throws {
        let doc = try SegmentDocumentParser.parse(
            segment(#","subsegments":[{"id":"1111111111111111","name":"first","name":"last","start_time":1.5E9,"end_time":1.5E9}]"#))
        #expect(doc.entities[0].warnings.isEmpty)
        #expect(doc.entities[1].name == "last")
        #expect(doc.entities[1].warnings.count == 1)
        #expect(doc.entities[1].warnings.first?.contains(#"key "name" repeated"#) == true)
    }
}

/// Each rejection names the field (or byte position) at fault.
@Suite struct SegmentDocumentRejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var field: String?
        var messageContains: String
        var testDescription: String { "\(field ?? "-"): \(messageContains)" }
    }

    static let cases: [Case] = [
        Case(text: "[1]", field: nil, messageContains: "expected a JSON object"),
        Case(text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2}"#, field: "trace_id", messageContains: "missing"),
        Case(text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"1-abc"}"#, field: "trace_id", messageContains: "is not 1-"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"1-581CF771-a006649127e371903a2de979"}"#, field: "trace_id",
            messageContains: "lowercase"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0","start_time":1,"end_time":2,"trace_id":"\#(traceID)"}"#, field: "id", messageContains: "16 lowercase hex"
        ),
        Case(text: #"{"name":"a","start_time":1,"end_time":2,"trace_id":"\#(traceID)"}"#, field: "id", messageContains: "missing"),
        Case(text: #"{"id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)"}"#, field: "name", messageContains: "missing"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":"1","end_time":2,"trace_id":"\#(traceID)"}"#, field: "start_time",
            messageContains: "expected a number"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":"2","trace_id":"\#(traceID)"}"#, field: "end_time",
            messageContains: "expected a number"),
        Case(text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"trace_id":"\#(traceID)"}"#, field: "end_time", messageContains: "missing"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"in_progress":true,"trace_id":"\#(traceID)"}"#, field: "in_progress",
            messageContains: "exactly one"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":3,"end_time":2,"trace_id":"\#(traceID)"}"#, field: "end_time",
            messageContains: "before start_time"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)","type":"subsegment"}"#, field: "parent_id",
            messageContains: "missing"),
        Case(
            text:
                #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)","subsegments":[{"name":"b","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2}]}"#,
            field: "subsegments[0].id", messageContains: "appears twice"),
        Case(
            text:
                #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)","subsegments":[{"name":"b","id":"1111111111111111","start_time":1}]}"#,
            field: "subsegments[0].end_time", messageContains: "missing"),
        Case(
            text: #"{"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)","parent_id":"zz"}"#, field: "parent_id",
            messageContains: "16 lowercase hex"),
        Case(text: #"{"name":"a","id":"70de5b6f19ff9a0a""#, field: nil, messageContains: "byte 35"),
    ]

    @Test(arguments: cases)
    func rejectsWithTheFieldAtFault(_ c: Case) {
        #expect {
            try SegmentDocumentParser.parse(c.text)
        } throws: { error in
            guard let r = error as? DocumentRejection else { return false }
            return r.field == c.field && r.description.contains(c.messageContains)
        }
    }

    @Test func invalidUTF8IsRejectedWithItsBytePosition() {
        var bytes = Array(#"{"name":""#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#"","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(traceID)"}"#.utf8)
        #expect {
            try SegmentDocumentParser.parse(bytes: bytes)
        } throws: { error in
            "\(error)".contains("byte 10") && "\(error)".contains("invalid UTF-8")
        }
    }
}

@Suite struct DaemonDatagramTests {
    static let headers = [
        #"{"format":"json","version":1}"#, #"{"format": "json", "version": 1}"#, #"{ "version":1 , "format":"jSoN", "extra": 2 }"#,
        #"{"format":"json","version":1}"# + "\r",
    ]

    @Test(arguments: headers)
    func headerSpellingsOfEverySDKAreAccepted(_ header: String) throws {
        let bytes = Array((header + "\n" + segment() + "\n").utf8)
        let range = try bytes.withUnsafeBufferPointer { try DaemonDatagram.bodyRange(of: $0) }
        #expect(String(decoding: bytes[range], as: UTF8.self) == segment())
    }

    static let badHeaders: [(String, String)] = [
        (#"{"format":"json","version":2}"#, "header.version"),
        (#"{"format":"json","version":"1"}"#, "header.version"),
        (#"{"format":"xml","version":1}"#, "header.format"),
        (#"{"format":"json""#, "header"),
    ]

    @Test(arguments: badHeaders)
    func badHeadersAreRejectedNamingTheField(_ header: String, _ field: String) {
        let bytes = Array((header + "\n" + segment()).utf8)
        #expect {
            try bytes.withUnsafeBufferPointer { try DaemonDatagram.bodyRange(of: $0) }
        } throws: { ($0 as? DocumentRejection)?.field == field }
    }

    @Test func missingNewlineAndEmptyBodyAreRejected() {
        for text in [segment(), #"{"format":"json","version":1}"# + "\n  \n"] {
            let bytes = Array(text.utf8)
            #expect(throws: DocumentRejection.self) { try bytes.withUnsafeBufferPointer { try DaemonDatagram.bodyRange(of: $0) } }
        }
    }
}

@Suite struct IdentifierTests {
    @Test func traceparentCarriesTheSameIDs() {
        #expect(
            XRayID.traceparent(traceID: "1-5759e988-bd862e3fe1be46a994272793", parentID: "53995c3f42cd8ad8", sampled: true)
                == "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
        #expect(XRayID.traceID(fromW3C: "4efaaf4d1e8720b39541901950019ee5") == "1-4efaaf4d-1e8720b39541901950019ee5")
    }

    @Test func newIDsHaveXRayFormats() {
        #expect(XRayID.isTraceID(XRayID.newTraceID(epochSeconds: 1_700_000_000)))
        #expect(XRayID.isEntityID(XRayID.newEntityID()))
    }
}
