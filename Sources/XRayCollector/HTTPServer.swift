import CXRaySystem
import Synchronization
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request, as the small parser read it.
struct HTTPRequest: Sendable {
    var method: String
    /// The path without the query string.
    var path: String
    /// Header names lower-cased, in arrival order.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// `127.0.0.1:40112`.
    var peer: String

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// One HTTP response; error responses use the rest-json shape the AWS SDKs decode.
struct HTTPResponse: Sendable {
    var status: Int
    var body: [UInt8]
    var close = false
    /// Extra response headers (CORS for an allowed origin).
    var headers: [(name: String, value: String)] = []

    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(JSONWriter.string(value).utf8))
    }

    /// `{"__type": "...", "message": "..."}` with a 4xx/5xx status (reference 1.5, rest-json errors).
    static func error(_ status: Int, _ type: String, _ message: String, close: Bool = false) -> HTTPResponse {
        var response = json(.object(JSONObject([("__type", .string(type)), ("message", .string(message))])), status: status)
        response.close = close
        return response
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 403: "Forbidden"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    func serialized() -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Content-Type: application/json\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// A minimal HTTP/1.1 server over blocking sockets: one thread per connection, a cap on connections,
/// read deadlines, and a 1 MiB body limit, so slow or hostile clients cannot harm UDP intake.
///
/// It speaks only what the SDK pollers, the AWS CLI and boto3 send: `Content-Length` bodies, keep-alive,
/// and `Expect: 100-continue`. Chunked bodies are refused with 411.
final class HTTPServer: Sendable {
    static let maxBody = 1 << 20
    static let maxHead = 16 * 1024
    static let maxConnections = 32
    /// A connection idle this long between requests is closed; a request must arrive whole within `requestDeadline`.
    static let idleSeconds = 5
    static let requestDeadline = 10.0

    let listenFD: Int32
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let counters: LiveCounters
    let stopping: StopFlag
    let policy: RequestPolicy
    /// The configured listening host, lower-cased, and `localhost`: what `Host` may name besides the local IP.
    let servedHosts: Set<String>
    let port: Int
    private let active = Mutex<Set<Int32>>([])

    init(
        listenFD: Int32, counters: LiveCounters, stopping: StopFlag, policy: RequestPolicy = RequestPolicy(),
        endpoint: Endpoint, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.listenFD = listenFD
        self.counters = counters
        self.stopping = stopping
        self.policy = policy
        let host = endpoint.host.lowercased()
        self.servedHosts = [host.contains(":") ? "[\(host)]" : host, "localhost"]
        self.port = endpoint.port
        self.handler = handler
    }

    /// Accepts connections until `shutdown`.
    func acceptLoop() {
        while !stopping.isSet {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { xr_accept_cloexec(listenFD, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                    continue
                }
                return
            }
            Sockets.setTimeouts(fd, seconds: Self.idleSeconds)
            let admitted = active.withLock { set -> Bool in
                guard set.count < Self.maxConnections, !stopping.isSet else { return false }
                set.insert(fd)
                return true
            }
            guard admitted else {
                counters.httpRefused.add(1, ordering: .relaxed)
                _ = Sockets.writeAll(fd, HTTPResponse.error(
                    503, "ThrottledException", "too many open connections (\(Self.maxConnections)); retry later", close: true
                ).serialized())
                close(fd)
                continue
            }
            let peer = Sockets.format(address)
            do {
                let thread = try NativeThread.start("xray-http") { [self] in
                    serve(fd, peer: peer)
                    active.withLock { _ = $0.remove(fd) }
                    close(fd)
                }
                thread.detach()
            } catch {
                active.withLock { _ = $0.remove(fd) }
                close(fd)
            }
        }
    }

    /// Stops accepting, cuts open connections, and waits (bounded) for their threads to end.
    func shutdownConnections() {
        _ = Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        active.withLock { set in for fd in set { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) } }
        let deadline = monotonicNow() + 3
        while active.withLock({ !$0.isEmpty }), monotonicNow() < deadline { usleep(5_000) }
    }

    /// Serves requests on one connection until it closes, errs, idles out or asks to close.
    func serve(_ fd: Int32, peer: String) {
        var hosts = servedHosts
        if let local = Sockets.localHost(fd) { hosts.insert(local) }
        var buffer: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        /// Reads more bytes into `buffer`; false on EOF, error, timeout or a passed deadline.
        func fill(deadline: Double) -> Bool {
            guard monotonicNow() < deadline, !stopping.isSet else { return false }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { return fill(deadline: deadline) }
            guard n > 0 else { return false }
            buffer.append(contentsOf: scratch[0..<n])
            return true
        }
        func respond(_ response: HTTPResponse) -> Bool {
            counters.httpRequests.add(1, ordering: .relaxed)
            return Sockets.writeAll(fd, response.serialized()) && !response.close
        }
        while !stopping.isSet {
            var deadline = monotonicNow() + Double(Self.idleSeconds)
            var headEnd: Int?
            var searched = 0
            while headEnd == nil {
                headEnd = Self.findHeadEnd(buffer, from: max(0, searched - 3))
                if headEnd != nil { break }
                searched = buffer.count
                if buffer.count > Self.maxHead {
                    _ = respond(.error(431, "RequestHeaderFieldsTooLarge", "request head over \(Self.maxHead) bytes", close: true))
                    return
                }
                let hadBytes = !buffer.isEmpty
                guard fill(deadline: deadline) else {
                    if hadBytes { _ = respond(.error(408, "RequestTimeout", "the request did not arrive in time", close: true)) }
                    return
                }
                // The request started: it gets the full deadline from its first byte.
                if !hadBytes { deadline = monotonicNow() + Self.requestDeadline }
            }
            guard let headEnd else { return }
            let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
            buffer.removeFirst(headEnd + 4)
            guard var request = Self.parseHead(head, peer: peer) else {
                _ = respond(.error(400, "BadRequest", "malformed HTTP request line or header", close: true))
                return
            }
            if let encoding = request.header("transfer-encoding"), encoding.lowercased() != "identity" {
                _ = respond(.error(411, "LengthRequired", "send the body with Content-Length; chunked bodies are not supported", close: true))
                return
            }
            let length: Int
            if let text = request.header("content-length") {
                guard let value = Int(text.trimmingSpaces), value >= 0 else {
                    _ = respond(.error(400, "BadRequest", "Content-Length \"\(text)\" is not a number", close: true))
                    return
                }
                length = value
            } else {
                length = 0
            }
            guard length <= Self.maxBody else {
                _ = respond(.error(413, "RequestEntityTooLarge", "request body of \(length) bytes is over the 1 MiB limit", close: true))
                return
            }
            // Before the body is read: a refused request costs no more than its head.
            if let refusal = policy.refusal(request, servedHosts: hosts, port: port, bodyLength: length) {
                counters.httpRefused.add(1, ordering: .relaxed)
                _ = respond(refusal)
                return
            }
            if let preflight = policy.preflight(request) {
                guard length == 0, respond(preflight) else { return }
                continue
            }
            if request.header("expect")?.lowercased() == "100-continue", buffer.count < length {
                guard Sockets.writeAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            }
            while buffer.count < length {
                guard fill(deadline: deadline) else {
                    _ = respond(.error(408, "RequestTimeout", "the request body did not arrive in time", close: true))
                    return
                }
            }
            request.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
            var response = handler(request)
            response.headers += policy.corsHeaders(request)
            if request.header("connection")?.lowercased() == "close" { response.close = true }
            guard respond(response) else { return }
        }
    }

    static func findHeadEnd(_ buffer: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var i = start
        while i + 3 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Parses `METHOD SP target SP HTTP/1.x` and the header lines; nil when malformed.
    static func parseHead(_ head: String, peer: String) -> HTTPRequest? {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append((String(line[..<colon]).lowercased(), String(line[line.index(after: colon)...]).trimmingSpaces))
        }
        let target = requestLine[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? target
        return HTTPRequest(method: String(requestLine[0]), path: String(path), headers: headers, body: [], peer: peer)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return String(s)
    }
}
