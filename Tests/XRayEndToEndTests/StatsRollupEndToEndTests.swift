import Foundation
import Testing
import XRayTestSupport

/// `xray inspect stats` from the store's rollups and with `--exact`, through the built binary.
@Suite struct StatsRollupEndToEndTests {
    let store: String

    init() throws {
        let dir = try makeTemporaryDirectory("rollups")
        store = dir.appendingPathComponent("traces.sqlite").path
        for name in ["flask", "django", "aiohttp", "batch"] {
            let r = try XRayBinary.run(["inspect", "import", "--store", store, fixturesDirectory.appendingPathComponent("sdk/\(name).jsonl").path])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    func rows(_ arguments: [String]) throws -> [[String: Any]] {
        let r = try XRayBinary.run(["inspect", "stats", "--format", "json", "--store", store] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [[String: Any]])
    }

    @Test func unfilteredStatsSayTheirPercentilesAreWithinOnePercentAndExactSaysExact() throws {
        let fast = try rows(["--by", "service"])
        let exact = try rows(["--by", "service", "--exact"])
        #expect(!fast.isEmpty)
        #expect(fast.allSatisfy { $0["percentiles"] as? String == "within 1%" })
        #expect(exact.allSatisfy { $0["percentiles"] as? String == "exact" })
        #expect(
            fast.map { [$0["service"] as? String, "\($0["count"] ?? "")", "\($0["fault"] ?? "")"] }
                == exact.map { [$0["service"] as? String, "\($0["count"] ?? "")", "\($0["fault"] ?? "")"] })
        for (f, e) in zip(fast, exact) {
            if let a = f["p90"] as? Double, let b = e["p90"] as? Double { #expect(abs(a - b) <= 0.01 * b + 1e-6, "\(f)") }
        }
        let filtered = try rows(["--by", "service", "--filter", "ok OR !ok"])
        #expect(filtered.allSatisfy { $0["percentiles"] as? String == "exact" })
    }

    @Test func theTableSaysWhenItsPercentilesAreApproximate() throws {
        let table = try XRayBinary.run(["inspect", "stats", "--by", "service", "--store", store])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasSuffix("percentiles and max within 1%, from the store's rollups; --exact reads every response time\n"))
        let exact = try XRayBinary.run(["inspect", "stats", "--by", "service", "--exact", "--store", store])
        #expect(!exact.stdout.contains("within 1%"))
    }
}
