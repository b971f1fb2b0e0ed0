import Synchronization
import XRaySampling
import XRaySystem
import XRayWire

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
    /// The API's limit on `SamplingStatisticsDocuments` per request (GetSamplingTargets, "Array Members:
    /// Maximum number of 25 items"); a longer list is refused before any work.
    static let maxStatisticsDocuments = 25
    /// Clients remembered per rule; past this the one that reported longest ago is forgotten. Each SDK
    /// process is one client, so this is far more than one machine runs.
    static let maxClientsPerRule = 256
    /// The API's ClientID is 24 hex digits; a little slack, but no megabyte keys in the client table.
    static let maxClientIDLength = 64

    let rules: [SamplingRule]
    /// Rule name → index in `rules`.
    private let ruleIndex: [String: Int]
    /// When the rules were loaded: `CreatedAt`, `ModifiedAt` and `LastRuleModification`.
    let loadedAt: Double
    /// rule name → client id → last report time; at most `maxClientsPerRule` clients per rule.
    private let reporters = Mutex<[String: [String: Double]]>([:])

    init(rules: [SamplingRule], loadedAt: Double) {
        self.rules = rules.map { rule in
            var rule = rule
            if rule.ruleARN == nil { rule.ruleARN = "arn:aws:xray:local:000000000000:sampling-rule/\(rule.ruleName)" }
            return rule
        }
        var index: [String: Int] = [:]
        for (position, rule) in rules.enumerated() where index[rule.ruleName] == nil { index[rule.ruleName] = position }
        self.ruleIndex = index
        self.loadedAt = loadedAt.rounded(.down)
    }

    /// Without `--sampling-rules`: one `Default` rule that samples every request.
    ///
    /// Locally you want every trace, so `FixedRate` is 1.0; `ReservoirSize` 1 keeps the shape of the
    /// service's default rule.
    static let defaultRules = [
        SamplingRule(ruleName: "Default", priority: 10_000, fixedRate: JSONNumber(text: "1.0"), reservoirSize: JSONNumber(1))
    ]

    /// Reads a rules file in any format `xray rules` understands.
    ///
    /// - Throws: `CollectorError.samplingRules` when the file cannot be read or is invalid.
    package static func load(path: String) throws(CollectorError) -> [SamplingRule] {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path, limit: RuleDocument.maximumFileSize)
        } catch {
            throw .samplingRules(file: path, reason: error.reason)
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
            .object(
                JSONObject([
                    ("SamplingRule", rule.jsonValue),
                    ("CreatedAt", .number(JSONNumber(loadedAt))),
                    ("ModifiedAt", .number(JSONNumber(loadedAt))),
                ]))
        }
        return .object(JSONObject([("SamplingRuleRecords", .array(records))]))
    }

    /// The `SamplingTargets` response for a request body, or why the body is not a valid request.
    ///
    /// The work under the lock is bounded: at most 25 documents, each touching one rule's table of at most
    /// `maxClientsPerRule` clients.
    func targetsResponse(_ body: JSONValue, now: Double) -> Result<JSONValue, SamplingRequestError> {
        guard case .object(let object) = body, case .array(let documents)? = object["SamplingStatisticsDocuments"] else {
            return .failure(SamplingRequestError(message: "expected {\"SamplingStatisticsDocuments\": [...]}"))
        }
        guard documents.count <= Self.maxStatisticsDocuments else {
            return .failure(
                SamplingRequestError(
                    message: "SamplingStatisticsDocuments has \(documents.count) entries, over the API's limit of \(Self.maxStatisticsDocuments)"))
        }
        var reports: [(rule: String, client: String)] = []
        var unprocessed: [JSONValue] = []
        for document in documents {
            guard case .object(let statistics) = document, case .string(let rule)? = statistics["RuleName"],
                case .string(let client)? = statistics["ClientID"]
            else {
                return .failure(SamplingRequestError(message: "each statistics document needs a RuleName and a ClientID string"))
            }
            guard client.utf8.count <= Self.maxClientIDLength else {
                return .failure(
                    SamplingRequestError(
                        message: "ClientID is \(client.utf8.count) bytes; the SDKs send 24 hex digits, at most \(Self.maxClientIDLength) are accepted"))
            }
            if ruleIndex[rule] != nil {
                reports.append((rule, client))
            } else {
                unprocessed.append(
                    .object(
                        JSONObject([
                            ("RuleName", .string(rule)), ("ErrorCode", .string("400")),
                            ("Message", .string("no sampling rule named \(rule); fetch the rules again")),
                        ])))
            }
        }
        let shares = reporters.withLock { table -> [String: Int] in
            for (rule, client) in reports { table[rule, default: [:]][client] = now }
            var out: [String: Int] = [:]
            for (rule, client) in reports where out[rule] == nil {
                var active = (table[rule] ?? [:]).filter { now - $0.value <= Self.clientExpiry }
                if active.count > Self.maxClientsPerRule {
                    // Forget the clients that reported longest ago; this request's clients are the newest.
                    let oldest = active.sorted { $0.value < $1.value }.prefix(active.count - Self.maxClientsPerRule)
                    for (forgotten, _) in oldest { active[forgotten] = nil }
                }
                table[rule] = active
                let clients = active.keys.sorted()
                let size = ruleIndex[rule].flatMap { rules[$0].reservoirSize.int } ?? 0
                let index = clients.firstIndex(of: client) ?? 0
                out[rule] = size / max(clients.count, 1) + (index < size % max(clients.count, 1) ? 1 : 0)
            }
            return out
        }
        var seen = Set<String>()
        var targets: [JSONValue] = []
        for (rule, _) in reports where seen.insert(rule).inserted {
            guard let definition = ruleIndex[rule].map({ rules[$0] }) else { continue }
            targets.append(
                .object(
                    JSONObject([
                        ("RuleName", .string(rule)),
                        ("FixedRate", .number(definition.fixedRate)),
                        ("ReservoirQuota", .number(JSONNumber(shares[rule] ?? 0))),
                        ("ReservoirQuotaTTL", .number(JSONNumber(now.rounded(.down) + Self.clientExpiry))),
                        ("Interval", .number(JSONNumber(Self.interval))),
                    ])))
        }
        return .success(
            .object(
                JSONObject([
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
