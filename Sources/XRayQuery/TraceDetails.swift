import XRayStore
import XRayWire

/// The parts of a `GetTraceSummaries` TraceSummary that live outside the `traces` row: annotations, users and
/// services, read with one query each per listed trace.
package enum TraceDetails {
    /// `Http` (with `UserAgent` and `ClientIp`), `Annotations`, `Users`, `ServiceIds` and the root causes for one
    /// trace, in the API's shapes; "ServiceIds" of an annotation
    /// or a user name the segment whose document recorded it.
    package static func fields(traceID: String, engine: QueryEngine) throws(QueryError) -> [(key: String, value: JSONValue)] {
        var annotations: [(key: String, values: [(value: JSONValue, services: [String])])] = []
        for source in try engine.reading({ () throws(StoreError) in try engine.store.annotationSources(traceID: traceID) }) {
            let value: JSONValue = switch source.value {
            case .number(let n): .object(JSONObject([("NumberValue", .number(JSONNumber(n)))]))
            case .bool(let b): .object(JSONObject([("BooleanValue", .bool(b))]))
            case .string(let text): .object(JSONObject([("StringValue", .string(text))]))
            }
            if annotations.last?.key != source.key { annotations.append((source.key, [])) }
            let last = annotations.count - 1
            if let i = annotations[last].values.firstIndex(where: { $0.value == value }) {
                if !annotations[last].values[i].services.contains(source.service) { annotations[last].values[i].services.append(source.service) }
            } else {
                annotations[last].values.append((value, [source.service]))
            }
        }
        var users: [(name: String, services: [String])] = []
        for source in try engine.reading({ () throws(StoreError) in try engine.store.userSources(traceID: traceID) }) {
            if let i = users.firstIndex(where: { $0.name == source.name }) {
                if !users[i].services.contains(source.service) { users[i].services.append(source.service) }
            } else {
                users.append((source.name, [source.service]))
            }
        }
        var services: [(name: String, type: String?)] = []
        try engine.reading { () throws(StoreError) in
            try engine.store.serviceNodes(traceID: traceID, ServiceGraph.nodeSQL()) { row in
                let node = (name: row.name, type: ServiceGraph.nodeType(origin: row.origin, kind: row.kind, namespace: row.namespace, name: row.name))
                if !services.contains(where: { $0.name == node.name && $0.type == node.type }) { services.append(node) }
            }
        }
        // The root segment's request, with the two fields the summary row does not keep.
        var http = JSONObject()
        if let request = try engine.reading({ () throws(StoreError) in try engine.store.rootRequest(traceID: traceID) }) {
            if let url = request.url { http["HttpURL"] = .string(url) }
            if let status = request.status { http["HttpStatus"] = .number(JSONNumber(status)) }
            if let method = request.method { http["HttpMethod"] = .string(method) }
            if let agent = request.userAgent { http["UserAgent"] = .string(agent) }
            if let ip = request.clientIP { http["ClientIp"] = .string(ip) }
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
