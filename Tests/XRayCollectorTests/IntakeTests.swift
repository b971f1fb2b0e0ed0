import Testing
import XRayStore
import XRaySystem
import XRayWire

@testable import XRayCollector

/// UDP intake with real sockets and a real SQLite store.
@Suite struct IntakeTests {
    /// The header is parsed as JSON: every SDK spelling, any case of "json", CRLF and extra keys are accepted.
    @Test(arguments: [
        #"{"format":"json","version":1}"#,
        #"{"format": "json", "version": 1}"#,
        #"{ "version" : 1 , "format" : "jSoN" }"#,
        #"{"format":"json","version":1,"extra":"ignored"}"#,
        "{\"format\":\"json\",\"version\":1}\r",
    ])
    func acceptsHeaderSpellings(header: String) throws {
        let counters = try TestCollector.with { c in
            c.send(Fixture.datagram(Fixture.segment(trace: 1, id: 1) + "\n", header: header))
            return c.collector.stop()
        }
        #expect(counters.datagrams == 1)
        #expect(counters.stored == 1)
        #expect(counters.rejected == 0)
    }

    /// A body may be an array of subsegments: each element is its own document.
    @Test func storesEachElementOfAnArrayBody() throws {
        try TestCollector.with { c in
            let body = "[" + Fixture.subsegment(trace: 2, id: 10, parent: 1) + "," + Fixture.subsegment(trace: 2, id: 11, parent: 1) + "]"
            c.send(Fixture.datagram(body))
            c.send(Fixture.datagram(Fixture.segment(trace: 2, id: 1)))
            let counters = c.collector.stop()
            #expect(counters.datagrams == 2)
            #expect(counters.documents == 3)
            #expect(counters.stored == 3)
            let store = try c.store()
            let documents = try store.documents(traceID: Fixture.traceID(2))
            #expect(documents.count == 3)
            let entityCount = try store.trace(Fixture.traceID(2)).entityCount
            #expect(entityCount == 3)
        }
    }

    /// Each element of an array body is stored as the bytes that arrived: spacing, escapes and number
    /// spellings a serializer would change are kept, as they are for a single-document body.
    @Test func storesEachArrayElementAsTheBytesThatArrived() throws {
        let first =
            #"{ "type" : "subsegment", "trace_id":"\#(Fixture.traceID(4))","parent_id":"\#(Fixture.entityID(1))","id":"\#(Fixture.entityID(10))","name":"d\u0062 [1,2]","start_time":1602537378.120,"end_time":16025373781.5e-1}"#
        let second = Fixture.subsegment(trace: 4, id: 11, parent: 1)
        try TestCollector.with { c in
            c.send(Fixture.datagram("[ " + first + " ,\n\t" + second + "\n]"))
            #expect(c.collector.stop().stored == 2)
            let raws = try c.store().documents(traceID: Fixture.traceID(4)).map { String(decoding: $0.raw, as: UTF8.self) }
            #expect(raws == [first, second])
        }
    }

    /// The element splitter finds top-level elements however strings and nesting hide commas and brackets,
    /// and gives up on an array whose own structure is broken, so the parser can say where.
    @Test(arguments: [
        (#"[]"#, [String]?.some([])),
        (#"[ 1 , "a,]" ,{"b":[1,{"c":"}"}]} ]"#, [#"1"#, #""a,]""#, #"{"b":[1,{"c":"}"}]}"#]),
        (#"["\"],", [2]]"#, [#""\"],""#, #"[2]"#]),
        (#"[1,]"#, nil),
        (#"[1,,2]"#, nil),
        // A missing comma makes one element, which the parser then refuses.
        (#"[1 2]"#, ["1 2"]),
        (#"[{"a":1}"#, nil),
        (#"[1] x"#, nil),
        (#"[1}"#, nil),
    ])
    func splitsArrayElements(body: String, elements: [String]?) {
        let bytes = Array(body.utf8)
        let found = bytes.withUnsafeBufferPointer { b in
            Intake.elementRanges(b).map { $0.map { String(decoding: bytes[$0], as: UTF8.self) } }
        }
        #expect(found == elements)
    }

    /// An array body that is not JSON is one reject with the whole datagram, as any other body would be.
    @Test(arguments: [#"[{"a":1} {"b":2}]"#, #"[{"trace_id": ]"#, #"[1,]"#])
    func rejectsAnArrayBodyThatIsNotJSONWhole(body: String) throws {
        try TestCollector.with { c in
            let datagram = Fixture.datagram(body)
            c.send(datagram)
            let counters = c.collector.stop()
            #expect(counters.rejectedByReason == ["not JSON": 1])
            let rejects = try c.store().rejects(limit: 10)
            #expect(rejects.map { String(decoding: $0.raw, as: UTF8.self) } == [datagram])
        }
    }

    /// One bad element of an array is rejected alone; the good ones are stored.
    @Test func rejectsOnlyTheBadElementOfAnArray() throws {
        try TestCollector.with { c in
            c.send(Fixture.datagram("[" + Fixture.subsegment(trace: 3, id: 10, parent: 1) + #",{"type":"subsegment"}]"#))
            let counters = c.collector.stop()
            #expect(counters.documents == 2)
            #expect(counters.stored == 1)
            #expect(counters.rejected == 1)
            let rejects = try c.store().rejects(limit: 10)
            #expect(rejects.count == 1)
            #expect(rejects.first?.reason.hasPrefix("array element 1:") == true)
        }
    }

    /// Every malformed class is counted under a reason naming the field or problem, and kept with its raw
    /// bytes and the sender's address.
    @Test(arguments: [
        ("no newline at all", "missing header"),
        (Fixture.header + "\n   \n", "empty body"),
        ("{format json}\n{}", "header"),
        (#"{"format":"xml","version":1}"# + "\n" + Fixture.segment(trace: 1, id: 1), "header.format"),
        (#"{"format":"json","version":2}"# + "\n" + Fixture.segment(trace: 1, id: 1), "header.version"),
        (#"{"format":"json","version":"1"}"# + "\n" + Fixture.segment(trace: 1, id: 1), "header.version"),
        (Fixture.header + "\n{\"trace_id\": ", "not JSON"),
        (Fixture.header + "\n\"a string\"", "expected a JSON object, found a string"),
        (Fixture.header + #"\#n{"id":"0000000000000001","name":"a","start_time":1,"end_time":2}"#, "trace_id"),
        (Fixture.header + #"\#n{"trace_id":"1-zz","id":"0000000000000001","name":"a","start_time":1,"end_time":2}"#, "trace_id"),
        (Fixture.header + #"\#n{"trace_id":"1-5f84c7a1-000000000000000000000001","id":"XYZ","name":"a","start_time":1,"end_time":2}"#, "id"),
        (Fixture.header + "\n[]", "empty array"),
    ])
    func rejectsMalformedDatagrams(datagram: String, reason: String) throws {
        try TestCollector.with { c in
            c.send(datagram)
            c.send(Fixture.datagram(Fixture.segment(trace: 9, id: 9)))
            let counters = c.collector.stop()
            #expect(counters.rejectedByReason == [reason: 1])
            #expect(counters.stored == 1, "good traffic keeps flowing")
            let rejects = try c.store().rejects(limit: 10)
            #expect(rejects.count == 1)
            #expect(rejects.first?.raw == Array(datagram.utf8))
            #expect(rejects.first?.source?.hasPrefix("udp:127.0.0.1:") == true)
        }
    }

    /// A datagram longer than the read slot arrives cut (MSG_TRUNC): it is rejected, never stored half.
    @Test func rejectsTruncatedDatagrams() throws {
        try TestCollector.with({ $0.slotSize = 512 }) { c in
            let long = Fixture.datagram(#"{"padding":""# + String(repeating: "x", count: 2000) + #""}"#)
            c.send(long)
            let counters = c.collector.stop()
            #expect(counters.rejectedByReason == ["truncated": 1])
            let reject = try #require(try c.store().rejects(limit: 1).first)
            #expect(reject.raw.count == 512)
            #expect(reject.reason.contains("truncated"))
        }
    }

    /// A complete document replaces an in-progress one; a late in-progress copy never replaces the complete one.
    @Test func completeReplacesInProgressNeverTheReverse() throws {
        try TestCollector.with { c in
            c.send(Fixture.datagram(Fixture.segment(trace: 4, id: 1, inProgress: true)))
            c.send(Fixture.datagram(Fixture.segment(trace: 4, id: 1)))
            c.send(Fixture.datagram(Fixture.segment(trace: 4, id: 1, inProgress: true)))
            c.send(Fixture.datagram(Fixture.segment(trace: 4, id: 1)))
            let counters = c.collector.stop()
            #expect(counters.datagrams == 4)
            #expect(counters.stored == 2)
            #expect(counters.duplicates == 2)
            let trace = try c.store().trace(Fixture.traceID(4))
            #expect(trace.roots.count == 1)
            #expect(trace.roots.first?.entity.inProgress == false)
        }
    }

    /// Every document ends as stored, duplicate or rejected, and stop() drains everything the kernel holds.
    @Test func countersAccountForEveryDocumentAfterStop() throws {
        try TestCollector.with { c in
            var datagrams: [[UInt8]] = []
            for i in 0..<3000 { datagrams.append(Array(Fixture.datagram(Fixture.segment(trace: 100 + i, id: 1)).utf8)) }
            for i in 0..<50 { datagrams.append(Array(Fixture.datagram(Fixture.segment(trace: 100 + i, id: 1)).utf8)) }
            for _ in 0..<25 { datagrams.append(Array("junk".utf8)) }
            c.send(datagrams)
            let counters = c.collector.stop()
            // Known (and none) where the system counts drops per socket; unknown where it cannot.
            #expect(counters.kernelDrops == (SystemUDPDrops.self == ProcNetUDPDrops.self ? 0 : nil))
            #expect(counters.datagrams == 3075)
            #expect(counters.documents == counters.stored + counters.duplicates + counters.rejected)
            #expect(counters.stored == 3000)
            #expect(counters.duplicates == 50)
            #expect(counters.rejected == 25)
            #expect(counters.queueHighWater >= 1)
            let traces = try c.store().counts().traces
            #expect(traces == 3000)
        }
    }

    /// The live view hook hears about a trace when its root segment is stored complete, not before.
    @Test func announcesCompletedTraces() throws {
        let seen = Recorder()
        try TestCollector.with({ config in config.onTraceCompleted = { seen.append($0.traceID) } }) { c in
            c.send(Fixture.datagram(Fixture.subsegment(trace: 5, id: 2, parent: 1)))
            c.send(Fixture.datagram(Fixture.segment(trace: 5, id: 1, inProgress: true)))
            c.send(Fixture.datagram(Fixture.segment(trace: 5, id: 1)))
            _ = c.collector.stop()
        }
        #expect(seen.values == [Fixture.traceID(5)])
    }

    /// --forward sends every accepted datagram unchanged to another daemon.
    @Test func forwardsAcceptedDatagrams() throws {
        try TestCollector.with { downstream in
            try TestCollector.with({ $0.forward = Endpoint(host: "127.0.0.1", port: downstream.udpPort) }) { upstream in
                upstream.send(Fixture.datagram(Fixture.segment(trace: 6, id: 1)))
                upstream.send("junk")
                let counters = upstream.collector.stop()
                #expect(counters.forwarded == 1)
            }
            let counters = downstream.collector.stop()
            #expect(counters.stored == 1)
            #expect(counters.rejected == 0)
            let raw = try downstream.store().documents(traceID: Fixture.traceID(6)).first?.raw
            #expect(raw == Array(Fixture.segment(trace: 6, id: 1).utf8))
        }
    }
}

/// Collects values from the writer thread for a test to read afterwards.
final class Recorder: Sendable {
    private let storage = Monitor<[String]>([])
    func append(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}
