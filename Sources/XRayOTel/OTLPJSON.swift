import XRayWire

/// Decodes OTLP/JSON `ExportTraceServiceRequest` bodies (`application/json`), with the quirks of the OTLP
/// specification's "JSON Protobuf Encoding": ids are case-insensitive hex (not base64), enums are integers,
/// 64-bit integers may be strings or numbers, keys are lowerCamelCase, and unknown keys are ignored.
///
/// Enum names (`"SPAN_KIND_SERVER"`) are also read, as the Collector's decoder does, though senders must not
/// write them.
public enum OTLPJSONDecoder {
    /// - Throws: `OTLPDecodingError.jsonSyntax` for text that is not JSON, `.jsonValue` with the JSON path of a
    ///   member of the wrong type; spans with bad ids are listed in `OTLPRequest.rejections` instead.
    public static func decode(_ bytes: [UInt8], limits: OTLPDecodingLimits = OTLPDecodingLimits()) throws(OTLPDecodingError) -> OTLPRequest {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(size: bytes.count, limit: limits.maxBytes) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, options: .init(allowNonFinite: false)).value
        } catch {
            throw .jsonSyntax(error.description)
        }
        var d = Decoder(limits: limits)
        return try d.request(value)
    }

    struct Decoder {
        let limits: OTLPDecodingLimits
        var out = OTLPRequest()

        func object(_ v: JSONValue, _ path: String) throws(OTLPDecodingError) -> JSONObject {
            switch v {
            case .object(let o): return o
            case .null: return JSONObject()
            default: throw .jsonValue(path: path, message: "expected an object, found \(v.typeName)")
            }
        }

        func array(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> [JSONValue] {
            switch v {
            case nil, .null?: return []
            case .array(let a)?: return a
            case let v?: throw .jsonValue(path: path, message: "expected an array, found \(v.typeName)")
            }
        }

        func string(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> String {
            switch v {
            case nil, .null?: return ""
            case .string(let s)?: return s
            case let v?: throw .jsonValue(path: path, message: "expected a string, found \(v.typeName)")
            }
        }

        /// A 64-bit integer as a decimal string or a JSON number (OTLP/JSON writes 64-bit fields as strings,
        /// some senders as numbers); a number is taken only when it is exactly an integer of that type.
        func integer<T: FixedWidthInteger>(_ v: JSONValue?, _ path: String, _: T.Type, _ kind: String) throws(OTLPDecodingError) -> T {
            switch v {
            case nil, .null?: return 0
            case .string(let s)?:
                guard let n = T(s) else { throw .jsonValue(path: path, message: "\"\(s.prefix(30))\" is not \(kind)") }
                return n
            case .number(let n)?:
                if let i = T(n.text) { return i }
                guard let i = T(exactly: n.double) else { throw .jsonValue(path: path, message: "\(n.text) is not \(kind)") }
                return i
            case let v?: throw .jsonValue(path: path, message: "expected an integer, found \(v.typeName)")
            }
        }

        func uint64(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> UInt64 {
            try integer(v, path, UInt64.self, "an unsigned 64-bit integer")
        }

        func int64(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> Int64 {
            try integer(v, path, Int64.self, "a 64-bit integer")
        }

        func uint32(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> UInt32 {
            let n = try uint64(v, path)
            guard n <= UInt64(UInt32.max) else { throw .jsonValue(path: path, message: "\(n) does not fit 32 bits") }
            return UInt32(n)
        }

        func enumValue(_ v: JSONValue?, _ path: String, names: [String]) throws(OTLPDecodingError) -> Int32 {
            if case .string(let s)? = v, let i = names.firstIndex(of: s) { return Int32(i) }
            let n = try int64(v, path)
            guard let i = Int32(exactly: n) else { throw .jsonValue(path: path, message: "\(n) is not a 32-bit enum value") }
            return i
        }

        /// Hex id; nil when it is not hex (a per-span rejection, not a request error).
        func id(_ v: JSONValue?, _ path: String) throws(OTLPDecodingError) -> [UInt8]? {
            let s = try string(v, path)
            var out: [UInt8] = []
            out.reserveCapacity(s.utf8.count / 2)
            var high: UInt8?
            for c in s.utf8 {
                let n: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): n = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): n = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): n = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                if let h = high {
                    out.append(h << 4 | n)
                    high = nil
                } else {
                    high = n
                }
            }
            return high == nil ? out : nil
        }

        mutating func request(_ v: JSONValue) throws(OTLPDecodingError) -> OTLPRequest {
            let o = try object(v, "$")
            for (i, rsValue) in try array(o["resourceSpans"], "resourceSpans").enumerated() {
                let path = "resourceSpans[\(i)]"
                let rs = try object(rsValue, path)
                var out = OTLPResourceSpans()
                if let r = rs["resource"] {
                    let ro = try object(r, path + ".resource")
                    out.resource.attributes = try attributes(ro["attributes"], path + ".resource.attributes")
                    out.resource.droppedAttributesCount = try uint32(ro["droppedAttributesCount"], path + ".resource.droppedAttributesCount")
                }
                out.schemaURL = try string(rs["schemaUrl"], path + ".schemaUrl")
                for (j, ssValue) in try array(rs["scopeSpans"], path + ".scopeSpans").enumerated() {
                    out.scopeSpans.append(try scopeSpans(ssValue, "\(path).scopeSpans[\(j)]"))
                }
                self.out.resourceSpans.append(out)
            }
            return out
        }

        mutating func scopeSpans(_ v: JSONValue, _ path: String) throws(OTLPDecodingError) -> OTLPScopeSpans {
            let o = try object(v, path)
            var out = OTLPScopeSpans()
            if let s = o["scope"] {
                let so = try object(s, path + ".scope")
                out.scope.name = try string(so["name"], path + ".scope.name")
                out.scope.version = try string(so["version"], path + ".scope.version")
                out.scope.attributes = try attributes(so["attributes"], path + ".scope.attributes")
                out.scope.droppedAttributesCount = try uint32(so["droppedAttributesCount"], path + ".scope.droppedAttributesCount")
            }
            out.schemaURL = try string(o["schemaUrl"], path + ".schemaUrl")
            for (k, spanValue) in try array(o["spans"], path + ".spans").enumerated() {
                let spanPath = "\(path).spans[\(k)]"
                switch try span(spanValue, spanPath) {
                case .success(let s): out.spans.append(s)
                case .failure(let reason): self.out.rejections.append(OTLPSpanRejection(path: spanPath, reason: reason))
                }
            }
            return out
        }

        func span(_ v: JSONValue, _ path: String) throws(OTLPDecodingError) -> Result<OTLPSpan, OTLPSpanRejection.Reason> {
            let o = try object(v, path)
            guard let traceID = try id(o["traceId"], path + ".traceId") else { return .failure(.idNotHex(field: "traceId")) }
            guard let spanID = try id(o["spanId"], path + ".spanId") else { return .failure(.idNotHex(field: "spanId")) }
            guard let parent = try id(o["parentSpanId"], path + ".parentSpanId") else { return .failure(.idNotHex(field: "parentSpanId")) }
            var s = OTLPSpan(traceID: traceID, spanID: spanID, parentSpanID: parent)
            s.traceState = try string(o["traceState"], path + ".traceState")
            s.name = try string(o["name"], path + ".name")
            s.kind = OTLPSpanKind(
                rawValue: try enumValue(
                    o["kind"], path + ".kind",
                    names: [
                        "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
                    ]))
            s.startTimeUnixNano = try uint64(o["startTimeUnixNano"], path + ".startTimeUnixNano")
            s.endTimeUnixNano = try uint64(o["endTimeUnixNano"], path + ".endTimeUnixNano")
            s.attributes = try attributes(o["attributes"], path + ".attributes")
            s.droppedAttributesCount = try uint32(o["droppedAttributesCount"], path + ".droppedAttributesCount")
            for (i, e) in try array(o["events"], path + ".events").enumerated() {
                let ep = "\(path).events[\(i)]"
                let eo = try object(e, ep)
                s.events.append(
                    OTLPEvent(
                        timeUnixNano: try uint64(eo["timeUnixNano"], ep + ".timeUnixNano"), name: try string(eo["name"], ep + ".name"),
                        attributes: try attributes(eo["attributes"], ep + ".attributes"),
                        droppedAttributesCount: try uint32(eo["droppedAttributesCount"], ep + ".droppedAttributesCount")))
            }
            s.droppedEventsCount = try uint32(o["droppedEventsCount"], path + ".droppedEventsCount")
            for (i, l) in try array(o["links"], path + ".links").enumerated() {
                let lp = "\(path).links[\(i)]"
                let lo = try object(l, lp)
                guard let lt = try id(lo["traceId"], lp + ".traceId"), let ls = try id(lo["spanId"], lp + ".spanId") else {
                    return .failure(.idNotHex(field: "links[\(i)]"))
                }
                s.links.append(
                    OTLPLink(
                        traceID: lt, spanID: ls, traceState: try string(lo["traceState"], lp + ".traceState"),
                        attributes: try attributes(lo["attributes"], lp + ".attributes"),
                        droppedAttributesCount: try uint32(lo["droppedAttributesCount"], lp + ".droppedAttributesCount"),
                        flags: try uint32(lo["flags"], lp + ".flags")))
            }
            s.droppedLinksCount = try uint32(o["droppedLinksCount"], path + ".droppedLinksCount")
            if let st = o["status"] {
                let so = try object(st, path + ".status")
                s.status.message = try string(so["message"], path + ".status.message")
                s.status.code = OTLPStatusCode(
                    rawValue: try enumValue(
                        so["code"], path + ".status.code",
                        names: ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]))
            }
            s.flags = try uint32(o["flags"], path + ".flags")
            if let reason = OTLPIDCheck.reason(for: s) { return .failure(reason) }
            return .success(s)
        }

        func attributes(_ v: JSONValue?, _ path: String, depth: Int = 0) throws(OTLPDecodingError) -> [OTLPKeyValue] {
            var out: [OTLPKeyValue] = []
            for (i, kv) in try array(v, path).enumerated() {
                let p = "\(path)[\(i)]"
                let o = try object(kv, p)
                out.append(OTLPKeyValue(try string(o["key"], p + ".key"), try anyValue(o["value"], p + ".value", depth: depth)))
            }
            return out
        }

        func anyValue(_ v: JSONValue?, _ path: String, depth: Int) throws(OTLPDecodingError) -> OTLPAnyValue {
            guard depth < limits.maxDepth else { throw .jsonValue(path: path, message: "values nested deeper than \(limits.maxDepth) levels") }
            guard let v, v != .null else { return .empty }
            let o = try object(v, path)
            var out = OTLPAnyValue.empty
            for (key, value) in o.members {
                switch key {
                case "stringValue": out = .string(try string(value, path + ".stringValue"))
                case "boolValue":
                    guard case .bool(let b) = value else {
                        throw .jsonValue(path: path + ".boolValue", message: "expected true or false, found \(value.typeName)")
                    }
                    out = .bool(b)
                case "intValue": out = .int(try int64(value, path + ".intValue"))
                case "doubleValue":
                    switch value {
                    case .number(let n): out = .double(n.double)
                    case .string("NaN"): out = .double(.nan)
                    case .string("Infinity"): out = .double(.infinity)
                    case .string("-Infinity"): out = .double(-.infinity)
                    case .string(let s) where Double(s) != nil: out = .double(Double(s) ?? 0)
                    default: throw .jsonValue(path: path + ".doubleValue", message: "expected a number, found \(value.typeName)")
                    }
                case "arrayValue":
                    let a = try object(value, path + ".arrayValue")
                    var values: [OTLPAnyValue] = []
                    for (i, e) in try array(a["values"], path + ".arrayValue.values").enumerated() {
                        values.append(try anyValue(e, "\(path).arrayValue.values[\(i)]", depth: depth + 1))
                    }
                    out = .array(values)
                case "kvlistValue":
                    let kv = try object(value, path + ".kvlistValue")
                    out = .kvlist(try attributes(kv["values"], path + ".kvlistValue.values", depth: depth + 1))
                case "bytesValue":
                    let text = try string(value, path + ".bytesValue")
                    do {
                        out = .bytes(try Base64.decode(Array(text.utf8)))
                    } catch {
                        throw .jsonValue(path: path + ".bytesValue", message: error.description)
                    }
                default: continue
                }
            }
            return out
        }
    }
}

/// Writes an `OTLPRequest` as canonical OTLP/JSON: lowerCamelCase keys, lower-case hex ids, 64-bit integers as
/// strings, enums as integers, defaults left out. `OTLPJSONDecoder` reads it back to an equal value, which is
/// what lets a stored span be exported again losslessly.
public enum OTLPJSONEncoder {
    public static func encode(_ request: OTLPRequest) -> JSONValue {
        .object(
            JSONObject([
                (
                    "resourceSpans",
                    .array(
                        request.resourceSpans.map { rs in
                            var o = JSONObject()
                            o["resource"] = resource(rs.resource)
                            o["scopeSpans"] = .array(
                                rs.scopeSpans.map { ss in
                                    var so = JSONObject()
                                    so["scope"] = scope(ss.scope)
                                    so["spans"] = .array(ss.spans.map(span))
                                    if !ss.schemaURL.isEmpty { so["schemaUrl"] = .string(ss.schemaURL) }
                                    return .object(so)
                                })
                            if !rs.schemaURL.isEmpty { o["schemaUrl"] = .string(rs.schemaURL) }
                            return .object(o)
                        })
                )
            ]))
    }

    /// The compact JSON text of `encode`.
    public static func encodeBytes(_ request: OTLPRequest) -> [UInt8] { Array(JSONWriter.string(encode(request)).utf8) }

    static func resource(_ resource: OTLPResource) -> JSONValue {
        var o = JSONObject()
        o["attributes"] = .array(resource.attributes.map(keyValue))
        if resource.droppedAttributesCount != 0 { o["droppedAttributesCount"] = int(resource.droppedAttributesCount) }
        return .object(o)
    }

    static func scope(_ scope: OTLPScope) -> JSONValue {
        var o = JSONObject()
        if !scope.name.isEmpty { o["name"] = .string(scope.name) }
        if !scope.version.isEmpty { o["version"] = .string(scope.version) }
        if !scope.attributes.isEmpty { o["attributes"] = .array(scope.attributes.map(keyValue)) }
        if scope.droppedAttributesCount != 0 { o["droppedAttributesCount"] = int(scope.droppedAttributesCount) }
        return .object(o)
    }

    /// `encodeBytes` of one-span requests for the spans of one resource and scope: the text around the span, the
    /// same for all of them, is written once, so a request of 512 spans does not write its resource 512 times.
    public struct OneSpanFrame: Sendable {
        let prefix: [UInt8]
        let suffix: [UInt8]

        /// The frame of `context`'s resource and scope (its span is not used).
        public init(_ context: OTLPSpanContext) {
            var head = #"{"resourceSpans":[{"resource":"#
            JSONWriter.write(resource(context.resource), into: &head)
            head += #","scopeSpans":[{"scope":"#
            JSONWriter.write(scope(context.scope), into: &head)
            head += #","spans":["#
            var tail = "]"
            if !context.scopeSchemaURL.isEmpty {
                tail += #","schemaUrl":"#
                JSONWriter.write(.string(context.scopeSchemaURL), into: &tail)
            }
            tail += "}]"
            if !context.resourceSchemaURL.isEmpty {
                tail += #","schemaUrl":"#
                JSONWriter.write(.string(context.resourceSchemaURL), into: &tail)
            }
            tail += "}]}"
            prefix = Array(head.utf8)
            suffix = Array(tail.utf8)
        }

        /// The bytes `encodeBytes` gives for a request of this resource, scope and `span` alone.
        public func encode(_ span: OTLPSpan) -> [UInt8] {
            let body = JSONWriter.string(OTLPJSONEncoder.span(span))
            var out: [UInt8] = []
            out.reserveCapacity(prefix.count + body.utf8.count + suffix.count)
            out += prefix
            out += body.utf8
            out += suffix
            return out
        }
    }

    static func int(_ n: UInt32) -> JSONValue { .number(JSONNumber(Int(n))) }
    static func int64(_ n: UInt64) -> JSONValue { .string(String(n)) }

    static func span(_ s: OTLPSpan) -> JSONValue {
        var o = JSONObject()
        o["traceId"] = .string(hex(s.traceID))
        o["spanId"] = .string(hex(s.spanID))
        if !s.traceState.isEmpty { o["traceState"] = .string(s.traceState) }
        if !s.parentSpanID.isEmpty { o["parentSpanId"] = .string(hex(s.parentSpanID)) }
        if s.flags != 0 { o["flags"] = int(s.flags) }
        o["name"] = .string(s.name)
        o["kind"] = .number(JSONNumber(Int(s.kind.rawValue)))
        o["startTimeUnixNano"] = int64(s.startTimeUnixNano)
        o["endTimeUnixNano"] = int64(s.endTimeUnixNano)
        if !s.attributes.isEmpty { o["attributes"] = .array(s.attributes.map(keyValue)) }
        if s.droppedAttributesCount != 0 { o["droppedAttributesCount"] = int(s.droppedAttributesCount) }
        if !s.events.isEmpty {
            o["events"] = .array(
                s.events.map { e in
                    var eo = JSONObject()
                    eo["timeUnixNano"] = int64(e.timeUnixNano)
                    eo["name"] = .string(e.name)
                    if !e.attributes.isEmpty { eo["attributes"] = .array(e.attributes.map(keyValue)) }
                    if e.droppedAttributesCount != 0 { eo["droppedAttributesCount"] = int(e.droppedAttributesCount) }
                    return .object(eo)
                })
        }
        if s.droppedEventsCount != 0 { o["droppedEventsCount"] = int(s.droppedEventsCount) }
        if !s.links.isEmpty {
            o["links"] = .array(
                s.links.map { l in
                    var lo = JSONObject()
                    lo["traceId"] = .string(hex(l.traceID))
                    lo["spanId"] = .string(hex(l.spanID))
                    if !l.traceState.isEmpty { lo["traceState"] = .string(l.traceState) }
                    if !l.attributes.isEmpty { lo["attributes"] = .array(l.attributes.map(keyValue)) }
                    if l.droppedAttributesCount != 0 { lo["droppedAttributesCount"] = int(l.droppedAttributesCount) }
                    if l.flags != 0 { lo["flags"] = int(l.flags) }
                    return .object(lo)
                })
        }
        if s.droppedLinksCount != 0 { o["droppedLinksCount"] = int(s.droppedLinksCount) }
        var status = JSONObject()
        if !s.status.message.isEmpty { status["message"] = .string(s.status.message) }
        if s.status.code != .unset { status["code"] = .number(JSONNumber(Int(s.status.code.rawValue))) }
        o["status"] = .object(status)
        return .object(o)
    }

    static func keyValue(_ kv: OTLPKeyValue) -> JSONValue {
        .object(JSONObject([("key", .string(kv.key)), ("value", anyValue(kv.value))]))
    }

    static func anyValue(_ v: OTLPAnyValue) -> JSONValue {
        switch v {
        case .empty: .object(JSONObject())
        case .string(let s): .object(JSONObject([("stringValue", .string(s))]))
        case .bool(let b): .object(JSONObject([("boolValue", .bool(b))]))
        case .int(let i): .object(JSONObject([("intValue", .string(String(i)))]))
        case .double(let d):
            .object(
                JSONObject([
                    ("doubleValue", d.isNaN ? .string("NaN") : d.isInfinite ? .string(d < 0 ? "-Infinity" : "Infinity") : .number(JSONNumber(text: "\(d)")))
                ]))
        case .array(let values): .object(JSONObject([("arrayValue", .object(JSONObject([("values", .array(values.map(anyValue)))])))]))
        case .kvlist(let kvs): .object(JSONObject([("kvlistValue", .object(JSONObject([("values", .array(kvs.map(keyValue)))])))]))
        case .bytes(let b): .object(JSONObject([("bytesValue", .string(Base64.encode(b)))]))
        }
    }
}
