import Synchronization
import XRayOTel
import XRaySampling
import XRayStore
import XRaySystem
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// The local X-Ray daemon as a library: UDP segment intake into the store, and the X-Ray API over HTTP.
///
/// `xray daemon` runs it in the foreground; `xray run` embeds it for the life of one child process.
///
/// ```swift
/// let collector = try Collector.start(.init(address: .parse("127.0.0.1:0"), storePath: path))
/// // point AWS_XRAY_DAEMON_ADDRESS at collector.boundAddress, run the app ...
/// let counters = collector.stop()
/// ```
package final class Collector: Sendable {
    package struct Configuration: Sendable {
        /// Where to listen; port 0 picks a free port (the same one for UDP and TCP when they share an address).
        package var address: DaemonAddress
        package var storePath: String
        /// Centralized rules to serve; nil serves one `Default` rule that samples everything.
        package var samplingRules: [SamplingRule]?
        /// Where to send a copy of every accepted datagram.
        package var forward: Endpoint?
        /// Datagrams, and their bytes, that may wait between reader and decoder before the reader blocks
        /// (then the socket's receive buffer fills, and then the kernel drops and counts).
        package var queueCapacity: Int
        package var queueBytes = 32 << 20
        /// WAL pages past which the writer lets the checkpointer thread catch up so the WAL starts over;
        /// nil leaves checkpoints to the writer's connection (SQLite's automatic checkpoint).
        var walResetFrames: Int? = 8000
        /// Called on the writer thread each time a trace's root segment is stored complete.
        package var onTraceCompleted: (@Sendable (TraceSummary) -> Void)?
        /// Called on the writer thread with the trace ids of every committed batch: how `xray run` knows
        /// which traces arrived through its collector.
        package var onTracesStored: (@Sendable ([String]) -> Void)?
        /// Called on the writer thread when the store starts or stops failing, or its files vanish.
        package var onWarning: (@Sendable (String) -> Void)?
        /// Runs `PRAGMA quick_check` before starting, so a damaged store is refused instead of failing
        /// every write; off for `xray run`, whose start-up must stay fast.
        package var verifyStore = false
        /// Folds the WAL into the store file when the collector closes the store last (`TraceStore.foldsWALOnClose`).
        package var foldsWALOnClose = false
        /// Web origins whose requests the HTTP API serves (`--allow-origin`); see `RequestPolicy`.
        package var allowedOrigins: [String] = []
        /// Operations served beside intake and sampling: none unless the caller composes some in (the
        /// executable passes the read API, `ReadAPI.operations`, for `xray daemon` and `xray run`).
        package var operations = HTTPOperations()
        /// The OTLP body limit and the translator's options, for OTLP/HTTP and ADOT datagrams alike.
        package var otlp = OTLPIntake.Options()
        /// A second TCP address serving only the OTLP/HTTP paths (`xray daemon`'s 127.0.0.1:4318); the X-Ray API
        /// address serves them in any case.
        package var otlpHTTP = OTLPListener.off
        /// A TCP address for OTLP over gRPC (`xray daemon`'s 127.0.0.1:4317). Every TCP address answers a client
        /// that opens with the HTTP/2 preface; this one serves only the OTLP paths, as `otlpHTTP` does.
        package var otlpGRPC = OTLPListener.off
        /// An OTLP/HTTP backend that gets every stored document as spans (`--forward-otlp`), and the queue and
        /// batch sizes and retry policy of the forwarder.
        package var forwardOTLP: OTLPForwardTarget?
        package var forwardOTLPOptions = OTLPForwarder.Options()
        /// Bytes read per datagram: the protocol's 64 KiB. Tests lower it to provoke truncation, which an
        /// IPv4 datagram (at most 65,507 bytes) can never cause otherwise.
        var slotSize = Intake.slotSize

        package init(
            address: DaemonAddress = .default, storePath: String, samplingRules: [SamplingRule]? = nil,
            forward: Endpoint? = nil, queueCapacity: Int = 65_536,
            onTraceCompleted: (@Sendable (TraceSummary) -> Void)? = nil,
            onTracesStored: (@Sendable ([String]) -> Void)? = nil
        ) {
            self.address = address
            self.storePath = storePath
            self.samplingRules = samplingRules
            self.forward = forward
            self.queueCapacity = queueCapacity
            self.onTraceCompleted = onTraceCompleted
            self.onTracesStored = onTracesStored
        }
    }

    /// Where an OTLP-only listener goes.
    package enum OTLPListener: Sendable, Hashable {
        case off
        /// The default address: when it is taken (a real collector, a second daemon), the collector starts
        /// without it and says so in `startWarnings`.
        case preferred(Endpoint)
        /// An address the user asked for: taken is an error, as for the X-Ray addresses.
        case required(Endpoint)
    }

    /// The addresses actually bound (port 0 replaced by the chosen port).
    package let boundAddress: DaemonAddress
    /// The OTLP-only listeners' bound addresses; nil when off or when a preferred address was taken.
    package let otlpHTTPAddress: Endpoint?
    package let otlpGRPCAddress: Endpoint?
    /// What went wrong at start without stopping it (a taken default OTLP port).
    package let startWarnings: [String]
    private let otlpServers: [(server: HTTPServer, acceptor: NativeThread)]
    private let live: LiveCounters
    private let stopping: StopFlag
    private let queue: IntakeQueue
    private let server: HTTPServer
    private let udpFD: Int32
    private let forwardFD: Int32?
    private let threads: (reader: NativeThread, decoder: NativeThread, writer: NativeThread, acceptor: NativeThread)
    private let finalCounters = Mutex<CollectorCounters?>(nil)
    private let forwarder: (forwarder: OTLPForwarder, thread: NativeThread)?
    /// The WAL checkpointer's thread, which ends once the writer has closed `Checkpoints`.
    private let checkpointer: NativeThread?

    private init(
        boundAddress: DaemonAddress, counters: LiveCounters, stopping: StopFlag, queue: IntakeQueue, server: HTTPServer,
        udpFD: Int32, forwardFD: Int32?, threads: (reader: NativeThread, decoder: NativeThread, writer: NativeThread, acceptor: NativeThread),
        otlpHTTPAddress: Endpoint?, otlpGRPCAddress: Endpoint?, otlpServers: [(server: HTTPServer, acceptor: NativeThread)],
        startWarnings: [String], forwarder: (forwarder: OTLPForwarder, thread: NativeThread)?, checkpointer: NativeThread?
    ) {
        self.forwarder = forwarder
        self.checkpointer = checkpointer
        self.boundAddress = boundAddress
        self.otlpHTTPAddress = otlpHTTPAddress
        self.otlpGRPCAddress = otlpGRPCAddress
        self.otlpServers = otlpServers
        self.startWarnings = startWarnings
        self.live = counters
        self.stopping = stopping
        self.queue = queue
        self.server = server
        self.udpFD = udpFD
        self.forwardFD = forwardFD
        self.threads = threads
    }

    /// Opens the store, binds both sockets and starts the reader, writer and HTTP threads.
    ///
    /// - Throws: `CollectorError.portInUse` (exit 69 in the CLI) when a port is taken, `.store` when the store
    ///   cannot be opened, `.invalidAddress`/`.unresolvableHost` for bad addresses.
    package static func start(_ configuration: Configuration) throws(CollectorError) -> Collector {
        let store: TraceStore
        do {
            // A long WAL between checkpoints writes hot pages to the database file less often: about 6%
            // more documents a second under load than SQLite's default 1,000 pages. With the checkpointer
            // thread the writer's own checkpoint is only the fallback, far past the WAL's bound.
            store = try TraceStore(path: configuration.storePath, checkpointPages: 8000)
            if let frames = configuration.walResetFrames { store.watchWAL(fallbackFrames: frames * 4) }
            if configuration.verifyStore { try store.verify() }
            store.foldsWALOnClose = configuration.foldsWALOnClose
        } catch {
            throw .store(error)
        }
        let counters = LiveCounters()
        let (udp, tcp) = try bindSockets(configuration.address)
        counters.receiveBufferBytes.store(udp.receiveBuffer, ordering: .relaxed)
        var forwardFD: Int32?
        do throws(CollectorError) {
            if let forward = configuration.forward {
                let fd = try Sockets.connectUDP(forward)
                forwardFD = fd
                if forwardsToItself(fd, bound: configuration.address.udp, port: udp.port) {
                    throw CollectorError.forwardToSelf(
                        forward: forward.description, udp: Endpoint(host: configuration.address.udp.host, port: udp.port).description)
                }
            }
        } catch {
            if let forwardFD { close(forwardFD) }
            close(udp.fd)
            close(tcp.fd)
            throw error
        }
        var warnings: [String] = []
        let otlpSocket: (fd: Int32, endpoint: Endpoint)?
        let grpcSocket: (fd: Int32, endpoint: Endpoint)?
        do throws(CollectorError) {
            otlpSocket = try bindOTLP(configuration.otlpHTTP, protocolName: "OTLP/HTTP", warnings: &warnings)
            do throws(CollectorError) {
                grpcSocket = try bindOTLP(configuration.otlpGRPC, protocolName: "OTLP/gRPC", warnings: &warnings)
            } catch {
                if let otlpSocket { close(otlpSocket.fd) }
                throw error
            }
        } catch {
            if let forwardFD { close(forwardFD) }
            close(udp.fd)
            close(tcp.fd)
            throw error
        }
        let stopping = StopFlag()
        let queue = IntakeQueue(capacity: configuration.queueCapacity, byteCapacity: configuration.queueBytes, counters: counters)
        // Parsed documents weigh several times their bytes: keep about one batch waiting while the writer
        // commits one; the reader's queue holds the rest as compact datagrams.
        let parsed = DocumentQueue(capacity: Writer.maxBatch, byteCapacity: Writer.maxBatchBytes, counters: nil)
        let checkpoints = configuration.walResetFrames.map { Checkpoints(path: configuration.storePath, resetFrames: $0) }
        let sampling = SamplingService(rules: configuration.samplingRules ?? SamplingService.defaultRules, loadedAt: epochSeconds())
        let handoff = DocumentHandoff(queue: queue)
        let api = XRayAPI(
            sampling: sampling, intake: handoff, storePath: configuration.storePath, operations: configuration.operations,
            otlp: OTLPIntake(handoff: handoff, counters: counters, options: configuration.otlp))
        var limits = HTTPLimits.standard
        limits.maxBody = max(limits.maxBody, configuration.otlp.maxBody)
        let server = HTTPServer(
            listenFD: tcp.fd, counters: counters, stopping: stopping, policy: RequestPolicy(allowedOrigins: configuration.allowedOrigins),
            endpoint: Endpoint(host: configuration.address.tcp.host, port: tcp.port), limits: limits, handler: api.handle)
        let otlpServers = [("xray-otlp-http", otlpSocket), ("xray-otlp-grpc", grpcSocket)].compactMap { name, socket in
            socket.map { socket in
                (
                    name: name,
                    server: HTTPServer(
                        listenFD: socket.fd, counters: counters, stopping: stopping,
                        policy: RequestPolicy(allowedOrigins: configuration.allowedOrigins),
                        endpoint: socket.endpoint, limits: limits, handler: api.handleOTLPOnly)
                )
            }
        }
        let decoder = DatagramDecoder(
            input: queue, output: parsed, counters: counters, forwardFD: forwardFD,
            translator: SegmentTranslator(options: configuration.otlp.translator))
        let forwarder = configuration.forwardOTLP.map {
            OTLPForwarder(target: $0, options: configuration.forwardOTLPOptions, counters: counters, onWarning: configuration.onWarning)
        }
        counters.forwardsOTLP.store(forwarder != nil, ordering: .relaxed)
        let writer = Writer(
            handoff: StoreHandoff(store), queue: parsed, counters: counters,
            onTraceCompleted: configuration.onTraceCompleted, onTracesStored: configuration.onTracesStored,
            onWarning: configuration.onWarning, forwarder: forwarder, checkpoints: checkpoints)
        let reader = UDPReader(fd: udp.fd, queue: queue, counters: counters, stopping: stopping, slotSize: configuration.slotSize)
        var started: [NativeThread] = []
        var forwarderThread: NativeThread?
        var checkpointThread: NativeThread?
        do throws(ThreadStartError) {
            if let forwarder { forwarderThread = try NativeThread.start("xray-otlp-fwd", forwarder.run) }
            if let checkpoints { checkpointThread = try NativeThread.start("xray-checkpoint", checkpoints.run) }
            started.append(try NativeThread.start("xray-writer", writer.run))
            started.append(try NativeThread.start("xray-decoder", decoder.run))
            started.append(try NativeThread.start("xray-udp", reader.run))
            started.append(try NativeThread.start("xray-accept", server.acceptLoop))
            for otlp in otlpServers { started.append(try NativeThread.start(otlp.name, otlp.server.acceptLoop)) }
        } catch {
            stopping.set()
            server.shutdownConnections()
            for otlp in otlpServers {
                otlp.server.shutdownConnections()
                close(otlp.server.listenFD)
            }
            queue.close()
            parsed.close()
            for thread in started { thread.join() }
            forwarder?.close()
            forwarderThread?.join()
            checkpoints?.close()
            checkpointThread?.join()
            close(udp.fd)
            close(tcp.fd)
            if let forwardFD { close(forwardFD) }
            throw .threadStart(name: error.name, errno: error.errno)
        }
        let address = DaemonAddress(
            udp: Endpoint(host: configuration.address.udp.host, port: udp.port),
            tcp: Endpoint(host: configuration.address.tcp.host, port: tcp.port))
        return Collector(
            boundAddress: address, counters: counters, stopping: stopping, queue: queue, server: server,
            udpFD: udp.fd, forwardFD: forwardFD, threads: (started[2], started[1], started[0], started[3]),
            otlpHTTPAddress: otlpSocket?.endpoint, otlpGRPCAddress: grpcSocket?.endpoint,
            otlpServers: otlpServers.enumerated().map { ($0.element.server, started[4 + $0.offset]) }, startWarnings: warnings,
            forwarder: zip(forwarder, forwarderThread), checkpointer: checkpointThread)
    }

    /// Binds an OTLP-only listener: nil when off, or when its preferred (default) address is taken, which
    /// adds a warning instead of failing.
    static func bindOTLP(
        _ listener: OTLPListener, protocolName: String, warnings: inout [String]
    ) throws(CollectorError) -> (fd: Int32, endpoint: Endpoint)? {
        switch listener {
        case .off:
            return nil
        case .preferred(let endpoint), .required(let endpoint):
            do {
                let bound = try Sockets.listenTCP(endpoint)
                return (bound.fd, Endpoint(host: endpoint.host, port: bound.port))
            } catch {
                guard case .portInUse = error else { throw error }
                guard case .preferred = listener else {
                    throw .otlpPortInUse(protocolName: protocolName, host: endpoint.host, port: endpoint.port)
                }
                warnings.append("\(protocolName) address \(endpoint) is taken (another collector?); serving \(protocolName) on the X-Ray API address only")
                return nil
            }
        }
    }

    /// Whether the connected `--forward` socket `fd` sends to the UDP socket bound at `bound` (port already
    /// chosen): the same port, and a destination that reaches that socket, however it is spelled
    /// (`localhost`, `127.0.0.1`, `0.0.0.0`, or one of this machine's own addresses when bound to any).
    static func forwardsToItself(_ fd: Int32, bound: Endpoint, port: Int) -> Bool {
        guard let listening = try? bound.socketAddress() else { return false }
        guard let boundV4 = listening.ipv4 else { return forwardsToItselfOverIPv6(fd, port: port) }
        var peer = sockaddr_in(), local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } }
        length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard Int(UInt16(bigEndian: peer.sin_port)) == port else { return false }
        let destination = UInt32(bigEndian: peer.sin_addr.s_addr)
        // A destination the kernel routes back to this machine: loopback, "any", or our own source address.
        let isLocal = destination == 0 || destination >> 24 == 127 || peer.sin_addr.s_addr == local.sin_addr.s_addr
        let boundIP = UInt32(bigEndian: boundV4.sin_addr.s_addr)
        if boundIP == 0 { return isLocal }
        return destination == boundIP || (destination == 0 && boundIP == 0x7F00_0001)
    }

    /// The IPv6 side of `forwardsToItself`: the same port on `::1` or `::`, which reach an IPv6 loopback listener.
    static func forwardsToItselfOverIPv6(_ fd: Int32, port: Int) -> Bool {
        var peer = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let rc = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } }
        guard rc == 0, Int32(peer.sin6_family) == AF_INET6, Int(UInt16(bigEndian: peer.sin6_port)) == port else { return false }
        let bytes = withUnsafeBytes(of: peer.sin6_addr) { Array($0) }
        return bytes.dropLast().allSatisfy { $0 == 0 } && (bytes[15] == 0 || bytes[15] == 1)
    }

    /// Binds UDP then TCP; with a shared address and port 0 it finds one port free for both, so the plain
    /// `host:port` form of `AWS_XRAY_DAEMON_ADDRESS` still works.
    static func bindSockets(_ address: DaemonAddress) throws(CollectorError) -> (
        udp: (fd: Int32, port: Int, receiveBuffer: Int), tcp: (fd: Int32, port: Int)
    ) {
        let shared = address.udp == address.tcp && address.udp.port == 0
        var attempt = 0
        while true {
            attempt += 1
            let udp = try Sockets.bindUDP(address.udp)
            let tcpEndpoint = shared ? Endpoint(host: address.tcp.host, port: udp.port) : address.tcp
            do {
                return (udp, try Sockets.listenTCP(tcpEndpoint))
            } catch {
                close(udp.fd)
                if shared, case .portInUse = error, attempt < 50 { continue }
                throw error
            }
        }
    }

    /// The counters so far.
    package var counters: CollectorCounters { live.snapshot }

    /// Stops reading, drains what the kernel still holds, stores everything queued, and returns the counters.
    ///
    /// Safe to call more than once; later calls return the same counters.
    package func stop() -> CollectorCounters {
        if let done = finalCounters.withLock({ $0 }) { return done }
        stopping.set()
        // Wakes the reader out of recvmmsg at once instead of at its 200 ms timeout; what the kernel
        // already queued is still returned before the end-of-input, so the drain below loses nothing.
        shutdown(udpFD, Int32(SHUT_RD))
        server.shutdownConnections()
        threads.acceptor.join()
        close(server.listenFD)
        for otlp in otlpServers {
            otlp.server.shutdownConnections()
            otlp.acceptor.join()
            close(otlp.server.listenFD)
        }
        threads.reader.join()
        if let drops = SystemUDPDrops.drops(socket: udpFD), drops > live.kernelDrops.load(ordering: .relaxed) {
            live.kernelDrops.store(drops, ordering: .relaxed)
        }
        close(udpFD)
        // The decoder closes the writer's queue once it has passed everything on.
        queue.close()
        threads.decoder.join()
        threads.writer.join()
        checkpointer?.join()
        if let forwarder {
            // After the writer: everything stored is queued; the forwarder sends it, with no retry waits once closed.
            forwarder.forwarder.close()
            forwarder.thread.join()
        }
        if let forwardFD { close(forwardFD) }
        let result = live.snapshot
        finalCounters.withLock { $0 = result }
        return result
    }
}

/// Both values, or nil when either is missing.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
