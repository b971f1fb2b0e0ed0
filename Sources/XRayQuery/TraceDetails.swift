import XRayStore
import XRayWire

/// The parts of a `GetTraceSummaries` TraceSummary that live outside the `traces` row: annotations, users and
/// services, read with one query each per listed trace.
public enum TraceDetails {
    /// `Http` (with `UserAgent` and `ClientIp`), `Annotations`, `Users`, `ServiceIds` and the root causes for one
    /// trace, in the API's shapes; "ServiceIds" of an annotation
    /// or a user name the segment whose document recorded it.
    public static func fields(traceID: String, engine: QueryEngine) throws(QueryError) -> [(key: String, value: JSONValue)] {
        var annotations: [(key: String, values: [(value: JSONValue, services: [String])])] = []
        try engine.rows("""
            SELECT a.key, a.type, a.value, top.name FROM annotations a JOIN documents d ON d.rowid=a.document_id
            JOIN entities top ON top.trace_id=d.trace_id AND top.id=d.id WHERE a.trace_id=? ORDER BY a.key, d.rowid
            """, [.text(traceID)]) { s in
            let key = s.text(0) ?? ""
            let value: JSONValue = switch s.int(1) {
            case 1: .object(JSONObject([("NumberValue", .number(JSONNumber(s.double(2))))]))
            case 2: .object(JSONObject([("BooleanValue", .bool(s.bool(2)))]))
            default: .object(JSONObject([("StringValue", .string(s.text(2) ?? ""))]))
            }
            let service = s.text(3) ?? ""
            if annotations.last?.key != key { annotations.append((key, [])) }
            let last = annotations.count - 1
            if let i = annotations[last].values.firstIndex(where: { $0.value == value }) {
                if !annotations[last].values[i].services.contains(service) { annotations[last].values[i].services.append(service) }
            } else {
                annotations[last].values.append((value, [service]))
            }
        }
        var users: [(name: String, services: [String])] = []
        try engine.rows("""
            SELECT e.user, top.name FROM entities e JOIN documents d ON d.rowid=e.document_id
            JOIN entities top ON top.trace_id=d.trace_id AND top.id=d.id WHERE e.trace_id=? AND e.user IS NOT NULL ORDER BY d.rowid
            """, [.text(traceID)]) { s in
            let name = s.text(0) ?? "", service = s.text(1) ?? ""
            if let i = users.firstIndex(where: { $0.name == name }) {
                if !users[i].services.contains(service) { users[i].services.append(service) }
            } else {
                users.append((name, [service]))
            }
        }
        var services: [(name: String, type: String?)] = []
        try engine.rows(ServiceGraph.nodeSQL(where: "c.trace_id=?"), [.text(traceID)]) { s in
            let name = s.text(0) ?? ""
            let node = (name: name, type: ServiceGraph.nodeType(origin: s.text(1), kind: s.int(2), namespace: s.text(3), name: name))
            if !services.contains(where: { $0.name == node.name && $0.type == node.type }) { services.append(node) }
        }
        // The root segment's request, with the two fields the summary row does not keep.
        var http = JSONObject()
        try engine.rows("""
            SELECT e.http_url, e.http_status, e.http_method, e.http_user_agent, e.http_client_ip FROM traces t
            JOIN entities e ON e.trace_id=t.trace_id AND e.id=t.root_id WHERE t.trace_id=?
            """, [.text(traceID)]) { s in
            if let url = s.text(0) { http["HttpURL"] = .string(url) }
            if let status = s.optionalInt(1) { http["HttpStatus"] = .number(JSONNumber(status)) }
            if let method = s.text(2) { http["HttpMethod"] = .string(method) }
            if let agent = s.text(3) { http["UserAgent"] = .string(agent) }
            if let ip = s.text(4) { http["ClientIp"] = .string(ip) }
        }
        func serviceIDs(_ names: [String]) -> JSONValue {
            .array(names.map { .object(JSONObject([("Name", .string($0)), ("Names", .array([.string($0)]))])) })
        }
        let tree: TraceTree
        do {
            tree = try engine.store.trace(traceID)
        } catch {
            throw QueryError.store(error)
        }
        return [
            ("Http", .object(http)),
            ("Annotations", .object(JSONObject(annotations.map { entry in
                (entry.key, .array(entry.values.map { .object(JSONObject([("AnnotationValue", $0.value), ("ServiceIds", serviceIDs($0.services))])) }))
            }))),
            ("Users", .array(users.map { .object(JSONObject([("UserName", .string($0.name)), ("ServiceIds", serviceIDs($0.services))])) })),
            ("ServiceIds", .array(services.map { s in
                var o = JSONObject([("Name", .string(s.name)), ("Names", .array([.string(s.name)]))])
                if let t = s.type { o["Type"] = .string(t) }
                return .object(o)
            })),
        ] + RootCauses.fields(tree)
    }
}
