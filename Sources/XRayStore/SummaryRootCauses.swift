import XRayWire

/// One entity of a trace linked from its rows, as `TraceAssembler` links documents: depth first, parents
/// before children, siblings by start, name, id.
struct LinkedEntity {
    var entity: DetailEntity
    var parent: Int?
    var children: [Int] = []
}

extension TraceStore {
    /// The entities of a trace linked into trees with `TraceAssembler`'s rules: an entity hangs under the
    /// one its parent id names; without a stored parent (or in a parent cycle) it is a root.
    static func link(_ rows: [DetailEntity]) -> [LinkedEntity] {
        // Arrival order, as the assembler reads documents: it decides which entity of a cycle is cut loose.
        let flat = rows.sorted { $0.documentID != $1.documentID ? $0.documentID < $1.documentID : $0.id < $1.id }
        var indexByID: [String: Int] = [:]
        for (i, e) in flat.enumerated() { indexByID[e.id] = i }
        var children = [[Int]](repeating: [], count: flat.count)
        var roots: [Int] = []
        for (i, e) in flat.enumerated() {
            if let p = e.parentID, let parent = indexByID[p], parent != i {
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
            if let p = flat[i].parentID, let parent = indexByID[p] { children[parent].removeAll { $0 == i } }
            roots.append(i)
            reach(i)
        }
        func order(_ a: Int, _ b: Int) -> Bool {
            let x = flat[a], y = flat[b]
            if x.start != y.start { return x.start < y.start }
            if x.name != y.name { return x.name < y.name }
            return x.id < y.id
        }
        for i in children.indices { children[i].sort(by: order) }
        roots.sort(by: order)
        var out: [LinkedEntity] = []
        out.reserveCapacity(flat.count)
        var pending: [(flat: Int, parent: Int?)] = roots.reversed().map { ($0, nil) }
        while let next = pending.popLast() {
            let position = out.count
            out.append(LinkedEntity(entity: flat[next.flat], parent: next.parent))
            if let p = next.parent { out[p].children.append(position) }
            for c in children[next.flat].reversed() { pending.append((c, position)) }
        }
        return out
    }

    /// `FaultRootCauses`, `ErrorRootCauses` and `ResponseTimeRootCauses`, with the meaning the filter
    /// language gives `rootcause.*`: for faults and errors, the entities with the flag none of whose children
    /// has it; for response time, the slowest leaf. One pass over the linked entities and bounded paths, so
    /// time and memory stay linear however deep the `parent_id` chains are.
    func rootCauses(_ rows: [DetailEntity], traceID: String) throws(StoreError) -> [(key: String, value: JSONValue)] {
        let entries = Self.link(rows)
        let parents = Self.parentsOfSegments(rows)
        var faults: [Int] = []
        var errors: [Int] = []
        var slowest: (index: Int, duration: Double)?
        for (i, entry) in entries.enumerated() {
            let e = entry.entity
            if e.fault, faults.count < SummaryRules.maxCauses, !entry.children.contains(where: { entries[$0].entity.fault }) { faults.append(i) }
            if e.error, errors.count < SummaryRules.maxCauses, !entry.children.contains(where: { entries[$0].entity.error }) { errors.append(i) }
            if entry.children.isEmpty, let d = e.duration, d.isFinite, d > (slowest?.duration ?? -1) { slowest = (i, d) }
        }
        let roots = entries.filter { $0.parent == nil }.map(\.entity)
        let rootFault = roots.contains { $0.fault }
        let rootError = roots.contains { $0.error }
        let rootDuration = roots.compactMap(\.duration).filter(\.isFinite).max() ?? 0
        var documents: [String: SegmentDocument]?
        func cause(_ index: Int, clientImpacting: Bool, coverage: Double?) throws(StoreError) -> JSONValue {
            try rootCause(index, in: entries, parents: parents, clientImpacting: clientImpacting, coverage: coverage,
                          traceID: traceID, documents: &documents)
        }
        var fault: [JSONValue] = []
        for i in faults { fault.append(try cause(i, clientImpacting: rootFault, coverage: nil)) }
        var error: [JSONValue] = []
        for i in errors { error.append(try cause(i, clientImpacting: rootError, coverage: nil)) }
        var responseTime: [JSONValue] = []
        if let slowest, rootDuration > 0 {
            responseTime.append(try cause(slowest.index, clientImpacting: true, coverage: slowest.duration / rootDuration))
        }
        return [("FaultRootCauses", .array(fault)), ("ErrorRootCauses", .array(error)), ("ResponseTimeRootCauses", .array(responseTime))]
    }

    /// One root cause: the service that owns the entity (its nearest segment, or the inferred node a remote
    /// call stands for) and the path of entities from that service down to the cause.
    func rootCause(
        _ index: Int, in entries: [LinkedEntity], parents: Set<String>, clientImpacting: Bool, coverage: Double?,
        traceID: String, documents: inout [String: SegmentDocument]?
    ) throws(StoreError) -> JSONValue {
        let last = entries[index].entity
        let inferred = SummaryRules.isInferred(kind: last.kind, namespace: last.namespace, hasChildSegment: parents.contains(last.id))
        var path = [index]
        var owner = index
        if !inferred {
            var current = index
            while entries[current].entity.kind != EntityKind.segment.rawValue, let p = entries[current].parent {
                current = p
                if path.count < SummaryRules.maxPathLength { path.append(p) }
            }
            owner = current
        }
        var entityPath: [JSONValue] = []
        for i in path.reversed() {
            let node = entries[i].entity
            var entry = JSONObject([("Name", .string(node.name))])
            if i == index {
                entry["Exceptions"] = try exceptions(of: node, traceID: traceID, documents: &documents)
                if let coverage { entry["Coverage"] = .number(JSONNumber((coverage * 1000).rounded() / 1000)) }
            }
            entry["Remote"] = .bool(node.isRemote)
            entityPath.append(.object(entry))
        }
        let ownerEntity = entries[owner].entity
        var service = JSONObject([("Name", .string(ownerEntity.name)), ("Names", .array([.string(ownerEntity.name)]))])
        if let origin = ownerEntity.origin { service["Type"] = .string(origin) } else if inferred { service["Type"] = .string("remote") }
        service["EntityPath"] = .array(entityPath)
        service["Inferred"] = .bool(inferred)
        return .object(JSONObject([("Services", .array([.object(service)])), ("ClientImpacting", .bool(clientImpacting))]))
    }

    /// The entity's exceptions from its row; a row written before the `exceptions` column existed (its
    /// `cause` set, its exceptions not) has them read from its stored document instead.
    func exceptions(of entity: DetailEntity, traceID: String, documents: inout [String: SegmentDocument]?) throws(StoreError) -> JSONValue {
        var text = entity.exceptions
        if text == nil, entity.cause != nil {
            if documents == nil {
                var byEntity: [String: SegmentDocument] = [:]
                for stored in try self.documents(traceID: traceID) {
                    guard let doc = try? SegmentDocumentParser.parse(bytes: stored.raw) else { continue }
                    for e in doc.entities where byEntity[e.id] == nil { byEntity[e.id] = doc }
                }
                documents = byEntity
            }
            if let doc = documents?[entity.id], let e = doc.entities.first(where: { $0.id == entity.id }),
               let object = SummaryRules.object(at: e.path, in: doc.json) {
                text = SummaryRules.exceptionsJSON(object)
            }
        }
        guard let text, let parsed = try? JSONParser.parse(text) else { return .array([]) }
        return parsed.value
    }
}
