import XRayQuery
import XRayRender
import XRayStore
import XRayWire

/// The X-Ray REST operations served on the TCP address (rest-json, `POST`, reference 1.5).
struct XRayAPI: Sendable {
    let sampling: SamplingService
    let queue: IntakeQueue
    let storePath: String

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let operations: [String: (HTTPRequest) -> HTTPResponse] = [
            "/GetSamplingRules": { _ in .json(sampling.rulesResponse()) },
            "/SamplingTargets": samplingTargets,
            "/TraceSegments": putTraceSegments,
            "/Traces": batchGetTraces,
            "/TraceSummaries": getTraceSummaries,
            "/ServiceGraph": getServiceGraph,
        ]
        guard let operation = operations[request.path] else {
            return .error(404, "UnknownOperationException",
                          "no X-Ray operation at \(request.method) \(request.path); this daemon serves POST "
                          + "/GetSamplingRules, /SamplingTargets, /TraceSegments, /Traces, /TraceSummaries and /ServiceGraph")
        }
        guard request.method == "POST" else {
            return .error(405, "MethodNotAllowedException", "\(request.path) takes POST, not \(request.method)")
        }
        return operation(request)
    }

    func parseBody(_ request: HTTPRequest) -> Result<JSONValue, HTTPResponseError> {
        if request.body.isEmpty { return .success(.object(JSONObject())) }
        do {
            return .success(try JSONParser.parse(request.body, options: .init(allowNonFinite: false)).value)
        } catch {
            return .failure(HTTPResponseError(response: .error(400, "InvalidRequestException", "the body is not JSON: \(error.description)")))
        }
    }

    func samplingTargets(_ request: HTTPRequest) -> HTTPResponse {
        switch parseBody(request) {
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
    func putTraceSegments(_ request: HTTPRequest) -> HTTPResponse {
        let body: JSONValue
        switch parseBody(request) {
        case .failure(let error): return error.response
        case .success(let value): body = value
        }
        guard case .object(let object) = body, case .array(let texts)? = object["TraceSegmentDocuments"] else {
            return .error(400, "InvalidRequestException", "expected {\"TraceSegmentDocuments\": [\"<segment JSON>\", ...]}")
        }
        let now = epochSeconds()
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
                unprocessed.append(.object(JSONObject([
                    ("Id", .string(id ?? "")),
                    ("ErrorCode", .string(error.field == "trace_id" ? "InvalidTraceId" : "InvalidSegment")),
                    ("Message", .string(error.description)),
                ])))
            }
        }
        if !documents.isEmpty || !rejects.isEmpty {
            let done = BatchCompletion()
            guard queue.push(.documents(documents, rejects: rejects, rejectReasons: reasons, done: done), weight: documents.count + rejects.count) else {
                return .error(503, "ServiceUnavailableException", "the daemon is shutting down; send again to the next one")
            }
            // Answer once the batch is committed, so a BatchGetTraces right after sees it, and so that what
            // the answer acknowledges is what the store holds: a failed or late commit acknowledges nothing.
            switch done.wait(timeout: 10) {
            case nil:
                return .error(503, "ServiceUnavailableException",
                              "the store did not commit this request within 10 seconds; nothing in it is acknowledged, send it again")
            case .failure(let error)?:
                return .error(503, "ServiceUnavailableException",
                              "the store cannot take writes (\(error.description)); nothing in this request was stored, send it again")
            case .success(let counts)?:
                for refusal in counts.refused where documents.indices.contains(refusal.index) {
                    unprocessed.append(.object(JSONObject([
                        ("Id", .string(documents[refusal.index].document.id)),
                        ("ErrorCode", .string("InvalidSegment")),
                        ("Message", .string(refusal.reason)),
                    ])))
                }
            }
        }
        return .json(.object(JSONObject([("UnprocessedTraceSegments", .array(unprocessed))])))
    }

    /// Trace ids one `BatchGetTraces` request may name, as the service allows.
    static let maxBatchTraceIDs = 5

    /// `BatchGetTraces` from the store: the traces asked for, in one page.
    ///
    /// Bounded like the service: more than `maxBatchTraceIDs` ids is a 400; a repeated id is answered once;
    /// an id that is not trace-id shaped (`1-8hex-24hex`) or not stored is listed in `UnprocessedTraceIds`.
    func batchGetTraces(_ request: HTTPRequest) -> HTTPResponse {
        let body: JSONValue
        switch parseBody(request) {
        case .failure(let error): return error.response
        case .success(let value): body = value
        }
        guard case .object(let object) = body, case .array(let values)? = object["TraceIds"] else {
            return .error(400, "InvalidRequestException", "expected {\"TraceIds\": [\"1-...\", ...]}")
        }
        guard values.count <= Self.maxBatchTraceIDs else {
            return .error(400, "InvalidRequestException",
                          "TraceIds has \(values.count) ids; BatchGetTraces takes at most \(Self.maxBatchTraceIDs) a request")
        }
        var ids: [String] = []
        for value in values {
            guard case .string(let id) = value else {
                return .error(400, "InvalidRequestException", "each TraceIds entry must be a string, not \(value.typeName)")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        do {
            // A connection thread has its own read connection: TraceStore is not thread-safe.
            let store = try TraceStore(path: storePath)
            var traces: [TraceTree] = []
            var unprocessed: [String] = []
            for id in ids {
                guard XRayID.isTraceID(id), !(try store.traceSummaries(limit: 1, traceIDs: [id]).isEmpty) else {
                    unprocessed.append(id)
                    continue
                }
                traces.append(try store.trace(id))
            }
            return .json(TraceViews.batchGetTraces(traces, unprocessed: unprocessed))
        } catch {
            return Self.storeFailure
        }
    }
}

/// A ready error response carried through a `Result`.
struct HTTPResponseError: Error {
    var response: HTTPResponse
}
