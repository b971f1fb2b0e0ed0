import Testing
import XRaySampling
import XRayWire

@Suite struct LoadingTests {
    static let rule =
        #""RuleName":"api","ResourceARN":"*","Priority":5,"FixedRate":0.1,"ReservoirSize":2,"ServiceName":"*","ServiceType":"*","Host":"*","HTTPMethod":"GET","URLPath":"/api/*","Version":1,"Attributes":{}"#

    /// Each supported shape is detected without --format.
    @Test(arguments: [
        (#"{"version":2,"rules":[],"default":{"fixed_target":1,"rate":0.1}}"#, "local"),
        (#"{"SamplingRuleRecords":[{"SamplingRule":{\#(rule)}}]}"#, "records"),
        (#"[{\#(rule)}]"#, "list"),
        (#"{"SamplingRule":{\#(rule)}}"#, "single"),
    ])
    func detectsEveryShape(text: String, shape: String) throws {
        switch try loadDocument(text) {
        case .local: #expect(shape == "local")
        case .centralized(let file): #expect(file.shape.rawValue == shape)
        }
    }

    /// A local file becomes centralized rules in file order with Default last, as the daemon serves them.
    @Test func localRulesBecomeCentralizedInFileOrderWithDefaultLast() throws {
        let document = try loadFixture("local-v1.json")
        let rules = document.centralizedRules
        #expect(rules.map(\.priority) == [1, 2, 10000])
        #expect(rules.map(\.ruleName) == ["Scorekeep-API", "Everything-on-localhost", "Default"])
        #expect(rules[0].host == "scorekeep.*")
        #expect(rules[0].reservoirSize.int == 1)
        #expect(rules[2].fixedRate.double == 0)
        guard case .object(let body) = document.samplingRuleRecordsJSON,
            case .array(let records)? = body["SamplingRuleRecords"]
        else {
            Issue.record("no SamplingRuleRecords")
            return
        }
        #expect(records.count == 3)
    }

    /// The local and centralized matchers agree after conversion, for every fixture request.
    @Test func convertedLocalRulesDecideTheSameWay() throws {
        let local = try loadFixture("local-v2.json")
        let centralized = RuleDocument.centralized(CentralizedRuleFile(shape: .records, rules: local.centralizedRules))
        let requests = try RequestReader.readAll(fixtureBytes("requests.jsonl"), file: "requests.jsonl")
        let a = RuleMatcher(document: local)
        let b = RuleMatcher(document: centralized)
        for timed in requests {
            var request = timed.request
            request.serviceName = nil
            request.serviceType = nil
            let expected: MatchTarget = a.decide(request) == .localDefault ? .rule(local.centralizedRules.count - 1) : a.decide(request)
            #expect(b.decide(request) == expected)
        }
    }

    /// A rules file over 1 MiB is refused before it is parsed.
    @Test func refusesFilesOverOneMebibyte() {
        let big = [UInt8](repeating: 0x20, count: RuleDocument.maximumFileSize + 1)
        #expect(throws: SamplingError.fileTooLarge(file: "big.json", size: big.count, limit: RuleDocument.maximumFileSize)) {
            try RuleDocument.load(big, file: "big.json")
        }
    }

    /// A missing file is reported as unreadable, with the path (the CLI exits 66: ExitCodeEndToEndTests).
    @Test func missingFileIsUnreadable() {
        do {
            _ = try InputFile.loadRules("/nonexistent/rules.json")
            Issue.record("expected an error")
        } catch {
            guard case .unreadable = error else {
                Issue.record("expected unreadable, got \(error)")
                return
            }
            #expect(error.description.contains("/nonexistent/rules.json"))
        }
    }

    /// Request lines: a line over 64 KiB, a non-string host and a missing "t" each get a clear error.
    @Test func requestLinesAreLimitedAndTyped() throws {
        let long = Array(("{\"path\":\"" + String(repeating: "a", count: 70_000) + "\"}\n").utf8)
        #expect(throws: SamplingError.requestLineTooLong(file: "r", line: 1, length: long.count - 1, limit: 65_536)) {
            try RequestReader.readAll(long, file: "r")
        }
        do {
            _ = try RequestReader.readAll(Array("{}\n\n{\"host\": 5}\n".utf8), file: "r")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("r:3: \"host\" must be a string or null"))
        }
        let untimed = try RequestReader.readAll(Array("{\"host\":\"a\"}\n".utf8), file: "r")
        #expect(throws: SamplingError.self) {
            try Simulator.run(document: loadFixture("local-v2.json"), requests: untimed, file: "r", options: .init())
        }
    }
}
