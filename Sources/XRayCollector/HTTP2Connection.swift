/// The server side of one HTTP/2 connection over cleartext TCP with prior knowledge (RFC 9113 3.3), as a
/// state machine without I/O: `receive` takes the bytes that arrived and gives back the requests they
/// completed and the bytes to send (SETTINGS and PING acknowledgements, WINDOW_UPDATEs, GOAWAY);
/// `respond` gives the bytes of a response. It serves what unary gRPC needs: a request is one HEADERS
/// block and its DATA, answered with HEADERS, DATA and trailing HEADERS.
///
/// Every input is bounded: frames by SETTINGS_MAX_FRAME_SIZE, header lists and header blocks (so a flood
/// of CONTINUATION frames ends the connection), request bodies, concurrent streams, and the bytes
/// buffered across streams.
struct HTTP2Connection: Sendable {
    struct Limits: Sendable {
        /// SETTINGS_MAX_CONCURRENT_STREAMS; a stream past it is refused with REFUSED_STREAM (5.1.2).
        var maxConcurrentStreams = 100
        /// SETTINGS_MAX_HEADER_LIST_SIZE.
        var maxHeaderListSize = 16 * 1024
        /// A HEADERS block with its CONTINUATIONs, compressed, and how many frames it may take.
        var maxHeaderBlock = 64 * 1024
        var maxContinuations = 64
        /// The body of one request; a longer one is refused (`HTTP2Refusal.bodyTooLarge`).
        var maxBody = (4 << 20) + 5
        /// Request bytes held across all streams, until each is answered, before more are refused as
        /// `HTTP2Refusal.overloaded`: calls of one connection are handled one at a time, so the others wait.
        var maxBuffered = 16 << 20
        /// SETTINGS_INITIAL_WINDOW_SIZE for request streams, and the connection window we open.
        var initialWindow = 1 << 20
    }

    /// The client connection preface (RFC 9113 3.4).
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// RFC 9113 6.9.1: no window may exceed 2^31 - 1.
    static let maxWindow = Int(Int32.max)
    static let defaultWindow = 65_535

    /// What one `receive` call produced.
    struct Output: Sendable {
        var events: [HTTP2Event] = []
        var send: [UInt8] = []
        /// A GOAWAY for an error was sent: close once it is written.
        var close = false
    }

    private struct Stream {
        var fields: [HeaderField]?
        var body: [UInt8] = []
        /// Body bytes counted in `buffered` until the stream is answered or reset, handed on or not.
        var held = 0
        var receiveWindow: Int
        var sendWindow: Int
        var remoteClosed = false
        /// The request was refused or handed on; later DATA is counted for flow control and dropped.
        var handedOn = false
        /// Response DATA not yet sent for lack of window, then the trailers block.
        var pendingData: [UInt8] = []
        var pendingTrailers: [UInt8]?
        var responding = false
    }

    private let limits: Limits
    private var buffer: [UInt8] = []
    private var consumed = 0
    private var sawPreface = false
    private var sawSettings = false
    private var decoder: HPACKDecoder
    private var streams: [UInt32: Stream] = [:]
    /// The highest stream id the client opened; lower idle ids can no longer be used (5.1.1).
    private(set) var lastStream: UInt32 = 0
    private var connectionSendWindow = defaultWindow
    private var connectionReceiveWindow = defaultWindow
    private var peerInitialWindow = defaultWindow
    private var peerMaxFrameSize = HTTP2Frame.defaultMaxFrameSize
    /// A header block still waiting for its CONTINUATIONs.
    private var continuation: (stream: UInt32, block: [UInt8], endStream: Bool, frames: Int)?
    private var buffered = 0
    /// Streams this side reset, newest last and at most 128: HEADERS still in flight on them are ignored
    /// (once decoded, for the table), not a connection error (RFC 9113 5.1, "closed").
    private var resetByUs: [UInt32] = []
    /// We sent GOAWAY: nothing more is read.
    private(set) var closed = false
    /// The peer sent GOAWAY: it opens no more streams.
    private(set) var peerWentAway = false

    init(limits: Limits = Limits()) {
        self.limits = limits
        self.decoder = HPACKDecoder(maxHeaderListSize: limits.maxHeaderListSize)
    }

    /// Streams the client opened that are not finished: still sending, waiting for a response, or
    /// sending one.
    var activeStreams: Int { streams.count }
    /// Streams whose request is still arriving.
    var hasIncompleteRequests: Bool { streams.values.contains { !$0.remoteClosed && !$0.handedOn } }
    /// Responses waiting for the peer to open its flow-control window.
    var hasBlockedResponses: Bool { streams.values.contains { $0.responding } }

    /// Our connection preface: SETTINGS, and a WINDOW_UPDATE opening the connection window to match the
    /// stream windows. A server may send it at once (3.4).
    mutating func start() -> [UInt8] {
        connectionReceiveWindow = limits.initialWindow
        return HTTP2Frame.settings(
            ack: false,
            parameters: [
                (HTTP2Setting.maxConcurrentStreams.rawValue, UInt32(limits.maxConcurrentStreams)),
                (HTTP2Setting.initialWindowSize.rawValue, UInt32(limits.initialWindow)),
                (HTTP2Setting.maxHeaderListSize.rawValue, UInt32(limits.maxHeaderListSize)),
            ]
        ).serialized() + HTTP2Frame.windowUpdate(stream: 0, increment: UInt32(limits.initialWindow - Self.defaultWindow)).serialized()
    }

    /// Consumes bytes from the peer.
    mutating func receive(_ bytes: some Collection<UInt8>) -> Output {
        var output = Output()
        guard !closed else { return output }
        buffer.append(contentsOf: bytes)
        var updates: [UInt32: Int] = [:]
        do throws(HTTP2Error) {
            if !sawPreface {
                let have = min(buffer.count, Self.preface.count)
                guard buffer[0..<have].elementsEqual(Self.preface[0..<have]) else {
                    throw .connection(.protocolError, "the connection does not start with the HTTP/2 client preface")
                }
                guard have == Self.preface.count else { return output }
                sawPreface = true
                consumed = Self.preface.count
            }
            frames: while !closed {
                let frame: HTTP2Frame
                let length: Int
                do throws(HTTP2Error) {
                    guard let parsed = try HTTP2Frame.parse(buffer[consumed...]) else { break frames }
                    (frame, length) = parsed
                } catch let error where error.stream != 0 {
                    // A stream error in a frame that is all here (PRIORITY's length): reset that stream only.
                    consumed += HTTP2Frame.headerLength + Self.payloadLength(buffer, at: consumed)
                    reset(error.stream, error.code, into: &output)
                    continue
                }
                consumed += length
                if !sawSettings {
                    guard case .settings(ack: false, _) = frame else {
                        throw .connection(.protocolError, "the first frame after the preface is not SETTINGS")
                    }
                    sawSettings = true
                }
                try handle(frame, into: &output, updates: &updates)
            }
        } catch {
            fail(error, into: &output)
        }
        for (stream, increment) in updates.sorted(by: { $0.key < $1.key }) where increment > 0 && !closed {
            if stream != 0 {
                guard streams[stream] != nil else { continue }
                streams[stream]!.receiveWindow += increment
            } else {
                connectionReceiveWindow += increment
            }
            output.send += HTTP2Frame.windowUpdate(stream: stream, increment: UInt32(increment)).serialized()
        }
        if consumed > 0, consumed == buffer.count || consumed >= 64 * 1024 {
            buffer.removeFirst(consumed)
            consumed = 0
        }
        return output
    }

    /// A GOAWAY with NO_ERROR, for closing an idle or late connection; nothing more is read.
    mutating func goAway(_ message: String) -> [UInt8] {
        closed = true
        return HTTP2Frame.goAway(lastStream: lastStream, code: HTTP2ErrorCode.noError.rawValue, debug: Array(message.utf8)).serialized()
    }

    private static func payloadLength(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
    }

    private mutating func fail(_ error: HTTP2Error, into output: inout Output) {
        output.send += HTTP2Frame.goAway(lastStream: lastStream, code: error.code.rawValue, debug: Array(error.message.utf8)).serialized()
        output.close = true
        closed = true
    }

    private mutating func reset(_ stream: UInt32, _ code: HTTP2ErrorCode, into output: inout Output) {
        if let state = streams.removeValue(forKey: stream) { buffered -= state.held }
        remember(reset: stream)
        output.send += HTTP2Frame.rstStream(stream: stream, code: code.rawValue).serialized()
    }

    private mutating func remember(reset stream: UInt32) {
        if resetByUs.count == 128 { resetByUs.removeFirst() }
        resetByUs.append(stream)
    }

    private mutating func handle(_ frame: HTTP2Frame, into output: inout Output, updates: inout [UInt32: Int]) throws(HTTP2Error) {
        if let pending = continuation {
            guard case .continuation(let stream, let block, let endHeaders) = frame, stream == pending.stream else {
                throw .connection(.protocolError, "a header block on stream \(pending.stream) was interrupted by another frame")
            }
            guard pending.block.count + block.count <= limits.maxHeaderBlock, pending.frames < limits.maxContinuations else {
                throw .connection(.enhanceYourCalm, "a header block longer than \(limits.maxHeaderBlock) bytes or \(limits.maxContinuations) frames")
            }
            continuation!.block += block
            continuation!.frames += 1
            if endHeaders {
                let whole = continuation!
                continuation = nil
                try headerBlock(whole.stream, whole.block, endStream: whole.endStream, into: &output)
            }
            return
        }
        switch frame {
        case .data(let id, let bytes, let endStream, let flowLength):
            guard flowLength <= connectionReceiveWindow else {
                throw .connection(.flowControlError, "DATA beyond the connection's flow-control window")
            }
            connectionReceiveWindow -= flowLength
            updates[0, default: 0] += flowLength
            guard id <= lastStream else { throw .connection(.protocolError, "DATA on stream \(id), which is idle") }
            guard var stream = streams[id] else { return }
            guard !stream.remoteClosed else {
                reset(id, .streamClosed, into: &output)
                return
            }
            guard flowLength <= stream.receiveWindow else {
                reset(id, .flowControlError, into: &output)
                return
            }
            stream.receiveWindow -= flowLength
            stream.remoteClosed = endStream
            if !stream.handedOn {
                let tooLarge = stream.body.count + bytes.count > limits.maxBody
                // A call alone on the connection is held to the body limit only, however large that is.
                let overloaded = buffered + bytes.count > limits.maxBuffered && buffered > stream.held
                if tooLarge || overloaded {
                    buffered -= stream.held
                    stream.held = 0
                    stream.body = []
                    stream.handedOn = true
                    output.events.append(
                        .refused(
                            stream: id,
                            tooLarge
                                ? .bodyTooLarge(limit: limits.maxBody)
                                : .overloaded(limit: limits.maxBuffered)))
                } else {
                    stream.body += bytes
                    stream.held += bytes.count
                    buffered += bytes.count
                    if !endStream { updates[id, default: 0] += flowLength }
                }
            }
            streams[id] = stream
            if endStream { complete(id, into: &output) }
        case .headers(let id, let block, let endStream, let endHeaders):
            guard id % 2 == 1 else { throw .connection(.protocolError, "HEADERS on stream \(id): a client opens odd streams") }
            if endHeaders {
                try headerBlock(id, block, endStream: endStream, into: &output)
            } else {
                guard block.count <= limits.maxHeaderBlock else {
                    throw .connection(.enhanceYourCalm, "a header block longer than \(limits.maxHeaderBlock) bytes")
                }
                continuation = (id, block, endStream, 0)
            }
        case .priority:
            return
        case .rstStream(let id, _):
            guard id <= lastStream else { throw .connection(.protocolError, "RST_STREAM on stream \(id), which is idle") }
            if let state = streams.removeValue(forKey: id) { buffered -= state.held }
        case .settings(let ack, let parameters):
            guard !ack else { return }
            try apply(parameters)
            output.send += HTTP2Frame.settings(ack: true, parameters: []).serialized()
            output.send += flushAll()
        case .pushPromise:
            throw .connection(.protocolError, "a client sent PUSH_PROMISE")
        case .ping(let ack, let opaque):
            if !ack { output.send += HTTP2Frame.ping(ack: true, opaque: opaque).serialized() }
        case .goAway:
            peerWentAway = true
        case .windowUpdate(let id, let increment):
            if id == 0 {
                guard increment > 0 else { throw .connection(.protocolError, "a WINDOW_UPDATE of 0 on the connection") }
                guard connectionSendWindow + Int(increment) <= Self.maxWindow else {
                    throw .connection(.flowControlError, "a WINDOW_UPDATE past 2^31-1 on the connection")
                }
                connectionSendWindow += Int(increment)
                output.send += flushAll()
                return
            }
            guard id <= lastStream else { throw .connection(.protocolError, "WINDOW_UPDATE on stream \(id), which is idle") }
            guard streams[id] != nil else { return }
            guard increment > 0 else {
                reset(id, .protocolError, into: &output)
                return
            }
            guard streams[id]!.sendWindow + Int(increment) <= Self.maxWindow else {
                reset(id, .flowControlError, into: &output)
                return
            }
            streams[id]!.sendWindow += Int(increment)
            output.send += flush(id)
        case .continuation(let id, _, _):
            throw .connection(.protocolError, "CONTINUATION on stream \(id) without HEADERS before it")
        case .unknown:
            return
        }
    }

    private mutating func apply(_ parameters: [(id: UInt16, value: UInt32)]) throws(HTTP2Error) {
        for parameter in parameters {
            switch HTTP2Setting(rawValue: parameter.id) {
            case .enablePush:
                guard parameter.value <= 1 else { throw .connection(.protocolError, "SETTINGS_ENABLE_PUSH of \(parameter.value)") }
            case .initialWindowSize:
                guard Int(parameter.value) <= Self.maxWindow else {
                    throw .connection(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE of \(parameter.value), past 2^31-1")
                }
                let delta = Int(parameter.value) - peerInitialWindow
                for id in streams.keys {
                    guard streams[id]!.sendWindow + delta <= Self.maxWindow else {
                        throw .connection(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE takes stream \(id)'s window past 2^31-1")
                    }
                    streams[id]!.sendWindow += delta
                }
                peerInitialWindow = Int(parameter.value)
            case .maxFrameSize:
                guard (HTTP2Frame.defaultMaxFrameSize...16_777_215).contains(Int(parameter.value)) else {
                    throw .connection(.protocolError, "SETTINGS_MAX_FRAME_SIZE of \(parameter.value), outside 16384...16777215")
                }
                peerMaxFrameSize = Int(parameter.value)
            case .headerTableSize, .maxConcurrentStreams, .maxHeaderListSize, nil:
                // The encoder never indexes and the server opens no streams; unknown settings are ignored (6.5.2).
                continue
            }
        }
    }

    private mutating func headerBlock(_ id: UInt32, _ block: [UInt8], endStream: Bool, into output: inout Output) throws(HTTP2Error) {
        var fields: [HeaderField]?
        var tooLarge = false
        do {
            fields = try decoder.decode(block)
        } catch .headerListTooLarge {
            tooLarge = true
        } catch {
            throw .connection(.compressionError, "HPACK: \(error)")
        }
        if var stream = streams[id] {
            // Trailers: they end the request and carry nothing unary gRPC reads.
            guard endStream, !stream.remoteClosed else {
                throw .connection(.protocolError, "a second HEADERS on stream \(id) that does not end it")
            }
            stream.remoteClosed = true
            streams[id] = stream
            complete(id, into: &output)
            return
        }
        guard id > lastStream else {
            if resetByUs.contains(id) { return }
            throw .connection(.streamClosed, "HEADERS on stream \(id), which is closed")
        }
        lastStream = id
        guard !peerWentAway else { return }
        guard streams.count < limits.maxConcurrentStreams else {
            remember(reset: id)
            output.send += HTTP2Frame.rstStream(stream: id, code: HTTP2ErrorCode.refusedStream.rawValue).serialized()
            return
        }
        var stream = Stream(fields: fields, receiveWindow: limits.initialWindow, sendWindow: peerInitialWindow)
        stream.remoteClosed = endStream
        if tooLarge {
            stream.handedOn = true
            output.events.append(.refused(stream: id, .headerListTooLarge(limit: limits.maxHeaderListSize)))
        }
        streams[id] = stream
        if endStream { complete(id, into: &output) }
    }

    /// The request on a stream whose peer half just closed, unless it was already refused.
    private mutating func complete(_ id: UInt32, into output: inout Output) {
        guard var stream = streams[id], !stream.handedOn, let fields = stream.fields else { return }
        stream.handedOn = true
        output.events.append(.request(HTTP2Request(stream: id, fields: fields, body: stream.body)))
        stream.body = []
        streams[id] = stream
    }

    /// The bytes of a response: HEADERS now, then DATA as the peer's windows allow, then trailers. With an
    /// empty body and no trailers, `fields` alone end the stream (a gRPC "trailers-only" response). A
    /// stream the peer is still sending on is reset with NO_ERROR after the response (RFC 9113 8.1).
    /// Nothing for a stream that is gone (reset by the peer).
    mutating func respond(stream id: UInt32, fields: [HeaderField], body: [UInt8], trailers: [HeaderField]) -> [UInt8] {
        guard !closed, var stream = streams[id], !stream.responding else { return [] }
        let trailersOnly = body.isEmpty && trailers.isEmpty
        var out = headerFrames(id, HPACKEncoder.encode(fields), endStream: trailersOnly)
        if trailersOnly {
            out += finish(id)
            return out
        }
        stream.responding = true
        stream.pendingData = body
        stream.pendingTrailers = HPACKEncoder.encode(trailers)
        streams[id] = stream
        return out + flush(id)
    }

    private func headerFrames(_ id: UInt32, _ block: [UInt8], endStream: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        repeat {
            let end = min(block.count, offset + peerMaxFrameSize)
            let piece = Array(block[offset..<end])
            let last = end == block.count
            out +=
                offset == 0
                ? HTTP2Frame.headers(stream: id, block: piece, endStream: endStream, endHeaders: last).serialized()
                : HTTP2Frame.continuation(stream: id, block: piece, endHeaders: last).serialized()
            offset = end
        } while offset < block.count
        return out
    }

    private mutating func flushAll() -> [UInt8] {
        var out: [UInt8] = []
        for id in streams.keys.sorted() where streams[id]?.responding == true { out += flush(id) }
        return out
    }

    /// Sends what the windows allow of a stream's pending response; the trailers when all DATA is out.
    private mutating func flush(_ id: UInt32) -> [UInt8] {
        guard var stream = streams[id], stream.responding else { return [] }
        var out: [UInt8] = []
        while !stream.pendingData.isEmpty {
            let allowed = min(stream.pendingData.count, connectionSendWindow, stream.sendWindow, peerMaxFrameSize)
            guard allowed > 0 else { break }
            out += HTTP2Frame.data(stream: id, bytes: Array(stream.pendingData.prefix(allowed)), endStream: false, flowLength: allowed).serialized()
            stream.pendingData.removeFirst(allowed)
            connectionSendWindow -= allowed
            stream.sendWindow -= allowed
        }
        streams[id] = stream
        guard stream.pendingData.isEmpty, let trailers = stream.pendingTrailers else { return out }
        out += headerFrames(id, trailers, endStream: true)
        return out + finish(id)
    }

    private mutating func finish(_ id: UInt32) -> [UInt8] {
        guard let stream = streams.removeValue(forKey: id) else { return [] }
        buffered -= stream.held
        guard !stream.remoteClosed else { return [] }
        remember(reset: id)
        return HTTP2Frame.rstStream(stream: id, code: HTTP2ErrorCode.noError.rawValue).serialized()
    }
}

/// One complete request: its header fields (pseudo-headers included) and body.
struct HTTP2Request: Sendable, Equatable {
    var stream: UInt32
    var fields: [HeaderField]
    var body: [UInt8]

    func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

/// A request the connection will not hand on, to be answered with an error on its stream.
enum HTTP2Refusal: Sendable, Equatable {
    case headerListTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    /// The connection already holds this many request bytes not yet answered.
    case overloaded(limit: Int)
}

enum HTTP2Event: Sendable, Equatable {
    case request(HTTP2Request)
    case refused(stream: UInt32, HTTP2Refusal)
}
