import XRayWire

/// How to replay requests through the SDK's reservoir and rate logic.
public struct SimulationOptions: Sendable, Hashable {
    /// Processes sharing the traffic; request n goes to client n % clients.
    public var clients: Int
    /// Client k draws from Python's `random.Random(seed + k)` (its local fallback from `seed + k + clients`).
    public var seed: UInt64
    /// A uniform stream instead of the requests' own times: `rate` per second for `duration` seconds, cycling
    /// through the requests, request i at t = 1700000000 + i / rate.
    public var generated: GeneratedStream?

    public struct GeneratedStream: Sendable, Hashable {
        public var rate: Double
        public var duration: Double

        public init(rate: Double, duration: Double) {
            self.rate = rate
            self.duration = duration
        }
    }

    public init(clients: Int = 1, seed: UInt64 = 0, generated: GeneratedStream? = nil) {
        self.clients = clients
        self.seed = seed
        self.generated = generated
    }
}

/// What happened to the requests one rule decided.
public struct SamplingCounts: Sendable, Hashable {
    public var matched = 0
    public var sampled = 0
    public var sampledByReservoir = 0
    public var sampledByRate = 0
    public var borrowed = 0
    public var notSampled = 0

    public init() {}

    mutating func record(sampled: Bool, by outcome: ReservoirOutcome) {
        matched += 1
        guard sampled else {
            notSampled += 1
            return
        }
        self.sampled += 1
        switch outcome {
        case .take: sampledByReservoir += 1
        case .borrow: borrowed += 1
        case .none: sampledByRate += 1
        }
    }

    func jsonMembers(seconds: Int) -> [(key: String, value: JSONValue)] {
        [
            ("matched", .number(JSONNumber(matched))), ("sampled", .number(JSONNumber(sampled))),
            ("sampled_by_reservoir", .number(JSONNumber(sampledByReservoir))),
            ("sampled_by_rate", .number(JSONNumber(sampledByRate))), ("borrowed", .number(JSONNumber(borrowed))),
            ("not_sampled", .number(JSONNumber(notSampled))),
            ("sampled_per_second", .number(JSONNumber(Double(sampled) / Double(max(seconds, 1))))),
        ]
    }
}

enum ReservoirOutcome {
    case take, borrow, none
}

/// The result of `Simulator.run`, per rule in file order.
public struct SimulationResult: Sendable {
    public var document: RuleDocument
    public var requests: Int
    public var options: SimulationOptions
    /// Integer seconds spanned by the stream, the divisor of `sampled_per_second`.
    public var seconds: Int
    public var rules: [SamplingCounts]
    /// A local file's `default`.
    public var localDefault: SamplingCounts?
    /// Centralized files: requests no rule matched, decided by the SDK's built-in local default.
    public var fallback: SamplingCounts?
}

/// Replays requests through the Python SDK's reservoir and rate logic with a simulated clock.
///
/// Local rules: each rule has `fixed_target` per integer epoch second (the counter resets whenever the second
/// changes, also backwards), then `random() < rate`. Centralized rules: before targets arrive a rule with
/// `ReservoirSize > 0` borrows one request per second; the target poller reports every 10 s from the first request,
/// and the stand-in service gives each client `ReservoirSize / clients` (the first `ReservoirSize % clients` one
/// more) with a TTL of 10 s; then `random() <= FixedRate`.
public enum Simulator {
    /// - Throws: `SamplingError.invalidRequest` when a request has no `"t"` and no generated stream was asked for.
    public static func run(
        document: RuleDocument, requests: [TimedRequest], file: String, options: SimulationOptions
    ) throws(SamplingError) -> SimulationResult {
        var stream: [(time: Double, request: SamplingRequest)] = []
        if let generated = options.generated {
            let count = max(0, pythonInt(generated.rate * generated.duration))
            if !requests.isEmpty {
                stream.reserveCapacity(count)
                for i in 0..<count { stream.append((Self.generatedStart + Double(i) / generated.rate, requests[i % requests.count].request)) }
            }
        } else {
            for (n, timed) in requests.enumerated() {
                guard let time = timed.time else {
                    throw .untimedRequest(file: file, line: n + 1)
                }
                stream.append((time, timed.request))
            }
        }
        var seconds = 1
        if let low = stream.map(\.time).min(), let high = stream.map(\.time).max() {
            seconds = pythonInt(high) - pythonInt(low) + 1
        }
        let matcher = RuleMatcher(document: document, sdk: .python)
        var result = SimulationResult(
            document: document, requests: stream.count, options: options, seconds: seconds, rules: [],
            localDefault: nil, fallback: nil)
        switch document {
        case .local(let file):
            var counts = [SamplingCounts](repeating: SamplingCounts(), count: file.rules.count)
            var defaultCounts = SamplingCounts()
            var clients = (0..<options.clients).map { k in
                LocalClient(file: file, random: PythonRandom(seed: options.seed &+ UInt64(k)))
            }
            for (n, item) in stream.enumerated() {
                let target = matcher.decide(item.request)
                let (sampled, outcome) = clients[n % options.clients].decide(target, now: pythonInt(item.time))
                if case .rule(let index) = target {
                    counts[index].record(sampled: sampled, by: outcome)
                } else {
                    defaultCounts.record(sampled: sampled, by: outcome)
                }
            }
            result.rules = counts
            result.localDefault = defaultCounts
        case .centralized(let file):
            var counts = [SamplingCounts](repeating: SamplingCounts(), count: file.rules.count)
            var fallbackCounts = SamplingCounts()
            var clients = (0..<options.clients).map { k in
                CentralizedClient(
                    file: file, random: PythonRandom(seed: options.seed &+ UInt64(k)),
                    fallbackRandom: PythonRandom(seed: options.seed &+ UInt64(k) &+ UInt64(options.clients)))
            }
            var nextPoll = (stream.first?.time ?? 0) + 10
            for (n, item) in stream.enumerated() {
                while item.time >= nextPoll {
                    for k in clients.indices {
                        clients[k].receiveTargets(pollSecond: pythonInt(nextPoll), client: k, of: options.clients)
                    }
                    let behind = (item.time - nextPoll) / 10
                    if behind > 1000 || nextPoll + 10 == nextPoll {
                        // Polls between here and this request find no rule matched since the one just made, so
                        // they change nothing: skip them rather than loop over a long gap (or forever at 1e300).
                        nextPoll = max(nextPoll + 10 * (behind.rounded(.down) + 1), item.time.nextUp)
                    } else {
                        nextPoll += 10
                    }
                }
                let target = matcher.decide(item.request)
                let now = pythonInt(item.time)
                if case .rule(let index) = target {
                    let (sampled, outcome) = clients[n % options.clients].decide(rule: index, now: now)
                    counts[index].record(sampled: sampled, by: outcome)
                } else {
                    let (sampled, outcome) = clients[n % options.clients].fallback(now: now)
                    fallbackCounts.record(sampled: sampled, by: outcome)
                }
            }
            result.rules = counts
            result.fallback = fallbackCounts
        }
        return result
    }

    /// Where a generated stream starts (2023-11-14T22:13:20Z), so its times look like real epoch seconds.
    public static let generatedStart = 1_700_000_000.0

    /// Python's `int(float)`: truncation toward zero, clamped to ±9e15 so absurd times cannot trap.
    static func pythonInt(_ value: Double) -> Int {
        guard value.isFinite else { return 0 }
        return Int(max(min(value, 9e15), -9e15))
    }
}

/// `local.reservoir.Reservoir`: `traces_per_sec` per integer second.
private struct LocalReservoir {
    var perSecond: Double
    var thisSecond = Int.min
    var used = 0

    mutating func take(now: Int) -> Bool {
        if now != thisSecond {
            used = 0
            thisSecond = now
        }
        guard Double(used) < perSecond else { return false }
        used += 1
        return true
    }
}

/// One process using a local rules file (`LocalSampler`).
private struct LocalClient {
    var reservoirs: [LocalReservoir]
    var defaultReservoir: LocalReservoir
    var rates: [Double]
    var defaultRate: Double
    var random: PythonRandom

    init(file: LocalRuleFile, random: PythonRandom) {
        reservoirs = file.rules.map { LocalReservoir(perSecond: $0.fixedTarget.double) }
        rates = file.rules.map(\.rate.double)
        defaultReservoir = LocalReservoir(perSecond: file.defaultRule.fixedTarget.double)
        defaultRate = file.defaultRule.rate.double
        self.random = random
    }

    /// `LocalSampler._should_trace`: the reservoir first, then `random() < rate`.
    mutating func decide(_ target: MatchTarget, now: Int) -> (Bool, ReservoirOutcome) {
        let took: Bool
        let rate: Double
        if case .rule(let index) = target {
            took = reservoirs[index].take(now: now)
            rate = rates[index]
        } else {
            took = defaultReservoir.take(now: now)
            rate = defaultRate
        }
        if took { return (true, .take) }
        return (random.random() < rate, .none)
    }
}

/// One process using centralized rules (`DefaultSampler` with its `RuleCache`).
private struct CentralizedClient {
    struct RuleState {
        var reservoirSize: Int
        var rate: Double
        var quota: Int?
        var ttl: Int?
        var thisSecond = 0
        var taken = 0
        var borrowed = 0
        /// Matches since the last report (`request_count`, reset by `snapshot_statistics`).
        var requestsSinceReport = 0
    }

    var rules: [RuleState]
    var random: PythonRandom
    var fallbackRandom: PythonRandom
    var fallbackReservoir = LocalReservoir(perSecond: LocalDefaultRule.builtIn.fixedTarget.double)

    init(file: CentralizedRuleFile, random: PythonRandom, fallbackRandom: PythonRandom) {
        rules = file.rules.map { RuleState(reservoirSize: $0.reservoirSize.int ?? 0, rate: $0.fixedRate.double) }
        self.random = random
        self.fallbackRandom = fallbackRandom
    }

    /// The target poller's report and the service's answer for every rule matched since the last report.
    mutating func receiveTargets(pollSecond: Int, client: Int, of clients: Int) {
        for index in rules.indices where rules[index].requestsSinceReport > 0 {
            rules[index].requestsSinceReport = 0
            let size = rules[index].reservoirSize
            rules[index].quota = size / clients + (client < size % clients ? 1 : 0)
            rules[index].ttl = pollSecond + 10
        }
    }

    /// `DefaultSampler._process_matched_rule` with `Reservoir.borrow_or_take`.
    mutating func decide(rule index: Int, now: Int) -> (Bool, ReservoirOutcome) {
        rules[index].requestsSinceReport += 1
        var state = rules[index]
        defer { rules[index] = state }
        if now != state.thisSecond {
            state.taken = 0
            state.borrowed = 0
            state.thisSecond = now
        }
        if let quota = state.quota, quota >= 0, let ttl = state.ttl, ttl >= now {
            if state.taken < quota {
                state.taken += 1
                return (true, .take)
            }
        } else if state.reservoirSize != 0 {
            if state.borrowed < 1 {
                state.borrowed += 1
                return (true, .borrow)
            }
        }
        return (random.random() <= state.rate, .none)
    }

    /// No rule matched: the built-in local default (`LocalSampler` with fixed_target 1, rate 0.05).
    mutating func fallback(now: Int) -> (Bool, ReservoirOutcome) {
        if fallbackReservoir.take(now: now) { return (true, .take) }
        return (fallbackRandom.random() < LocalDefaultRule.builtIn.rate.double, .none)
    }
}

extension SimulationResult {
    /// `{"requests", "clients", "seed", "seconds", "rules": [...], "default": {...}, "fallback": {...}}`.
    public var jsonValue: JSONValue {
        var rulesJSON: [JSONValue] = []
        for (index, counts) in rules.enumerated() {
            var members: [(key: String, value: JSONValue)] = [("index", .number(JSONNumber(index)))]
            switch document {
            case .local(let file):
                members.append(("rule", file.rules[index].description.map(JSONValue.string) ?? .null))
            case .centralized(let file):
                members.append(("rule", .string(file.rules[index].ruleName)))
                if let reason = file.rules[index].ignoredBySDKReason { members.append(("ignored", .string(reason))) }
            }
            rulesJSON.append(.object(JSONObject(members + counts.jsonMembers(seconds: seconds))))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("requests", .number(JSONNumber(requests))), ("clients", .number(JSONNumber(options.clients))),
            ("seed", .number(JSONNumber(text: String(options.seed)))), ("seconds", .number(JSONNumber(seconds))),
            ("rules", .array(rulesJSON)),
        ]
        if let localDefault {
            members.append(("default", .object(JSONObject(localDefault.jsonMembers(seconds: seconds)))))
        }
        if let fallback, case .centralized(let file) = document {
            if let index = file.rules.firstIndex(where: \.isDefault) {
                members.append(
                    (
                        "default",
                        .object(
                            JSONObject(
                                [("index", .number(JSONNumber(index))), ("rule", .string("Default"))]
                                    + rules[index].jsonMembers(seconds: seconds)))
                    ))
            } else {
                members.append(
                    (
                        "default",
                        .object(
                            JSONObject(
                                fallback.jsonMembers(seconds: seconds) + [("fallback", .string("local-default"))]))
                    ))
            }
            members.append(("fallback", .object(JSONObject(fallback.jsonMembers(seconds: seconds)))))
        }
        return .object(JSONObject(members))
    }
}
