import CXRaySystem
import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// Limits and deadlines of the HTTP server; tests shorten them.
struct HTTPLimits: Sendable {
    /// Connections held at once, at most; the soft `RLIMIT_NOFILE` is raised to fit them (up to the hard
    /// limit), and the limit lowered when it cannot be. At the limit the oldest idle
    /// connection is closed to make room, as nginx and NIO servers keep thousands of keep-alive clients.
    var maxConnections = 4096
    /// A request head must arrive within this many seconds of its first byte, its body within this many
    /// of the head's end: a client sending a byte a second is cut off instead of holding a slot forever.
    var headSeconds = 10.0
    var bodySeconds = 10.0
    /// An idle keep-alive connection is closed after this long. The SDK pollers ask every 10 s (targets)
    /// and 300 s (rules) on one kept-alive connection; a minute keeps the frequent one open.
    var idleSeconds = 60.0
    /// A response the client does not read within this long is abandoned with its connection.
    var writeSeconds = 10.0
    /// After a response that closes the connection, unread input is drained this long before the close, so
    /// the kernel does not reset the connection and destroy the response (the "lingering close").
    var lingerSeconds = 2.0
    /// Threads running the handler, and requests (and their body bytes) that may wait for one.
    var workers = 4
    var queueCapacity = 1024
    var queueBytes = 32 << 20
    /// The largest request body read off a connection: the OTLP limit when it is above the 1 MiB of the
    /// X-Ray operations, which `RequestPolicy` still holds them to.
    var maxBody = HTTPRequestParser.defaultMaxBody

    static let standard = HTTPLimits()
}

/// One client connection, owned by the event loop thread.
private final class Connection {
    enum Phase {
        /// Reading a request (or waiting idle for one).
        case reading
        /// A worker has the request.
        case busy
        /// The response is being written.
        case writing
        /// Closing: output shut down, input drained until EOF or the linger deadline.
        case lingering
    }

    let id: ConnectionID
    let peer: String
    let hosts: Set<String>
    var parser: HTTPRequestParser
    var phase = Phase.reading
    var head: RequestHead?
    var output: [UInt8] = []
    var written = 0
    var closeAfterWrite = false
    /// When the connection last became idle or began lingering, or when the current head, body or write began.
    var since: Double
    var headStarted: Double?
    var isIdle = true
    /// Bumped each time the connection becomes evictable, so stale entries of the eviction queue are known.
    var evictionEpoch: UInt64 = 0
    var interest: PollEvents = []
    /// Until the first bytes tell HTTP/1.1 from the HTTP/2 preface: the bytes held while they could still
    /// be a preface cut short by the network; nil once decided.
    var prefaceProbe: [UInt8]? = []
    /// Set for the connection's life once it began with the HTTP/2 preface.
    var http2: HTTP2Session?

    init(id: ConnectionID, peer: String, hosts: Set<String>, now: Double, maxBody: Int) {
        self.id = id
        self.peer = peer
        self.hosts = hosts
        self.parser = HTTPRequestParser(peer: peer, maxBody: maxBody)
        self.since = now
    }

    var evictable: Bool { phase == .lingering || (phase == .reading && isIdle) }
}

/// An HTTP/2 connection's state beside its protocol state machine: gRPC calls wait here for the worker
/// pool one at a time, so a connection holds at most one worker, as an HTTP/1.1 one does.
private struct HTTP2Session {
    var protocolState = HTTP2Connection()
    var waiting: [(stream: UInt32, request: HTTPRequest)] = []
    var inFlight: UInt32?
    /// Since when a request has been arriving, output waiting to be written, or nothing happening.
    var incompleteSince: Double?
    var stalledSince: Double?
    var idleSince: Double

    var isIdle: Bool { inFlight == nil && waiting.isEmpty && protocolState.activeStreams == 0 }
}

/// The HTTP server's single event-loop thread: accepts, reads, parses and writes non-blocking sockets with
/// the system's `Poller` (epoll on Linux), level-triggered, one read of at most 64 KiB per ready connection
/// per turn so no client can monopolise it. Complete requests go to the worker pool; responses come back
/// through the mailbox.
final class EventLoop {
    private let server: HTTPServer
    private let limits: HTTPLimits
    private let maxConnections: Int
    /// Nil when the system refused one: the loop then serves nothing.
    private let poller: SystemPoller?
    private var connections: [Int32: Connection] = [:]
    private var nextSerial: UInt64 = 1
    /// Connections in the order they became idle or began lingering: the eviction order.
    private var evictionQueue: [(fd: Int32, serial: UInt64, epoch: UInt64)] = []
    private var evictionHead = 0
    private var accepting = true
    /// Set when accept fails for good (the listening socket was shut down): accepting never resumes.
    private var listenBroken = false
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private let sweepInterval: Double
    private var nextSweep = 0.0

    /// Tags of the two descriptors that are not connections, as the poller hands them back.
    private static let listenTag = UInt64.max
    private static let mailboxTag = UInt64.max - 1

    init(server: HTTPServer, limits: HTTPLimits) {
        self.server = server
        self.limits = limits
        // Room for the store, the UDP sockets and the process's other descriptors.
        let reserve = 256
        let files = xr_raise_nofile_limit(limits.maxConnections + reserve)
        maxConnections = files > 0 ? min(limits.maxConnections, max(8, files - reserve)) : limits.maxConnections
        poller = try? SystemPoller()
        let shortest = min(limits.headSeconds, limits.bodySeconds, limits.idleSeconds, limits.writeSeconds, limits.lingerSeconds)
        sweepInterval = max(0.01, min(0.25, shortest / 4))
    }

    deinit { scratch.deallocate() }

    /// Serves until the server is told to stop, then closes every connection.
    func run() {
        guard let poller else { return }
        defer {
            for connection in connections.values {
                poller.remove(connection.id.fd)
                close(connection.id.fd)
            }
            connections.removeAll()
        }
        control(.add, server.listenFD, events: .readable, tag: Self.listenTag)
        if server.mailbox.fd >= 0 { control(.add, server.mailbox.fd, events: .readable, tag: Self.mailboxTag) }
        nextSweep = monotonicNow() + sweepInterval
        while !server.isStopping {
            let wait = server.mailbox.fd >= 0 ? max(1, Int32(((nextSweep - monotonicNow()) * 1000).rounded(.up))) : 10
            var stopped = false
            poller.wait(milliseconds: min(wait, 1000)) { tag, events in
                // Stopping ends the turn: nothing more is read or written.
                if stopped || server.isStopping {
                    stopped = true
                    return
                }
                switch tag {
                case Self.listenTag: acceptReady()
                case Self.mailboxTag: deliverCompletions()
                default: ready(fd: Int32(truncatingIfNeeded: tag), events: events)
                }
            }
            if stopped || server.isStopping { return }
            if server.mailbox.fd < 0 { deliverCompletions() }
            let now = monotonicNow()
            if now >= nextSweep {
                sweep(now)
                nextSweep = now + sweepInterval
            }
        }
    }

    private enum Control { case add, modify }

    /// Registers or changes a descriptor. A refusal (no memory for the poller's tables) leaves that one
    /// descriptor unserved until its deadline closes it; the loop carries on.
    private func control(_ operation: Control, _ fd: Int32, events: PollEvents, tag: UInt64) {
        switch operation {
        case .add: try? poller?.add(fd, interest: events, tag: tag)
        case .modify: try? poller?.modify(fd, interest: events, tag: tag)
        }
    }

    // MARK: Accepting and eviction

    private func acceptReady() {
        for _ in 0..<64 {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketIO.acceptNonBlocking(server.listenFD, $0, &length) }
            }
            if fd < 0 {
                switch errno {
                case ECONNABORTED: continue
                case EMFILE, ENFILE:
                    if evictOne() { continue }
                    pauseAccepting()
                    return
                case EAGAIN:
                    return
                default:
                    // The listening socket is shut down or broken: serve what is open, accept nothing more.
                    listenBroken = true
                    pauseAccepting()
                    return
                }
            }
            if connections.count >= maxConnections, !evictOne() {
                server.counters.httpRefused.add(1, ordering: .relaxed)
                _ = HTTPResponse.error(503, "ThrottledException", "all \(maxConnections) connections are busy; retry later", close: true)
                    .serialized().withUnsafeBytes { SocketIO.send(fd, $0, nonBlocking: true) }
                close(fd)
                continue
            }
            var hosts = server.servedHosts
            if let local = Sockets.localHost(fd) { hosts.insert(local) }
            let now = monotonicNow()
            let connection = Connection(
                id: ConnectionID(fd: fd, serial: nextSerial), peer: Sockets.format(address), hosts: hosts, now: now, maxBody: limits.maxBody)
            nextSerial += 1
            connections[fd] = connection
            connection.interest = .readable
            control(.add, fd, events: connection.interest, tag: UInt64(fd))
            becameEvictable(connection)
        }
    }

    private func pauseAccepting() {
        guard accepting else { return }
        accepting = false
        control(.modify, server.listenFD, events: [], tag: Self.listenTag)
    }

    private func becameEvictable(_ connection: Connection) {
        connection.evictionEpoch += 1
        evictionQueue.append((connection.id.fd, connection.id.serial, connection.evictionEpoch))
        // Entries of connections that were busy again or closed since are dropped now and then, so the
        // queue stays in proportion to the connections.
        if evictionQueue.count - evictionHead > 2 * connections.count + 64 {
            evictionQueue = evictionQueue[evictionHead...].filter(isCurrent)
            evictionHead = 0
        }
    }

    private func isCurrent(_ entry: (fd: Int32, serial: UInt64, epoch: UInt64)) -> Bool {
        guard let connection = connections[entry.fd], connection.id.serial == entry.serial else { return false }
        return connection.evictionEpoch == entry.epoch && connection.evictable
    }

    /// Closes the connection that has waited longest idle (or lingering); failing that, the oldest connection
    /// still sending its head. False when every connection has a request in progress.
    private func evictOne() -> Bool {
        while evictionHead < evictionQueue.count {
            let entry = evictionQueue[evictionHead]
            evictionHead += 1
            if isCurrent(entry), let connection = connections[entry.fd] {
                drop(connection)
                return true
            }
        }
        evictionQueue.removeAll(keepingCapacity: true)
        evictionHead = 0
        let slow = connections.values.filter { $0.phase == .reading && $0.http2 == nil && $0.parser.isReadingHead }.min { $0.id.serial < $1.id.serial }
        guard let slow else { return false }
        drop(slow)
        return true
    }

    // MARK: Reading

    private func ready(fd: Int32, events: PollEvents) {
        guard let connection = connections[fd] else { return }
        if events.contains(.writable) {
            let wasWriting = connection.phase == .writing
            flush(connection)
            guard isOpen(connection) else { return }
            if wasWriting, connection.phase == .reading { process(connection) }
        }
        guard isOpen(connection) else { return }
        switch connection.phase {
        case .reading, .lingering:
            if !events.isDisjoint(with: [.readable, .hangup, .error]) { readable(connection) }
        case .busy, .writing:
            // Input is not polled now (pipelined bytes wait in the kernel); a hang-up or error is final.
            if !events.isDisjoint(with: [.hangup, .error]) { drop(connection) }
        }
    }

    private func readable(_ connection: Connection) {
        let fd = connection.id.fd
        let n = recv(fd, scratch.baseAddress, scratch.count, XR_MSG_DONTWAIT)
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            drop(connection)
            return
        }
        if n == 0 {
            drop(connection)
            return
        }
        // Lingering input is read only to be dropped.
        guard connection.phase == .reading else { return }
        let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
        if connection.http2 != nil {
            http2Received(connection, bytes)
            return
        }
        if connection.prefaceProbe != nil {
            if probePreface(connection, bytes) { return }
        } else {
            connection.parser.append(bytes)
        }
        process(connection)
    }

    /// Decides from a new connection's first bytes whether it speaks HTTP/2 (RFC 9113 3.4: the client
    /// preface, sent with prior knowledge, as grpcio does for an `http://` target). True when the bytes
    /// were taken: the connection switched to HTTP/2, or they may still be the start of a preface.
    private func probePreface(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let preface = HTTP2Connection.preface
        let held = connection.prefaceProbe ?? []
        let have = held.count + bytes.count
        let matches =
            held.elementsEqual(preface.prefix(held.count))
            && bytes.prefix(preface.count - min(held.count, preface.count)).elementsEqual(preface[held.count..<min(have, preface.count)])
        guard matches else {
            connection.prefaceProbe = nil
            held.withUnsafeBytes { connection.parser.append($0) }
            connection.parser.append(bytes)
            return false
        }
        guard have >= preface.count else {
            connection.prefaceProbe = held + Array(bytes)
            if connection.headStarted == nil { connection.headStarted = monotonicNow() }
            return true
        }
        connection.prefaceProbe = nil
        connection.headStarted = nil
        let now = monotonicNow()
        var protocolLimits = HTTP2Connection.Limits()
        // The body is one message after its 5-byte prefix; the message is held to the HTTP body limit.
        protocolLimits.maxBody = limits.maxBody + 5
        var session = HTTP2Session(protocolState: HTTP2Connection(limits: protocolLimits), idleSince: now)
        connection.output += session.protocolState.start()
        connection.http2 = session
        connection.isIdle = false
        (held + Array(bytes)).withUnsafeBytes { http2Received(connection, $0) }
        return true
    }

    // MARK: HTTP/2

    /// Feeds bytes to the connection's HTTP/2 state machine; answers what the gRPC adapter answers itself
    /// and queues the calls for the handler.
    private func http2Received(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) {
        let output = connection.http2!.protocolState.receive(bytes)
        connection.output += output.send
        let hosts = connection.hosts, port = server.port
        for event in output.events {
            switch GRPC.action(
                for: event, peer: connection.peer,
                hostAllowed: {
                    RequestPolicy.hostMatches($0.lowercased(), servedHosts: hosts, port: port)
                })
            {
            case .answer(let answer): http2Respond(connection, answer)
            case .forward(let stream, let request): connection.http2!.waiting.append((stream, request))
            }
        }
        if output.close {
            http2Close(connection)
            return
        }
        http2Dispatch(connection)
        http2Settled(connection)
        flush(connection)
    }

    /// Hands the next waiting gRPC call to a worker, if none of this connection's is running.
    private func http2Dispatch(_ connection: Connection) {
        while connection.http2?.inFlight == nil, let next = connection.http2?.waiting.first {
            connection.http2!.waiting.removeFirst()
            connection.http2!.inFlight = next.stream
            if server.pool.workers == 0 {
                http2Completed(connection, server.handle(next.request))
                continue
            }
            if !server.pool.submit(WorkerPool.Job(connection: connection.id, request: next.request)) {
                http2Completed(connection, .error(503, "ThrottledException", "all workers are busy; retry shortly"))
            }
        }
    }

    /// The handler's answer to the call in flight, sent as its gRPC response.
    private func http2Completed(_ connection: Connection, _ response: HTTPResponse) {
        guard let stream = connection.http2?.inFlight else { return }
        connection.http2!.inFlight = nil
        http2Respond(connection, GRPC.response(stream: stream, to: response))
    }

    private func http2Respond(_ connection: Connection, _ answer: GRPC.Answer) {
        server.counters.httpRequests.add(1, ordering: .relaxed)
        connection.output += connection.http2!.protocolState.respond(
            stream: answer.stream, fields: answer.fields, body: answer.body, trailers: answer.trailers)
    }

    /// Keeps the idle flag (for eviction) and the peer's GOAWAY in step with the streams.
    private func http2Settled(_ connection: Connection) {
        guard let session = connection.http2 else { return }
        if session.isIdle, session.protocolState.peerWentAway {
            http2Close(connection)
            return
        }
        if session.isIdle, !connection.isIdle {
            connection.isIdle = true
            connection.http2!.idleSince = monotonicNow()
            becameEvictable(connection)
        } else if !session.isIdle {
            connection.isIdle = false
        }
    }

    /// Writes what is queued (a GOAWAY last, when the state machine sent one), then closes.
    private func http2Close(_ connection: Connection, goAway message: String? = nil) {
        if let message { connection.output += connection.http2!.protocolState.goAway(message) }
        connection.closeAfterWrite = true
        connection.phase = .writing
        connection.since = monotonicNow()
        flush(connection)
    }

    /// Deadlines of an HTTP/2 connection: output the peer does not read (or a window it does not open),
    /// a request that does not finish arriving, and idleness. PINGs and SETTINGS reset none of them.
    private func http2Sweep(_ connection: Connection, _ now: Double) {
        guard let session = connection.http2 else { return }
        if connection.written < connection.output.count || session.protocolState.hasBlockedResponses {
            let since = session.stalledSince ?? now
            connection.http2!.stalledSince = since
            if now - since >= limits.writeSeconds { drop(connection) }
            return
        }
        connection.http2!.stalledSince = nil
        if session.protocolState.hasIncompleteRequests {
            let since = session.incompleteSince ?? now
            connection.http2!.incompleteSince = since
            let allowed = limits.headSeconds + limits.bodySeconds
            if now - since >= allowed { http2Close(connection, goAway: "a request did not arrive within \(Int(allowed)) s") }
            return
        }
        connection.http2!.incompleteSince = nil
        if session.isIdle, now - session.idleSince >= limits.idleSeconds {
            http2Close(connection, goAway: "idle for \(Int(limits.idleSeconds)) s")
        }
    }

    /// Parses what the connection has buffered, until it needs more bytes or hands a request on.
    private func process(_ connection: Connection) {
        while connection.phase == .reading, isOpen(connection) {
            let event: HTTPRequestParser.Event
            do {
                event = try connection.parser.next()
            } catch {
                respond(connection, error.response)
                return
            }
            let now = monotonicNow()
            switch event {
            case .needMore:
                if connection.parser.isReadingHead && !connection.parser.hasBufferedBytes {
                    if !connection.isIdle {
                        connection.isIdle = true
                        connection.headStarted = nil
                        connection.since = now
                        becameEvictable(connection)
                    }
                } else if connection.parser.isReadingHead {
                    connection.isIdle = false
                    if connection.headStarted == nil { connection.headStarted = now }
                }
                updateInterest(connection)
                return
            case .head(let head):
                connection.isIdle = false
                connection.head = head
                connection.since = now
                let declared =
                    switch head.framing {
                    case .length(let length): length
                    case .chunked: 1
                    }
                // Before the body is read: a refused request costs no more than its head.
                if let refusal = server.policy.refusal(head.request, servedHosts: connection.hosts, port: server.port, bodyLength: declared) {
                    server.counters.httpRefused.add(1, ordering: .relaxed)
                    respond(connection, refusal)
                    return
                }
                if head.expectsContinue, !connection.parser.bodyIsBuffered {
                    connection.output += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    flush(connection)
                }
            case .request(let request):
                connection.headStarted = nil
                if let preflight = server.policy.preflight(request) {
                    var response = preflight
                    if !request.body.isEmpty { response.close = true }
                    respond(connection, response)
                    continue
                }
                dispatch(connection, request)
            }
        }
    }

    private func dispatch(_ connection: Connection, _ request: HTTPRequest) {
        connection.phase = .busy
        updateInterest(connection)
        if server.pool.workers == 0 {
            respond(connection, server.handle(request))
            return
        }
        guard server.pool.submit(WorkerPool.Job(connection: connection.id, request: request)) else {
            var busy = HTTPResponse.error(503, "ThrottledException", "all workers are busy; retry shortly")
            busy.headers.append(("Retry-After", "1"))
            respond(connection, busy)
            return
        }
    }

    private func deliverCompletions() {
        for completion in server.mailbox.drain() {
            guard let connection = connections[completion.connection.fd], connection.id == completion.connection else { continue }
            if connection.http2 != nil {
                guard connection.phase == .reading else { continue }
                http2Completed(connection, completion.response)
                http2Dispatch(connection)
                http2Settled(connection)
                flush(connection)
                continue
            }
            guard connection.phase == .busy else { continue }
            respond(connection, completion.response)
            if isOpen(connection) { process(connection) }
        }
    }

    // MARK: Writing

    /// Queues a response; it closes the connection when it says so, for `Connection: close`, and after an
    /// HTTP/1.0 request without keep-alive.
    private func respond(_ connection: Connection, _ response: HTTPResponse) {
        var response = response
        if connection.head?.keepAlive == false { response.close = true }
        server.counters.httpRequests.add(1, ordering: .relaxed)
        connection.output += response.serialized()
        connection.closeAfterWrite = response.close
        connection.phase = .writing
        connection.since = monotonicNow()
        connection.head = nil
        flush(connection)
    }

    /// Writes what the socket takes now; finishes the response when all is written.
    private func flush(_ connection: Connection) {
        while connection.written < connection.output.count {
            let n = connection.output.withUnsafeBytes { bytes in
                SocketIO.send(connection.id.fd, UnsafeRawBufferPointer(rebasing: bytes[connection.written...]), nonBlocking: true)
            }
            if n < 0 {
                if errno == EAGAIN { break }
                drop(connection)
                return
            }
            connection.written += n
        }
        if connection.written == connection.output.count {
            connection.output.removeAll(keepingCapacity: connection.output.count <= 64 * 1024)
            connection.written = 0
            if connection.phase == .writing { finishResponse(connection) }
        }
        updateInterest(connection)
    }

    private func finishResponse(_ connection: Connection) {
        if connection.closeAfterWrite {
            _ = shutdown(connection.id.fd, Int32(SHUT_WR))
            connection.phase = .lingering
            connection.since = monotonicNow()
            becameEvictable(connection)
            return
        }
        connection.phase = .reading
        connection.since = monotonicNow()
        connection.isIdle = false
    }

    private func isOpen(_ connection: Connection) -> Bool { connections[connection.id.fd] === connection }

    private func updateInterest(_ connection: Connection) {
        guard isOpen(connection) else { return }
        var wanted: PollEvents = []
        // An HTTP/2 peer that does not read its answers (PING acknowledgements included) is not read either.
        let backlogged = connection.http2 != nil && connection.output.count - connection.written > 1 << 20
        if (connection.phase == .reading && !backlogged) || connection.phase == .lingering { wanted.insert(.readable) }
        if connection.written < connection.output.count { wanted.insert(.writable) }
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        control(.modify, connection.id.fd, events: wanted, tag: UInt64(connection.id.fd))
    }

    private func drop(_ connection: Connection) {
        guard isOpen(connection) else { return }
        connections[connection.id.fd] = nil
        poller?.remove(connection.id.fd)
        close(connection.id.fd)
        if !accepting, !listenBroken {
            accepting = true
            control(.modify, server.listenFD, events: .readable, tag: Self.listenTag)
        }
    }

    // MARK: Deadlines

    /// Closes connections past their deadline: a late head or body gets 408, an idle one just closes.
    private func sweep(_ now: Double) {
        var late: [Connection] = []
        for connection in connections.values {
            switch connection.phase {
            case .reading:
                if connection.http2 != nil {
                    http2Sweep(connection, now)
                } else if connection.parser.isReadingHead {
                    if let started = connection.headStarted {
                        if now - started >= limits.headSeconds { late.append(connection) }
                    } else if connection.isIdle, now - connection.since >= limits.idleSeconds {
                        drop(connection)
                    }
                } else if now - connection.since >= limits.bodySeconds {
                    late.append(connection)
                }
            case .busy:
                break
            case .writing:
                if now - connection.since >= limits.writeSeconds { drop(connection) }
            case .lingering:
                if now - connection.since >= limits.lingerSeconds { drop(connection) }
            }
        }
        for connection in late {
            let what = connection.parser.isReadingHead ? "request head" : "request body"
            respond(connection, .error(408, "RequestTimeout", "the \(what) did not arrive in time", close: true))
        }
    }
}
