/// Whether an entity is a segment (a service's unit of work) or a subsegment (work inside one).
public enum EntityKind: Int, Sendable, Hashable {
    case segment = 0
    case subsegment = 1

    public var name: String { self == .segment ? "segment" : "subsegment" }
}

/// An annotation value: X-Ray indexes only strings, numbers and booleans.
public enum AnnotationValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)

    /// The SQLite type tag the store uses for this value.
    public var typeTag: Int {
        switch self {
        case .string: 0
        case .number: 1
        case .bool: 2
        }
    }

    public var displayText: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .number(let d): d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .bool(let b): b ? "true" : "false"
        }
    }
}

/// One segment or subsegment, with the fields queries and views need pulled out of its document.
public struct Entity: Sendable, Hashable {
    public var traceID: String
    public var id: String
    /// The parent entity: the enclosing entity for inline subsegments, `parent_id` otherwise.
    public var parentID: String?
    public var kind: EntityKind
    public var name: String
    public var origin: String?
    public var namespace: String?
    public var startTime: Double
    public var endTime: Double?
    public var inProgress: Bool
    public var error: Bool
    public var fault: Bool
    public var throttle: Bool
    public var httpMethod: String?
    public var httpURL: String?
    public var httpStatus: Int?
    public var httpUserAgent: String?
    public var httpClientIP: String?
    public var user: String?
    public var sql: String?
    /// A one-line summary of `cause`: `Type: message`, or `exception <id>` for the string form.
    public var cause: String?
    public var annotations: [Annotation]
    /// Things the X-Ray service would reject or drop, kept so the user sees them.
    public var warnings: [String]
    /// Where the entity sits in its document: `""` for the top, `subsegments[0].subsegments[2]` below it.
    public var path: String

    public struct Annotation: Sendable, Hashable {
        public var key: String
        public var value: AnnotationValue
        public init(key: String, value: AnnotationValue) {
            self.key = key
            self.value = value
        }
    }

    /// Seconds from start to end, or nil while in progress.
    public var duration: Double? { endTime.map { $0 - startTime } }
}

/// A segment document as sent by an SDK: one top-level entity with its inline subsegments.
public struct SegmentDocument: Sendable {
    public var traceID: String
    /// The top-level entity's id; the store keys documents by `(traceID, id)`.
    public var id: String
    public var inProgress: Bool
    /// The top-level entity first, then its inline subsegments depth first.
    public var entities: [Entity]
    /// The parsed document, keys in their original order.
    public var json: JSONObject

    /// An entity's own fields (its `subsegments` left out), found by the `path` the parser recorded for it,
    /// so views need not walk the document again in step with the parser; empty for a path not in `json`.
    public func fields(of entity: Entity) -> JSONObject {
        var object = json
        for step in entity.path.split(separator: ".") {
            guard step.hasPrefix("subsegments["), step.hasSuffix("]"),
                let index = Int(step.dropFirst("subsegments[".count).dropLast()),
                case .array(let children)? = object["subsegments"], children.indices.contains(index),
                case .object(let child) = children[index]
            else { return JSONObject() }
            object = child
        }
        object["subsegments"] = nil
        return object
    }
}

/// Why a document cannot be stored; `field` names the JSON path at fault when there is one.
public struct DocumentRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "field \(field): \(message)" }
        return message
    }
}

/// Parses and validates segment documents the way SDKs really send them (aws-xray-sdk-python and aws-xray-sdk-go, as they emit documents).
///
/// It is lenient where producers differ (unknown keys, `content_length` as a string, `cause` as an id,
/// `in_progress: false` next to `end_time`, nested subsegments repeating `trace_id`) and strict where the
/// X-Ray service is (ids, times, exactly one of `end_time`/`in_progress`).
public enum SegmentDocumentParser {
    /// Parses one document from its bytes.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws(DocumentRejection) -> SegmentDocument {
        let result: JSONParser.Result
        do {
            result = try JSONParser.parse(buffer: bytes)
        } catch {
            throw DocumentRejection(field: nil, message: "not JSON: \(error.description)")
        }
        var warnings: [(path: String, text: String)] = []
        if !result.leniency.nonFiniteNumbers.isEmpty || !result.duplicateKeys.isEmpty {
            // Rare: parse again with paths so each warning lands on the entity that holds the value.
            let withPaths = try? JSONParser.parse(buffer: bytes, options: .init(recordPositions: true))
            for path in withPaths?.leniency.nonFiniteNumbers ?? result.leniency.nonFiniteNumbers {
                warnings.append((path, "\(path) is not a finite number; stored as a string. The X-Ray service would reject this document"))
            }
            // Python's json (the SDKs and the service's own tooling) keeps the last of repeated keys, and so
            // does the parser; the repeat is worth seeing, since another reader may keep the first.
            for duplicate in withPaths?.duplicateKeys ?? result.duplicateKeys {
                warnings.append((duplicate.path, "key \"\(duplicate.key.prefix(64))\" repeated at byte \(duplicate.offset); the last value was kept"))
            }
        }
        return try parse(value: result.value, warnings: warnings)
    }

    public static func parse(bytes: [UInt8]) throws(DocumentRejection) -> SegmentDocument {
        try bytes.withUnsafeBufferPointer { (b) throws(DocumentRejection) -> SegmentDocument in try parse(bytes: b) }
    }

    public static func parse(_ text: String) throws(DocumentRejection) -> SegmentDocument {
        try parse(bytes: Array(text.utf8))
    }

    /// Validates an already parsed document.
    public static func parse(value: JSONValue, warnings: [(path: String, text: String)] = []) throws(DocumentRejection) -> SegmentDocument {
        guard case .object(let object) = value else {
            throw DocumentRejection(field: nil, message: "expected a JSON object, found \(value.typeName)")
        }
        guard let traceValue = object["trace_id"] else {
            throw DocumentRejection(field: "trace_id", message: "missing; every top-level document needs the trace id (1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx)")
        }
        guard case .string(let traceID) = traceValue else {
            throw DocumentRejection(field: "trace_id", message: "expected a string, found \(traceValue.typeName)")
        }
        guard XRayID.isTraceID(traceID) else {
            throw DocumentRejection(field: "trace_id", message: "\"\(traceID.prefix(64))\" is not 1-<8 lowercase hex>-<24 lowercase hex>")
        }
        let isSubsegment: Bool
        switch object["type"] {
        case nil, .string("segment"): isSubsegment = false
        case .string("subsegment"): isSubsegment = true
        case let other?:
            throw DocumentRejection(field: "type", message: "expected \"subsegment\" or no type, found \(describe(other))")
        }
        if isSubsegment && object["parent_id"] == nil {
            throw DocumentRejection(field: "parent_id", message: "missing; a subsegment sent on its own needs the id of its parent")
        }
        var entities: [Entity] = []
        var seen = Set<String>()
        try walk(
            object, path: "", traceID: traceID, parentID: nil, kind: isSubsegment ? .subsegment : .segment,
            entities: &entities, seen: &seen)
        for w in warnings {
            let index =
                entities.lastIndex { e in
                    e.path.isEmpty || w.path == e.path || w.path.hasPrefix(e.path + ".")
                } ?? 0
            entities[index].warnings.append(w.text)
        }
        let top = entities[0]
        return SegmentDocument(traceID: traceID, id: top.id, inProgress: top.inProgress, entities: entities, json: object)
    }

    /// Epoch seconds a store can index: from 1970 to the end of year 9999. Beyond that a time is a
    /// producer's bug (milliseconds or nanoseconds sent as seconds, `1e400`), and durations computed from
    /// it would be infinite or NaN.
    public static let saneEpochSeconds: ClosedRange<Double> = 0...253_402_300_799

    static func timeProblem(_ n: JSONNumber) -> String {
        let text = n.text.prefix(40)
        return n.double.isFinite
            ? "\(text) is outside 0...253402300799 (1970 to 9999) epoch seconds; send seconds, not milliseconds"
            : "\(text) is not a finite number of epoch seconds"
    }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "\"\(s.prefix(40))\""
        default: v.typeName
        }
    }

    static func fieldPath(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    // swiftlint:disable:next function_body_length
    static func walk(
        _ o: JSONObject, path: String, traceID: String, parentID: String?, kind: EntityKind,
        entities: inout [Entity], seen: inout Set<String>
    ) throws(DocumentRejection) {
        func reject(_ key: String, _ message: String) -> DocumentRejection {
            DocumentRejection(field: fieldPath(path, key), message: message)
        }
        guard let nameValue = o["name"] else { throw reject("name", "missing; every segment and subsegment needs a name") }
        guard case .string(let name) = nameValue else { throw reject("name", "expected a string, found \(nameValue.typeName)") }
        guard let idValue = o["id"] else { throw reject("id", "missing; expected 16 lowercase hex digits") }
        guard case .string(let id) = idValue, XRayID.isEntityID(id) else {
            throw reject("id", "\(describe(idValue)) is not 16 lowercase hex digits")
        }
        guard seen.insert(id).inserted else { throw reject("id", "\"\(id)\" appears twice in this document") }
        if !path.isEmpty, let t = o["trace_id"], t != .string(traceID) {
            throw reject("trace_id", "\(describe(t)) differs from the document's trace id \(traceID)")
        }
        var parent = parentID
        if let p = o["parent_id"] {
            guard case .string(let pid) = p, XRayID.isEntityID(pid) else {
                throw reject("parent_id", "\(describe(p)) is not 16 lowercase hex digits")
            }
            if path.isEmpty { parent = pid }
        }
        guard let startValue = o["start_time"] else { throw reject("start_time", "missing; expected epoch seconds as a number") }
        guard case .number(let startNumber) = startValue else {
            throw reject("start_time", "expected a number of epoch seconds, found \(describe(startValue))")
        }
        let start = startNumber.double
        guard saneEpochSeconds.contains(start) else { throw reject("start_time", timeProblem(startNumber)) }
        var inProgress = false
        if let ip = o["in_progress"] {
            guard case .bool(let b) = ip else { throw reject("in_progress", "expected true or false, found \(describe(ip))") }
            inProgress = b
        }
        var end: Double?
        if let e = o["end_time"] {
            guard case .number(let n) = e else {
                throw reject("end_time", "expected a number of epoch seconds, found \(describe(e))")
            }
            guard saneEpochSeconds.contains(n.double) else { throw reject("end_time", timeProblem(n)) }
            end = n.double
        }
        switch (end, inProgress) {
        case (nil, false):
            throw reject("end_time", "missing; a finished entity needs end_time, an unfinished one \"in_progress\": true")
        case (.some, true):
            throw reject("in_progress", "true together with end_time; send exactly one of them")
        case (let e?, false) where e < start:
            throw reject("end_time", "\(e) is before start_time \(start)")
        default: break
        }

        var entity = Entity(
            traceID: traceID, id: id, parentID: parent, kind: kind, name: name,
            origin: nil, namespace: nil, startTime: start, endTime: end, inProgress: inProgress,
            error: false, fault: false, throttle: false,
            httpMethod: nil, httpURL: nil, httpStatus: nil, httpUserAgent: nil, httpClientIP: nil,
            user: nil, sql: nil, cause: nil, annotations: [], warnings: [], path: path
        )
        var children: [JSONValue] = []
        for (key, value) in o.members {
            switch key {
            case "origin": entity.origin = value.stringValue
            case "namespace": entity.namespace = value.stringValue
            case "user": entity.user = value.stringValue
            case "error", "fault", "throttle":
                guard case .bool(let b) = value else {
                    entity.warnings.append("\(fieldPath(path, key)) is \(value.typeName), not a boolean; ignored")
                    continue
                }
                if key == "error" { entity.error = b } else if key == "fault" { entity.fault = b } else { entity.throttle = b }
            case "http":
                if case .object(let http) = value { readHTTP(http, into: &entity, path: fieldPath(path, "http")) }
            case "sql":
                if case .object(let sql) = value { entity.sql = sql["sanitized_query"]?.stringValue ?? sql["url"]?.stringValue }
            case "cause":
                entity.cause = causeSummary(value)
                switch value {
                case .string, .object: break
                default:
                    // Kept, as the service keeps a document and drops what does not fit its schema.
                    entity.warnings.append("\(fieldPath(path, key)) is \(value.typeName), neither an exception id string nor an object; ignored")
                }
            case "annotations":
                guard case .object(let a) = value else {
                    entity.warnings.append("\(fieldPath(path, key)) is \(value.typeName), not an object; ignored")
                    continue
                }
                for (k, v) in a.members {
                    switch v {
                    case .string(let s): entity.annotations.append(.init(key: k, value: .string(s)))
                    case .number(let n): entity.annotations.append(.init(key: k, value: .number(n.double)))
                    case .bool(let b): entity.annotations.append(.init(key: k, value: .bool(b)))
                    default:
                        entity.warnings.append("annotation \(k) is \(v.typeName); X-Ray indexes only strings, numbers and booleans")
                    }
                }
            case "subsegments":
                guard case .array(let a) = value else { throw reject(key, "expected an array, found \(value.typeName)") }
                children = a
            default: break
            }
        }
        entities.append(entity)
        for (i, child) in children.enumerated() {
            let childPath = fieldPath(path, "subsegments[\(i)]")
            guard case .object(let co) = child else {
                throw DocumentRejection(field: childPath, message: "expected an object, found \(child.typeName)")
            }
            try walk(co, path: childPath, traceID: traceID, parentID: id, kind: .subsegment, entities: &entities, seen: &seen)
        }
    }

    static func readHTTP(_ http: JSONObject, into e: inout Entity, path: String) {
        if case .object(let req) = http["request"] {
            e.httpMethod = req["method"]?.stringValue
            e.httpURL = req["url"]?.stringValue
            e.httpUserAgent = req["user_agent"]?.stringValue
            e.httpClientIP = req["client_ip"]?.stringValue
        }
        if case .object(let resp) = http["response"] {
            switch resp["status"] {
            case .number(let n)?: e.httpStatus = n.int
            case .string(let s)?:
                e.httpStatus = Int(s)
                if e.httpStatus == nil { e.warnings.append("\(path).response.status \"\(s.prefix(20))\" is not a number; ignored") }
            default: break
            }
        }
    }

    static func causeSummary(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return "exception \(s)"
        case .object(let o):
            guard case .array(let exceptions) = o["exceptions"], let first = exceptions.first?.objectValue else {
                return o["message"]?.stringValue
            }
            let type = first["type"]?.stringValue
            let message = first["message"]?.stringValue
            switch (type, message) {
            case let (t?, m?): return "\(t): \(m)"
            case let (t?, nil): return t
            case let (nil, m?): return m
            default: return first["id"]?.stringValue.map { "exception \($0)" }
            }
        default: return nil
        }
    }
}
