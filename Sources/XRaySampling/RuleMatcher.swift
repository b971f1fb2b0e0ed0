import XRayWire

/// The SDK whose matching behaviour to reproduce.
public enum SDK: String, Sendable, Hashable, CaseIterable {
    case python, go, java, node
}

/// The request attributes a sampler sees; any of them may be absent.
public struct SamplingRequest: Sendable, Hashable {
    public var host: String?
    public var method: String?
    public var path: String?
    /// The segment name (the `service` key of the Python sampling request).
    public var serviceName: String?
    /// The origin, such as `AWS::EC2::Instance`.
    public var serviceType: String?

    public init(
        host: String? = nil, method: String? = nil, path: String? = nil, serviceName: String? = nil,
        serviceType: String? = nil
    ) {
        self.host = host
        self.method = method
        self.path = path
        self.serviceName = serviceName
        self.serviceType = serviceType
    }
}

/// Which rule decides a request.
public enum MatchTarget: Sendable, Hashable {
    /// The rule at this 0-based position of the file's `rules` or `SamplingRuleRecords`.
    case rule(Int)
    /// A local file's `default`.
    case localDefault
    /// No centralized rule matched (no `Default` in the file): the SDK falls back to its built-in local default.
    case builtInDefault
}

/// A request attribute, in the order the SDKs test them.
public enum RequestAttribute: String, Sendable, Hashable, CaseIterable {
    case host, method, path
    case serviceName = "service_name"
    case serviceType = "service_type"

    func value(in request: SamplingRequest) -> String? {
        switch self {
        case .host: request.host
        case .method: request.method
        case .path: request.path
        case .serviceName: request.serviceName
        case .serviceType: request.serviceType
        }
    }
}

/// Decides which rule of a document applies to a request, the way one SDK does.
///
/// Patterns are compiled once, so `decide` allocates nothing for ASCII requests; `explain` is the slow path that
/// also records why every earlier rule did not apply.
public struct RuleMatcher: Sendable {
    public let document: RuleDocument
    public let sdk: SDK
    /// Rules in the order the SDK evaluates them.
    private let entries: [Entry]
    /// Go and Java keep the rule named `Default` aside and apply it after every other rule.
    private let trailingDefault: Int?
    /// `entries` flattened for `decide`.
    private let compiled: CompiledRules

    struct Entry: Sendable {
        var index: Int
        var patterns: [(RequestAttribute, WildcardPattern)]
        /// Python and Node take the rule named `Default` whatever its patterns, at its sort position.
        var catchAll: Bool
    }

    public init(document: RuleDocument, sdk: SDK = .python) {
        self.document = document
        self.sdk = sdk
        switch document {
        case .local(let file):
            entries = file.rules.enumerated().map { index, rule in
                Entry(
                    index: index,
                    patterns: [
                        (.host, WildcardPattern(rule.host)), (.method, WildcardPattern(rule.httpMethod)),
                        (.path, WildcardPattern(rule.urlPath)),
                    ], catchAll: false)
            }
            trailingDefault = nil
        case .centralized(let file):
            let indexed = Self.sdkOrderedIndices(file.rules).filter { file.rules[$0].ignoredBySDKReason == nil }
            let defaultLast = sdk == .go || sdk == .java
            trailingDefault = defaultLast ? indexed.first { file.rules[$0].isDefault } : nil
            entries = indexed.filter { !(defaultLast && file.rules[$0].isDefault) }.map { index in
                let rule = file.rules[index]
                return Entry(
                    index: index,
                    patterns: [
                        (.host, WildcardPattern(rule.host)), (.method, WildcardPattern(rule.httpMethod)),
                        (.path, WildcardPattern(rule.urlPath)), (.serviceName, WildcardPattern(rule.serviceName)),
                        (.serviceType, WildcardPattern(rule.serviceType)),
                    ], catchAll: rule.isDefault)
            }
        }
        compiled = CompiledRules(entries.map { entry in (entry.patterns.map(\.1), entry.catchAll) })
    }

    /// Rules sorted by priority, then by name compared code point by code point as Python sorts strings.
    public static func sdkOrder(_ rules: [SamplingRule]) -> [SamplingRule] {
        sdkOrderedIndices(rules).map { rules[$0] }
    }

    static func sdkOrderedIndices(_ rules: [SamplingRule]) -> [Int] {
        rules.indices.sorted { a, b in
            let (ra, rb) = (rules[a], rules[b])
            if ra.priority != rb.priority { return ra.priority < rb.priority }
            return ra.ruleName.unicodeScalars.lexicographicallyPrecedes(rb.ruleName.unicodeScalars) { $0.value < $1.value }
        }
    }

    /// The rule that applies to `request`.
    ///
    /// This is the hot path: the request's attributes are read as UTF-8 once, and ASCII patterns are matched on
    /// bytes from one shared pool, so a decision allocates nothing. An absent attribute is treated as empty text,
    /// which every SDK handles the same way (Python, Go and Node: an implicit match; Java: `""` is matched).
    public func decide(_ request: SamplingRequest) -> MatchTarget {
        if case .local = document, sdk == .node, request.host == nil, let first = entries.first {
            return .rule(first.index)
        }
        var host = request.host ?? ""
        var method = request.method ?? ""
        var path = request.path ?? ""
        var service = request.serviceName ?? ""
        var serviceType = request.serviceType ?? ""
        let found: Int? = host.withUTF8 { h in
            method.withUTF8 { m in
                path.withUTF8 { p in
                    service.withUTF8 { s in
                        serviceType.withUTF8 { t in
                            compiled.firstMatch(texts: (h, m, p, s, t), javaEmptyText: sdk == .java)
                        }
                    }
                }
            }
        }
        if let found { return .rule(entries[found].index) }
        if let trailingDefault { return .rule(trailingDefault) }
        if case .local = document { return .localDefault }
        return .builtInDefault
    }

    /// The first attribute of `request` that `entry` does not match, or nil when the rule applies.
    private func firstMismatch(_ entry: Entry, _ request: SamplingRequest) -> RequestAttribute? {
        for (attribute, pattern) in entry.patterns where !attributeMatches(pattern, attribute.value(in: request)) {
            return attribute
        }
        return nil
    }

    /// Python, Go and Node treat an absent or empty attribute as a match; Java matches `""` against the pattern.
    private func attributeMatches(_ pattern: WildcardPattern, _ value: String?) -> Bool {
        if sdk == .java { return pattern.matches(value ?? "") }
        guard let value, !value.isEmpty else { return true }
        return pattern.matches(value)
    }

    /// The decision with the reasons: every rule evaluated before it and what did not match, the SDK quirks that
    /// played a part, and the SDKs that would decide otherwise.
    public func explain(_ request: SamplingRequest) -> MatchExplanation {
        let target = decide(request)
        var steps: [MatchExplanation.Step] = []
        var notes: [String] = []
        if case .centralized(let file) = document {
            for rule in Self.sdkOrder(file.rules) {
                if let reason = rule.ignoredBySDKReason, let index = file.rules.firstIndex(of: rule) {
                    steps.append(.init(index: index, outcome: .ignored(reason)))
                }
            }
        }
        var evaluation = entries
        if let trailingDefault {
            evaluation.append(Entry(index: trailingDefault, patterns: [], catchAll: true))
        }
        if case .local = document, sdk == .node, request.host == nil, let first = entries.first {
            steps.append(.init(index: first.index, outcome: .matched))
            notes.append(
                "Node's local sampler takes the first rule whenever the request has no host "
                    + "(`host == null || ...` in local_sampler.js), whatever its method and path")
        } else {
            for entry in evaluation {
                if let attribute = firstMismatch(entry, request), !entry.catchAll {
                    let pattern = entry.patterns.first { $0.0 == attribute }?.1.text ?? ""
                    steps.append(
                        .init(
                            index: entry.index,
                            outcome: .mismatch(
                                attribute: attribute, pattern: pattern, value: attribute.value(in: request) ?? "")))
                    notes += quirks(pattern: pattern, value: attribute.value(in: request), attribute: attribute)
                    continue
                }
                let matchedPatterns = firstMismatch(entry, request) == nil
                steps.append(.init(index: entry.index, outcome: matchedPatterns ? .matched : .catchAllDefault))
                for (attribute, pattern) in entry.patterns {
                    notes += quirks(pattern: pattern.text, value: attribute.value(in: request), attribute: attribute)
                }
                if !matchedPatterns {
                    notes.append(
                        "the rule named Default applies to every request at its sort position in Python and "
                            + "Node (`is_default()` in rule_cache.get_matched_rule), even when its own patterns "
                            + "do not match; Go and Java apply it after every other rule")
                }
                break
            }
        }
        notes += absentAttributeNotes(request)
        if case .local(let file) = document {
            if file.version == 1 {
                notes.append("version 1: service_name patterns are matched against the request host, as in every SDK")
            }
            if request.serviceName != nil || request.serviceType != nil {
                notes.append("local rules never look at service_name or service_type")
            }
        }
        var seen: Set<String> = []
        notes = notes.filter { seen.insert($0).inserted }
        let others = SDK.allCases.filter { $0 != sdk }.compactMap { other -> (SDK, MatchTarget)? in
            let decision = RuleMatcher(document: document, sdk: other).decide(request)
            return decision == target ? nil : (other, decision)
        }
        return MatchExplanation(
            document: document, sdk: sdk, request: request, target: target, steps: steps, notes: notes,
            otherSDKs: others.map { .init(sdk: $0.0, target: $0.1) })
    }

    private func absentAttributeNotes(_ request: SamplingRequest) -> [String] {
        let considered: [RequestAttribute] =
            if case .local = document { [.host, .method, .path] } else { RequestAttribute.allCases }
        let absent = considered.filter { ($0.value(in: request) ?? "").isEmpty }
        guard !absent.isEmpty else { return [] }
        let names = absent.map(\.rawValue).joined(separator: ", ")
        return sdk == .java
            ? ["\(names) absent: Java matches \"\" against each pattern, so only patterns such as \"*\" match"]
            : [
                "\(names) absent: an implicit match for every rule (`not host or wildcard_match(...)`); Java would "
                    + "match \"\" against the pattern instead"
            ]
    }

    /// Notes for the quirks of `wildcard_match` that decided this comparison.
    private func quirks(pattern: String, value: String?, attribute: RequestAttribute) -> [String] {
        guard let value, !value.isEmpty, pattern != "*" else { return [] }
        var notes: [String] = []
        let sdkSays = WildcardPattern(pattern).matches(value)
        let globSays = plainGlobMatch(pattern: Array(pattern.unicodeScalars), text: Array(value.unicodeScalars))
        if sdkSays != globSays {
            notes.append(
                "\(attribute.rawValue) \"\(value)\" against \"\(pattern)\": the SDK's wildcard_match says "
                    + "\(sdkSays ? "match" : "no match") where a plain glob says \(globSays ? "match" : "no match"), "
                    + "because a literal * or ? in the request text is consumed as if it were the pattern's own "
                    + "character (an SDK quirk, reproduced here)")
        }
        if !value.unicodeScalars.allSatisfy(\.isASCII) {
            if pattern.contains("?") {
                notes.append(
                    "\(attribute.rawValue): ? stands for one Unicode scalar (a Python code point), so a "
                        + "character built from several scalars needs several ?")
            }
            notes.append("\(attribute.rawValue): non-ASCII text is compared with Python's lower() of each code point")
        }
        return notes
    }
}

/// A reference glob (case-insensitive per code point, no quirks), only to detect where `wildcard_match` differs.
///
/// Greedy with a single restart point: for patterns of only `*` and `?` the last `*` seen is the only one
/// worth backtracking to, so the cost is the text length times the longest run between two `*`, never the
/// product of both lengths.
private func plainGlobMatch(pattern: [Unicode.Scalar], text: [Unicode.Scalar]) -> Bool {
    func same(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        if a == b { return true }
        if a.isASCII && b.isASCII { return (a.value | 0x20) == (b.value | 0x20) && (a.value | 0x20) >= 0x61 && (a.value | 0x20) <= 0x7A }
        return a.properties.lowercaseMapping == b.properties.lowercaseMapping
    }
    var i = 0
    var p = 0
    var restart: (text: Int, pattern: Int)?
    while i < text.count {
        if p < pattern.count, pattern[p] == "*" {
            p += 1
            restart = (i, p)
        } else if p < pattern.count, pattern[p] == "?" || same(pattern[p], text[i]) {
            i += 1
            p += 1
        } else if let last = restart {
            restart = (last.text + 1, last.pattern)
            i = last.text + 1
            p = last.pattern
        } else {
            return false
        }
    }
    while p < pattern.count, pattern[p] == "*" { p += 1 }
    return p == pattern.count
}

/// Why a rule applies to a request, for `xray rules match`.
public struct MatchExplanation: Sendable {
    public struct Step: Sendable {
        public var index: Int
        public var outcome: Outcome
    }

    public enum Outcome: Sendable {
        case matched
        /// The rule named `Default` taken at its sort position although its patterns do not match.
        case catchAllDefault
        case mismatch(attribute: RequestAttribute, pattern: String, value: String)
        /// The SDK drops the rule when it loads it.
        case ignored(String)
    }

    public struct OtherSDK: Sendable {
        public var sdk: SDK
        public var target: MatchTarget
    }

    public var document: RuleDocument
    public var sdk: SDK
    public var request: SamplingRequest
    public var target: MatchTarget
    public var steps: [Step]
    public var notes: [String]
    public var otherSDKs: [OtherSDK]
}

/// Rule patterns in evaluation order, flattened for the allocation-free byte path of `RuleMatcher.decide`.
struct CompiledRules: Sendable {
    struct Slot: Sendable {
        var start: Int
        var count: Int
        /// False for a pattern with non-ASCII characters, which needs the code-point path.
        var isASCII: Bool
        var isMatchAll: Bool
        var matchesEmpty: Bool
    }

    /// Lowercased bytes of every ASCII pattern, back to back.
    private var pool: [UInt8] = []
    /// Five slots per rule (host, method, path, service name, service type); local rules use the first three.
    private var slots: [Slot] = []
    private var attributeCounts: [Int] = []
    private var catchAll: [Bool] = []
    private var patterns: [WildcardPattern] = []

    init(_ rules: [(patterns: [WildcardPattern], catchAll: Bool)]) {
        for rule in rules {
            for k in 0..<5 {
                let pattern = k < rule.patterns.count ? rule.patterns[k] : WildcardPattern("*")
                let bytes = pattern.asciiBytes
                slots.append(
                    Slot(
                        start: pool.count, count: bytes?.count ?? 0, isASCII: bytes != nil, isMatchAll: pattern.isMatchAll,
                        matchesEmpty: pattern.matchesEmpty))
                pool += bytes ?? []
                patterns.append(pattern)
            }
            attributeCounts.append(rule.patterns.count)
            catchAll.append(rule.catchAll)
        }
    }

    typealias Texts = (
        UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>,
        UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>
    )

    /// The position of the first rule that applies, or nil.
    func firstMatch(texts: Texts, javaEmptyText: Bool) -> Int? {
        @inline(__always) func text(_ k: Int) -> UnsafeBufferPointer<UInt8> {
            switch k {
            case 0: texts.0
            case 1: texts.1
            case 2: texts.2
            case 3: texts.3
            default: texts.4
            }
        }
        // Bit k is set when attribute k is all ASCII, so the byte path applies.
        var asciiMask: UInt8 = 0
        for k in 0..<5 where text(k).allSatisfy({ $0 < 0x80 }) { asciiMask |= 1 << UInt8(k) }
        return pool.withUnsafeBufferPointer { pool in
            slots.withUnsafeBufferPointer { slots in
                for rule in 0..<catchAll.count {
                    if catchAll[rule] { return rule }
                    var applies = true
                    for k in 0..<attributeCounts[rule] {
                        let slot = slots[rule * 5 + k]
                        let text = text(k)
                        let matched: Bool
                        if text.isEmpty {
                            matched = !javaEmptyText || slot.matchesEmpty
                        } else if slot.isMatchAll {
                            matched = true
                        } else if slot.isASCII && asciiMask & (1 << UInt8(k)) != 0 {
                            matched = WildcardPattern.matchBytes(
                                pattern: UnsafeBufferPointer(rebasing: pool[slot.start..<(slot.start + slot.count)]),
                                text: text)
                        } else {
                            matched = patterns[rule * 5 + k].matches(String(decoding: text, as: UTF8.self))
                        }
                        if !matched {
                            applies = false
                            break
                        }
                    }
                    if applies { return rule }
                }
                return nil
            }
        }
    }
}
