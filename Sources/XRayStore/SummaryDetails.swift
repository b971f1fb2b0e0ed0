import XRayWire

/// The parts of a `GetTraceSummaries` TraceSummary that the `traces` row does not hold, as compact JSON text
/// (GetTraceSummaries in the AWS X-Ray API reference): `http` is the `Http` object, `members` the
/// `Annotations`, `Users`, `ServiceIds`, `FaultRootCauses`, `ErrorRootCauses` and `ResponseTimeRootCauses`
/// members in that order, without the braces, so a listing splices both into its output without parsing them.
package struct SummaryDetails: Sendable, Hashable {
    package var http: String
    package var members: String

    package init(http: String, members: String) {
        self.http = http
        self.members = members
    }
}

/// What a service node is and what a root cause is: the one Swift definition, next to the rows it reads.
///
/// The filter language states the same rules in SQL (XRayQuery's `FilterCompiler.inferred`); both say a
/// service node is a segment, or a remote subsegment (namespace `aws` or `remote`) no stored segment names
/// as its parent: X-Ray's inferred node.
package enum SummaryRules {
    /// Root causes listed per kind; a trace with more (thousands of faulty leaves) lists the first ones.
    package static let maxCauses = 16
    /// Entities in one `EntityPath`; a longer path keeps the ones nearest the cause.
    package static let maxPathLength = 64
    /// Traces with more entities get no details at write time (each write would read them all again,
    /// quadratic for a trace streamed one subsegment at a time); a listing computes theirs when it reads them.
    package static let maxEntitiesAtWriteTime = 2_000

    /// Whether a remote call is drawn as a node of its own: a remote subsegment whose callee sent no segment.
    package static func isInferred(kind: Int, namespace: String?, hasChildSegment: Bool) -> Bool {
        kind == EntityKind.subsegment.rawValue && (namespace == "aws" || namespace == "remote") && !hasChildSegment
    }

    /// The `Type` X-Ray gives a node: the segment's origin, `AWS::name` for an AWS call, `remote` for another.
    package static func nodeType(origin: String?, kind: Int, namespace: String?, name: String) -> String? {
        if let origin { return origin }
        guard kind == EntityKind.subsegment.rawValue else { return nil }
        return namespace == "aws" ? "AWS::\(name)" : "remote"
    }

    /// `[{Name, Message}]` of an entity's own `cause.exceptions`, as compact JSON; nil without a `cause`.
    package static func exceptionsJSON(_ entity: JSONObject) -> String? {
        guard let cause = entity["cause"] else { return nil }
        guard case .object(let o) = cause, case .array(let list)? = o["exceptions"] else { return "[]" }
        return JSONWriter.string(
            .array(
                list.compactMap { value in
                    guard case .object(let e) = value else { return nil }
                    var out = JSONObject()
                    if let type = e["type"]?.stringValue { out["Name"] = .string(type) }
                    if let message = e["message"]?.stringValue { out["Message"] = .string(message) }
                    return .object(out)
                }))
    }

    /// The object of the entity at `path` (as `Entity.path` records it) inside its document.
    static func object(at path: String, in json: JSONObject) -> JSONObject? {
        var object = json
        for step in path.split(separator: ".") {
            guard step.hasPrefix("subsegments["), step.hasSuffix("]"),
                let index = Int(step.dropFirst("subsegments[".count).dropLast()),
                case .array(let children)? = object["subsegments"], children.indices.contains(index),
                case .object(let child) = children[index]
            else { return nil }
            object = child
        }
        return object
    }
}

/// A trace's rows as the details are computed from them: entities by id, annotations by key then arrival,
/// users by arrival, each annotation and user with the name of the segment whose document recorded it.
struct TraceRows {
    var entities: [DetailEntity]
    var annotations: [(key: String, value: AnnotationValue, service: String)]
    var users: [(name: String, service: String)]
}

/// What a trace's `trace_details` row holds, with the samples it adds to the rollups.
struct WrittenDetails: Sendable {
    var details: SummaryDetails
    var samples: [RollupSample]
    var encodedSamples: String

    init(_ details: SummaryDetails, rows: TraceRows, facts: TraceFacts) {
        self.details = details
        samples = TraceStore.rollupSamples(rows.entities, facts: facts, annotations: rows.annotations.map { ($0.key, $0.value) })
        encodedSamples = TraceStore.encode(samples)
    }
}

/// One entity row as the details read it.
struct DetailEntity {
    var id: String
    var parentID: String?
    var kind: Int
    var name: String
    var origin: String?
    var namespace: String?
    var start: Double
    var end: Double?
    var error: Bool
    var fault: Bool
    var throttle: Bool
    var documentID: Int64
    var exceptions: String?
    var cause: String?
    var http: RootRequest

    var duration: Double? { end.map { $0 - start } }
    var isRemote: Bool { namespace == "remote" || namespace == "aws" }
}

extension TraceStore {
    /// The details of each trace, in order: stored ones as written, the others (older stores, very large
    /// traces) computed from their entity rows now; an id with no trace gets empty details.
    package func summaryDetails(traceIDs: [String]) throws(StoreError) -> [SummaryDetails] {
        var out: [SummaryDetails] = []
        out.reserveCapacity(traceIDs.count)
        let stored = try db.cached("SELECT http, details FROM trace_details WHERE trace_id=?")
        defer { stored.reset() }
        for id in traceIDs {
            stored.reset()
            stored.bind(1, id)
            if try stored.step() {
                out.append(SummaryDetails(http: stored.text(0) ?? "{}", members: stored.text(1) ?? ""))
                continue
            }
            stored.reset()
            var rootID: String?
            try rows("SELECT root_id FROM traces WHERE trace_id=?", [.text(id)]) { rootID = $0.text(0) }
            out.append(try computeSummaryDetails(traceID: id, rootID: rootID))
        }
        return out
    }

    /// Stores the details and rollup samples of a trace the batch touched (its old samples leave the rollups,
    /// its new ones join them), or drops both for a trace beyond `maxEntitiesAtWriteTime` or without entities:
    /// its details are then computed at read time, and stats scan the rows until it is gone.
    func refreshDetails(traceID: String, rootID: String?, entityCount: Int, facts: TraceFacts?, delta: inout RollupDelta) throws(StoreError) {
        delta.add(try storedSamples(traceID: traceID), sign: -1)
        guard let facts, entityCount <= SummaryRules.maxEntitiesAtWriteTime else {
            let delete = try db.prepared("DELETE FROM trace_details WHERE trace_id=?")
            delete.bind(1, traceID)
            try delete.step()
            return
        }
        let rows = try traceRows(traceID: traceID)
        let details = try computeSummaryDetails(traceID: traceID, rootID: rootID, rows)
        try storeDetails(traceID: traceID, WrittenDetails(details, rows: rows, facts: facts), delta: &delta)
    }

    /// Writes a trace's details row and adds its samples to the rollups.
    func storeDetails(traceID: String, _ written: WrittenDetails, delta: inout RollupDelta) throws(StoreError) {
        delta.add(written.samples, sign: 1)
        let upsert = try db.prepared("INSERT OR REPLACE INTO trace_details(trace_id, http, details, samples) VALUES(?,?,?,?)")
        upsert.bind(1, traceID)
        upsert.bind(2, written.details.http)
        upsert.bind(3, written.details.members)
        upsert.bind(4, written.encodedSamples)
        try upsert.step()
    }

    /// The details from the trace's rows alone: entities (with their exceptions), annotations and documents.
    func computeSummaryDetails(traceID: String, rootID: String?) throws(StoreError) -> SummaryDetails {
        try computeSummaryDetails(traceID: traceID, rootID: rootID, try traceRows(traceID: traceID))
    }

    /// The rows the details are computed from, as stored.
    func traceRows(traceID: String) throws(StoreError) -> TraceRows {
        TraceRows(
            entities: try detailEntities(traceID: traceID), annotations: try annotationSources(traceID: traceID),
            users: try userSources(traceID: traceID))
    }

    /// The details from `rows`, an entity's exceptions read from its stored document when its row lacks them.
    func computeSummaryDetails(traceID: String, rootID: String?, _ rows: TraceRows) throws(StoreError) -> SummaryDetails {
        var documents: [String: SegmentDocument]?
        return try Self.summaryDetails(rootID: rootID, rows) { (entity) throws(StoreError) -> String in
            try exceptions(of: entity, traceID: traceID, documents: &documents)
        }
    }

    static func summaryDetails(
        rootID: String?, _ rows: TraceRows, exceptions: (DetailEntity) throws(StoreError) -> String
    ) throws(StoreError) -> SummaryDetails {
        let entities = rows.entities
        var http = DetailsWriter()
        http.raw("{")
        if let rootID, let root = entities.first(where: { $0.id == rootID }) {
            var first = true
            func field(_ key: StaticString) {
                if !first { http.comma() }
                first = false
                http.key(key)
            }
            if let url = root.http.url { field("HttpURL"); http.string(url) }
            if let status = root.http.status { field("HttpStatus"); http.number(JSONNumber(status)) }
            if let method = root.http.method { field("HttpMethod"); http.string(method) }
            if let agent = root.http.userAgent { field("UserAgent"); http.string(agent) }
            if let ip = root.http.clientIP { field("ClientIp"); http.string(ip) }
        }
        http.raw("}")
        var out = DetailsWriter()
        out.key("Annotations")
        writeAnnotations(rows.annotations, into: &out)
        out.comma()
        out.key("Users")
        writeUsers(rows.users, into: &out)
        out.comma()
        out.key("ServiceIds")
        writeServiceIDs(entities, into: &out)
        out.comma()
        try writeRootCauses(entities, into: &out, exceptions: exceptions)
        return SummaryDetails(http: http.text, members: out.text)
    }

    func detailEntities(traceID: String) throws(StoreError) -> [DetailEntity] {
        var out: [DetailEntity] = []
        try rows(
            """
            SELECT id, parent_id, kind, name, origin, namespace, start_time, end_time, error, fault, document_id, exceptions, cause,
                http_url, http_status, http_method, http_user_agent, http_client_ip, throttle
            FROM entities WHERE trace_id=? ORDER BY id
            """, [.text(traceID)]
        ) { s in
            out.append(
                DetailEntity(
                    id: s.text(0) ?? "", parentID: s.text(1), kind: s.int(2), name: s.text(3) ?? "", origin: s.text(4),
                    namespace: s.text(5), start: s.double(6), end: s.optionalDouble(7), error: s.bool(8), fault: s.bool(9), throttle: s.bool(18),
                    documentID: Int64(s.int(10)), exceptions: s.text(11), cause: s.text(12),
                    http: RootRequest(url: s.text(13), status: s.optionalInt(14), method: s.text(15), userAgent: s.text(16), clientIP: s.text(17))))
        }
        return out
    }

    /// Each annotation key with its distinct values, each with the segments whose documents recorded it.
    static func writeAnnotations(_ sources: [(key: String, value: AnnotationValue, service: String)], into out: inout DetailsWriter) {
        var annotations: [(key: String, values: [(value: AnnotationValue, services: [String])])] = []
        for source in sources {
            if annotations.last?.key != source.key { annotations.append((source.key, [])) }
            let last = annotations.count - 1
            // Values compare as JSON does: 1 and 1.0 are the same number.
            if let i = annotations[last].values.firstIndex(where: { $0.value == source.value }) {
                if !annotations[last].values[i].services.contains(source.service) { annotations[last].values[i].services.append(source.service) }
            } else {
                annotations[last].values.append((source.value, [source.service]))
            }
        }
        out.raw("{")
        for (i, entry) in annotations.enumerated() {
            if i > 0 { out.comma() }
            out.string(entry.key)
            out.raw(":[")
            for (j, v) in entry.values.enumerated() {
                if j > 0 { out.comma() }
                out.raw("{\"AnnotationValue\":")
                switch v.value {
                case .number(let n): out.raw("{\"NumberValue\":"); out.number(JSONNumber(n))
                case .bool(let b): out.raw("{\"BooleanValue\":"); out.bool(b)
                case .string(let text): out.raw("{\"StringValue\":"); out.string(text)
                }
                out.raw("},\"ServiceIds\":")
                out.serviceIDs(v.services)
                out.raw("}")
            }
            out.raw("]")
        }
        out.raw("}")
    }

    static func writeUsers(_ sources: [(name: String, service: String)], into out: inout DetailsWriter) {
        var users: [(name: String, services: [String])] = []
        for source in sources {
            if let i = users.firstIndex(where: { $0.name == source.name }) {
                if !users[i].services.contains(source.service) { users[i].services.append(source.service) }
            } else {
                users.append((source.name, [source.service]))
            }
        }
        out.raw("[")
        for (i, u) in users.enumerated() {
            if i > 0 { out.comma() }
            out.raw("{\"UserName\":")
            out.string(u.name)
            out.raw(",\"ServiceIds\":")
            out.serviceIDs(u.services)
            out.raw("}")
        }
        out.raw("]")
    }

    /// Ids of the entities some stored segment names as its parent.
    static func parentsOfSegments(_ entities: [DetailEntity]) -> Set<String> {
        var out = Set<String>()
        for e in entities where e.kind == EntityKind.segment.rawValue { if let p = e.parentID { out.insert(p) } }
        return out
    }

    /// Every service node (segments and inferred nodes) once per name and type, in entity id order.
    static func writeServiceIDs(_ entities: [DetailEntity], into out: inout DetailsWriter) {
        let parents = parentsOfSegments(entities)
        var services: [(name: String, type: String?)] = []
        for e in entities
        where e.kind == EntityKind.segment.rawValue
            || SummaryRules.isInferred(kind: e.kind, namespace: e.namespace, hasChildSegment: parents.contains(e.id))
        {
            let node = (name: e.name, type: SummaryRules.nodeType(origin: e.origin, kind: e.kind, namespace: e.namespace, name: e.name))
            if !services.contains(where: { $0.name == node.name && $0.type == node.type }) { services.append(node) }
        }
        out.raw("[")
        for (i, s) in services.enumerated() {
            if i > 0 { out.comma() }
            out.serviceHead(s.name)
            if let t = s.type { out.raw(",\"Type\":"); out.string(t) }
            out.raw("}")
        }
        out.raw("]")
    }
}
