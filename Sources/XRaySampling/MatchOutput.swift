import XRayWire

extension RuleDocument {
    /// The batch-mode decision object for a target: `index`, `default`, `rule`, `fixed_target`, `rate`, and
    /// `fallback` when no centralized rule matched.
    public func decisionJSON(_ target: MatchTarget) -> JSONValue {
        let null = JSONValue.null
        switch (self, target) {
        case (.local(let file), .rule(let index)):
            let rule = file.rules[index]
            return Self.decision(
                index: .number(JSONNumber(index)), isDefault: false,
                rule: rule.description.map(JSONValue.string) ?? null,
                target: rule.fixedTarget, rate: rule.rate)
        case (.local(let file), .localDefault):
            return Self.decision(
                index: null, isDefault: true, rule: null,
                target: file.defaultRule.fixedTarget, rate: file.defaultRule.rate)
        case (.centralized(let file), .rule(let index)):
            let rule = file.rules[index]
            return Self.decision(
                index: .number(JSONNumber(index)), isDefault: rule.isDefault,
                rule: .string(rule.ruleName), target: rule.reservoirSize, rate: rule.fixedRate)
        case (.local, .builtInDefault), (.centralized, .builtInDefault), (.centralized, .localDefault):
            var object = Self.decision(
                index: null, isDefault: false, rule: null,
                target: LocalDefaultRule.builtIn.fixedTarget, rate: LocalDefaultRule.builtIn.rate)
            if case .object(var members) = object {
                members["fallback"] = .string("local-default")
                object = .object(members)
            }
            return object
        }
    }

    private static func decision(index: JSONValue, isDefault: Bool, rule: JSONValue, target: JSONNumber, rate: JSONNumber)
        -> JSONValue
    {
        .object(
            JSONObject([
                ("index", index), ("default", .bool(isDefault)), ("rule", rule), ("fixed_target", .number(target)),
                ("rate", .number(rate)),
            ]))
    }

    /// Every target a matcher can return for this document.
    public var allTargets: [MatchTarget] {
        switch self {
        case .local(let file): file.rules.indices.map(MatchTarget.rule) + [.localDefault]
        case .centralized(let file): file.rules.indices.map(MatchTarget.rule) + [.builtInDefault]
        }
    }

    /// A short human label for a target, such as `rules[1] "Player moves"` or `SamplingRuleRecords[0] "api"`.
    public func label(_ target: MatchTarget) -> String {
        switch (self, target) {
        case (.local(let file), .rule(let index)):
            let description = file.rules[index].description.map { " \"\($0)\"" } ?? ""
            return "rules[\(index)]\(description)"
        case (.local, .localDefault):
            return "default"
        case (.centralized(let file), .rule(let index)):
            let rule = file.rules[index]
            let place: String =
                switch file.shape {
                case .records: "SamplingRuleRecords[\(index)]"
                case .list: "[\(index)]"
                case .single: "SamplingRule"
                }
            return "\(place) \"\(rule.ruleName)\" (priority \(rule.priority))"
        case (_, .builtInDefault), (.centralized, .localDefault):
            return "the SDK's built-in local default (fixed_target 1, rate 0.05)"
        }
    }
}

/// Writes batch decisions as JSON lines; each target's line is rendered once, since it depends only on the rule.
public struct DecisionLineWriter: Sendable {
    private let lines: [MatchTarget: String]

    public init(document: RuleDocument) {
        var lines: [MatchTarget: String] = [:]
        for target in document.allTargets {
            lines[target] = JSONWriter.string(document.decisionJSON(target)) + "\n"
        }
        self.lines = lines
    }

    /// The line for `target`, newline included.
    public func line(_ target: MatchTarget) -> String { lines[target] ?? "" }
}

extension MatchExplanation {
    /// The explanation for people: the request, each rule in evaluation order with the first attribute that did
    /// not match, the decision, the quirks involved and the SDKs that would decide otherwise.
    public var text: String {
        var out = "request:"
        for attribute in RequestAttribute.allCases {
            out += " \(attribute.rawValue)=" + (attribute.value(in: request).map { "\"\($0)\"" } ?? "(absent)")
        }
        let order: String =
            switch document {
            case .local: "file order, then default"
            case .centralized:
                sdk == .go || sdk == .java
                    ? "priority, then name; Default after every other rule" : "priority, then name; Default at its position"
            }
        out += "\nrules as the \(sdk.rawValue) SDK evaluates them (\(order)):\n"
        for step in steps {
            let label = document.label(.rule(step.index))
            switch step.outcome {
            case .matched:
                out += "  \(label): matches\n"
            case .catchAllDefault:
                out += "  \(label): applies as the catch-all Default, although its patterns do not match\n"
            case .mismatch(let attribute, let pattern, let value):
                out += "  \(label): no match: \(attribute.rawValue) \"\(value)\" does not match \"\(pattern)\"\n"
            case .ignored(let reason):
                out += "  \(label): skipped: \(reason)\n"
            }
        }
        let decision = document.decisionJSON(target)
        let fixedTarget = decision.objectValue?["fixed_target"].map(JSONWriter.string) ?? "?"
        let rate = decision.objectValue?["rate"].map(JSONWriter.string) ?? "?"
        out += "decision: \(document.label(target)): fixed_target \(fixedTarget), rate \(rate)\n"
        for note in notes { out += "note: \(note)\n" }
        for other in otherSDKs {
            out += "sdk difference: \(other.sdk.rawValue) would choose \(document.label(other.target))\n"
        }
        return out
    }

    /// The decision object plus `sdk`, `steps`, `notes` and `other_sdks`, for `--format json`.
    public var jsonValue: JSONValue {
        guard case .object(var object) = document.decisionJSON(target) else { return .null }
        object["sdk"] = .string(sdk.rawValue)
        object["steps"] = .array(
            steps.map { step in
                var members: [(key: String, value: JSONValue)] = [("index", .number(JSONNumber(step.index)))]
                switch step.outcome {
                case .matched: members.append(("outcome", .string("matched")))
                case .catchAllDefault: members.append(("outcome", .string("default-catch-all")))
                case .mismatch(let attribute, let pattern, let value):
                    members += [
                        ("outcome", .string("no-match")), ("attribute", .string(attribute.rawValue)),
                        ("pattern", .string(pattern)), ("value", .string(value)),
                    ]
                case .ignored(let reason):
                    members += [("outcome", .string("ignored")), ("reason", .string(reason))]
                }
                return .object(JSONObject(members))
            })
        object["notes"] = .array(notes.map(JSONValue.string))
        object["other_sdks"] = .array(
            otherSDKs.map { other in
                guard case .object(var decision) = document.decisionJSON(other.target) else { return .null }
                decision["sdk"] = .string(other.sdk.rawValue)
                return .object(decision)
            })
        return .object(object)
    }
}
