import Foundation
import Testing
import XRayTestSupport
import XRayWire

/// `xray rules` through the built binary, against the Python SDK oracle's checked-in expectations.
@Suite struct RulesEndToEndTests {
    let rules = fixturesDirectory.appendingPathComponent("rules")

    func path(_ name: String) -> String { rules.appendingPathComponent(name).path }

    func parseLines(_ text: String) throws -> [JSONValue] {
        try text.split(separator: "\n").map { try JSONParser.parse(String($0)).value }
    }

    /// Whether `actual` holds every key of `expected` with an equal value, numbers compared by value.
    func agrees(_ actual: JSONValue?, with expected: JSONValue) -> Bool {
        switch (actual, expected) {
        case (.number(let a)?, .number(let e)): return a.double == e.double
        case (.object(let a)?, .object(let e)): return e.allSatisfy { agrees(a[$0.key], with: $0.value) }
        case (.array(let a)?, .array(let e)): return a.count == e.count && zip(a, e).allSatisfy { agrees($0, with: $1) }
        case (let a?, let e): return a == e
        case (nil, _): return false
        }
    }

    @Test(arguments: ["local-v2", "local-v1", "centralized", "centralized-early-default", "centralized-no-default"])
    func batchMatchAgreesWithThePythonSDKLineForLine(rulesFile: String) throws {
        let result = try XRayBinary.run([
            "rules", "match", path(rulesFile + ".json"), "--requests", path("requests.jsonl"), "--format", "jsonl",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let got = try parseLines(result.stdout)
        let want = try parseLines(String(contentsOfFile: path("expected/match-\(rulesFile)-requests.jsonl"), encoding: .utf8))
        #expect(got.count == want.count)
        for (n, (g, w)) in zip(got, want).enumerated() {
            #expect(agrees(g, with: w), "line \(n + 1)")
            #expect(g.objectValue?.keys.filter { !["index", "default", "rule", "fixed_target", "rate", "fallback"].contains($0) } == [])
        }
    }

    @Test(arguments: [
        ("local-v2", "sim-requests", ["--clients", "3", "--seed", "42"], "simulate-local-v2-sim-requests-c3-s42.json"),
        ("centralized", "sim-requests", ["--clients", "4", "--seed", "9"], "simulate-centralized-sim-requests-c4-s9.json"),
        (
            "centralized", "requests", ["--clients", "3", "--seed", "13", "--rate", "50/s", "--duration", "30s"],
            "simulate-centralized-requests-c3-s13-rate50-for30.json"
        ),
    ])
    func simulateAgreesWithThePythonSDK(rulesFile: String, requests: String, options: [String], expected: String) throws {
        let result = try XRayBinary.run(
            ["rules", "simulate", path(rulesFile + ".json"), "--requests", path(requests + ".jsonl"), "--format", "json"]
                + options)
        #expect(result.status == 0, "\(result.stderr)")
        let got = try JSONParser.parse(result.stdout).value
        let want = try JSONParser.parse(String(contentsOfFile: path("expected/" + expected), encoding: .utf8)).value
        #expect(agrees(got, with: want))
    }

    @Test func simulateTextIsATablePerRule() throws {
        let result = try XRayBinary.run([
            "rules", "simulate", path("local-v2.json"), "--requests", path("sim-requests.jsonl"), "--seed", "1",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("3000 requests over"))
        #expect(result.stdout.contains("rules[0] \"Player moves.\""))
        #expect(result.stdout.contains("\ndefault "))
    }

    @Test func validateExitCodesAndPositions() throws {
        let valid = try XRayBinary.run(["rules", "validate", path("local-v2.json"), path("centralized.json")])
        #expect(valid.status == 0)
        #expect(valid.stdout.contains("local-v2.json: valid (local, version 2, 7 rules and a default)"))

        let invalid = try XRayBinary.run(["rules", "validate", path("invalid/v2-with-service-name.json")])
        #expect(invalid.status == 65)
        #expect(
            invalid.stdout.contains(
                "v2-with-service-name.json:4:5: error: rules[0].host: All non-default rules must have values for url_path, host, and http_method; rename \"service_name\" to \"host\""
            ))
        #expect(invalid.stdout.contains("v2-with-service-name.json:9:17: error: default.url_path: The default rule must not specify values"))

        let missing = try XRayBinary.run(["rules", "validate", path("local-v2.json"), "/nonexistent/rules.json"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent/rules.json: cannot read the file"))

        let usage = try XRayBinary.run(["rules", "validate"])
        #expect(usage.status == 64)
    }

    @Test func validateJSONListsEveryDiagnostic() throws {
        let result = try XRayBinary.run(["rules", "validate", "--format", "json", path("invalid/centralized-limits.json")])
        #expect(result.status == 65)
        let files = try JSONParser.parse(result.stdout).value.objectValue?["files"]?.arrayValue
        let diagnostics = files?.first?.objectValue?["diagnostics"]?.arrayValue ?? []
        let fields = diagnostics.compactMap { $0.objectValue?["field"]?.stringValue }
        #expect(
            fields == [
                "SamplingRuleRecords[0].SamplingRule.Priority", "SamplingRuleRecords[0].SamplingRule.FixedRate",
                "SamplingRuleRecords[0].SamplingRule.URLPath",
            ])
    }

    @Test func matchExplainsAndNamesOtherSDKs() throws {
        let result = try XRayBinary.run([
            "rules", "match", path("centralized-early-default.json"), "--host", "h", "--method", "GET", "--path", "/api/x",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#"[1] "static" (priority 10): no match: path "/api/x" does not match "/static/*""#))
        #expect(result.stdout.contains(#"decision: [0] "Default" (priority 50): fixed_target 0, rate 0"#))
        #expect(result.stdout.contains(#"sdk difference: go would choose [2] "after-default" (priority 60)"#))

        let java = try XRayBinary.run([
            "rules", "match", path("centralized-early-default.json"), "--host", "h", "--method", "GET", "--path", "/api/x",
            "--sdk", "java", "--format", "json",
        ])
        let object = try JSONParser.parse(java.stdout).value.objectValue
        #expect(object?["rule"] == .string("after-default"))
        #expect(object?["other_sdks"]?.arrayValue?.count == 2)
    }

    @Test func dynamicNamingGivesTheSegmentName() throws {
        let single = try XRayBinary.run([
            "rules", "match", path("local-v2.json"), "--host", "api.example.com", "--path", "/x",
            "--dynamic-naming", "*.example.com", "--fallback", "web",
        ])
        #expect(single.stdout.contains("segment name: api.example.com"))
        let batch = try XRayBinary.run([
            "rules", "match", path("local-v2.json"), "--requests", path("requests.jsonl"),
            "--dynamic-naming", "*.example.com", "--fallback", "web",
        ])
        let first = try parseLines(batch.stdout).first?.objectValue
        #expect(first?["segment_name"] == .string("web"))
        let lonely = try XRayBinary.run(["rules", "match", path("local-v2.json"), "--dynamic-naming", "*"])
        #expect(lonely.status == 64)
    }

    @Test func lintReportsCodesAndExitsNonZeroOnWarnings() throws {
        let result = try XRayBinary.run(["rules", "lint", path("centralized-early-default.json")])
        #expect(result.status == 65)
        #expect(result.stdout.contains("warning[after-default]: [2] \"after-default\" (priority 60)"))
        let clean = try XRayBinary.run(["rules", "lint", path("local-v2.json")])
        #expect(clean.status == 0)
    }

    @Test func convertWritesALoadableFileAndNotes() throws {
        let result = try XRayBinary.run(["rules", "convert", path("centralized.json"), "--to", "local"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("note: rule \"with-attributes\" dropped"))
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let converted = dir.appendingPathComponent("local.json")
        try result.stdoutData.write(to: converted)
        #expect(try XRayBinary.run(["rules", "validate", converted.path]).status == 0)
    }

    @Test func oversizedInputsAreRefusedWithAClearMessage() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = dir.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: (1 << 20) + 10).write(to: big)
        let rulesResult = try XRayBinary.run(["rules", "validate", big.path])
        #expect(rulesResult.status == 65)
        #expect(rulesResult.stderr.contains("over the 1048576-byte limit"))

        let requests = dir.appendingPathComponent("requests.jsonl")
        try Data(("{\"path\":\"" + String(repeating: "a", count: 70_000) + "\"}\n").utf8).write(to: requests)
        let matchResult = try XRayBinary.run(["rules", "match", path("local-v2.json"), "--requests", requests.path])
        #expect(matchResult.status == 65)
        #expect(matchResult.stderr.contains("requests.jsonl:1: the request line is 70011 bytes, over the 65536-byte limit"))
    }
}

/// Hostile but well-formed inputs cost bounded work and get a clear answer.
@Suite struct RulesBoundsEndToEndTests {
    func localRules(_ count: Int, path: (Int) -> String = { "/api/\($0)/*" }) -> String {
        let rules = (0..<count).map {
            #"{"host":"h\#($0).example.com","http_method":"GET","url_path":"\#(path($0))","fixed_target":1,"rate":0.05}"#
        }
        return #"{"version":2,"rules":[\#(rules.joined(separator: ","))],"default":{"fixed_target":1,"rate":0.1}}"#
    }

    /// 1,000 rules validate, lint and start a daemon; 1,001 are refused naming the limit (exit 65).
    @Test func ruleCountIsCappedAtOneThousand() throws {
        let dir = try makeTemporaryDirectory("rules-bounds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fits = dir.appendingPathComponent("fits.json")
        try Data(localRules(1_000).utf8).write(to: fits)
        #expect(try XRayBinary.run(["rules", "validate", fits.path]).status == 0)
        let lint = try XRayBinary.run(["rules", "lint", fits.path])
        #expect(!lint.stdout.contains("shadowed"), "\(lint.stdout)")
        let over = dir.appendingPathComponent("over.json")
        try Data(localRules(1_001).utf8).write(to: over)
        let refused = try XRayBinary.run(["rules", "validate", over.path])
        #expect(refused.status == 65)
        #expect((refused.stdout + refused.stderr).contains("over.json:1:"))
        #expect((refused.stdout + refused.stderr).contains("the file has 1001 rules, over xray's limit of 1000"))
        let records = (0..<1_001).map {
            #"{"SamplingRule":{"RuleName":"r\#($0)","Priority":\#($0 % 9999 + 1),"FixedRate":0.05,"ReservoirSize":1,"ServiceName":"*","ServiceType":"*","Host":"*","HTTPMethod":"*","URLPath":"/\#($0)","Version":1,"ResourceARN":"*","Attributes":{}}}"#
        }
        let centralized = dir.appendingPathComponent("centralized.json")
        try Data(#"{"SamplingRuleRecords":[\#(records.joined(separator: ","))]}"#.utf8).write(to: centralized)
        let daemon = try XRayBinary.run([
            "daemon", "--listen", "127.0.0.1:0", "--store", dir.appendingPathComponent("s.sqlite").path,
            "--sampling-rules", centralized.path,
        ])
        #expect(daemon.status == 65)
        #expect(daemon.stderr.contains("over xray's limit of 1000"))
    }

    /// A rule shadowed by the 1,000th rule's neighbour is still found in a large file.
    @Test func lintFindsShadowingInALargeFile() throws {
        let dir = try makeTemporaryDirectory("rules-lint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rules.json")
        try Data(localRules(1_000) { $0 == 999 ? "/api/998/x" : "/api/\($0)/*" }.replacingOccurrences(of: "h999.", with: "h998.").utf8)
            .write(to: file)
        let lint = try XRayBinary.run(["rules", "lint", file.path])
        #expect(lint.stdout.contains("rules[999]"), "\(lint.stdout)")
        #expect(lint.stdout.contains("shadowed"))
    }

    /// `*a` repeated up to the pattern limit, then `b`, against a 60 KB path answers (no match) at once, in
    /// batch and explained; the 10,000- and 400,000-character versions are refused by validate and match.
    @Test func pathologicalWildcardsFinishOrAreRefused() throws {
        let dir = try makeTemporaryDirectory("rules-wild")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = "/" + String(repeating: "a", count: 60_000)
        let requests = dir.appendingPathComponent("requests.jsonl")
        try Data(#"{"host":"h","method":"GET","path":"\#(path)"}"#.utf8).write(to: requests)
        func file(_ count: Int) throws -> String {
            let file = dir.appendingPathComponent("wild\(count).json")
            let pattern = String(repeating: "*a", count: count) + "b"
            try Data(
                #"{"version":2,"rules":[{"host":"*","http_method":"*","url_path":"\#(pattern)","fixed_target":1,"rate":0.5}],"default":{"fixed_target":1,"rate":0.1}}"#
                    .utf8
            )
            .write(to: file)
            return file.path
        }
        let longest = try file(511)
        let match = try XRayBinary.run(["rules", "match", longest, "--requests", requests.path])
        #expect(match.status == 0, "\(match.stderr)")
        #expect(match.stdout.contains(#""default":true"#))
        let explained = try XRayBinary.run(["rules", "match", longest, "--host", "h", "--method", "GET", "--path", path])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("decision: default"))
        for count in [5_000, 200_000] {
            let rules = try file(count)
            for command in ["validate", "match"] {
                let refused = try XRayBinary.run(
                    ["rules", command, rules, "--requests", requests.path].filter { command == "match" || !$0.hasSuffix("jsonl") && $0 != "--requests" })
                #expect(refused.status == 65)
                #expect(
                    (refused.stdout + refused.stderr).contains(
                        "rules[0].url_path: the url_path pattern is \(2 * count + 1) characters, over xray's limit of 1024"))
            }
        }
    }

    /// `"version": 2, "version": 1` is version 1 to the SDK (last wins) and would be 2 to a first-wins
    /// reader: validate refuses it, naming the key and its line (exit 65).
    @Test func duplicateKeysAreAValidationError() throws {
        let dir = try makeTemporaryDirectory("rules-duplicates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dup.json")
        try Data(
            """
            {"version": 2,
             "rules": [],
             "default": {"fixed_target": 1, "rate": 0.1, "rate": 0.5},
             "version": 1}
            """.utf8
        ).write(to: file)
        let result = try XRayBinary.run(["rules", "validate", file.path])
        #expect(result.status == 65)
        let output = result.stdout + result.stderr
        #expect(output.contains("dup.json:3:46: error: default.rate: key \"rate\" appears more than once"), "\(output)")
        #expect(output.contains("dup.json:4:2: error: version: key \"version\" appears more than once"))
    }

    /// Every local document the Python SDK fails to load (`Scripts/rules-oracle`'s validate cases: null
    /// lists and objects, wrong types, missing values) is invalid for xray too, naming a field; the ones it
    /// loads are valid.
    @Test func validateAgreesWithTheSDKOnNullsAndWrongTypes() throws {
        let dir = try makeTemporaryDirectory("rules-validate-oracle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = fixturesDirectory.appendingPathComponent("rules/expected/validate-local.jsonl")
        let cases = try String(contentsOf: expected, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)).value }
        #expect(cases.count > 20)
        for entry in cases {
            let name = try #require(entry.objectValue?["case"]?.stringValue)
            let document = try #require(entry.objectValue?["document"]?.stringValue)
            let sdk = try #require(entry.objectValue?["sdk"]?.stringValue)
            let file = dir.appendingPathComponent(name + ".json")
            try Data(document.utf8).write(to: file)
            let result = try XRayBinary.run(["rules", "validate", file.path])
            if sdk == "ok" {
                #expect(result.status == 0, "\(name): the SDK loads it; xray says \(result.stdout)\(result.stderr)")
            } else {
                #expect(result.status == 65, "\(name): the SDK fails with \(sdk); xray says \(result.stdout)\(result.stderr)")
                #expect((result.stdout + result.stderr).contains(": error: "), "\(name)")
            }
        }
    }

    @Test(arguments: ["9223372036854775807", "100000001", "0"])
    func benchmarkCountIsBounded(count: String) throws {
        let rules = fixturesDirectory.appendingPathComponent("rules")
        let result = try XRayBinary.run([
            "rules", "match", rules.appendingPathComponent("local-v2.json").path,
            "--requests", rules.appendingPathComponent("requests.jsonl").path, "--benchmark", count,
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--benchmark must be from 1 to 100000000"))
    }
}

/// The checked-in expectations are what the Python SDK produces today (needs the test virtualenv).
@Suite struct RulesEndToEndOracleTests {
    @Test(.enabled(if: testPython != nil, "needs the test virtualenv's Python with aws-xray-sdk"))
    func checkedInExpectationsMatchAFreshOracleRun() throws {
        let python = try #require(testPython)
        let dir = try makeTemporaryDirectory("rules-oracle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/rules-oracle")
        let run = try XRayBinary.run([script.path, dir.path], executable: URL(fileURLWithPath: python))
        #expect(run.status == 0, "\(run.stderr)")
        let expected = fixturesDirectory.appendingPathComponent("rules/expected")
        let names = try FileManager.default.contentsOfDirectory(atPath: expected.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == names)
        for name in names {
            let fresh = try Data(contentsOf: dir.appendingPathComponent(name))
            #expect(fresh == (try Data(contentsOf: expected.appendingPathComponent(name))), "\(name) is out of date; run Scripts/rules-oracle")
        }
    }
}
