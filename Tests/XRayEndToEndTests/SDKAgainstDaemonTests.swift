import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// The scenarios of `Scripts/capture_fixtures.py` (Flask, Django with AUTO_INSTRUMENT, two aiohttp services
/// calling each other, a batch job that streams subsegments) sent by the real SDK to a running `xray daemon`:
/// the stored trees must have exactly the shapes the checked-in captures have.
@Suite(.serialized) struct SDKAgainstDaemonTests {
    static let expected: [(scenario: String, shapes: [String])] = [
        ("flask", ["flask-appS[renders[flask-fixtures]]", "flask-appS[127.0.0.1s,:memory:s]", "flask-appS", "flask-appS"]),
        ("django", ["django-appS[executes]", "django-appS[unknowns]", "django-appS[unknowns]", "django-appS"]),
        ("aiohttp", ["aiohttp-frontS[127.0.0.1s[aiohttp-frontS]]"]),
        ("batch", ["nightly-batchS[steps,steps,steps,steps,steps,steps,steps,steps,loads[parses]]"]),
    ]

    @Test(.enabled(if: testPython != nil), arguments: expected.map(\.scenario))
    func theSDKsTracesAreStoredWithTheirExactShape(_ scenario: String) throws {
        let python = try #require(testPython)
        let folder = try makeTemporaryDirectory("sdk-\(scenario)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let script = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/capture_fixtures.py").path
        let app = try XRayBinary.run([script, "--against", daemon.address, scenario], executable: URL(fileURLWithPath: python))
        #expect(app.status == 0, "\(app.stderr.suffix(2000))")
        let stopped = daemon.stop(signal: SIGINT)
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("rejected 0"), "\(stopped.stderr)")

        let list = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--limit", "100", "--store", store])
        let ids = list.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(35)) }
        var shapes: [(Double, String)] = []
        for id in ids {
            let shown = try XRayBinary.run(["inspect", "show", id, "--format", "json", "--store", store])
            let json = try #require(try JSONSerialization.jsonObject(with: shown.stdoutData) as? [String: Any])
            let roots = try #require(json["segments"] as? [[String: Any]])
            shapes.append((json["start_time"] as? Double ?? 0, roots.map(Self.shape).joined(separator: " | ")))
        }
        let want = try #require(Self.expected.first { $0.scenario == scenario }?.shapes)
        #expect(shapes.sorted { $0.0 < $1.0 }.map(\.1) == want)
    }

    /// `name(kind)[children]`, as `SDKFixtureTests` computes it over the captured files.
    static func shape(_ node: [String: Any]) -> String {
        let kids = (node["children"] as? [[String: Any]] ?? []).map(shape).joined(separator: ",")
        let kind = node["type"] as? String == "subsegment" || node["namespace"] != nil || isInline(node) ? "s" : "S"
        return "\(node["name"] as? String ?? "?")\(kind)" + (kids.isEmpty ? "" : "[\(kids)]")
    }

    /// Inline subsegments of Django and Flask may carry neither `type` nor `namespace`.
    static func isInline(_ node: [String: Any]) -> Bool { node["trace_id"] == nil && node["parent_id"] != nil }
}
