import Testing
import XRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Both pollers over real sockets: the Linux one and the POSIX fallback behave the same.
@Suite struct PollerTests {
    /// Each implementation this system compiles, by name.
    enum Kind: String, Sendable, CustomTestStringConvertible {
        case epoll, poll
        var testDescription: String { rawValue }

        func make() throws -> any Poller {
            switch self {
            case .epoll:
                #if os(Linux)
                try EpollPoller()
                #else
                preconditionFailure("epoll is Linux-only")
                #endif
            case .poll: try PollPoller()
            }
        }
    }

    #if os(Linux)
    static let implementations: [Kind] = [.epoll, .poll]
    #else
    static let implementations: [Kind] = [.poll]
    #endif

    /// Every (tag, events) one wait reports.
    static func reported(_ poller: any Poller, milliseconds: Int32) -> [UInt64: PollEvents] {
        var seen: [UInt64: PollEvents] = [:]
        poller.wait(milliseconds: milliseconds) { tag, events in seen[tag, default: []].formUnion(events) }
        return seen
    }

    @Test(arguments: implementations)
    func aDatagramMakesItsSocketReadableUnderItsTag(_ kind: Kind) throws {
        let poller = try kind.make()
        let (receiver, port) = try Loopback.udp()
        let (sender, _) = try Loopback.udp()
        defer { close(receiver); close(sender) }
        try poller.add(receiver, interest: .readable, tag: 42)
        #expect(Self.reported(poller, milliseconds: 0).isEmpty)
        Loopback.send([1, 2, 3], from: sender, to: port)
        let seen = Self.reported(poller, milliseconds: 5_000)
        #expect(seen == [42: .readable])
        // Level-triggered: still readable until the datagram is read.
        #expect(Self.reported(poller, milliseconds: 0) == [42: .readable])
    }

    @Test(arguments: implementations)
    func aWaitWithNothingReadyEndsAtItsTimeoutReportingNothing(_ kind: Kind) throws {
        let poller = try kind.make()
        let (receiver, _) = try Loopback.udp()
        defer { close(receiver) }
        try poller.add(receiver, interest: .readable, tag: 1)
        #expect(poller.wait(milliseconds: 20) { _, _ in Issue.record("nothing was ready") } == 0)
    }

    @Test(arguments: implementations)
    func interestCanBeChangedAndRemoved(_ kind: Kind) throws {
        let poller = try kind.make()
        let (client, server) = try Loopback.tcpPair()
        defer { close(client); close(server) }
        try poller.add(client, interest: [.readable, .writable], tag: 7)
        #expect(Self.reported(poller, milliseconds: 5_000) == [7: .writable])
        try poller.modify(client, interest: .readable, tag: 8)
        #expect(Self.reported(poller, milliseconds: 0).isEmpty)
        _ = [UInt8](repeating: 1, count: 10).withUnsafeBytes { write(server, $0.baseAddress, $0.count) }
        #expect(Self.reported(poller, milliseconds: 5_000) == [8: .readable])
        poller.remove(client)
        #expect(Self.reported(poller, milliseconds: 0).isEmpty)
        // Adding again after removal works, and adding twice changes the interest instead of failing.
        try poller.add(client, interest: .readable, tag: 9)
        try poller.add(client, interest: [.readable, .writable], tag: 10)
        #expect(Self.reported(poller, milliseconds: 5_000) == [10: [.readable, .writable]])
    }

    @Test(arguments: implementations)
    func aClosedPeerIsReportedEvenWithoutInterest(_ kind: Kind) throws {
        let poller = try kind.make()
        let (client, server) = try Loopback.tcpPair()
        defer { close(client) }
        try poller.add(client, interest: [], tag: 3)
        close(server)
        // Hang-up needs the peer's FIN and our side shut down; shutting our writes down completes it.
        _ = shutdown(client, Int32(SHUT_WR))
        let seen = Self.reported(poller, milliseconds: 5_000)
        #expect(seen[3]?.contains(.hangup) == true)
    }

    @Test(arguments: implementations)
    func onlyTheSocketsThatReceivedAreReportedAmongMany(_ kind: Kind) throws {
        let poller = try kind.make()
        let (sender, _) = try Loopback.udp()
        var sockets: [(fd: Int32, port: UInt16)] = []
        for index in 0..<40 {
            let socket = try Loopback.udp()
            sockets.append(socket)
            try poller.add(socket.fd, interest: .readable, tag: UInt64(index))
        }
        defer {
            close(sender)
            for socket in sockets { close(socket.fd) }
        }
        let chosen = Set(stride(from: 1, to: 40, by: 3).map(UInt64.init))
        for index in chosen { Loopback.send([UInt8(index)], from: sender, to: sockets[Int(index)].port) }
        var seen: Set<UInt64> = []
        // Datagrams over loopback are queued at once, but a wait may see them in more than one turn.
        for _ in 0..<100 where seen != chosen {
            poller.wait(milliseconds: 100) { tag, events in
                #expect(events == .readable)
                seen.insert(tag)
            }
        }
        #expect(seen == chosen)
    }

    @Test(arguments: implementations)
    func theReadyCallbackMayRemoveDescriptorsStillToBeReported(_ kind: Kind) throws {
        let poller = try kind.make()
        let (sender, _) = try Loopback.udp()
        let a = try Loopback.udp()
        let b = try Loopback.udp()
        defer { close(sender); close(a.fd); close(b.fd) }
        try poller.add(a.fd, interest: .readable, tag: 1)
        try poller.add(b.fd, interest: .readable, tag: 2)
        Loopback.send([1], from: sender, to: a.port)
        Loopback.send([2], from: sender, to: b.port)
        #expect(FileIO.wait(b.fd, events: Int16(POLLIN), milliseconds: 5_000))
        #expect(FileIO.wait(a.fd, events: Int16(POLLIN), milliseconds: 5_000))
        var first: UInt64?
        poller.wait(milliseconds: 5_000) { tag, _ in
            if first == nil {
                first = tag
                poller.remove(tag == 1 ? b.fd : a.fd)
            }
        }
        let remaining = Self.reported(poller, milliseconds: 0)
        #expect(remaining.keys.sorted() == [try #require(first)])
    }
}
