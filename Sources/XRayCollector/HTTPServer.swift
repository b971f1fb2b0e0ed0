import CXRaySystem
import Synchronization
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request, as `HTTPRequestParser` read it.
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
    var contentType = "application/json"
    /// Extra response headers (CORS for an allowed origin).
    var headers: [(name: String, value: String)] = []

    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(JSONWriter.string(value).utf8))
    }

    /// `{"__type": "...", "message": "..."}` with a 4xx/5xx status (the rest-json error shape botocore decodes).
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
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }

    func serialized() -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// The HTTP/1.1 server of the X-Ray API: one epoll event loop for every connection, a few worker threads
/// for the handler, strict RFC 9112 parsing (`HTTPRequestParser`), deadlines, and a 1 MiB body limit, so
/// slow, idle or hostile clients can neither starve other clients nor harm UDP intake.
///
/// Thousands of connections are held at once (the SDK pollers each keep one alive); at the limit the
/// oldest idle one is closed to make room, as nginx and the OpenTelemetry Collector do, instead of
/// refusing the newcomer.
final class HTTPServer: Sendable {
    let listenFD: Int32
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let counters: LiveCounters
    let stopping: StopFlag
    let policy: RequestPolicy
    /// The configured listening host, lower-cased, and `localhost`: what `Host` may name besides the local IP.
    let servedHosts: Set<String>
    let port: Int
    let limits: HTTPLimits
    let pool: WorkerPool
    let mailbox = Mailbox()
    private let stopRequested = Atomic<Bool>(false)

    init(
        listenFD: Int32, counters: LiveCounters, stopping: StopFlag, policy: RequestPolicy = RequestPolicy(),
        endpoint: Endpoint, limits: HTTPLimits = .standard, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.listenFD = listenFD
        self.counters = counters
        self.stopping = stopping
        self.policy = policy
        let host = endpoint.host.lowercased()
        self.servedHosts = [host.contains(":") ? "[\(host)]" : host, "localhost"]
        self.port = endpoint.port
        self.limits = limits
        self.pool = WorkerPool(capacity: limits.queueCapacity, byteCapacity: limits.queueBytes)
        self.handler = handler
        _ = xr_set_nonblocking(listenFD)
        // A burst of connects must queue, not be dropped: listening again only raises the backlog (the kernel
        // caps it at net.core.somaxconn), and before the loop starts, so no early connect meets the old one.
        _ = listen(listenFD, 4096)
    }

    var isStopping: Bool { stopping.isSet || stopRequested.load(ordering: .acquiring) }

    /// Runs the event loop until `shutdownConnections`; the thread that calls it is the loop's thread.
    func acceptLoop() {
        pool.start(limits.workers) { [self] job in
            mailbox.post(Completion(connection: job.connection, response: handle(job.request)))
        }
        EventLoop(server: self, limits: limits).run()
        pool.close()
    }

    /// The handler's response, with CORS headers for an allowed origin.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = handler(request)
        response.headers += policy.corsHeaders(request)
        return response
    }

    /// Stops accepting and ends the event loop, which closes every connection; requests still in a worker
    /// finish, but their responses are dropped.
    func shutdownConnections() {
        stopRequested.store(true, ordering: .releasing)
        _ = Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        pool.close()
        mailbox.wake()
    }
}
