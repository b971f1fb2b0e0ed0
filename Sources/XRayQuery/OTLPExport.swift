import XRayWire

/// Converts assembled traces to OTLP/JSON (`ExportTraceServiceRequest`: `resourceSpans`), so they load into
/// Jaeger, Grafana Tempo or otel-desktop-viewer.
///
/// Ids follow the OpenTelemetry X-Ray propagator: the trace id is the X-Ray id's 32 hex digits without `1-` and
/// the dashes, a span id is the entity id. Each service (the segment that records an entity) is one resource.
package enum OTLPExport {
    /// `1-5759e988-bd862e3fe1be46a994272793` → `5759e988bd862e3fe1be46a994272793`.
    package static func traceID(_ xrayID: String) -> String {
        String(xrayID.dropFirst(2).filter { $0 != "-" })
    }

    /// Epoch seconds as the decimal string of nanoseconds that OTLP/JSON uses for 64-bit integers.
    ///
    /// Rounded to the microsecond: SDKs write X-Ray times with microseconds, and a Double near 1.8e9 holds no
    /// more, so finer digits would only be noise (0.8 s would become 799999952 ns).
    ///
    /// Times before the epoch or past what 64 bits of nanoseconds hold (the year 2554), and infinite or NaN
    /// ones, are clamped to that range instead of trapping in the conversion.
    static func nanos(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0" }
        let seconds = min(seconds, 18_446_744_072)
        let whole = seconds.rounded(.down)
        let micros = UInt64(((seconds - whole) * 1e6).rounded())
        return String(UInt64(whole) * 1_000_000_000 + micros * 1000)
    }

    static func attribute(_ key: String, _ value: JSONValue) -> JSONValue {
        .object(JSONObject([("key", .string(key)), ("value", .object(JSONObject([value.otlpKey])))]))
    }

    /// One `{"resourceSpans": [...]}` request for a trace.
    package static func request(_ tree: TraceTree) -> JSONValue {
        var order: [String] = []
        var spans: [String: [JSONValue]] = [:]
        var origins: [String: String] = [:]
        let id = traceID(tree.traceID)
        // Entries are depth-first with parents first, so each one's service is known from its parent's.
        var serviceOf = [String](repeating: "", count: tree.entries.count)
        for (i, entry) in tree.entries.enumerated() {
            let e = entry.entity
            let own = e.kind == .segment || entry.parent == nil ? e.name : serviceOf[entry.parent ?? i]
            serviceOf[i] = own
            if spans[own] == nil {
                order.append(own)
                spans[own] = []
            }
            if e.kind == .segment, let origin = e.origin { origins[own] = origin }
            spans[own]?.append(span(e, traceID: id))
        }
        return .object(JSONObject([("resourceSpans", .array(order.map { service in
            var attributes = [attribute("service.name", .string(service))]
            if let origin = origins[service] { attributes.append(attribute("aws.xray.origin", .string(origin))) }
            return .object(JSONObject([
                ("resource", .object(JSONObject([("attributes", .array(attributes))]))),
                ("scopeSpans", .array([.object(JSONObject([
                    ("scope", .object(JSONObject([("name", .string("xray"))]))),
                    ("spans", .array(spans[service] ?? [])),
                ]))])),
            ]))
        }))]))
    }

    /// A trace's request in which every entity translated from an OpenTelemetry span is that span as the app
    /// sent it (`originals`: one-span OTLP/JSON requests kept by the store, by span id), spans that shared a
    /// resource and scope grouped again under them; entities from X-Ray SDKs are converted as by `request(_:)`.
    package static func request(_ tree: TraceTree, originals: [(spanID: String, request: [UInt8])]) -> JSONValue {
        guard !originals.isEmpty else { return request(tree) }
        var resources: [(key: String, resource: JSONObject, scopes: [(key: String, scope: JSONObject, spans: [JSONValue])])] = []
        var kept: Set<String> = []
        for original in originals {
            guard let rs = (try? JSONParser.parse(original.request).value)?.objectValue?["resourceSpans"]?.arrayValue?.first?.objectValue,
                  let ss = rs["scopeSpans"]?.arrayValue?.first?.objectValue,
                  let span = ss["spans"]?.arrayValue?.first else { continue }
            kept.insert(original.spanID)
            var resource = rs
            resource["scopeSpans"] = nil
            var scope = ss
            scope["spans"] = nil
            let resourceKey = JSONWriter.string(.object(resource)), scopeKey = JSONWriter.string(.object(scope))
            let r = resources.firstIndex { $0.key == resourceKey } ?? {
                resources.append((resourceKey, resource, []))
                return resources.count - 1
            }()
            if let s = resources[r].scopes.firstIndex(where: { $0.key == scopeKey }) {
                resources[r].scopes[s].spans.append(span)
            } else {
                resources[r].scopes.append((scopeKey, scope, [span]))
            }
        }
        var out: [JSONValue] = resources.map { r in
            var resource = r.resource
            resource["scopeSpans"] = .array(r.scopes.map { s in
                var scope = s.scope
                scope["spans"] = .array(s.spans)
                return .object(scope)
            })
            return .object(resource)
        }
        for case .object(var rs) in request(tree).objectValue?["resourceSpans"]?.arrayValue ?? [] {
            let scopes: [JSONValue] = (rs["scopeSpans"]?.arrayValue ?? []).compactMap { value in
                guard var ss = value.objectValue else { return nil }
                let spans = (ss["spans"]?.arrayValue ?? []).filter { !kept.contains($0.objectValue?["spanId"]?.stringValue ?? "") }
                guard !spans.isEmpty else { return nil }
                ss["spans"] = .array(spans)
                return .object(ss)
            }
            guard !scopes.isEmpty else { continue }
            rs["scopeSpans"] = .array(scopes)
            out.append(.object(rs))
        }
        return .object(JSONObject([("resourceSpans", .array(out))]))
    }

    static func span(_ e: Entity, traceID: String) -> JSONValue {
        // SpanKind: 1 internal, 2 server, 3 client.
        let kind = e.kind == .segment ? 2 : (e.namespace == "remote" || e.namespace == "aws" ? 3 : 1)
        var attributes: [JSONValue] = []
        if let m = e.httpMethod { attributes.append(attribute("http.request.method", .string(m))) }
        if let u = e.httpURL { attributes.append(attribute("url.full", .string(u))) }
        if let s = e.httpStatus { attributes.append(attribute("http.response.status_code", .number(JSONNumber(s)))) }
        if let a = e.httpUserAgent { attributes.append(attribute("user_agent.original", .string(a))) }
        if let c = e.httpClientIP { attributes.append(attribute("client.address", .string(c))) }
        if let u = e.user { attributes.append(attribute("enduser.id", .string(u))) }
        if let q = e.sql { attributes.append(attribute("db.statement", .string(q))) }
        if let n = e.namespace { attributes.append(attribute("aws.xray.namespace", .string(n))) }
        if e.inProgress { attributes.append(attribute("aws.xray.in_progress", .bool(true))) }
        for a in e.annotations {
            let value: JSONValue = switch a.value {
            case .string(let s): .string(s)
            case .number(let d): .number(JSONNumber(d))
            case .bool(let b): .bool(b)
            }
            attributes.append(attribute("aws.xray.annotations." + a.key, value))
        }
        var o = JSONObject([("traceId", .string(traceID)), ("spanId", .string(e.id))])
        if let p = e.parentID { o["parentSpanId"] = .string(p) }
        o["name"] = .string(e.name)
        o["kind"] = .number(JSONNumber(kind))
        o["startTimeUnixNano"] = .string(nanos(e.startTime))
        o["endTimeUnixNano"] = .string(nanos(e.endTime ?? e.startTime))
        o["attributes"] = .array(attributes)
        // Status: 2 is ERROR; a span without faults or errors leaves it unset.
        if e.fault || e.error {
            var status = JSONObject([("code", .number(JSONNumber(2)))])
            if let cause = e.cause { status["message"] = .string(cause) }
            o["status"] = .object(status)
        } else {
            o["status"] = .object(JSONObject())
        }
        return .object(o)
    }
}

extension JSONValue {
    /// The OTLP `AnyValue` member for a scalar: `stringValue`, `intValue` (a string), `doubleValue` or `boolValue`.
    var otlpKey: (key: String, value: JSONValue) {
        switch self {
        case .bool(let b): return ("boolValue", .bool(b))
        case .number(let n):
            if let i = n.int, !n.text.contains(".") && !n.text.contains("e") { return ("intValue", .string(String(i))) }
            return ("doubleValue", .number(n))
        case .string(let s): return ("stringValue", .string(s))
        default: return ("stringValue", .string(JSONWriter.string(self)))
        }
    }
}
