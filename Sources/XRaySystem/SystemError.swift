#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed, with the `errno` it failed with.
package enum SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// open(2) of a file failed.
    case open(path: String, errno: Int32)
    /// read(2) or recv(2) failed.
    case read(errno: Int32)
    /// write(2) or send(2) failed.
    case write(errno: Int32)
    /// The readiness poller could not be created or changed (`operation` is the call).
    case poller(operation: String, errno: Int32)
    /// A wake-up descriptor (eventfd or pipe) could not be created.
    case wakeup(errno: Int32)

    /// The `errno` of the failed call.
    package var errno: Int32 {
        switch self {
        case .open(_, let e), .read(let e), .write(let e), .poller(_, let e), .wakeup(let e): e
        }
    }

    /// The system's text for the errno (strerror), as the callers' own messages quote it.
    package var reason: String { String(cString: strerror(errno)) }

    package var description: String {
        switch self {
        case .open(let path, _): "cannot open \(path): \(reason)"
        case .read: "read failed: \(reason)"
        case .write: "write failed: \(reason)"
        case .poller(let operation, _): "\(operation) failed: \(reason)"
        case .wakeup: "cannot create a wake-up descriptor: \(reason)"
        }
    }
}
