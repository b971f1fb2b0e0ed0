import Foundation
import Testing
import XRayTestSupport

/// Every flag that takes a duration reads the same forms, a bare number as seconds, and refuses anything else
/// with exit 64 and one message naming the value and the forms. Through the built binary.
@Suite struct DurationFlagsEndToEndTests {
    /// Created by the first command that writes it, as a user's store is.
    let store = temporaryStorePath("xray-durations")

    static let forms = "write 2 (seconds), 1.5s, 250ms, 10m, 1h, 7d or 1w"
    static let rules = fixturesDirectory.appendingPathComponent("rules/local-v2.json").path
    static let requests = fixturesDirectory.appendingPathComponent("rules/sim-requests.jsonl").path

    @Test(arguments: [
        ("--since", ["inspect", "traces", "--since", "soon"]),
        ("--since", ["inspect", "diff", "--run", "1", "--run", "2", "--since", "soon"]),
        ("--older-than", ["inspect", "prune", "--older-than", "soon"]),
        ("--slow", ["inspect", "insights", "--slow", "soon"]),
        ("--gap", ["inspect", "insights", "--gap", "soon"]),
        ("--linger", ["run", "--linger", "soon", "--", "true"]),
        ("--slow", ["run", "--slow", "soon", "--", "true"]),
        ("--duration", ["rules", "simulate", rules, "--requests", requests, "--rate", "10/s", "--duration", "soon"]),
    ])
    func aMalformedDurationIsAUsageErrorNamingTheFlagValueAndForms(flag: String, arguments: [String]) throws {
        let result = try XRayBinary.run(arguments + (arguments[0] == "rules" ? [] : ["--store", store]))
        #expect(result.status == 64)
        #expect(result.stderr.contains("\(flag): \"soon\" is not a duration; \(Self.forms)"), "\(result.stderr)")
    }

    @Test func aBareNumberIsSecondsForSince() throws {
        let imported = try XRayBinary.run(
            ["inspect", "import", fixturesDirectory.appendingPathComponent("sdk/flask.jsonl").path, "--store", store])
        #expect(imported.status == 0, "\(imported.stderr)")
        func count(_ since: String) throws -> String {
            let result = try XRayBinary.run(["inspect", "traces", "--since", since, "--count", "--store", store])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        let all = try count("100000d")
        #expect(all != "0\n")
        #expect(try count("8640000000") == all, "10^5 days written in seconds")
        #expect(try count("1") == "0\n", "the fixtures started longer than a second ago")
    }

    @Test func diffTimeThresholdsTakeADurationUnit() throws {
        let imported = try XRayBinary.run(
            ["inspect", "import", fixturesDirectory.appendingPathComponent("sdk/flask.jsonl").path, "--store", store])
        #expect(imported.status == 0, "\(imported.stderr)")
        let listing = try XRayBinary.run(["inspect", "traces", "--format", "jsonl", "--store", store])
        let ids = listing.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))).flatMap { ($0 as? [String: Any])?["Id"] as? String }
        }
        try #require(ids.count >= 2)
        func diff(_ rule: String) throws -> CommandResult {
            try XRayBinary.run(["inspect", "diff", ids[0], ids[1], "--fail-if", rule, "--store", store])
        }
        #expect(try diff("p95 > +1h").status == 0, "no change between two requests is an hour")
        let crossed = try diff("p95 > -1h")
        #expect(crossed.status == 1, "every change is more than an hour's drop: \(crossed.stderr)")
        #expect(crossed.stdout.contains("crosses p95 > -3600000"), "\(crossed.stdout)")
        let bad = try diff("p95 > +1sec")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("or a duration such as +50ms or +0.5s"), "\(bad.stderr)")
    }

    @Test func rulesSimulateTakesMinutesAndSeconds() throws {
        for (duration, requests) in [("1.5m", 900), ("90", 900), ("2s", 20)] {
            let result = try XRayBinary.run(
                ["rules", "simulate", Self.rules, "--requests", Self.requests, "--rate", "10/s", "--duration", duration])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("\(requests) requests over "), "\(duration): \(result.stdout)")
        }
        let zero = try XRayBinary.run(["rules", "simulate", Self.rules, "--requests", Self.requests, "--rate", "10/s", "--duration", "0s"])
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("--duration must be longer than 0"))
    }

    @Test func lingerTakesABareNumberAndMilliseconds() throws {
        for linger in ["0.2", "150ms"] {
            let result = try XRayBinary.run(["run", "--quiet", "--linger", linger, "--store", store, "--", "true"])
            #expect(result.status == 0, "\(linger): \(result.stderr)")
        }
    }
}
