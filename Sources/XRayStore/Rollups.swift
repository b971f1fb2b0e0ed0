import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// Response times as DDSketch buckets: bucket `i` holds the times in (γ^(i-1), γ^i] with γ = (1+α)/(1-α),
/// and stands for 2γ^i/(γ+1), within α = 1% of every time in it (Masson, Rim and Lee, "DDSketch: a fast
/// and fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019, arXiv:1908.10693).
package enum DurationSketch {
    package static let relativeAccuracy = 0.01
    static let gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    static let logGamma = log(gamma)
    /// Times at or below a nanosecond (zero, mostly) share one bucket that stands for 0.
    static let zeroBucket = -1_000_000
    static let smallest = 1e-9

    package static func bucket(_ seconds: Double) -> Int {
        guard seconds > smallest else { return zeroBucket }
        return Int((log(seconds) / logGamma).rounded(.up))
    }

    package static func value(ofBucket index: Int) -> Double {
        index == zeroBucket ? 0 : 2 * pow(gamma, Double(index)) / (gamma + 1)
    }
}

/// What the stats rollups group by; the raw values are stored, so they must not change.
package enum RollupGrouping: Int, Sendable, CaseIterable {
    /// Every trace, one group.
    case all = 0
    /// Every service node, by name.
    case service = 1
    /// Traces by `root_name http_method http_url` (each `-` when absent), as the exact scan reads them.
    case operation = 2
    /// Traces by root URL (`-` when absent).
    case url = 3
    /// Traces by annotation key and distinct value.
    case annotation = 4
}

/// One group of a rollup: exact counts, and response times as `DurationSketch` bucket counts.
package struct RollupRow: Sendable, Hashable {
    package var name: String
    /// For `.annotation`, the value; `name` is then the key.
    package var annotation: AnnotationValue?
    package var count = 0
    package var ok = 0
    package var error = 0
    package var fault = 0
    package var throttle = 0
    /// Bucket index → how many response times fell in it.
    package var buckets: [Int: Int] = [:]
}

/// The group a sample counts in, as the rollup tables key it.
struct RollupKey: Hashable {
    var grouping: RollupGrouping
    var name: String
    var annotation: AnnotationValue?
    /// Whether the sample is `xray run`'s own: a run's segment, or a trace that holds nothing else.
    var runs: Bool
}

/// One trace's (or service node's) contribution to a rollup.
struct RollupSample: Hashable {
    var key: RollupKey
    var error: Bool
    var fault: Bool
    var throttle: Bool
    /// The response time's bucket; nil while in progress.
    var bucket: Int?
}

/// Changes to the rollups a transaction makes, applied once before it commits: one entry per group, so a
/// sample costs one hash of its key.
struct RollupDelta {
    struct Change {
        var count = 0
        var ok = 0
        var error = 0
        var fault = 0
        var throttle = 0
        var buckets: [Int: Int] = [:]
    }

    var changes: [RollupKey: Change] = [:]

    mutating func add(_ samples: [RollupSample], sign: Int) {
        for s in samples {
            changes[s.key, default: Change()].add(s, sign: sign)
        }
    }
}

extension RollupDelta.Change {
    mutating func add(_ s: RollupSample, sign: Int) {
        count += sign
        if !s.error && !s.fault && !s.throttle { ok += sign }
        if s.error { error += sign }
        if s.fault { fault += sign }
        if s.throttle { throttle += sign }
        if let b = s.bucket { buckets[b, default: 0] += sign }
    }
}

/// What a trace's samples are computed from: its summary row and its entity and annotation rows.
struct TraceFacts {
    var rootName: String?
    var method: String?
    var url: String?
    var error: Bool
    var fault: Bool
    var throttle: Bool
    var responseTime: Double?
}

extension TraceStore {
    /// Every sample the trace contributes to the rollups, as the exact scans in `statsSamples` would read them.
    static func rollupSamples(_ entities: [DetailEntity], facts: TraceFacts, annotations: [(key: String, value: AnnotationValue)]) -> [RollupSample] {
        let bareRun = !entities.contains { $0.origin != runOrigin }
        let bucket = facts.responseTime.map(DurationSketch.bucket)
        func trace(_ grouping: RollupGrouping, _ name: String, _ annotation: AnnotationValue? = nil) -> RollupSample {
            RollupSample(
                key: RollupKey(grouping: grouping, name: name, annotation: annotation, runs: bareRun),
                error: facts.error, fault: facts.fault, throttle: facts.throttle, bucket: bucket)
        }
        var out = [
            trace(.all, "all"),
            trace(.operation, "\(facts.rootName ?? "-") \(facts.method ?? "-") \(facts.url ?? "-")"),
            trace(.url, facts.url ?? "-"),
        ]
        var seen = Set<RollupKey>()
        for a in annotations {
            let sample = trace(.annotation, a.key, a.value)
            if seen.insert(sample.key).inserted { out.append(sample) }
        }
        let parents = parentsOfSegments(entities)
        for e in entities
        where e.kind == EntityKind.segment.rawValue
            || SummaryRules.isInferred(kind: e.kind, namespace: e.namespace, hasChildSegment: parents.contains(e.id))
        {
            out.append(
                RollupSample(
                    key: RollupKey(grouping: .service, name: e.name, annotation: nil, runs: e.origin == runOrigin),
                    error: e.error, fault: e.fault, throttle: e.throttle, bucket: e.duration.map(DurationSketch.bucket)))
        }
        return out
    }

    /// Samples as stored beside a trace's details: `[grouping, name, type, value, runs, flags, bucket]` each
    /// (a number value as its IEEE 754 bit pattern).
    static func encode(_ samples: [RollupSample]) -> String {
        var out = DetailsWriter()
        out.raw("[")
        for (i, s) in samples.enumerated() {
            if i > 0 { out.comma() }
            out.raw("[")
            out.raw(String(s.key.grouping.rawValue))
            out.comma()
            out.string(s.key.name)
            switch s.key.annotation {
            case nil: out.raw(",-1,null")
            case .string(let text): out.raw(",0,"); out.string(text)
            // By bit pattern: an infinite annotation (1e999) must come back as the key it was added under.
            case .number(let n): out.raw(",1,"); out.raw(String(n.bitPattern))
            case .bool(let b): out.raw(",2,"); out.bool(b)
            }
            out.comma()
            out.bool(s.key.runs)
            out.comma()
            out.raw(String((s.error ? 1 : 0) | (s.fault ? 2 : 0) | (s.throttle ? 4 : 0)))
            out.comma()
            if let b = s.bucket { out.raw(String(b)) } else { out.raw("null") }
            out.raw("]")
        }
        out.raw("]")
        return out.text
    }

    static func decode(_ text: String) -> [RollupSample] {
        guard case .array(let list)? = try? JSONParser.parse(text).value else { return [] }
        return list.compactMap { item in
            guard case .array(let f) = item, f.count == 7, let g = f[0].doubleValue.flatMap({ RollupGrouping(rawValue: Int($0)) }),
                let name = f[1].stringValue, let type = f[2].doubleValue, let runs = f[4].boolValue, let flags = f[5].doubleValue.map(Int.init)
            else { return nil }
            let annotation: AnnotationValue? =
                switch Int(type) {
                case 0: f[3].stringValue.map { .string($0) }
                case 1: if case .number(let bits) = f[3], let pattern = UInt64(bits.text) { .number(Double(bitPattern: pattern)) } else { nil }
                case 2: f[3].boolValue.map { .bool($0) }
                default: nil
                }
            return RollupSample(
                key: RollupKey(grouping: g, name: name, annotation: annotation, runs: runs),
                error: flags & 1 != 0, fault: flags & 2 != 0, throttle: flags & 4 != 0, bucket: f[6].doubleValue.map { Int($0) })
        }
    }

    /// The samples stored for a trace, empty when it has no details row (it is not in the rollups).
    func storedSamples(traceID: String) throws(StoreError) -> [RollupSample] {
        let s = try db.prepared("SELECT samples FROM trace_details WHERE trace_id=?")
        s.bind(1, traceID)
        defer { s.reset() }
        guard try s.step(), let text = s.text(0) else { return [] }
        return Self.decode(text)
    }

    func applyRollups(_ delta: RollupDelta) throws(StoreError) {
        let row = try db.prepared(
            """
            INSERT INTO stats_rollups(grouping, name, value_type, value, runs, count, ok, error, fault, throttle) VALUES(?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT DO UPDATE SET count=count+excluded.count, ok=ok+excluded.ok, error=error+excluded.error,
                fault=fault+excluded.fault, throttle=throttle+excluded.throttle
            """)
        func bindKey(_ s: SQLiteStatement, _ key: RollupKey) {
            s.bind(1, key.grouping.rawValue)
            s.bind(2, key.name)
            switch key.annotation {
            case nil: s.bind(3, -1); s.bind(4, "")
            case .string(let text): s.bind(3, 0); s.bind(4, text)
            case .number(let n): s.bind(3, 1); s.bind(4, n)
            case .bool(let b): s.bind(3, 2); s.bind(4, b)
            }
            s.bind(5, key.runs)
        }
        for (key, r) in delta.changes where (r.count, r.ok, r.error, r.fault, r.throttle) != (0, 0, 0, 0, 0) {
            row.reset()
            bindKey(row, key)
            row.bind(6, r.count)
            row.bind(7, r.ok)
            row.bind(8, r.error)
            row.bind(9, r.fault)
            row.bind(10, r.throttle)
            try row.step()
        }
        let bucket = try db.prepared(
            """
            INSERT INTO stats_histograms(grouping, name, value_type, value, runs, bucket, count) VALUES(?,?,?,?,?,?,?)
            ON CONFLICT DO UPDATE SET count=count+excluded.count
            """)
        for (key, change) in delta.changes {
            for (b, n) in change.buckets where n != 0 {
                bucket.reset()
                bindKey(bucket, key)
                bucket.bind(6, b)
                bucket.bind(7, n)
                try bucket.step()
            }
        }
    }

    /// Whether every trace is in the rollups: none lacks a details row (a trace too large to keep at write
    /// time, or one written before this store kept details).
    func rollupsCoverEveryTrace() throws(StoreError) -> Bool {
        try db.scalarInt("SELECT count(*) FROM traces") == db.scalarInt("SELECT count(*) FROM trace_details")
    }

    /// The rollup groups of `grouping` (for `.annotation`, of one key), or nil when some trace is not in the
    /// rollups and only a scan of the rows answers exactly.
    package func statsRollups(_ grouping: RollupGrouping, annotationKey: String? = nil, includeRuns: Bool) throws(StoreError) -> [RollupRow]? {
        // One snapshot for the coverage check, the counts and the histograms, while a daemon keeps writing.
        let snapshot = db.isAutocommit
        if snapshot { try db.execute("BEGIN") }
        defer { if snapshot { try? db.execute("COMMIT") } }
        guard try rollupsCoverEveryTrace() else { return nil }
        var parameters: [SQLValue] = [.int(grouping.rawValue), .int(includeRuns ? 1 : 0)]
        var condition = "grouping=? AND (runs=0 OR ?)"
        if grouping == .annotation {
            condition += " AND name=?"
            parameters.append(.text(annotationKey ?? ""))
        }
        struct GroupKey: Hashable { var name: String; var annotation: AnnotationValue? }
        func key(_ s: SQLiteStatement) -> GroupKey {
            let annotation: AnnotationValue? =
                switch s.int(1) {
                case 0: .string(s.text(2) ?? "")
                case 1: .number(s.double(2))
                case 2: .bool(s.bool(2))
                default: nil
                }
            return GroupKey(name: s.text(0) ?? "", annotation: annotation)
        }
        var rows: [RollupRow] = []
        var index: [GroupKey: Int] = [:]
        try self.rows(
            """
            SELECT name, value_type, value, sum(count), sum(ok), sum(error), sum(fault), sum(throttle) FROM stats_rollups
            WHERE \(condition) GROUP BY name, value_type, value HAVING sum(count)>0
            """, parameters
        ) { s in
            let k = key(s)
            index[k] = rows.count
            rows.append(RollupRow(name: k.name, annotation: k.annotation, count: s.int(3), ok: s.int(4), error: s.int(5), fault: s.int(6), throttle: s.int(7)))
        }
        // The histogram rows in primary-key order, summed here rather than by a GROUP BY: SQLite would sort
        // every bucket row (100,000 for a key with 10,000 values) through a temporary b-tree, where the key
        // order already puts a group's rows (with and without runs) next to each other.
        var current: (key: GroupKey, row: Int?)?
        try self.rows(
            """
            SELECT name, value_type, value, bucket, count FROM stats_histograms
            WHERE \(condition) ORDER BY grouping, name, value_type, value, runs, bucket
            """, parameters
        ) { s in
            let k = key(s)
            if current?.key != k { current = (k, index[k]) }
            guard let i = current?.row else { return }
            rows[i].buckets[s.int(3), default: 0] += s.int(4)
        }
        for i in rows.indices where rows[i].buckets.values.contains(where: { $0 <= 0 }) { rows[i].buckets = rows[i].buckets.filter { $0.value > 0 } }
        return rows
    }
}
