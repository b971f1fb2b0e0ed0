import Foundation
import XRayReadAPI
import XRayStore
import XRayTestSupport
import XRayWire

@testable import XRayCollector

/// A collector on 127.0.0.1 with a free port and a fresh store in a temporary folder, removed afterwards.
struct TestCollector {
    let collector: Collector
    let folder: URL
    var storePath: String { folder.appendingPathComponent("traces.sqlite").path }
    var udpPort: Int { collector.boundAddress.udp.port }
    var tcpPort: Int { collector.boundAddress.tcp.port }

    static func with<T>(
        _ configure: (inout Collector.Configuration) -> Void = { _ in },
        _ body: (TestCollector) throws -> T
    ) throws -> T {
        let folder = try makeTemporaryDirectory("xray-collector")
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = Collector.Configuration(
            address: try DaemonAddress.parse("127.0.0.1:0"), storePath: folder.appendingPathComponent("traces.sqlite").path)
        configuration.operations = ReadAPI.operations
        configure(&configuration)
        let collector = try Collector.start(configuration)
        let harness = TestCollector(collector: collector, folder: folder)
        defer { _ = collector.stop() }
        return try body(harness)
    }

    /// Sends each datagram from one UDP socket; loopback delivers synchronously, so after this returns the
    /// datagrams are in the collector's socket buffer and `stop()` will drain them.
    func send(_ datagrams: [[UInt8]]) {
        UDP.send(datagrams, port: udpPort)
    }

    func send(_ text: String) { send([Array(text.utf8)]) }

    /// Opens a second connection to the store (the collector's writer has its own).
    func store() throws -> TraceStore { try TraceStore(path: storePath) }
}

/// Segment documents for tests.
enum Fixture {
    static let header = #"{"format":"json","version":1}"#

    static func traceID(_ n: Int) -> String {
        "1-5f84c7a1-" + String(repeating: "0", count: 24 - String(n, radix: 16).count) + String(n, radix: 16)
    }

    static func entityID(_ n: Int) -> String {
        String(repeating: "0", count: 16 - String(n, radix: 16).count) + String(n, radix: 16)
    }

    static func segment(trace: Int, id: Int, name: String = "svc", inProgress: Bool = false) -> String {
        let end = inProgress ? #""in_progress":true"# : #""end_time":1602537378.2"#
        return
            #"{"trace_id":"\#(traceID(trace))","id":"\#(entityID(id))","name":"\#(name)","start_time":1602537378.1,\#(end),"http":{"request":{"method":"GET","url":"http://localhost/items"},"response":{"status":200}}}"#
    }

    static func subsegment(trace: Int, id: Int, parent: Int) -> String {
        #"{"type":"subsegment","trace_id":"\#(traceID(trace))","parent_id":"\#(entityID(parent))","id":"\#(entityID(id))","name":"db","start_time":1602537378.12,"end_time":1602537378.15}"#
    }

    static func datagram(_ body: String, header: String = Fixture.header) -> String { header + "\n" + body }
}
