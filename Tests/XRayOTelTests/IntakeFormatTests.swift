import Testing
import XRayOTel
import XRayWire

@Suite struct JSONDecoderTests {
    /// Python's JSON exporter output decodes to the spans the reference decoder read.
    @Test(arguments: ["flask-json.json", "flask-json-semconv-http.json"])
    func realCaptureMatchesReferenceDecoder(file: String) throws {
        let spans = try OTLPJSONDecoder.decode(try fixture(file)).flattened.map(\.span)
        let expected = try expectedSpans(file)
        expectSameSpans(spans, expected)
    }

    /// Upper-case hex ids, 64-bit numbers as numbers, enum names and unknown keys are all read.
    @Test func quirksAreAccepted() throws {
        let text = """
            {"resourceSpans":[{"unknown":1,"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C",
            "spanId":"EEE19B7EC3C1B174","name":"n","kind":"SPAN_KIND_SERVER","startTimeUnixNano":1544712660000000000,
            "endTimeUnixNano":"1544712661000000000","flags":256,"extra":{"x":[1]},
            "attributes":[{"key":"i","value":{"intValue":42}},{"key":"d","value":{"doubleValue":"NaN"}}],
            "status":{"code":2}}]}]}]}
            """
        let span = try #require(try OTLPJSONDecoder.decode(Array(text.utf8)).flattened.first?.span)
        #expect(hex(span.traceID) == "5b8efff798038103d269b633813fc60c")
        #expect(span.kind == .server)
        #expect(span.startTimeUnixNano == 1_544_712_660_000_000_000)
        #expect(span.endTimeUnixNano == 1_544_712_661_000_000_000)
        #expect(span.attribute("i") == .int(42))
        #expect(span.attribute("d").map { if case .double(let d) = $0 { d.isNaN } else { false } } == true)
        #expect(span.status.code == .error)
    }

    /// A span with a non-hex or short id is rejected alone.
    @Test func badIDsRejectOnlyThatSpan() throws {
        let text =
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"},{"traceId":"0102","spanId":"0102030405060708"},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0102030405060708","name":"ok"}]}]}]}"#
        let request = try OTLPJSONDecoder.decode(Array(text.utf8))
        #expect(request.flattened.map(\.span.name) == ["ok"])
        #expect(request.rejections.map(\.reason) == [.idNotHex(field: "traceId"), .traceIDLength(2)])
        #expect(request.rejections.first?.path == "resourceSpans[0].scopeSpans[0].spans[0]")
    }

    @Test(arguments: [
        (#"{"resourceSpans":{}}"#, "resourceSpans"),
        (
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0102030405060708","startTimeUnixNano":"soon"}]}]}]}"#,
            "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano"
        ),
        (
            #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"boolValue":"yes"}}]}}]}"#,
            "resourceSpans[0].resource.attributes[0].value.boolValue"
        ),
    ])
    func wrongTypesNameTheirPath(text: String, path: String) {
        #expect {
            try OTLPJSONDecoder.decode(Array(text.utf8))
        } throws: { error in
            guard case OTLPDecodingError.jsonValue(let p, _) = error else { return false }
            return p == path
        }
    }

    @Test func notJSONIsASyntaxError() {
        #expect { try OTLPJSONDecoder.decode(Array("{\"resourceSpans\":[".utf8)) } throws: { error in
            if case OTLPDecodingError.jsonSyntax = error { true } else { false }
        }
    }

    @Test func deepKvlistStops() {
        var value = #"{"stringValue":"x"}"#
        for _ in 0..<100 { value = #"{"kvlistValue":{"values":[{"key":"k","value":"# + value + "}]}}" }
        let text = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":"# + value + "}]}}]}"
        #expect(throws: OTLPDecodingError.self) { try OTLPJSONDecoder.decode(Array(text.utf8)) }
    }

    /// decode → encode → decode is the identity, for real captures and for every value type.
    @Test(arguments: ["flask-json.json", "flask-protobuf.binpb"])
    func canonicalJSONRoundTrip(file: String) throws {
        let bytes = try fixture(file)
        let request = file.hasSuffix(".json") ? try OTLPJSONDecoder.decode(bytes) : try OTLPProtobufDecoder.decode(bytes)
        let again = try OTLPJSONDecoder.decode(OTLPJSONEncoder.encodeBytes(request))
        #expect(again == request)
        for context in request.flattened {
            #expect(try OTLPJSONDecoder.decode(OTLPJSONEncoder.encodeBytes(context.request)).flattened == [context])
        }
    }

    @Test func everyValueTypeRoundTrips() throws {
        var span = makeSpan(attributes: [
            OTLPKeyValue("s", .string("é\"")), OTLPKeyValue("b", .bool(true)), OTLPKeyValue("i", .int(.min)),
            OTLPKeyValue("d", .double(1e300)), OTLPKeyValue("inf", .double(-.infinity)), OTLPKeyValue("a", .array([.empty, .int(1)])),
            OTLPKeyValue("m", .kvlist([OTLPKeyValue("k", .bytes([0, 1, 254]))])),
        ])
        span.links = [OTLPLink(traceID: span.traceID, spanID: span.spanID, traceState: "t", flags: 3)]
        span.kind = .unrecognized(11)
        span.droppedEventsCount = 2
        let request = OTLPSpanContext(scope: OTLPScope(name: "x", version: "1", attributes: [OTLPKeyValue("a", .int(1))]), span: span).request
        #expect(try OTLPJSONDecoder.decode(OTLPJSONEncoder.encodeBytes(request)) == request)
    }

    /// The frame written once per scope gives each span the very bytes of its one-span request, with and
    /// without schema URLs, dropped counts and scope attributes.
    @Test(arguments: ["flask-json.json", "flask-protobuf.binpb", "flask-protobuf-semconv-http.binpb"])
    func oneSpanFrameWritesTheOneSpanRequest(file: String) throws {
        let bytes = try fixture(file)
        let request = file.hasSuffix(".json") ? try OTLPJSONDecoder.decode(bytes) : try OTLPProtobufDecoder.decode(bytes)
        var contexts = request.flattened
        #expect(!contexts.isEmpty)
        var bare = contexts[0]
        bare.resourceSchemaURL = ""
        bare.scopeSchemaURL = ""
        bare.resource = OTLPResource(attributes: [], droppedAttributesCount: 3)
        bare.scope = OTLPScope(name: "\"x\"", attributes: [OTLPKeyValue("a\n", .int(1))], droppedAttributesCount: 1)
        var described = contexts[0]
        described.resourceSchemaURL = "https://opentelemetry.io/schemas/1.11.0"
        described.scopeSchemaURL = "https://example.com/s\u{1}"
        contexts += [bare, described]
        for context in contexts {
            let framed = OTLPJSONEncoder.OneSpanFrame(context).encode(context.span)
            #expect(framed == OTLPJSONEncoder.encodeBytes(context.request))
        }
    }
}

@Suite struct DecompressionTests {
    /// The gzip and deflate captures inflate to exports with the reference decoder's spans.
    @Test(arguments: [("flask-protobuf-gzip.binpb.gz", Decompression.Encoding.gzip), ("flask-protobuf-deflate.binpb.zz", .deflate)])
    func realCompressedCaptures(file: String, encoding: Decompression.Encoding) throws {
        let body = try Decompression.decompress(try fixture(file), encoding: encoding)
        let spans = try OTLPProtobufDecoder.decode(body).flattened.map(\.span)
        #expect(spans.map { hex($0.spanID) } == (try expectedSpans(file)).map(\.spanID))
    }

    /// A bomb (far more output than input) stops at the cap with a typed error.
    @Test func bombStopsAtTheCap() throws {
        let zeros = try fixture("flask-protobuf-gzip.binpb.gz")
        let plain = try Decompression.decompress(zeros, encoding: .gzip)
        #expect(throws: Decompression.DecompressionError.tooLarge(limit: plain.count - 1)) {
            try Decompression.decompress(zeros, encoding: .gzip, limit: plain.count - 1)
        }
        // 10 MiB of zeros gzipped is 10 KiB (made by Python's gzip); the default 4 MiB cap stops it.
        let bomb = try fixture("bomb-10MiB-zeros.gz")
        #expect(throws: Decompression.DecompressionError.tooLarge(limit: Decompression.defaultLimit)) {
            try Decompression.decompress(bomb, encoding: .gzip)
        }
    }

    @Test func truncatedAndCorruptInputAreTypedErrors() throws {
        let gz = try fixture("flask-protobuf-gzip.binpb.gz")
        #expect { try Decompression.decompress(Array(gz.prefix(gz.count / 2)), encoding: .gzip) } throws: { error in
            if case Decompression.DecompressionError.truncated = error { true } else { false }
        }
        var corrupt = gz
        corrupt[0] = 0
        #expect { try Decompression.decompress(corrupt, encoding: .gzip) } throws: { error in
            if case Decompression.DecompressionError.corrupt = error { true } else { false }
        }
        #expect { try Decompression.decompress(gz + [1, 2, 3], encoding: .gzip) } throws: { error in
            error is Decompression.DecompressionError
        }
    }
}

@Suite struct ADOTDatagramTests {
    /// The real ADOT Lambda datagram: header, T1S, base64 protobuf with the reference decoder's spans.
    @Test func realT1SDatagram() throws {
        let datagram = try fixture("adot-lambda.t1s")
        let range = try datagram.withUnsafeBufferPointer { b in try DaemonDatagram.bodyRange(of: b) }
        guard case .traces(let request, let sampled) = try ADOTDatagramBody.classify(datagram[range], offset: range.lowerBound) else {
            Issue.record("not traces")
            return
        }
        #expect(sampled)
        #expect(request.flattened.map { hex($0.span.spanID) } == (try expectedSpans("adot-lambda.t1s")).map(\.spanID))
    }

    @Test func prefixesAreTold() throws {
        #expect(try ADOTDatagramBody.classify(Array(#"{"name":"x"}"#.utf8)) == .segment)
        #expect(try ADOTDatagramBody.classify(Array("M1AAAA".utf8)) == .metrics(byteCount: 4))
        #expect(try ADOTDatagramBody.classify(Array("T1U".utf8)) == .traces(OTLPRequest(), sampled: false))
        #expect(throws: ADOTDatagramBody.ClassificationError.unknownPrefix("X9")) { try ADOTDatagramBody.classify(Array("X9".utf8)) }
        #expect(throws: ADOTDatagramBody.ClassificationError.base64(.invalidByte(offset: 35, byte: 0x21))) {
            try ADOTDatagramBody.classify(Array("T1SAA!A".utf8), offset: 30)
        }
        #expect {
            try ADOTDatagramBody.classify(Array(("T1S" + Base64.encode([0x0A, 0x05])).utf8))
        } throws: { error in
            if case ADOTDatagramBody.ClassificationError.protobuf = error { true } else { false }
        }
    }

    @Test(arguments: [[UInt8](), [1], [1, 2], [1, 2, 3], Array(0...255)])
    func base64RoundTrip(bytes: [UInt8]) throws {
        #expect(try Base64.decode(Array(Base64.encode(bytes).utf8)) == bytes)
    }

    @Test func base64Errors() {
        #expect(throws: Base64.DecodingError.truncated(length: 5)) { try Base64.decode(Array("AAAAA".utf8)) }
        #expect(throws: Base64.DecodingError.misplacedPadding(offset: 2)) { try Base64.decode(Array("AA=A".utf8)) }
    }
}

@Suite struct ResponseTests {
    @Test func successAndPartialSuccess() throws {
        #expect(OTLPResponse.protobuf() == [])
        #expect(OTLPResponse.json() == Array("{}".utf8))
        let partial = OTLPResponse.PartialSuccess(rejectedSpans: 2, errorMessage: "bad \"ids\"")
        #expect(OTLPResponse.protobuf(partial) == [0x0A, 0x0D, 0x08, 0x02, 0x12, 0x09] + Array("bad \"ids\"".utf8))
        let json = try JSONParser.parse(OTLPResponse.json(partial)).value
        #expect(json.objectValue?["partialSuccess"]?.objectValue?["rejectedSpans"] == .string("2"))
        #expect(json.objectValue?["partialSuccess"]?.objectValue?["errorMessage"] == .string("bad \"ids\""))
        #expect(OTLPResponse.statusProtobuf(message: "no") == [0x12, 0x02, 0x6E, 0x6F])
        #expect(OTLPResponse.statusJSON(message: "no") == Array(#"{"message":"no"}"#.utf8))
    }
}

@Suite struct RealCaptureTranslationTests {
    /// Every span of every capture becomes documents the segment parser accepts, with the expected shapes.
    @Test(arguments: ["flask-protobuf.binpb", "flask-protobuf-semconv-http.binpb", "flask-json.json", "flask-json-semconv-http.json"])
    func capturesTranslateToValidDocuments(file: String) throws {
        let bytes = try fixture(file)
        let request = file.hasSuffix(".json") ? try OTLPJSONDecoder.decode(bytes) : try OTLPProtobufDecoder.decode(bytes)
        var byName: [String: SegmentDocument] = [:]
        for translated in SegmentTranslator().translate(request) {
            for doc in translated.documentBytes {
                let parsed = try SegmentDocumentParser.parse(bytes: doc)
                byName[translated.source.span.name] = parsed
            }
        }
        let hello = try #require(byName["GET /hello"]?.entities.first)
        #expect(hello.kind == .segment)
        #expect(hello.name == "flask-demo")
        #expect(hello.traceID == "1-6750a1b2-0123456789abcdef01234567")
        #expect(hello.parentID == "53995c3f42cd8ad8")
        #expect(hello.httpMethod == "GET")
        #expect(hello.httpURL == "http://127.0.0.1:" + (hello.httpURL?.split(separator: ":").last.map(String.init) ?? ""))
        #expect(hello.httpURL?.hasSuffix("/hello") == true)
        #expect(hello.httpURL?.components(separatedBy: ":").count == 3)
        #expect(hello.httpStatus == 200)
        let boom = try #require(byName["GET /boom"]?.entities.first)
        #expect(boom.fault)
        #expect(boom.httpStatus == 500)
        #expect(boom.cause == "ValueError: kaboom")
        let select = try #require(byName["select"]?.entities.first)
        #expect(select.kind == .subsegment)
        #expect(select.sql?.hasPrefix("select") == true)
        let client = try #require(byName["GET"]?.entities.first)
        #expect(client.kind == .subsegment)
        #expect(client.namespace == "remote")
    }

    @Test func adotCaptureTranslates() throws {
        let datagram = try fixture("adot-lambda.t1s")
        let newline = try #require(datagram.firstIndex(of: 0x0A))
        guard case .traces(let request, _) = try ADOTDatagramBody.classify(datagram[(newline + 1)...]) else {
            Issue.record("not traces")
            return
        }
        for translated in SegmentTranslator().translate(request) {
            for doc in translated.documentBytes { _ = try SegmentDocumentParser.parse(bytes: doc) }
        }
    }
}
