import Foundation
import Testing
import XRayOTel
import XRayStore
import XRayWire

@testable import XRayCollector

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// The Python exporter's captures of Tests/Fixtures/otel.
private let otelFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/otel")

private func otelFixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: otelFixtures.appendingPathComponent(name)))
}

extension RawHTTP {
    /// POSTs raw bytes with the given headers and reads the response.
    func send(_ path: String, _ body: [UInt8], contentType: String, encoding: String? = nil) -> Response? {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\n"
        if let encoding { head += "Content-Encoding: \(encoding)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        return readResponse()
    }
}

/// A request with one good server span and one whose span id has 7 bytes.
private func requestWithOneBadSpan() -> [UInt8] {
    let trace: [UInt8] = [0x6b, 0x0f, 0x08, 0xb0] + Array(repeating: 0x11, count: 12)
    let good = OTLPSpan(
        traceID: trace, spanID: Array(repeating: 0x22, count: 8), name: "GET /good", kind: .server,
        startTimeUnixNano: 1_796_154_710_000_000_000, endTimeUnixNano: 1_796_154_710_500_000_000,
        attributes: [OTLPKeyValue("http.method", .string("GET")), OTLPKeyValue("http.status_code", .int(500))],
        status: OTLPStatus(message: "", code: .error))
    var bad = good
    bad.spanID = Array(repeating: 0x33, count: 7)
    bad.name = "GET /bad"
    let resource = OTLPResource(attributes: [OTLPKeyValue("service.name", .string("otel-front"))])
    return OTLPProtobufEncoder.encode(
        OTLPRequest(resourceSpans: [
            OTLPResourceSpans(resource: resource, scopeSpans: [OTLPScopeSpans(spans: [good, bad])])
        ]))
}

/// OTLP/HTTP on the collector's TCP port, over real sockets and a real store.
@Suite struct OTLPIntakeTests {
    /// The Python exporter's protobuf export is answered 200 with an empty protobuf response and its spans are stored as documents.
    @Test func storesAProtobufExportAndAnswersWithAnEmptyResponse() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let response = try #require(http.send("/v1/traces", try otelFixture("flask-protobuf.binpb"), contentType: "application/x-protobuf"))
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/x-protobuf")
            #expect(response.body.isEmpty)
            let counters = c.collector.counters
            #expect(counters.otlpSpansReceived == 5)
            #expect(counters.otlpSpansStored == 5)
            #expect(counters.otlpSpansRejected == 0)
            #expect(try c.store().counts().documents == 5)
        }
    }

    /// gzip, deflate and JSON bodies decode to the same five spans.
    @Test func acceptsGzipDeflateAndJSONBodies() throws {
        let bodies: [(String, String, String?)] = [
            ("flask-protobuf-gzip.binpb.gz", "application/x-protobuf", "gzip"),
            ("flask-protobuf-deflate.binpb.zz", "application/x-protobuf", "deflate"),
            ("flask-json.json", "application/json", nil),
        ]
        for (file, type, encoding) in bodies {
            try TestCollector.with { c in
                let http = try RawHTTP(port: c.tcpPort)
                defer { http.close() }
                let response = try #require(http.send("/v1/traces", try otelFixture(file), contentType: type, encoding: encoding))
                #expect(response.status == 200, "\(file)")
                if type == "application/json" { #expect(response.body == "{}") }
                #expect(try c.store().counts().documents == 5, "\(file)")
            }
        }
    }

    /// A span with a 7-byte id is refused with partial_success; the good span of the same request is stored,
    /// and the refused one is a reject holding the request's bytes.
    @Test func refusesABadSpanWithPartialSuccessAndKeepsTheGoodOne() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let body = requestWithOneBadSpan()
            let response = try #require(http.send("/v1/traces", body, contentType: "application/x-protobuf"))
            #expect(response.status == 200)
            // ExportTraceServiceResponse{partial_success{rejected_spans: 1, error_message}}: field 1 length-delimited, then 0x08 0x01.
            let bytes = Array(response.body.utf8)
            #expect(bytes.first == 0x0A)
            #expect(bytes.count > 4 && bytes[2] == 0x08 && bytes[3] == 0x01)
            #expect(response.body.contains("spanId has 7 bytes"))
            let store = try c.store()
            let documents = try store.documents(traceID: "1-6b0f08b0-111111111111111111111111")
            #expect(documents.count == 1)
            let rejects = try store.rejects(limit: 10)
            #expect(rejects.count == 1)
            #expect(rejects.first?.reason.contains("spanId has 7 bytes") == true)
            #expect(rejects.first?.raw == body)
            #expect(c.collector.counters.otlpSpansRejected == 1)
            #expect(c.collector.counters.otlpSpansStored == 1)
        }
    }

    /// The JSON partial_success names the count as a string, as OTLP/JSON writes 64-bit integers.
    @Test func answersPartialSuccessInJSONForAJSONRequest() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let body =
                #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"0102030405060708","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#
            let response = try #require(http.send("/v1/traces", Array(body.utf8), contentType: "application/json"))
            #expect(response.status == 200)
            let partial = try #require(response.json?.objectValue?["partialSuccess"]?.objectValue)
            #expect(partial["rejectedSpans"] == .string("1"))
            #expect(partial["errorMessage"]?.stringValue?.contains("traceId has 2 bytes") == true)
        }
    }

    /// Bad bodies get the OTLP status codes: 400 with a google.rpc.Status, 415, 413 for a gzip bomb.
    @Test func answersBadBodiesWithTheOTLPStatusCodes() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let garbage = try #require(http.send("/v1/traces", [0x0A, 0xFF, 0x01], contentType: "application/x-protobuf"))
            #expect(garbage.status == 400)
            #expect(garbage.body.contains("not an OTLP protobuf ExportTraceServiceRequest"))
            let json = try #require(http.send("/v1/traces", Array("{\"resourceSpans\":".utf8), contentType: "application/json"))
            #expect(json.status == 400)
            #expect(json.json?.objectValue?["message"]?.stringValue?.contains("not an OTLP JSON") == true)
            let encoding = try #require(http.send("/v1/traces", [1], contentType: "application/x-protobuf", encoding: "br"))
            #expect(encoding.status == 415)
            let bomb = try #require(http.send("/v1/traces", try otelFixture("bomb-10MiB-zeros.gz"), contentType: "application/x-protobuf", encoding: "gzip"))
            #expect(bomb.status == 413)
            #expect(bomb.body.contains("inflates past the 4194304-byte limit"))
            #expect(try c.store().counts().documents == 0)
        }
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let text = try #require(http.send("/v1/traces", Array("hello".utf8), contentType: "text/plain"))
            #expect(text.status == 415)
            #expect(text.body.contains("send application/x-protobuf or application/json"))
        }
    }

    /// Past --otlp-max-body the request is refused with 413 before its body is read; the X-Ray operations keep their 1 MiB.
    @Test func refusesBodiesPastTheLimit() throws {
        try TestCollector.with({ $0.otlp.maxBody = 2 << 20 }) { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            http.write("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: \(3 << 20)\r\n\r\n")
            let response = try #require(http.readResponse())
            #expect(response.status == 413)
            #expect(response.body.contains("2 MiB limit"))
        }
        try TestCollector.with { c in
            let otlp = try RawHTTP(port: c.tcpPort)
            defer { otlp.close() }
            // 1.5 MiB of zero-length protobuf fields (field 15, empty) is a valid, empty export under the 4 MiB limit.
            let padding: [UInt8] = (0..<(3 << 19)).map { $0 % 2 == 0 ? 0x7A : 0x00 }
            #expect(otlp.send("/v1/traces", padding, contentType: "application/x-protobuf")?.status == 200)
            let api = try RawHTTP(port: c.tcpPort)
            defer { api.close() }
            api.write("POST /TraceSegments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(3 << 19)\r\n\r\n")
            #expect(api.readResponse()?.status == 413)
        }
    }

    /// Metrics and logs exports are answered 200 in the request's encoding, counted and discarded.
    @Test func acceptsAndCountsMetricsAndLogs() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let metrics = try #require(http.send("/v1/metrics", [0x0A, 0x00], contentType: "application/x-protobuf"))
            #expect(metrics.status == 200)
            #expect(metrics.body.isEmpty)
            let logs = try #require(http.send("/v1/logs", Array("{}".utf8), contentType: "application/json"))
            #expect(logs.status == 200)
            #expect(logs.body == "{}")
            let counters = c.collector.counters
            #expect(counters.otlpMetricsRequests == 1)
            #expect(counters.otlpLogsRequests == 1)
            #expect(counters.jsonValue.objectValue?["otlp_logs_requests"] == .number(JSONNumber(1)))
            #expect(try c.store().counts().documents == 0)
        }
    }

    /// ADOT's captured `T1S` datagram is stored as its four spans; broken base64 and protobuf are rejects
    /// with the datagram's bytes; `M1` metrics are counted and dropped.
    @Test func storesADOTDatagramsAndRejectsBrokenOnes() throws {
        try TestCollector.with { c in
            let header = Array((Fixture.header + "\n").utf8)
            let brokenBase64 = header + Array("T1SAAAA*".utf8)
            let brokenProtobuf = header + Array("T1S".utf8) + Array(Base64.encode([0x0A, 0x05, 0x01]).utf8)
            c.send([try otelFixture("adot-lambda.t1s"), brokenBase64, brokenProtobuf, header + Array("M1AAAA".utf8)])
            let counters = c.collector.stop()
            #expect(counters.datagrams == 4)
            #expect(counters.otlpSpansReceived == 4)
            #expect(counters.otlpMetricsDatagrams == 1)
            #expect(counters.rejectedByReason == ["adot.base64": 1, "adot.protobuf": 1])
            #expect(counters.documents == counters.stored + counters.duplicates + counters.rejected + counters.storeFailures)
            let store = try c.store()
            #expect(try store.counts().documents == 4)
            let rejects = try store.rejects(limit: 10)
            #expect(Set(rejects.map(\.raw)) == [brokenBase64, brokenProtobuf])
            #expect(rejects.contains { $0.reason.contains("not base64") })
            #expect(rejects.contains { $0.reason.contains("not an OTLP trace export") })
        }
    }

    /// The OTLP-only listener serves /v1/* and nothing else; a taken preferred address is a warning, a taken
    /// required one an error.
    @Test func theOTLPListenerServesOnlyOTLPAndATakenDefaultIsAWarning() throws {
        let taken = try Sockets.listenTCP(Endpoint(host: "127.0.0.1", port: 0))
        defer { close(taken.fd) }
        let busy = Endpoint(host: "127.0.0.1", port: taken.port)
        try TestCollector.with({ $0.otlpHTTP = .preferred(busy) }) { c in
            #expect(c.collector.otlpHTTPAddress == nil)
            #expect(c.collector.startWarnings.count == 1)
            #expect(c.collector.startWarnings.first?.contains("127.0.0.1:\(taken.port) is taken") == true)
        }
        #expect(throws: CollectorError.self) {
            try TestCollector.with({ $0.otlpHTTP = .required(busy) }) { _ in }
        }
        try TestCollector.with({ $0.otlpHTTP = .required(Endpoint(host: "127.0.0.1", port: 0)) }) { c in
            let port = try #require(c.collector.otlpHTTPAddress?.port)
            #expect(port != c.tcpPort)
            let http = try RawHTTP(port: port)
            defer { http.close() }
            #expect(http.send("/v1/traces", try otelFixture("flask-protobuf.binpb"), contentType: "application/x-protobuf")?.status == 200)
            let other = try #require(http.post("/GetSamplingRules", "{}"))
            #expect(other.status == 404)
            #expect(other.body.contains("this address serves POST /v1/traces"))
            #expect(try c.store().counts().documents == 5)
        }
    }
}
