import XRayStore
import XRaySystem
import XRayWire

/// A request to one X-Ray operation: the body as sent, who sent it, and the store the collector writes.
package struct OperationRequest: Sendable {
    package var body: [UInt8]
    /// `127.0.0.1:40112`.
    package var peer: String
    /// Read operations open their own connection to it: `TraceStore` is not thread-safe.
    package var storePath: String
    /// Epoch seconds when the collector took the request.
    package var receivedAt: Double
    /// Where an operation that takes documents hands them to the writer.
    package var intake: DocumentHandoff

    package init(body: [UInt8], peer: String, storePath: String, receivedAt: Double, intake: DocumentHandoff) {
        self.body = body
        self.peer = peer
        self.storePath = storePath
        self.receivedAt = receivedAt
        self.intake = intake
    }

    /// The body as JSON (an empty body is `{}`), or the 400 that says why it is not.
    package func json() -> Result<JSONValue, OperationFailure> {
        if body.isEmpty { return .success(.object(JSONObject())) }
        do {
            return .success(try JSONParser.parse(body, options: .init(allowNonFinite: false)).value)
        } catch {
            return .failure(OperationFailure(.error(400, "InvalidRequestException", "the body is not JSON: \(error.description)")))
        }
    }
}

/// An operation's answer: a status and a JSON body, errors in the rest-json shape the AWS SDKs decode.
package struct OperationResponse: Sendable {
    package var status: Int
    package var body: [UInt8]
    /// `application/json` for the operations; a page route sets its own.
    package var contentType = "application/json"
    /// Extra response headers, such as a page's Content-Security-Policy.
    package var headers: [(name: String, value: String)] = []

    package init(status: Int, body: [UInt8], contentType: String = "application/json", headers: [(name: String, value: String)] = []) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers
    }

    package static func json(_ value: JSONValue, status: Int = 200) -> OperationResponse {
        OperationResponse(status: status, body: Array(JSONWriter.string(value).utf8))
    }

    /// `{"__type": "...", "message": "..."}` with a 4xx/5xx status (the rest-json error shape botocore decodes).
    package static func error(_ status: Int, _ type: String, _ message: String) -> OperationResponse {
        json(.object(JSONObject([("__type", .string(type)), ("message", .string(message))])), status: status)
    }
}

/// A ready error response carried through a `Result`.
package struct OperationFailure: Error {
    package var response: OperationResponse
    package init(_ response: OperationResponse) { self.response = response }
}

/// Operations a collector serves beside its own (intake and sampling), by path.
///
/// The seam through which the read operations (BatchGetTraces, GetTraceSummaries, GetServiceGraph) join the
/// API: they need the query and render layers, which the collector must not depend on, so the executable
/// composes them in (`XRayReadAPI`).
package struct HTTPOperations: Sendable {
    package typealias Handler = @Sendable (OperationRequest) -> OperationResponse

    /// `POST` routes, in the order an unknown path's 404 lists them.
    package var routes: [(path: String, handler: Handler)]
    /// `GET` routes (the console's pages and its small read endpoints); their request body is empty.
    package var getRoutes: [(path: String, handler: Handler)]

    package init(_ routes: [(path: String, handler: Handler)] = [], get getRoutes: [(path: String, handler: Handler)] = []) {
        self.routes = routes
        self.getRoutes = getRoutes
    }

    /// Both sets of routes, `self`'s first.
    package func adding(_ other: HTTPOperations) -> HTTPOperations {
        HTTPOperations(routes + other.routes, get: getRoutes + other.getRoutes)
    }
}

/// The X-Ray REST operations served on the TCP address (rest-json, `POST`, as in the X-Ray API model `xray-2016-04-12`): intake and
/// sampling here, the others through `HTTPOperations`.
struct XRayAPI: Sendable {
    let sampling: SamplingService
    let intake: DocumentHandoff
    let storePath: String
    let operations: HTTPOperations
    let otlp: OTLPIntake

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if let signal = OTLPIntake.Signal(path: request.path) {
            guard request.method == "POST" else {
                var response = HTTPResponse(status: 405, body: Array("\(request.path) takes POST, not \(request.method)\n".utf8))
                response.contentType = "text/plain"
                return response
            }
            let answer = otlp.export(
                signal, body: request.body, contentType: request.header("content-type"),
                contentEncoding: request.header("content-encoding"), source: "otlp:" + request.peer, receivedAt: epochSeconds())
            var response = HTTPResponse(status: answer.status, body: answer.body)
            response.contentType = answer.contentType
            response.headers = answer.headers
            return response
        }
        guard request.body.count <= HTTPRequestParser.defaultMaxBody else {
            return .error(413, "RequestEntityTooLarge", "request body of \(request.body.count) bytes is over the 1 MiB limit", close: true)
        }
        let own: [(path: String, handler: HTTPOperations.Handler)] = [
            ("/GetSamplingRules", { _ in .json(sampling.rulesResponse()) }),
            ("/SamplingTargets", samplingTargets),
            ("/TraceSegments", putTraceSegments),
        ]
        return dispatch(request, routes: own + operations.routes)
    }

    /// Only the composed operations: what `ReadOnlyServer` answers.
    func handleOperations(_ request: HTTPRequest) -> HTTPResponse {
        dispatch(request, routes: operations.routes)
    }

    func dispatch(_ request: HTTPRequest, routes: [(path: String, handler: HTTPOperations.Handler)]) -> HTTPResponse {
        if request.method == "GET", let page = operations.getRoutes.first(where: { $0.path == request.path })?.handler {
            return HTTPResponse(page(OperationRequest(body: [], peer: request.peer, storePath: storePath, receivedAt: epochSeconds(), intake: intake)))
        }
        guard let operation = routes.first(where: { $0.path == request.path })?.handler else {
            let paths = routes.map(\.path) + OTLPIntake.Signal.paths
            let list = paths.count > 1 ? paths.dropLast().joined(separator: ", ") + " and " + paths[paths.count - 1] : paths.joined()
            return HTTPResponse(
                .error(
                    404, "UnknownOperationException",
                    "no X-Ray operation at \(request.method) \(request.path); this daemon serves POST \(list)"))
        }
        guard request.method == "POST" else {
            return HTTPResponse(.error(405, "MethodNotAllowedException", "\(request.path) takes POST, not \(request.method)"))
        }
        return HTTPResponse(
            operation(OperationRequest(body: request.body, peer: request.peer, storePath: storePath, receivedAt: epochSeconds(), intake: intake)))
    }

    /// The OTLP-only listener: `/v1/traces`, `/v1/metrics` and `/v1/logs`, and a 404 naming them for anything else.
    func handleOTLPOnly(_ request: HTTPRequest) -> HTTPResponse {
        guard OTLPIntake.Signal(path: request.path) != nil else {
            var response = HTTPResponse(
                status: 404,
                body: Array(
                    "no OTLP/HTTP endpoint at \(request.path); this address serves POST \(OTLPIntake.Signal.paths.joined(separator: ", "))\n".utf8))
            response.contentType = "text/plain"
            return response
        }
        return handle(request)
    }

    func samplingTargets(_ request: OperationRequest) -> OperationResponse {
        switch request.json() {
        case .failure(let error): return error.response
        case .success(let body):
            switch sampling.targetsResponse(body, now: epochSeconds()) {
            case .success(let value): return .json(value)
            case .failure(let error): return .error(400, "InvalidRequestException", error.message)
            }
        }
    }

    /// `PutTraceSegments`: stores the valid documents and lists the others in `UnprocessedTraceSegments`;
    /// a 503 when the store failed to commit, so a 200 always means every document not listed is stored.
    func putTraceSegments(_ request: OperationRequest) -> OperationResponse {
        let body: JSONValue
        switch request.json() {
        case .failure(let error): return error.response
        case .success(let value): body = value
        }
        guard case .object(let object) = body, case .array(let texts)? = object["TraceSegmentDocuments"] else {
            return .error(400, "InvalidRequestException", "expected {\"TraceSegmentDocuments\": [\"<segment JSON>\", ...]}")
        }
        let now = request.receivedAt
        let source = "http:" + request.peer
        var documents: [IncomingDocument] = []
        var rejects: [IncomingReject] = []
        var reasons: [String] = []
        var unprocessed: [JSONValue] = []
        for text in texts {
            guard case .string(let text) = text else {
                return .error(400, "InvalidRequestException", "each TraceSegmentDocuments entry must be a string holding a segment document")
            }
            let raw = Array(text.utf8)
            do {
                documents.append(IncomingDocument(raw: raw, document: try SegmentDocumentParser.parse(bytes: raw), source: source, receivedAt: now))
            } catch {
                rejects.append(IncomingReject(raw: raw, reason: error.description, source: source, receivedAt: now))
                reasons.append(Intake.reasonKey(error))
                let id = (try? JSONParser.parse(raw).value.objectValue?["id"]?.stringValue) ?? nil
                unprocessed.append(
                    .object(
                        JSONObject([
                            ("Id", .string(id ?? "")),
                            ("ErrorCode", .string(error.field == "trace_id" ? "InvalidTraceId" : "InvalidSegment")),
                            ("Message", .string(error.description)),
                        ])))
            }
        }
        if !documents.isEmpty || !rejects.isEmpty {
            // Answer once the batch is committed, so a BatchGetTraces right after sees it, and so that what
            // the answer acknowledges is what the store holds: a failed or late commit acknowledges nothing.
            switch request.intake.store(documents, rejects: rejects, rejectReasons: reasons, timeout: 10) {
            case .closed:
                return .error(503, "ServiceUnavailableException", "the daemon is shutting down; send again to the next one")
            case .timedOut:
                return .error(
                    503, "ServiceUnavailableException",
                    "the store did not commit this request within 10 seconds; nothing in it is acknowledged, send it again")
            case .failed(let error):
                return .error(
                    503, "ServiceUnavailableException",
                    "the store cannot take writes (\(error.description)); nothing in this request was stored, send it again")
            case .stored(let counts):
                for refusal in counts.refused where documents.indices.contains(refusal.index) {
                    unprocessed.append(
                        .object(
                            JSONObject([
                                ("Id", .string(documents[refusal.index].document.id)),
                                ("ErrorCode", .string("InvalidSegment")),
                                ("Message", .string(refusal.reason)),
                            ])))
                }
            }
        }
        return .json(.object(JSONObject([("UnprocessedTraceSegments", .array(unprocessed))])))
    }
}

extension HTTPResponse {
    init(_ response: OperationResponse) {
        self.init(status: response.status, body: response.body)
        contentType = response.contentType
        headers = response.headers
    }
}
