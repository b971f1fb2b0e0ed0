/// Unary gRPC as a transport adapter over the collector's HTTP handlers: a completed HTTP/2 request for an
/// OTLP service becomes the `POST /v1/...` OTLP/HTTP request it is equivalent to, and the HTTP answer
/// becomes a gRPC response. The wire format is gRPC's "PROTOCOL-HTTP2"
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): a request body is one
/// length-prefixed message (a compressed flag byte, a 4-byte big-endian length, the message), the status
/// travels in the `grpc-status` and `grpc-message` trailers, and the codes are those of
/// https://github.com/grpc/grpc/blob/master/doc/statuscodes.md.
import XRayWire

enum GRPC {
    /// gRPC status codes used here.
    enum Status: Int, Sendable {
        case ok = 0
        case invalidArgument = 3
        case resourceExhausted = 8
        case unimplemented = 12
        case `internal` = 13
        case unavailable = 14
    }

    /// The OTLP services (opentelemetry-proto, opentelemetry/proto/collector/*/v1/*_service.proto) and the
    /// OTLP/HTTP path each one's Export is equivalent to.
    static let routes: [String: String] = [
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export": "/v1/traces",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export": "/v1/metrics",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export": "/v1/logs",
    ]

    /// What to do with one HTTP/2 event.
    enum Action: Sendable {
        /// Hand the request to the HTTP handler, and answer with `response(stream:to:)` of its result.
        case forward(stream: UInt32, HTTPRequest)
        /// Answer at once.
        case answer(Answer)
    }

    /// A gRPC response: the HTTP/2 header fields, the body (one length-prefixed message, or empty) and the
    /// trailers (empty for a "trailers-only" response, whose fields carry the status).
    struct Answer: Sendable, Equatable {
        var stream: UInt32
        var fields: [HeaderField]
        var body: [UInt8] = []
        var trailers: [HeaderField] = []
    }

    /// The action for one event from `HTTP2Connection`.
    ///
    /// - Parameters:
    ///   - peer: the client's address, carried into the HTTP request.
    ///   - hostAllowed: whether an `:authority` names this server (the HTTP server's `Host` rule).
    static func action(for event: HTTP2Event, peer: String, hostAllowed: (String) -> Bool) -> Action {
        switch event {
        case .refused(let stream, .headerListTooLarge(let limit)):
            return .answer(failure(stream, .resourceExhausted, "the request's header list is larger than \(limit) bytes"))
        case .refused(let stream, .bodyTooLarge(let limit)):
            return .answer(failure(stream, .resourceExhausted, "the request message is larger than \(limit - 5) bytes"))
        case .refused(let stream, .overloaded(let limit)):
            return .answer(failure(stream, .unavailable, "this connection holds \(limit) bytes of calls not yet answered; retry"))
        case .request(let request):
            return action(for: request, peer: peer, hostAllowed: hostAllowed)
        }
    }

    private static func action(for request: HTTP2Request, peer: String, hostAllowed: (String) -> Bool) -> Action {
        let stream = request.stream
        let contentType = request.field("content-type") ?? ""
        guard request.field(":method") == "POST", contentType.lowercased().hasPrefix("application/grpc") else {
            // PROTOCOL-HTTP2: a request that is not gRPC gets an HTTP status, not a gRPC one.
            return .answer(
                Answer(
                    stream: stream, fields: [HeaderField(":status", "415"), HeaderField("content-type", "text/plain")],
                    body: Array("this port serves gRPC (POST with content-type application/grpc) and HTTP/1.1\n".utf8),
                    trailers: []))
        }
        let authority = request.field(":authority") ?? request.field("host") ?? ""
        guard hostAllowed(authority) else {
            return .answer(
                failure(
                    stream, .invalidArgument,
                    "authority \"\(authority)\" does not name this collector's address; only local clients may use it"))
        }
        let path = request.field(":path") ?? ""
        guard let target = routes[path] else {
            return .answer(failure(stream, .unimplemented, "unknown method \(path); this collector serves the OTLP Export methods"))
        }
        let body = request.body
        guard body.count >= 5 else {
            return .answer(failure(stream, .internal, "the request has \(body.count) bytes, too few for a length-prefixed message"))
        }
        let length = Int(HTTP2Frame.readUInt32(body[...], 1))
        guard body.count - 5 == length else {
            return .answer(
                failure(
                    stream, .internal,
                    "the message prefix says \(length) bytes but \(body.count - 5) follow; unary calls send one message"))
        }
        var headers: [(name: String, value: String)] = [("host", authority), ("content-type", "application/x-protobuf")]
        switch body[0] {
        case 0:
            break
        case 1:
            let encoding = (request.field("grpc-encoding") ?? "identity").lowercased()
            guard encoding == "gzip" || encoding == "deflate" else {
                var answer = failure(stream, .unimplemented, "messages compressed with \"\(encoding)\" are not supported; use gzip")
                answer.fields.append(HeaderField("grpc-accept-encoding", "identity,deflate,gzip"))
                return .answer(answer)
            }
            headers.append(("content-encoding", encoding))
        default:
            return .answer(failure(stream, .internal, "the message's compressed flag is \(body[0]), not 0 or 1"))
        }
        if let agent = request.field("user-agent") { headers.append(("user-agent", agent)) }
        let http = HTTPRequest(method: "POST", path: target, headers: headers, body: Array(body[5...]), peer: peer)
        return .forward(stream: stream, http)
    }

    /// The gRPC response for the HTTP handler's answer to a forwarded request.
    static func response(stream: UInt32, to http: HTTPResponse) -> Answer {
        guard http.status == 200 else {
            return failure(stream, status(forHTTP: http.status), errorMessage(http) ?? "HTTP status \(http.status)")
        }
        var body: [UInt8] = [0]
        HTTP2Frame.appendUInt32(UInt32(http.body.count), to: &body)
        body += http.body
        return Answer(
            stream: stream, fields: [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")],
            body: body, trailers: [HeaderField("grpc-status", String(Status.ok.rawValue))])
    }

    /// The gRPC code for an OTLP/HTTP status, as the OTLP specification pairs them (otlp.md, "Failures").
    static func status(forHTTP code: Int) -> Status {
        switch code {
        case 400, 415: .invalidArgument
        case 413, 429: .resourceExhausted
        case 404: .unimplemented
        case 503: .unavailable
        default: .internal
        }
    }

    /// A trailers-only error response.
    static func failure(_ stream: UInt32, _ status: Status, _ message: String) -> Answer {
        Answer(
            stream: stream,
            fields: [
                HeaderField(":status", "200"), HeaderField("content-type", "application/grpc"),
                HeaderField("grpc-status", String(status.rawValue)), HeaderField("grpc-message", percentEncoded(message)),
            ])
    }

    /// PROTOCOL-HTTP2's `grpc-message`: UTF-8, with bytes outside printable ASCII and `%` percent-encoded.
    static func percentEncoded(_ message: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in message.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The message of an error body: plain text, the `message` of a JSON error, or of a protobuf `google.rpc.Status`
    /// (field 2, https://github.com/googleapis/googleapis/blob/master/google/rpc/status.proto), as OTLP/HTTP
    /// answers protobuf requests.
    static func errorMessage(_ http: HTTPResponse) -> String? {
        if http.contentType.hasPrefix("text/") {
            let text = String(decoding: http.body, as: UTF8.self).trimmingSpaces
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
        if case .object(let object)? = try? JSONParser.parse(http.body).value, case .string(let message)? = object["message"] {
            return message
        }
        return statusMessage(http.body)
    }

    /// Field 2 of a protobuf message, if it is a string and the message is well formed up to it.
    static func statusMessage(_ bytes: [UInt8]) -> String? {
        var position = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while position < bytes.count {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: position += 8
            case 5: position += 4
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                let end = position + Int(length)
                if key >> 3 == 2 { return String(decoding: bytes[position..<end], as: UTF8.self) }
                position = end
            default: return nil
            }
        }
        return nil
    }
}
