import CXRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Socket calls retried on EINTR, so callers only handle the errors that mean something (EAGAIN, a reset).
///
/// They return what the system call does (a count, or -1 with `errno` set) because every caller branches on
/// `errno` at once, on a hot path where a thrown error would cost an allocation per `EAGAIN`.
package enum SocketIO {
    /// accept(2) of a connection that is close-on-exec and non-blocking: its descriptor, or -1 with errno.
    package static func acceptNonBlocking(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>
    ) -> Int32 {
        while true {
            let client = xr_accept_nonblocking(fd, address, length)
            if client >= 0 || errno != EINTR { return client }
        }
    }

    /// send(2) without SIGPIPE (a closed peer is EPIPE, not the end of xray): bytes sent, or -1 with errno.
    /// `nonBlocking` returns EAGAIN instead of waiting when the socket's buffer is full.
    package static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, nonBlocking: Bool = false) -> Int {
        let flags = nonBlocking ? XR_MSG_NOSIGNAL | XR_MSG_DONTWAIT : XR_MSG_NOSIGNAL
        while true {
            let n = systemSend(fd, bytes.baseAddress, bytes.count, flags)
            if n >= 0 || errno != EINTR { return n }
        }
    }

    /// recv(2) into `buffer`: bytes received (0 at end of stream), or -1 with errno.
    package static func receive(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, nonBlocking: Bool = false
    ) -> Int {
        while true {
            let n = systemReceive(fd, buffer.baseAddress, buffer.count, nonBlocking ? XR_MSG_DONTWAIT : 0)
            if n >= 0 || errno != EINTR { return n }
        }
    }
}

/// send(2) and recv(2) themselves, which `SocketIO.send` hides inside the enum.
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}

private func systemReceive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    recv(fd, buffer, count, flags)
}
