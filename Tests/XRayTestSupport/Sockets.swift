import Foundation
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 response as the tests read it.
package struct ClientResponse: Sendable {
    package var status: Int
    /// Field names lowercased; a repeated field keeps its last value.
    package var headers: [String: String]
    package var body: String
    package var json: JSONValue? { try? JSONParser.parse(body).value }

    /// Parses the status line and fields of `head` (the bytes before the blank line).
    package static func head(_ head: ArraySlice<UInt8>) -> (status: Int, headers: [String: String])? {
        var lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return (status, headers)
    }

    /// Where the blank line after the fields starts, if it has arrived.
    package static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        return (0...(b.count - 4)).first { b[$0] == 13 && b[$0 + 1] == 10 && b[$0 + 2] == 13 && b[$0 + 3] == 10 }
    }
}

/// One HTTP/1.1 connection over a real TCP socket to 127.0.0.1, for exchanges the server must see byte by
/// byte (pipelining, keep-alive, malformed requests).
package struct RawHTTP {
    package typealias Response = ClientResponse

    package let fd: Int32

    /// Connects with a receive timeout of `timeout` seconds, so a server that never answers fails the test.
    package init(port: Int, timeout: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var receiveTimeout = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            _ = Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    package func close() { _ = Glibc.close(fd) }

    /// Sends all of `text`; false when the connection broke first.
    @discardableResult
    package func write(_ text: String) -> Bool { write(bytes: Array(text.utf8)) }

    /// Sends all of `bytes`; false when the connection broke first (a server may answer and close before
    /// reading a refused body).
    @discardableResult
    package func write(bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    package func post(_ path: String, _ body: String, method: String = "POST", extraHeaders: String = "") -> Response? {
        write(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extraHeaders)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        return readResponse()
    }

    /// Reads one response (head plus Content-Length body); nil if the connection closed first.
    package func readResponse() -> Response? {
        var buffer: [UInt8] = []
        while true {
            if let end = ClientResponse.headEnd(buffer) {
                guard let (status, headers) = ClientResponse.head(buffer[0..<end]) else { return nil }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while buffer.count < end + 4 + length {
                    guard receive(into: &buffer) else { return nil }
                }
                return Response(
                    status: status, headers: headers,
                    body: String(decoding: buffer[(end + 4)..<(end + 4 + length)], as: UTF8.self))
            }
            guard receive(into: &buffer) else { return nil }
        }
    }

    /// Everything the server sends until it closes the connection.
    package func readToEnd() -> [UInt8] {
        var buffer: [UInt8] = []
        while receive(into: &buffer) {}
        return buffer
    }

    /// True when the server closed the connection (recv returns 0).
    package func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func receive(into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }
}

/// One-shot HTTP requests, as an SDK or the AWS CLI makes them.
package enum HTTP {
    package typealias Response = ClientResponse

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Sends one POST with `Connection: close` and reads the answer to the end of the stream.
    package static func post(port: Int, _ path: String, _ body: String) throws -> Response {
        let connection: RawHTTP
        do { connection = try RawHTTP(port: port, timeout: 60) } catch { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        defer { connection.close() }
        let request =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        guard connection.write(request) else { throw Failure(description: "send to 127.0.0.1:\(port) failed") }
        let bytes = connection.readToEnd()
        guard let end = ClientResponse.headEnd(bytes) else {
            throw Failure(description: "no response (the daemon may have died): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard let (status, headers) = ClientResponse.head(bytes[0..<end]) else {
            throw Failure(description: "bad status line in \(String(decoding: bytes[0..<end].prefix(200), as: UTF8.self))")
        }
        return Response(status: status, headers: headers, body: String(decoding: bytes[(end + 4)...], as: UTF8.self))
    }
}

/// Datagrams to 127.0.0.1, as an SDK sends them.
package enum UDP {
    /// Sends each payload as one datagram from one socket; loopback delivers synchronously, so once this
    /// returns the datagrams are in the receiver's socket buffer.
    package static func send(_ datagrams: [[UInt8]], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
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

    package static func send(_ payloads: [String], port: Int) {
        send(payloads.map { Array($0.utf8) }, port: port)
    }
}

func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
