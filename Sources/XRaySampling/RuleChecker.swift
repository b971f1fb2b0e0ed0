import XRayWire

/// Reads a parsed rules file into the model and records every problem with its position.
///
/// Local files get the Python SDK's checks (aws-xray-sdk-python `core/sampling/local/sampler.py` and `sampling_rule.py`), worded with the SDK's own messages plus what to
/// write instead, and centralized rules get the X-Ray API's limits. Checking carries on after a problem so that
/// `xray rules validate` reports all of them at once.
struct RuleChecker {
    let file: String
    let positions: [String: JSONPosition]
    private(set) var diagnostics: [RuleDiagnostic] = []

    init(file: String, positions: [String: JSONPosition]) {
        self.file = file
        self.positions = positions
    }

    var hasErrors: Bool { !diagnostics.isEmpty }

    static let localRuleKeys: Set<String> = [
        "description", "host", "service_name", "http_method", "url_path", "fixed_target", "rate",
    ]
    static let centralizedRuleKeys: Set<String> = [
        "RuleName", "RuleARN", "ResourceARN", "Priority", "FixedRate", "ReservoirSize", "ServiceName", "ServiceType",
        "Host", "HTTPMethod", "URLPath", "Version", "Attributes", "SamplingRateBoost",
    ]

    // MARK: Diagnostics

    /// Records a problem at `path`, or at the nearest enclosing value that has a position (for a missing key).
    mutating func report(_ path: String, _ message: String, fix: String) {
        var probe = path
        var position = positions[probe]
        while position == nil, !probe.isEmpty {
            if let cut = probe.lastIndex(where: { $0 == "." || $0 == "[" }) {
                probe = String(probe[..<cut])
            } else {
                probe = ""
            }
            position = positions[probe]
        }
        diagnostics.append(
            RuleDiagnostic(
                file: file, line: position?.line ?? 1, column: position?.column ?? 1,
                field: path.isEmpty ? "$" : path, message: message, fix: fix))
    }

    /// Keys written twice in one object: the SDK (Python's `json.load`) keeps the last value and xray does
    /// too, but which one the author meant is a guess, so each repeat is an error at the repeated key.
    mutating func reportDuplicates(_ duplicates: [JSONDuplicateKey]) {
        for duplicate in duplicates {
            diagnostics.append(
                RuleDiagnostic(
                    file: file, line: duplicate.position?.line ?? 1, column: duplicate.position?.column ?? 1,
                    field: duplicate.path,
                    message: "key \"\(duplicate.key)\" appears more than once in the same object "
                        + "(byte \(duplicate.offset)); the SDKs use the last value",
                    fix: "keep one \"\(duplicate.key)\" with the value you mean"))
        }
    }

    /// A list of rules over `RuleDocument.maximumRules`: one problem, and no rule of it is checked.
    mutating func reportTooMany(_ path: String, _ count: Int) {
        report(
            path, "the file has \(count) rules, over xray's limit of \(RuleDocument.maximumRules)",
            fix: "split it or remove rules; X-Ray allows 25 sampling rules per account by default")
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    // MARK: Local files

    mutating func local(_ value: JSONValue) -> LocalRuleFile? {
        guard case .object(let root) = value else {
            report(
                "", "a local rules file must be a JSON object, found \(value.typeName)",
                fix: #"write {"version": 2, "rules": [...], "default": {"fixed_target": 1, "rate": 0.05}}"#)
            return nil
        }
        var version = 2
        switch root["version"] {
        case .number(let n) where n.int == 1 || n.int == 2:
            version = n.int ?? 2
        case nil:
            report(
                "version", "Manifest version: None is not supported.",
                fix: #"add "version": 2 (rules with "host") or "version": 1 (rules with "service_name")"#)
        case .some(let other):
            report(
                "version", "Manifest version: \(JSONWriter.string(other)) is not supported.",
                fix: #"write "version": 2 (rules with "host") or "version": 1 (rules with "service_name") as a number"#)
        }
        let hostKey = version == 1 ? "service_name" : "host"

        var defaultRule: LocalDefaultRule?
        switch root["default"] {
        case nil:
            report(
                "default", "A default rule must be provided.",
                fix: #"add "default": {"fixed_target": 1, "rate": 0.05}"#)
        case .object(let object):
            let target = nonNegative(object, "fixed_target", path: "default", integer: true)
            let rate = nonNegative(object, "rate", path: "default", integer: false)
            for key in ["url_path", hostKey, "http_method"] where isTruthy(object[key]) {
                report(
                    "default.\(key)",
                    "The default rule must not specify values for url_path, \(hostKey), or http_method",
                    fix: "remove \"\(key)\" from the default rule, or move it into a rule of \"rules\"")
            }
            if let target, let rate { defaultRule = LocalDefaultRule(fixedTarget: target, rate: rate) }
        case .some(let other):
            report(
                "default", "the default rule must be an object, found \(other.typeName)",
                fix: #"write "default": {"fixed_target": 1, "rate": 0.05}"#)
        }

        var rules: [LocalRule] = []
        switch root["rules"] {
        case nil:
            break
        case .null:
            report(
                "rules", "\"rules\" is null; the Python SDK iterates it and fails (TypeError: 'NoneType' object is not iterable)",
                fix: #"write "rules": [] or leave "rules" out"#)
        case .array(let items):
            guard items.count <= RuleDocument.maximumRules else {
                reportTooMany("rules", items.count)
                break
            }
            for (index, item) in items.enumerated() {
                if let rule = localRule(item, path: "rules[\(index)]", version: version) { rules.append(rule) }
            }
        case .some(let other):
            report(
                "rules", "\"rules\" must be a list, found \(other.typeName)",
                fix: #"write "rules": [{"host": "*", "http_method": "*", "url_path": "/api/*", "fixed_target": 1, "rate": 0.1}]"#)
        }
        guard let defaultRule else { return nil }
        return LocalRuleFile(version: version, rules: rules, defaultRule: defaultRule)
    }

    private mutating func localRule(_ value: JSONValue, path: String, version: Int) -> LocalRule? {
        guard case .object(let object) = value else {
            report(
                path, "each rule must be an object, found \(value.typeName)",
                fix: #"write {"host": "*", "http_method": "*", "url_path": "/api/*", "fixed_target": 1, "rate": 0.1}"#)
            return nil
        }
        let hostKey = version == 1 ? "service_name" : "host"
        let otherHostKey = version == 1 ? "host" : "service_name"
        let target = nonNegative(object, "fixed_target", path: path, integer: true)
        let rate = nonNegative(object, "rate", path: path, integer: false)
        var patterns: [String: String] = [:]
        for key in [hostKey, "http_method", "url_path"] {
            let keyPath = Self.join(path, key)
            switch object[key] {
            case .string(let s) where s.unicodeScalars.count > RuleDocument.maximumPatternLength:
                report(
                    keyPath,
                    "the \(key) pattern is \(s.unicodeScalars.count) characters, over xray's limit of "
                        + "\(RuleDocument.maximumPatternLength) for a local pattern",
                    fix: "shorten it; X-Ray itself allows 64 characters for a host and 128 for a URL path")
            case .string(let s) where !s.isEmpty:
                patterns[key] = s
            case .string, .null, nil:
                let fix: String
                if key == hostKey, object[otherHostKey] != nil {
                    fix =
                        version == 2
                        ? "rename \"service_name\" to \"host\" (version 2 files use \"host\"), or set \"version\": 1"
                        : "rename \"host\" to \"service_name\" (version 1 files use \"service_name\"), or set \"version\": 2"
                } else {
                    fix = "add \"\(key)\": \"*\" to match any value, or a pattern such as \(Self.examplePattern(key))"
                }
                report(
                    keyPath, "All non-default rules must have values for url_path, \(hostKey), and http_method",
                    fix: fix)
            case .some(let other):
                report(
                    keyPath, "\(key) must be a string pattern, found \(other.typeName)",
                    fix: "write it as a string such as \(Self.examplePattern(key))")
            }
        }
        var description: String?
        switch object["description"] {
        case .string(let s): description = s
        case nil, .null: break
        case .some(let other):
            report(
                Self.join(path, "description"), "description must be a string, found \(other.typeName)",
                fix: "write the description as a string")
        }
        let unknown = object.keys.filter { !Self.localRuleKeys.contains($0) || $0 == otherHostKey }
        guard let target, let rate, let host = patterns[hostKey], let method = patterns["http_method"],
            let urlPath = patterns["url_path"]
        else { return nil }
        return LocalRule(
            description: description, host: host, httpMethod: method, urlPath: urlPath, fixedTarget: target,
            rate: rate, unknownKeys: unknown)
    }

    static func examplePattern(_ key: String) -> String {
        switch key {
        case "http_method", "HTTPMethod": #""GET""#
        case "url_path", "URLPath": #""/api/*""#
        default: #""*.example.com""#
        }
    }

    /// Python's truthiness for a JSON value: the default-rule check fires only for non-empty values.
    private func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: false
        case .string(let s): !s.isEmpty
        case .bool(let b): b
        case .number(let n): n.double != 0
        case .array(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        }
    }

    /// A `fixed_target` or `rate`: present, a number, not negative, and for `fixed_target` an integer.
    private mutating func nonNegative(_ object: JSONObject, _ key: String, path: String, integer: Bool) -> JSONNumber? {
        let keyPath = Self.join(path, key)
        let example = integer ? "1" : "0.05"
        switch object[key] {
        case .number(let n):
            if n.double < 0 {
                report(
                    keyPath, "All rules must have non-negative values for fixed_target and rate",
                    fix: "write a value of 0 or more, such as \"\(key)\": \(example)")
                return nil
            }
            if integer, n.int == nil {
                report(
                    keyPath, "fixed_target must be a whole number of requests per second, found \(n.text)",
                    fix: "write an integer such as \"fixed_target\": 1")
                return nil
            }
            return n
        case nil, .null:
            report(
                keyPath,
                "\(key) is missing (the Python SDK fails with TypeError: '<' not supported between 'NoneType' and 'int')",
                fix: "add \"\(key)\": \(example)")
        case .some(let other):
            report(
                keyPath, "\(key) must be a number, found \(other.typeName) (the Python SDK fails with TypeError)",
                fix: "write it as a JSON number such as \"\(key)\": \(example)")
        }
        return nil
    }

    // MARK: Centralized files

    mutating func centralized(_ value: JSONValue) -> CentralizedRuleFile? {
        var shape = CentralizedShape.list
        var entries: [(value: JSONValue, path: String)] = []
        switch value {
        case .array(let items):
            guard items.count <= RuleDocument.maximumRules else {
                reportTooMany("", items.count)
                return nil
            }
            entries = items.enumerated().map { ($1, "[\($0)]") }
        case .object(let root) where root["SamplingRuleRecords"] != nil:
            shape = .records
            guard case .array(let records)? = root["SamplingRuleRecords"] else {
                report(
                    "SamplingRuleRecords", "SamplingRuleRecords must be a list",
                    fix: #"write "SamplingRuleRecords": [{"SamplingRule": {...}}]"#)
                return nil
            }
            guard records.count <= RuleDocument.maximumRules else {
                reportTooMany("SamplingRuleRecords", records.count)
                return nil
            }
            for (index, record) in records.enumerated() {
                let path = "SamplingRuleRecords[\(index)]"
                guard case .object(let object) = record, let rule = object["SamplingRule"] else {
                    report(
                        path, "each record must be an object with a \"SamplingRule\" object",
                        fix: #"write {"SamplingRule": {"RuleName": ..., ...}}"#)
                    continue
                }
                entries.append((rule, path + ".SamplingRule"))
            }
        case .object(let root) where root["SamplingRule"] != nil:
            shape = .single
            entries = [(root["SamplingRule"] ?? .null, "SamplingRule")]
        default:
            report(
                "",
                "a centralized rules file must be {\"SamplingRuleRecords\": [...]}, a list of SamplingRule "
                    + "objects or {\"SamplingRule\": {...}}, found \(value.typeName)",
                fix: "write the output of `aws xray get-sampling-rules`, or a local file: {\"version\": 2, \"rules\": [...], \"default\": {...}}")
            return nil
        }
        var rules: [SamplingRule] = []
        var seen: [String: String] = [:]
        for entry in entries {
            guard let rule = samplingRule(entry.value, path: entry.path) else { continue }
            if let first = seen[rule.ruleName] {
                report(
                    Self.join(entry.path, "RuleName"), "rule name \"\(rule.ruleName)\" is already used by \(first)",
                    fix: "give each rule a unique RuleName; X-Ray identifies rules by name")
            } else {
                seen[rule.ruleName] = entry.path
            }
            rules.append(rule)
        }
        return CentralizedRuleFile(shape: shape, rules: rules)
    }

    private mutating func samplingRule(_ value: JSONValue, path: String) -> SamplingRule? {
        guard case .object(let object) = value else {
            report(
                path, "a SamplingRule must be an object, found \(value.typeName)",
                fix: "write the rule's fields (RuleName, Priority, FixedRate, ...) in an object")
            return nil
        }
        let name = string(object, "RuleName", path: path, length: 1...32, example: #""api-requests""#)
        let arn: String? = object["RuleARN"].flatMap(\.stringValue)
        let resourceARN = string(object, "ResourceARN", path: path, length: 0...500, example: #""*""#)
        let maxPriority = name == "Default" ? 10000 : 9999
        let priority = integer(object, "Priority", path: path, range: 1...maxPriority, example: "100")?.int
        let reservoir = integer(object, "ReservoirSize", path: path, range: 0...Int.max, example: "1")
        let version = integer(object, "Version", path: path, range: 1...Int.max, example: "1")?.int
        var fixedRate: JSONNumber?
        let ratePath = Self.join(path, "FixedRate")
        switch object["FixedRate"] {
        case .number(let n) where n.double >= 0 && n.double <= 1:
            fixedRate = n
        case .number(let n):
            report(ratePath, "FixedRate \(n.text) is outside 0...1", fix: "use a fraction such as 0.05 (5 percent)")
        case nil, .null:
            report(ratePath, "FixedRate is required", fix: "add \"FixedRate\": 0.05")
        case .some(let other):
            report(ratePath, "FixedRate must be a number, found \(other.typeName)", fix: "write a number such as 0.05")
        }
        let serviceName = string(object, "ServiceName", path: path, length: 0...64, example: #""*""#)
        let serviceType = string(object, "ServiceType", path: path, length: 0...64, example: #""*""#)
        let host = string(object, "Host", path: path, length: 0...64, example: #""*""#)
        let method = string(object, "HTTPMethod", path: path, length: 0...10, example: #""GET""#)
        let urlPath = string(object, "URLPath", path: path, length: 0...128, example: #""/api/*""#)
        var attributes = JSONObject()
        let attributesPath = Self.join(path, "Attributes")
        switch object["Attributes"] {
        case nil, .null: break
        case .object(let map):
            if map.count > 5 {
                report(
                    attributesPath, "Attributes has \(map.count) entries, over the API's limit of 5",
                    fix: "keep at most 5 attributes")
            }
            for member in map {
                let memberPath = Self.join(attributesPath, member.key)
                if !(1...32).contains(member.key.count) {
                    report(
                        memberPath, "attribute key \"\(member.key)\" must be 1 to 32 characters",
                        fix: "shorten the key")
                }
                guard case .string(let s) = member.value else {
                    report(
                        memberPath, "attribute values must be strings, found \(member.value.typeName)",
                        fix: "write the value as a string pattern")
                    continue
                }
                if !(1...32).contains(s.count) {
                    report(memberPath, "attribute value must be 1 to 32 characters", fix: "shorten the value")
                }
            }
            attributes = map
        case .some(let other):
            report(
                attributesPath, "Attributes must be an object, found \(other.typeName)",
                fix: "write \"Attributes\": {} or an object of string patterns")
        }
        let unknown = object.keys.filter { !Self.centralizedRuleKeys.contains($0) }
        guard let name, let resourceARN, let priority, let reservoir, let version, let fixedRate, let serviceName,
            let serviceType, let host, let method, let urlPath
        else { return nil }
        return SamplingRule(
            ruleName: name, ruleARN: arn, resourceARN: resourceARN, priority: priority, fixedRate: fixedRate,
            reservoirSize: reservoir, serviceName: serviceName, serviceType: serviceType, host: host,
            httpMethod: method, urlPath: urlPath, version: version, attributes: attributes, unknownKeys: unknown)
    }

    private mutating func string(
        _ object: JSONObject, _ key: String, path: String, length: ClosedRange<Int>, example: String
    ) -> String? {
        let keyPath = Self.join(path, key)
        switch object[key] {
        case .string(let s):
            guard length.contains(s.count) else {
                report(
                    keyPath, "\(key) is \(s.count) characters; the X-Ray API allows \(length.lowerBound) to \(length.upperBound)",
                    fix: "shorten it to at most \(length.upperBound) characters")
                return nil
            }
            return s
        case nil, .null:
            report(
                keyPath, "\(key) is required (the X-Ray API and the Python SDK need it)",
                fix: "add \"\(key)\": \(example)")
        case .some(let other):
            report(keyPath, "\(key) must be a string, found \(other.typeName)", fix: "write it as a string such as \(example)")
        }
        return nil
    }

    private mutating func integer(
        _ object: JSONObject, _ key: String, path: String, range: ClosedRange<Int>, example: String
    ) -> JSONNumber? {
        let keyPath = Self.join(path, key)
        switch object[key] {
        case .number(let n):
            guard let value = n.int else {
                report(keyPath, "\(key) must be an integer, found \(n.text)", fix: "write a whole number such as \(example)")
                return nil
            }
            guard range.contains(value) else {
                let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                report(
                    keyPath, "\(key) \(n.text) is outside the X-Ray API's range (\(bounds))",
                    fix: "write a value \(bounds) such as \(example)")
                return nil
            }
            return n
        case nil, .null:
            report(keyPath, "\(key) is required", fix: "add \"\(key)\": \(example)")
        case .some(let other):
            report(keyPath, "\(key) must be a number, found \(other.typeName)", fix: "write a number such as \(example)")
        }
        return nil
    }
}
