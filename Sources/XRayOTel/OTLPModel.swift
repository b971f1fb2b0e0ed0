/// An OTLP `ExportTraceServiceRequest`, decoded: what one export from an OpenTelemetry SDK carries.
///
/// The shapes follow `opentelemetry/proto/trace/v1/trace.proto`, `common/v1/common.proto` and
/// `resource/v1/resource.proto` of open-telemetry/opentelemetry-proto. Spans whose ids have the wrong length
/// are not in `resourceSpans` but in `rejections`, so a receiver can answer `partial_success` and still keep the
/// good spans of the same request (OTLP specification, "Partial Success").
public struct OTLPRequest: Sendable, Hashable {
    public var resourceSpans: [OTLPResourceSpans]
    /// Spans left out of `resourceSpans`, each with its reason.
    public var rejections: [OTLPSpanRejection]

    public init(resourceSpans: [OTLPResourceSpans] = [], rejections: [OTLPSpanRejection] = []) {
        self.resourceSpans = resourceSpans
        self.rejections = rejections
    }

    /// The number of accepted spans.
    public var spanCount: Int {
        resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } }
    }

    /// Every accepted span with the resource and scope it was sent under, in request order.
    public var flattened: [OTLPSpanContext] {
        var out: [OTLPSpanContext] = []
        for rs in resourceSpans {
            for ss in rs.scopeSpans {
                for span in ss.spans {
                    out.append(
                        OTLPSpanContext(
                            resource: rs.resource, resourceSchemaURL: rs.schemaURL,
                            scope: ss.scope, scopeSchemaURL: ss.schemaURL, span: span))
                }
            }
        }
        return out
    }
}

/// One span together with the resource and instrumentation scope it came with: enough to translate it and to
/// export it again as a one-span request.
public struct OTLPSpanContext: Sendable, Hashable {
    public var resource: OTLPResource
    public var resourceSchemaURL: String
    public var scope: OTLPScope
    public var scopeSchemaURL: String
    public var span: OTLPSpan

    public init(
        resource: OTLPResource = OTLPResource(), resourceSchemaURL: String = "", scope: OTLPScope = OTLPScope(),
        scopeSchemaURL: String = "", span: OTLPSpan
    ) {
        self.resource = resource
        self.resourceSchemaURL = resourceSchemaURL
        self.scope = scope
        self.scopeSchemaURL = scopeSchemaURL
        self.span = span
    }

    /// A request holding just this span, for storing the original and exporting it back.
    public var request: OTLPRequest {
        OTLPRequest(resourceSpans: [
            OTLPResourceSpans(
                resource: resource,
                scopeSpans: [OTLPScopeSpans(scope: scope, spans: [span], schemaURL: scopeSchemaURL)],
                schemaURL: resourceSchemaURL)
        ])
    }
}

/// A span that was left out of a request, and why.
public struct OTLPSpanRejection: Sendable, Hashable, CustomStringConvertible {
    /// Where the span sits: `resourceSpans[0].scopeSpans[1].spans[2]`.
    public var path: String
    public var reason: Reason

    public enum Reason: Error, Sendable, Hashable, CustomStringConvertible {
        /// `trace_id` must be 16 bytes; the span had this many.
        case traceIDLength(Int)
        /// `span_id` must be 8 bytes.
        case spanIDLength(Int)
        /// `parent_span_id` must be empty or 8 bytes.
        case parentSpanIDLength(Int)
        /// An OTLP/JSON id that is not hexadecimal.
        case idNotHex(field: String)
        /// An all-zero trace or span id, which the OTLP specification calls invalid.
        case zeroID(field: String)

        public var description: String {
            switch self {
            case .traceIDLength(let n): "traceId has \(n) bytes; expected 16"
            case .spanIDLength(let n): "spanId has \(n) bytes; expected 8"
            case .parentSpanIDLength(let n): "parentSpanId has \(n) bytes; expected 0 or 8"
            case .idNotHex(let field): "\(field) is not hexadecimal"
            case .zeroID(let field): "\(field) is all zeros"
            }
        }
    }

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

public struct OTLPResourceSpans: Sendable, Hashable {
    public var resource: OTLPResource
    public var scopeSpans: [OTLPScopeSpans]
    public var schemaURL: String

    public init(resource: OTLPResource = OTLPResource(), scopeSpans: [OTLPScopeSpans] = [], schemaURL: String = "") {
        self.resource = resource
        self.scopeSpans = scopeSpans
        self.schemaURL = schemaURL
    }
}

public struct OTLPResource: Sendable, Hashable {
    public var attributes: [OTLPKeyValue]
    public var droppedAttributesCount: UInt32

    public init(attributes: [OTLPKeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

public struct OTLPScopeSpans: Sendable, Hashable {
    public var scope: OTLPScope
    public var spans: [OTLPSpan]
    public var schemaURL: String

    public init(scope: OTLPScope = OTLPScope(), spans: [OTLPSpan] = [], schemaURL: String = "") {
        self.scope = scope
        self.spans = spans
        self.schemaURL = schemaURL
    }
}

/// The instrumentation library that made the spans (`InstrumentationScope`).
public struct OTLPScope: Sendable, Hashable {
    public var name: String
    public var version: String
    public var attributes: [OTLPKeyValue]
    public var droppedAttributesCount: UInt32

    public init(name: String = "", version: String = "", attributes: [OTLPKeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.name = name
        self.version = version
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// What a span says about its caller and callee (`Span.SpanKind`); proto enums are open, so an unknown number
/// is kept as it came.
public enum OTLPSpanKind: Sendable, Hashable {
    case unspecified, `internal`, server, client, producer, consumer
    case unrecognized(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .internal
        case 2: self = .server
        case 3: self = .client
        case 4: self = .producer
        case 5: self = .consumer
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .unspecified: 0
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        case .unrecognized(let n): n
        }
    }
}

/// `Status.StatusCode`: only ERROR means the span failed.
public enum OTLPStatusCode: Sendable, Hashable {
    case unset, ok, error
    case unrecognized(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unset
        case 1: self = .ok
        case 2: self = .error
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .unset: 0
        case .ok: 1
        case .error: 2
        case .unrecognized(let n): n
        }
    }
}

public struct OTLPStatus: Sendable, Hashable {
    public var message: String
    public var code: OTLPStatusCode

    public init(message: String = "", code: OTLPStatusCode = .unset) {
        self.message = message
        self.code = code
    }
}

public struct OTLPSpan: Sendable, Hashable {
    /// 16 bytes.
    public var traceID: [UInt8]
    /// 8 bytes.
    public var spanID: [UInt8]
    public var traceState: String
    /// Empty for a root span, else 8 bytes.
    public var parentSpanID: [UInt8]
    public var name: String
    public var kind: OTLPSpanKind
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var attributes: [OTLPKeyValue]
    public var droppedAttributesCount: UInt32
    public var events: [OTLPEvent]
    public var droppedEventsCount: UInt32
    public var links: [OTLPLink]
    public var droppedLinksCount: UInt32
    public var status: OTLPStatus
    /// `SpanFlags`: bits 0–7 W3C trace flags, 0x100 "has is-remote", 0x200 "is remote". Python sets only bits 8–9
    /// (opentelemetry-exporter-otlp-proto-common `_span_flags`), so "sampled" cannot be read from bit 0.
    public var flags: UInt32

    public init(
        traceID: [UInt8], spanID: [UInt8], traceState: String = "", parentSpanID: [UInt8] = [], name: String = "",
        kind: OTLPSpanKind = .unspecified, startTimeUnixNano: UInt64 = 0, endTimeUnixNano: UInt64 = 0,
        attributes: [OTLPKeyValue] = [], droppedAttributesCount: UInt32 = 0, events: [OTLPEvent] = [],
        droppedEventsCount: UInt32 = 0, links: [OTLPLink] = [], droppedLinksCount: UInt32 = 0,
        status: OTLPStatus = OTLPStatus(), flags: UInt32 = 0
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
        self.flags = flags
    }

    /// The first attribute with this key (OTLP says keys are unique; the first wins if a sender repeats one).
    public func attribute(_ key: String) -> OTLPAnyValue? { attributes.first { $0.key == key }?.value }
}

public struct OTLPEvent: Sendable, Hashable {
    public var timeUnixNano: UInt64
    public var name: String
    public var attributes: [OTLPKeyValue]
    public var droppedAttributesCount: UInt32

    public init(timeUnixNano: UInt64 = 0, name: String = "", attributes: [OTLPKeyValue] = [], droppedAttributesCount: UInt32 = 0) {
        self.timeUnixNano = timeUnixNano
        self.name = name
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }

    public func attribute(_ key: String) -> OTLPAnyValue? { attributes.first { $0.key == key }?.value }
}

public struct OTLPLink: Sendable, Hashable {
    public var traceID: [UInt8]
    public var spanID: [UInt8]
    public var traceState: String
    public var attributes: [OTLPKeyValue]
    public var droppedAttributesCount: UInt32
    public var flags: UInt32

    public init(
        traceID: [UInt8], spanID: [UInt8], traceState: String = "", attributes: [OTLPKeyValue] = [],
        droppedAttributesCount: UInt32 = 0, flags: UInt32 = 0
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.flags = flags
    }
}

public struct OTLPKeyValue: Sendable, Hashable {
    public var key: String
    public var value: OTLPAnyValue

    public init(_ key: String, _ value: OTLPAnyValue) {
        self.key = key
        self.value = value
    }
}

/// `AnyValue`: one of its typed cases, or `empty` when the oneof is unset (the proto allows it).
public indirect enum OTLPAnyValue: Sendable, Hashable {
    case empty
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case array([OTLPAnyValue])
    case kvlist([OTLPKeyValue])
    case bytes([UInt8])

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The value as text the way the Collector's `pcommon.Value.AsString` gives it for scalars.
    public var asString: String {
        switch self {
        case .empty: ""
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): "\(d)"
        case .array, .kvlist, .bytes: ""
        }
    }
}
