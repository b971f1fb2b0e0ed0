import CXRaySystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The UDP intake thread: `recvmmsg` into 64 slots of 64 KiB, straight into the writer's queue.
///
/// It does no parsing and never touches SQLite, so it is back in `recvmmsg` within microseconds; this is
/// the receiver that drained 500,000 datagrams with no loss (README, "Performance").
struct UDPReader: Sendable {
    static let slots = 64

    let fd: Int32
    let queue: IntakeQueue
    let counters: LiveCounters
    let stopping: StopFlag
    let slotSize: Int

    func run() {
        let controlSize = xr_rxq_ovfl_space()
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: Self.slots * slotSize, alignment: 16)
        let controls = UnsafeMutableRawPointer.allocate(byteCount: Self.slots * controlSize, alignment: 16)
        let names = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: Self.slots)
        let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: Self.slots)
        let messages = UnsafeMutablePointer<xr_mmsghdr>.allocate(capacity: Self.slots)
        defer {
            buffers.deallocate()
            controls.deallocate()
            names.deallocate()
            iovecs.deallocate()
            messages.deallocate()
        }
        names.initialize(repeating: sockaddr_storage(), count: Self.slots)
        messages.initialize(repeating: xr_mmsghdr(), count: Self.slots)
        for i in 0..<Self.slots {
            iovecs[i] = iovec(iov_base: buffers + i * slotSize, iov_len: slotSize)
        }
        var sourceCache = SourceNames()
        var drops = -1
        while true {
            let draining = stopping.isSet
            for i in 0..<Self.slots {
                messages[i].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
                messages[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                messages[i].msg_hdr.msg_iov = iovecs + i
                messages[i].msg_hdr.msg_iovlen = 1
                messages[i].msg_hdr.msg_control = controls + i * controlSize
                messages[i].msg_hdr.msg_controllen = controlSize
                messages[i].msg_hdr.msg_flags = 0
                messages[i].msg_len = 0
            }
            // Once stopping, read only what is already queued in the kernel, then end.
            let received = xr_recvmmsg(fd, messages, UInt32(Self.slots), draining ? XR_MSG_DONTWAIT : XR_MSG_WAITFORONE)
            if received < 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK {
                    if draining { break }
                    continue
                }
                // The socket was closed under us or is broken: nothing more will arrive.
                break
            }
            guard received > 0 else { if draining { break } else { continue } }
            let now = epochSeconds()
            var batch: [ReceivedDatagram] = []
            batch.reserveCapacity(Int(received))
            var ended = false
            for i in 0..<Int(received) {
                let length = Int(messages[i].msg_len)
                // `Collector.stop` shuts the socket down for reading: once the queue is empty, the kernel
                // returns an empty message instead of blocking. That is the end, not a datagram.
                if length == 0 && messages[i].msg_hdr.msg_namelen == 0 && stopping.isSet {
                    ended = true
                    break
                }
                let truncated = messages[i].msg_hdr.msg_flags & XR_MSG_TRUNC != 0
                let bytes = Array(UnsafeRawBufferPointer(start: buffers + i * slotSize, count: min(length, slotSize)))
                let overflow = xr_rxq_ovfl(&messages[i].msg_hdr)
                if overflow > drops { drops = Int(overflow) }
                batch.append(ReceivedDatagram(
                    bytes: bytes, source: sourceCache.name(names + i, length: Int(messages[i].msg_hdr.msg_namelen)), receivedAt: now, truncated: truncated))
            }
            counters.datagrams.add(batch.count, ordering: .relaxed)
            if drops >= 0 { counters.kernelDrops.store(drops, ordering: .relaxed) }
            else { counters.kernelDrops.store(0, ordering: .relaxed) }
            if !batch.isEmpty { queue.push(.datagrams(batch), weight: batch.count) }
            if ended { break }
        }
    }
}

/// Formats sender addresses once per distinct sender rather than once per datagram.
struct SourceNames {
    private var last = sockaddr_storage()
    private var lastLength = 0
    private var lastName = ""

    /// IPv4 and IPv6 senders alike: the address bytes the kernel filled in are compared as they are.
    mutating func name(_ address: UnsafePointer<sockaddr_storage>, length: Int) -> String {
        let size = min(length, MemoryLayout<sockaddr_storage>.size)
        if size == lastLength, !lastName.isEmpty, withUnsafePointer(to: &last, { memcmp($0, address, size) }) == 0 {
            return lastName
        }
        last = address.pointee
        lastLength = size
        lastName = "udp:" + Sockets.format(address.pointee)
        return lastName
    }
}

/// A one-way flag the reader and HTTP threads poll to learn that the collector is stopping.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
