/// Times the matcher alone, without JSON input or output, for `xray rules match --benchmark`.
public struct MatchBenchmark: Sendable {
    /// The most decisions one run makes: a few seconds of a release build, enough for a stable figure.
    public static let maximumDecisions = 100_000_000

    public var decisions: Int
    public var seconds: Double
    /// How many decisions went to each target, so the work cannot be optimised away and can be checked.
    public var rulesHit: Int

    public var decisionsPerSecond: Double { seconds > 0 ? Double(decisions) / seconds : 0 }

    public var text: String {
        let rate = Int(decisionsPerSecond.rounded())
        let millis = Int((seconds * 1000).rounded())
        return "\(decisions) decisions in \(millis) ms: \(rate) decisions/s (\(rulesHit) matched a non-default rule)"
    }

    /// Makes `decisions` decisions, cycling through `requests`.
    public static func run(matcher: RuleMatcher, requests: [SamplingRequest], decisions: Int) -> MatchBenchmark {
        guard !requests.isEmpty else { return MatchBenchmark(decisions: 0, seconds: 0, rulesHit: 0) }
        let clock = ContinuousClock()
        var hits = 0
        var next = 0
        let elapsed = clock.measure {
            for _ in 0..<decisions {
                if case .rule = matcher.decide(requests[next]) { hits += 1 }
                next += 1
                if next == requests.count { next = 0 }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return MatchBenchmark(decisions: decisions, seconds: seconds, rulesHit: hits)
    }
}
