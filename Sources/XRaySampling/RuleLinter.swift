import XRayWire

/// A finding of `xray rules lint`: a rule that is valid but probably not what its author meant.
public struct LintFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning, info
    }

    /// The finding's stable code, one of `LintCode`.
    public var code: LintCode
    public var severity: Severity
    /// The rule concerned, labelled as `xray rules match` labels it.
    public var rule: String
    public var message: String
    public var fix: String

    public var description: String { "\(severity.rawValue)[\(code.rawValue)]: \(rule): \(message); \(fix)" }

    public var jsonValue: JSONValue {
        .object(
            JSONObject([
                ("code", .string(code.rawValue)), ("severity", .string(severity.rawValue)), ("rule", .string(rule)),
                ("message", .string(message)), ("fix", .string(fix)),
            ]))
    }
}

/// Every lint code, documented in xray-rules(1).
public enum LintCode: String, Sendable, Hashable, CaseIterable {
    /// An earlier (or higher-priority) rule matches every request this one matches.
    case shadowed
    /// Same patterns as an earlier rule.
    case duplicate
    /// A centralized rule sorted after `Default`, which Python and Node take at its position.
    case afterDefault = "after-default"
    /// A centralized rule the SDKs drop (Attributes, ResourceARN, Version, empty ServiceType).
    case ignoredBySDK = "ignored-by-sdk"
    /// A key Node's strict parser rejects (`id`, ...), which the other SDKs ignore.
    case unknownKey = "unknown-key"
    /// A default that samples a large share of the unmatched traffic.
    case defaultHighRate = "default-high-rate"
    /// A version 1 file; version 2 says `host`, which is what `service_name` was matched against anyway.
    case versionOne = "version-1"
    /// A rate over 1: the same as 1 in Python, Go and Java, and a rejected file in Node.
    case rateOverOne = "rate-over-1"
}

/// Finds rules that can never match, rules the SDKs ignore and other likely mistakes.
///
/// Shadowing is decided on the patterns (`*` covers everything, equal patterns, a `prefix*` covering patterns that
/// start with that literal prefix, a `*suffix` covering those ending with it); the literal-`*` quirk of
/// `wildcard_match` is not taken into account, so a finding can be missed but is never wrong for ordinary text.
public enum RuleLinter {
    /// A `default` rate above this is reported as high; the SDKs' built-in default is 0.05.
    public static let highDefaultRate = 0.1

    public static func lint(_ document: RuleDocument) -> [LintFinding] {
        switch document {
        case .local(let file): lintLocal(file, document: document)
        case .centralized(let file): lintCentralized(file, document: document)
        }
    }

    private static func lintLocal(_ file: LocalRuleFile, document: RuleDocument) -> [LintFinding] {
        var findings: [LintFinding] = []
        if file.version == 1 {
            findings.append(
                LintFinding(
                    code: .versionOne, severity: .info, rule: "version",
                    message: "version 1 files name the host pattern service_name, although every SDK matches it against the host",
                    fix: "write \"version\": 2 and rename each \"service_name\" to \"host\" (`xray rules convert` keeps the rest)"))
        }
        var shadows = ShadowIndex(file.rules.map { [$0.host, $0.httpMethod, $0.urlPath] })
        for (index, rule) in file.rules.enumerated() {
            let label = document.label(.rule(index))
            findings += shadows.finding(for: index, label: label, document: document)
            shadows.add(index)
            findings += rateChecks(rule.rate, label: label)
            for key in rule.unknownKeys {
                findings.append(
                    LintFinding(
                        code: .unknownKey, severity: .warning, rule: label,
                        message: "key \"\(key)\" is ignored by Python, Go and Java, but Node rejects the whole file",
                        fix: "remove \"\(key)\" (or move the note into \"description\")"))
            }
        }
        findings += rateChecks(file.defaultRule.rate, label: "default")
        if file.defaultRule.rate.double > highDefaultRate {
            findings.append(
                LintFinding(
                    code: .defaultHighRate, severity: .warning, rule: "default",
                    message: "the default samples \(percent(file.defaultRule.rate.double)) of every request no rule matches",
                    fix: "lower the default rate (the SDKs' built-in default is 0.05) and add rules for the traffic you want"))
        }
        return findings
    }

    private static func lintCentralized(_ file: CentralizedRuleFile, document: RuleDocument) -> [LintFinding] {
        var findings: [LintFinding] = []
        let order = RuleMatcher.sdkOrderedIndices(file.rules).filter { file.rules[$0].ignoredBySDKReason == nil }
        var shadows = ShadowIndex(file.rules.map { [$0.host, $0.httpMethod, $0.urlPath, $0.serviceName, $0.serviceType] })
        var defaultSeen: Int?
        for index in order {
            let rule = file.rules[index]
            let label = document.label(.rule(index))
            if let defaultIndex = defaultSeen {
                findings.append(
                    LintFinding(
                        code: .afterDefault, severity: .warning, rule: label,
                        message: "it sorts after \(document.label(.rule(defaultIndex))); Python and Node take Default "
                            + "for every request at its position, so they never reach this rule (Go and Java do)",
                        fix: "give this rule a priority below Default's \(file.rules[defaultIndex].priority)"))
            } else {
                findings += shadows.finding(for: index, label: label, document: document)
                shadows.add(index)
            }
            if rule.isDefault { defaultSeen = index }
        }
        for (index, rule) in file.rules.enumerated() {
            let label = document.label(.rule(index))
            if let reason = rule.ignoredBySDKReason {
                findings.append(
                    LintFinding(
                        code: .ignoredBySDK, severity: .warning, rule: label, message: "the SDKs drop this rule: \(reason)",
                        fix: "use Version 1, ResourceARN \"*\", a ServiceType such as \"*\" and no Attributes"))
            }
            for key in rule.unknownKeys {
                findings.append(
                    LintFinding(
                        code: .unknownKey, severity: .warning, rule: label,
                        message: "key \"\(key)\" is not part of the SamplingRule shape; Node rejects it",
                        fix: "remove \"\(key)\""))
            }
            if rule.isDefault, rule.fixedRate.double > highDefaultRate {
                findings.append(
                    LintFinding(
                        code: .defaultHighRate, severity: .warning, rule: label,
                        message: "Default samples \(percent(rule.fixedRate.double)) of every request no other rule matches",
                        fix: "lower FixedRate (X-Ray's own Default uses 0.05) and add rules for the traffic you want"))
            }
        }
        return findings
    }

    private static func rateChecks(_ rate: JSONNumber, label: String) -> [LintFinding] {
        guard rate.double > 1 else { return [] }
        return [
            LintFinding(
                code: .rateOverOne, severity: .warning, rule: label,
                message: "rate \(rate.text) is over 1: Python, Go and Java sample everything, Node rejects the file",
                fix: "write a fraction from 0 to 1, such as 1 for every request")
        ]
    }

    private static func percent(_ rate: Double) -> String {
        let value = (rate * 1000).rounded() / 10
        // Whole percentages print without ".0"; a rate past what Int holds (the SDKs accept any rate) prints as is.
        guard value.isFinite, abs(value) < 1e15, value.rounded() == value else { return "\(value)%" }
        return "\(Int(value))%"
    }
}

/// The rules evaluated so far, for shadowing checks: patterns lower-cased once, and the rules whose patterns are
/// all `*` kept apart, so a check scans only the earlier rules with a narrower pattern, and stops at the first
/// catch-all (at most `RuleDocument.maximumRules` rules in all).
struct ShadowIndex {
    /// A lower-cased pattern and the shape `covers` looks at, worked out once per rule instead of once per pair.
    struct Pattern: Equatable {
        enum Kind: Equatable {
            /// Only `*`: covers everything.
            case star
            /// `literal*`: covers what starts with the literal.
            case prefix(Substring)
            /// `*literal`: covers what ends with the literal and is longer.
            case suffix(Substring)
            /// Anything else covers only itself.
            case exact
        }

        let text: String
        let kind: Kind

        init(_ raw: String) {
            let text = raw.lowercased()
            self.text = text
            let wildcards: Set<Character> = ["*", "?"]
            if !text.isEmpty, text.allSatisfy({ $0 == "*" }) {
                kind = .star
            } else if text.hasSuffix("*"), !text.dropLast().contains(where: wildcards.contains) {
                kind = .prefix(text.dropLast())
            } else if text.hasPrefix("*"), !text.dropFirst().contains(where: wildcards.contains) {
                kind = .suffix(text.dropFirst())
            } else {
                kind = .exact
            }
        }

        static func == (lhs: Pattern, rhs: Pattern) -> Bool { lhs.text == rhs.text }

        /// `RuleLinter.covers` for these two patterns.
        func covers(_ narrow: Pattern) -> Bool {
            if text == narrow.text { return true }
            switch kind {
            case .star: return true
            case .exact: return false
            case .prefix(let prefix): return narrow.text.hasPrefix(prefix)
            case .suffix(let suffix): return narrow.text.count > suffix.count && narrow.text.hasSuffix(suffix)
            }
        }
    }

    private let patterns: [[Pattern]]
    /// Evaluation position of the first added rule whose patterns are all `*`, and its index.
    private var catchAll: (position: Int, index: Int)?
    /// The other added rules in evaluation order, split on their URL path pattern: one without wildcards
    /// covers only the same path, so those are found by that path instead of scanned.
    private var byExactPath: [String: [(position: Int, index: Int)]] = [:]
    private var otherPaths: [(position: Int, index: Int)] = []
    private var added = 0
    /// Every rule file lists the URL path third.
    private static let pathField = 2

    init(_ patterns: [[String]]) {
        self.patterns = patterns.map { $0.map(Pattern.init) }
    }

    /// Adds the rule at `index` as the next one in evaluation order.
    mutating func add(_ index: Int) {
        let rule = patterns[index]
        if rule.allSatisfy({ $0.kind == .star }) {
            if catchAll == nil { catchAll = (added, index) }
        } else if rule[Self.pathField].kind == .exact {
            byExactPath[rule[Self.pathField].text, default: []].append((added, index))
        } else {
            otherPaths.append((added, index))
        }
        added += 1
    }

    /// The first rule in `candidates` (in evaluation order, before `limit`) that covers every pattern of `narrow`.
    private func firstCovering(_ narrow: [Pattern], in candidates: [(position: Int, index: Int)], before limit: Int) -> (position: Int, index: Int)? {
        for candidate in candidates {
            if candidate.position >= limit { return nil }
            let wide = patterns[candidate.index]
            var all = true
            for field in wide.indices where !wide[field].covers(narrow[field]) {
                all = false
                break
            }
            if all { return candidate }
        }
        return nil
    }

    /// A duplicate or shadowed finding when an added rule covers every pattern of the rule at `index`, naming
    /// the first such rule in evaluation order.
    func finding(for index: Int, label: String, document: RuleDocument) -> [LintFinding] {
        let p = patterns[index]
        var best = catchAll
        if let found = firstCovering(p, in: byExactPath[p[Self.pathField].text] ?? [], before: best?.position ?? .max) { best = found }
        if let found = firstCovering(p, in: otherPaths, before: best?.position ?? .max) { best = found }
        let coverer = best?.index
        guard let coverer else { return [] }
        let other = document.label(.rule(coverer))
        if patterns[coverer] == p {
            return [
                LintFinding(
                    code: .duplicate, severity: .warning, rule: label,
                    message: "it has the same patterns as \(other), which is evaluated first, so it never applies",
                    fix: "remove it, or change its patterns")
            ]
        }
        return [
            LintFinding(
                code: .shadowed, severity: .warning, rule: label,
                message: "\(other) is evaluated first and matches every request this rule matches, so it never applies",
                fix: "move this rule before \(other) (local: earlier in the file; centralized: a lower Priority), or remove it")
        ]
    }
}
