import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// Socket set-up shared by the UDP intake, the HTTP server and the forwarder.
enum Sockets {
    /// Opens a UDP socket bound to `endpoint` with the largest receive buffer the system allows.
    ///
    /// - Throws: `CollectorError.portInUse` when another process holds the port.
    static func bindUDP(_ endpoint: Endpoint) throws(CollectorError) -> (fd: Int32, port: Int, receiveBuffer: Int) {
        let address = try endpoint.socketAddress()
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "socket(UDP)", errno: errno) }
        // Ask for far more than allowed: Linux caps SO_RCVBUF at net.core.rmem_max (then doubles it);
        // SO_RCVBUFFORCE goes beyond that when we happen to have CAP_NET_ADMIN.
        var wanted: Int32 = 16 << 20
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, socklen_t(MemoryLayout<Int32>.size))
        }
        SystemDatagramReceiver.prepare(fd)
        // The reader wakes up this often to notice a stop request.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = address.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            let error = errno
            close(fd)
            if error == EADDRINUSE { throw .portInUse(transport: .udp, host: endpoint.host, port: endpoint.port) }
            throw .cannotBind(transport: .udp, host: endpoint.host, port: endpoint.port, errno: error)
        }
        var actual: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &length)
        return (fd, boundPort(fd), Int(actual))
    }

    /// Opens a listening TCP socket bound to `endpoint`.
    ///
    /// - Throws: `CollectorError.portInUse` when another process holds the port.
    static func listenTCP(_ endpoint: Endpoint) throws(CollectorError) -> (fd: Int32, port: Int) {
        let address = try endpoint.socketAddress()
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "socket(TCP)", errno: errno) }
        var one: Int32 = 1
        // Restarting the daemon must not wait for TIME_WAIT connections of the previous run.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = address.withSockaddr { bind(fd, $0, $1) }
        guard rc == 0 else {
            let error = errno
            close(fd)
            if error == EADDRINUSE { throw .portInUse(transport: .tcp, host: endpoint.host, port: endpoint.port) }
            throw .cannotBind(transport: .tcp, host: endpoint.host, port: endpoint.port, errno: error)
        }
        guard listen(fd, 128) == 0 else {
            let error = errno
            close(fd)
            throw .socket(operation: "listen(\(endpoint))", errno: error)
        }
        return (fd, boundPort(fd))
    }

    /// Opens a UDP socket connected to `endpoint`, for `--forward`.
    static func connectUDP(_ endpoint: Endpoint) throws(CollectorError) -> Int32 {
        let address = try endpoint.socketAddress()
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "socket(UDP)", errno: errno) }
        let rc = address.withSockaddr { connect(fd, $0, $1) }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw .socket(operation: "connect(UDP \(endpoint))", errno: error)
        }
        return fd
    }

    static func boundPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return hostAndPort(address)?.port ?? 0
    }

    /// `a.b.c.d:port` or `[v6]:port` for a socket address.
    static func format(_ address: sockaddr_storage) -> String {
        guard let (host, port) = hostAndPort(address) else { return "?" }
        return "\(host):\(port)"
    }

    /// The IP literal (IPv6 in brackets, as `Host` writes it) and port of an IPv4 or IPv6 socket address.
    static func hostAndPort(_ address: sockaddr_storage) -> (host: String, port: Int)? {
        var address = address
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(address.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 -> (String, Int)? in
                    var ip = v4.pointee.sin_addr
                    guard inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil else { return nil }
                    return (Self.string(text), Int(UInt16(bigEndian: v4.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 -> (String, Int)? in
                    var ip = v6.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil else { return nil }
                    return ("[" + Self.string(text) + "]", Int(UInt16(bigEndian: v6.pointee.sin6_port)))
                }
            }
        default:
            return nil
        }
    }

    /// The text before the first NUL of a C buffer.
    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local IP literal a connection arrived on (`127.0.0.1`, `[::1]`), lower-cased.
    static func localHost(_ fd: Int32) -> String? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return hostAndPort(address)?.host.lowercased()
    }
}
