import Synchronization
import XRayOTel
import XRayStore
import XRaySystem
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// Where `--forward-otlp` sends: a plain-HTTP OTLP/HTTP traces endpoint.
package struct OTLPForwardTarget: Sendable, Hashable, CustomStringConvertible {
    package var endpoint: Endpoint
    /// The request target: the URL's path, or `/v1/traces` when it has none, as the OpenTelemetry SDKs treat
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/#endpoint-urls-for-otlphttp).
    package var path: String
    /// The `Host` header: the URL's authority as written.
    package var authority: String

    package var description: String { "http://\(authority)\(path)" }

    /// Parses `http://host[:port][/path]`; the port defaults to 80.
    package static func parse(_ url: String) throws(OTLPForwardError) -> OTLPForwardTarget {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") { throw .httpsUnsupported(url) }
        guard lower.hasPrefix("http://") else { throw .invalidURL(url, reason: "expected http://host:port[/path]") }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        let path = rest[slash...].isEmpty || rest[slash...] == "/" ? "/v1/traces" : String(rest[slash...])
        guard !authority.isEmpty else { throw .invalidURL(url, reason: "the host is empty") }
        guard !authority.contains("@"), !path.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "#" }) else {
            throw .invalidURL(url, reason: "user info, fragments and spaces are not supported")
        }
        var host = authority, port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "an IPv6 literal lacks its ']'") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65_535).contains(p) else {
                    throw .invalidURL(url, reason: "the port is not a number from 1 to 65535")
                }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(p) else {
                throw .invalidURL(url, reason: "the port is not a number from 1 to 65535")
            }
            port = p
        }
        guard !host.isEmpty else { throw .invalidURL(url, reason: "the host is empty") }
        return OTLPForwardTarget(endpoint: Endpoint(host: host, port: port), path: path, authority: authority)
    }
}

/// Why a forward URL is refused.
package enum OTLPForwardError: Error, Sendable, Hashable, CustomStringConvertible {
    case httpsUnsupported(String)
    case invalidURL(String, reason: String)

    package var description: String {
        switch self {
        case .httpsUnsupported(let url):
            "\(url): https is not supported (xray has no TLS library); forward to a local OpenTelemetry Collector "
                + "over http (http://127.0.0.1:4318) and let it export over TLS"
        case .invalidURL(let url, let reason): "\(url): \(reason)"
        }
    }
}

/// When a failed export is tried again, as the OTLP specification asks
/// (https://opentelemetry.io/docs/specs/otlp/#failures-1): 429, 502, 503 and 504 and connection errors are
/// retried with exponential backoff and jitter, honouring `Retry-After`; other answers are final.
package struct RetryPolicy: Sendable, Hashable {
    /// The first wait, doubled on each further try up to `maxDelay`.
    package var initialDelay = 0.5
    package var maxDelay = 30.0
    /// Tries of one batch in all, the first included.
    package var maxAttempts = 6

    package init(initialDelay: Double = 0.5, maxDelay: Double = 30.0, maxAttempts: Int = 6) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    package enum Outcome: Sendable, Hashable {
        case delivered, retry, rejected
    }

    /// What an HTTP status means for the batch.
    package static func outcome(status: Int) -> Outcome {
        switch status {
        case 200..<300: .delivered
        case 429, 502, 503, 504: .retry
        default: .rejected
        }
    }

    /// Seconds to wait before try `attempt + 1` (`attempt` counts from 1): the backoff `initialDelay · 2^(attempt-1)`
    /// capped at `maxDelay`, scaled by `jitter` (0..<1) into its upper half so that many daemons retrying at once
    /// spread out; a `Retry-After` in seconds wins when longer, capped at `maxDelay` too.
    package func delay(afterAttempt attempt: Int, retryAfter: Double?, jitter: Double) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 30))
        let backoff = min(maxDelay, initialDelay * pow(2, exponent))
        let jittered = backoff * (0.5 + 0.5 * min(max(jitter, 0), 1))
        guard let retryAfter, retryAfter.isFinite, retryAfter > 0 else { return jittered }
        return min(maxDelay, max(jittered, retryAfter))
    }

    /// `Retry-After` as delay-seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored (the backoff applies).
    package static func retryAfterSeconds(_ value: String?) -> Double? {
        guard let value, let seconds = Int(value.trimmingSpaces), seconds >= 0 else { return nil }
        return Double(seconds)
    }
}

/// Sends every stored document to an OTLP/HTTP backend on its own thread, never holding up the writer.
///
/// The writer hands over what it committed (`offer`); documents wait in a queue bounded in documents and
/// bytes, whose oldest are dropped and counted when the backend cannot keep up. Batches of up to
/// `batchSpans` spans, or whatever arrived within `batchDelay` of the first, go out as protobuf
/// `ExportTraceServiceRequest`s over one kept-alive connection. Documents translated from OpenTelemetry go
/// out as the spans the app sent; X-Ray SDK documents through `SegmentToSpans`. In-progress documents are not
/// sent: a span is exported once, when it ends.
package final class OTLPForwarder: Sendable {
    package struct Options: Sendable, Hashable {
        package var maxQueueDocuments = 100_000
        package var maxQueueBytes = 64 << 20
        package var batchSpans = 512
        package var batchDelay = 1.0
        /// Seconds to connect, and to send or read before a try counts as a connection error.
        package var timeout = 10.0
        package var retry = RetryPolicy()
        package init() {}
    }

    struct Queue: Sendable {
        var documents: [IncomingDocument] = []
        var head = 0
        var bytes = 0
        var spans = 0
        var closed = false
        var count: Int { documents.count - head }
    }

    let target: OTLPForwardTarget
    let options: Options
    let counters: LiveCounters
    let onWarning: (@Sendable (String) -> Void)?
    private let queue = Monitor(Queue())

    init(target: OTLPForwardTarget, options: Options, counters: LiveCounters, onWarning: (@Sendable (String) -> Void)?) {
        self.target = target
        self.options = options
        self.counters = counters
        self.onWarning = onWarning
    }

    static func spanCount(_ d: IncomingDocument) -> Int { d.originalSpan != nil ? 1 : d.document.entities.count }
    static func weight(_ d: IncomingDocument) -> Int { d.raw.count + (d.originalSpan?.count ?? 0) }

    /// Queues committed documents; called on the writer thread, it only appends (and drops the oldest past the bounds).
    func offer(_ documents: [IncomingDocument]) {
        let complete = documents.filter { !$0.document.inProgress }
        guard !complete.isEmpty else { return }
        var droppedNow = 0, firstDrop = false
        queue.withLock { q in
            guard !q.closed else { return }
            for d in complete {
                q.documents.append(d)
                q.bytes += Self.weight(d)
                q.spans += Self.spanCount(d)
            }
            while q.count > options.maxQueueDocuments || q.bytes > options.maxQueueBytes, q.head < q.documents.count {
                let oldest = q.documents[q.head]
                q.head += 1
                q.bytes -= Self.weight(oldest)
                q.spans -= Self.spanCount(oldest)
                droppedNow += Self.spanCount(oldest)
            }
            if q.head > 4096, q.head * 2 > q.documents.count {
                q.documents.removeFirst(q.head)
                q.head = 0
            }
        }
        if droppedNow > 0 {
            firstDrop = counters.forwardDropped.add(droppedNow, ordering: .relaxed).oldValue == 0
            if firstDrop {
                onWarning?(
                    "the OTLP forward queue is full (\(options.maxQueueDocuments) documents or \(options.maxQueueBytes >> 20) MiB): "
                        + "dropping the oldest; local storage goes on, the count of dropped spans is in the counters")
            }
        }
    }

    /// Stops taking documents; the thread sends what is queued (one try each once the backend failed) and ends.
    func close() {
        queue.withLock { $0.closed = true }
    }

    /// Takes the next batch: up to `batchSpans` spans, waiting at most `batchDelay` after the first arrives.
    func takeBatch() -> (documents: [IncomingDocument], closed: Bool) {
        let hasAny = queue.wait(until: { $0.count > 0 || $0.closed }, timeout: nil) { q, _ in q.count > 0 }
        if hasAny {
            queue.wait(until: { $0.spans >= self.options.batchSpans || $0.closed }, timeout: options.batchDelay) { _, _ in }
        }
        return queue.withLock { q in
            var out: [IncomingDocument] = []
            var spans = 0
            while q.head < q.documents.count {
                let d = q.documents[q.head]
                let n = Self.spanCount(d)
                if !out.isEmpty, spans + n > options.batchSpans { break }
                out.append(d)
                spans += n
                q.head += 1
                q.bytes -= Self.weight(d)
                q.spans -= n
            }
            if q.head == q.documents.count {
                q.documents.removeAll(keepingCapacity: true)
                q.head = 0
            }
            return (out, q.closed)
        }
    }

    /// Sleeps `seconds` unless the forwarder is closed meanwhile; true when closed.
    func pause(_ seconds: Double) -> Bool {
        queue.wait(until: { $0.closed }, timeout: seconds) { _, closed in closed }
    }

    /// The forwarder thread.
    func run() {
        let client = HTTPClient(target: target, timeout: options.timeout)
        var backendDown = false
        while true {
            let (documents, closed) = takeBatch()
            if documents.isEmpty {
                if closed { break }
                continue
            }
            let request = Self.request(documents)
            let body = OTLPProtobufEncoder.encode(request)
            let spans = request.spanCount
            backendDown = !send(body, spans: spans, client: client, retries: !(closed && backendDown))
        }
        client.disconnect()
    }

    /// Sends one batch, retrying by the policy (`retries` false: one try); true when the backend answered.
    func send(_ body: [UInt8], spans: Int, client: HTTPClient, retries: Bool) -> Bool {
        var attempt = 0
        while true {
            attempt += 1
            let failure: String
            var retryAfter: Double?
            switch client.post(body, contentType: "application/x-protobuf") {
            case .success(let response):
                switch RetryPolicy.outcome(status: response.status) {
                case .delivered:
                    counters.forwardedSpans.add(spans, ordering: .relaxed)
                    counters.forwardBatches.add(1, ordering: .relaxed)
                    return true
                case .rejected:
                    let message = "the OTLP backend refused a batch of \(spans) spans with \(response.status): \(response.message)"
                    counters.forwardFailedSpans.add(spans, ordering: .relaxed)
                    counters.lastForwardError.withLock { $0 = message }
                    onWarning?(message)
                    return true
                case .retry:
                    failure = "the OTLP backend answered \(response.status): \(response.message)"
                    retryAfter = RetryPolicy.retryAfterSeconds(response.headers["retry-after"])
                }
            case .failure(let error):
                failure = "cannot reach the OTLP backend at \(target): \(error)"
            }
            counters.lastForwardError.withLock { $0 = failure }
            guard retries, attempt < options.retry.maxAttempts else {
                counters.forwardFailedSpans.add(spans, ordering: .relaxed)
                onWarning?("\(spans) spans not forwarded after \(attempt) \(attempt == 1 ? "try" : "tries"): \(failure)")
                return false
            }
            counters.forwardRetries.add(1, ordering: .relaxed)
            let delay = options.retry.delay(afterAttempt: attempt, retryAfter: retryAfter, jitter: Double.random(in: 0..<1))
            if pause(delay) {
                // Closing: one more try now, no more waiting.
                return send(body, spans: spans, client: client, retries: false)
            }
        }
    }

    /// One request for a batch: originals decoded from their stored OTLP/JSON, SDK documents converted; spans
    /// that share a resource and scope are grouped under one.
    static func request(_ documents: [IncomingDocument]) -> OTLPRequest {
        var out: [OTLPResourceSpans] = []
        var index: [OTLPResource: Int] = [:]
        for d in documents {
            let part: OTLPRequest
            if let original = d.originalSpan {
                guard let decoded = try? OTLPJSONDecoder.decode(original) else { continue }
                part = decoded
            } else {
                part = SegmentToSpans.request(d.document)
            }
            for rs in part.resourceSpans {
                guard let r = index[rs.resource], out[r].schemaURL == rs.schemaURL else {
                    index[rs.resource] = out.count
                    out.append(rs)
                    continue
                }
                for ss in rs.scopeSpans {
                    if let s = out[r].scopeSpans.firstIndex(where: { $0.scope == ss.scope && $0.schemaURL == ss.schemaURL }) {
                        out[r].scopeSpans[s].spans += ss.spans
                    } else {
                        out[r].scopeSpans.append(ss)
                    }
                }
            }
        }
        return OTLPRequest(resourceSpans: out)
    }
}

/// A small blocking HTTP/1.1 client for one origin: POST with Content-Length over a kept-alive connection,
/// reconnecting when the server closes it; responses read by Content-Length, chunked, or to the close.
final class HTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        /// Lower-cased names.
        var headers: [String: String]
        var body: [UInt8]

        /// The body for a warning: a `google.rpc.Status` message where the backend sent one, else its text, cut short.
        var message: String {
            if headers["content-type"]?.hasPrefix("application/x-protobuf") == true, let status = Self.statusMessage(body) {
                return String(status.prefix(300))
            }
            let text = String(decoding: body.prefix(300), as: UTF8.self).filter { $0 != "\r" && $0 != "\n" }
            return text.isEmpty ? "(no body)" : text
        }

        /// The `message` (field 2) of a protobuf `google.rpc.Status`, the OTLP/HTTP error body
        /// (https://opentelemetry.io/docs/specs/otlp/#failures-1); nil when the bytes are not one.
        static func statusMessage(_ body: [UInt8]) -> String? {
            var i = 0
            func varint() -> UInt64? {
                var value: UInt64 = 0, shift: UInt64 = 0
                while i < body.count, shift < 64 {
                    let b = body[i]
                    i += 1
                    value |= UInt64(b & 0x7F) << shift
                    if b < 0x80 { return value }
                    shift += 7
                }
                return nil
            }
            while i < body.count {
                guard let tag = varint() else { return nil }
                switch tag & 7 {
                case 0: guard varint() != nil else { return nil }
                case 1: i += 8
                case 5: i += 4
                case 2:
                    guard let length = varint(), length <= UInt64(body.count - i) else { return nil }
                    if tag >> 3 == 2 { return String(decoding: body[i..<i + Int(length)], as: UTF8.self) }
                    i += Int(length)
                default: return nil
                }
            }
            return nil
        }
    }

    enum Failure: Error, CustomStringConvertible {
        case resolve(String), connect(Int32), send(Int32), receive(String)
        var description: String {
            switch self {
            case .resolve(let host): "cannot resolve \(host)"
            case .connect(let e): "connect: \(String(cString: strerror(e)))"
            case .send(let e): "send: \(String(cString: strerror(e)))"
            case .receive(let what): what
            }
        }
    }

    let target: OTLPForwardTarget
    let timeout: Double
    /// The connection, owned by the forwarder thread alone (the lock is never contended).
    private let connection = Mutex<Int32>(-1)

    init(target: OTLPForwardTarget, timeout: Double) {
        self.target = target
        self.timeout = timeout
    }

    func disconnect() {
        connection.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// POSTs `body`; a kept connection the server closed meanwhile is opened again once.
    func post(_ body: [UInt8], contentType: String) -> Result<Response, Failure> {
        let head =
            "POST \(target.path) HTTP/1.1\r\nHost: \(target.authority)\r\nUser-Agent: xray\r\n"
            + "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n"
        let request = Array(head.utf8) + body
        return connection.withLock { fd -> Result<Response, Failure> in
            for reused in [fd >= 0, false] {
                if fd < 0 {
                    switch openConnection() {
                    case .success(let opened): fd = opened
                    case .failure(let error): return .failure(error)
                    }
                }
                let result = exchange(fd, request)
                switch result {
                case .success(let response):
                    if response.headers["connection"]?.lowercased() == "close" {
                        close(fd)
                        fd = -1
                    }
                    return .success(response)
                case .failure(let error):
                    close(fd)
                    fd = -1
                    if !reused { return .failure(error) }
                }
            }
            return .failure(.receive("no response"))
        }
    }

    private func openConnection() -> Result<Int32, Failure> {
        let address: SocketAddress
        do { address = try target.endpoint.socketAddress() } catch { return .failure(.resolve(target.endpoint.host)) }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.connect(errno)) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // Linux bounds a blocking connect by SO_SNDTIMEO (socket(7)).
        var rc: Int32
        repeat { rc = address.withSockaddr { connect(fd, $0, $1) } } while rc != 0 && errno == EINTR
        guard rc == 0 else {
            let e = errno
            close(fd)
            return .failure(.connect(e))
        }
        return .success(fd)
    }

    /// Writes the request and reads one response.
    private func exchange(_ fd: Int32, _ request: [UInt8]) -> Result<Response, Failure> {
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { SocketIO.send(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            guard n > 0 else { return .failure(.send(n < 0 ? errno : EPIPE)) }
            sent += n
        }
        var reader = ResponseReader(fd: fd)
        return reader.read()
    }

    /// Reads one response from a socket, with limits: 64 KiB of headers, 1 MiB of body.
    struct ResponseReader {
        let fd: Int32
        var buffer: [UInt8] = []
        var position = 0
        var atEnd = false

        init(fd: Int32) { self.fd = fd }

        mutating func fill() -> Bool {
            guard !atEnd else { return false }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = chunk.withUnsafeMutableBytes { SocketIO.receive(fd, into: $0) }
            if n <= 0 {
                atEnd = true
                return false
            }
            buffer.append(contentsOf: chunk[..<n])
            return true
        }

        mutating func line() -> String? {
            while true {
                if let end = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                    var text = buffer[position..<end]
                    if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
                    position = end + 1
                    return String(decoding: text, as: UTF8.self)
                }
                guard buffer.count - position < 65_536, fill() else { return nil }
            }
        }

        mutating func bytes(_ count: Int) -> [UInt8]? {
            while buffer.count - position < count { guard fill() else { return nil } }
            defer { position += count }
            return Array(buffer[position..<position + count])
        }

        mutating func read() -> Result<Response, Failure> {
            guard let statusLine = line() else { return .failure(.receive("the connection closed before a response")) }
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status) else {
                return .failure(.receive("not an HTTP/1.1 status line: \(statusLine.prefix(80))"))
            }
            var headers: [String: String] = [:]
            while true {
                guard let header = line() else { return .failure(.receive("the response headers were cut short")) }
                if header.isEmpty { break }
                guard let colon = header.firstIndex(of: ":") else { continue }
                headers[header[..<colon].lowercased()] = String(header[header.index(after: colon)...]).trimmingSpaces
            }
            if status < 200 { return read() }
            let limit = 1 << 20
            var body: [UInt8] = []
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                while true {
                    guard let sizeLine = line(), let size = Int(sizeLine.split(separator: ";").first.map(String.init)?.trimmingSpaces ?? "", radix: 16),
                        size >= 0, size <= limit, body.count + size <= limit
                    else {
                        return .failure(.receive("a malformed chunked response body"))
                    }
                    if size == 0 {
                        while let trailer = line(), !trailer.isEmpty {}
                        break
                    }
                    guard let data = bytes(size), line() != nil else { return .failure(.receive("the response body was cut short")) }
                    body += data
                }
            } else if let lengthText = headers["content-length"] {
                guard let length = Int(lengthText), length >= 0, length <= limit, let data = bytes(length) else {
                    return .failure(.receive("the response body was cut short or too large"))
                }
                body = data
            } else if status != 204 && status != 304 {
                while buffer.count - position < limit, fill() {}
                body = Array(buffer[position...])
                headers["connection"] = "close"
            }
            return .success(Response(status: status, headers: headers, body: body))
        }
    }
}
