#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes of descriptors that survive signals: every call is retried on `EINTR`, and writes loop
/// over short writes (POSIX lets read(2) and write(2) return early on both).
package enum FileIO {
    /// One read(2) into `buffer`, retried on EINTR: the byte count, 0 at end of file.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let n = systemRead(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let error = errno
            if error != EINTR { throw .read(errno: error) }
        }
    }

    /// Everything up to end of file, or the first `limit + 1` bytes, so a caller can tell the input is over
    /// its limit without reading all of it.
    package static func readAll(_ fd: Int32, limit: Int = .max) throws(SystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while bytes.count <= limit {
            let room = limit == .max ? chunk.count : min(chunk.count, limit - bytes.count + 1)
            let n = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<room]))
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// The file at `path` as `readAll` reads it (at most `limit + 1` bytes).
    package static func readFile(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        defer { close(fd) }
        return try readAll(fd, limit: limit)
    }

    /// Writes all of `bytes`, looping over short writes and EINTR.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let n = systemWrite(fd, rest.baseAddress, rest.count)
            if n < 0 {
                let error = errno
                if error == EINTR { continue }
                throw .write(errno: error)
            }
            offset += n
        }
    }

    /// Waits until `fd` has any of `events` (poll(2) flags) or `milliseconds` pass; false on timeout or error.
    /// A signal does not end the wait early or extend it: the time left is recomputed after EINTR.
    package static func wait(_ fd: Int32, events: Int16, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let deadline = monotonicNow() + Double(milliseconds) / 1000
        var left = milliseconds
        while true {
            let n = poll(&entry, 1, left)
            if n >= 0 { return n > 0 }
            guard errno == EINTR else { return false }
            left = max(0, Int32(((deadline - monotonicNow()) * 1000).rounded(.up)))
        }
    }
}

/// read(2) and write(2) themselves, which `FileIO`'s methods of the same names hide inside the enum.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
