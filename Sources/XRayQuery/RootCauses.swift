import XRayStore
import XRayWire

/// The root-cause fields of a `GetTraceSummaries` TraceSummary, computed from the assembled trace with the
/// same meaning the filter language gives `rootcause.*`: for faults and errors, the entities with the flag
/// none of whose children has it; for response time, the slowest leaf.
package enum RootCauses {
    /// Root causes listed per kind; a trace with more (thousands of faulty leaves) lists the first ones.
    package static let maxCauses = 16
    /// Entities in one `EntityPath`; a longer path keeps the ones nearest the cause.
    package static let maxPathLength = 64

    /// `FaultRootCauses`, `ErrorRootCauses` and `ResponseTimeRootCauses`, in the API's shapes.
    ///
    /// One pass over the flat entries and bounded paths: time and memory stay linear in the trace however
    /// deep its `parent_id` chains are.
    package static func fields(_ trace: TraceTree) -> [(key: String, value: JSONValue)] {
        let entries = trace.entries
        var faults: [Int] = []
        var errors: [Int] = []
        var slowest: (index: Int, duration: Double)?
        for (i, entry) in entries.enumerated() {
            let e = entry.entity
            if e.fault, faults.count < maxCauses, !entry.children.contains(where: { entries[$0].entity.fault }) { faults.append(i) }
            if e.error, errors.count < maxCauses, !entry.children.contains(where: { entries[$0].entity.error }) { errors.append(i) }
            if entry.children.isEmpty, let d = e.duration, d.isFinite, d > (slowest?.duration ?? -1) { slowest = (i, d) }
        }
        let roots = trace.rootIndexes.map { entries[$0].entity }
        let rootFault = roots.contains { $0.fault }
        let rootError = roots.contains { $0.error }
        let rootDuration = roots.compactMap(\.duration).filter(\.isFinite).max() ?? 0
        var out: [(key: String, value: JSONValue)] = [
            ("FaultRootCauses", .array(faults.map { cause($0, in: entries, clientImpacting: rootFault, coverage: nil) })),
            ("ErrorRootCauses", .array(errors.map { cause($0, in: entries, clientImpacting: rootError, coverage: nil) })),
        ]
        if let slowest, rootDuration > 0 {
            out.append(("ResponseTimeRootCauses", .array([cause(slowest.index, in: entries, clientImpacting: true, coverage: slowest.duration / rootDuration)])))
        } else {
            out.append(("ResponseTimeRootCauses", .array([])))
        }
        return out
    }

    /// One root cause: the service that owns the entity (its nearest segment, or the inferred node a remote
    /// call stands for) and the path of entities from that service down to the cause.
    static func cause(_ index: Int, in entries: [TraceEntry], clientImpacting: Bool, coverage: Double?) -> JSONValue {
        let last = entries[index].entity
        let inferred = last.kind == .subsegment && ["aws", "remote"].contains(last.namespace ?? "")
        // Up from the cause to its owner, keeping at most maxPathLength entities; the owner is the nearest
        // segment (or the top of the tree when there is none).
        var path = [index]
        var owner = index
        if !inferred {
            var current = index
            while entries[current].entity.kind != .segment, let p = entries[current].parent {
                current = p
                if path.count < maxPathLength { path.append(p) }
            }
            owner = current
        }
        var entityPath: [JSONValue] = []
        for i in path.reversed() {
            let node = entries[i]
            var entry = JSONObject([("Name", .string(node.entity.name))])
            if i == index {
                entry["Exceptions"] = .array(exceptions(node.fields))
                if let coverage { entry["Coverage"] = .number(JSONNumber((coverage * 1000).rounded() / 1000)) }
            }
            entry["Remote"] = .bool(node.entity.namespace == "remote" || node.entity.namespace == "aws")
            entityPath.append(.object(entry))
        }
        let ownerEntity = entries[owner].entity
        var service = JSONObject([
            ("Name", .string(ownerEntity.name)),
            ("Names", .array([.string(ownerEntity.name)])),
        ])
        if let origin = ownerEntity.origin { service["Type"] = .string(origin) } else if inferred { service["Type"] = .string("remote") }
        service["EntityPath"] = .array(entityPath)
        service["Inferred"] = .bool(inferred)
        return .object(JSONObject([("Services", .array([.object(service)])), ("ClientImpacting", .bool(clientImpacting))]))
    }

    /// `[{Name, Message}]` from the entity's own `cause.exceptions`.
    static func exceptions(_ fields: JSONObject) -> [JSONValue] {
        guard case .object(let cause)? = fields["cause"], case .array(let list)? = cause["exceptions"] else { return [] }
        return list.compactMap { value in
            guard case .object(let e) = value else { return nil }
            var o = JSONObject()
            if let type = e["type"]?.stringValue { o["Name"] = .string(type) }
            if let message = e["message"]?.stringValue { o["Message"] = .string(message) }
            return .object(o)
        }
    }
}
