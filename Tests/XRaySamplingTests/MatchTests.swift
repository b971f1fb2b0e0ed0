import Testing
import XRaySampling
import XRayWire

@Suite struct MatchTests {
    static let oracleCases = [
        "local-v2", "local-v1", "centralized", "centralized-early-default", "centralized-no-default",
    ]

    /// Every fixture request decides the rule the Python SDK's own matcher chose (expected/match-*.jsonl).
    @Test(arguments: oracleCases)
    func agreesWithThePythonSDK(rules: String) throws {
        let document = try loadFixture(rules + ".json")
        let matcher = RuleMatcher(document: document, sdk: .python)
        let requests = try RequestReader.readAll(fixtureBytes("requests.jsonl"), file: "requests.jsonl")
        let expected = try expectedLines("match-\(rules)-requests.jsonl")
        #expect(requests.count == expected.count)
        for (n, (timed, want)) in zip(requests, expected).enumerated() {
            let got = document.decisionJSON(matcher.decide(timed.request))
            #expect(agrees(got, with: want), "request \(n): \(JSONWriter.string(got)) != \(JSONWriter.string(want))")
        }
    }

    /// Batch lines carry exactly index, default, rule, fixed_target and rate, plus fallback when nothing matched.
    @Test func fallbackDecisionHasTheDocumentedKeys() throws {
        let document = try loadFixture("centralized-no-default.json")
        let line = DecisionLineWriter(document: document).line(.builtInDefault)
        #expect(line == #"{"index":null,"default":false,"rule":null,"fixed_target":1,"rate":0.05,"fallback":"local-default"}"# + "\n")
    }

    /// The explanation names the first attribute each earlier rule did not match.
    @Test func explanationListsTheFirstNonMatchingAttribute() throws {
        let matcher = RuleMatcher(document: try loadFixture("local-v2.json"))
        let explanation = matcher.explain(SamplingRequest(host: "example.com", method: "POST", path: "/health"))
        #expect(explanation.target == .localDefault)
        guard case .mismatch(let attribute, let pattern, let value) = explanation.steps[1].outcome else {
            Issue.record("rule 1 should not match")
            return
        }
        #expect(attribute == .method && pattern == "GET" && value == "POST")
        #expect(explanation.text.contains(#"rules[1] "Health checks": no match: method "POST" does not match "GET""#))
    }

    /// Python takes Default at its sort position; Go and Java apply it last, and the explanation says so.
    @Test func defaultAtItsSortPositionDiffersFromGoAndJava() throws {
        let document = try loadFixture("centralized-early-default.json")
        let request = SamplingRequest(host: "h", method: "GET", path: "/api/x")
        #expect(RuleMatcher(document: document, sdk: .python).decide(request) == .rule(0))
        #expect(RuleMatcher(document: document, sdk: .node).decide(request) == .rule(0))
        #expect(RuleMatcher(document: document, sdk: .go).decide(request) == .rule(2))
        #expect(RuleMatcher(document: document, sdk: .java).decide(request) == .rule(2))
        let explanation = RuleMatcher(document: document).explain(request)
        #expect(explanation.otherSDKs.map(\.sdk) == [.go, .java])
        #expect(explanation.notes.contains { $0.contains("Default applies to every request at its sort position") })
    }

    /// Absent attributes match implicitly in Python; Java matches "" and Node's local sampler takes the first rule.
    @Test func absentAttributesDifferBetweenSDKs() throws {
        let document = try loadFixture("local-v2.json")
        let request = SamplingRequest(method: "GET", path: "/health")
        #expect(RuleMatcher(document: document, sdk: .python).decide(request) == .rule(1))
        #expect(RuleMatcher(document: document, sdk: .java).decide(request) == .rule(1))
        #expect(RuleMatcher(document: document, sdk: .node).decide(request) == .rule(0))
        let noPath = SamplingRequest(host: "x", method: "GET")
        #expect(RuleMatcher(document: document, sdk: .python).decide(noPath) == .rule(0))
        // Java matches "" against "/api/move/*" and every later path pattern, so only the default is left.
        #expect(RuleMatcher(document: document, sdk: .java).decide(noPath) == .localDefault)
    }

    /// Rules the SDK drops are skipped and listed with the reason.
    @Test func ignoredRulesAreSkippedWithTheReason() throws {
        let explanation = RuleMatcher(document: try loadFixture("centralized.json"))
            .explain(SamplingRequest(host: "a", method: "GET", path: "/"))
        #expect(
            explanation.steps.contains { step in
                if case .ignored(let reason) = step.outcome { return step.index == 4 && reason.contains("Attributes") }
                return false
            })
    }

    /// The literal-star quirk is reported when it decides the comparison.
    @Test func literalStarQuirkIsExplained() throws {
        let explanation = RuleMatcher(document: try loadFixture("local-v2.json"))
            .explain(SamplingRequest(host: "x", method: "GET", path: "*xb"))
        #expect(explanation.notes.contains { $0.contains("literal * or ? in the request text") })
    }
}
