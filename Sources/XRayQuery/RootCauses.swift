import XRayStore
import XRayWire

/// The root-cause fields of a `GetTraceSummaries` TraceSummary, computed from the assembled trace with the
/// same meaning the filter language gives `rootcause.*`: for faults and errors, the entities with the flag
/// none of whose children has it; for response time, the slowest leaf.
public enum RootCauses {
    /// `FaultRootCauses`, `ErrorRootCauses` and `ResponseTimeRootCauses`, in the API's shapes.
    public static func fields(_ trace: TraceTree) -> [(key: String, value: JSONValue)] {
        var faults: [[TraceNode]] = []
        var errors: [[TraceNode]] = []
        var slowest: (path: [TraceNode], duration: Double)?
        func walk(_ node: TraceNode, path: [TraceNode]) {
            let path = path + [node]
            if node.entity.fault && !node.children.contains(where: { $0.entity.fault }) { faults.append(path) }
            if node.entity.error && !node.children.contains(where: { $0.entity.error }) { errors.append(path) }
            if node.children.isEmpty, let d = node.entity.duration, d > (slowest?.duration ?? -1) { slowest = (path, d) }
            for child in node.children { walk(child, path: path) }
        }
        for root in trace.roots { walk(root, path: []) }
        let rootFault = trace.roots.contains { $0.entity.fault }
        let rootError = trace.roots.contains { $0.entity.error }
        let rootDuration = trace.roots.compactMap(\.entity.duration).max() ?? 0
        var out: [(key: String, value: JSONValue)] = [
            ("FaultRootCauses", .array(faults.map { cause($0, clientImpacting: rootFault, coverage: nil) })),
            ("ErrorRootCauses", .array(errors.map { cause($0, clientImpacting: rootError, coverage: nil) })),
        ]
        if let slowest, rootDuration > 0 {
            out.append(("ResponseTimeRootCauses", .array([cause(slowest.path, clientImpacting: true, coverage: slowest.duration / rootDuration)])))
        } else {
            out.append(("ResponseTimeRootCauses", .array([])))
        }
        return out
    }

    /// One root cause: the service that owns the entity (its nearest segment, or the inferred node a remote
    /// call stands for) and the path of entities from that service down to the cause.
    static func cause(_ path: [TraceNode], clientImpacting: Bool, coverage: Double?) -> JSONValue {
        guard let last = path.last else { return .object(JSONObject()) }
        let inferred = last.entity.kind == .subsegment && ["aws", "remote"].contains(last.entity.namespace ?? "")
        let start = inferred ? path.count - 1 : (path.lastIndex { $0.entity.kind == .segment } ?? 0)
        let owner = path[start]
        var entityPath: [JSONValue] = []
        for (i, node) in path[start...].enumerated() {
            var entry = JSONObject([("Name", .string(node.entity.name))])
            if i == path.count - start - 1 {
                entry["Exceptions"] = .array(exceptions(node.fields))
                if let coverage { entry["Coverage"] = .number(JSONNumber((coverage * 1000).rounded() / 1000)) }
            }
            entry["Remote"] = .bool(node.entity.namespace == "remote" || node.entity.namespace == "aws")
            entityPath.append(.object(entry))
        }
        var service = JSONObject([
            ("Name", .string(owner.entity.name)),
            ("Names", .array([.string(owner.entity.name)])),
        ])
        if let origin = owner.entity.origin { service["Type"] = .string(origin) } else if inferred { service["Type"] = .string("remote") }
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
