import Synchronization
import Testing
import XRayWire

@testable import XRayCollector

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// HTTP/2 through the event loop over real sockets: the preface switch, gRPC calls reaching the handler as
/// OTLP/HTTP requests, and the deadlines of an HTTP/2 connection.
@Suite struct HTTP2ServerTests {
    static let opening = HTTP2Connection.preface + HTTP2Frame.settings(ack: false, parameters: []).serialized()

    static func call(stream: UInt32, port: Int, message: [UInt8], endStream: Bool = true) -> [UInt8] {
        let body = HTTP2Tests.message(message)
        let block = HTTP2Tests.requestBlock(authority: "127.0.0.1:\(port)")
        return HTTP2Frame.headers(stream: stream, block: block, endStream: false, endHeaders: true).serialized()
            + HTTP2Frame.data(stream: stream, bytes: body, endStream: endStream, flowLength: body.count).serialized()
    }

    /// A client reading frames off a raw socket.
    struct Client {
        let http: RawHTTP
        var pending: [UInt8] = []

        init(port: Int) throws { http = try RawHTTP(port: port) }

        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(http.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Frames until `stop` says so or the server closes; the socket's 10 s timeout bounds it.
        mutating func read(until stop: (HTTP2Frame) -> Bool) throws -> [HTTP2Frame] {
            var frames: [HTTP2Frame] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                while let (frame, length) = try HTTP2Frame.parse(pending[...], maxFrameSize: 1 << 24 - 1) {
                    pending.removeFirst(length)
                    frames.append(frame)
                    if stop(frame) { return frames }
                }
                let n = recv(http.fd, &chunk, chunk.count, 0)
                if n <= 0 { return frames }
                pending += chunk[0..<n]
            }
        }
    }

    static func endsStream(_ id: UInt32) -> (HTTP2Frame) -> Bool {
        { frame in
            if case .headers(id, _, true, _) = frame { return true }
            return false
        }
    }

    static func isGoAway(_ frame: HTTP2Frame) -> Bool {
        if case .goAway = frame { return true }
        return false
    }

    static func fields(_ frame: HTTP2Frame?) throws -> [HeaderField] {
        guard case .headers(_, let block, _, _)? = frame else { return [] }
        var decoder = HPACKDecoder()
        return try decoder.decode(block)
    }

    @Test func grpcCallsReachTheHandlerAsOTLPHTTPRequestsAndHTTP1StillWorks() throws {
        let seen = RecordedRequests()
        try EchoServer.with(handler: { request in
            seen.append(request)
            return HTTPResponse(status: 200, body: [0x0A, UInt8(request.body.count)])
        }) { s in
            var client = try Client(port: s.port)
            defer { client.http.close() }
            client.send(Self.opening + Self.call(stream: 1, port: s.port, message: [1, 2, 3]) + Self.call(stream: 3, port: s.port, message: [4]))
            let first = try client.read(until: Self.endsStream(1))
            let data = first.compactMap { frame -> [UInt8]? in
                if case .data(1, let bytes, _, _) = frame { return bytes }
                return nil
            }
            #expect(data == [HTTP2Tests.message([0x0A, 3])])
            #expect(try Self.fields(first.last) == [HeaderField("grpc-status", "0")])
            let second = try client.read(until: Self.endsStream(3))
            #expect(try Self.fields(second.last) == [HeaderField("grpc-status", "0")])
            let requests = seen.all
            #expect(requests.map(\.path) == ["/v1/traces", "/v1/traces"])
            #expect(requests.first?.body == [1, 2, 3])
            #expect(requests.first?.header("content-type") == "application/x-protobuf")
            #expect(requests.first?.header("host") == "127.0.0.1:\(s.port)")

            let plain = try s.idleClient()
            plain.close()
        }
    }

    @Test func aPrefaceSplitAcrossWritesStillSwitchesAndAPostIsStillHTTP1() throws {
        try EchoServer.with(handler: { _ in HTTPResponse(status: 404, body: Array(#"{"message":"none here"}"#.utf8)) }) { s in
            var client = try Client(port: s.port)
            defer { client.http.close() }
            client.send(Array(Self.opening.prefix(1)))
            usleep(50_000)
            client.send(Array(Self.opening.dropFirst()) + Self.call(stream: 1, port: s.port, message: []))
            let frames = try client.read(until: Self.endsStream(1))
            let fields = try Self.fields(frames.last)
            #expect(fields.contains(HeaderField("grpc-status", "12")))
            #expect(fields.contains(HeaderField("grpc-message", "none here")))

            let http = try RawHTTP(port: s.port)
            defer { http.close() }
            http.write("P")
            usleep(50_000)
            http.write("OST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            #expect(http.readResponse()?.status == 404)
        }
    }

    @Test func idleAndLateHTTP2ConnectionsGetGoAwayAndAreClosed() throws {
        var limits = HTTPLimits()
        limits.headSeconds = 0.1
        limits.bodySeconds = 0.1
        limits.idleSeconds = 0.2
        try EchoServer.with(limits) { s in
            var idle = try Client(port: s.port)
            defer { idle.http.close() }
            idle.send(Self.opening)
            // PINGs are answered but keep nothing open.
            idle.send(HTTP2Frame.ping(ack: false, opaque: [UInt8](repeating: 1, count: 8)).serialized())
            let frames = try idle.read(until: Self.isGoAway)
            #expect(frames.contains(.ping(ack: true, opaque: [UInt8](repeating: 1, count: 8))))
            guard case .goAway(0, 0, let reason)? = frames.last else {
                Issue.record("no GOAWAY for an idle connection: \(frames)")
                return
            }
            #expect(String(decoding: reason, as: UTF8.self).contains("idle"))
            #expect(idle.http.isClosedByPeer())

            var late = try Client(port: s.port)
            defer { late.http.close() }
            late.send(Self.opening + Self.call(stream: 1, port: s.port, message: [1], endStream: false))
            let lateFrames = try late.read(until: Self.isGoAway)
            guard case .goAway(1, 0, let debug)? = lateFrames.last else {
                Issue.record("no GOAWAY for a request that never ended: \(lateFrames)")
                return
            }
            #expect(String(decoding: debug, as: UTF8.self).contains("did not arrive"))
            #expect(late.http.isClosedByPeer())
        }
    }

    @Test func aTakenPreferredGRPCAddressIsAWarningAndARequiredOneAnError() throws {
        let (fd, port) = try Sockets.listenTCP(Endpoint(host: "127.0.0.1", port: 0))
        defer { close(fd) }
        try TestCollector.with({ $0.otlpGRPC = .preferred(Endpoint(host: "127.0.0.1", port: port)) }) { harness in
            #expect(harness.collector.otlpGRPCAddress == nil)
            #expect(
                harness.collector.startWarnings.contains { $0.contains("OTLP/gRPC address 127.0.0.1:\(port) is taken") },
                "\(harness.collector.startWarnings)")
        }
        #expect(throws: CollectorError.self) {
            try TestCollector.with({ $0.otlpGRPC = .required(Endpoint(host: "127.0.0.1", port: port)) }) { _ in }
        }
        try TestCollector.with({ $0.otlpGRPC = .required(Endpoint(host: "127.0.0.1", port: 0)) }) { harness in
            let bound = try #require(harness.collector.otlpGRPCAddress)
            #expect(bound.port != 0 && bound.port != harness.tcpPort)
        }
    }
}

/// Requests a handler saw, from its worker threads.
final class RecordedRequests: Sendable {
    private let requests = Mutex<[HTTPRequest]>([])
    func append(_ request: HTTPRequest) { requests.withLock { $0.append(request) } }
    var all: [HTTPRequest] { requests.withLock { $0 } }
}
