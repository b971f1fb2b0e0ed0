import XRayWire

/// Converts rule files between the local and centralized shapes, saying what could not be kept.
public enum RuleConverter {
    /// The outcome of a conversion: the new document and one note per thing that changed meaning or was dropped.
    public struct Conversion: Sendable, Hashable {
        public var document: RuleDocument
        public var notes: [String]
    }

    /// Converts `document` to `format`; converting to its own format returns it unchanged.
    public static func convert(_ document: RuleDocument, to format: RuleFileFormat) -> Conversion {
        switch (document, format) {
        case (.local(let file), .centralized):
            let rules = centralizedRules(from: file)
            var notes = [
                "fixed_target is per process, but ReservoirSize is one quota that X-Ray divides among every "
                    + "instance using the rule; lower ReservoirSize if many instances run"
            ]
            if file.version == 1 {
                notes.append("version 1 service_name patterns became Host patterns, which is how every SDK matched them")
            }
            return Conversion(document: .centralized(CentralizedRuleFile(shape: .records, rules: rules)), notes: notes)
        case (.centralized(let file), .local):
            return localFile(from: file)
        case (.local, .local), (.centralized, .centralized):
            return Conversion(document: document, notes: [])
        }
    }

    /// Local rules as centralized ones: priorities in file order, `default` last as `Default` (10000).
    static func centralizedRules(from file: LocalRuleFile) -> [SamplingRule] {
        var used: Set<String> = ["Default"]
        var rules: [SamplingRule] = []
        for (index, rule) in file.rules.enumerated() {
            var name = slug(rule.description ?? "")
            if name.isEmpty { name = "rule-\(index + 1)" }
            if used.contains(name) {
                let suffix = "-\(index + 1)"
                name = String(name.prefix(32 - suffix.count)) + suffix
            }
            used.insert(name)
            rules.append(
                SamplingRule(
                    ruleName: name, priority: index + 1, fixedRate: rule.rate, reservoirSize: rule.fixedTarget,
                    host: rule.host, httpMethod: rule.httpMethod, urlPath: rule.urlPath))
        }
        rules.append(
            SamplingRule(
                ruleName: "Default", priority: 10000, fixedRate: file.defaultRule.rate,
                reservoirSize: file.defaultRule.fixedTarget))
        return rules
    }

    /// A rule name from a description: letters, digits and dashes, at most 32 characters.
    private static func slug(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, out.last != "-" {
                out += "-"
            }
        }
        while out.last == "-" { out.removeLast() }
        return String(out.prefix(32))
    }

    private static func localFile(from file: CentralizedRuleFile) -> Conversion {
        var notes: [String] = []
        var rules: [LocalRule] = []
        var defaultRule: LocalDefaultRule?
        for rule in RuleMatcher.sdkOrder(file.rules) {
            if let reason = rule.ignoredBySDKReason {
                notes.append("rule \"\(rule.ruleName)\" dropped: \(reason)")
                continue
            }
            if rule.isDefault {
                defaultRule = LocalDefaultRule(fixedTarget: rule.reservoirSize, rate: rule.fixedRate)
                if rule.host != "*" || rule.httpMethod != "*" || rule.urlPath != "*" {
                    notes.append(
                        "rule \"Default\": its patterns were dropped; a local default matches everything, "
                            + "as the SDKs already treat the rule named Default")
                }
                continue
            }
            if defaultRule != nil {
                notes.append("rule \"\(rule.ruleName)\" dropped: it sorts after Default, so the Python SDK never reaches it")
                continue
            }
            if rule.serviceName != "*" {
                notes.append(
                    "rule \"\(rule.ruleName)\": ServiceName \"\(rule.serviceName)\" dropped; local rules cannot "
                        + "match the service name, so the rule now applies to every service")
            }
            if rule.serviceType != "*" {
                notes.append(
                    "rule \"\(rule.ruleName)\": ServiceType \"\(rule.serviceType)\" dropped; local rules cannot "
                        + "match the service type")
            }
            rules.append(
                LocalRule(
                    description: rule.ruleName, host: rule.host, httpMethod: rule.httpMethod, urlPath: rule.urlPath,
                    fixedTarget: rule.reservoirSize, rate: rule.fixedRate))
        }
        if defaultRule == nil {
            notes.append("no rule named Default: used the SDKs' built-in default (fixed_target 1, rate 0.05)")
        }
        notes.append(
            "ReservoirSize is a fleet-wide quota, but fixed_target applies to each process; lower "
                + "fixed_target if many instances run")
        let local = LocalRuleFile(version: 2, rules: rules, defaultRule: defaultRule ?? .builtIn)
        return Conversion(document: .local(local), notes: notes)
    }
}

extension LocalRuleFile {
    /// The file in the local JSON shape, keeping its version's host key.
    public var jsonValue: JSONValue {
        let rules: [JSONValue] = rules.map { rule in
            var members: [(key: String, value: JSONValue)] = []
            if let description = rule.description { members.append(("description", .string(description))) }
            members += [
                (hostKey, .string(rule.host)), ("http_method", .string(rule.httpMethod)),
                ("url_path", .string(rule.urlPath)), ("fixed_target", .number(rule.fixedTarget)),
                ("rate", .number(rule.rate)),
            ]
            return .object(JSONObject(members))
        }
        return .object(
            JSONObject([
                ("version", .number(JSONNumber(version))), ("rules", .array(rules)),
                (
                    "default",
                    .object(
                        JSONObject([
                            ("fixed_target", .number(defaultRule.fixedTarget)), ("rate", .number(defaultRule.rate)),
                        ]))
                ),
            ]))
    }
}

extension RuleDocument {
    /// The document as JSON: local files in their own shape, centralized ones as `SamplingRuleRecords`.
    public var jsonValue: JSONValue {
        switch self {
        case .local(let file): file.jsonValue
        case .centralized(let file):
            switch file.shape {
            case .records: samplingRuleRecordsJSON
            case .list: .array(file.rules.map(\.jsonValue))
            case .single: .object(JSONObject([("SamplingRule", file.rules.first?.jsonValue ?? .null)]))
            }
        }
    }
}
