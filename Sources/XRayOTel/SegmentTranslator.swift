import XRayWire

/// Translates OTLP spans into X-Ray segment documents by the rules of AWS's exporter, the OpenTelemetry
/// Collector's `exporter/awsxrayexporter/internal/translator` (`segment.go` `MakeSegmentsFromSpan`,
/// `MakeSegment`; `http.go`, `cause.go`, `aws.go`, `sql.go`, `service.go`, `span_links.go`).
///
/// Differences from the Collector, each deliberate:
/// - No trace-id epoch check: the Collector drops spans whose first 8 hex digits are not within 28 days
///   (unless `exporter.awsxray.skiptimestampvalidation`); a local tool keeps every span.
/// - Ids the Collector draws at random (exception ids, the service segment of a local-root client span) are
///   derived from the span id instead, so translating the same span twice gives the same document and a
///   re-sent span replaces its first copy in the store rather than doubling its exceptions.
/// - The `http.url` quirks of the Collector are fixed, see `HTTPTable`.
public struct SegmentTranslator: Sendable {
    /// The exporter options that shape documents (`indexed_attributes`, `index_all_attributes`,
    /// `aws_log_groups` in the exporter's README).
    public struct Options: Sendable, Hashable {
        /// Span (and `otel.resource.`-prefixed resource) attribute keys to make annotations.
        public var indexedAttributes: [String]
        /// Make every scalar attribute an annotation.
        public var indexAllAttributes: Bool
        /// CloudWatch log groups for `aws.cloudwatch_logs` when the resource names none.
        public var logGroupNames: [String]

        public init(indexedAttributes: [String] = [], indexAllAttributes: Bool = false, logGroupNames: [String] = []) {
            self.indexedAttributes = indexedAttributes
            self.indexAllAttributes = indexAllAttributes
            self.logGroupNames = logGroupNames
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Every accepted span of a request, translated.
    public func translate(_ request: OTLPRequest) -> [TranslatedSpan] {
        request.flattened.map(translate)
    }

    /// One span: usually one document, two for a local-root client/producer/consumer span (a service segment and
    /// its dependency subsegment, `MakeServiceSegmentAndDependencySubsegment`).
    public func translate(_ context: OTLPSpanContext) -> TranslatedSpan {
        let span = context.span
        let attributes = SpanAttributes(span.attributes)
        guard attributes.string(AttributeKey.awsSpanKind) == "LOCAL_ROOT" else {
            var segment = makeSegment(span, resource: context.resource)
            addRemoteNamespace(span, &segment)
            return TranslatedSpan(source: context, documents: [.object(segment.json)])
        }
        switch span.kind {
        case .server, .internal:
            var segment = makeSegment(span, resource: context.resource)
            segment.type = nil
            segment.namespace = nil
            return TranslatedSpan(source: context, documents: [.object(segment.json)])
        default:
            let serviceID = DerivedID.make(from: span.spanID, salt: "service")
            var dependency = span
            dependency.parentSpanID = serviceID
            var sub = makeSegment(dependency, resource: context.resource)
            sub.type = "subsegment"
            if sub.namespace == nil { sub.namespace = "remote" }
            if span.kind == .consumer { sub.links = nil }
            if let remote = attributes.string(AttributeKey.awsRemoteService) { sub.name = trimAWSSDKPrefix(remote, attributes) }

            var serviceSpan = span
            serviceSpan.spanID = serviceID
            serviceSpan.attributes.removeAll { AttributeKey.removedFromServiceSegment.contains($0.key) }
            var service = makeSegment(serviceSpan, resource: context.resource)
            if let local = attributes.string(AttributeKey.awsLocalService) { service.name = local }
            service.http = nil
            service.aws = service.aws.map(AWSTable.withoutSubsegmentFields)
            service.metadata = service.metadata.map { namespaces in
                JSONObject(
                    namespaces.members.map { ns in
                        (ns.key, ns.value.objectValue.map { .object(JSONObject($0.members.filter { $0.key.hasPrefix("otel.resource.") })) } ?? ns.value)
                    })
            }
            service.type = nil
            service.namespace = nil
            if span.kind != .consumer { service.links = nil }
            return TranslatedSpan(source: context, documents: [.object(sub.json), .object(service.json)])
        }
    }

    func addRemoteNamespace(_ span: OTLPSpan, _ segment: inout Segment) {
        switch span.kind {
        case .client, .consumer, .producer:
            if segment.type != nil, segment.namespace == nil, span.attribute(AttributeKey.awsRemoteService) != nil {
                segment.namespace = "remote"
            }
        default: break
        }
    }

    func makeSegment(_ span: OTLPSpan, resource: OTLPResource) -> Segment {
        let isSubsegment = span.kind != .server && !span.parentSpanID.isEmpty
        let all = SpanAttributes(span.attributes)
        let resourceAttributes = SpanAttributes(resource.attributes)

        var remaining = all
        let http = HTTPTable.make(span, &remaining)
        let cause = CauseTable.make(span, resource: resourceAttributes, &remaining)
        let aws = AWSTable.make(&remaining, resource: resourceAttributes, logGroupNames: options.logGroupNames)
        let sql = SQLTable.make(span, &remaining)
        for key in options.indexedAttributes where !remaining.contains(key) {
            // Attributes consumed above come back when explicitly indexed (`addSpecialAttributes`).
            if let value = all.get(key) { remaining.append(OTLPKeyValue(key, value)) }
        }
        let (user, annotations, metadata) = AttributeTable.make(
            &remaining, resource: resource, storeResource: !isSubsegment, options: options)
        let (name, namespace) = NameTable.make(span, all, resource: resourceAttributes)

        var segment = Segment(
            traceID: XRayIDs.traceID(span.traceID), id: hex(span.spanID), name: name,
            startTime: span.startTimeUnixNano, endTime: span.endTimeUnixNano)
        segment.parentID = span.parentSpanID.isEmpty ? nil : hex(span.parentSpanID)
        segment.type = isSubsegment ? "subsegment" : nil
        segment.namespace = namespace
        segment.origin = OriginTable.make(resourceAttributes)
        segment.error = cause.isError
        segment.fault = cause.isFault
        segment.throttle = cause.isThrottle
        segment.cause = cause.cause
        segment.http = http
        segment.aws = aws
        segment.service = ServiceTable.make(resourceAttributes)
        segment.sql = sql
        segment.user = user
        segment.annotations = annotations
        segment.metadata = metadata
        segment.links = LinkTable.make(span.links)
        return segment
    }
}

/// A span and what it became.
public struct TranslatedSpan: Sendable, Hashable {
    /// The span as it came, with its resource and scope: what the store keeps to export it back losslessly.
    public var source: OTLPSpanContext
    /// One X-Ray segment document, or two (service segment and dependency subsegment) for a local-root
    /// client span; each is accepted by `SegmentDocumentParser`.
    public var documents: [JSONValue]

    /// The documents as compact JSON bytes.
    public var documentBytes: [[UInt8]] { documents.map { Array(JSONWriter.string($0).utf8) } }
}

/// The fields of an X-Ray segment document that the translator fills in, written in a fixed order.
struct Segment {
    var traceID: String
    var id: String
    var parentID: String?
    var type: String?
    var name: String
    var startTime: UInt64
    var endTime: UInt64
    var namespace: String?
    var origin: String?
    var error = false
    var fault = false
    var throttle = false
    var cause: JSONValue?
    var http: JSONObject?
    var aws: JSONObject?
    var service: JSONObject?
    var sql: JSONObject?
    var user: String?
    var annotations: JSONObject?
    var metadata: JSONObject?
    var links: [JSONValue]?

    init(traceID: String, id: String, name: String, startTime: UInt64, endTime: UInt64) {
        self.traceID = traceID
        self.id = id
        self.name = name
        self.startTime = startTime
        self.endTime = endTime
    }

    /// Epoch seconds written from the integer nanoseconds, so no digit is lost to a Double division.
    static func seconds(_ nanos: UInt64) -> JSONNumber {
        var fraction = String(nanos % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return JSONNumber(text: String(nanos / 1_000_000_000) + (fraction.isEmpty ? "" : "." + fraction))
    }

    var json: JSONObject {
        var o = JSONObject()
        o["trace_id"] = .string(traceID)
        o["id"] = .string(id)
        if let parentID { o["parent_id"] = .string(parentID) }
        if let type { o["type"] = .string(type) }
        o["name"] = .string(name)
        o["start_time"] = .number(Self.seconds(startTime))
        o["end_time"] = .number(Self.seconds(endTime))
        if let namespace, !namespace.isEmpty { o["namespace"] = .string(namespace) }
        if let origin, !origin.isEmpty { o["origin"] = .string(origin) }
        o["error"] = .bool(error)
        o["fault"] = .bool(fault)
        o["throttle"] = .bool(throttle)
        if let cause { o["cause"] = cause }
        if let http, !http.isEmpty { o["http"] = .object(http) }
        if let aws, !aws.isEmpty { o["aws"] = .object(aws) }
        if let service, !service.isEmpty { o["service"] = .object(service) }
        if let sql, !sql.isEmpty { o["sql"] = .object(sql) }
        if let user, !user.isEmpty { o["user"] = .string(user) }
        if let annotations, !annotations.isEmpty { o["annotations"] = .object(annotations) }
        if let metadata, !metadata.isEmpty { o["metadata"] = .object(metadata) }
        if let links, !links.isEmpty { o["links"] = .array(links) }
        return o
    }
}

/// Attribute names of `internal/aws/xray/awsxray.go` and `segment.go`.
enum AttributeKey {
    static let awsLocalService = "aws.local.service"
    static let awsRemoteService = "aws.remote.service"
    static let awsSpanKind = "aws.span.kind"
    static let annotations = "aws.xray.annotations"
    static let metadataPrefix = "aws.xray.metadata."
    static let removedFromServiceSegment: Set<String> = [
        "aws.remote.service", "aws.remote.operation", "remoteTarget", "K8s.RemoteNamespace",
    ]
}

/// X-Ray ids from OTLP bytes (`convertToAmazonTraceID`): `1-` + the first 4 bytes + `-` + the other 12, in hex.
enum XRayIDs {
    static func traceID(_ bytes: [UInt8]) -> String {
        "1-" + hex(Array(bytes.prefix(4))) + "-" + hex(Array(bytes.dropFirst(4)))
    }
}

/// Ids the translator makes up, derived from the span id (FNV-1a 64) so a translation is repeatable.
enum DerivedID {
    static func make(from spanID: [UInt8], salt: String) -> [UInt8] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in spanID + Array(salt.utf8) {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        if h == 0 { h = 1 }
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64(7 - $0))) }
    }

    static func hexID(from spanID: [UInt8], salt: String) -> String { hex(make(from: spanID, salt: salt)) }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

func trimAWSSDKPrefix(_ name: String, _ attributes: SpanAttributes) -> String {
    guard attributes.string("rpc.system") == "aws-api" else { return name }
    if name.hasPrefix("AWS.SDK.") { return String(name.dropFirst(8)) }
    if name.hasPrefix("AWS::") { return String(name.dropFirst(5)) }
    return name
}
