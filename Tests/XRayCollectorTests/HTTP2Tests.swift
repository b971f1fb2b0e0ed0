import Testing

@testable import XRayCollector

/// HTTP/2 frames and the server connection state machine, driven by bytes as a client would send them,
/// and the gRPC adapter between it and the HTTP handlers.
@Suite struct HTTP2Tests {
    static let grpcPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

    /// Every frame in `bytes`, which must hold whole frames only.
    static func frames(_ bytes: [UInt8]) throws -> [HTTP2Frame] {
        var out: [HTTP2Frame] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let (frame, length) = try HTTP2Frame.parse(rest, maxFrameSize: 1 << 24 - 1) else {
                Issue.record("a partial frame at the end of the output")
                break
            }
            out.append(frame)
            rest = rest.dropFirst(length)
        }
        return out
    }

    static func requestBlock(path: String = grpcPath, authority: String = "127.0.0.1:4317", extra: [HeaderField] = []) -> [UInt8] {
        HPACKEncoder.encode(
            [
                HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", path),
                HeaderField(":authority", authority), HeaderField("content-type", "application/grpc"), HeaderField("te", "trailers"),
            ] + extra)
    }

    static func message(_ payload: [UInt8], compressed: Bool = false) -> [UInt8] {
        var out: [UInt8] = [compressed ? 1 : 0]
        HTTP2Frame.appendUInt32(UInt32(payload.count), to: &out)
        return out + payload
    }

    /// The preface and an empty SETTINGS, as every client starts.
    static let opening = HTTP2Connection.preface + HTTP2Frame.settings(ack: false, parameters: []).serialized()

    static func goAwayCode(_ output: HTTP2Connection.Output) throws -> HTTP2ErrorCode? {
        for case .goAway(_, let code, _) in try frames(output.send) { return HTTP2ErrorCode(rawValue: code) }
        return nil
    }

    // MARK: Frames

    @Test func everyFrameTypeRoundTripsThroughItsBytes() throws {
        let samples: [HTTP2Frame] = [
            .data(stream: 1, bytes: [1, 2, 3], endStream: true, flowLength: 3),
            .headers(stream: 3, block: [0x82], endStream: false, endHeaders: true),
            .priority(stream: 5),
            .rstStream(stream: 7, code: 8),
            .settings(ack: false, parameters: [(id: 3, value: 100), (id: 4, value: 1 << 20)]),
            .settings(ack: true, parameters: []),
            .ping(ack: true, opaque: [1, 2, 3, 4, 5, 6, 7, 8]),
            .goAway(lastStream: 9, code: 1, debug: Array("bad".utf8)),
            .windowUpdate(stream: 0, increment: 1000),
            .continuation(stream: 3, block: [0x84], endHeaders: true),
        ]
        for frame in samples {
            let bytes = frame.serialized()
            let parsed = try HTTP2Frame.parse(bytes[...])
            #expect(parsed?.0 == frame)
            #expect(parsed?.1 == bytes.count)
            // One byte short is "need more", never an error.
            #expect(try HTTP2Frame.parse(bytes.dropLast()) == nil)
        }
    }

    @Test func paddingAndPriorityAreStrippedFromDataAndHeaders() throws {
        // DATA, PADDED, 2 bytes of padding: flow control counts all 6 payload bytes.
        let data: [UInt8] = [0, 0, 6, 0x0, 0x8 | 0x1, 0, 0, 0, 1, 2, 0xAA, 0xBB, 0xCC, 0, 0]
        #expect(try HTTP2Frame.parse(data[...])?.0 == .data(stream: 1, bytes: [0xAA, 0xBB, 0xCC], endStream: true, flowLength: 6))
        // HEADERS with PRIORITY (5 bytes) and END_HEADERS.
        let headers: [UInt8] = [0, 0, 6, 0x1, 0x20 | 0x4, 0, 0, 0, 3, 0, 0, 0, 0, 16, 0x82]
        #expect(try HTTP2Frame.parse(headers[...])?.0 == .headers(stream: 3, block: [0x82], endStream: false, endHeaders: true))
        // Padding longer than the payload.
        let bad: [UInt8] = [0, 0, 2, 0x0, 0x8, 0, 0, 0, 1, 5, 0]
        #expect(throws: HTTP2Error.connection(.protocolError, "a DATA frame's padding is longer than its payload")) {
            try HTTP2Frame.parse(bad[...])
        }
    }

    @Test func framesBreakingTheirTypesRulesAreErrorsWithTheRightCode() throws {
        func code(_ bytes: [UInt8]) -> HTTP2ErrorCode? {
            do { _ = try HTTP2Frame.parse(bytes[...]); return nil } catch { return error.code }
        }
        // Larger than SETTINGS_MAX_FRAME_SIZE (16384).
        #expect(code([0, 0x40, 0x01, 0x0, 0, 0, 0, 0, 1]) == .frameSizeError)
        // HEADERS on stream 0.
        #expect(code([0, 0, 1, 0x1, 0x4, 0, 0, 0, 0, 0x82]) == .protocolError)
        // SETTINGS on a stream, SETTINGS of 5 bytes, an ACK with a payload.
        #expect(code([0, 0, 0, 0x4, 0, 0, 0, 0, 1]) == .protocolError)
        #expect(code([0, 0, 5, 0x4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]) == .frameSizeError)
        #expect(code([0, 0, 6, 0x4, 0x1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1]) == .frameSizeError)
        // PING of 7 bytes; WINDOW_UPDATE of 3; RST_STREAM of 5.
        #expect(code([0, 0, 7, 0x6, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 7)) == .frameSizeError)
        #expect(code([0, 0, 3, 0x8, 0, 0, 0, 0, 0, 0, 0, 1]) == .frameSizeError)
        #expect(code([0, 0, 5, 0x3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]) == .frameSizeError)
        // PRIORITY of 4 bytes: a stream error only.
        do {
            _ = try HTTP2Frame.parse([0, 0, 4, 0x2, 0, 0, 0, 0, 5, 0, 0, 0, 0][...])
            Issue.record("a PRIORITY frame of 4 bytes was accepted")
        } catch {
            #expect(error.code == .frameSizeError)
            #expect(error.stream == 5)
        }
    }

    @Test func unknownFrameTypesAreIgnored() throws {
        var connection = HTTP2Connection()
        _ = connection.start()
        let unknown: [UInt8] = [0, 0, 3, 0xFA, 0xFF, 0, 0, 0, 1, 9, 9, 9]
        let output = connection.receive(Self.opening + unknown + HTTP2Frame.ping(ack: false, opaque: [UInt8](repeating: 7, count: 8)).serialized())
        #expect(!output.close)
        #expect(try Self.frames(output.send).contains(.ping(ack: true, opaque: [UInt8](repeating: 7, count: 8))))
    }

    // MARK: Connection

    @Test func unaryRequestArrivesWholeAndTheResponseEndsWithTrailers() throws {
        var connection = HTTP2Connection()
        let settings = try Self.frames(connection.start())
        guard case .settings(false, let parameters)? = settings.first else {
            Issue.record("the server preface does not start with SETTINGS")
            return
        }
        #expect(parameters.contains { $0.id == HTTP2Setting.maxConcurrentStreams.rawValue && $0.value == 100 })
        let body = Self.message([1, 2, 3])
        // Split everything byte by byte: a network may deliver any split.
        let bytes =
            Self.opening + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
            + HTTP2Frame.data(stream: 1, bytes: body, endStream: true, flowLength: body.count).serialized()
        var events: [HTTP2Event] = []
        var sent: [UInt8] = []
        for byte in bytes {
            let output = connection.receive([byte])
            #expect(!output.close)
            events += output.events
            sent += output.send
        }
        #expect(try Self.frames(sent).contains(.settings(ack: true, parameters: [])))
        guard case .request(let request)? = events.first, events.count == 1 else {
            Issue.record("expected one request, got \(events)")
            return
        }
        #expect(request.stream == 1)
        #expect(request.field(":path") == Self.grpcPath)
        #expect(request.body == body)

        let response = try Self.frames(
            connection.respond(
                stream: 1, fields: [HeaderField(":status", "200")], body: [9, 9], trailers: [HeaderField("grpc-status", "0")]))
        #expect(response.count == 3)
        #expect(response[1] == .data(stream: 1, bytes: [9, 9], endStream: false, flowLength: 2))
        guard case .headers(1, let trailers, true, true) = response[2] else {
            Issue.record("the response does not end with trailers: \(response)")
            return
        }
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(trailers) == [HeaderField("grpc-status", "0")])
        #expect(connection.activeStreams == 0)
    }

    @Test func huffmanCodedHeadersAndContinuationFramesMakeOneBlock() throws {
        var connection = HTTP2Connection()
        _ = connection.start()
        // :path as a literal with a Huffman-coded value, indexed into the dynamic table.
        let path = Array(Self.grpcPath.utf8)
        let coded = HPACKHuffman.encode(path)
        var block: [UInt8] = [0x83, 0x86, 0x44]
        HPACKEncoder.integer(coded.count, prefix: 7, flags: 0x80, into: &block)
        block += coded + HPACKEncoder.encode([HeaderField("content-type", "application/grpc")])
        let first = Array(block.prefix(5)), second = Array(block.dropFirst(5).prefix(7)), third = Array(block.dropFirst(12))
        let output = connection.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: first, endStream: true, endHeaders: false).serialized()
                + HTTP2Frame.continuation(stream: 1, block: second, endHeaders: false).serialized()
                + HTTP2Frame.continuation(stream: 1, block: third, endHeaders: true).serialized())
        guard case .request(let request)? = output.events.first else {
            Issue.record("no request: \(output.events), \(try Self.frames(output.send))")
            return
        }
        #expect(request.field(":path") == Self.grpcPath)
        #expect(request.field(":method") == "POST")
        #expect(request.body.isEmpty)
    }

    @Test func badPrefaceIsAProtocolError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(output.close)
        #expect(try Self.goAwayCode(output) == .protocolError)
        // Nothing more is read.
        #expect(connection.receive(Self.opening).send.isEmpty)
    }

    @Test func firstFrameMustBeSettings() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(HTTP2Connection.preface + HTTP2Frame.ping(ack: false, opaque: [UInt8](repeating: 0, count: 8)).serialized())
        #expect(try Self.goAwayCode(output) == .protocolError)
    }

    @Test func oversizedFrameIsAFrameSizeError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + [0, 0x40, 0x01, 0x0, 0, 0, 0, 0, 1])
        #expect(try Self.goAwayCode(output) == .frameSizeError)
    }

    @Test func headersOnStreamZeroIsAProtocolError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + [0, 0, 1, 0x1, 0x4, 0, 0, 0, 0, 0x82])
        #expect(try Self.goAwayCode(output) == .protocolError)
    }

    @Test func continuationWithoutHeadersIsAProtocolError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + HTTP2Frame.continuation(stream: 1, block: [0x82], endHeaders: true).serialized())
        #expect(try Self.goAwayCode(output) == .protocolError)
    }

    @Test func headerBlockInterruptedByAnotherFrameIsAProtocolError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: [0x83], endStream: false, endHeaders: false).serialized()
                + HTTP2Frame.ping(ack: false, opaque: [UInt8](repeating: 0, count: 8)).serialized())
        #expect(try Self.goAwayCode(output) == .protocolError)
    }

    @Test func continuationFloodEndsTheConnection() throws {
        var connection = HTTP2Connection()
        var bytes = Self.opening + HTTP2Frame.headers(stream: 1, block: [0x83], endStream: true, endHeaders: false).serialized()
        for _ in 0..<100 { bytes += HTTP2Frame.continuation(stream: 1, block: [], endHeaders: false).serialized() }
        let output = connection.receive(bytes)
        #expect(try Self.goAwayCode(output) == .enhanceYourCalm)
    }

    @Test func hpackIndexOutOfRangeIsACompressionError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + HTTP2Frame.headers(stream: 1, block: [0x80 | 70], endStream: true, endHeaders: true).serialized())
        #expect(try Self.goAwayCode(output) == .compressionError)
        guard case .goAway(_, _, let debug)? = try Self.frames(output.send).last else { return }
        #expect(String(decoding: debug, as: UTF8.self).contains("index 70"))
    }

    @Test func oversizedHeaderListIsRefusedOnItsStreamOnly() throws {
        var connection = HTTP2Connection()
        _ = connection.start()
        let big = Self.requestBlock(extra: [HeaderField("x-big", String(repeating: "b", count: 17 * 1024))])
        // Sent as HEADERS + CONTINUATIONs of 16 KiB at most.
        var bytes = Self.opening
        let pieces = stride(from: 0, to: big.count, by: 16_000).map { Array(big[$0..<min(big.count, $0 + 16_000)]) }
        for (index, piece) in pieces.enumerated() {
            let last = index == pieces.count - 1
            bytes +=
                index == 0
                ? HTTP2Frame.headers(stream: 1, block: piece, endStream: true, endHeaders: last).serialized()
                : HTTP2Frame.continuation(stream: 1, block: piece, endHeaders: last).serialized()
        }
        bytes += HTTP2Frame.headers(stream: 3, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized()
        let output = connection.receive(bytes)
        #expect(!output.close)
        #expect(output.events.first == .refused(stream: 1, .headerListTooLarge(limit: 16 * 1024)))
        guard case .request(let request)? = output.events.last else {
            Issue.record("the next stream was not served: \(output.events)")
            return
        }
        #expect(request.stream == 3)
    }

    @Test func windowUpdateOverflowIsAFlowControlError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + HTTP2Frame.windowUpdate(stream: 0, increment: 0x7FFF_FFFF).serialized())
        #expect(try Self.goAwayCode(output) == .flowControlError)

        var second = HTTP2Connection()
        let streamOutput = second.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.windowUpdate(stream: 1, increment: 0x7FFF_FFFF).serialized())
        #expect(!streamOutput.close)
        #expect(try Self.frames(streamOutput.send).contains(.rstStream(stream: 1, code: HTTP2ErrorCode.flowControlError.rawValue)))
    }

    @Test func dataBeyondTheWindowIsAFlowControlError() throws {
        var connection = HTTP2Connection()
        // Without start(), the connection window is the protocol's 65,535 bytes.
        var bytes = Self.opening + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
        let chunk = [UInt8](repeating: 0, count: 16_384)
        for _ in 0..<5 { bytes += HTTP2Frame.data(stream: 1, bytes: chunk, endStream: false, flowLength: chunk.count).serialized() }
        let output = connection.receive(bytes)
        #expect(try Self.goAwayCode(output) == .flowControlError)
    }

    @Test func consumedDataIsGivenBackAsWindowUpdates() throws {
        var connection = HTTP2Connection()
        _ = connection.start()
        let chunk = [UInt8](repeating: 1, count: 10_000)
        let output = connection.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.data(stream: 1, bytes: chunk, endStream: false, flowLength: chunk.count).serialized())
        let updates = try Self.frames(output.send)
        #expect(updates.contains(.windowUpdate(stream: 0, increment: 10_000)))
        #expect(updates.contains(.windowUpdate(stream: 1, increment: 10_000)))
    }

    @Test func responseWaitsForThePeersWindowThenFinishes() throws {
        var connection = HTTP2Connection()
        _ = connection.start()
        let smallWindow = HTTP2Frame.settings(ack: false, parameters: [(id: HTTP2Setting.initialWindowSize.rawValue, value: 4)]).serialized()
        _ = connection.receive(
            HTTP2Connection.preface + smallWindow
                + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized())
        let first = try Self.frames(
            connection.respond(
                stream: 1, fields: [HeaderField(":status", "200")],
                body: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], trailers: [HeaderField("grpc-status", "0")]))
        #expect(first.count == 2)
        #expect(first.last == .data(stream: 1, bytes: [1, 2, 3, 4], endStream: false, flowLength: 4))
        #expect(connection.hasBlockedResponses)
        let more = try Self.frames(connection.receive(HTTP2Frame.windowUpdate(stream: 1, increment: 100).serialized()).send)
        #expect(more.first == .data(stream: 1, bytes: [5, 6, 7, 8, 9, 10], endStream: false, flowLength: 6))
        guard case .headers(1, _, true, true)? = more.last else {
            Issue.record("no trailers after the window opened: \(more)")
            return
        }
        #expect(!connection.hasBlockedResponses)
    }

    @Test func streamsPastTheConcurrencyLimitAreRefused() throws {
        var limits = HTTP2Connection.Limits()
        limits.maxConcurrentStreams = 2
        var connection = HTTP2Connection(limits: limits)
        var bytes = Self.opening
        for stream: UInt32 in [1, 3, 5] {
            bytes += HTTP2Frame.headers(stream: stream, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
        }
        let output = connection.receive(bytes)
        #expect(try Self.frames(output.send).contains(.rstStream(stream: 5, code: HTTP2ErrorCode.refusedStream.rawValue)))
        #expect(connection.activeStreams == 2)
    }

    @Test func bodyPastTheLimitIsRefusedAndItsStreamResetAfterTheAnswer() throws {
        var limits = HTTP2Connection.Limits()
        limits.maxBody = 100
        var connection = HTTP2Connection(limits: limits)
        _ = connection.start()
        let chunk = [UInt8](repeating: 0, count: 80)
        let output = connection.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.data(stream: 1, bytes: chunk, endStream: false, flowLength: 80).serialized()
                + HTTP2Frame.data(stream: 1, bytes: chunk, endStream: false, flowLength: 80).serialized())
        #expect(output.events == [.refused(stream: 1, .bodyTooLarge(limit: 100))])
        let answer = try Self.frames(connection.respond(stream: 1, fields: [HeaderField(":status", "200")], body: [], trailers: []))
        #expect(answer.last == .rstStream(stream: 1, code: HTTP2ErrorCode.noError.rawValue))
        // Late DATA on the reset stream is dropped, not an error.
        let late = connection.receive(HTTP2Frame.data(stream: 1, bytes: chunk, endStream: true, flowLength: 80).serialized())
        #expect(!late.close)
        #expect(late.events.isEmpty)
    }

    @Test func requestsWaitingForAnAnswerCountAgainstTheConnectionsBuffer() throws {
        var limits = HTTP2Connection.Limits()
        limits.maxBuffered = 100
        var connection = HTTP2Connection(limits: limits)
        _ = connection.start()
        let sixty = [UInt8](repeating: 0, count: 60)
        func call(_ stream: UInt32) -> [UInt8] {
            HTTP2Frame.headers(stream: stream, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.data(stream: stream, bytes: sixty, endStream: true, flowLength: 60).serialized()
        }
        let first = connection.receive(Self.opening + call(1) + call(3))
        guard case .request? = first.events.first else {
            Issue.record("the first call was not handed on: \(first.events)")
            return
        }
        // The first call is not answered yet, so the second does not fit.
        #expect(first.events.last == .refused(stream: 3, .overloaded(limit: 100)))
        _ = connection.respond(stream: 1, fields: [HeaderField(":status", "200")], body: [], trailers: [])
        _ = connection.respond(stream: 3, fields: [HeaderField(":status", "200")], body: [], trailers: [])
        // Answered, it no longer counts; and a call alone may exceed the buffer, up to the body limit.
        let alone = connection.receive(
            HTTP2Frame.headers(stream: 5, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.data(stream: 5, bytes: sixty + sixty, endStream: true, flowLength: 120).serialized())
        guard case .request(let request)? = alone.events.first else {
            Issue.record("a call alone on the connection was refused: \(alone.events)")
            return
        }
        #expect(request.body.count == 120)
    }

    @Test func trailersStillInFlightOnAStreamWeResetAreIgnored() throws {
        var limits = HTTP2Connection.Limits()
        limits.maxBody = 10
        var connection = HTTP2Connection(limits: limits)
        _ = connection.start()
        let chunk = [UInt8](repeating: 0, count: 20)
        _ = connection.receive(
            Self.opening
                + HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: false, endHeaders: true).serialized()
                + HTTP2Frame.data(stream: 1, bytes: chunk, endStream: false, flowLength: 20).serialized())
        _ = connection.respond(stream: 1, fields: [HeaderField(":status", "200")], body: [], trailers: [])
        let trailers = connection.receive(
            HTTP2Frame.headers(
                stream: 1, block: HPACKEncoder.encode([HeaderField("x-t", "1")]),
                endStream: true, endHeaders: true
            ).serialized())
        #expect(!trailers.close)
        #expect(trailers.send.isEmpty)
        // A stream that ended normally is different: HEADERS on it again is STREAM_CLOSED.
        _ = connection.receive(HTTP2Frame.headers(stream: 3, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized())
        _ = connection.respond(stream: 3, fields: [HeaderField(":status", "200")], body: [], trailers: [])
        let again = connection.receive(HTTP2Frame.headers(stream: 3, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized())
        #expect(try Self.goAwayCode(again) == .streamClosed)
    }

    @Test func pushPromiseFromAClientIsAProtocolError() throws {
        var connection = HTTP2Connection()
        let output = connection.receive(Self.opening + [0, 0, 4, 0x5, 0x4, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(try Self.goAwayCode(output) == .protocolError)
    }

    @Test func invalidSettingsValuesAreErrors() throws {
        for (id, value, code) in [
            (HTTP2Setting.enablePush, UInt32(2), HTTP2ErrorCode.protocolError),
            (.maxFrameSize, 100, .protocolError), (.initialWindowSize, 0x8000_0000, .flowControlError),
        ] {
            var connection = HTTP2Connection()
            let output = connection.receive(
                HTTP2Connection.preface
                    + HTTP2Frame.settings(ack: false, parameters: [(id: id.rawValue, value: value)]).serialized())
            #expect(try Self.goAwayCode(output) == code)
        }
    }

    @Test func headersReusingAClosedStreamIdAreAnError() throws {
        var connection = HTTP2Connection()
        _ = connection.receive(Self.opening + HTTP2Frame.headers(stream: 3, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized())
        _ = connection.respond(stream: 3, fields: [HeaderField(":status", "200")], body: [], trailers: [])
        let output = connection.receive(HTTP2Frame.headers(stream: 1, block: Self.requestBlock(), endStream: true, endHeaders: true).serialized())
        #expect(try Self.goAwayCode(output) == .streamClosed)
    }

    // MARK: gRPC adapter

    static func action(_ request: HTTP2Request) -> GRPC.Action {
        GRPC.action(for: .request(request), peer: "127.0.0.1:5000", hostAllowed: { $0 == "127.0.0.1:4317" })
    }

    static func grpcRequest(path: String = grpcPath, body: [UInt8], extra: [HeaderField] = []) -> HTTP2Request {
        var decoder = HPACKDecoder()
        return HTTP2Request(stream: 1, fields: try! decoder.decode(requestBlock(path: path, extra: extra)), body: body)
    }

    static func status(_ answer: GRPC.Answer) -> String? { answer.fields.first { $0.name == "grpc-status" }?.value }

    @Test func exportCallsBecomeOTLPHTTPRequests() {
        for (path, target) in [
            (Self.grpcPath, "/v1/traces"),
            ("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", "/v1/metrics"),
            ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", "/v1/logs"),
        ] {
            guard case .forward(1, let http) = Self.action(Self.grpcRequest(path: path, body: Self.message([7, 7]))) else {
                Issue.record("\(path) was not forwarded")
                continue
            }
            #expect(http.path == target)
            #expect(http.method == "POST")
            #expect(http.body == [7, 7])
            #expect(http.header("content-type") == "application/x-protobuf")
            #expect(http.header("content-encoding") == nil)
            #expect(http.peer == "127.0.0.1:5000")
        }
    }

    @Test func compressedMessagesCarryTheirEncodingAndUnknownOnesAreUnimplemented() {
        let gzip = Self.grpcRequest(body: Self.message([1], compressed: true), extra: [HeaderField("grpc-encoding", "gzip")])
        guard case .forward(_, let http) = Self.action(gzip) else {
            Issue.record("a gzip message was not forwarded")
            return
        }
        #expect(http.header("content-encoding") == "gzip")
        let snappy = Self.grpcRequest(body: Self.message([1], compressed: true), extra: [HeaderField("grpc-encoding", "snappy")])
        guard case .answer(let answer) = Self.action(snappy) else {
            Issue.record("a snappy message was forwarded")
            return
        }
        #expect(Self.status(answer) == "12")
        #expect(answer.fields.contains(HeaderField("grpc-accept-encoding", "identity,deflate,gzip")))
    }

    @Test func unknownMethodIsUnimplementedWithoutCallingTheHandler() {
        guard case .answer(let answer) = Self.action(Self.grpcRequest(path: "/helloworld.Greeter/SayHello", body: Self.message([]))) else {
            Issue.record("an unknown method was forwarded")
            return
        }
        #expect(Self.status(answer) == "12")
        #expect(answer.body.isEmpty && answer.trailers.isEmpty)
    }

    @Test func malformedMessageFramingIsInternal() {
        for body: [UInt8] in [[0, 0, 0], [0, 0, 0, 0, 9, 1, 2], Self.message([1]) + Self.message([2]), [2, 0, 0, 0, 0]] {
            guard case .answer(let answer) = Self.action(Self.grpcRequest(body: body)) else {
                Issue.record("a body of \(body) was forwarded")
                continue
            }
            #expect(Self.status(answer) == "13")
        }
    }

    @Test func foreignAuthorityAndNonGRPCRequestsAreRefused() {
        var request = Self.grpcRequest(body: Self.message([]))
        request.fields = request.fields.map { $0.name == ":authority" ? HeaderField(":authority", "evil.example:4317") : $0 }
        guard case .answer(let answer) = Self.action(request) else {
            Issue.record("a foreign authority was forwarded")
            return
        }
        #expect(Self.status(answer) == "3")
        var plain = Self.grpcRequest(body: [])
        plain.fields = plain.fields.map { $0.name == "content-type" ? HeaderField("content-type", "application/json") : $0 }
        guard case .answer(let refusal) = Self.action(plain) else { return }
        #expect(refusal.fields.first == HeaderField(":status", "415"))
    }

    @Test func httpAnswersMapToGRPCStatusesWithTheirMessages() {
        let ok = GRPC.response(stream: 1, to: HTTPResponse(status: 200, body: [0x0A, 0x00]))
        #expect(ok.body == Self.message([0x0A, 0x00]))
        #expect(ok.trailers == [HeaderField("grpc-status", "0")])
        for (http, grpc) in [(400, "3"), (413, "8"), (415, "3"), (404, "12"), (503, "14"), (429, "8"), (500, "13"), (502, "13")] {
            let answer = GRPC.response(stream: 1, to: .error(http, "X", "bad 100% \u{e9}"))
            #expect(Self.status(answer) == grpc)
            #expect(answer.fields.contains(HeaderField("grpc-message", "bad 100%25 %C3%A9")))
        }
        // A google.rpc.Status body: field 2 is the message.
        let status: [UInt8] = [0x08, 0x03, 0x12, 0x03] + Array("bad".utf8)
        #expect(GRPC.response(stream: 1, to: HTTPResponse(status: 400, body: status)).fields.contains(HeaderField("grpc-message", "bad")))
    }

    @Test func refusalsBecomeResourceExhaustedOrUnavailable() {
        guard case .answer(let busy) = GRPC.action(for: .refused(stream: 5, .overloaded(limit: 1)), peer: "p", hostAllowed: { _ in true }) else {
            Issue.record("an overloaded refusal was forwarded")
            return
        }
        #expect(Self.status(busy) == "14")
        for refusal in [HTTP2Refusal.bodyTooLarge(limit: 105), .headerListTooLarge(limit: 16_384)] {
            guard case .answer(let answer) = GRPC.action(for: .refused(stream: 3, refusal), peer: "p", hostAllowed: { _ in true }) else {
                continue
            }
            #expect(answer.stream == 3)
            #expect(Self.status(answer) == "8")
        }
    }
}
