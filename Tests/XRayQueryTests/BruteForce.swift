import XRayQuery
import XRayWire

/// A second, independent evaluation of filter expressions: straight over assembled trees, no SQL.
///
/// It encodes the local semantics documented in `man xray-inspect` in the most direct way, so that
/// disagreement with the SQL compiler shows a bug in one of them.
struct BruteForce {
    let tree: TraceTree
    let groups: [String: FilterExpression]

    /// Every node with its parent, depth-first.
    let nodes: [(node: TraceNode, parent: TraceNode?)]
    let root: TraceNode

    init(tree: TraceTree, groups: [String: FilterExpression] = [:]) {
        self.tree = tree
        self.groups = groups
        var all: [(TraceNode, TraceNode?)] = []
        func walk(_ n: TraceNode, _ p: TraceNode?) {
            all.append((n, p))
            for c in n.children { walk(c, n) }
        }
        for r in tree.roots { walk(r, nil) }
        nodes = all
        // The store's root: a segment without parent, else the earliest segment, else the earliest entity.
        root =
            all.map(\.0).min { a, b in
                let ka = (a.entity.kind.rawValue, a.entity.parentID == nil ? 0 : 1), kb = (b.entity.kind.rawValue, b.entity.parentID == nil ? 0 : 1)
                if ka != kb { return ka < kb }
                return a.entity.startTime < b.entity.startTime
            } ?? tree.roots[0]
    }

    func parent(of n: TraceNode) -> TraceNode? { nodes.first { $0.node.entity.id == n.entity.id }?.parent }

    /// The nearest segment at or above `n`.
    func owningSegment(_ n: TraceNode) -> TraceNode? {
        var current: TraceNode? = n
        while let c = current {
            if c.entity.kind == .segment { return c }
            current = parent(of: c)
        }
        return nil
    }

    func isRemote(_ e: Entity) -> Bool { e.namespace == "aws" || e.namespace == "remote" }

    func isInferred(_ n: TraceNode) -> Bool {
        n.entity.kind == .subsegment && isRemote(n.entity) && !n.children.contains { $0.entity.kind == .segment }
    }

    func isServiceNode(_ n: TraceNode) -> Bool { n.entity.kind == .segment || isInferred(n) }

    func matches(_ n: TraceNode, _ s: NodeSelector) -> Bool {
        if let name = s.name, n.entity.name != name { return false }
        if let type = s.type, n.entity.origin != type { return false }
        if let account = s.accountID, n.entity.path != "" || n.fields["aws"]?.objectValue?["account_id"]?.stringValue != account { return false }
        return true
    }

    static func compare(_ value: String?, _ op: StringOperator, _ literal: String) -> Bool {
        guard let v = value else { return false }
        switch op {
        case .equal: return v == literal
        case .notEqual: return v != literal
        case .contains: return literal.isEmpty || v.contains(literal)
        case .beginsWith: return v.hasPrefix(literal)
        case .endsWith: return v.hasSuffix(literal)
        }
    }

    static func compare(_ value: Double?, _ op: ComparisonOperator, _ literal: Double) -> Bool {
        guard let v = value else { return false }
        switch op {
        case .equal: return v == literal
        case .notEqual: return v != literal
        case .less: return v < literal
        case .lessOrEqual: return v <= literal
        case .greater: return v > literal
        case .greaterOrEqual: return v >= literal
        }
    }

    func documentField(_ n: TraceNode, _ k: StringKeyword) -> String? {
        guard n.entity.path.isEmpty else { return nil }
        switch k {
        case .availabilityZone: return n.fields["aws"]?.objectValue?["ec2"]?.objectValue?["availability_zone"]?.stringValue
        case .instanceID: return n.fields["aws"]?.objectValue?["ec2"]?.objectValue?["instance_id"]?.stringValue
        default: return n.fields["resource_arn"]?.stringValue
        }
    }

    var responseTime: Double? { root.entity.endTime.map { $0 - root.entity.startTime } }

    func evaluate(_ e: FilterExpression) -> Bool {
        switch e {
        case .and(let a, let b): return evaluate(a) && evaluate(b)
        case .or(let a, let b): return evaluate(a) || evaluate(b)
        case .not(let a): return !evaluate(a)
        case .flag(let k):
            let r = root.entity
            switch k {
            case .ok: return !r.error && !r.fault && !nodes.contains { $0.node.entity.throttle }
            case .error: return r.error
            case .fault: return r.fault
            case .throttle: return nodes.contains { $0.node.entity.throttle }
            case .partial: return nodes.contains { $0.node.entity.inProgress }
            case .inferred: return nodes.contains { isInferred($0.node) }
            case .remote: return nodes.contains { isRemote($0.node.entity) }
            case .root: return r.parentID == nil
            case .first, .last: return false
            }
        case .number(let k, let op, let v):
            switch k {
            case .responseTime: return Self.compare(responseTime, op, v)
            case .duration: return Self.compare(tree.endTime - tree.startTime, op, v)
            case .httpStatus: return Self.compare(root.entity.httpStatus.map(Double.init), op, v)
            case .index, .coverage: return false
            }
        case .numberIsSet(let k):
            switch k {
            case .responseTime: return responseTime != nil
            case .duration: return true
            case .httpStatus: return root.entity.httpStatus != nil
            case .index, .coverage: return false
            }
        case .string(let k, let op, let v):
            let r = root.entity
            switch k {
            case .httpURL: return Self.compare(r.httpURL, op, v)
            case .httpMethod: return Self.compare(r.httpMethod, op, v)
            case .httpUserAgent: return Self.compare(r.httpUserAgent, op, v)
            case .httpClientIP: return Self.compare(r.httpClientIP, op, v)
            case .name: return Self.compare(r.name, op, v)
            case .type: return Self.compare(r.origin, op, v)
            case .user: return nodes.contains { Self.compare($0.node.entity.user, op, v) }
            case .message:
                return nodes.contains { item in
                    let exceptions = item.node.fields["cause"]?.objectValue?["exceptions"]?.arrayValue ?? []
                    return exceptions.contains { Self.compare($0.objectValue?["message"]?.stringValue, op, v) }
                }
            case .availabilityZone, .instanceID, .resourceARN:
                return nodes.contains { Self.compare(documentField($0.node, k), op, v) }
            }
        case .annotation(let key, let test):
            return nodes.contains { item in
                item.node.entity.annotations.contains { a in
                    guard a.key == key else { return false }
                    switch (test, a.value) {
                    case (.bare, .bool(let b)): return b
                    case (.bare, _): return true
                    case (.string(let op, let v), .string(let s)): return Self.compare(s, op, v)
                    case (.number(let op, let v), .number(let d)): return Self.compare(d, op, v)
                    case (.bool(let v, let equal), .bool(let b)): return (b == v) == equal
                    default: return false
                    }
                }
            }
        case .service(let selector, let block):
            return nodes.contains { item in
                isServiceNode(item.node) && selector.map { matches(item.node, $0) } != false
                    && block.map { node($0, item.node, path: nil) } != false
            }
        case .edge(let from, let to, let block):
            return nodes.contains { item in
                let c = item.node
                guard isServiceNode(c), matches(c, to), block.map({ node($0, c, path: nil) }) != false else { return false }
                let callerSegment: TraceNode?
                if c.entity.kind == .segment {
                    callerSegment = item.parent.flatMap(owningSegment)
                } else {
                    callerSegment = owningSegment(c)
                }
                return callerSegment.map { matches($0, from) } ?? false
            }
        case .rootCause(let kind, let scope, let block):
            return rootCauses(kind).contains { cause in
                paths(cause, scope).contains { step in block.map { node($0, step.node, path: (step.index, step.last, kind)) } ?? true }
            }
        case .group(let name):
            return groups[name].map(evaluate) ?? false
        }
    }

    func rootCauses(_ kind: RootCauseKind) -> [TraceNode] {
        switch kind {
        case .fault: return nodes.map(\.node).filter { $0.entity.fault && !$0.children.contains { $0.entity.fault } }
        case .error: return nodes.map(\.node).filter { $0.entity.error && !$0.children.contains { $0.entity.error } }
        case .responseTime:
            let leaves = nodes.map(\.node).filter { $0.children.isEmpty && $0.entity.endTime != nil }
            guard let longest = leaves.compactMap(\.entity.duration).max() else { return [] }
            return leaves.filter { $0.entity.duration.map { $0 >= longest } ?? false }
        }
    }

    /// The entity path (its service's segment down to the cause) or the service path (entry segment down to its service).
    func paths(_ cause: TraceNode, _ scope: RootCauseScope) -> [(node: TraceNode, index: Int, last: Bool)] {
        var chain: [TraceNode] = [cause]
        var current = cause
        while let p = parent(of: current) {
            if scope == .entity && current.entity.kind == .segment { break }
            chain.append(p)
            current = p
        }
        if scope == .entity {
            let top = chain.reversed()
            return top.enumerated().map { (node: $0.element, index: $0.offset, last: $0.offset == top.count - 1) }
        }
        let services = chain.enumerated().filter { $0.element.entity.kind == .segment || ($0.offset == 0 && isRemote($0.element.entity)) }
            .map(\.element).reversed()
        return services.enumerated().map { (node: $0.element, index: $0.offset, last: $0.offset == services.count - 1) }
    }

    func node(_ e: FilterExpression, _ n: TraceNode, path: (index: Int, last: Bool, kind: RootCauseKind)?) -> Bool {
        let x = n.entity
        switch e {
        case .and(let a, let b): return node(a, n, path: path) && node(b, n, path: path)
        case .or(let a, let b): return node(a, n, path: path) || node(b, n, path: path)
        case .not(let a): return !node(a, n, path: path)
        case .flag(let k):
            switch k {
            case .ok: return !x.error && !x.fault && !x.throttle
            case .error: return x.error
            case .fault: return x.fault
            case .throttle: return x.throttle
            case .partial: return x.inProgress
            case .inferred: return isInferred(n)
            case .remote: return isRemote(x)
            case .root: return x.parentID == nil
            case .first: return path?.index == 0
            case .last: return path?.last ?? false
            }
        case .number(let k, let op, let v):
            switch k {
            case .responseTime, .duration: return Self.compare(x.duration, op, v)
            case .httpStatus: return Self.compare(x.httpStatus.map(Double.init), op, v)
            case .index: return Self.compare(path.map { Double($0.index) }, op, v)
            case .coverage:
                guard path?.kind == .responseTime, let d = x.duration, let rt = responseTime, rt != 0 else { return false }
                return Self.compare(d / rt, op, v)
            }
        case .numberIsSet(let k):
            switch k {
            case .responseTime, .duration: return x.duration != nil
            case .httpStatus: return x.httpStatus != nil
            case .index: return path != nil
            case .coverage:
                guard path?.kind == .responseTime, x.duration != nil, let rt = responseTime else { return false }
                return rt != 0
            }
        case .string(let k, let op, let v):
            switch k {
            case .httpURL: return Self.compare(x.httpURL, op, v)
            case .httpMethod: return Self.compare(x.httpMethod, op, v)
            case .httpUserAgent: return Self.compare(x.httpUserAgent, op, v)
            case .httpClientIP: return Self.compare(x.httpClientIP, op, v)
            case .user: return Self.compare(x.user, op, v)
            case .name: return Self.compare(x.name, op, v)
            case .type: return Self.compare(x.origin, op, v)
            case .message: return false
            case .availabilityZone, .instanceID, .resourceARN: return Self.compare(documentField(n, k), op, v)
            }
        default: return false
        }
    }
}
