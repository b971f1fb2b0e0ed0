import XRayWire

/// Thresholds of `xray inspect insights`.
public struct InsightsOptions: Sendable, Hashable {
    /// Calls of one shape under one parent that make an N+1.
    public var nPlusOne: Int
    /// Own time (seconds) above which an entity is slow.
    public var slow: Double
    /// Uncovered time (seconds) in a segment above which it is a gap.
    public var gap: Double
    /// How many of the slowest traces get their critical path shown.
    public var criticalPaths: Int

    public init(nPlusOne: Int = 5, slow: Double = 0.5, gap: Double = 0.1, criticalPaths: Int = 3) {
        self.nPlusOne = nPlusOne
        self.slow = slow
        self.gap = gap
        self.criticalPaths = criticalPaths
    }
}

/// What a finding is about; the raw value is the `kind` of the JSON output.
public enum FindingKind: String, Sendable, Hashable, CaseIterable {
    case nPlusOne = "n_plus_one"
    case repeatedCall = "repeated_call"
    case slowSpan = "slow_span"
    case hiddenError = "hidden_error"
    case gap
}

/// One thing worth fixing in one trace, with what shows it and what to do about it.
public struct Finding: Sendable, Hashable {
    public var kind: FindingKind
    public var traceID: String
    /// Entity names from the root down to the entity the finding is about (for calls: their parent).
    public var path: [String]
    public var entityID: String
    /// The call's shape (N+1) or exact text (repeated call); nil for the other kinds.
    public var call: String?
    /// How many calls (N+1, repeated call).
    public var count: Int?
    /// Seconds: the calls' summed durations, an entity's own time, or the gap's length.
    public var time: Double
    /// Seconds from the trace's start: the first call, the entity's or the gap's start.
    public var first: Double
    /// Seconds from the trace's start: the last call's start; nil for single-place findings.
    public var last: Double?
    /// A one-line statement of what was seen.
    public var evidence: String
    /// A one-line suggestion.
    public var hint: String
}

/// One step of a critical path.
public struct CriticalStep: Sendable, Hashable {
    public var name: String
    public var entityID: String
    public var duration: Double
    /// The step's duration minus the time its children cover.
    public var ownTime: Double
}

/// The chain of entities a trace's duration waited on, from its root.
public struct CriticalPath: Sendable, Hashable {
    public var traceID: String
    public var duration: Double
    public var steps: [CriticalStep]
}

/// Everything `insights` found in a selection of traces.
public struct InsightsReport: Sendable {
    public var options: InsightsOptions
    public var tracesAnalyzed = 0
    public var findings: [Finding] = []
    /// The slowest traces' critical paths, slowest first, at most `options.criticalPaths`.
    public var criticalPaths: [CriticalPath] = []

    public init(options: InsightsOptions) { self.options = options }

    /// Analyses one more trace; memory grows with the findings, not with the traces seen.
    public mutating func add(_ tree: TraceTree) {
        tracesAnalyzed += 1
        findings += TraceAnalysis.findings(tree, options: options)
        guard options.criticalPaths > 0, let path = TraceAnalysis.criticalPath(tree) else { return }
        if criticalPaths.count == options.criticalPaths, let fastest = criticalPaths.last, fastest.duration >= path.duration { return }
        let at = criticalPaths.firstIndex { $0.duration < path.duration } ?? criticalPaths.count
        criticalPaths.insert(path, at: at)
        if criticalPaths.count > options.criticalPaths { criticalPaths.removeLast() }
    }
}

extension InsightsOptions {
    /// A threshold such as `500ms`, `0.5s`, `2m` or `1h`, in seconds; nil for anything else.
    public static func duration(_ text: String) -> Double? {
        let units: [(suffix: String, scale: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for u in units where text.hasSuffix(u.suffix) {
            let number = text.dropLast(u.suffix.count)
            guard let first = number.first, first.isNumber, number.allSatisfy({ $0.isNumber || $0 == "." }),
                  let value = Double(number), value.isFinite else { return nil }
            return value * u.scale
        }
        return nil
    }
}
