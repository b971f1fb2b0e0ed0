/// One entity in an assembled trace, with its children in display order.
public struct TraceNode: Sendable {
    public var entity: Entity
    /// The entity's own document fields as received, without its inline `subsegments`.
    public var fields: JSONObject
    public var children: [TraceNode]
    /// Set on a root whose `parent_id` names an entity that is not stored.
    public var missingParent: String?

    /// Depth-first, parents before children.
    public func forEach(depth: Int = 0, _ body: (TraceNode, Int) -> Void) {
        body(self, depth)
        for c in children { c.forEach(depth: depth + 1, body) }
    }

    public var count: Int { children.reduce(1) { $0 + $1.count } }
}

/// A whole trace: every stored document of one trace id, linked into trees.
public struct TraceTree: Sendable {
    public var traceID: String
    public var roots: [TraceNode]

    /// The earliest start of any entity.
    public var startTime: Double {
        var t = Double.infinity
        for r in roots { r.forEach { n, _ in t = min(t, n.entity.startTime) } }
        return t.isFinite ? t : 0
    }

    /// The latest end of any entity (in-progress ones count with their start).
    public var endTime: Double {
        var t = -Double.infinity
        for r in roots { r.forEach { n, _ in t = max(t, n.entity.endTime ?? n.entity.startTime) } }
        return t.isFinite ? t : 0
    }

    public var entityCount: Int { roots.reduce(0) { $0 + $1.count } }
}

/// Links documents into trace trees (reference 2.7).
///
/// Inline subsegments are children of their enclosing entity; standalone documents hang under the entity
/// their `parent_id` names, whichever arrived first. An entity whose parent is not stored becomes a root
/// that says which id is missing (a Lambda facade, an upstream service that is not traced locally).
public enum TraceAssembler {
    public static func assemble(traceID: String, documents: [SegmentDocument]) -> TraceTree {
        var flat: [(entity: Entity, fields: JSONObject)] = []
        var indexByID: [String: Int] = [:]
        for doc in documents {
            var fieldsInOrder: [JSONObject] = []
            collectFields(doc.json, into: &fieldsInOrder)
            for (entity, fields) in zip(doc.entities, fieldsInOrder) where indexByID[entity.id] == nil {
                indexByID[entity.id] = flat.count
                flat.append((entity, fields))
            }
        }
        var children = [[Int]](repeating: [], count: flat.count)
        var rootIndexes: [Int] = []
        var missing: [Int: String] = [:]
        for (i, item) in flat.enumerated() {
            if let p = item.entity.parentID, let parent = indexByID[p], parent != i {
                children[parent].append(i)
            } else {
                rootIndexes.append(i)
                if let p = item.entity.parentID { missing[i] = p }
            }
        }
        // A parent_id cycle leaves entities unreachable from any root: show them as roots too.
        var reached = [Bool](repeating: false, count: flat.count)
        var stack = rootIndexes
        while let i = stack.popLast() {
            guard !reached[i] else { continue }
            reached[i] = true
            stack.append(contentsOf: children[i])
        }
        for i in flat.indices where !reached[i] {
            if let p = flat[i].entity.parentID, let parent = indexByID[p] {
                children[parent].removeAll { $0 == i }
                missing[i] = p
            }
            rootIndexes.append(i)
            var stack = [i]
            while let j = stack.popLast() {
                if reached[j] { continue }
                reached[j] = true
                stack.append(contentsOf: children[j])
            }
        }

        func order(_ a: Int, _ b: Int) -> Bool {
            let x = flat[a].entity, y = flat[b].entity
            if x.startTime != y.startTime { return x.startTime < y.startTime }
            if x.name != y.name { return x.name < y.name }
            return x.id < y.id
        }
        func build(_ i: Int) -> TraceNode {
            TraceNode(
                entity: flat[i].entity, fields: flat[i].fields,
                children: children[i].sorted(by: order).map(build), missingParent: missing[i]
            )
        }
        return TraceTree(traceID: traceID, roots: rootIndexes.sorted(by: order).map(build))
    }

    /// Walks a document in the same depth-first order as `SegmentDocumentParser` lists its entities.
    static func collectFields(_ object: JSONObject, into out: inout [JSONObject]) {
        var own = object
        own["subsegments"] = nil
        out.append(own)
        if case .array(let subs)? = object["subsegments"] {
            for case .object(let child) in subs { collectFields(child, into: &out) }
        }
    }
}
