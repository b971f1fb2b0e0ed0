import Testing
import XRaySystem
import XRayWire

@testable import XRayCollector

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// An `HTTPServer` on 127.0.0.1 with its own limits and a handler that echoes the request back as JSON.
struct EchoServer {
    let server: HTTPServer
    let port: Int

    static func echo(_ request: HTTPRequest) -> HTTPResponse {
        .json(
            .object(
                JSONObject([
                    ("path", .string(request.path)), ("body", .string(String(decoding: request.body, as: UTF8.self))),
                ])))
    }

    static func with<T>(
        _ limits: HTTPLimits = .standard, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = echo,
        _ body: (EchoServer) throws -> T
    ) throws -> T {
        let (fd, port) = try Sockets.listenTCP(Endpoint(host: "127.0.0.1", port: 0))
        let stopping = StopFlag()
        let server = HTTPServer(
            listenFD: fd, counters: LiveCounters(), stopping: stopping, endpoint: Endpoint(host: "127.0.0.1", port: port),
            limits: limits, handler: handler)
        let thread = try NativeThread.start("test-http", server.acceptLoop)
        defer {
            stopping.set()
            server.shutdownConnections()
            thread.join()
            close(fd)
        }
        return try body(EchoServer(server: server, port: port))
    }

    /// A new connection that has sent one request and read its answer: an idle keep-alive client.
    func idleClient() throws -> RawHTTP {
        let http = try RawHTTP(port: port)
        #expect(http.post("/GetSamplingRules", "{}")?.status == 200)
        return http
    }
}

/// The event loop: eviction at the connection limit, deadlines, and strict framing over real sockets.
@Suite struct HTTPServerTests {
    /// At the limit the connection that has been idle longest is closed for the newcomer; one in use is kept.
    @Test func evictsTheOldestIdleConnectionAtTheLimit() throws {
        var limits = HTTPLimits()
        limits.maxConnections = 3
        try EchoServer.with(limits) { s in
            let a = try s.idleClient(), b = try s.idleClient(), c = try s.idleClient()
            defer { for http in [a, b, c] { http.close() } }
            let d = try s.idleClient()
            defer { d.close() }
            #expect(a.isClosedByPeer())
            // b is used again, so c is now the one idle longest.
            #expect(b.post("/again", "{}")?.status == 200)
            let e = try s.idleClient()
            defer { e.close() }
            #expect(c.isClosedByPeer())
            #expect(b.post("/still", "{}")?.status == 200)
        }
    }

    /// When every slot holds a half-sent head, one of those makes room instead of the newcomer being refused.
    @Test func evictsSlowHeadsWhenNoConnectionIsIdle() throws {
        var limits = HTTPLimits()
        limits.maxConnections = 2
        try EchoServer.with(limits) { s in
            let slow = try (0..<2).map { _ in try RawHTTP(port: s.port) }
            defer { for http in slow { http.close() } }
            slow[0].write("POST /a HTTP/1.1\r\nHo")
            slow[1].write("POST /b HTTP/1.1\r\nHo")
            let fresh = try RawHTTP(port: s.port)
            defer { fresh.close() }
            #expect(fresh.post("/c", "{}")?.status == 200)
            // The close was sent before the answer, so it has arrived; closed with its head unread, the kernel
            // may reset the connection rather than end it. (Which slow one goes depends on whether the loop had
            // read its bytes yet; either way one made room.)
            let closed = slow.filter { http in
                var poller = pollfd(fd: http.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 0) == 1 else { return false }
                var byte: UInt8 = 0
                let n = recv(http.fd, &byte, 1, 0)
                return n == 0 || (n < 0 && errno == ECONNRESET)
            }
            #expect(closed.count == 1)
        }
    }

    /// A handler blocked on a slow commit stalls neither the loop nor other clients' parsing; when every worker
    /// is busy and the queue full, the next request is answered 503 with Retry-After at once.
    @Test func aBlockedHandlerStallsNothingAndAFullQueueAnswers503() throws {
        var limits = HTTPLimits()
        limits.workers = 1
        limits.queueCapacity = 1
        // Whether the handler holds the worker, and whether the test lets it go.
        let gate = Monitor((entered: false, released: false))
        try EchoServer.with(
            limits,
            handler: { request in
                if request.path == "/block" {
                    gate.withLock { $0.entered = true }
                    gate.wait(until: { $0.released }, timeout: 30) { _, _ in }
                }
                return EchoServer.echo(request)
            }
        ) { s in
            let blocked = try RawHTTP(port: s.port), queued = try RawHTTP(port: s.port)
            defer { blocked.close(); queued.close() }
            blocked.write("POST /block HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            // Only once the worker holds it is the queue empty again, for the next request.
            gate.wait(until: { $0.entered }, timeout: 30) { _, _ in }
            // Answered by the loop itself while the only worker is held.
            let garbage = try RawHTTP(port: s.port)
            defer { garbage.close() }
            garbage.write("GET / HTTP/7.0\r\n\r\n")
            #expect(garbage.readResponse()?.status == 505)
            queued.write("POST /queued HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            var busy: RawHTTP.Response?
            var extras: [RawHTTP] = []
            defer { for http in extras { http.close() } }
            // The queued request may still be on its way to the queue: try until one finds it full.
            for _ in 0..<50 where busy == nil {
                let extra = try RawHTTP(port: s.port)
                extras.append(extra)
                extra.write("POST /extra HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
                usleep(10_000)
                if let response = extra.readResponseIfReady(), response.status == 503 { busy = response }
            }
            #expect(busy?.headers["retry-after"] == "1")
            #expect(busy?.json?.objectValue?["__type"] == .string("ThrottledException"))
            gate.withLock { $0.released = true }
            #expect(blocked.readResponse()?.json?.objectValue?["path"] == .string("/block"))
            #expect(queued.readResponse()?.json?.objectValue?["path"] == .string("/queued"))
        }
    }

    /// A head or body that does not arrive in time gets 408 and the connection closes; an idle one just closes.
    @Test func enforcesHeadBodyAndIdleDeadlines() throws {
        var limits = HTTPLimits()
        limits.headSeconds = 0.2
        limits.bodySeconds = 0.2
        limits.idleSeconds = 0.2
        try EchoServer.with(limits) { s in
            let head = try RawHTTP(port: s.port)
            defer { head.close() }
            head.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let late = head.readResponse()
            #expect(late?.status == 408)
            #expect(late?.body.contains("head") == true)
            #expect(head.isClosedByPeer())
            let body = try RawHTTP(port: s.port)
            defer { body.close() }
            body.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\"")
            let lateBody = body.readResponse()
            #expect(lateBody?.status == 408)
            #expect(lateBody?.body.contains("body") == true)
            let chunked = try RawHTTP(port: s.port)
            defer { chunked.close() }
            chunked.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")
            #expect(chunked.readResponse()?.status == 408)
            let idle = try s.idleClient()
            defer { idle.close() }
            #expect(idle.isClosedByPeer())
        }
    }

    /// Chunked bodies split across writes, with extensions and trailers, reach the handler whole, and the
    /// connection stays usable; `Expect: 100-continue` is answered for them too.
    @Test func acceptsChunkedBodiesAcrossWrites() throws {
        try EchoServer.with { s in
            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("POST /TraceSegments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
            http.write("Expect: 100-continue\r\n\r\n")
            #expect(http.readResponse()?.status == 100)
            for piece in ["4;ext=1\r\n{\"a", "\"\r\n", "4\r", "\n:12}\r\n0\r\nTrailer-One: x\r\n", "\r\n"] {
                http.write(piece)
                usleep(5_000)
            }
            let response = try #require(http.readResponse())
            #expect(response.status == 200)
            #expect(response.json?.objectValue?["body"] == .string(#"{"a":12}"#))
            #expect(http.post("/after", "{}")?.json?.objectValue?["path"] == .string("/after"))
        }
    }

    /// Every framing attack answers with its RFC 9112 status and closes, so no second request can hide in the first.
    @Test(arguments: [
        ("Content-Length: 2\r\nContent-Length: 4", 400),
        ("Content-Length: 2, 4", 400),
        ("Content-Length: +2", 400),
        ("Content-Length: 0x2", 400),
        ("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked", 501),
        ("Transfer-Encoding: gzip, chunked", 501),
        ("Transfer-Encoding: chunked, identity", 400),
        ("Transfer-Encoding: chunked, chunked", 400),
        ("Transfer-Encoding : chunked", 400),
        ("Transfer-Encoding: chunked\r\nContent-Length: 2", 400),
        ("Content-Length : 2", 400),
        ("Bad Name: x", 400),
        (": empty", 400),
        ("X-Folded: a\r\n folded", 400),
        ("Host: 127.0.0.1", 400),
    ])
    func refusesAmbiguousFraming(header: String, status: Int) throws {
        try EchoServer.with { s in
            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(header)\r\n\r\n{}0\r\n\r\n")
            let response = try #require(http.readResponse())
            #expect(response.status == status)
            #expect(response.headers["connection"] == "close")
            #expect(http.isClosedByPeer())
        }
    }

    /// Only HTTP/1.0 and HTTP/1.1 are spoken: other versions get 505, malformed ones 400.
    @Test(arguments: [("HTTP/1.9", 505), ("HTTP/2.0", 505), ("HTTP/0.9", 505), ("HTTP/1", 400), ("http/1.1", 400), ("HTTP/1.1 ", 400)])
    func refusesOtherVersions(version: String, status: Int) throws {
        try EchoServer.with { s in
            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("GET / \(version)\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(http.readResponse()?.status == status)
            #expect(http.isClosedByPeer())
        }
    }

    /// HTTP/1.0 is answered and closed at once instead of held open; with keep-alive it stays open.
    @Test func closesHTTP10UnlessKeepAlive() throws {
        try EchoServer.with { s in
            let plain = try RawHTTP(port: s.port)
            defer { plain.close() }
            plain.write("POST /x HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            let response = plain.readResponse()
            #expect(response?.status == 200)
            #expect(response?.headers["connection"] == "close")
            #expect(plain.isClosedByPeer())
            let kept = try RawHTTP(port: s.port)
            defer { kept.close() }
            kept.write("POST /one HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            #expect(kept.readResponse()?.headers["connection"] == "keep-alive")
            let closing = kept.post("/two", "{}", extraHeaders: "Connection: close\r\n")
            #expect(closing?.json?.objectValue?["path"] == .string("/two"))
            #expect(kept.isClosedByPeer())
        }
    }

    /// A head over 16 KiB is refused with 431 even when it arrives in a single write.
    @Test func refusesLongHeadsInOneWrite() throws {
        try EchoServer.with { s in
            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: \(String(repeating: "a", count: 16_500))\r\n\r\n")
            #expect(http.readResponse()?.status == 431)
        }
    }

    /// A chunked body past 1 MiB is refused with 413 as it arrives.
    @Test func refusesOversizedChunkedBodies() throws {
        try EchoServer.with { s in
            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = "10000\r\n" + String(repeating: "a", count: 0x10000) + "\r\n"
            for _ in 0..<17 { http.write(chunk) }
            #expect(http.readResponse()?.status == 413)
        }
    }
}

extension RawHTTP {
    /// A response if one is already waiting, without blocking for it.
    func readResponseIfReady() -> Response? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) == 1 else { return nil }
        return readResponse()
    }
}

/// The worker queue's two bounds, without workers to drain it.
@Suite struct WorkerPoolTests {
    static func job(_ bytes: Int) -> WorkerPool.Job {
        WorkerPool.Job(
            connection: ConnectionID(fd: 0, serial: 1),
            request: HTTPRequest(
                method: "POST", path: "/", headers: [], body: [UInt8](repeating: 0, count: bytes), peer: "test"))
    }

    /// Requests wait up to the count and up to the body bytes, whichever comes first.
    @Test func boundsQueuedRequestsByCountAndBodyBytes() {
        let pool = WorkerPool(capacity: 3, byteCapacity: 10)
        #expect(pool.submit(Self.job(6)))
        #expect(!pool.submit(Self.job(6)))
        #expect(pool.submit(Self.job(4)))
        #expect(pool.submit(Self.job(0)))
        #expect(!pool.submit(Self.job(0)))
        pool.close()
        #expect(!pool.submit(Self.job(0)))
    }
}
