import Testing
import XRayOTel

@Suite struct ProtobufDecoderTests {
    /// Real exports decode to exactly the spans the reference protobuf decoder read.
    @Test(arguments: ["flask-protobuf.binpb", "flask-protobuf-semconv-http.binpb"])
    func realCaptureMatchesReferenceDecoder(file: String) throws {
        let request = try OTLPProtobufDecoder.decode(try fixture(file))
        let expected = try expectedSpans(file)
        let spans = request.flattened.map(\.span)
        #expect(request.rejections.isEmpty)
        expectSameSpans(spans, expected)
        let resource = try #require(request.resourceSpans.first?.resource)
        #expect(resource.attributes.contains(OTLPKeyValue("service.name", .string("flask-demo"))))
    }

    /// The exception event of /boom carries its Python stack trace.
    @Test func exceptionEventKeepsStacktrace() throws {
        let request = try OTLPProtobufDecoder.decode(try fixture("flask-protobuf.binpb"))
        let boom = try #require(request.flattened.map(\.span).first { $0.name == "GET /boom" })
        let event = try #require(boom.events.first)
        #expect(event.name == "exception")
        #expect(event.attribute("exception.type") == .string("ValueError"))
        #expect(event.attribute("exception.stacktrace")?.stringValue?.hasPrefix("Traceback") == true)
        #expect(boom.status.code == .error)
    }

    /// Encoding and decoding again gives the same value, for every AnyValue type.
    @Test func encodeDecodeRoundTrip() throws {
        var span = makeSpan(attributes: [
            OTLPKeyValue("s", .string("")), OTLPKeyValue("b", .bool(false)), OTLPKeyValue("i", .int(-7)),
            OTLPKeyValue("d", .double(0.25)), OTLPKeyValue("a", .array([.int(1), .string("x"), .empty])),
            OTLPKeyValue("m", .kvlist([OTLPKeyValue("k", .bytes([0, 255]))])),
        ])
        span.kind = .unrecognized(9)
        span.status = OTLPStatus(message: "bad", code: .error)
        span.flags = 0x301
        span.links = [OTLPLink(traceID: span.traceID, spanID: span.spanID, traceState: "a=b", flags: 1)]
        span.events = [OTLPEvent(timeUnixNano: 5, name: "e", attributes: [OTLPKeyValue("k", .int(0))])]
        let request = OTLPSpanContext(
            resource: OTLPResource(attributes: [OTLPKeyValue("service.name", .string("svc"))]),
            scope: OTLPScope(name: "lib", version: "1"), span: span
        ).request
        let decoded = try OTLPProtobufDecoder.decode(OTLPProtobufEncoder.encode(request))
        #expect(decoded == request)
    }

    /// An empty body is a valid, empty export.
    @Test func emptyBodyIsEmptyRequest() throws {
        #expect(try OTLPProtobufDecoder.decode([]) == OTLPRequest())
    }

    /// Unknown fields of every wire type are skipped.
    @Test func unknownFieldsAreSkipped() throws {
        let request = OTLPSpanContext(span: makeSpan()).request
        var bytes = OTLPProtobufEncoder.encode(request)
        // field 99 varint, field 98 fixed64, field 97 len, field 96 fixed32 at the top level.
        bytes +=
            [0x98, 0x06, 0x01] + [0x91, 0x06] + Array(repeating: 0, count: 8) + [0x8A, 0x06, 0x02, 0xAA, 0xBB]
            + [0x85, 0x06, 1, 2, 3, 4]
        #expect(try OTLPProtobufDecoder.decode(bytes) == request)
    }

    /// A span with ids of the wrong length is rejected on its own; its neighbours decode.
    @Test func wrongIDLengthRejectsOnlyThatSpan() throws {
        var bad = makeSpan(name: "bad")
        bad.traceID = Array(bad.traceID.prefix(8))
        var badParent = makeSpan(name: "bad parent")
        badParent.parentSpanID = [1, 2, 3]
        let good = makeSpan(name: "good")
        let request = OTLPRequest(resourceSpans: [OTLPResourceSpans(scopeSpans: [OTLPScopeSpans(spans: [bad, good, badParent])])])
        let decoded = try OTLPProtobufDecoder.decode(OTLPProtobufEncoder.encode(request))
        #expect(decoded.flattened.map(\.span.name) == ["good"])
        #expect(
            decoded.rejections == [
                OTLPSpanRejection(path: "resourceSpans[0].scopeSpans[0].spans[0]", reason: .traceIDLength(8)),
                OTLPSpanRejection(path: "resourceSpans[0].scopeSpans[0].spans[2]", reason: .parentSpanIDLength(3)),
            ])
    }

    static let hostile: [(name: String, bytes: [UInt8], error: OTLPDecodingError)] = [
        ("truncated varint", [0x0A, 0xFF], .malformedVarint(offset: 1)),
        ("eleven-byte varint", [0x10] + Array(repeating: 0xFF, count: 11), .malformedVarint(offset: 1)),
        ("length past the end", [0x0A, 0x05, 0x01], .truncated(offset: 2, field: "ExportTraceServiceRequest.resource_spans", needed: 5, available: 1)),
        (
            "huge length", [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
            .truncated(offset: 6, field: "ExportTraceServiceRequest.resource_spans", needed: 4_294_967_295, available: 0)
        ),
        ("wrong wire type", [0x08, 0x01], .wrongWireType(offset: 0, field: "ExportTraceServiceRequest.resource_spans", wireType: 0, expected: 2)),
        ("group wire type", [0x0B], .unsupportedWireType(offset: 0, wireType: 3)),
        ("wire type 7", [0x0F], .unsupportedWireType(offset: 0, wireType: 7)),
        ("field number 0", [0x02, 0x00], .invalidFieldNumber(offset: 0)),
        (
            "truncated fixed64 in a span", [0x0A, 0x06, 0x12, 0x04, 0x12, 0x02, 0x39, 0x01],
            .truncated(offset: 7, field: "Span.start_time_unix_nano", needed: 8, available: 1)
        ),
    ]

    /// Hostile bytes end in a typed error at a byte offset, never a crash.
    @Test(arguments: 0..<hostile.count)
    func hostileBytesGiveTypedErrors(index: Int) {
        let c = Self.hostile[index]
        #expect(throws: c.error, "\(c.name)") { try OTLPProtobufDecoder.decode(c.bytes) }
    }

    /// AnyValue arrays nested past the limit stop with `tooDeep`, without deep recursion.
    @Test func depthBombStops() throws {
        // AnyValue{array_value{values: AnyValue{array_value{...}}}} 10,000 levels deep, built inside out.
        var value: [UInt8] = []
        for _ in 0..<10_000 {
            let array = wrap(1, value)
            value = wrap(5, array)
        }
        let kv = wrap(1, Array("k".utf8)) + wrap(2, value)
        let span = OTLPProtobufEncoder.encode(OTLPSpanContext(span: makeSpan()).request)
        let body = span + wrap(1, wrap(1, wrap(1, kv)))
        #expect(throws: OTLPDecodingError.self) { try OTLPProtobufDecoder.decode(body) }
        do {
            _ = try OTLPProtobufDecoder.decode(body)
        } catch {
            guard case .tooDeep(_, let limit) = error else { Issue.record("expected tooDeep, got \(error)"); return }
            #expect(limit == 64)
        }
    }

    /// Every prefix of a real capture either decodes or throws; none crashes.
    @Test func everyTruncationOfARealCaptureIsHandled() throws {
        let bytes = try fixture("flask-protobuf.binpb")
        var errors = 0
        for n in stride(from: 0, to: bytes.count, by: 7) {
            do { _ = try OTLPProtobufDecoder.decode(Array(bytes.prefix(n))) } catch { errors += 1 }
        }
        #expect(errors > 0)
    }

    /// Input over the size limit is refused before any work.
    @Test func oversizedInputIsRefused() {
        #expect(throws: OTLPDecodingError.tooLarge(size: 11, limit: 10)) {
            try OTLPProtobufDecoder.decode(Array(repeating: 0, count: 11), limits: OTLPDecodingLimits(maxBytes: 10))
        }
    }
}

/// A length-delimited field.
func wrap(_ field: UInt8, _ body: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [field << 3 | 2]
    var n = body.count
    while n >= 0x80 {
        out.append(UInt8(n & 0x7F) | 0x80)
        n >>= 7
    }
    out.append(UInt8(n))
    return out + body
}
