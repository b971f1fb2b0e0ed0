import Testing
import XRayOTel
import XRayWire

/// Translates one span and checks the document with the real segment parser.
func document(_ span: OTLPSpan, resource: [OTLPKeyValue] = [], options: SegmentTranslator.Options = .init()) throws -> JSONObject {
    let translated = SegmentTranslator(options: options).translate(OTLPSpanContext(resource: OTLPResource(attributes: resource), span: span))
    for bytes in translated.documentBytes { _ = try SegmentDocumentParser.parse(bytes: bytes) }
    return try #require(translated.documents.first?.objectValue)
}

func path(_ o: JSONObject, _ keys: String...) -> JSONValue? {
    var v: JSONValue? = .object(o)
    for k in keys { v = v?.objectValue?[k] }
    return v
}

@Suite struct TranslatorTests {
    // §5.1 segment vs subsegment
    @Test(arguments: [
        (OTLPSpanKind.server, "0102030405060708", false), (.server, "", false), (.client, "0102030405060708", true),
        (.internal, "0102030405060708", true), (.consumer, "0102030405060708", true), (.client, "", false),
    ])
    func segmentOrSubsegment(kind: OTLPSpanKind, parent: String, isSubsegment: Bool) throws {
        let doc = try document(makeSpan(kind: kind, parent: parent))
        #expect((doc["type"] == .string("subsegment")) == isSubsegment)
        #expect(doc["parent_id"]?.stringValue == (parent.isEmpty ? nil : parent))
    }

    // §5.2 ids and times, no epoch check
    @Test func idsAndTimes() throws {
        var span = makeSpan()
        span.traceID = bytes(hex: "000000010123456789abcdef01234567")
        let doc = try document(span)
        #expect(doc["trace_id"] == .string("1-00000001-0123456789abcdef01234567"))
        #expect(doc["id"] == .string("53995c3f42cd8ad8"))
        #expect(doc["start_time"]?.doubleValue == 1_733_000_000.5)
        #expect(doc["end_time"] == .number(JSONNumber(text: "1733000001.25")))
    }

    // §5.3 names and namespaces
    @Test(arguments: [
        (OTLPSpanKind.server, [OTLPKeyValue("aws.local.service", .string("local"))], "local", nil as String?),
        (.client, [OTLPKeyValue("aws.remote.service", .string("AWS::S3")), OTLPKeyValue("rpc.system", .string("aws-api"))], "S3", "aws"),
        (.client, [OTLPKeyValue("peer.service", .string("billing"))], "billing", "remote"),
        (.client, [OTLPKeyValue("aws.service", .string("DynamoDB"))], "DynamoDB", "aws"),
        (
            .client, [OTLPKeyValue("db.name", .string("shop")), OTLPKeyValue("db.connection_string", .string("jdbc:mysql://db.example.com:3306"))],
            "shop@db.example.com", "remote"
        ),
        (.server, [], "svc", nil),
        (.internal, [OTLPKeyValue("rpc.service", .string("Greeter"))], "Greeter", nil),
        (.client, [OTLPKeyValue("http.host", .string("api.example.com"))], "api.example.com", "remote"),
        (.client, [OTLPKeyValue("net.peer.name", .string("peer"))], "peer", "remote"),
        (.internal, [], "GET x", nil),
    ])
    func nameAndNamespace(kind: OTLPSpanKind, attributes: [OTLPKeyValue], name: String, namespace: String?) throws {
        let doc = try document(
            makeSpan(kind: kind, parent: "0102030405060708", name: "GET <x>", attributes: attributes),
            resource: [OTLPKeyValue("service.name", .string("svc"))])
        #expect(doc["name"] == .string(name))
        #expect(doc["namespace"]?.stringValue == namespace)
    }

    @Test func spanNameIsCleanedAndCut() {
        #expect(NameCheck.fix("<<>>") == "span")
        #expect(NameCheck.fix(String(repeating: "é", count: 300)).unicodeScalars.count == 200)
    }

    // §5.4 http, old and new names, with the two quirks fixed
    @Test(arguments: [
        (
            OTLPSpanKind.server, [("http.method", "GET"), ("http.scheme", "http"), ("http.host", "127.0.0.1:5077"), ("http.target", "/hello")],
            "http://127.0.0.1:5077/hello"
        ),
        (
            .server, [("http.request.method", "GET"), ("url.scheme", "http"), ("server.address", "127.0.0.1:5077"), ("url.path", "/hello")],
            "http://127.0.0.1:5077/hello"
        ),
        (
            .server, [("http.request.method", "GET"), ("server.address", "example.com"), ("url.path", "/a"), ("url.query", "q=1")],
            "http://example.com:5077/a?q=1"
        ),
        (.client, [("http.method", "GET"), ("http.url", "http://x/y")], "http://x/y"),
        (.client, [("http.request.method", "GET"), ("url.full", "https://x/z")], "https://x/z"),
        (.client, [("http.method", "GET"), ("net.peer.name", "svc"), ("http.scheme", "https")], "https://svc/"),
    ])
    func httpURL(kind: OTLPSpanKind, attributes: [(String, String)], url: String) throws {
        var attrs = attributes.map { OTLPKeyValue($0.0, .string($0.1)) }
        if kind == .server { attrs.append(OTLPKeyValue("server.port", .int(5077))) }
        let doc = try document(makeSpan(kind: kind, parent: "0102030405060708", attributes: attrs))
        #expect(path(doc, "http", "request", "url") == .string(url))
        #expect(path(doc, "http", "request", "method") == .string("GET"))
        #expect(path(doc, "metadata", "default", attributes[0].0) == nil)
    }

    @Test func httpClientAddressAndStatus() throws {
        let doc = try document(
            makeSpan(attributes: [
                OTLPKeyValue("http.response.status_code", .int(404)), OTLPKeyValue("client.address", .string("10.0.0.9")),
                OTLPKeyValue("user_agent.original", .string("curl")),
            ]))
        #expect(path(doc, "http", "response", "status") == .number(JSONNumber(404)))
        #expect(path(doc, "http", "request", "client_ip") == .string("10.0.0.9"))
        #expect(path(doc, "http", "request", "x_forwarded_for") == .bool(true))
        #expect(path(doc, "http", "request", "user_agent") == .string("curl"))
        #expect(doc["error"] == .bool(true))
    }

    @Test func noHTTPAttributesNoBlock() throws {
        #expect(try document(makeSpan(attributes: [OTLPKeyValue("net.peer.name", .string("x"))]))["http"] == nil)
    }

    // §5.5 error / fault / throttle
    @Test(arguments: [
        (Int64?.some(404), OTLPStatusCode.unset, true, false, false), (429, .unset, true, false, true),
        (503, .unset, false, true, false), (200, .error, false, true, false), (nil, .error, false, true, false),
        (nil, .ok, false, false, false), (700, .unset, false, false, false),
    ])
    func errorFaultThrottle(status: Int64?, code: OTLPStatusCode, error: Bool, fault: Bool, throttle: Bool) throws {
        let attrs = status.map { [OTLPKeyValue("http.status_code", .int($0))] } ?? []
        let doc = try document(makeSpan(attributes: attrs, status: OTLPStatus(code: code)))
        #expect(doc["error"] == .bool(error))
        #expect(doc["fault"] == .bool(fault))
        #expect(doc["throttle"] == .bool(throttle))
    }

    static let pythonTrace = """
        Traceback (most recent call last):
          File "/app/a.py", line 3, in inner
            int("x")
        ValueError: invalid literal

        During handling of the above exception, another exception occurred:

        Traceback (most recent call last):
          File "/app/b.py", line 10, in outer
            inner()
          File "/app/b.py", line 12, in handler
            raise KeyError("k")
        KeyError: 'k'

        """

    @Test func pythonStackWithChainedCause() throws {
        let event = OTLPEvent(
            name: "exception",
            attributes: [
                OTLPKeyValue("exception.type", .string("KeyError")), OTLPKeyValue("exception.message", .string("'k'")),
                OTLPKeyValue("exception.stacktrace", .string(Self.pythonTrace)),
            ])
        let doc = try document(
            makeSpan(kind: .client, parent: "0102030405060708", events: [event], status: OTLPStatus(code: .error)),
            resource: [OTLPKeyValue("telemetry.sdk.language", .string("python"))])
        let exceptions = path(doc, "cause", "exceptions")?.arrayValue?.compactMap(\.objectValue) ?? []
        try #require(exceptions.count == 2)
        #expect(exceptions.count == 2)
        #expect(exceptions[0]["type"] == .string("KeyError"))
        #expect(exceptions[0]["remote"] == .bool(true))
        let stack = exceptions[0]["stack"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(stack.map { $0["label"] } == [.string("handler"), .string("outer")])
        #expect(stack.first?["line"] == .number(JSONNumber(12)))
        #expect(stack.first?["path"] == .string("/app/b.py"))
        #expect(exceptions[0]["cause"] == exceptions[1]["id"])
        #expect(exceptions[1]["type"] == .string("ValueError"))
        #expect(exceptions[1]["message"] == .string("invalid literal"))
        #expect(exceptions[1]["stack"]?.arrayValue?.count == 1)
        #expect(doc["fault"] == .bool(true))
    }

    @Test func javaStackAndUnknownLanguageFallback() throws {
        let trace = "java.lang.IllegalStateException: top\n\tat com.x.A.run(A.java:10)\nCaused by: java.io.IOException: disk\n\tat com.x.B.read(B.java:5)\n"
        let event = OTLPEvent(
            name: "exception",
            attributes: [
                OTLPKeyValue("exception.type", .string("java.lang.IllegalStateException")), OTLPKeyValue("exception.stacktrace", .string(trace)),
            ])
        let java = try document(makeSpan(events: [event]), resource: [OTLPKeyValue("telemetry.sdk.language", .string("java"))])
        let exceptions = path(java, "cause", "exceptions")?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(exceptions.count == 2)
        #expect(exceptions.first?["stack"]?.arrayValue?.first?.objectValue?["label"] == .string("com.x.A.run"))
        #expect(exceptions.last?["type"] == .string("java.io.IOException"))
        let other = try document(makeSpan(events: [event]), resource: [OTLPKeyValue("telemetry.sdk.language", .string("rust"))])
        let single = path(other, "cause", "exceptions")?.arrayValue ?? []
        #expect(single.count == 1)
        #expect(single.first?.objectValue?["stack"] == nil)
    }

    @Test func errorStatusWithoutEventUsesStatusMessage() throws {
        let doc = try document(makeSpan(status: OTLPStatus(message: "broken", code: .error)))
        let e = path(doc, "cause", "exceptions")?.arrayValue?.first?.objectValue
        #expect(e?["message"] == .string("broken"))
        #expect(e?["type"] == .string(""))
        #expect(try document(makeSpan(status: OTLPStatus(code: .error)))["cause"] == nil)
    }

    @Test func translationIsRepeatable() {
        let ctx = OTLPSpanContext(span: makeSpan(status: OTLPStatus(message: "broken", code: .error)))
        #expect(SegmentTranslator().translate(ctx) == SegmentTranslator().translate(ctx))
    }

    // §5.6 aws, origin, service, sql, user
    @Test func awsOriginServiceFromResource() throws {
        let doc = try document(
            makeSpan(attributes: [
                OTLPKeyValue("aws.operation", .string("GetItem")), OTLPKeyValue("aws.region", .string("eu-west-1")),
                OTLPKeyValue("aws.dynamodb.table_names", .array([.string("t1")])),
            ]),
            resource: [
                OTLPKeyValue("cloud.provider", .string("aws")), OTLPKeyValue("cloud.platform", .string("aws_ecs")),
                OTLPKeyValue("aws.ecs.launchtype", .string("fargate")), OTLPKeyValue("service.version", .string("1.2")),
                OTLPKeyValue("telemetry.sdk.name", .string("opentelemetry")), OTLPKeyValue("telemetry.sdk.language", .string("python")),
                OTLPKeyValue("telemetry.auto.version", .string("0.66b1")),
            ])
        #expect(doc["origin"] == .string("AWS::ECS::Fargate"))
        #expect(path(doc, "aws", "operation") == .string("GetItem"))
        #expect(path(doc, "aws", "remote_region") == .string("eu-west-1"))
        #expect(path(doc, "aws", "table_name") == .string("t1"))
        #expect(path(doc, "aws", "xray", "sdk") == .string("opentelemetry for python"))
        #expect(path(doc, "aws", "xray", "auto_instrumentation") == .bool(true))
        #expect(path(doc, "service", "version") == .string("1.2"))
        #expect(path(doc, "metadata", "default", "aws.operation") == nil)
    }

    @Test func otherCloudHasNoAWSBlockNorOrigin() throws {
        let doc = try document(makeSpan(), resource: [OTLPKeyValue("cloud.provider", .string("gcp")), OTLPKeyValue("cloud.platform", .string("aws_ec2"))])
        #expect(doc["aws"] == nil)
        #expect(doc["origin"] == nil)
    }

    @Test func sqlOnlyForSQLSystemsWithOldNames() throws {
        let sqlite = try document(
            makeSpan(
                kind: .client, parent: "0102030405060708", name: "select",
                attributes: [
                    OTLPKeyValue("db.system", .string("sqlite")), OTLPKeyValue("db.statement", .string("select 1")), OTLPKeyValue("db.name", .string("main")),
                ]))
        #expect(path(sqlite, "sql", "sanitized_query") == .string("select 1"))
        #expect(path(sqlite, "sql", "url") == .string("select"))
        #expect(path(sqlite, "sql", "connection_string") == .string("localhost/main"))
        #expect(try document(makeSpan(attributes: [OTLPKeyValue("db.system", .string("redis"))]))["sql"] == nil)
        let newNames = try document(makeSpan(attributes: [OTLPKeyValue("db.system.name", .string("sqlite")), OTLPKeyValue("db.query.text", .string("q"))]))
        #expect(newNames["sql"] == nil)
        #expect(path(newNames, "metadata", "default", "db.query.text") == .string("q"))
    }

    @Test func userFromEnduserID() throws {
        #expect(try document(makeSpan(attributes: [OTLPKeyValue("enduser.id", .string("alice"))]))["user"] == .string("alice"))
    }

    // §5.7 annotations and metadata
    @Test func annotationsFromListAndOptions() throws {
        let span = makeSpan(attributes: [
            OTLPKeyValue("aws.xray.annotations", .array([.string("order id")])), OTLPKeyValue("order id", .int(7)),
            OTLPKeyValue("tier", .string("gold")), OTLPKeyValue("tags", .array([.string("a")])),
            OTLPKeyValue("http.method", .string("GET")),
            OTLPKeyValue("aws.xray.metadata.shop", .string(#"{"cart":3}"#)), OTLPKeyValue("aws.xray.metadata.bad", .string("{")),
        ])
        let doc = try document(
            span, resource: [OTLPKeyValue("service.name", .string("svc"))],
            options: .init(indexedAttributes: ["tier", "http.method"]))
        #expect(path(doc, "annotations", "order_id") == .number(JSONNumber(7)))
        #expect(path(doc, "annotations", "tier") == .string("gold"))
        #expect(path(doc, "annotations", "http.method") == .string("GET"))
        #expect(path(doc, "metadata", "default", "tags") == .array([.string("a")]))
        #expect(path(doc, "metadata", "default", "otel.resource.service.name") == .string("svc"))
        #expect(path(doc, "metadata", "shop", "cart") == .number(JSONNumber(3)))
        #expect(path(doc, "metadata", "default", "aws.xray.metadata.bad") == .string("{"))
        #expect(path(doc, "metadata", "default", "aws.xray.annotations") == nil)
    }

    @Test func indexAllAttributesAndNoResourceOnSubsegments() throws {
        let doc = try document(
            makeSpan(kind: .client, parent: "0102030405060708", attributes: [OTLPKeyValue("a", .bool(true)), OTLPKeyValue("m", .kvlist([]))]),
            resource: [OTLPKeyValue("service.name", .string("svc"))], options: .init(indexAllAttributes: true))
        #expect(path(doc, "annotations", "a") == .bool(true))
        #expect(path(doc, "annotations", "m") == nil)
        #expect(path(doc, "metadata", "default", "otel.resource.service.name") == nil)
    }

    @Test func linksCarryConvertedIDs() throws {
        var span = makeSpan()
        span.links = [
            OTLPLink(
                traceID: bytes(hex: "6750a1b20123456789abcdef01234568"), spanID: bytes(hex: "0102030405060708"),
                attributes: [OTLPKeyValue("k", .string("v"))])
        ]
        let link = try document(span)["links"]?.arrayValue?.first?.objectValue
        #expect(link?["trace_id"] == .string("1-6750a1b2-0123456789abcdef01234568"))
        #expect(link?["id"] == .string("0102030405060708"))
        #expect(link?["attributes"]?.objectValue?["k"] == .string("v"))
    }

    @Test func localRootClientMakesServiceSegmentAndDependency() throws {
        let span = makeSpan(
            kind: .client, parent: "0102030405060708",
            attributes: [
                OTLPKeyValue("aws.span.kind", .string("LOCAL_ROOT")), OTLPKeyValue("aws.local.service", .string("front")),
                OTLPKeyValue("aws.remote.service", .string("back")), OTLPKeyValue("http.method", .string("GET")),
            ])
        let translated = SegmentTranslator().translate(OTLPSpanContext(span: span))
        #expect(translated.documents.count == 2)
        for bytes in translated.documentBytes { _ = try SegmentDocumentParser.parse(bytes: bytes) }
        let sub = try #require(translated.documents[0].objectValue)
        let service = try #require(translated.documents[1].objectValue)
        #expect(sub["type"] == .string("subsegment"))
        #expect(sub["name"] == .string("back"))
        #expect(sub["namespace"] == .string("remote"))
        #expect(sub["parent_id"] == service["id"])
        #expect(service["name"] == .string("front"))
        #expect(service["type"] == nil)
        #expect(service["http"] == nil)
    }
}

/// The segment-name rule through the public API: an INTERNAL root span named as given.
enum NameCheck {
    static func fix(_ name: String) -> String {
        let doc = SegmentTranslator().translate(OTLPSpanContext(span: makeSpan(kind: .internal, name: name))).documents.first
        return doc?.objectValue?["name"]?.stringValue ?? ""
    }
}
