import CXRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A descriptor one thread makes readable to wake another out of its poller: an eventfd on Linux, a
/// non-blocking pipe elsewhere (and with `XRAY_POSIX_FALLBACK`).
///
/// The descriptors are closed when the last holder lets go, so a late `signal` never writes to a reused
/// descriptor number.
package final class Wakeup: Sendable {
    /// The descriptor to poll for reading.
    package let fd: Int32
    /// The descriptor `signal` writes to: `fd` itself for an eventfd, the pipe's write end otherwise.
    private let writeFD: Int32

    package init() throws(SystemError) {
        #if os(Linux) && !XRAY_POSIX_FALLBACK
        let fd = xr_eventfd()
        guard fd >= 0 else { throw .wakeup(errno: errno) }
        self.fd = fd
        writeFD = fd
        #else
        var fds: [Int32] = [-1, -1]
        guard xr_pipe_nonblocking(&fds) == 0 else { throw .wakeup(errno: errno) }
        fd = fds[0]
        writeFD = fds[1]
        #endif
    }

    deinit {
        close(fd)
        if writeFD != fd { close(writeFD) }
    }

    /// Makes `fd` readable until the next `clear`. Never blocks: a full pipe is already readable.
    package func signal() {
        var one: UInt64 = 1
        _ = write(writeFD, &one, writeFD == fd ? 8 : 1)
    }

    /// Makes `fd` unreadable again (reads what `signal` wrote).
    package func clear() {
        var counter: UInt64 = 0
        if writeFD == fd {
            _ = read(fd, &counter, 8)
            return
        }
        while read(fd, &counter, 8) > 0 {}
    }
}
