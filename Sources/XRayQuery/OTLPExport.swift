import XRayOTel
import XRayWire

/// Converts assembled traces to OTLP/JSON (`ExportTraceServiceRequest`: `resourceSpans`), so they load into
/// Jaeger, Grafana Tempo or otel-desktop-viewer.
///
/// Ids follow the OpenTelemetry X-Ray propagator: the trace id is the X-Ray id's 32 hex digits without `1-` and
/// the dashes, a span id is the entity id. Each service (the segment that records an entity) is one resource.
package enum OTLPExport {
    /// `1-5759e988-bd862e3fe1be46a994272793` → `5759e988bd862e3fe1be46a994272793`.
    package static func traceID(_ xrayID: String) -> String { SegmentToSpans.traceIDHex(xrayID) }

    /// One `{"resourceSpans": [...]}` request for a trace: `SegmentToSpans`' conversion, written in the
    /// OTLP/JSON form export has always had (every span with its `attributes` and `status`, even empty).
    package static func request(_ tree: TraceTree) -> JSONValue {
        let request = SegmentToSpans.request(tree)
        return .object(
            JSONObject([
                (
                    "resourceSpans",
                    .array(
                        request.resourceSpans.map { rs in
                            .object(
                                JSONObject([
                                    ("resource", .object(JSONObject([("attributes", .array(rs.resource.attributes.map(attribute)))]))),
                                    (
                                        "scopeSpans",
                                        .array(
                                            rs.scopeSpans.map { ss in
                                                .object(
                                                    JSONObject([
                                                        ("scope", .object(JSONObject([("name", .string(ss.scope.name))]))),
                                                        ("spans", .array(ss.spans.map(span))),
                                                    ]))
                                            })
                                    ),
                                ]))
                        })
                )
            ]))
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
                let span = ss["spans"]?.arrayValue?.first
            else { continue }
            kept.insert(original.spanID)
            var resource = rs
            resource["scopeSpans"] = nil
            var scope = ss
            scope["spans"] = nil
            let resourceKey = JSONWriter.string(.object(resource)), scopeKey = JSONWriter.string(.object(scope))
            let r =
                resources.firstIndex { $0.key == resourceKey }
                ?? {
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
            resource["scopeSpans"] = .array(
                r.scopes.map { s in
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

    static func attribute(_ kv: OTLPKeyValue) -> JSONValue {
        let value: (key: String, value: JSONValue) =
            switch kv.value {
            case .bool(let b): ("boolValue", .bool(b))
            case .int(let i): ("intValue", .string(String(i)))
            case .double(let d): ("doubleValue", .number(JSONNumber(d)))
            case .string(let s): ("stringValue", .string(s))
            default: ("stringValue", .string(""))
            }
        return .object(JSONObject([("key", .string(kv.key)), ("value", .object(JSONObject([value])))]))
    }

    static func span(_ s: OTLPSpan) -> JSONValue {
        var o = JSONObject([("traceId", .string(hex(s.traceID))), ("spanId", .string(hex(s.spanID)))])
        if !s.parentSpanID.isEmpty { o["parentSpanId"] = .string(hex(s.parentSpanID)) }
        o["name"] = .string(s.name)
        o["kind"] = .number(JSONNumber(Int(s.kind.rawValue)))
        o["startTimeUnixNano"] = .string(String(s.startTimeUnixNano))
        o["endTimeUnixNano"] = .string(String(s.endTimeUnixNano))
        o["attributes"] = .array(s.attributes.map(attribute))
        // Status: 2 is ERROR; a span without faults or errors leaves it unset.
        var status = JSONObject()
        if s.status.code != .unset { status["code"] = .number(JSONNumber(Int(s.status.code.rawValue))) }
        if !s.status.message.isEmpty { status["message"] = .string(s.status.message) }
        o["status"] = .object(status)
        return .object(o)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
