import Testing
import XRaySampling
import XRayWire

@Suite struct ValidationTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var field: String
        var message: String
        var line: Int
        var column: Int
        var description: String { field + ": " + message }
    }

    static let centralizedRule =
        #""RuleName":"api","ResourceARN":"*","Priority":5,"FixedRate":0.1,"ReservoirSize":2,"ServiceName":"*","ServiceType":"*","Host":"*","HTTPMethod":"GET","URLPath":"/api/*","Version":1"#

    /// Every check, with the field at fault, the SDK's message and the position of the value (or its object).
    static let cases: [Case] = [
        Case(
            text: #"{"rules":[],"default":{"fixed_target":1,"rate":0.1}}"#, field: "version",
            message: "Manifest version: None is not supported.", line: 1, column: 1),
        Case(
            text: #"{"version":"2","default":{"fixed_target":1,"rate":0.1}}"#, field: "version",
            message: #"Manifest version: "2" is not supported."#, line: 1, column: 12),
        Case(text: #"{"version":2,"rules":[]}"#, field: "default", message: "A default rule must be provided.", line: 1, column: 1),
        Case(
            text: "{\"version\":2,\n\"default\":{\"fixed_target\":1,\"rate\":0.1,\"url_path\":\"/a\"}}", field: "default.url_path",
            message: "The default rule must not specify values for url_path, host, or http_method", line: 2, column: 51),
        Case(
            text: #"{"version":2,"default":{"fixed_target":-1,"rate":0.1}}"#, field: "default.fixed_target",
            message: "All rules must have non-negative values for fixed_target and rate", line: 1, column: 40),
        Case(
            text: #"{"version":2,"default":{"fixed_target":1}}"#, field: "default.rate",
            message: "rate is missing (the Python SDK fails with TypeError", line: 1, column: 24),
        Case(
            text: #"{"version":2,"default":{"fixed_target":"1","rate":0}}"#, field: "default.fixed_target",
            message: "fixed_target must be a number, found a string", line: 1, column: 40),
        Case(
            text: #"{"version":2,"default":{"fixed_target":1.5,"rate":0}}"#, field: "default.fixed_target",
            message: "fixed_target must be a whole number", line: 1, column: 40),
        Case(
            text: #"{"version":2,"rules":[{"host":"*","http_method":"*","fixed_target":1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.1}}"#,
            field: "rules[0].url_path", message: "All non-default rules must have values for url_path, host, and http_method",
            line: 1, column: 23),
        Case(
            text:
                #"{"version":2,"rules":[{"service_name":"*","http_method":"*","url_path":"*","fixed_target":1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.1}}"#,
            field: "rules[0].host", message: "All non-default rules must have values for url_path, host, and http_method",
            line: 1, column: 23),
        Case(
            text: #"{"version":1,"rules":[{"host":"*","http_method":"*","url_path":"*","fixed_target":1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.1}}"#,
            field: "rules[0].service_name",
            message: "All non-default rules must have values for url_path, service_name, and http_method", line: 1, column: 23),
        Case(
            text: #"{"version":2,"rules":[{"host":3,"http_method":"*","url_path":"*","fixed_target":1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.1}}"#,
            field: "rules[0].host", message: "host must be a string pattern, found a number", line: 1, column: 31),
        Case(
            text: #"{"version":2,"rules":{},"default":{"fixed_target":1,"rate":0.1}}"#, field: "rules",
            message: "\"rules\" must be a list", line: 1, column: 22),
        Case(text: "{\"version\":2,\n  \"rules\": [", field: "$", message: "not valid JSON", line: 2, column: 13),
        Case(
            text: "{\"version\":2,\n  \"default\": {\"fixed_target\":1,\"rate\":0.1},\n}", field: "$",
            message: "not valid JSON: trailing comma before '}'", line: 2, column: 43),
        Case(
            text:
                #"{"SamplingRule":{"RuleName":"this-name-is-longer-than-thirty-two","ResourceARN":"*","Priority":5,"FixedRate":0.1,"ReservoirSize":2,"ServiceName":"*","ServiceType":"*","Host":"*","HTTPMethod":"GET","URLPath":"/api/*","Version":1}}"#,
            field: "SamplingRule.RuleName", message: "RuleName is 35 characters; the X-Ray API allows 1 to 32", line: 1, column: 29),
        Case(
            text: #"[{\#(centralizedRule.replacingOccurrences(of: "\"Priority\":5", with: "\"Priority\":0"))}]"#,
            field: "[0].Priority", message: "Priority 0 is outside the X-Ray API's range (1 to 9999)", line: 1, column: 49),
        Case(
            text: #"[{\#(centralizedRule.replacingOccurrences(of: "\"FixedRate\":0.1", with: "\"FixedRate\":5.0"))}]"#,
            field: "[0].FixedRate", message: "FixedRate 5.0 is outside 0...1", line: 1, column: 63),
        Case(
            text: #"[{\#(centralizedRule.replacingOccurrences(of: "\"Version\":1", with: "\"Version\":0"))}]"#,
            field: "[0].Version", message: "Version 0 is outside the X-Ray API's range (at least 1)", line: 1, column: 180),
        Case(
            text: #"[{\#(centralizedRule.replacingOccurrences(of: "\"HTTPMethod\":\"GET\"", with: "\"HTTPMethod\":\"GETGETGETGET\""))}]"#,
            field: "[0].HTTPMethod", message: "HTTPMethod is 12 characters; the X-Ray API allows 0 to 10", line: 1, column: 145),
        Case(
            text: #"[{\#(centralizedRule),"Attributes":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1"}}]"#,
            field: "[0].Attributes", message: "Attributes has 6 entries, over the API's limit of 5", line: 1, column: 195),
        Case(
            text: #"[{\#(centralizedRule.replacingOccurrences(of: "\"ServiceType\":\"*\",", with: ""))}]"#,
            field: "[0].ServiceType", message: "ServiceType is required", line: 1, column: 2),
        Case(
            text: #"[{\#(centralizedRule)},{\#(centralizedRule)}]"#,
            field: "[1].RuleName", message: "rule name \"api\" is already used by [0]", line: 1, column: 195),
        Case(
            text: #"{"SamplingRuleRecords":{}}"#, field: "SamplingRuleRecords", message: "SamplingRuleRecords must be a list",
            line: 1, column: 24),
    ]

    @Test(arguments: cases)
    func reportsTheFieldMessageAndPosition(_ c: Case) throws {
        let report = try RuleDocument.validate(Array(c.text.utf8), file: "rules.json")
        #expect(report.document == nil)
        let diagnostic = try #require(report.diagnostics.first { $0.field == c.field }, "fields: \(report.diagnostics.map(\.field))")
        #expect(diagnostic.message.hasPrefix(c.message), "\(diagnostic.message)")
        #expect(diagnostic.line == c.line && diagnostic.column == c.column, "\(diagnostic.line):\(diagnostic.column)")
        #expect(!diagnostic.fix.isEmpty)
        #expect(diagnostic.description.hasPrefix("rules.json:\(c.line):\(c.column): error: \(c.field): "))
    }

    /// Every problem is reported, not only the first.
    @Test func reportsEveryProblemAtOnce() throws {
        let text = #"{"version":3,"rules":[{"host":"*","fixed_target":-1,"rate":0.1}],"default":{"fixed_target":1,"rate":0.1,"host":"x"}}"#
        let report = try RuleDocument.validate(Array(text.utf8), file: "rules.json")
        #expect(
            Set(report.diagnostics.map(\.field)) == [
                "version", "default.host", "rules[0].fixed_target", "rules[0].http_method", "rules[0].url_path",
            ])
    }

    /// Python accepts a rate over 1 and unknown keys, so validation does too (lint reports them).
    @Test func acceptsWhatThePythonSDKAccepts() throws {
        let text =
            #"{"version":2,"rules":[{"id":1,"host":"*","http_method":"*","url_path":"*","fixed_target":1,"rate":2}],"default":{"fixed_target":1,"rate":0.1}}"#
        let report = try RuleDocument.validate(Array(text.utf8), file: "rules.json")
        #expect(report.diagnostics.isEmpty)
        #expect(report.document != nil)
    }

    /// `--format local` reads a centralized-looking file as local and reports why it is not one.
    @Test func forcedFormatOverridesDetection() throws {
        let report = try RuleDocument.validate(Array(#"[{"RuleName":"a"}]"#.utf8), file: "r.json", format: .local)
        #expect(report.format == .local)
        #expect(report.diagnostics.first?.message.hasPrefix("a local rules file must be a JSON object") == true)
    }
}
