import XRayWire

/// A rule in a local rules file (`"rules": [...]`), as the Python SDK's `local.sampling_rule.SamplingRule` reads it.
public struct LocalRule: Sendable, Hashable {
    public var description: String?
    /// The host pattern; for a version 1 file this is the `service_name` value, which every SDK matches against the host.
    public var host: String
    public var httpMethod: String
    public var urlPath: String
    /// Requests sampled per second before `rate` applies, as written.
    public var fixedTarget: JSONNumber
    /// Fraction of further requests sampled, as written.
    public var rate: JSONNumber
    /// Keys that the Python SDK ignores and Node's strict parser rejects (such as `id`).
    public var unknownKeys: [String]

    public init(
        description: String? = nil, host: String, httpMethod: String, urlPath: String,
        fixedTarget: JSONNumber, rate: JSONNumber, unknownKeys: [String] = []
    ) {
        self.description = description
        self.host = host
        self.httpMethod = httpMethod
        self.urlPath = urlPath
        self.fixedTarget = fixedTarget
        self.rate = rate
        self.unknownKeys = unknownKeys
    }
}

/// The `default` of a local rules file: applies when no rule matches.
public struct LocalDefaultRule: Sendable, Hashable {
    public var fixedTarget: JSONNumber
    public var rate: JSONNumber

    public init(fixedTarget: JSONNumber, rate: JSONNumber) {
        self.fixedTarget = fixedTarget
        self.rate = rate
    }

    /// The built-in default of every SDK when no rules file is given and no centralized rule matches:
    /// the first request each second and five percent of the others.
    public static let builtIn = LocalDefaultRule(fixedTarget: JSONNumber(1), rate: JSONNumber(text: "0.05"))
}

/// A local rules file, version 1 (`service_name`) or 2 (`host`).
public struct LocalRuleFile: Sendable, Hashable {
    public var version: Int
    public var rules: [LocalRule]
    public var defaultRule: LocalDefaultRule

    public init(version: Int, rules: [LocalRule], defaultRule: LocalDefaultRule) {
        self.version = version
        self.rules = rules
        self.defaultRule = defaultRule
    }

    /// The key that holds the host pattern in this version: `host` (2) or `service_name` (1).
    public var hostKey: String { version == 1 ? "service_name" : "host" }
}

/// A centralized sampling rule, the API's `SamplingRule` shape.
public struct SamplingRule: Sendable, Hashable {
    public var ruleName: String
    public var ruleARN: String?
    public var resourceARN: String
    public var priority: Int
    /// As written, so output repeats the user's number.
    public var fixedRate: JSONNumber
    /// As written; an integer.
    public var reservoirSize: JSONNumber
    public var serviceName: String
    public var serviceType: String
    public var host: String
    public var httpMethod: String
    public var urlPath: String
    public var version: Int
    public var attributes: JSONObject
    /// Keys outside the API shape, which Node's strict parser rejects.
    public var unknownKeys: [String]

    public init(
        ruleName: String, ruleARN: String? = nil, resourceARN: String = "*", priority: Int,
        fixedRate: JSONNumber, reservoirSize: JSONNumber, serviceName: String = "*", serviceType: String = "*",
        host: String = "*", httpMethod: String = "*", urlPath: String = "*", version: Int = 1,
        attributes: JSONObject = JSONObject(), unknownKeys: [String] = []
    ) {
        self.ruleName = ruleName
        self.ruleARN = ruleARN
        self.resourceARN = resourceARN
        self.priority = priority
        self.fixedRate = fixedRate
        self.reservoirSize = reservoirSize
        self.serviceName = serviceName
        self.serviceType = serviceType
        self.host = host
        self.httpMethod = httpMethod
        self.urlPath = urlPath
        self.version = version
        self.attributes = attributes
        self.unknownKeys = unknownKeys
    }

    /// Whether this is the rule named `Default`, which the SDKs treat as a catch-all.
    public var isDefault: Bool { ruleName == "Default" }

    /// Why the Python SDK silently drops this rule when it loads it (`connector._is_rule_valid`), or nil.
    public var ignoredBySDKReason: String? {
        if version != 1 { return "Version is \(version), and the SDKs only load Version 1 rules" }
        if resourceARN != "*" { return "ResourceARN is \"\(resourceARN)\", and the SDKs only load rules whose ResourceARN is \"*\"" }
        if serviceType.isEmpty { return "ServiceType is empty, and the Python SDK only loads rules with a ServiceType" }
        if !attributes.isEmpty { return "Attributes is not empty, and the SDKs ignore rules with Attributes" }
        return nil
    }

    /// The rule in the API's JSON shape, with every key the SDKs expect (`Attributes`, `Version`, ...).
    public var jsonValue: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("RuleName", .string(ruleName))]
        if let ruleARN { members.append(("RuleARN", .string(ruleARN))) }
        members += [
            ("ResourceARN", .string(resourceARN)), ("Priority", .number(JSONNumber(priority))),
            ("FixedRate", .number(fixedRate)), ("ReservoirSize", .number(reservoirSize)),
            ("ServiceName", .string(serviceName)), ("ServiceType", .string(serviceType)), ("Host", .string(host)),
            ("HTTPMethod", .string(httpMethod)), ("URLPath", .string(urlPath)),
            ("Version", .number(JSONNumber(version))), ("Attributes", .object(attributes)),
        ]
        return .object(JSONObject(members))
    }
}

/// How a centralized rules file was written.
public enum CentralizedShape: String, Sendable, Hashable {
    /// `{"SamplingRuleRecords": [{"SamplingRule": {...}}]}`, as `aws xray get-sampling-rules` prints it.
    case records
    /// `[{...}, {...}]`, a bare list of `SamplingRule` objects.
    case list
    /// `{"SamplingRule": {...}}`, the input of `aws xray create-sampling-rule --cli-input-json`.
    case single
}

/// A centralized rules file: rules in file order (the SDKs sort them by priority, then name).
public struct CentralizedRuleFile: Sendable, Hashable {
    public var shape: CentralizedShape
    public var rules: [SamplingRule]

    public init(shape: CentralizedShape, rules: [SamplingRule]) {
        self.shape = shape
        self.rules = rules
    }
}

/// The format to read a rules file as.
public enum RuleFileFormat: String, Sendable, Hashable, CaseIterable {
    case local, centralized
}

/// A loaded rules file of any supported shape.
public enum RuleDocument: Sendable, Hashable {
    case local(LocalRuleFile)
    case centralized(CentralizedRuleFile)

    /// Rules files over this size are refused before parsing; real ones are a few kilobytes.
    public static let maximumFileSize = 1 << 20
    /// The most rules a file may hold. X-Ray allows 25 per account by default (service quotas); this is far
    /// above that, and keeps validation, lint and the daemon's rule list cheap.
    public static let maximumRules = 1_000
    /// The longest local rule pattern, in code points. X-Ray's API caps Host at 64 and URLPath at 128; local
    /// files have no limit in the SDKs, so this only refuses what no real rule needs.
    public static let maximumPatternLength = 1_024

    /// Loads a rules file from bytes, detecting its format unless `format` is given.
    ///
    /// - Throws: `SamplingError.fileTooLarge` over 1 MiB, `SamplingError.invalidRules` with every problem found
    ///   when the file is not valid JSON or breaks its format's rules.
    public static func load(
        _ bytes: some Collection<UInt8>, file: String, format: RuleFileFormat? = nil
    ) throws(SamplingError) -> RuleDocument {
        let report = try validate(bytes, file: file, format: format)
        guard let document = report.document, !report.hasErrors else {
            throw .invalidRules(file: file, diagnostics: report.diagnostics)
        }
        return document
    }

    /// Checks a rules file and reports every problem; the document is present when no error was found.
    ///
    /// - Throws: `SamplingError.fileTooLarge` only; everything else is a diagnostic.
    public static func validate(
        _ bytes: some Collection<UInt8>, file: String, format: RuleFileFormat? = nil
    ) throws(SamplingError) -> ValidationReport {
        guard bytes.count <= maximumFileSize else {
            throw .fileTooLarge(file: file, size: bytes.count, limit: maximumFileSize)
        }
        let parsed: JSONParser.Result
        do {
            parsed = try JSONParser.parse(bytes, options: .init(allowNonFinite: false, recordPositions: true))
        } catch {
            let diagnostic = RuleDiagnostic(
                file: file, line: error.position.line, column: error.position.column, field: "$",
                message: "not valid JSON: \(error.message)",
                fix: error.message.hasPrefix("trailing comma") ? "remove this comma" : "correct the JSON syntax at this position")
            return ValidationReport(file: file, format: format, document: nil, diagnostics: [diagnostic])
        }
        var checker = RuleChecker(file: file, positions: parsed.positions)
        checker.reportDuplicates(parsed.duplicateKeys)
        let detected = format ?? detectFormat(parsed.value)
        let document: RuleDocument? =
            switch detected {
            case .local: checker.local(parsed.value).map(RuleDocument.local)
            case .centralized: checker.centralized(parsed.value).map(RuleDocument.centralized)
            }
        return ValidationReport(
            file: file, format: detected, document: checker.hasErrors ? nil : document,
            diagnostics: checker.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    /// The format a parsed file looks like: `SamplingRuleRecords`, `SamplingRule` or a top-level list mean
    /// centralized rules; anything else is read as a local file.
    public static func detectFormat(_ value: JSONValue) -> RuleFileFormat {
        switch value {
        case .array: return .centralized
        case .object(let object):
            return object["SamplingRuleRecords"] != nil || object["SamplingRule"] != nil ? .centralized : .local
        default: return .local
        }
    }

    /// The rules as centralized `SamplingRule` records, the way the daemon serves them from `GetSamplingRules`.
    ///
    /// A local file becomes one rule per entry with priorities in file order (1, 2, ...) and its `default` as
    /// the rule named `Default` with priority 10000, so the SDKs evaluate them in the local order.
    /// `fixed_target` becomes `ReservoirSize` and `rate` becomes `FixedRate`.
    public var centralizedRules: [SamplingRule] {
        switch self {
        case .centralized(let file): return file.rules
        case .local(let file): return RuleConverter.centralizedRules(from: file)
        }
    }

    /// A `GetSamplingRules` response body holding `centralizedRules`, in one page.
    public var samplingRuleRecordsJSON: JSONValue {
        .object(
            JSONObject([
                ("SamplingRuleRecords", .array(centralizedRules.map { .object(JSONObject([("SamplingRule", $0.jsonValue)])) }))
            ]))
    }
}

/// What `RuleDocument.validate` found.
public struct ValidationReport: Sendable, Hashable {
    public var file: String
    /// The format the file was read as; nil when it was not JSON and no format was given.
    public var format: RuleFileFormat?
    public var document: RuleDocument?
    public var diagnostics: [RuleDiagnostic]

    public var hasErrors: Bool { !diagnostics.isEmpty }
}
