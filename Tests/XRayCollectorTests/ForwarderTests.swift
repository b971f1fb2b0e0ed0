import Testing
import XRayOTel
import XRayStore
import XRayWire

@testable import XRayCollector

/// The OTLP forwarder's pure parts: URLs, the retry policy, and what a batch becomes.
struct ForwarderTests {
    @Test func aURLWithoutAPathGetsV1TracesAsTheSDKsDo() throws {
        let plain = try OTLPForwardTarget.parse("http://127.0.0.1:4318")
        #expect(plain.endpoint == Endpoint(host: "127.0.0.1", port: 4318))
        #expect(plain.path == "/v1/traces")
        #expect(try OTLPForwardTarget.parse("http://collector/").path == "/v1/traces")
        #expect(try OTLPForwardTarget.parse("http://collector").endpoint.port == 80)
        let custom = try OTLPForwardTarget.parse("http://[::1]:9000/otlp/v1/traces")
        #expect(custom.endpoint == Endpoint(host: "::1", port: 9000))
        #expect(custom.path == "/otlp/v1/traces")
        #expect(custom.authority == "[::1]:9000")
    }

    @Test func httpsAndMalformedURLsAreRefusedWithTheReason() {
        #expect(throws: OTLPForwardError.httpsUnsupported("https://tempo:4318")) { try OTLPForwardTarget.parse("https://tempo:4318") }
        #expect("\(OTLPForwardError.httpsUnsupported("https://x"))".contains("local OpenTelemetry Collector"))
        for bad in ["127.0.0.1:4318", "http://", "http://host:0", "http://host:99999", "http://host:x", "http://u@host:1", "grpc://h:1"] {
            #expect(throws: OTLPForwardError.self, "\(bad)") { try OTLPForwardTarget.parse(bad) }
        }
    }

    @Test func onlyThrottlingAndGatewayAnswersAreRetried() {
        #expect(RetryPolicy.outcome(status: 200) == .delivered)
        #expect(RetryPolicy.outcome(status: 204) == .delivered)
        for status in [429, 502, 503, 504] { #expect(RetryPolicy.outcome(status: status) == .retry) }
        for status in [400, 401, 404, 413, 415, 500, 501] { #expect(RetryPolicy.outcome(status: status) == .rejected) }
    }

    @Test func backoffDoublesWithJitterInItsUpperHalfAndIsCapped() {
        let policy = RetryPolicy(initialDelay: 0.5, maxDelay: 30, maxAttempts: 6)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, jitter: 0) == 0.25)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, jitter: 1) == 0.5)
        #expect(policy.delay(afterAttempt: 2, retryAfter: nil, jitter: 1) == 1)
        #expect(policy.delay(afterAttempt: 4, retryAfter: nil, jitter: 0.5) == 3)
        #expect(policy.delay(afterAttempt: 20, retryAfter: nil, jitter: 1) == 30)
        #expect(policy.delay(afterAttempt: 1_000, retryAfter: nil, jitter: 1) == 30)
    }

    @Test func retryAfterIsHonouredWhenLongerAndCapped() {
        let policy = RetryPolicy(initialDelay: 0.5, maxDelay: 30, maxAttempts: 6)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 7, jitter: 0) == 7)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 3_600, jitter: 0) == 30)
        #expect(policy.delay(afterAttempt: 5, retryAfter: 1, jitter: 1) == 8)
        #expect(RetryPolicy.retryAfterSeconds(" 12 ") == 12)
        #expect(RetryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.retryAfterSeconds("-1") == nil)
        #expect(RetryPolicy.retryAfterSeconds(nil) == nil)
    }

    @Test func aBatchSendsSDKEntitiesAsSpansAndOpenTelemetryOriginalsAsSent() throws {
        let segment =
            #"{"trace_id":"1-6b0f08b0-222222222222222222222222","id":"1111111111111111","name":"shop","start_time":1796154710.25,"end_time":1796154710.5,"http":{"request":{"method":"GET","url":"http://x/a"},"response":{"status":500}},"fault":true,"subsegments":[{"id":"2222222222222222","name":"db","start_time":1796154710.3,"end_time":1796154710.4,"namespace":"remote"}]}"#
        let original = OTLPRequest(resourceSpans: [
            OTLPResourceSpans(
                resource: OTLPResource(attributes: [OTLPKeyValue("service.name", .string("back"))]),
                scopeSpans: [
                    OTLPScopeSpans(
                        scope: OTLPScope(name: "flask"),
                        spans: [
                            OTLPSpan(
                                traceID: Array(repeating: 0xAB, count: 16), spanID: Array(repeating: 0xCD, count: 8), name: "GET /b", kind: .server,
                                startTimeUnixNano: 5, endTimeUnixNano: 9, flags: 0x101)
                        ])
                ])
        ])
        let documents = [
            IncomingDocument(raw: Array(segment.utf8), document: try SegmentDocumentParser.parse(segment), source: nil, receivedAt: 0),
            IncomingDocument(
                raw: [], document: try SegmentDocumentParser.parse(segment), source: nil, receivedAt: 0,
                originalSpan: OTLPJSONEncoder.encodeBytes(original)),
        ]
        let request = OTLPForwarder.request(documents)
        let decoded = try OTLPProtobufDecoder.decode(OTLPProtobufEncoder.encode(request))
        let spans = decoded.flattened
        let shop = spans.filter { $0.resource.attributes.contains(OTLPKeyValue("service.name", .string("shop"))) }
        #expect(shop.map { hexString($0.span.spanID) }.contains("1111111111111111"))
        let top = try #require(shop.first { hexString($0.span.spanID) == "1111111111111111" }?.span)
        #expect(top.kind == .server && top.status.code == .error)
        #expect(top.startTimeUnixNano == 1_796_154_710_250_000_000)
        #expect(top.attribute("http.response.status_code") == .int(500))
        let db = try #require(shop.first { hexString($0.span.spanID) == "2222222222222222" }?.span)
        #expect(db.kind == .client && hexString(db.parentSpanID) == "1111111111111111")
        let back = try #require(spans.first { $0.span.name == "GET /b" })
        #expect(back.span == original.resourceSpans[0].scopeSpans[0].spans[0])
        #expect(back.scope.name == "flask")
    }

    @Test func theQueueDropsTheOldestPastItsBoundAndCountsThem() throws {
        var options = OTLPForwarder.Options()
        options.maxQueueDocuments = 3
        let counters = LiveCounters()
        let forwarder = OTLPForwarder(target: try OTLPForwardTarget.parse("http://127.0.0.1:1"), options: options, counters: counters, onWarning: nil)
        let documents = try (0..<5).map { i in
            let text = #"{"trace_id":"1-6b0f08b0-22222222222222222222222\#(i)","id":"111111111111111\#(i)","name":"s","start_time":1,"end_time":2}"#
            return IncomingDocument(raw: Array(text.utf8), document: try SegmentDocumentParser.parse(text), source: nil, receivedAt: 0)
        }
        forwarder.offer(documents)
        #expect(counters.forwardDropped.load(ordering: .relaxed) == 2)
        forwarder.close()
        let batch = forwarder.takeBatch()
        #expect(batch.documents.map(\.document.id) == ["1111111111111112", "1111111111111113", "1111111111111114"])
        #expect(batch.closed)
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
