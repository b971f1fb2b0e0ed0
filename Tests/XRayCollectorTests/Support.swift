import Foundation
import XRayReadAPI
import XRayStore
import XRayWire
@testable import XRayCollector

#if canImport(Glibc)
import Glibc
#endif

/// A collector on 127.0.0.1 with a free port and a fresh store in a temporary folder, removed afterwards.
struct TestCollector {
    let collector: Collector
    let folder: URL
    var storePath: String { folder.appendingPathComponent("traces.sqlite").path }
    var udpPort: Int { collector.boundAddress.udp.port }
    var tcpPort: Int { collector.boundAddress.tcp.port }

    static func with<T>(
        _ configure: (inout Collector.Configuration) -> Void = { _ in },
        _ body: (TestCollector) throws -> T
    ) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xray-collector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = Collector.Configuration(
            address: try DaemonAddress.parse("127.0.0.1:0"), storePath: folder.appendingPathComponent("traces.sqlite").path)
        configuration.operations = ReadAPI.operations
        configure(&configuration)
        let collector = try Collector.start(configuration)
        let harness = TestCollector(collector: collector, folder: folder)
        defer { _ = collector.stop() }
        return try body(harness)
    }

    /// Sends each datagram from one UDP socket; loopback delivers synchronously, so after this returns the
    /// datagrams are in the collector's socket buffer and `stop()` will drain them.
    func send(_ datagrams: [[UInt8]]) {
        UDPSender.send(datagrams, port: udpPort)
    }

    func send(_ text: String) { send([Array(text.utf8)]) }

    /// Opens a second connection to the store (the collector's writer has its own).
    func store() throws -> TraceStore { try TraceStore(path: storePath) }
}

enum UDPSender {
    static func send(_ datagrams: [[UInt8]], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        for datagram in datagrams {
            _ = datagram.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }
}

/// A raw HTTP/1.1 exchange over a real TCP connection.
struct RawHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSONValue? { try? JSONParser.parse(body).value }
    }

    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { throw POSIXError(.ECONNREFUSED) }
    }

    func close() { _ = Glibc.close(fd) }

    func write(_ text: String) {
        var text = text
        _ = text.withUTF8 { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func post(_ path: String, _ body: String, method: String = "POST", extraHeaders: String = "") -> Response? {
        write("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extraHeaders)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return readResponse()
    }

    /// Reads one response (head plus Content-Length body); nil if the connection closed first.
    func readResponse() -> Response? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let end = findHeadEnd(buffer) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while buffer.count < end + 4 + length {
                    let n = recv(fd, &chunk, chunk.count, 0)
                    if n <= 0 { return nil }
                    buffer += chunk[0..<n]
                }
                return Response(status: Int(statusLine[1]) ?? 0, headers: headers,
                                body: String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self))
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    private func findHeadEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    /// True when the server closed the connection (recv returns 0).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

/// Segment documents for tests.
enum Fixture {
    static let header = #"{"format":"json","version":1}"#

    static func traceID(_ n: Int) -> String {
        "1-5f84c7a1-" + String(repeating: "0", count: 24 - String(n, radix: 16).count) + String(n, radix: 16)
    }

    static func entityID(_ n: Int) -> String {
        String(repeating: "0", count: 16 - String(n, radix: 16).count) + String(n, radix: 16)
    }

    static func segment(trace: Int, id: Int, name: String = "svc", inProgress: Bool = false) -> String {
        let end = inProgress ? #""in_progress":true"# : #""end_time":1602537378.2"#
        return #"{"trace_id":"\#(traceID(trace))","id":"\#(entityID(id))","name":"\#(name)","start_time":1602537378.1,\#(end),"http":{"request":{"method":"GET","url":"http://localhost/items"},"response":{"status":200}}}"#
    }

    static func subsegment(trace: Int, id: Int, parent: Int) -> String {
        #"{"type":"subsegment","trace_id":"\#(traceID(trace))","parent_id":"\#(entityID(parent))","id":"\#(entityID(id))","name":"db","start_time":1602537378.12,"end_time":1602537378.15}"#
    }

    static func datagram(_ body: String, header: String = Fixture.header) -> String { header + "\n" + body }
}
