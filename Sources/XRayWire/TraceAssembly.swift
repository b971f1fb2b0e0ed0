/// One entity of an assembled trace, stored flat: the tree is indexes into `TraceTree.entries`.
///
/// Flat on purpose: a trace can be a `parent_id` chain thousands deep, and nested values would make every
/// walk, copy and even the deallocation of a tree recurse once per level (a stack overflow at 20,000).
public struct TraceEntry: Sendable {
    public var entity: Entity
    /// The entity's own document fields as received, without its inline `subsegments`.
    public var fields: JSONObject
    /// The parent's index in `TraceTree.entries`; nil for a root.
    public var parent: Int?
    /// The children's indexes, in display order (start, name, id).
    public var children: [Int]
    /// 0 for a root.
    public var depth: Int
    /// Set on a root whose `parent_id` names an entity that is not stored.
    public var missingParent: String?
    /// This entity and all of its descendants.
    public var subtreeCount: Int
}

/// A view of one entry of a `TraceTree`, for code that walks from a node to its children.
public struct TraceNode: Sendable {
    let entries: [TraceEntry]
    /// The entry's index in `TraceTree.entries`.
    public let index: Int

    public var entity: Entity { entries[index].entity }
    public var fields: JSONObject { entries[index].fields }
    public var missingParent: String? { entries[index].missingParent }
    public var depth: Int { entries[index].depth }
    public var children: [TraceNode] { entries[index].children.map { TraceNode(entries: entries, index: $0) } }

    /// Depth-first, parents before children, without recursion; `depth` is relative to this node plus `depth`.
    public func forEach(depth: Int = 0, _ body: (TraceNode, Int) -> Void) {
        // Entries are stored in this same order, so a subtree is the contiguous run that starts at the node.
        let base = entries[index].depth
        for i in index..<(index + entries[index].subtreeCount) {
            body(TraceNode(entries: entries, index: i), entries[i].depth - base + depth)
        }
    }

    public var count: Int { entries[index].subtreeCount }
}

/// A whole trace: every stored document of one trace id, linked into trees.
public struct TraceTree: Sendable {
    public var traceID: String
    /// Every entity, depth-first with parents before children and siblings in display order.
    public let entries: [TraceEntry]
    /// The indexes of the roots in `entries`, in display order.
    public let rootIndexes: [Int]

    public var roots: [TraceNode] { rootIndexes.map { TraceNode(entries: entries, index: $0) } }

    /// Every entity as a node, in the order of `entries`.
    public var nodes: [TraceNode] { entries.indices.map { TraceNode(entries: entries, index: $0) } }

    /// The earliest start of any entity; 0 when no start is finite.
    public var startTime: Double {
        var t = Double.infinity
        for e in entries where e.entity.startTime.isFinite { t = min(t, e.entity.startTime) }
        return t.isFinite ? t : 0
    }

    /// The latest end of any entity (in-progress ones count with their start); never before `startTime`.
    public var endTime: Double {
        var t = -Double.infinity
        for e in entries {
            let end = e.entity.endTime ?? e.entity.startTime
            if end.isFinite { t = max(t, end) }
        }
        return t.isFinite ? max(t, startTime) : startTime
    }

    public var entityCount: Int { entries.count }
}

/// Links documents into trace trees (X-Ray developer guide, "AWS X-Ray segment documents": subsegments sent on their own name their parent).
///
/// Inline subsegments are children of their enclosing entity; standalone documents hang under the entity
/// their `parent_id` names, whichever arrived first. An entity whose parent is not stored becomes a root
/// that says which id is missing (a Lambda facade, an upstream service that is not traced locally).
public enum TraceAssembler {
    public static func assemble(traceID: String, documents: [SegmentDocument]) -> TraceTree {
        var flat: [(entity: Entity, fields: JSONObject)] = []
        var indexByID: [String: Int] = [:]
        for doc in documents {
            for entity in doc.entities where indexByID[entity.id] == nil {
                indexByID[entity.id] = flat.count
                flat.append((entity, doc.fields(of: entity)))
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
        for i in children.indices { children[i].sort(by: order) }
        rootIndexes.sort(by: order)
        // Depth-first with an explicit stack: the flat index of each entry in display order, with its depth
        // and its parent's position.
        var visit: [(flat: Int, depth: Int, parent: Int?)] = []
        visit.reserveCapacity(flat.count)
        var pending: [(flat: Int, depth: Int, parent: Int?)] = rootIndexes.reversed().map { ($0, 0, nil) }
        while let next = pending.popLast() {
            let position = visit.count
            visit.append(next)
            for c in children[next.flat].reversed() { pending.append((c, next.depth + 1, position)) }
        }
        var entries: [TraceEntry] = visit.map { v in
            TraceEntry(
                entity: flat[v.flat].entity, fields: flat[v.flat].fields, parent: v.parent, children: [],
                depth: v.depth, missingParent: missing[v.flat], subtreeCount: 1)
        }
        for i in entries.indices.reversed() {
            guard let p = entries[i].parent else { continue }
            entries[p].subtreeCount += entries[i].subtreeCount
        }
        for i in entries.indices { if let p = entries[i].parent { entries[p].children.append(i) } }
        var roots: [Int] = []
        for i in entries.indices where entries[i].parent == nil { roots.append(i) }
        return TraceTree(traceID: traceID, entries: entries, rootIndexes: roots)
    }
}
