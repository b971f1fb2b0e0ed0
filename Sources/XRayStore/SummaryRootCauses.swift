import XRayWire

/// One entity of a trace linked from its rows, as `TraceAssembler` links documents: depth first, parents
/// before children, siblings by start, name, id. `row` is the entity's index in the rows it was linked from:
/// the rows are not copied (each copy retains a dozen strings, which cost the writer more than the linking).
struct LinkedEntity {
    var row: Int
    var parent: Int?
    var children: [Int] = []
}

extension TraceStore {
    /// The entities of a trace linked into trees with `TraceAssembler`'s rules: an entity hangs under the
    /// one its parent id names; without a stored parent (or in a parent cycle) it is a root.
    static func link(_ rows: [DetailEntity]) -> [LinkedEntity] {
        // Arrival order, as the assembler reads documents: it decides which entity of a cycle is cut loose.
        let flat = rows.indices.sorted { a, b in
            rows[a].documentID != rows[b].documentID ? rows[a].documentID < rows[b].documentID : rows[a].id < rows[b].id
        }
        var indexByID: [String: Int] = [:]
        indexByID.reserveCapacity(flat.count)
        for (i, r) in flat.enumerated() { indexByID[rows[r].id] = i }
        var children = [[Int]](repeating: [], count: flat.count)
        var roots: [Int] = []
        for (i, r) in flat.enumerated() {
            if let p = rows[r].parentID, let parent = indexByID[p], parent != i {
                children[parent].append(i)
            } else {
                roots.append(i)
            }
        }
        var reached = [Bool](repeating: false, count: flat.count)
        func reach(_ start: Int) {
            var stack = [start]
            while let i = stack.popLast() {
                guard !reached[i] else { continue }
                reached[i] = true
                stack.append(contentsOf: children[i])
            }
        }
        for r in roots { reach(r) }
        for i in flat.indices where !reached[i] {
            if let p = rows[flat[i]].parentID, let parent = indexByID[p] { children[parent].removeAll { $0 == i } }
            roots.append(i)
            reach(i)
        }
        func order(_ a: Int, _ b: Int) -> Bool {
            let x = flat[a], y = flat[b]
            if rows[x].start != rows[y].start { return rows[x].start < rows[y].start }
            if rows[x].name != rows[y].name { return rows[x].name < rows[y].name }
            return rows[x].id < rows[y].id
        }
        for i in children.indices where children[i].count > 1 { children[i].sort(by: order) }
        roots.sort(by: order)
        var out: [LinkedEntity] = []
        out.reserveCapacity(flat.count)
        var pending: [(flat: Int, parent: Int?)] = roots.reversed().map { ($0, nil) }
        while let next = pending.popLast() {
            let position = out.count
            out.append(LinkedEntity(row: flat[next.flat], parent: next.parent))
            if let p = next.parent { out[p].children.append(position) }
            for c in children[next.flat].reversed() { pending.append((c, position)) }
        }
        return out
    }

    /// `FaultRootCauses`, `ErrorRootCauses` and `ResponseTimeRootCauses`, with the meaning the filter
    /// language gives `rootcause.*`: for faults and errors, the entities with the flag none of whose children
    /// has it; for response time, the slowest leaf. One pass over the linked entities and bounded paths, so
    /// time and memory stay linear however deep the `parent_id` chains are. `exceptions` gives an entity's
    /// exceptions as compact JSON (see `exceptions(of:traceID:documents:)`); nothing else here reads the store,
    /// so a batch's new traces can be written up on another thread.
    static func writeRootCauses(
        _ rows: [DetailEntity], into out: inout DetailsWriter, exceptions: (DetailEntity) throws(StoreError) -> String
    ) throws(StoreError) {
        let entries = Self.link(rows)
        let parents = Self.parentsOfSegments(rows)
        var faults: [Int] = []
        var errors: [Int] = []
        var slowest: (index: Int, duration: Double)?
        for (i, entry) in entries.enumerated() {
            let e = rows[entry.row]
            if e.fault, faults.count < SummaryRules.maxCauses, !entry.children.contains(where: { rows[entries[$0].row].fault }) { faults.append(i) }
            if e.error, errors.count < SummaryRules.maxCauses, !entry.children.contains(where: { rows[entries[$0].row].error }) { errors.append(i) }
            if entry.children.isEmpty, let d = e.duration, d.isFinite, d > (slowest?.duration ?? -1) { slowest = (i, d) }
        }
        var rootFault = false, rootError = false
        var rootDuration = 0.0
        for entry in entries where entry.parent == nil {
            let root = rows[entry.row]
            rootFault = rootFault || root.fault
            rootError = rootError || root.error
            if let d = root.duration, d.isFinite { rootDuration = max(rootDuration, d) }
        }
        func causes(_ key: StaticString, _ indexes: [Int], clientImpacting: Bool, coverage: Double?) throws(StoreError) {
            out.key(key)
            out.raw("[")
            for (n, i) in indexes.enumerated() {
                if n > 0 { out.comma() }
                try writeRootCause(
                    i, in: entries, rows: rows, parents: parents, clientImpacting: clientImpacting, coverage: coverage,
                    exceptions: exceptions, into: &out)
            }
            out.raw("]")
        }
        try causes("FaultRootCauses", faults, clientImpacting: rootFault, coverage: nil)
        out.comma()
        try causes("ErrorRootCauses", errors, clientImpacting: rootError, coverage: nil)
        out.comma()
        if let slowest, rootDuration > 0 {
            try causes("ResponseTimeRootCauses", [slowest.index], clientImpacting: true, coverage: slowest.duration / rootDuration)
        } else {
            try causes("ResponseTimeRootCauses", [], clientImpacting: true, coverage: nil)
        }
    }

    /// One root cause: the service that owns the entity (its nearest segment, or the inferred node a remote
    /// call stands for) and the path of entities from that service down to the cause.
    static func writeRootCause(
        _ index: Int, in entries: [LinkedEntity], rows: [DetailEntity], parents: Set<String>, clientImpacting: Bool, coverage: Double?,
        exceptions: (DetailEntity) throws(StoreError) -> String, into out: inout DetailsWriter
    ) throws(StoreError) {
        let last = rows[entries[index].row]
        let inferred = SummaryRules.isInferred(kind: last.kind, namespace: last.namespace, hasChildSegment: parents.contains(last.id))
        var path = [index]
        var owner = index
        if !inferred {
            var current = index
            while rows[entries[current].row].kind != EntityKind.segment.rawValue, let p = entries[current].parent {
                current = p
                if path.count < SummaryRules.maxPathLength { path.append(p) }
            }
            owner = current
        }
        let ownerEntity = rows[entries[owner].row]
        out.raw("{\"Services\":[")
        out.serviceHead(ownerEntity.name)
        if let origin = ownerEntity.origin {
            out.raw(",\"Type\":")
            out.string(origin)
        } else if inferred {
            out.raw(",\"Type\":\"remote\"")
        }
        out.raw(",\"EntityPath\":[")
        for (n, i) in path.reversed().enumerated() {
            if n > 0 { out.comma() }
            let node = rows[entries[i].row]
            out.raw("{\"Name\":")
            out.string(node.name)
            if i == index {
                out.raw(",\"Exceptions\":")
                out.raw(try exceptions(node))
                if let coverage {
                    out.raw(",\"Coverage\":")
                    out.number(JSONNumber((coverage * 1000).rounded() / 1000))
                }
            }
            out.raw(",\"Remote\":")
            out.bool(node.isRemote)
            out.raw("}")
        }
        out.raw("],\"Inferred\":")
        out.bool(inferred)
        out.raw("}],\"ClientImpacting\":")
        out.bool(clientImpacting)
        out.raw("}")
    }

    /// The entity's exceptions as compact JSON, from its row; a row written before the `exceptions` column
    /// existed (its `cause` set, its exceptions not) has them read from its stored document instead.
    func exceptions(of entity: DetailEntity, traceID: String, documents: inout [String: SegmentDocument]?) throws(StoreError) -> String {
        if let text = entity.exceptions { return text }
        guard entity.cause != nil else { return "[]" }
        if documents == nil {
            var byEntity: [String: SegmentDocument] = [:]
            for stored in try self.documents(traceID: traceID) {
                guard let doc = try? SegmentDocumentParser.parse(bytes: stored.raw) else { continue }
                for e in doc.entities where byEntity[e.id] == nil { byEntity[e.id] = doc }
            }
            documents = byEntity
        }
        guard let doc = documents?[entity.id], let e = doc.entities.first(where: { $0.id == entity.id }),
            let object = SummaryRules.object(at: e.path, in: doc.json)
        else { return "[]" }
        return SummaryRules.exceptionsJSON(object) ?? "[]"
    }
}
