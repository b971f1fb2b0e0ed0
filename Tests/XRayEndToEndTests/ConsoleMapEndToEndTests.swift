import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// The console's service map at 30 services in six layers, in headless Chromium (`Tests/Fixtures/console/drive_map.py`):
/// every node drawn, no two overlapping, every edge from its caller to its callee, labels inside the drawing.
@Suite(.serialized) struct ConsoleMapEndToEndTests {
    /// Who calls whom: segments by name, and calls to a service that sends no segment (namespace `aws` or
    /// `remote`), which X-Ray infers as a node of its own.
    static let calls: [(caller: String, callee: String)] = [
        ("gateway", "auth"), ("gateway", "catalog"), ("gateway", "orders"), ("gateway", "users"), ("gateway", "search"),
        ("auth", "users"),
        ("catalog", "inventory"), ("catalog", "pricing"), ("catalog", "search"), ("catalog", "recommendations"),
        ("orders", "payments"), ("orders", "shipping"), ("orders", "inventory"), ("orders", "notifications"), ("orders", "pricing"),
        ("users", "notifications"),
        ("inventory", "warehouse"), ("inventory", "DynamoDB"),
        ("pricing", "tax"), ("pricing", "redis.internal"),
        ("payments", longService), ("payments", "ledger"), ("payments", "stripe.example.com"),
        ("shipping", "carrier"), ("shipping", longRemote),
        ("notifications", "email"), ("notifications", "sms"),
        ("email", "smtp.example.net"), ("sms", "SNS"),
        ("search", "index"), ("index", "S3"),
        ("recommendations", "ml-model"), ("ml-model", "SageMaker"),
        ("ledger", "SQS"),
    ]
    static let longService = "fraud-scoring-service-for-card-payments-in-the-european-region"
    static let longRemote = "an-external-partner-api-with-a-very-long-host-name.example.org"
    /// Inferred nodes and the namespace of the subsegment that calls each.
    static let inferred: [String: String] = [
        "DynamoDB": "aws", "SNS": "aws", "S3": "aws", "SageMaker": "aws", "SQS": "aws",
        "redis.internal": "remote", "stripe.example.com": "remote", longRemote: "remote", "smtp.example.net": "remote",
    ]

    /// Segment documents of one trace that walks every call from `gateway` (a service reached twice gets two
    /// segments), in the import format: a daemon header line before each document.
    static func traceLines(_ traceID: String, start: Double, faulty: String?, extraCall: (String, String)? = nil) -> [String] {
        var lines: [String] = []
        var next = 0
        func newID() -> String {
            next += 1
            return String(format: "%016x", next)
        }
        var called = calls
        if let extraCall { called.append(extraCall) }
        func segment(_ name: String, parent: String?, at t: Double, depth: Int) {
            let id = newID()
            var subsegments: [String] = []
            // The extra call closes a cycle: walk it once, not forever.
            for (i, call) in called.enumerated() where call.caller == name && (depth < 8 || inferred[call.callee] != nil) {
                let sub = newID()
                let begin = t + 0.001 * Double(i % 7 + 1)
                let namespace = inferred[call.callee] ?? "remote"
                let fault = call.callee == faulty
                subsegments.append(
                    #"{"id":"\#(sub)","name":"\#(call.callee)","namespace":"\#(namespace)","start_time":\#(begin),"end_time":\#(begin + 0.01),"fault":\#(fault)}"#
                )
                if inferred[call.callee] == nil { segment(call.callee, parent: sub, at: begin + 0.0005, depth: depth + 1) }
            }
            let parentField = parent.map { #","parent_id":"\#($0)""# } ?? ""
            lines.append(#"{"format":"json","version":1}"#)
            lines.append(
                #"{"trace_id":"\#(traceID)","id":"\#(id)"\#(parentField),"name":"\#(name)","origin":"AWS::ECS::Container","start_time":\#(t),"end_time":\#(t + 0.05),"fault":\#(name == faulty),"subsegments":[\#(subsegments.joined(separator: ","))]}"#
            )
        }
        segment("gateway", parent: nil, at: start, depth: 0)
        return lines
    }

    /// Four traces: three of the whole graph (one with `payments` failing), and one where `ledger` calls back into
    /// `payments`, a cycle the layout has to break.
    static func mapStore() throws -> String {
        let store = temporaryStorePath("console-map")
        let base = Date().timeIntervalSince1970 - 600
        var lines: [String] = []
        for i in 0..<3 {
            lines += traceLines(String(format: "1-%08x-%024x", Int(base), i + 1), start: base + Double(i), faulty: i == 1 ? "payments" : nil)
        }
        lines += traceLines(String(format: "1-%08x-%024x", Int(base), 4), start: base + 3, faulty: nil, extraCall: ("ledger", "payments"))
        let file = try makeTemporaryDirectory("console-map").appendingPathComponent("map.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let imported = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(imported.status == 0, "\(imported.stderr)")
        return store
    }

    @Test func thirtyServicesAreDrawnWithoutOverlapsInARealBrowser() throws {
        let python = try #require(testPython, "the test virtualenv (Scripts/test prepares it)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver (Scripts/test installs it)")
        let store = try Self.mapStore()
        let ui = try ConsoleEndToEndTests.UIProcess.start(["--listen", "127.0.0.1:0", "--store", store])
        defer { ui.stop() }
        let screenshots = try makeTemporaryDirectory("console-screenshots")
        let services = Set(Self.calls.flatMap { [$0.caller, $0.callee] })
        #expect(services.count == 30)
        let edges = Set((Self.calls + [("ledger", "payments")] + [("client", "gateway")]).map { "\($0.0) -> \($0.1)" })
        let spec: [String: Any] = [
            "services": services.sorted(),
            "edges": edges.sorted(),
            "inferred": Self.inferred.keys.sorted(),
            "cycle": ["payments", "ledger"],
            "long": [Self.longService, Self.longRemote],
            "traces": ["payments": 4, "gateway": 4],
        ]
        let specFile = screenshots.appendingPathComponent("map-spec.json")
        try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys]).write(to: specFile)
        let driver = try XRayBinary.run(
            [fixturesDirectory.appendingPathComponent("console/drive_map.py").path, ui.url, specFile.path, screenshots.path],
            executable: URL(fileURLWithPath: python))
        let output = driver.stdout + driver.stderr
        #expect(driver.status == 0, "\(output)")
        #expect(driver.stdout.contains("ok: no two of the 31 node boxes overlap"), "\(output)")
        #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("map-30.png").path), "screenshot of the map")
        print("map screenshot: \(screenshots.path)/map-30.png")
    }
}
