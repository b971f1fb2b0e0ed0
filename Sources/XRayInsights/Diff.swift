import XRayRender
import XRayWire

/// One request as `diff` counts it: the root segment that answered an HTTP request, and the calls below it.
package struct RequestSample: Sendable, Hashable {
    /// `METHOD /path/{id}`.
    package var endpoint: String
    /// Seconds.
    package var responseTime: Double
    package var sqlCalls: Int
    package var remoteCalls: Int
    package var error: Bool
    package var fault: Bool

    /// The trace's request: its first root segment with an HTTP URL, with every SQL call (an entity with
    /// `sql`) and remote call (a `remote` or `aws` subsegment that is not SQL) of the trace. Nil when no root
    /// answered an HTTP request (a batch job, the run's own segment), or the root is still in progress.
    package static func of(_ tree: TraceTree) -> RequestSample? {
        guard
            let r = tree.rootIndexes.first(where: {
                tree.entries[$0].entity.kind == .segment && tree.entries[$0].entity.httpURL != nil
            }), let url = tree.entries[r].entity.httpURL, let duration = tree.entries[r].entity.duration, duration.isFinite
        else { return nil }
        let root = tree.entries[r].entity
        var sql = 0, remote = 0
        for e in tree.entries {
            if case .object? = e.fields["sql"] {
                sql += 1
            } else if e.entity.kind == .subsegment, e.entity.namespace == "remote" || e.entity.namespace == "aws" {
                remote += 1
            }
        }
        let status = root.httpStatus ?? 0
        return RequestSample(
            endpoint: (root.httpMethod.map { $0 + " " } ?? "") + Shape.endpointPath(url), responseTime: duration,
            sqlCalls: sql, remoteCalls: remote, error: root.error || (400..<500).contains(status),
            fault: root.fault || (500..<600).contains(status))
    }
}

/// What `diff` compares, per endpoint.
package enum DiffMetric: String, Sendable, Hashable, CaseIterable {
    case requests, p50, p95, max
    case sqlPerRequest = "sql_per_request"
    case callsPerRequest = "calls_per_request"
    case errorRate = "error_rate"
    case faultRate = "fault_rate"

    /// Milliseconds for the times, percent for the rates.
    package var unit: String {
        switch self {
        case .p50, .p95, .max: "ms"
        case .errorRate, .faultRate: "%"
        default: ""
        }
    }
}

/// The requests of one endpoint (or of all of them) reduced to the metrics.
package struct EndpointStats: Sendable, Hashable {
    package var values: [DiffMetric: Double]

    /// Percentiles are nearest-rank in milliseconds, as `stats` computes them; rates are percent.
    package init(_ samples: [RequestSample]) {
        let times = samples.map(\.responseTime).sorted()
        let n = Double(samples.count)
        func rank(_ p: Double) -> Double {
            guard !times.isEmpty else { return 0 }
            let k = Int((p * n).rounded(.up))
            return times[min(max(k, 1), times.count) - 1] * 1000
        }
        var sql = 0, calls = 0, errors = 0, faults = 0
        for s in samples {
            sql += s.sqlCalls
            calls += s.remoteCalls
            if s.error { errors += 1 }
            if s.fault { faults += 1 }
        }
        let per = { (x: Int) in n > 0 ? Double(x) / n : 0 }
        values = [
            .requests: n, .p50: rank(0.5), .p95: rank(0.95), .max: (times.last ?? 0) * 1000,
            .sqlPerRequest: per(sql), .callsPerRequest: per(calls),
            .errorRate: per(errors) * 100, .faultRate: per(faults) * 100,
        ]
    }

    package subscript(_ metric: DiffMetric) -> Double { values[metric] ?? 0 }
}

/// One endpoint in both selections; nil on a side where it has no request.
package struct EndpointComparison: Sendable, Hashable {
    package var endpoint: String
    package var a: EndpointStats?
    package var b: EndpointStats?

    /// The change from A to B: absolute, and percent of A (infinite when A is 0 and B is not).
    package func change(_ metric: DiffMetric) -> (absolute: Double, percent: Double)? {
        guard let a, let b else { return nil }
        let delta = b[metric] - a[metric]
        let percent = a[metric] == 0 ? (delta == 0 ? 0 : (delta > 0 ? Double.infinity : -Double.infinity)) : delta / a[metric] * 100
        return (delta, percent)
    }
}

/// Two selections compared endpoint by endpoint.
package struct RunComparison: Sendable {
    /// Endpoints in name order.
    package var endpoints: [EndpointComparison]
    /// Every request of each side together, labelled `(all)`.
    package var total: EndpointComparison
    /// Traces with no HTTP root, which no endpoint counts.
    package var skipped: (a: Int, b: Int)
    /// Set when A and B are two traces.
    package var structure: TreeDiff?

    package static let totalLabel = "(all)"

    package init(a: [RequestSample], b: [RequestSample], skipped: (a: Int, b: Int) = (0, 0), structure: TreeDiff? = nil) {
        var byA: [String: [RequestSample]] = [:], byB: [String: [RequestSample]] = [:]
        for s in a { byA[s.endpoint, default: []].append(s) }
        for s in b { byB[s.endpoint, default: []].append(s) }
        endpoints = Set(byA.keys).union(byB.keys).sorted().map { name in
            EndpointComparison(endpoint: name, a: byA[name].map(EndpointStats.init), b: byB[name].map(EndpointStats.init))
        }
        total = EndpointComparison(endpoint: Self.totalLabel, a: EndpointStats(a), b: EndpointStats(b))
        self.skipped = skipped
        self.structure = structure
    }

    package var added: [String] { endpoints.filter { $0.a == nil }.map(\.endpoint) }
    package var vanished: [String] { endpoints.filter { $0.b == nil }.map(\.endpoint) }

    /// Every rule crossed, by every endpoint present on both sides and by the total.
    package func violations(_ rules: [FailIf]) -> [Violation] {
        var out: [Violation] = []
        for rule in rules {
            for e in endpoints + [total] {
                guard let change = e.change(rule.metric), let a = e.a, let b = e.b, rule.isCrossed(by: change) else { continue }
                out.append(Violation(rule: rule, endpoint: e.endpoint, a: a[rule.metric], b: b[rule.metric], change: change))
            }
        }
        return out
    }
}

/// A `--fail-if` rule: `METRIC > +N%`, `METRIC > +N`, or with `<` and a negative change for a drop.
package struct FailIf: Sendable, Hashable, CustomStringConvertible {
    package var metric: DiffMetric
    package var greater: Bool
    package var threshold: Double
    package var percent: Bool

    package static let forms =
        "METRIC > +N% or METRIC > +N (also < -N% and < -N; N in milliseconds for p50, p95 and max, "
        + "or a duration such as +50ms or +0.5s), METRIC one of " + DiffMetric.allCases.map(\.rawValue).joined(separator: ", ")

    package init(metric: DiffMetric, greater: Bool, threshold: Double, percent: Bool) {
        self.metric = metric
        self.greater = greater
        self.threshold = threshold
        self.percent = percent
    }

    package init(parsing text: String) throws(DiffError) {
        let s = text.filter { $0 != " " && $0 != "\t" }
        guard let op = s.firstIndex(where: { $0 == ">" || $0 == "<" }) else { throw .malformedFailIf(text, forms: Self.forms) }
        guard let metric = DiffMetric(rawValue: String(s[..<op])) else { throw .malformedFailIf(text, forms: Self.forms) }
        var value = s[s.index(after: op)...]
        let percent = value.hasSuffix("%")
        if percent { value = value.dropLast() }
        // A time metric's change may carry a duration unit; a bare number stays milliseconds, the table's unit.
        if metric.unit == "ms", !percent, let last = value.last, last.isLetter {
            let negative = value.first == "-"
            guard let seconds = try? Durations.seconds(parsing: String(value.first == "+" || negative ? value.dropFirst() : value)) else {
                throw .malformedFailIf(text, forms: Self.forms)
            }
            self.init(metric: metric, greater: s[op] == ">", threshold: (negative ? -1 : 1) * seconds * 1000, percent: false)
            return
        }
        guard let first = value.first, first.isNumber || first == "+" || first == "-",
            value.dropFirst().allSatisfy({ $0.isNumber || $0 == "." }), let threshold = Double(value), threshold.isFinite
        else { throw .malformedFailIf(text, forms: Self.forms) }
        self.init(metric: metric, greater: s[op] == ">", threshold: threshold, percent: percent)
    }

    package func isCrossed(by change: (absolute: Double, percent: Double)) -> Bool {
        let v = percent ? change.percent : change.absolute
        return greater ? v > threshold : v < threshold
    }

    package var description: String {
        "\(metric.rawValue) \(greater ? ">" : "<") \(threshold >= 0 ? "+" : "")\(trim(threshold))\(percent ? "%" : "")"
    }
}

/// One endpoint crossing one rule.
package struct Violation: Sendable {
    package var rule: FailIf
    package var endpoint: String
    package var a: Double
    package var b: Double
    package var change: (absolute: Double, percent: Double)
}

/// Why a comparison cannot be made.
package enum DiffError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformedFailIf(String, forms: String)

    package var description: String {
        switch self {
        case .malformedFailIf(let text, let forms): "'\(text)' is not a rule; accepted forms: \(forms)"
        }
    }
}

/// Two traces' trees matched by the path of names from the root (a repeated sibling name counts as
/// `name#2`, `name#3`, …).
package struct TreeDiff: Sendable, Hashable {
    package struct Change: Sendable, Hashable {
        package var path: [String]
        /// Seconds.
        package var a: Double
        package var b: Double
    }
    package var added: [[String]]
    package var removed: [[String]]
    /// Entities in both whose duration grew, most first.
    package var slower: [Change]

    /// Paths are interned as (parent id, name, ordinal) so that a deep trace costs linear time, not depth².
    package init(_ a: TraceTree, _ b: TraceTree) {
        struct Key: Hashable { var parent: Int; var name: String; var ordinal: Int }
        var ids: [Key: Int] = [:]
        func keys(_ tree: TraceTree) -> [Int] {
            var out = [Int](repeating: -1, count: tree.entries.count)
            var seen: [Key: Int] = [:]
            for (i, e) in tree.entries.enumerated() {
                let parent = e.parent.map { out[$0] } ?? -1
                var key = Key(parent: parent, name: e.entity.name, ordinal: 0)
                let ordinal = (seen[key] ?? 0) + 1
                seen[key] = ordinal
                key.ordinal = ordinal
                if let id = ids[key] { out[i] = id } else { out[i] = ids.count; ids[key] = ids.count }
            }
            return out
        }
        let ka = keys(a), kb = keys(b)
        var inA: [Int: Int] = [:]
        for (i, k) in ka.enumerated() { inA[k] = i }
        var inB: [Int: Int] = [:]
        for (i, k) in kb.enumerated() { inB[k] = i }
        var ordinal = [Int](repeating: 1, count: ids.count)
        for (key, id) in ids { ordinal[id] = key.ordinal }
        func path(_ tree: TraceTree, _ keys: [Int], _ i: Int) -> [String] {
            var names = TraceAnalysis.path(tree, i)
            // Repeated names carry their ordinal so the reader can tell the siblings apart.
            var j: Int? = i
            var n = names.count - 1
            while let k = j, n >= 0, names[n] != "…" {
                if ordinal[keys[k]] > 1 { names[n] += "#\(ordinal[keys[k]])" }
                j = tree.entries[k].parent
                n -= 1
            }
            return names
        }
        /// The top of each subtree that only `tree` has: its parent is matched on the other side, or it is a root.
        func unmatched(_ tree: TraceTree, _ keys: [Int], _ other: [Int: Int]) -> [[String]] {
            keys.indices.filter { i in
                guard other[keys[i]] == nil else { return false }
                guard let parent = tree.entries[i].parent else { return true }
                return other[keys[parent]] != nil
            }.map { path(tree, keys, $0) }
        }
        added = unmatched(b, kb, inA)
        removed = unmatched(a, ka, inB)
        var slower: [(Change, Double)] = []
        for (i, k) in ka.enumerated() {
            guard let j = inB[k], let da = a.entries[i].entity.duration, let db = b.entries[j].entity.duration, db > da else { continue }
            slower.append((Change(path: path(a, ka, i), a: da, b: db), db - da))
        }
        self.slower = slower.sorted { $0.1 > $1.1 }.map(\.0)
    }
}

/// A number without a trailing `.0`.
func trim(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : fixed(v, decimals: 2)
}
