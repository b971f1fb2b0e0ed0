import XRayStore
import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// The collector's HTTP side alone, for `xray ui`: the same server, event loop and `RequestPolicy`, serving
/// only the operations passed in. No UDP socket, no writer, no sampling and no `PutTraceSegments`, so
/// nothing it answers can change the store.
package final class ReadOnlyServer: Sendable {
    /// The address bound (port 0 replaced by the chosen port).
    package let endpoint: Endpoint
    private let server: HTTPServer
    private let stopping: StopFlag
    private let acceptor: NativeThread

    private init(endpoint: Endpoint, server: HTTPServer, stopping: StopFlag, acceptor: NativeThread) {
        self.endpoint = endpoint
        self.server = server
        self.stopping = stopping
        self.acceptor = acceptor
    }

    /// Checks the store opens, binds `endpoint` and starts the event loop.
    ///
    /// - Throws: `CollectorError.portInUse` when the port is taken, `.store` when the store cannot be opened.
    package static func start(
        _ endpoint: Endpoint, storePath: String, operations: HTTPOperations
    ) throws(CollectorError) -> ReadOnlyServer {
        do {
            _ = try TraceStore(path: storePath)
        } catch {
            throw .store(error)
        }
        let tcp = try Sockets.listenTCP(endpoint)
        let counters = LiveCounters()
        let stopping = StopFlag()
        // A closed queue: an operation that tried to store documents would be told the server takes none.
        let intake = IntakeQueue(capacity: 1, counters: nil)
        intake.close()
        let bound = Endpoint(host: endpoint.host, port: tcp.port)
        // `handleOperations` never reaches the sampling service: it serves no rules.
        let api = XRayAPI(
            sampling: SamplingService(rules: [], loadedAt: epochSeconds()), intake: DocumentHandoff(queue: intake),
            storePath: storePath, operations: operations,
            otlp: OTLPIntake(handoff: DocumentHandoff(queue: intake), counters: counters, options: OTLPIntake.Options()))
        let server = HTTPServer(listenFD: tcp.fd, counters: counters, stopping: stopping, endpoint: bound) { request in
            api.handleOperations(request)
        }
        do throws(ThreadStartError) {
            let acceptor = try NativeThread.start("xray-accept", server.acceptLoop)
            return ReadOnlyServer(endpoint: bound, server: server, stopping: stopping, acceptor: acceptor)
        } catch {
            close(tcp.fd)
            throw .threadStart(name: error.name, errno: error.errno)
        }
    }

    /// Stops accepting, closes every connection and waits for the event loop to end. Call it once.
    package func stop() {
        stopping.set()
        server.shutdownConnections()
        acceptor.join()
        close(server.listenFD)
    }
}
