import Foundation
import Testing
import XRayConsole
import XRayReadAPI
import XRayTestSupport

@testable import XRayCollector

/// GET routes through the `HTTPOperations` seam, the console's headers, the server's own origin in
/// `RequestPolicy`, and `ReadOnlyServer`: over real loopback sockets.
struct GetRoutesTests {
    static func exchange(port: Int, _ lines: [String], body: String = "") throws -> RawHTTP.Response {
        let http = try RawHTTP(port: port)
        defer { http.close() }
        http.write((lines + ["Content-Length: \(body.utf8.count)"]).joined(separator: "\r\n") + "\r\n\r\n" + body)
        return try #require(http.readResponse())
    }

    static let page = HTTPOperations(get: [
        (
            "/page",
            { _ in
                OperationResponse(status: 200, body: Array("<p>hi</p>".utf8), contentType: "text/html; charset=utf-8", headers: [("X-Test", "1")])
            }
        )
    ])

    @Test func aGetRouteIsServedWithItsOwnContentTypeAndHeaders() throws {
        try TestCollector.with({ $0.operations = ReadAPI.operations.adding(Self.page) }) { c in
            let page = try Self.exchange(port: c.tcpPort, ["GET /page HTTP/1.1", "Host: 127.0.0.1"])
            #expect(page.status == 200)
            #expect(page.body == "<p>hi</p>")
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.headers["x-test"] == "1")
            // The operations keep their JSON and their method.
            let get = try Self.exchange(port: c.tcpPort, ["GET /TraceSummaries HTTP/1.1", "Host: 127.0.0.1"])
            #expect(get.status == 405)
            #expect(get.headers["content-type"] == "application/json")
            let post = try Self.exchange(port: c.tcpPort, ["POST /page HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"], body: "{}")
            #expect(post.status == 404)
        }
    }

    @Test func theConsoleIsServedWithAStrictContentSecurityPolicy() throws {
        try TestCollector.with({ $0.operations = ReadAPI.operations.adding(Console.operations) }) { c in
            for (path, type) in [
                ("/", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css"), ("/ui/api/runs", "application/json"),
                ("/ui/api/groups", "application/json"),
            ] {
                let response = try Self.exchange(port: c.tcpPort, ["GET \(path) HTTP/1.1", "Host: 127.0.0.1"])
                #expect(response.status == 200, "\(path)")
                #expect(response.headers["content-type"]?.hasPrefix(type) == true, "\(path)")
                #expect(response.headers["content-security-policy"] == Console.securityHeaders[0].value, "\(path)")
                #expect(response.headers["content-security-policy"]?.contains("unsafe") == false)
                #expect(response.headers["x-content-type-options"] == "nosniff")
                #expect(response.headers["referrer-policy"] == "no-referrer")
                #expect(response.headers["cache-control"] == "no-store")
                #expect(response.headers["access-control-allow-origin"] == nil)
            }
            let runs = try Self.exchange(port: c.tcpPort, ["GET /ui/api/runs HTTP/1.1", "Host: 127.0.0.1"])
            #expect(runs.body == #"{"Runs":[]}"#)
            let groups = try Self.exchange(port: c.tcpPort, ["GET /ui/api/groups HTTP/1.1", "Host: 127.0.0.1"])
            #expect(groups.body == #"{"Groups":[]}"#)
            let missing = try Self.exchange(
                port: c.tcpPort, ["POST /ui/api/RunTraces HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"],
                body: #"{"RunId": 7}"#)
            #expect(missing.status == 404)
            let bad = try Self.exchange(
                port: c.tcpPort, ["POST /ui/api/RunTraces HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"],
                body: #"{"RunId": "x"}"#)
            #expect(bad.status == 400)
        }
    }

    /// The console's own pages post with `Origin: http://127.0.0.1:PORT`; any other origin, another port of
    /// the same host, or the origin without its port stays refused.
    @Test func onlyTheServersOwnOriginPassesWithoutAllowOrigin() throws {
        try TestCollector.with { c in
            let post = { (origin: String) in
                try Self.exchange(
                    port: c.tcpPort,
                    [
                        "POST /TraceSummaries HTTP/1.1", "Host: 127.0.0.1:\(c.tcpPort)", "Origin: \(origin)",
                        "Content-Type: application/json",
                    ], body: "{}")
            }
            let own = try post("http://127.0.0.1:\(c.tcpPort)")
            #expect(own.status == 200)
            #expect(own.headers["access-control-allow-origin"] == nil)
            #expect(try post("http://localhost:\(c.tcpPort)").status == 200)
            #expect(try post("http://127.0.0.1:\(c.tcpPort + 1)").status == 403)
            #expect(try post("http://127.0.0.1").status == 403)
            #expect(try post("https://127.0.0.1:\(c.tcpPort)").status == 403)
            #expect(try post("http://attacker.example:\(c.tcpPort)").status == 403)
        }
    }

    @Test func theReadOnlyServerServesReadsAndNoWrites() throws {
        let folder = try makeTemporaryDirectory("xray-readonly")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ReadOnlyServer.start(
            Endpoint(host: "127.0.0.1", port: 0), storePath: folder.appendingPathComponent("traces.sqlite").path,
            operations: ReadAPI.operations.adding(Console.operations))
        defer { server.stop() }
        let port = server.endpoint.port
        #expect(port != 0)
        let list = try Self.exchange(port: port, ["POST /TraceSummaries HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"], body: "{}")
        #expect(list.status == 200)
        for write in ["/TraceSegments", "/GetSamplingRules", "/SamplingTargets"] {
            let refused = try Self.exchange(port: port, ["POST \(write) HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"], body: "{}")
            #expect(refused.status == 404, "\(write)")
        }
        let rebound = try Self.exchange(port: port, ["GET / HTTP/1.1", "Host: attacker.example"])
        #expect(rebound.status == 403)
    }
}
