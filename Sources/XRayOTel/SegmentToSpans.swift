import XRayWire

/// X-Ray entities as OpenTelemetry spans: what `inspect export --format otlp` writes and what the daemon's
/// OTLP forwarder sends for documents from X-Ray SDKs.
///
/// Ids follow the OpenTelemetry X-Ray propagator
/// (https://github.com/open-telemetry/opentelemetry-python-contrib/tree/main/propagator/opentelemetry-propagator-aws-xray):
/// the trace id is the X-Ray id's 32 hex digits without `1-` and the dashes, a span id is the entity id. Each
/// service (the segment that records an entity) is one resource with `service.name`, under one scope `xray`.
package enum SegmentToSpans {
    /// The scope every converted span is under.
    package static let scopeName = "xray"

    /// `1-5759e988-bd862e3fe1be46a994272793` → `5759e988bd862e3fe1be46a994272793`.
    package static func traceIDHex(_ xrayID: String) -> String {
        String(xrayID.dropFirst(2).filter { $0 != "-" })
    }

    /// Epoch seconds as nanoseconds.
    ///
    /// Rounded to the microsecond: SDKs write X-Ray times with microseconds, and a Double near 1.8e9 holds no
    /// more, so finer digits would only be noise (0.8 s would become 799999952 ns).
    ///
    /// Times before the epoch or past what 64 bits of nanoseconds hold (the year 2554), and infinite or NaN
    /// ones, are clamped to that range instead of trapping in the conversion.
    package static func nanos(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        let seconds = min(seconds, 18_446_744_072)
        let whole = seconds.rounded(.down)
        let micros = UInt64(((seconds - whole) * 1e6).rounded())
        return UInt64(whole) * 1_000_000_000 + micros * 1000
    }

    /// One request for an assembled trace: a resource per service, in the order services first appear.
    package static func request(_ tree: TraceTree) -> OTLPRequest {
        var groups: [(service: String, origin: String?, entities: [Entity])] = []
        var index: [String: Int] = [:]
        // Entries are depth-first with parents first, so each one's service is known from its parent's.
        var serviceOf = [String](repeating: "", count: tree.entries.count)
        for (i, entry) in tree.entries.enumerated() {
            let e = entry.entity
            let own = e.kind == .segment || entry.parent == nil ? e.name : serviceOf[entry.parent ?? i]
            serviceOf[i] = own
            let g =
                index[own]
                ?? {
                    groups.append((own, nil, []))
                    index[own] = groups.count - 1
                    return groups.count - 1
                }()
            if e.kind == .segment, let origin = e.origin { groups[g].origin = origin }
            groups[g].entities.append(e)
        }
        return request(traceID: tree.traceID, groups: groups)
    }

    /// One request for one stored document: its top entity and inline subsegments under the top segment's
    /// service. A standalone subsegment document names no segment, so its own name stands for the service, as
    /// for a trace root whose parent never arrived.
    package static func request(_ document: SegmentDocument) -> OTLPRequest {
        guard let top = document.entities.first else { return OTLPRequest() }
        return request(traceID: document.traceID, groups: [(top.name, top.kind == .segment ? top.origin : nil, document.entities)])
    }

    static func request(traceID: String, groups: [(service: String, origin: String?, entities: [Entity])]) -> OTLPRequest {
        let id = bytes(hex: traceIDHex(traceID))
        return OTLPRequest(
            resourceSpans: groups.map { group in
                var attributes = [OTLPKeyValue("service.name", .string(group.service))]
                if let origin = group.origin { attributes.append(OTLPKeyValue("aws.xray.origin", .string(origin))) }
                return OTLPResourceSpans(
                    resource: OTLPResource(attributes: attributes),
                    scopeSpans: [OTLPScopeSpans(scope: OTLPScope(name: scopeName), spans: group.entities.map { span($0, traceID: id) })])
            })
    }

    /// One entity as a span: its HTTP, user, SQL, namespace and annotation fields as attributes, a fault or
    /// error as status ERROR with the cause's summary as the message.
    package static func span(_ e: Entity, traceID: [UInt8]) -> OTLPSpan {
        let kind: OTLPSpanKind = e.kind == .segment ? .server : (e.namespace == "remote" || e.namespace == "aws" ? .client : .internal)
        var attributes: [OTLPKeyValue] = []
        if let m = e.httpMethod { attributes.append(OTLPKeyValue("http.request.method", .string(m))) }
        if let u = e.httpURL { attributes.append(OTLPKeyValue("url.full", .string(u))) }
        if let s = e.httpStatus { attributes.append(OTLPKeyValue("http.response.status_code", .int(Int64(s)))) }
        if let a = e.httpUserAgent { attributes.append(OTLPKeyValue("user_agent.original", .string(a))) }
        if let c = e.httpClientIP { attributes.append(OTLPKeyValue("client.address", .string(c))) }
        if let u = e.user { attributes.append(OTLPKeyValue("enduser.id", .string(u))) }
        if let q = e.sql { attributes.append(OTLPKeyValue("db.statement", .string(q))) }
        if let n = e.namespace { attributes.append(OTLPKeyValue("aws.xray.namespace", .string(n))) }
        if e.inProgress { attributes.append(OTLPKeyValue("aws.xray.in_progress", .bool(true))) }
        for a in e.annotations {
            let value: OTLPAnyValue =
                switch a.value {
                case .string(let s): .string(s)
                case .number(let d): integral(d).map { .int($0) } ?? .double(d)
                case .bool(let b): .bool(b)
                }
            attributes.append(OTLPKeyValue("aws.xray.annotations." + a.key, value))
        }
        let status = e.fault || e.error ? OTLPStatus(message: e.cause ?? "", code: .error) : OTLPStatus()
        return OTLPSpan(
            traceID: traceID, spanID: bytes(hex: e.id), parentSpanID: e.parentID.map { bytes(hex: $0) } ?? [], name: e.name,
            kind: kind, startTimeUnixNano: nanos(e.startTime), endTimeUnixNano: nanos(e.endTime ?? e.startTime),
            attributes: attributes, status: status)
    }

    /// A number an annotation holds as an integer: one whose JSON text has no fraction or exponent, as the
    /// OTLP/JSON `intValue` form of export has always been chosen.
    static func integral(_ d: Double) -> Int64? {
        let n = JSONNumber(d)
        guard let i = n.int, !n.text.contains("."), !n.text.contains("e") else { return nil }
        return Int64(i)
    }

    /// Lower-case hex digits as bytes; X-Ray ids are validated lower-case hex before they are stored.
    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8 =
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
                default: 0
                }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }
}
