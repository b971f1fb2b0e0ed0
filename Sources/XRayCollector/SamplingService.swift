import Synchronization
import XRaySampling
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// The centralized sampling API the SDK pollers call: `GetSamplingRules` and `SamplingTargets`.
///
/// Targets are computed like the service does it, simplified to what one machine needs: each rule's
/// `ReservoirSize` per second is split evenly between the clients that reported statistics for that rule
/// in the last two intervals, and every target carries `ReservoirQuotaTTL` and `Interval`.
public final class SamplingService: Sendable {
    /// Seconds between the SDKs' target reports (the service's value).
    static let interval = 10
    /// A client that has not reported for this long no longer gets a share of a reservoir.
    static let clientExpiry = Double(2 * interval)

    let rules: [SamplingRule]
    /// When the rules were loaded: `CreatedAt`, `ModifiedAt` and `LastRuleModification`.
    let loadedAt: Double
    /// rule name → client id → last report time.
    private let reporters = Mutex<[String: [String: Double]]>([:])

    init(rules: [SamplingRule], loadedAt: Double) {
        self.rules = rules.map { rule in
            var rule = rule
            if rule.ruleARN == nil { rule.ruleARN = "arn:aws:xray:local:000000000000:sampling-rule/\(rule.ruleName)" }
            return rule
        }
        self.loadedAt = loadedAt.rounded(.down)
    }

    /// Without `--sampling-rules`: one `Default` rule that samples every request.
    ///
    /// Locally you want every trace, so `FixedRate` is 1.0; `ReservoirSize` 1 keeps the shape of the
    /// service's default rule.
    static let defaultRules = [
        SamplingRule(ruleName: "Default", priority: 10_000, fixedRate: JSONNumber(text: "1.0"), reservoirSize: JSONNumber(1)),
    ]

    /// Reads a rules file in any format `xray rules` understands.
    ///
    /// - Throws: `CollectorError.samplingRules` when the file cannot be read or is invalid.
    static func loadRules(path: String) throws(CollectorError) -> [SamplingRule] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .samplingRules(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .samplingRules(file: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > RuleDocument.maximumFileSize { break }
        }
        do {
            return try RuleDocument.load(bytes, file: path).centralizedRules
        } catch {
            throw .samplingRules(file: path, reason: error.description)
        }
    }

    /// The `GetSamplingRules` response: every rule in one page, timestamps as epoch-second numbers.
    func rulesResponse() -> JSONValue {
        let records = rules.map { rule -> JSONValue in
            .object(JSONObject([
                ("SamplingRule", rule.jsonValue),
                ("CreatedAt", .number(JSONNumber(loadedAt))),
                ("ModifiedAt", .number(JSONNumber(loadedAt))),
            ]))
        }
        return .object(JSONObject([("SamplingRuleRecords", .array(records))]))
    }

    /// The `SamplingTargets` response for a request body, or why the body is not a valid request.
    func targetsResponse(_ body: JSONValue, now: Double) -> Result<JSONValue, SamplingRequestError> {
        guard case .object(let object) = body, case .array(let documents)? = object["SamplingStatisticsDocuments"] else {
            return .failure(SamplingRequestError(message: "expected {\"SamplingStatisticsDocuments\": [...]}"))
        }
        var reports: [(rule: String, client: String)] = []
        var unprocessed: [JSONValue] = []
        for document in documents {
            guard case .object(let statistics) = document, case .string(let rule)? = statistics["RuleName"],
                  case .string(let client)? = statistics["ClientID"] else {
                return .failure(SamplingRequestError(message: "each statistics document needs a RuleName and a ClientID string"))
            }
            if rules.contains(where: { $0.ruleName == rule }) {
                reports.append((rule, client))
            } else {
                unprocessed.append(.object(JSONObject([
                    ("RuleName", .string(rule)), ("ErrorCode", .string("400")),
                    ("Message", .string("no sampling rule named \(rule); fetch the rules again")),
                ])))
            }
        }
        let shares = reporters.withLock { table -> [String: Int] in
            for (rule, client) in reports { table[rule, default: [:]][client] = now }
            var out: [String: Int] = [:]
            for (rule, client) in reports {
                let active = (table[rule] ?? [:]).filter { now - $0.value <= Self.clientExpiry }
                table[rule] = active
                let clients = active.keys.sorted()
                let size = rules.first { $0.ruleName == rule }?.reservoirSize.int ?? 0
                let index = clients.firstIndex(of: client) ?? 0
                out[rule] = size / max(clients.count, 1) + (index < size % max(clients.count, 1) ? 1 : 0)
            }
            return out
        }
        var seen = Set<String>()
        var targets: [JSONValue] = []
        for (rule, _) in reports where seen.insert(rule).inserted {
            guard let definition = rules.first(where: { $0.ruleName == rule }) else { continue }
            targets.append(.object(JSONObject([
                ("RuleName", .string(rule)),
                ("FixedRate", .number(definition.fixedRate)),
                ("ReservoirQuota", .number(JSONNumber(shares[rule] ?? 0))),
                ("ReservoirQuotaTTL", .number(JSONNumber(now.rounded(.down) + Self.clientExpiry))),
                ("Interval", .number(JSONNumber(Self.interval))),
            ])))
        }
        return .success(.object(JSONObject([
            ("SamplingTargetDocuments", .array(targets)),
            ("LastRuleModification", .number(JSONNumber(loadedAt))),
            ("UnprocessedStatistics", .array(unprocessed)),
        ])))
    }
}

/// A `SamplingTargets` body that is not the API's shape.
struct SamplingRequestError: Error {
    var message: String
}

extension SamplingService {
    /// Reads a `--sampling-rules` file into the centralized rules the collector serves.
    ///
    /// - Throws: `CollectorError.samplingRules` when the file cannot be read or is invalid.
    public static func load(path: String) throws(CollectorError) -> [SamplingRule] {
        try loadRules(path: path)
    }
}
