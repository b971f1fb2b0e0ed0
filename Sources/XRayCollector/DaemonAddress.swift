#if canImport(Glibc)
import Glibc
#endif

/// A host and port to listen on or send to: an IPv4 literal or name, or an IPv6 literal (`[::1]:2000`).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 literal in brackets (`[::1]:2000`).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The loopback default every X-Ray SDK sends to.
    public static let defaultDaemon = Endpoint(host: "127.0.0.1", port: 2000)

    /// Parses `host:port` (IPv4 literal or name) or `[v6]:port` (an IPv6 literal such as `[::1]:2000`, for
    /// listening; the SDKs themselves only send to IPv4).
    ///
    /// - Throws: `CollectorError.invalidAddress` naming what is wrong.
    public static func parse(_ text: String) throws(CollectorError) -> Endpoint {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .invalidAddress(text, reason: "an IPv6 address in brackets needs its closing ']'")
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            var probe = in6_addr()
            guard inet_pton(AF_INET6, host, &probe) == 1 else {
                throw .invalidAddress(text, reason: "\"\(host)\" is not an IPv6 address")
            }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65_535).contains(port) else {
                throw .invalidAddress(text, reason: "expected :PORT (0 to 65535) after the ']'")
            }
            return Endpoint(host: host, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidAddress(text, reason: "expected exactly one ':' between host and port")
        }
        guard !parts[0].isEmpty else { throw .invalidAddress(text, reason: "the host is empty") }
        guard let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw .invalidAddress(text, reason: "the port \"\(parts[1])\" is not a number from 0 to 65535")
        }
        return Endpoint(host: String(parts[0]), port: port)
    }

    /// The address for bind/connect: an IPv6 literal as `sockaddr_in6`, anything else as `sockaddr_in`,
    /// resolving names through the system resolver.
    ///
    /// - Throws: `CollectorError.unresolvableHost` when the name has no IPv4 address.
    func socketAddress() throws(CollectorError) -> SocketAddress {
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            return SocketAddress(v6)
        }
        return SocketAddress(try ipv4SocketAddress())
    }

    private func ipv4SocketAddress() throws(CollectorError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET, host, &address.sin_addr) == 1 { return address }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result, let sa = first.pointee.ai_addr else {
            throw .unresolvableHost(host)
        }
        defer { freeaddrinfo(result) }
        sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address.sin_addr = $0.pointee.sin_addr }
        return address
    }
}

/// A socket address of either family, ready for bind(2) and connect(2).
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t
    var family: Int32

    init(_ v4: sockaddr_in) {
        length = socklen_t(MemoryLayout<sockaddr_in>.size)
        family = AF_INET
        withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) } }
    }

    init(_ v6: sockaddr_in6) {
        length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        family = AF_INET6
        withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) } }
    }

    /// The IPv4 form, when this is an IPv4 address.
    var ipv4: sockaddr_in? {
        guard family == AF_INET else { return nil }
        return withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in.self) }
    }

    /// Calls `body` with the address as the `sockaddr` pointer and length the socket calls take.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}

/// The UDP and TCP endpoints of a daemon, as `AWS_XRAY_DAEMON_ADDRESS` writes them.
public struct DaemonAddress: Sendable, Hashable, CustomStringConvertible {
    public var udp: Endpoint
    public var tcp: Endpoint

    public init(udp: Endpoint, tcp: Endpoint) {
        self.udp = udp
        self.tcp = tcp
    }

    public static let `default` = DaemonAddress(udp: .defaultDaemon, tcp: .defaultDaemon)

    /// Parses `host:port` (both transports) or `tcp:h:p udp:h:p` in either order (as the SDKs read `AWS_XRAY_DAEMON_ADDRESS`: aws-xray-sdk-python `core/daemon_config.py`).
    ///
    /// - Throws: `CollectorError.invalidAddress` naming what is wrong.
    public static func parse(_ text: String) throws(CollectorError) -> DaemonAddress {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        if parts.count == 1 {
            let endpoint = try Endpoint.parse(text)
            return DaemonAddress(udp: endpoint, tcp: endpoint)
        }
        guard parts.count == 2 else {
            throw .invalidAddress(text, reason: "expected host:port, or two parts \"tcp:host:port udp:host:port\" separated by one space")
        }
        var udp: Endpoint?
        var tcp: Endpoint?
        for part in parts {
            if part.hasPrefix("udp:") {
                udp = try Endpoint.parse(String(part.dropFirst(4)))
            } else if part.hasPrefix("tcp:") {
                tcp = try Endpoint.parse(String(part.dropFirst(4)))
            } else {
                throw .invalidAddress(text, reason: "\"\(part)\" starts with neither tcp: nor udp:")
            }
        }
        guard let udp, let tcp else {
            throw .invalidAddress(text, reason: "both a tcp: and a udp: part are required")
        }
        return DaemonAddress(udp: udp, tcp: tcp)
    }

    /// The value to put in `AWS_XRAY_DAEMON_ADDRESS` for an SDK to reach these endpoints.
    public var environmentValue: String {
        udp == tcp ? udp.description : "tcp:\(tcp) udp:\(udp)"
    }

    public var description: String { environmentValue }
}

extension Endpoint {
    /// Sends one datagram to this endpoint, as an SDK does: `xray run` sends its own segment this way, so it
    /// takes the same path into the store as every other segment. False when it could not be sent.
    @discardableResult
    public func send(datagram bytes: [UInt8]) -> Bool {
        guard let fd = try? Sockets.connectUDP(self) else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } == bytes.count
    }
}
