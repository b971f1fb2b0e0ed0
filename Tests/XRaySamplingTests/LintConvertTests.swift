import Testing
import XRaySampling
import XRayWire

@Suite struct LintTests {
    static let base = #""ResourceARN":"*","FixedRate":0.1,"ReservoirSize":1,"ServiceName":"*","ServiceType":"*","HTTPMethod":"*","Version":1,"Attributes":{}"#

    func codes(_ text: String) throws -> [LintCode] {
        RuleLinter.lint(try loadDocument(text)).map(\.code)
    }

    @Test func shadowedByAnEarlierBroaderRule() throws {
        let text =
            #"{"version":2,"rules":[{"host":"*","http_method":"*","url_path":"/api/*","fixed_target":1,"rate":0.1},{"host":"*","http_method":"GET","url_path":"/api/users","fixed_target":1,"rate":0.5}],"default":{"fixed_target":1,"rate":0.05}}"#
        #expect(try codes(text) == [.shadowed])
    }

    @Test func duplicateOfAnEarlierRule() throws {
        let rule = #"{"host":"a.com","http_method":"GET","url_path":"/x","fixed_target":1,"rate":0.1}"#
        #expect(try codes(#"{"version":2,"rules":[\#(rule),\#(rule)],"default":{"fixed_target":1,"rate":0.05}}"#) == [.duplicate])
    }

    @Test func ruleSortedAfterDefault() throws {
        let text =
            #"[{"RuleName":"Default","Priority":5,"Host":"*","URLPath":"*",\#(Self.base)},{"RuleName":"late","Priority":9,"Host":"x","URLPath":"/a",\#(Self.base)}]"#
        #expect(try codes(text) == [.afterDefault])
    }

    @Test func ruleTheSDKsIgnore() throws {
        let text =
            #"[{"RuleName":"r","Priority":5,"Host":"*","URLPath":"*",\#(Self.base.replacingOccurrences(of: "\"Attributes\":{}", with: "\"Attributes\":{\"k\":\"v\"}"))}]"#
        #expect(try codes(text) == [.ignoredBySDK])
    }

    @Test func unknownKeysRateOverOneAndHighDefault() throws {
        let text =
            #"{"version":2,"rules":[{"id":7,"host":"*","http_method":"*","url_path":"/a","fixed_target":1,"rate":1.5}],"default":{"fixed_target":1,"rate":0.5}}"#
        #expect(try codes(text) == [.rateOverOne, .unknownKey, .defaultHighRate])
    }

    @Test func versionOneFile() throws {
        #expect(try RuleLinter.lint(loadFixture("local-v1.json")).map(\.code) == [.versionOne])
    }

    /// Patterns cover others only when every text of the narrow one matches the wide one.
    @Test(arguments: [
        ("*", "/a", true), ("/api/*", "/API/users/*", true), ("/api/*", "/ap?/x", false), ("*.com", "a.com", true),
        ("GET", "get", true), ("/a*", "/b", false), ("*.com", "*.org", false),
    ])
    func coverage(wide: String, narrow: String, expected: Bool) throws {
        let text =
            #"{"version":2,"rules":[{"host":"*","http_method":"*","url_path":"\#(wide)","fixed_target":1,"rate":0.1},{"host":"*","http_method":"*","url_path":"\#(narrow)","fixed_target":1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.05}}"#
        #expect(try !codes(text).isEmpty == expected)
    }
}

@Suite struct ConvertTests {
    /// local → centralized → local keeps every pattern, target, rate and the default.
    @Test func localRoundTripKeepsTheRules() throws {
        let original = try loadFixture("local-v2.json")
        let there = RuleConverter.convert(original, to: .centralized).document
        let back = RuleConverter.convert(there, to: .local)
        guard case .local(let a) = original, case .local(let b) = back.document else {
            Issue.record("expected local files")
            return
        }
        #expect(a.rules.map(\.host) == b.rules.map(\.host))
        #expect(a.rules.map(\.urlPath) == b.rules.map(\.urlPath))
        #expect(a.rules.map(\.fixedTarget) == b.rules.map(\.fixedTarget))
        #expect(a.rules.map(\.rate) == b.rules.map(\.rate))
        #expect(a.defaultRule == b.defaultRule)
        // The converted file is itself valid and reloads to the same thing.
        let reloaded = try RuleDocument.load(Array(JSONWriter.string(back.document.jsonValue).utf8), file: "x")
        #expect(reloaded == back.document)
    }

    /// centralized → local says what it dropped: service names, rules with Attributes.
    @Test func centralizedToLocalNotesWhatIsLost() throws {
        let conversion = RuleConverter.convert(try loadFixture("centralized.json"), to: .local)
        #expect(conversion.notes.contains { $0.contains("ServiceName \"checkout\" dropped") })
        #expect(conversion.notes.contains { $0.contains("\"with-attributes\" dropped") })
        guard case .local(let file) = conversion.document else {
            Issue.record("expected a local file")
            return
        }
        #expect(file.rules.map(\.description) == ["a", "aa", "b", "api"])
        #expect(file.defaultRule.rate.double == 0.05)
    }

    /// centralized → local → centralized decides requests without service names the same way.
    @Test func centralizedRoundTripDecidesTheSameWay() throws {
        let original = try loadFixture("centralized-early-default.json")
        let local = RuleConverter.convert(original, to: .local).document
        let requests = try RequestReader.readAll(fixtureBytes("requests.jsonl"), file: "requests.jsonl")
        let a = RuleMatcher(document: original)
        let b = RuleMatcher(document: local)
        for timed in requests where timed.request.serviceName == nil && timed.request.serviceType == nil {
            let fromOriginal = original.decisionJSON(a.decide(timed.request)).objectValue
            let fromLocal = local.decisionJSON(b.decide(timed.request)).objectValue
            #expect(fromOriginal?["rate"] == fromLocal?["rate"])
            #expect(fromOriginal?["fixed_target"] == fromLocal?["fixed_target"])
        }
    }
}
