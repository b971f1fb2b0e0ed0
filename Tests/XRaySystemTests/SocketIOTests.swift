import Testing
import XRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket wrappers over a real TCP connection on 127.0.0.1.
@Suite struct SocketIOTests {
    @Test func bytesSentAreReceivedAndAnEmptySocketSaysEAGAIN() throws {
        let (client, server) = try Loopback.tcpPair()
        defer { close(client); close(server) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let empty = buffer.withUnsafeMutableBytes { SocketIO.receive(server, into: $0, nonBlocking: true) }
        #expect(empty == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
        #expect(Array("hello".utf8).withUnsafeBytes { SocketIO.send(client, $0) } == 5)
        #expect(FileIO.wait(server, events: Int16(POLLIN), milliseconds: 5_000))
        let n = buffer.withUnsafeMutableBytes { SocketIO.receive(server, into: $0) }
        #expect(Array(buffer.prefix(max(0, n))) == Array("hello".utf8))
    }

    /// Without MSG_NOSIGNAL this would end the test process with SIGPIPE.
    @Test func sendingToAClosedPeerIsAnErrorNotASignal() throws {
        let (client, server) = try Loopback.tcpPair()
        defer { close(client) }
        close(server)
        var result = 0
        // The first send after the peer's close is answered with a reset; a later one fails.
        for _ in 0..<100 where result >= 0 {
            result = Array("x".utf8).withUnsafeBytes { SocketIO.send(client, $0) }
            if result >= 0 { usleep(1_000) }
        }
        #expect(result == -1)
        #expect(errno == EPIPE || errno == ECONNRESET)
    }

    @Test func anAcceptedConnectionIsNonBlockingAndClosedOnExec() throws {
        let (listener, port) = try Loopback.tcpListener()
        defer { close(listener) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        try Loopback.connect(client, port: port)
        #expect(FileIO.wait(listener, events: Int16(POLLIN), milliseconds: 5_000))
        var address = sockaddr()
        var length = socklen_t(MemoryLayout<sockaddr>.size)
        let accepted = SocketIO.acceptNonBlocking(listener, &address, &length)
        try #require(accepted >= 0)
        defer { close(accepted) }
        #expect(fcntl(accepted, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(accepted, F_GETFD) & FD_CLOEXEC != 0)
        // Nothing more to accept: EAGAIN at once, not a wait.
        #expect(SocketIO.acceptNonBlocking(listener, &address, &length) == -1 && errno == EAGAIN)
    }
}
