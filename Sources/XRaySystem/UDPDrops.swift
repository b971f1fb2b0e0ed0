#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kernel's count of datagrams a UDP socket dropped because its receive buffer was full.
///
/// `SO_RXQ_OVFL` only reports drops that happened before a datagram that was then read; drops after the
/// last one read are only visible in the kernel's socket tables, so the collector asks once the socket is
/// drained. Two implementations: `ProcNetUDPDrops` (Linux) and `UnknownUDPDrops` (nil: shown as unknown).
package protocol UDPDropCounter {
    static func drops(socket fd: Int32) -> Int?
}

/// The counter this build uses: /proc on Linux, none elsewhere and when built with `XRAY_POSIX_FALLBACK`.
#if os(Linux) && !XRAY_POSIX_FALLBACK
package typealias SystemUDPDrops = ProcNetUDPDrops
#else
package typealias SystemUDPDrops = UnknownUDPDrops
#endif

/// The `drops` column of `/proc/net/udp` and `/proc/net/udp6` (proc_net(5)), matched by the socket's inode.
package enum ProcNetUDPDrops: UDPDropCounter {
    /// The tables have one ~150-byte line per UDP socket on the machine; this is thousands of sockets.
    static let tableLimit = 16 << 20

    package static func drops(socket fd: Int32) -> Int? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        let inode = String(status.st_ino)
        return drops(inode: inode, table: "/proc/net/udp") ?? drops(inode: inode, table: "/proc/net/udp6")
    }

    /// The drop counter of the socket with `inode` in one of the kernel's UDP tables (IPv4 or IPv6).
    private static func drops(inode: String, table: String) -> Int? {
        guard let bytes = try? FileIO.readFile(table, limit: tableLimit) else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count > 12, String(decoding: fields[9], as: UTF8.self) == inode else { continue }
            return Int(String(decoding: fields[12], as: UTF8.self))
        }
        return nil
    }
}

/// No drop counter: systems without /proc (macOS keeps only system-wide UDP statistics).
package enum UnknownUDPDrops: UDPDropCounter {
    package static func drops(socket fd: Int32) -> Int? { nil }
}
