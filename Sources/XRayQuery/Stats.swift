import XRayRender
import XRayStore
import XRayWire

/// What `xray inspect stats --by` groups on.
package enum StatsGrouping: Sendable, Hashable {
    /// One group with every matching trace.
    case none
    /// Every service node (segment or inferred node) of the matching traces, by name: its own calls.
    case service
    /// The entry point: root segment name, HTTP method and URL path (no query string).
    case operation
    /// The root segment's full URL.
    case url
    /// The values of one annotation; a trace counts once per distinct value, traces without it are left out.
    case annotation(String)

    /// Parses `service`, `operation`, `url` or `annotation.KEY`; nil for anything else.
    package init?(grouping argument: String) {
        switch argument.lowercased() {
        case "service": self = .service
        case "operation": self = .operation
        case "url": self = .url
        default:
            guard argument.lowercased().hasPrefix("annotation."), argument.count > "annotation.".count else { return nil }
            self = .annotation(String(argument.dropFirst("annotation.".count)))
        }
    }
}

/// Counts, rates and response-time percentiles of one group.
package struct StatsRow: Sendable, Hashable {
    package var key: String
    package var count = 0
    package var ok = 0
    package var error = 0
    package var fault = 0
    package var throttle = 0
    /// Response times in seconds (in-progress entries have none), sorted once all rows are in.
    var times: [Double] = []
    /// Whether the percentiles come from the store's rollups (`DurationSketch`: each within
    /// `DurationSketch.relativeAccuracy` of the exact nearest-rank value) rather than from every time.
    package var approximate = false
    /// For approximate rows: response times as sketch buckets (index, count), in ascending order.
    var buckets: [StatsBucket] = []

    struct StatsBucket: Sendable, Hashable {
        var index: Int
        var count: Int
    }

    /// Nearest-rank percentile of the response times, in seconds; nil when none is known.
    package func percentile(_ p: Double) -> Double? {
        if approximate {
            let total = buckets.reduce(0) { $0 + $1.count }
            guard total > 0 else { return nil }
            let rank = min(max(Int((p / 100 * Double(total)).rounded(.up)), 1), total)
            var seen = 0
            for b in buckets {
                seen += b.count
                if seen >= rank { return DurationSketch.value(ofBucket: b.index) }
            }
            return buckets.last.map { DurationSketch.value(ofBucket: $0.index) }
        }
        guard !times.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(times.count)).rounded(.up))
        return times[min(max(rank, 1), times.count) - 1]
    }

    package var maximum: Double? { approximate ? buckets.last.map { DurationSketch.value(ofBucket: $0.index) } : times.last }

    package func rate(_ n: Int) -> Double { count == 0 ? 0 : Double(n) / Double(count) }
}

/// `xray inspect stats`: groups the matching traces (or their service nodes) and summarises each group.
package enum TraceStats {
    /// The groups of the matching traces. Without a filter, window or run, and unless `exact`, from the
    /// rollups the store keeps at write time (counts exact, percentiles approximate) when they cover every
    /// trace; otherwise from every matching row.
    package static func compute(_ query: TraceQuery, by grouping: StatsGrouping, engine: QueryEngine, exact: Bool = false) throws(QueryError) -> [StatsRow] {
        if !exact, query.filter == nil, query.start == nil, query.end == nil, query.run == nil,
            let rows = try fromRollups(grouping, includeRuns: query.includeRuns, engine: engine)
        {
            return rows
        }
        let filter = try engine.whereClause(query)
        let group: StatsSampleGroup
        switch grouping {
        case .none: group = .all
        case .service:
            var fragments = FilterCompiler(groups: [:])
            fragments.serviceNode("c")
            group = .serviceNodes(isNode: fragments.sql + (query.includeRuns ? "" : ServiceGraph.notRunSQL))
        case .operation: group = .operation
        case .url: group = .url
        case .annotation(let key): group = .annotation(key)
        }
        // Without a filter or window every trace counts: service nodes need no join.
        let everyTrace = query.filter == nil && query.start == nil && query.end == nil && query.run == nil && query.includeRuns
        var rows: [String: StatsRow] = [:]
        var order: [String] = []
        try engine.reading { () throws(StoreError) in
            try engine.store.statsSamples(group, matching: filter, everyTrace: everyTrace) { sample in
                let key =
                    switch (grouping, sample.annotation) {
                    case (.operation, _): operationKey(sample.group)
                    case (_, .string(let text)?): text
                    case (_, let value?): value.displayText
                    case (_, nil): sample.group
                    }
                if rows[key] == nil {
                    rows[key] = StatsRow(key: key)
                    order.append(key)
                }
                rows[key]?.count += 1
                if sample.error { rows[key]?.error += 1 }
                if sample.fault { rows[key]?.fault += 1 }
                if sample.throttle { rows[key]?.throttle += 1 }
                if !sample.error && !sample.fault && !sample.throttle { rows[key]?.ok += 1 }
                if let time = sample.responseTime { rows[key]?.times.append(time) }
            }
        }
        return order.compactMap { key in
            guard var row = rows[key] else { return nil }
            row.times.sort()
            return row
        }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }
    }

    /// The groups from the store's rollups, keyed and ordered as the scan keys and orders them; nil when the
    /// rollups do not cover every trace.
    static func fromRollups(_ grouping: StatsGrouping, includeRuns: Bool, engine: QueryEngine) throws(QueryError) -> [StatsRow]? {
        let (rollup, annotationKey): (RollupGrouping, String?) =
            switch grouping {
            case .none: (.all, nil)
            case .service: (.service, nil)
            case .operation: (.operation, nil)
            case .url: (.url, nil)
            case .annotation(let key): (.annotation, key)
            }
        guard
            let groups = try engine.reading({ () throws(StoreError) in
                try engine.store.statsRollups(rollup, annotationKey: annotationKey, includeRuns: includeRuns)
            })
        else { return nil }
        // Most keys name one group; the few that name several (one operation's URLs with different query
        // strings, the number 1 and the string "1") merge theirs.
        var rows: [StatsRow] = []
        var index: [String: Int] = [:]
        for g in groups {
            let key =
                switch (grouping, g.annotation) {
                case (.operation, _): operationKey(g.name)
                case (_, .string(let text)?): text
                case (_, let value?): value.displayText
                case (_, nil): g.name
                }
            let buckets = g.buckets.sorted { $0.key < $1.key }.map { StatsRow.StatsBucket(index: $0.key, count: $0.value) }
            guard let i = index[key] else {
                index[key] = rows.count
                rows.append(
                    StatsRow(
                        key: key, count: g.count, ok: g.ok, error: g.error, fault: g.fault, throttle: g.throttle, approximate: true,
                        buckets: buckets))
                continue
            }
            rows[i].count += g.count
            rows[i].ok += g.ok
            rows[i].error += g.error
            rows[i].fault += g.fault
            rows[i].throttle += g.throttle
            rows[i].buckets = merged(rows[i].buckets, buckets)
        }
        return rows.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }
    }

    /// Two ascending bucket lists as one, counts of the same bucket added.
    static func merged(_ a: [StatsRow.StatsBucket], _ b: [StatsRow.StatsBucket]) -> [StatsRow.StatsBucket] {
        var out: [StatsRow.StatsBucket] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].index < b[j].index) {
                out.append(a[i])
                i += 1
            } else if i == a.count || b[j].index < a[i].index {
                out.append(b[j])
                j += 1
            } else {
                out.append(StatsRow.StatsBucket(index: a[i].index, count: a[i].count + b[j].count))
                i += 1
                j += 1
            }
        }
        return out
    }

    /// `name METHOD url` with the URL cut to its path.
    static func operationKey(_ raw: String) -> String {
        let parts = raw.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return raw }
        return "\(parts[0]) \(parts[1]) \(URLPath.path(of: String(parts[2])))"
    }

    /// Output formats of `xray inspect stats`.
    package enum Format: String, Sendable, CaseIterable {
        case table, json, csv
    }

    static func ms(_ seconds: Double?) -> String { seconds.map(Durations.preciseMilliseconds) ?? "" }

    static func percent(_ r: Double) -> String { String((r * 1000).rounded() / 10) + "%" }

    package static func render(_ rows: [StatsRow], by grouping: StatsGrouping, format: Format) -> String {
        let keyName =
            switch grouping {
            case .none: "group"
            case .service: "service"
            case .operation: "operation"
            case .url: "url"
            case .annotation(let k): "annotation." + k
            }
        switch format {
        case .json:
            return JSONWriter.prettyString(
                .array(
                    rows.map { r in
                        func num(_ d: Double?) -> JSONValue { d.map { .number(JSONNumber(($0 * 1e6).rounded() / 1e6)) } ?? .null }
                        return .object(
                            JSONObject([
                                (keyName, .string(r.key)), ("count", .number(JSONNumber(r.count))), ("ok", .number(JSONNumber(r.ok))),
                                ("error", .number(JSONNumber(r.error))), ("fault", .number(JSONNumber(r.fault))),
                                ("throttle", .number(JSONNumber(r.throttle))),
                                ("ok_rate", num(r.rate(r.ok))), ("error_rate", num(r.rate(r.error))),
                                ("fault_rate", num(r.rate(r.fault))), ("throttle_rate", num(r.rate(r.throttle))),
                                ("p50", num(r.percentile(50))), ("p90", num(r.percentile(90))), ("p99", num(r.percentile(99))),
                                ("max", num(r.maximum)), ("percentiles", .string(r.approximate ? "within 1%" : "exact")),
                            ]))
                    })) + "\n"
        case .csv:
            var out = CSV.row([
                keyName, "count", "ok", "error", "fault", "throttle", "ok_rate", "error_rate", "fault_rate",
                "throttle_rate", "p50_ms", "p90_ms", "p99_ms", "max_ms",
            ])
            for r in rows {
                out += CSV.row([
                    r.key, String(r.count), String(r.ok), String(r.error), String(r.fault), String(r.throttle),
                    String(r.rate(r.ok)), String(r.rate(r.error)), String(r.rate(r.fault)), String(r.rate(r.throttle)),
                    ms(r.percentile(50)), ms(r.percentile(90)), ms(r.percentile(99)), ms(r.maximum),
                ])
            }
            return out
        case .table:
            let header = [keyName.uppercased(), "COUNT", "OK", "ERROR", "FAULT", "THROTTLE", "P50 MS", "P90 MS", "P99 MS", "MAX MS"]
            let body = rows.map { r in
                [
                    r.key, String(r.count), "\(r.ok) (\(percent(r.rate(r.ok))))", "\(r.error) (\(percent(r.rate(r.error))))",
                    "\(r.fault) (\(percent(r.rate(r.fault))))", "\(r.throttle) (\(percent(r.rate(r.throttle))))",
                    ms(r.percentile(50)), ms(r.percentile(90)), ms(r.percentile(99)), ms(r.maximum),
                ]
            }
            return TextTable.render(header: header, rows: body, alignments: [.left] + Array(repeating: .right, count: header.count - 1))
        }
    }
}
