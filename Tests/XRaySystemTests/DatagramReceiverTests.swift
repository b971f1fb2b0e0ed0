import Testing
import XRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Both datagram receivers over real UDP sockets on 127.0.0.1.
@Suite struct DatagramReceiverTests {
    /// Each implementation this system compiles, by name.
    enum Kind: String, Sendable, CustomTestStringConvertible {
        case recvmmsg, recvmsg
        var testDescription: String { rawValue }

        var type: any DatagramReceiver.Type {
            switch self {
            case .recvmmsg:
                #if os(Linux)
                MultipleMessageReceiver.self
                #else
                preconditionFailure("recvmmsg is Linux-only")
                #endif
            case .recvmsg: MessageLoopReceiver.self
            }
        }
    }

    #if os(Linux)
    static let implementations: [Kind] = [.recvmmsg, .recvmsg]
    #else
    static let implementations: [Kind] = [.recvmsg]
    #endif

    /// A bound socket set up for `kind`, and a sender socket.
    static func sockets(_ kind: Kind) throws -> (receiver: Int32, port: UInt16, sender: Int32, senderPort: UInt16) {
        let (receiver, port) = try Loopback.udp()
        kind.type.prepare(receiver)
        let (sender, senderPort) = try Loopback.udp()
        return (receiver, port, sender, senderPort)
    }

    @Test(arguments: implementations)
    func manyDatagramsArriveInOrderWithTheirSender(_ kind: Kind) throws {
        let s = try Self.sockets(kind)
        defer { close(s.receiver); close(s.sender) }
        let receiver = kind.type.init(slots: 16, slotSize: 2048)
        for i in 0..<200 { Loopback.send(Array("datagram \(i)".utf8), from: s.sender, to: s.port) }
        var received: [String] = []
        var batches = 0
        while received.count < 200 {
            let count = try receiver.receive(s.receiver, wait: true)
            try #require(count > 0, "datagrams went missing after \(received.count)")
            #expect(count <= 16)
            batches += 1
            for i in 0..<count {
                let slot = receiver.slot(i)
                #expect(!slot.truncated)
                received.append(String(decoding: slot.bytes, as: UTF8.self))
                let source = slot.source.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                #expect(slot.sourceLength == MemoryLayout<sockaddr_in>.size)
                #expect(UInt16(bigEndian: source.sin_port) == s.senderPort)
                #expect(source.sin_addr.s_addr == inet_addr("127.0.0.1"))
            }
        }
        #expect(received == (0..<200).map { "datagram \($0)" })
        // Queued datagrams come in batches, not one call each.
        #expect(batches < 200)
    }

    @Test(arguments: implementations)
    func anOversizeDatagramIsCutToTheSlotAndMarkedTruncated(_ kind: Kind) throws {
        let s = try Self.sockets(kind)
        defer { close(s.receiver); close(s.sender) }
        let receiver = kind.type.init(slots: 4, slotSize: 100)
        Loopback.send([UInt8](repeating: 0x41, count: 150), from: s.sender, to: s.port)
        Loopback.send([UInt8](repeating: 0x42, count: 100), from: s.sender, to: s.port)
        var slots: [(bytes: [UInt8], truncated: Bool)] = []
        while slots.count < 2 {
            let count = try receiver.receive(s.receiver, wait: true)
            try #require(count > 0)
            for i in 0..<count { slots.append((Array(receiver.slot(i).bytes), receiver.slot(i).truncated)) }
        }
        #expect(slots[0].bytes == [UInt8](repeating: 0x41, count: 100))
        #expect(slots[0].truncated)
        #expect(slots[1].bytes == [UInt8](repeating: 0x42, count: 100))
        #expect(!slots[1].truncated)
    }

    @Test(arguments: implementations)
    func nothingQueuedReturnsNoneWithoutWaitingOrWaitingUntilTheTimeout(_ kind: Kind) throws {
        let s = try Self.sockets(kind)
        defer { close(s.receiver); close(s.sender) }
        let receiver = kind.type.init(slots: 4, slotSize: 100)
        #expect(try receiver.receive(s.receiver, wait: false) == 0)
        // The socket's 200 ms receive timeout ends a blocking receive.
        #expect(try receiver.receive(s.receiver, wait: true) == 0)
    }

    @Test(arguments: implementations)
    func aShutDownSocketEndsWithAnEmptyAddresslessDatagram(_ kind: Kind) throws {
        let s = try Self.sockets(kind)
        defer { close(s.receiver); close(s.sender) }
        let receiver = kind.type.init(slots: 4, slotSize: 100)
        Loopback.send([7], from: s.sender, to: s.port)
        #expect(FileIO.wait(s.receiver, events: Int16(POLLIN), milliseconds: 5_000))
        _ = shutdown(s.receiver, Int32(SHUT_RD))
        var slots: [(bytes: [UInt8], sourceLength: Int)] = []
        for _ in 0..<3 where slots.last.map({ !$0.bytes.isEmpty || $0.sourceLength != 0 }) ?? true {
            let count = try receiver.receive(s.receiver, wait: true)
            for i in 0..<count { slots.append((Array(receiver.slot(i).bytes), receiver.slot(i).sourceLength)) }
        }
        // What was queued comes first, then the end.
        #expect(slots.first?.bytes == [7])
        #expect(slots.count >= 2)
        #expect(slots.last?.bytes == [])
        #expect(slots.last?.sourceLength == 0)
    }

    @Test(arguments: implementations)
    func onlyTheLinuxReceiverKnowsTheKernelDropCount(_ kind: Kind) throws {
        let s = try Self.sockets(kind)
        defer { close(s.receiver); close(s.sender) }
        let receiver = kind.type.init(slots: 4, slotSize: 100)
        Loopback.send([1], from: s.sender, to: s.port)
        #expect(try receiver.receive(s.receiver, wait: true) == 1)
        #if os(Linux)
        #expect((receiver.kernelDrops != nil) == (kind == .recvmmsg))
        #else
        #expect(receiver.kernelDrops == nil)
        #endif
    }
}

/// The kernel's per-socket drop counters: /proc on Linux, none on the fallback.
@Suite struct UDPDropTests {
    /// A socket with the smallest receive buffer, sent far more than it holds and never read.
    static func overflowedSocket() throws -> (fd: Int32, port: UInt16) {
        let s = try Loopback.udp()
        var small: Int32 = 1
        _ = setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        return s
    }

    #if os(Linux)
    @Test func procNetUDPCountsWhatAFullSocketDropped() throws {
        let s = try Self.overflowedSocket()
        MultipleMessageReceiver.prepare(s.fd)
        let (sender, _) = try Loopback.udp()
        defer { close(s.fd); close(sender) }
        #expect(ProcNetUDPDrops.drops(socket: s.fd) == 0)
        for _ in 0..<500 { Loopback.send([UInt8](repeating: 0, count: 1000), from: sender, to: s.port) }
        let dropped = try #require(ProcNetUDPDrops.drops(socket: s.fd))
        #expect(dropped > 0)
        // The Linux receiver learns the count from the first datagram queued after the drops (SO_RXQ_OVFL):
        // drain what fitted, then send one more.
        let receiver = MultipleMessageReceiver(slots: 64, slotSize: 2048)
        while try receiver.receive(s.fd, wait: false) > 0 {}
        Loopback.send([1], from: sender, to: s.port)
        #expect(try receiver.receive(s.fd, wait: true) == 1)
        #expect(receiver.kernelDrops == dropped)
    }
    #endif

    @Test func theFallbackCounterSaysUnknown() throws {
        let s = try Self.overflowedSocket()
        defer { close(s.fd) }
        #expect(UnknownUDPDrops.drops(socket: s.fd) == nil)
    }

    @Test func aDescriptorThatIsNoUDPSocketHasNoCount() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(SystemUDPDrops.drops(socket: fds[0]) == nil)
    }
}
