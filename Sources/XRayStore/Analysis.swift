import XRayWire

/// What makes an entity a service node, as SQL the filter compiler writes (XRayQuery's `FilterCompiler`),
/// over the aliases the store's statements use: `c` for the node, `p` for its parent.
package struct ServiceNodeSQL: Sendable, Hashable {
    /// True when `c` is a service node.
    package var isNode: String
    /// The id of the segment that owns `p`, and of the one that owns `c`.
    package var parentSegment: String
    package var ownSegment: String

    package init(isNode: String, parentSegment: String, ownSegment: String) {
        self.isNode = isNode
        self.parentSegment = parentSegment
        self.ownSegment = ownSegment
    }
}

/// One service node of a stored trace, with the segment that called it.
package struct ServiceNodeRow: Sendable {
    package var name: String
    package var origin: String?
    package var kind: Int
    package var namespace: String?
    package var error: Bool
    package var fault: Bool
    package var throttle: Bool
    package var responseTime: Double?
    /// The calling segment's name and origin; nil when the caller is not stored (the client).
    package var caller: (name: String, origin: String?)?
    package var start: Double
    /// The end, or the start while in progress.
    package var end: Double
}

/// What `xray inspect stats` groups the samples it reads by.
package enum StatsSampleGroup: Sendable, Hashable {
    /// One sample per trace, all in one group.
    case all
    /// One sample per service node (`isNode` over alias `c`), grouped by its name.
    case serviceNodes(isNode: String)
    /// One sample per trace, grouped by `root_name http_method http_url` (each `-` when absent).
    case operation
    /// One sample per trace, grouped by the root URL.
    case url
    /// One sample per trace and distinct value of this annotation key.
    case annotation(String)
}

/// One trace's (or service node's) outcome, for stats.
package struct StatsSample: Sendable {
    /// The group's text; for `.annotation`, empty and `annotation` holds the value.
    package var group: String
    package var annotation: AnnotationValue?
    package var error: Bool
    package var fault: Bool
    package var throttle: Bool
    package var responseTime: Double?
}

extension TraceStore {
    /// The service nodes of the traces `filter` matches.
    package func serviceNodes(
        ofTracesMatching filter: SQLFilter, _ node: ServiceNodeSQL, each: (ServiceNodeRow) -> Void
    ) throws(StoreError) {
        try rows(Self.nodeSQL(where: "c.trace_id IN (SELECT t.trace_id FROM traces t WHERE \(filter.sql))", node), filter.parameters) {
            each(Self.serviceNode($0))
        }
    }

    /// The service nodes of one trace.
    package func serviceNodes(traceID: String, _ node: ServiceNodeSQL, each: (ServiceNodeRow) -> Void) throws(StoreError) {
        try rows(Self.nodeSQL(where: "c.trace_id=?", node), [.text(traceID)]) { each(Self.serviceNode($0)) }
    }

    /// One row per service node of the entities matching `condition` (over alias `c`), with its caller's
    /// segment as `name \u{1F} origin` (NULL when the caller is not stored: the client).
    static func nodeSQL(where condition: String, _ node: ServiceNodeSQL) -> String {
        """
        SELECT c.name, c.origin, c.kind, c.namespace, c.error, c.fault, c.throttle, c.end_time-c.start_time,
            CASE WHEN c.kind=0 THEN (SELECT s.name || char(31) || coalesce(s.origin,'') FROM entities p JOIN entities s
                ON s.trace_id=p.trace_id AND s.id=\(node.parentSegment) WHERE p.trace_id=c.trace_id AND p.id=c.parent_id AND s.kind=0)
            ELSE (SELECT s2.name || char(31) || coalesce(s2.origin,'') FROM entities s2 WHERE s2.trace_id=c.trace_id
                AND s2.id=\(node.ownSegment) AND s2.kind=0) END,
            c.start_time, coalesce(c.end_time, c.start_time)
        FROM entities c WHERE \(condition) AND \(node.isNode)
        """
    }

    static func serviceNode(_ s: SQLiteStatement) -> ServiceNodeRow {
        var caller: (name: String, origin: String?)?
        if let callerKey = s.text(8) {
            let parts = callerKey.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            caller = (String(parts[0]), parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil)
        }
        return ServiceNodeRow(
            name: s.text(0) ?? "", origin: s.text(1), kind: s.int(2), namespace: s.text(3), error: s.bool(4), fault: s.bool(5),
            throttle: s.bool(6), responseTime: s.optionalDouble(7), caller: caller, start: s.double(9), end: s.double(10))
    }

    /// The samples stats count for the traces `filter` matches; `everyTrace` says the filter matches all of
    /// them, so service nodes are read from the entities alone, without a join.
    package func statsSamples(
        _ group: StatsSampleGroup, matching filter: SQLFilter, everyTrace: Bool, each: (StatsSample) -> Void
    ) throws(StoreError) {
        var parameters = filter.parameters
        let sql: String
        switch group {
        case .all:
            sql = "SELECT 'all', t.has_error, t.has_fault, t.has_throttle, t.response_time FROM traces t WHERE \(filter.sql)"
        case .serviceNodes(let isNode):
            sql =
                everyTrace
                ? "SELECT c.name, c.error, c.fault, c.throttle, c.end_time-c.start_time FROM entities c WHERE \(isNode)"
                : """
                SELECT c.name, c.error, c.fault, c.throttle, c.end_time-c.start_time FROM traces t
                JOIN entities c ON c.trace_id=t.trace_id WHERE (\(filter.sql)) AND \(isNode)
                """
        case .operation:
            sql = """
                SELECT coalesce(t.root_name,'-') || ' ' || coalesce(t.http_method,'-') || ' ' || coalesce(t.http_url,'-'),
                    t.has_error, t.has_fault, t.has_throttle, t.response_time FROM traces t WHERE \(filter.sql)
                """
        case .url:
            sql = "SELECT coalesce(t.http_url,'-'), t.has_error, t.has_fault, t.has_throttle, t.response_time FROM traces t WHERE \(filter.sql)"
        case .annotation(let key):
            sql = """
                SELECT DISTINCT t.trace_id, a.type, a.value, t.has_error, t.has_fault, t.has_throttle, t.response_time
                FROM traces t JOIN annotations a ON a.trace_id=t.trace_id AND a.key=? WHERE \(filter.sql)
                """
            parameters.insert(.text(key), at: 0)
        }
        try rows(sql, parameters) { s in
            guard case .annotation = group else {
                each(
                    StatsSample(
                        group: s.text(0) ?? "", annotation: nil, error: s.bool(1), fault: s.bool(2), throttle: s.bool(3),
                        responseTime: s.optionalDouble(4)))
                return
            }
            let value: AnnotationValue =
                switch s.int(1) {
                case 1: .number(s.double(2))
                case 2: .bool(s.bool(2))
                default: .string(s.text(2) ?? "")
                }
            each(
                StatsSample(
                    group: "", annotation: value, error: s.bool(3), fault: s.bool(4), throttle: s.bool(5),
                    responseTime: s.optionalDouble(6)))
        }
    }
}
