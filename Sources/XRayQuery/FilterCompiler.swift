import XRayStore

/// A filter compiled to a boolean SQL expression over the `traces` table (aliased `t`), with its bound values.
///
/// The SQL text comes only from this file's fixed fragments; every value from the user is a `?` parameter
/// in `parameters`, in order. The store runs it (`TraceStore.traceSummaries(matching:order:limit:)`).
package typealias CompiledFilter = SQLFilter

/// Compiles a `FilterExpression` to SQL over the store's `traces`, `entities`, `annotations` and `documents` tables.
///
/// Local semantics (X-Ray's documentation leaves them open; see `man xray-inspect`, FILTER EXPRESSIONS):
/// - Simple keywords describe the trace through its root segment (`traces` summary row): `ok` means the root
///   has none of error/fault and no entity throttled; `throttle` and `partial` look at every entity; `user`,
///   `message`, `availabilityzone`, `instance.id`, `resource.arn` and annotations match if any entity has them.
/// - A field that is absent makes every comparison false, `!=` included (as SQL's NULL does), and `!kw` its negation.
/// - A service node is a segment, or a remote subsegment (namespace `aws` or `remote`) with no downstream segment
///   of its own: X-Ray's inferred node. Its service is the segment that records it.
/// - `edge(a, b)` is a node of service `b` whose caller is service `a`: for a segment, the service of its parent;
///   for an inferred node, the service that records it. Its block is evaluated on the `b` end.
/// - Root causes: for fault and error, an entity with the flag none of whose children has it; for responsetime,
///   the slowest leaf. The entity path runs from its service's segment down to it; the service path from the
///   trace's entry segment down to its service. `index` counts from 0 at the top of a path, `first` is index 0,
///   `last` the root cause's end, `coverage` an entity's duration over the trace's response time.
package struct FilterCompiler {
    /// Saved groups by name, as filter text: what `group.name = "g"` refers to.
    var groups: [String: String]
    var sql = ""
    var parameters: [SQLValue] = []
    var aliasCounter = 0
    var groupStack: [String] = []
    /// Group references inlined so far: groups that name a group twice would otherwise double the SQL with every
    /// level (2^n for n levels), so both the count and the depth are bounded.
    var groupReferences = 0
    static let maxGroupReferences = FilterParser.maxTerms
    static let maxGroupDepth = 8
    /// Inside a NOT within the current WHERE scope: there a NULL comparison must read as false explicitly
    /// (`coalesce(x>?,0)`); elsewhere the bare comparison is left so that SQLite can use an index on `x`.
    var negated = false
    /// Whether `xray run`'s own segments (origin `TraceStore.runOrigin`) are service nodes of `service()` and
    /// `edge()`: they are not unless asked (`--include-runs`), as in stats and the graph, so that a run's
    /// segment is neither a service a filter finds nor the caller of the app it started.
    var includeRuns = true

    /// Compiles `expression`, resolving `group.name` terms through `groups`.
    ///
    /// - Throws: `QueryError.unknownGroup` for a group that is not saved, `.groupCycle` when groups refer to each
    ///   other, and parse errors of a saved group's filter.
    package static func compile(
        _ expression: FilterExpression, groups: [String: String] = [:], includeRuns: Bool = true
    ) throws(QueryError) -> CompiledFilter {
        var compiler = FilterCompiler(groups: groups)
        compiler.includeRuns = includeRuns
        try compiler.trace(expression)
        return CompiledFilter(sql: compiler.sql, parameters: compiler.parameters)
    }

    /// Where a node-level term is evaluated: an `entities` row alias, and for root cause blocks its path position.
    struct Node {
        var alias: String
        var index: String?
        var last: String?
        var coverage = false
    }

    mutating func emit(_ text: String) { sql += text }

    /// Starts the WHERE of an EXISTS or IN subquery: a scope of its own, whose NULLs SQLite reads as false.
    /// Returns the outer state for the caller to restore (with `defer`).
    mutating func enterSubquery() -> Bool {
        let outer = negated
        negated = false
        return outer
    }

    mutating func bind(_ value: SQLValue) {
        sql += "?"
        parameters.append(value)
    }

    mutating func newAlias(_ prefix: String) -> String {
        aliasCounter += 1
        return "\(prefix)\(aliasCounter)"
    }

    // MARK: AND/OR chains

    /// The operands of a chain of one operator, left to right, found without recursion: the parser builds
    /// `a AND b AND c` as a left-leaning tree as deep as the chain is long.
    static func operands(_ e: FilterExpression, and: Bool) -> [FilterExpression] {
        var out: [FilterExpression] = []
        var stack = [e]
        while let x = stack.popLast() {
            switch x {
            case .and(let a, let b) where and, .or(let a, let b) where !and:
                stack.append(b)
                stack.append(a)
            default: out.append(x)
            }
        }
        return out
    }

    /// Operands per level of parentheses in a chain.
    static let chainFanOut = 32

    /// Emits `items` joined by `op`, at most `chainFanOut` to a level of parentheses: SQLite's parser stack
    /// (100 entries in most builds) overflows on a few dozen nested parentheses, and its expression depth
    /// limit (1000) on a flat chain of a thousand terms; this keeps both to a few levels of 32.
    mutating func chain(_ items: ArraySlice<FilterExpression>, _ op: String, at n: Node?) throws(QueryError) {
        if items.count == 1, let only = items.first {
            if let n { try node(only, n) } else { try trace(only) }
            return
        }
        let size = (items.count + Self.chainFanOut - 1) / Self.chainFanOut
        emit("(")
        var start = items.startIndex
        while start < items.endIndex {
            if start > items.startIndex { emit(" \(op) ") }
            let end = min(start + size, items.endIndex)
            try chain(items[start..<end], op, at: n)
            start = end
        }
        emit(")")
    }

    /// `!x`, `!!x`...: an even run of negations is `x` itself (each NOT reads NULL as false, see `negated`),
    /// an odd run one NOT; so `!!!!` costs SQLite's parser nothing.
    mutating func negation(_ e: FilterExpression, at n: Node?) throws(QueryError) {
        var inner = e, count = 0
        while case .not(let x) = inner {
            inner = x
            count += 1
        }
        let outer = negated
        if count % 2 == 1 {
            negated = true
            emit("NOT (")
        }
        if let n { try node(inner, n) } else { try trace(inner) }
        if count % 2 == 1 { emit(")") }
        negated = outer
    }

    // MARK: trace level

    mutating func trace(_ e: FilterExpression) throws(QueryError) {
        switch e {
        case .and: try chain(Self.operands(e, and: true)[...], "AND", at: nil)
        case .or: try chain(Self.operands(e, and: false)[...], "OR", at: nil)
        case .not: try negation(e, at: nil)
        case .flag(let keyword): traceFlag(keyword)
        case .number(let keyword, let op, let value):
            let column =
                switch keyword {
                case .responseTime: "t.response_time"
                case .duration: "t.duration"
                case .httpStatus: "t.http_status"
                // The parser admits index and coverage only inside root cause blocks.
                case .index, .coverage: "NULL"
                }
            compare(column, op, value)
        case .numberIsSet(let keyword):
            let column =
                switch keyword {
                case .responseTime: "t.response_time"
                case .duration: "t.duration"
                case .httpStatus: "t.http_status"
                case .index, .coverage: "NULL"
                }
            emit("\(column) IS NOT NULL")
        case .string(let keyword, let op, let value): traceString(keyword, op, value)
        case .annotation(let key, let test): annotation(key, test)
        case .service(let selector, let block):
            let outer = enterSubquery()
            defer { negated = outer }
            // Segments and inferred nodes as two ranges of entities_by_name(name, kind, flags, times): a flag or a
            // time in the block narrows or is read from the index itself, and only inferred candidates (kind 1)
            // cost a row lookup.
            emit("t.trace_id IN (")
            for kind in [0, 1] {
                let a = newAlias("s")
                emit(kind == 0 ? "SELECT " : " UNION ALL SELECT ")
                emit("\(a).trace_id FROM entities \(a) WHERE ")
                if let selector { try match(a, selector); emit(" AND ") }
                emit("\(a).kind=\(kind)")
                if kind == 0 { notRun(a, unlessNamed: selector) }
                if let block { emit(" AND "); try node(block, Node(alias: a)) }
                if kind == 1 { emit(" AND "); inferredLookup(a) }
            }
            emit(")")
        case .edge(let from, let to, let block):
            let outer = enterSubquery()
            defer { negated = outer }
            emit("t.trace_id IN (")
            for kind in [0, 1] {
                let c = newAlias("c")
                emit(kind == 0 ? "SELECT " : " UNION ALL SELECT ")
                emit("\(c).trace_id FROM entities \(c) WHERE ")
                try match(c, to)
                emit(" AND \(c).kind=\(kind)")
                if kind == 0 { notRun(c, unlessNamed: to) }
                if let block { emit(" AND "); try node(block, Node(alias: c)) }
                if kind == 1 { emit(" AND "); inferredLookup(c) }
                // On its own row lookup, like inferredLookup: it reads parent_id and document_id.
                let cx = newAlias("cx")
                emit(" AND EXISTS(SELECT 1 FROM entities \(cx) WHERE \(cx).trace_id=\(c).trace_id AND \(cx).id=\(c).id AND ")
                try caller(of: cx, matches: from)
                emit(")")
            }
            emit(")")
        case .rootCause(let kind, let scope, let block): try rootCause(kind, scope, block)
        case .group(let name):
            guard let text = groups[name] else { throw QueryError.unknownGroup(name, known: groups.keys.sorted()) }
            guard !groupStack.contains(name) else { throw QueryError.groupCycle(groupStack + [name]) }
            groupReferences += 1
            guard groupReferences <= Self.maxGroupReferences, groupStack.count < Self.maxGroupDepth else {
                throw QueryError.groupsTooLarge(groupStack.first ?? name, references: Self.maxGroupReferences, depth: Self.maxGroupDepth)
            }
            groupStack.append(name)
            let parsed = try FilterParser.parse(text)
            emit("(")
            try trace(parsed)
            emit(")")
            groupStack.removeLast()
        }
    }

    mutating func traceFlag(_ keyword: BooleanKeyword) {
        switch keyword {
        case .ok: emit("(t.has_error=0 AND t.has_fault=0 AND t.has_throttle=0)")
        case .error: emit("t.has_error=1")
        case .fault: emit("t.has_fault=1")
        case .throttle: emit("t.has_throttle=1")
        case .partial: emit("t.is_partial=1")
        case .inferred:
            let a = newAlias("i")
            emit("t.trace_id IN (SELECT \(a).trace_id FROM entities \(a) WHERE ")
            inferred(a)
            emit(")")
        case .remote:
            emit("t.trace_id IN (SELECT trace_id FROM entities WHERE namespace IN ('aws','remote'))")
        case .root:
            emit("EXISTS(SELECT 1 FROM entities r WHERE r.trace_id=t.trace_id AND r.id=t.root_id AND r.parent_id IS NULL)")
        // The parser admits first and last only inside root cause blocks.
        case .first, .last: emit("0")
        }
    }

    mutating func traceString(_ keyword: StringKeyword, _ op: StringOperator, _ value: String) {
        switch keyword {
        case .httpURL: compare("t.http_url", op, value)
        case .httpMethod: compare("t.http_method", op, value)
        case .name: compare("t.root_name", op, value)
        case .type: compare("t.root_origin", op, value)
        case .httpUserAgent, .httpClientIP:
            let outer = enterSubquery()
            defer { negated = outer }
            emit("EXISTS(SELECT 1 FROM entities r WHERE r.trace_id=t.trace_id AND r.id=t.root_id AND ")
            compare(keyword == .httpUserAgent ? "r.http_user_agent" : "r.http_client_ip", op, value)
            emit(")")
        case .user:
            let a = newAlias("u")
            let outer = enterSubquery()
            defer { negated = outer }
            emit("t.trace_id IN (SELECT \(a).trace_id FROM entities \(a) WHERE ")
            compare("\(a).user", op, value)
            emit(")")
        case .message:
            let d = newAlias("d"), j = newAlias("j")
            let outer = enterSubquery()
            defer { negated = outer }
            emit("EXISTS(SELECT 1 FROM documents \(d), json_tree(\(Self.documentJSON(d))) \(j) WHERE \(d).trace_id=t.trace_id")
            emit(" AND \(j).key='message' AND \(j).type='text' AND \(j).path LIKE '%.cause.exceptions[%]' AND ")
            compare("\(j).atom", op, value)
            emit(")")
        case .availabilityZone, .instanceID, .resourceARN:
            let d = newAlias("d")
            let outer = enterSubquery()
            defer { negated = outer }
            emit("EXISTS(SELECT 1 FROM documents \(d) WHERE \(d).trace_id=t.trace_id AND ")
            compare(Self.documentField(d, keyword), op, value)
            emit(")")
        }
    }

    /// The document's JSON text for SQLite's JSON functions; a document they cannot read (Python's bare NaN) counts as `{}`.
    static func documentJSON(_ d: String) -> String {
        "CASE WHEN json_valid(CAST(\(d).raw AS TEXT)) THEN CAST(\(d).raw AS TEXT) ELSE '{}' END"
    }

    static func documentField(_ d: String, _ keyword: StringKeyword) -> String {
        let path =
            switch keyword {
            case .availabilityZone: "$.aws.ec2.availability_zone"
            case .instanceID: "$.aws.ec2.instance_id"
            default: "$.resource_arn"
            }
        return "json_extract(\(documentJSON(d)), '\(path)')"
    }

    mutating func annotation(_ key: String, _ test: AnnotationTest) {
        let outer = enterSubquery()
        defer { negated = outer }
        emit("t.trace_id IN (SELECT trace_id FROM annotations WHERE key=")
        bind(.text(key))
        switch test {
        case .bare: emit(" AND NOT (type=2 AND value=0)")
        case .string(let op, let value):
            emit(" AND type=0 AND ")
            compare("value", op, value)
        case .number(let op, let value):
            emit(" AND type=1 AND ")
            compare("value", op, value)
        case .bool(let value, let equal):
            emit(" AND type=2 AND value\(equal ? "=" : "!=")")
            bind(.int(value ? 1 : 0))
        }
        emit(")")
    }

    // MARK: comparisons (NULL-safe: an absent field makes every comparison false)

    mutating func compare(_ column: String, _ op: ComparisonOperator, _ value: Double) {
        emit(negated ? "coalesce(\(column)\(op.rawValue)" : "\(column)\(op.rawValue)")
        bind(.double(value))
        if negated { emit(",0)") }
    }

    mutating func compare(_ column: String, _ op: StringOperator, _ value: String) {
        switch op {
        case .equal, .notEqual:
            emit(negated ? "coalesce(\(column)\(op.rawValue)" : "\(column)\(op.rawValue)")
            bind(.text(value))
            if negated { emit(",0)") }
        case .contains:
            emit("coalesce(instr(\(column),")
            bind(.text(value))
            emit(")>0,0)")
        case .beginsWith:
            emit("coalesce(substr(\(column),1,length(")
            bind(.text(value))
            emit("))=")
            bind(.text(value))
            emit(",0)")
        case .endsWith:
            // substr(x, -0) is the whole string, so the empty suffix is handled on its own.
            emit("(\(column) IS NOT NULL AND (")
            bind(.text(value))
            emit("='' OR substr(\(column),-length(")
            bind(.text(value))
            emit("))=")
            bind(.text(value))
            emit("))")
        }
    }

    // MARK: nodes

    /// A service node: a segment, or an inferred node (for scans that read the whole row anyway: stats, the graph).
    mutating func serviceNode(_ a: String) {
        emit("(\(a).kind=0 OR ")
        inferred(a)
        emit(")")
    }

    /// Leaves out run segments unless runs are included or the selector asks for them by type
    /// (`service(type: "xray::Run")`).
    mutating func notRun(_ a: String, unlessNamed selector: NodeSelector?) {
        guard !includeRuns, selector?.type != TraceStore.runOrigin else { return }
        emit(" AND \(a).origin IS NOT '\(TraceStore.runOrigin)'")
    }

    /// `inferred(a)` on its own row lookup: it reads `namespace`, which no index covers, and SQLite does not defer
    /// the row lookup for WITHOUT ROWID tables, so testing it in place would cost a lookup per candidate row.
    mutating func inferredLookup(_ a: String) {
        let x = newAlias("n")
        emit("EXISTS(SELECT 1 FROM entities \(x) WHERE \(x).trace_id=\(a).trace_id AND \(x).id=\(a).id AND ")
        inferred(x)
        emit(")")
    }

    /// A remote subsegment whose callee sent no segment of its own: X-Ray draws it as an inferred node.
    mutating func inferred(_ a: String) {
        let k = newAlias("k")
        emit("(\(a).kind=1 AND \(a).namespace IN ('aws','remote') AND NOT EXISTS(SELECT 1 FROM entities \(k) ")
        emit("WHERE \(k).trace_id=\(a).trace_id AND \(k).parent_id=\(a).id AND \(k).kind=0))")
    }

    mutating func match(_ a: String, _ selector: NodeSelector) throws(QueryError) {
        var parts = 0
        emit("(")
        if let name = selector.name {
            emit("\(a).name=")
            bind(.text(name))
            parts += 1
        }
        if let type = selector.type {
            emit(parts > 0 ? " AND " : "")
            emit("\(a).origin=")
            bind(.text(type))
            parts += 1
        }
        if let account = selector.accountID {
            emit(parts > 0 ? " AND " : "")
            let d = newAlias("d")
            emit("EXISTS(SELECT 1 FROM documents \(d) WHERE \(d).trace_id=\(a).trace_id AND \(d).id=\(a).id AND ")
            emit("json_extract(\(Self.documentJSON(d)), '$.aws.account_id')=")
            bind(.text(account))
            emit(")")
            parts += 1
        }
        if parts == 0 { emit("1") }
        emit(")")
    }

    /// The id of the segment that records entity `x`: itself, the top of its document, or, for a subsegment sent
    /// on its own, the top of its parent's document.
    mutating func owningSegmentID(_ x: String) -> String {
        let d = newAlias("d"), top = newAlias("top"), q = newAlias("q"), qd = newAlias("qd"), qt = newAlias("qt")
        return """
            (CASE WHEN \(x).kind=0 THEN \(x).id ELSE (SELECT CASE WHEN \(top).kind=0 THEN \(top).id ELSE \
            (SELECT \(qt).id FROM entities \(q) JOIN documents \(qd) ON \(qd).rowid=\(q).document_id \
            JOIN entities \(qt) ON \(qt).trace_id=\(qd).trace_id AND \(qt).id=\(qd).id \
            WHERE \(q).trace_id=\(top).trace_id AND \(q).id=\(top).parent_id) END \
            FROM documents \(d) JOIN entities \(top) ON \(top).trace_id=\(d).trace_id AND \(top).id=\(d).id \
            WHERE \(d).rowid=\(x).document_id) END)
            """
    }

    /// The service that calls node `c`: the service of its parent for a segment, the recording service for an inferred node.
    mutating func caller(of c: String, matches selector: NodeSelector) throws(QueryError) {
        let p = newAlias("p"), s = newAlias("svc"), s2 = newAlias("svc")
        let parentSegment = owningSegmentID(p)
        emit("(CASE WHEN \(c).kind=0 THEN EXISTS(SELECT 1 FROM entities \(p) JOIN entities \(s) ON \(s).trace_id=\(p).trace_id ")
        emit("AND \(s).id=\(parentSegment) WHERE \(p).trace_id=\(c).trace_id AND \(p).id=\(c).parent_id AND \(s).kind=0 AND ")
        try match(s, selector)
        notRun(s, unlessNamed: selector)
        let ownSegment = owningSegmentID(c)
        emit(") ELSE EXISTS(SELECT 1 FROM entities \(s2) WHERE \(s2).trace_id=\(c).trace_id AND \(s2).id=\(ownSegment) AND \(s2).kind=0 AND ")
        try match(s2, selector)
        notRun(s2, unlessNamed: selector)
        emit(") END)")
    }

    mutating func node(_ e: FilterExpression, _ n: Node) throws(QueryError) {
        let a = n.alias
        switch e {
        case .and: try chain(Self.operands(e, and: true)[...], "AND", at: n)
        case .or: try chain(Self.operands(e, and: false)[...], "OR", at: n)
        case .not: try negation(e, at: n)
        case .flag(let keyword):
            switch keyword {
            case .ok: emit("(\(a).error=0 AND \(a).fault=0 AND \(a).throttle=0)")
            case .error: emit("\(a).error=1")
            case .fault: emit("\(a).fault=1")
            case .throttle: emit("\(a).throttle=1")
            case .partial: emit("\(a).in_progress=1")
            case .inferred: inferred(a)
            case .remote: emit("coalesce(\(a).namespace IN ('aws','remote'),0)")
            case .root: emit("\(a).parent_id IS NULL")
            case .first: emit(n.index.map { "(\($0))=0" } ?? "0")
            case .last: emit(n.last ?? "0")
            }
        case .number(let keyword, let op, let value):
            switch keyword {
            case .responseTime, .duration: compare("(\(a).end_time-\(a).start_time)", op, value)
            case .httpStatus: compare("\(a).http_status", op, value)
            case .index: compare(n.index.map { "(\($0))" } ?? "NULL", op, value)
            case .coverage:
                compare(n.coverage ? "((\(a).end_time-\(a).start_time)/nullif(t.response_time,0))" : "NULL", op, value)
            }
        case .numberIsSet(let keyword):
            let value =
                switch keyword {
                case .responseTime, .duration: "(\(a).end_time-\(a).start_time)"
                case .httpStatus: "\(a).http_status"
                case .index: n.index.map { "(\($0))" } ?? "NULL"
                case .coverage: n.coverage ? "((\(a).end_time-\(a).start_time)/nullif(t.response_time,0))" : "NULL"
                }
            emit("\(value) IS NOT NULL")
        case .string(let keyword, let op, let value):
            switch keyword {
            case .httpURL: compare("\(a).http_url", op, value)
            case .httpMethod: compare("\(a).http_method", op, value)
            case .httpUserAgent: compare("\(a).http_user_agent", op, value)
            case .httpClientIP: compare("\(a).http_client_ip", op, value)
            case .user: compare("\(a).user", op, value)
            case .name: compare("\(a).name", op, value)
            case .type: compare("\(a).origin", op, value)
            // The parser admits message only at trace level.
            case .message: emit("0")
            case .availabilityZone, .instanceID, .resourceARN:
                let d = newAlias("d")
                let outer = enterSubquery()
                defer { negated = outer }
                emit("EXISTS(SELECT 1 FROM documents \(d) WHERE \(d).trace_id=\(a).trace_id AND \(d).id=\(a).id AND ")
                compare(Self.documentField(d, keyword), op, value)
                emit(")")
            }
        // The parser rejects annotations, groups and nested blocks inside a block.
        case .annotation, .service, .edge, .rootCause, .group: emit("0")
        }
    }

    // MARK: root causes

    mutating func rootCause(_ kind: RootCauseKind, _ scope: RootCauseScope, _ block: FilterExpression?) throws(QueryError) {
        let c = newAlias("rc"), k = newAlias("k"), up = newAlias("up"), p = newAlias("p"), x = newAlias("x"), u2 = newAlias("u")
        let outer = enterSubquery()
        defer { negated = outer }
        emit("EXISTS(WITH RECURSIVE \(up)(rc_id, id, parent_id, kind, svc, depth) AS (")
        emit("SELECT \(c).id, \(c).id, \(c).parent_id, \(c).kind, (\(c).kind=0 OR coalesce(\(c).namespace IN ('aws','remote'),0)), 0 ")
        emit("FROM entities \(c) WHERE \(c).trace_id=t.trace_id AND ")
        switch kind {
        case .fault, .error:
            let flag = kind == .fault ? "fault" : "error"
            emit("\(c).\(flag)=1 AND NOT EXISTS(SELECT 1 FROM entities \(k) WHERE \(k).trace_id=\(c).trace_id AND \(k).parent_id=\(c).id AND \(k).\(flag)=1)")
        case .responseTime:
            let l = newAlias("l"), k2 = newAlias("k")
            emit("\(c).end_time IS NOT NULL AND NOT EXISTS(SELECT 1 FROM entities \(k) WHERE \(k).trace_id=\(c).trace_id AND \(k).parent_id=\(c).id) ")
            emit("AND (\(c).end_time-\(c).start_time)>=(SELECT max(\(l).end_time-\(l).start_time) FROM entities \(l) WHERE \(l).trace_id=\(c).trace_id ")
            emit("AND NOT EXISTS(SELECT 1 FROM entities \(k2) WHERE \(k2).trace_id=\(l).trace_id AND \(k2).parent_id=\(l).id))")
        }
        emit(" UNION ALL SELECT \(up).rc_id, \(p).id, \(p).parent_id, \(p).kind, \(p).kind=0, \(up).depth+1 FROM \(up) JOIN entities \(p) ")
        emit("ON \(p).trace_id=t.trace_id AND \(p).id=\(up).parent_id WHERE \(up).depth<256")
        if scope == .entity { emit(" AND \(up).kind=1") }
        emit(") SELECT 1 FROM \(up) JOIN entities \(x) ON \(x).trace_id=t.trace_id AND \(x).id=\(up).id WHERE ")
        let pathNode: Node
        switch scope {
        case .entity:
            pathNode = Node(
                alias: x,
                index: "(SELECT max(\(u2).depth) FROM \(up) \(u2) WHERE \(u2).rc_id=\(up).rc_id)-\(up).depth",
                last: "\(up).depth=0", coverage: kind == .responseTime)
            emit("1")
        case .service:
            pathNode = Node(
                alias: x,
                index: "(SELECT count(*) FROM \(up) \(u2) WHERE \(u2).rc_id=\(up).rc_id AND \(u2).svc AND \(u2).depth>\(up).depth)",
                last: "NOT EXISTS(SELECT 1 FROM \(up) \(u2) WHERE \(u2).rc_id=\(up).rc_id AND \(u2).svc AND \(u2).depth<\(up).depth)",
                coverage: kind == .responseTime)
            emit("\(up).svc")
        }
        if let block {
            emit(" AND ")
            try node(block, pathNode)
        }
        emit(")")
    }
}
