/// HTTP/2 frames (RFC 9113 sections 4 and 6, https://www.rfc-editor.org/rfc/rfc9113): parsing from and
/// serializing to bytes, with the size and stream-zero rules of each frame type. No I/O, no state.

/// RFC 9113 section 7 error codes.
enum HTTP2ErrorCode: UInt32, Sendable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case settingsTimeout = 0x4
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case cancel = 0x8
    case compressionError = 0x9
    case connectError = 0xA
    case enhanceYourCalm = 0xB
    case inadequateSecurity = 0xC
    case http11Required = 0xD
}

/// A frame that breaks the rules: a connection error (stream 0) or a stream error, with its code and what
/// was wrong, which the GOAWAY or RST_STREAM names.
struct HTTP2Error: Error, Equatable, Sendable, CustomStringConvertible {
    var code: HTTP2ErrorCode
    /// 0 for a connection error.
    var stream: UInt32
    var message: String

    static func connection(_ code: HTTP2ErrorCode, _ message: String) -> HTTP2Error {
        HTTP2Error(code: code, stream: 0, message: message)
    }

    var description: String { message }
}

/// SETTINGS parameter identifiers (RFC 9113 6.5.2).
enum HTTP2Setting: UInt16, Sendable {
    case headerTableSize = 0x1
    case enablePush = 0x2
    case maxConcurrentStreams = 0x3
    case initialWindowSize = 0x4
    case maxFrameSize = 0x5
    case maxHeaderListSize = 0x6
}

/// One frame, decoded. Padding is removed; `flowLength` keeps what flow control counts.
enum HTTP2Frame: Equatable, Sendable {
    /// `flowLength` is the whole payload, padding included (RFC 9113 6.1: all of it is flow-controlled).
    case data(stream: UInt32, bytes: [UInt8], endStream: Bool, flowLength: Int)
    case headers(stream: UInt32, block: [UInt8], endStream: Bool, endHeaders: Bool)
    case priority(stream: UInt32)
    case rstStream(stream: UInt32, code: UInt32)
    case settings(ack: Bool, parameters: [(id: UInt16, value: UInt32)])
    case pushPromise(stream: UInt32)
    case ping(ack: Bool, opaque: [UInt8])
    case goAway(lastStream: UInt32, code: UInt32, debug: [UInt8])
    case windowUpdate(stream: UInt32, increment: UInt32)
    case continuation(stream: UInt32, block: [UInt8], endHeaders: Bool)
    /// A type this implementation does not know: ignored (RFC 9113 4.1, 5.5).
    case unknown(type: UInt8, stream: UInt32)

    static let headerLength = 9
    /// SETTINGS_MAX_FRAME_SIZE's initial value, the largest frame a peer may send before settings say more.
    static let defaultMaxFrameSize = 16_384

    enum Kind: UInt8 {
        case data = 0x0, headers = 0x1, priority = 0x2, rstStream = 0x3, settings = 0x4, pushPromise = 0x5
        case ping = 0x6, goAway = 0x7, windowUpdate = 0x8, continuation = 0x9

        /// The name RFC 9113 section 6 gives the type, for error messages.
        var name: String {
            switch self {
            case .data: "DATA"
            case .headers: "HEADERS"
            case .priority: "PRIORITY"
            case .rstStream: "RST_STREAM"
            case .settings: "SETTINGS"
            case .pushPromise: "PUSH_PROMISE"
            case .ping: "PING"
            case .goAway: "GOAWAY"
            case .windowUpdate: "WINDOW_UPDATE"
            case .continuation: "CONTINUATION"
            }
        }
    }

    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    static func == (lhs: HTTP2Frame, rhs: HTTP2Frame) -> Bool {
        switch (lhs, rhs) {
        case (.settings(let a, let p), .settings(let b, let q)):
            a == b && p.count == q.count && zip(p, q).allSatisfy { $0.id == $1.id && $0.value == $1.value }
        default: lhs.serialized() == rhs.serialized()
        }
    }

    /// The stream a frame is on (0 for connection frames).
    var stream: UInt32 {
        switch self {
        case .data(let s, _, _, _), .headers(let s, _, _, _), .priority(let s), .rstStream(let s, _),
            .pushPromise(let s), .windowUpdate(let s, _), .continuation(let s, _, _), .unknown(_, let s):
            s
        case .settings, .ping, .goAway: 0
        }
    }

    /// Parses the frame at the start of `bytes`: nil when it is not all there yet, else the frame and how
    /// many bytes it took.
    ///
    /// - Parameter maxFrameSize: our SETTINGS_MAX_FRAME_SIZE; a longer frame is a FRAME_SIZE_ERROR (4.2).
    /// - Throws: an `HTTP2Error` for a frame that violates its type's rules.
    static func parse(_ bytes: ArraySlice<UInt8>, maxFrameSize: Int = defaultMaxFrameSize) throws(HTTP2Error) -> (HTTP2Frame, Int)? {
        guard bytes.count >= headerLength else { return nil }
        let base = bytes.startIndex
        let length = Int(bytes[base]) << 16 | Int(bytes[base + 1]) << 8 | Int(bytes[base + 2])
        let type = bytes[base + 3]
        let flags = bytes[base + 4]
        let stream = readUInt32(bytes, 5) & 0x7FFF_FFFF
        guard length <= maxFrameSize else {
            throw .connection(.frameSizeError, "a frame of \(length) bytes is larger than the \(maxFrameSize) allowed")
        }
        guard bytes.count >= headerLength + length else { return nil }
        let payload = Array(bytes[(base + headerLength)..<(base + headerLength + length)])
        let frame = try decode(type: type, flags: flags, stream: stream, payload: payload)
        return (frame, headerLength + length)
    }

    private static func decode(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) throws(HTTP2Error) -> HTTP2Frame {
        guard let kind = Kind(rawValue: type) else { return .unknown(type: type, stream: stream) }
        let name = kind.name
        func onStream() throws(HTTP2Error) {
            guard stream != 0 else { throw .connection(.protocolError, "a \(name) frame on stream 0") }
        }
        func onConnection() throws(HTTP2Error) {
            guard stream == 0 else { throw .connection(.protocolError, "a \(name) frame on stream \(stream), not 0") }
        }
        func unpadded() throws(HTTP2Error) -> ArraySlice<UInt8> {
            guard flags & Flag.padded != 0 else { return payload[...] }
            guard let pad = payload.first, Int(pad) < payload.count else {
                throw .connection(.protocolError, "a \(name) frame's padding is longer than its payload")
            }
            return payload[1..<(payload.count - Int(pad))]
        }
        switch kind {
        case .data:
            try onStream()
            return .data(stream: stream, bytes: Array(try unpadded()), endStream: flags & Flag.endStream != 0, flowLength: payload.count)
        case .headers:
            try onStream()
            var block = try unpadded()
            if flags & Flag.priority != 0 {
                guard block.count >= 5 else { throw .connection(.frameSizeError, "a HEADERS frame too short for its priority") }
                block = block.dropFirst(5)
            }
            return .headers(
                stream: stream, block: Array(block), endStream: flags & Flag.endStream != 0,
                endHeaders: flags & Flag.endHeaders != 0)
        case .priority:
            try onStream()
            guard payload.count == 5 else {
                throw HTTP2Error(code: .frameSizeError, stream: stream, message: "a PRIORITY frame of \(payload.count) bytes, not 5")
            }
            return .priority(stream: stream)
        case .rstStream:
            try onStream()
            guard payload.count == 4 else { throw .connection(.frameSizeError, "a RST_STREAM frame of \(payload.count) bytes, not 4") }
            return .rstStream(stream: stream, code: readUInt32(payload[...], 0))
        case .settings:
            try onConnection()
            let ack = flags & Flag.ack != 0
            guard !ack || payload.isEmpty else { throw .connection(.frameSizeError, "a SETTINGS acknowledgement with a payload") }
            guard payload.count % 6 == 0 else {
                throw .connection(.frameSizeError, "a SETTINGS frame of \(payload.count) bytes, not a multiple of 6")
            }
            let parameters = stride(from: 0, to: payload.count, by: 6).map { offset in
                (id: UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1]), value: readUInt32(payload[...], offset + 2))
            }
            return .settings(ack: ack, parameters: parameters)
        case .pushPromise:
            return .pushPromise(stream: stream)
        case .ping:
            try onConnection()
            guard payload.count == 8 else { throw .connection(.frameSizeError, "a PING frame of \(payload.count) bytes, not 8") }
            return .ping(ack: flags & Flag.ack != 0, opaque: payload)
        case .goAway:
            try onConnection()
            guard payload.count >= 8 else { throw .connection(.frameSizeError, "a GOAWAY frame of \(payload.count) bytes, under 8") }
            return .goAway(
                lastStream: readUInt32(payload[...], 0) & 0x7FFF_FFFF, code: readUInt32(payload[...], 4),
                debug: Array(payload[8...]))
        case .windowUpdate:
            guard payload.count == 4 else { throw .connection(.frameSizeError, "a WINDOW_UPDATE frame of \(payload.count) bytes, not 4") }
            return .windowUpdate(stream: stream, increment: readUInt32(payload[...], 0) & 0x7FFF_FFFF)
        case .continuation:
            try onStream()
            return .continuation(stream: stream, block: payload, endHeaders: flags & Flag.endHeaders != 0)
        }
    }

    /// The frame as bytes: 9-byte header, then payload, unpadded.
    func serialized() -> [UInt8] {
        func frame(_ kind: Kind, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [
                UInt8(payload.count >> 16 & 0xFF), UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF),
                kind.rawValue, flags,
            ]
            Self.appendUInt32(stream, to: &out)
            return out + payload
        }
        func word(_ value: UInt32) -> [UInt8] {
            var out: [UInt8] = []
            Self.appendUInt32(value, to: &out)
            return out
        }
        switch self {
        case .data(let stream, let bytes, let endStream, _):
            return frame(.data, endStream ? Flag.endStream : 0, stream, bytes)
        case .headers(let stream, let block, let endStream, let endHeaders):
            return frame(.headers, (endStream ? Flag.endStream : 0) | (endHeaders ? Flag.endHeaders : 0), stream, block)
        case .priority(let stream):
            return frame(.priority, 0, stream, [0, 0, 0, 0, 15])
        case .rstStream(let stream, let code):
            return frame(.rstStream, 0, stream, word(code))
        case .settings(let ack, let parameters):
            var payload: [UInt8] = []
            for parameter in parameters {
                payload += [UInt8(parameter.id >> 8), UInt8(parameter.id & 0xFF)]
                Self.appendUInt32(parameter.value, to: &payload)
            }
            return frame(.settings, ack ? Flag.ack : 0, 0, payload)
        case .pushPromise(let stream):
            return frame(.pushPromise, Flag.endHeaders, stream, word(stream + 1))
        case .ping(let ack, let opaque):
            return frame(.ping, ack ? Flag.ack : 0, 0, opaque)
        case .goAway(let lastStream, let code, let debug):
            return frame(.goAway, 0, 0, word(lastStream) + word(code) + debug)
        case .windowUpdate(let stream, let increment):
            return frame(.windowUpdate, 0, stream, word(increment))
        case .continuation(let stream, let block, let endHeaders):
            return frame(.continuation, endHeaders ? Flag.endHeaders : 0, stream, block)
        case .unknown(let type, let stream):
            var out: [UInt8] = [0, 0, 0, type, 0]
            Self.appendUInt32(stream, to: &out)
            return out
        }
    }

    static func readUInt32(_ bytes: ArraySlice<UInt8>, _ offset: Int) -> UInt32 {
        let i = bytes.startIndex + offset
        return UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }

    static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
