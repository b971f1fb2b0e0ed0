import CXRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One datagram of the last `receive`, valid until the next one.
package struct ReceivedDatagramSlot {
    /// The bytes received: at most the slot size.
    package var bytes: UnsafeRawBufferPointer
    /// The datagram was longer than the slot and was cut to fit.
    package var truncated: Bool
    /// The sender's address as the kernel filled it in, `sourceLength` bytes of it (0: no address, which is
    /// how the end of input after `shutdown(SHUT_RD)` looks).
    package var source: UnsafePointer<sockaddr_storage>
    package var sourceLength: Int
}

/// Receives datagrams from a UDP socket in batches of up to `slots`, into buffers allocated once.
///
/// Two implementations: `MultipleMessageReceiver` (recvmmsg, Linux: one system call per batch, with the
/// kernel's drop counter) and `MessageLoopReceiver` (recvmsg(2) until the socket is empty, any POSIX system).
package protocol DatagramReceiver: AnyObject {
    /// Sets up what the receiver needs on a freshly bound socket.
    static func prepare(_ fd: Int32)
    init(slots: Int, slotSize: Int)
    /// Receives up to the slot count: waits for the first datagram when `wait` (as long as the socket's
    /// receive timeout allows), then takes only what is already queued. Returns the count, 0 when nothing
    /// came in time; EINTR is retried.
    ///
    /// - Throws: `SystemError.read` when the socket is closed or broken.
    func receive(_ fd: Int32, wait: Bool) throws(SystemError) -> Int
    /// Datagram `index` (below the count `receive` returned).
    func slot(_ index: Int) -> ReceivedDatagramSlot
    /// The socket's count of datagrams the kernel dropped, as of the last batch; nil when this receiver
    /// cannot know it.
    var kernelDrops: Int? { get }
}

/// The receiver this build uses: recvmmsg on Linux, recvmsg elsewhere and when built with `XRAY_POSIX_FALLBACK`.
#if os(Linux) && !XRAY_POSIX_FALLBACK
package typealias SystemDatagramReceiver = MultipleMessageReceiver
#else
package typealias SystemDatagramReceiver = MessageLoopReceiver
#endif

/// Buffers, addresses and message headers for `slots` datagrams, shared by both receivers.
private struct Slots {
    let count: Int
    let size: Int
    let controlSize: Int
    let buffers: UnsafeMutableRawPointer
    let controls: UnsafeMutableRawPointer?
    let names: UnsafeMutablePointer<sockaddr_storage>
    let iovecs: UnsafeMutablePointer<iovec>
    let lengths: UnsafeMutablePointer<Int>

    init(count: Int, size: Int, controlSize: Int) {
        self.count = count
        self.size = size
        self.controlSize = controlSize
        buffers = .allocate(byteCount: count * size, alignment: 16)
        controls = controlSize > 0 ? .allocate(byteCount: count * controlSize, alignment: 16) : nil
        names = .allocate(capacity: count)
        names.initialize(repeating: sockaddr_storage(), count: count)
        iovecs = .allocate(capacity: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        for i in 0..<count {
            iovecs[i] = iovec(iov_base: buffers + i * size, iov_len: size)
        }
    }

    func deallocate() {
        buffers.deallocate()
        controls?.deallocate()
        names.deallocate()
        iovecs.deallocate()
        lengths.deallocate()
    }

    /// Points `header` at slot `i`'s buffer, address and control space, ready for the kernel to fill.
    func prepare(_ header: inout msghdr, _ i: Int) {
        header.msg_name = UnsafeMutableRawPointer(names + i)
        header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        header.msg_iov = iovecs + i
        header.msg_iovlen = 1
        header.msg_control = controls.map { $0 + i * controlSize }
        header.msg_controllen = .init(controlSize)
        header.msg_flags = 0
    }

    func slot(_ i: Int, header: msghdr, length: Int) -> ReceivedDatagramSlot {
        ReceivedDatagramSlot(
            bytes: UnsafeRawBufferPointer(start: buffers + i * size, count: min(length, size)),
            truncated: header.msg_flags & Int32(XR_MSG_TRUNC) != 0,
            source: UnsafePointer(names + i), sourceLength: Int(header.msg_namelen))
    }
}

#if os(Linux)
/// recvmmsg(2) with MSG_WAITFORONE, and SO_RXQ_OVFL for the kernel's drop counter.
package final class MultipleMessageReceiver: DatagramReceiver {
    private let slots: Slots
    private let messages: UnsafeMutablePointer<xr_mmsghdr>
    private var drops = -1

    package static func prepare(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, XR_SO_RXQ_OVFL, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    package init(slots: Int, slotSize: Int) {
        self.slots = Slots(count: slots, size: slotSize, controlSize: xr_rxq_ovfl_space())
        messages = .allocate(capacity: slots)
        messages.initialize(repeating: xr_mmsghdr(), count: slots)
    }

    deinit {
        slots.deallocate()
        messages.deallocate()
    }

    package func receive(_ fd: Int32, wait: Bool) throws(SystemError) -> Int {
        while true {
            for i in 0..<slots.count {
                slots.prepare(&messages[i].msg_hdr, i)
                messages[i].msg_len = 0
            }
            let received = xr_recvmmsg(fd, messages, UInt32(slots.count), wait ? XR_MSG_WAITFORONE : XR_MSG_DONTWAIT)
            if received < 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { return 0 }
                throw .read(errno: error)
            }
            for i in 0..<Int(received) {
                let overflow = xr_rxq_ovfl(&messages[i].msg_hdr)
                if overflow > drops { drops = Int(overflow) }
            }
            return Int(received)
        }
    }

    package func slot(_ index: Int) -> ReceivedDatagramSlot {
        slots.slot(index, header: messages[index].msg_hdr, length: Int(messages[index].msg_len))
    }

    /// The kernel reports the counter only with a datagram read after a drop; until one is, nothing was
    /// dropped that this socket could know of, so the count is 0 rather than unknown.
    package var kernelDrops: Int? { max(drops, 0) }
}
#endif

/// recvmsg(2) once per datagram: blocking for the first, MSG_DONTWAIT for the rest. recvmsg rather than
/// recvfrom because only its `msg_flags` tells a truncated datagram apart (MSG_TRUNC) on every system.
package final class MessageLoopReceiver: DatagramReceiver {
    private let slots: Slots
    private let headers: UnsafeMutablePointer<msghdr>

    package static func prepare(_ fd: Int32) {}

    package init(slots: Int, slotSize: Int) {
        self.slots = Slots(count: slots, size: slotSize, controlSize: 0)
        headers = .allocate(capacity: slots)
        headers.initialize(repeating: msghdr(), count: slots)
    }

    deinit {
        slots.deallocate()
        headers.deallocate()
    }

    package func receive(_ fd: Int32, wait: Bool) throws(SystemError) -> Int {
        var count = 0
        while count < slots.count {
            slots.prepare(&headers[count], count)
            let n = recvmsg(fd, &headers[count], count == 0 && wait ? 0 : Int32(XR_MSG_DONTWAIT))
            if n < 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { return count }
                if count > 0 { return count }
                throw .read(errno: error)
            }
            slots.lengths[count] = n
            count += 1
            // After shutdown(SHUT_RD) an empty socket returns empty, address-less messages at once: one ends it.
            if n == 0 && headers[count - 1].msg_namelen == 0 { return count }
        }
        return count
    }

    package func slot(_ index: Int) -> ReceivedDatagramSlot {
        slots.slot(index, header: headers[index], length: slots.lengths[index])
    }

    package var kernelDrops: Int? { nil }
}
