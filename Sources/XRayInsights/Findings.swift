import XRayWire

/// Thresholds of `xray inspect insights`.
package struct InsightsOptions: Sendable, Hashable {
    /// Calls of one shape under one parent that make an N+1.
    package var nPlusOne: Int
    /// Own time (seconds) above which an entity is slow.
    package var slow: Double
    /// Uncovered time (seconds) in a segment above which it is a gap.
    package var gap: Double
    /// How many of the slowest traces get their critical path shown.
    package var criticalPaths: Int

    package init(nPlusOne: Int = 5, slow: Double = 0.5, gap: Double = 0.1, criticalPaths: Int = 3) {
        self.nPlusOne = nPlusOne
        self.slow = slow
        self.gap = gap
        self.criticalPaths = criticalPaths
    }
}

/// What a finding is about; the raw value is the `kind` of the JSON output.
package enum FindingKind: String, Sendable, Hashable, CaseIterable {
    case nPlusOne = "n_plus_one"
    case repeatedCall = "repeated_call"
    case slowSpan = "slow_span"
    case hiddenError = "hidden_error"
    case gap
}

/// One thing worth fixing in one trace, with what shows it and what to do about it.
package struct Finding: Sendable, Hashable {
    package var kind: FindingKind
    package var traceID: String
    /// Entity names from the root down to the entity the finding is about (for calls: their parent).
    package var path: [String]
    package var entityID: String
    /// The call's shape (N+1) or exact text (repeated call); nil for the other kinds.
    package var call: String?
    /// How many calls (N+1, repeated call).
    package var count: Int?
    /// Seconds: the calls' summed durations, an entity's own time, or the gap's length.
    package var time: Double
    /// Seconds from the trace's start: the first call, the entity's or the gap's start.
    package var first: Double
    /// Seconds from the trace's start: the last call's start; nil for single-place findings.
    package var last: Double?
    /// A one-line statement of what was seen.
    package var evidence: String
    /// A one-line suggestion.
    package var hint: String
}

/// One step of a critical path.
package struct CriticalStep: Sendable, Hashable {
    package var name: String
    package var entityID: String
    package var duration: Double
    /// The step's duration minus the time its children cover.
    package var ownTime: Double
}

/// The chain of entities a trace's duration waited on, from its root.
package struct CriticalPath: Sendable, Hashable {
    package var traceID: String
    package var duration: Double
    package var steps: [CriticalStep]
}

/// Everything `insights` found in a selection of traces.
package struct InsightsReport: Sendable {
    package var options: InsightsOptions
    package var tracesAnalyzed = 0
    package var findings: [Finding] = []
    /// The slowest traces' critical paths, slowest first, at most `options.criticalPaths`.
    package var criticalPaths: [CriticalPath] = []

    package init(options: InsightsOptions) { self.options = options }

    /// Analyses one more trace; memory grows with the findings, not with the traces seen.
    package mutating func add(_ tree: TraceTree) { add(TraceInsights(tree, options: options)) }

    /// Adds one trace's analysis, made elsewhere (on another thread) with this report's options.
    package mutating func add(_ trace: TraceInsights) {
        tracesAnalyzed += 1
        findings += trace.findings
        guard options.criticalPaths > 0, let path = trace.criticalPath else { return }
        if criticalPaths.count == options.criticalPaths, let fastest = criticalPaths.last, fastest.duration >= path.duration { return }
        let at = criticalPaths.firstIndex { $0.duration < path.duration } ?? criticalPaths.count
        criticalPaths.insert(path, at: at)
        if criticalPaths.count > options.criticalPaths { criticalPaths.removeLast() }
    }
}

/// What `insights` learns from one trace, computed apart from the report so traces can be analysed in parallel.
package struct TraceInsights: Sendable {
    package var findings: [Finding]
    /// Nil when the options ask for no critical paths, or the trace has nothing finished.
    package var criticalPath: CriticalPath?

    package init(_ tree: TraceTree, options: InsightsOptions) {
        findings = TraceAnalysis.findings(tree, options: options)
        criticalPath = options.criticalPaths > 0 ? TraceAnalysis.criticalPath(tree) : nil
    }
}
