import XRayRender
import XRayWire

/// The analyses of one assembled trace, as pure functions over its flat entries: each walks the entries once
/// (children are already sorted by start), so the work is linear in the size of the trace.
package enum TraceAnalysis {
    /// Every finding in one trace, in entry order.
    package static func findings(_ tree: TraceTree, options: InsightsOptions) -> [Finding] {
        var out: [Finding] = []
        let origin = tree.startTime
        let entries = tree.entries
        for (i, entry) in entries.enumerated() {
            out += callFindings(tree, parent: i, options: options)
            guard let end = entry.entity.endTime, end.isFinite, entry.entity.startTime.isFinite, !isRunSegment(entry) else { continue }
            let cover = coverage(tree, i)
            if cover.own > options.slow {
                out.append(
                    Finding(
                        kind: .slowSpan, traceID: tree.traceID, path: path(tree, i), entityID: entry.entity.id,
                        call: nil, count: nil, time: cover.own, first: entry.entity.startTime - origin, last: nil,
                        evidence:
                            "\(Durations.short(cover.own)) of its own time (\(Durations.short(end - entry.entity.startTime)) in all), over the \(Durations.short(options.slow)) threshold",
                        hint: entry.children.isEmpty
                            ? "profile this work, or wrap its slow parts in subsegments to see where the time goes"
                            : "the time is spent outside its subsegments: add subsegments there, or move that work off the request path"))
            }
            if entry.entity.kind == .segment, !entry.children.isEmpty {
                for g in cover.gaps where g.length > options.gap {
                    out.append(
                        Finding(
                            kind: .gap, traceID: tree.traceID, path: path(tree, i), entityID: entry.entity.id,
                            call: nil, count: nil, time: g.length, first: g.start - origin, last: nil,
                            evidence: "\(Durations.short(g.length)) with no subsegment running, from +\(Durations.short(g.start - origin))",
                            hint: "untraced work (CPU, locks, an unpatched client): add a subsegment or patch the library it calls"))
                }
            }
        }
        out += hiddenErrors(tree)
        return out
    }

    /// The segment `xray run` records for the command itself (`aws.xray.sdk` is `xray run`): it lasts as long
    /// as the command, so its own time and gaps say nothing about any request.
    package static func isRunSegment(_ entry: TraceEntry) -> Bool {
        entry.entity.kind == .segment
            && entry.fields["aws"]?.objectValue?["xray"]?.objectValue?["sdk"]?.stringValue == "xray run"
    }

    /// An entity's own time (its duration minus the union of its children's spans, clipped to it) and the
    /// stretches of it no child covers.
    package static func coverage(_ tree: TraceTree, _ index: Int) -> (own: Double, gaps: [(start: Double, length: Double)]) {
        let e = tree.entries[index].entity
        guard let end = e.endTime, end >= e.startTime else { return (0, []) }
        var gaps: [(start: Double, length: Double)] = []
        var covered = 0.0
        var cursor = e.startTime
        for c in tree.entries[index].children {
            let child = tree.entries[c].entity
            guard let childEnd = child.endTime, childEnd.isFinite, child.startTime.isFinite else { continue }
            let from = max(child.startTime, e.startTime), to = min(childEnd, end)
            guard to > from else { continue }
            if from > cursor {
                gaps.append((cursor, from - cursor))
                cursor = from
            }
            if to > cursor {
                covered += to - max(from, cursor)
                cursor = to
            }
        }
        if end > cursor { gaps.append((cursor, end - cursor)) }
        return (max(0, end - e.startTime - covered), gaps)
    }

    /// The key a call groups under: `SQL <query>` or `HTTP <method> <url>`, shaped or exact; nil for an
    /// entity that is not a call.
    package static func callKey(_ entry: TraceEntry, shaped: Bool) -> String? {
        if case .object(let sql)? = entry.fields["sql"], let query = sql["sanitized_query"]?.stringValue {
            if shaped { return "SQL " + Shape.sql(query) }
            // Placeholders hide the values: two calls with the same text may fetch different rows.
            return Shape.hasPlaceholders(query) ? nil : "SQL " + query
        }
        guard entry.entity.kind == .subsegment, let url = entry.entity.httpURL else { return nil }
        let method = entry.entity.httpMethod ?? "GET"
        return "HTTP \(method) " + (shaped ? Shape.url(url) : url)
    }

    /// N+1 and repeated identical calls among the direct children of one entity.
    static func callFindings(_ tree: TraceTree, parent: Int, options: InsightsOptions) -> [Finding] {
        let children = tree.entries[parent].children
        guard children.count >= 2 else { return [] }
        var out: [Finding] = []
        for shaped in [true, false] {
            var groups: [String: [Int]] = [:]
            var order: [String] = []
            for c in children {
                guard let key = callKey(tree.entries[c], shaped: shaped) else { continue }
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(c)
            }
            let minimum = shaped ? max(2, options.nPlusOne) : 2
            for key in order {
                guard let calls = groups[key], calls.count >= minimum, let firstCall = calls.first, let lastCall = calls.last else { continue }
                let origin = tree.startTime
                var total = 0.0
                for c in calls { total += tree.entries[c].entity.duration ?? 0 }
                let first = tree.entries[firstCall].entity.startTime - origin
                let last = tree.entries[lastCall].entity.startTime - origin
                let isSQL = key.hasPrefix("SQL ")
                let call = String(key.dropFirst(isSQL ? 4 : 5))
                out.append(
                    Finding(
                        kind: shaped ? .nPlusOne : .repeatedCall, traceID: tree.traceID, path: path(tree, parent),
                        entityID: tree.entries[parent].entity.id, call: call, count: calls.count, time: total,
                        first: first, last: last,
                        evidence:
                            "\(calls.count) × \(isSQL ? "SQL" : "HTTP") \(call): \(Durations.short(total)) in all, first at +\(Durations.short(first)), last at +\(Durations.short(last))",
                        hint: shaped
                            ? (isSQL
                                ? "fetch the rows in one query (a join, or IN (...) over the ids), e.g. select_related/prefetch_related"
                                : "use a batch endpoint, or fetch these in one request")
                            : "the same call repeats with the same input: reuse the first result or cache it"))
            }
        }
        return out
    }

    /// Errors and faults below a root segment that answered 2xx: the deepest flagged entities only, where the
    /// problem started rather than every entity it propagated through.
    static func hiddenErrors(_ tree: TraceTree) -> [Finding] {
        var out: [Finding] = []
        let origin = tree.startTime
        for r in tree.rootIndexes {
            let root = tree.entries[r].entity
            guard root.kind == .segment, let status = root.httpStatus, (200..<300).contains(status), !root.fault, !root.error else { continue }
            for i in (r + 1)..<(r + tree.entries[r].subtreeCount) {
                let e = tree.entries[i].entity
                guard e.fault || e.error else { continue }
                if tree.entries[i].children.contains(where: { tree.entries[$0].entity.fault || tree.entries[$0].entity.error }) { continue }
                let what = e.fault ? "fault" : "error"
                let cause = e.cause.map { ": \($0)" } ?? (e.httpStatus.map { ": HTTP \($0)" } ?? "")
                out.append(
                    Finding(
                        kind: .hiddenError, traceID: tree.traceID, path: path(tree, i), entityID: e.id,
                        call: nil, count: nil, time: e.duration ?? 0, first: e.startTime - origin, last: nil,
                        evidence: "a \(what)\(cause), while \(root.name) answered \(status)",
                        hint: "a swallowed failure: handle it explicitly, or let it fail the request"))
            }
        }
        return out
    }

    /// From the root that ends last, each step is the child that finished last: the entity its parent was
    /// still waiting on when it ended. Nil for a trace with nothing finished.
    /// `xray run`'s own segment is not a step: it lasts as long as the command, so a trace holding only it (the
    /// run's trace of a command that traced nothing under it) has no critical path, and one whose requests hang
    /// under it starts at the latest-ending of them, timed from its own start.
    package static func criticalPath(_ tree: TraceTree) -> CriticalPath? {
        func end(_ i: Int) -> Double { tree.entries[i].entity.endTime ?? -.infinity }
        func latest(_ indexes: [Int]) -> Int? {
            guard let i = indexes.max(by: { end($0) < end($1) }), end(i).isFinite else { return nil }
            return i
        }
        guard var current = latest(tree.rootIndexes) else { return nil }
        while isRunSegment(tree.entries[current]) {
            guard let next = latest(tree.entries[current].children) else { return nil }
            current = next
        }
        let start = tree.entries[current].entity.startTime
        let duration = end(current) - start
        var steps: [CriticalStep] = []
        while true {
            let e = tree.entries[current].entity
            steps.append(CriticalStep(name: e.name, entityID: e.id, duration: e.duration ?? 0, ownTime: coverage(tree, current).own))
            guard let next = latest(tree.entries[current].children) else { break }
            current = next
        }
        return CriticalPath(traceID: tree.traceID, duration: duration, steps: steps)
    }

    /// Names from the root down to entry `index`; past 32 levels only the nearest 32, after `…`.
    package static func path(_ tree: TraceTree, _ index: Int) -> [String] {
        var names: [String] = []
        var i: Int? = index
        while let j = i, names.count < 32 {
            names.append(tree.entries[j].entity.name)
            i = tree.entries[j].parent
        }
        if i != nil { names.append("…") }
        return names.reversed()
    }
}

/// `value` with `decimals` digits after the point: the views' formatting.
func fixed(_ value: Double, decimals: Int) -> String { Format.fixed(value, decimals: decimals) }
