import XRayCollector
import XRayQuery
import XRayRender
import XRayStore
import XRayWire

/// The X-Ray read API over the local store: `BatchGetTraces`, `GetTraceSummaries` and `GetServiceGraph`, so
/// `aws xray get-trace-summaries --endpoint-url http://127.0.0.1:2000` and boto3 scripts see local traces.
///
/// A target of its own so the collector links neither the query nor the render layer; the executable
/// hands `operations` to every collector it starts.
package enum ReadAPI {
    /// The three read operations, by the paths the AWS SDKs post them to.
    package static let operations = HTTPOperations([
        ("/Traces", batchGetTraces),
        ("/TraceSummaries", getTraceSummaries),
        ("/ServiceGraph", getServiceGraph),
    ])

    /// Trace ids one `BatchGetTraces` request may name, as the service allows.
    static let maxBatchTraceIDs = 5

    /// `BatchGetTraces` from the store: the traces asked for, in one page.
    ///
    /// Bounded like the service: more than `maxBatchTraceIDs` ids is a 400; a repeated id is answered once;
    /// an id that is not trace-id shaped (`1-8hex-24hex`) or not stored is listed in `UnprocessedTraceIds`.
    static func batchGetTraces(_ request: OperationRequest) -> OperationResponse {
        let body: JSONValue
        switch request.json() {
        case .failure(let error): return error.response
        case .success(let value): body = value
        }
        guard case .object(let object) = body, case .array(let values)? = object["TraceIds"] else {
            return .error(400, "InvalidRequestException", "expected {\"TraceIds\": [\"1-...\", ...]}")
        }
        guard values.count <= Self.maxBatchTraceIDs else {
            return .error(
                400, "InvalidRequestException",
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
            let store = try TraceStore(path: request.storePath)
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

    /// Summaries per page, as the service pages them.
    static let summariesPerPage = 100

    /// `POST /TraceSummaries`: `StartTime`/`EndTime` (epoch seconds, on trace start), `FilterExpression`,
    /// `NextToken`; the summaries in `GetTraceSummaries` field names, newest first.
    static func getTraceSummaries(_ request: OperationRequest) -> OperationResponse {
        let body: JSONObject
        var query: TraceQuery
        switch readRequest(request) {
        case .failure(let error): return error.response
        case .success(let read): (body, query) = read
        }
        var offset = 0
        switch body["NextToken"] {
        case nil, .null?: break
        case .string(let token)?:
            guard let n = Self.pageOffset(token) else {
                return .error(400, "InvalidRequestException", "NextToken \"\(token.prefix(40))\" was not issued by this daemon")
            }
            offset = n
        case let other?:
            return .error(400, "InvalidRequestException", "NextToken must be a string, not \(other.typeName)")
        }
        // One more than a page: whether it comes back says whether another page follows.
        query.limit = Self.summariesPerPage + 1
        do {
            let engine = QueryEngine(store: try TraceStore(path: request.storePath))
            // The summaries are written as compact JSON straight from the stored details, as listings are.
            var page = Array("{\"TraceSummaries\":[".utf8)
            let matched = try TraceDetails.write(query, offset: offset, shown: Self.summariesPerPage, engine: engine, layout: .members) { bytes in
                page += bytes
            }
            var rest = JSONObject([
                ("ApproximateTime", .number(JSONNumber(request.receivedAt.rounded(.down)))),
                ("TracesProcessedCount", .number(JSONNumber(min(matched, Self.summariesPerPage)))),
            ])
            if matched > Self.summariesPerPage {
                rest["NextToken"] = .string(String(offset + Self.summariesPerPage))
            }
            page += Array(("]," + JSONWriter.string(.object(rest)).dropFirst()).utf8)
            var response = OperationResponse.json(.null)
            response.body = page
            return response
        } catch {
            return Self.queryFailure(error)
        }
    }

    /// The most traces a client can page past: 10,000 pages, so `offset + page` never nears `Int.max`.
    static let maxPageOffset = 1_000_000

    /// The offset a `NextToken` this daemon issued stands for: a multiple of the page size, digits only
    /// (`Int("+5")` would accept a sign), at most `maxPageOffset`; nil for anything else.
    static func pageOffset(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.count <= 7, token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let n = Int(token), n <= maxPageOffset, n % summariesPerPage == 0
        else { return nil }
        return n
    }

    /// `POST /ServiceGraph`: the graph of the traces that started in `StartTime`..`EndTime` (and, with
    /// `GroupName`, match that saved group), in the `GetServiceGraph` shape.
    static func getServiceGraph(_ request: OperationRequest) -> OperationResponse {
        let body: JSONObject
        var query: TraceQuery
        switch readRequest(request) {
        case .failure(let error): return error.response
        case .success(let read): (body, query) = read
        }
        if case .string(let group)? = body["GroupName"], group != "Default" {
            do {
                query.filter = try FilterParser.parse("group.name = \"\(group.replacingQuotes())\"")
            } catch {
                return .error(400, "InvalidRequestException", error.description)
            }
        }
        do {
            let engine = QueryEngine(store: try TraceStore(path: request.storePath))
            return .json(try ServiceGraph.build(query, engine: engine).json)
        } catch {
            return Self.queryFailure(error)
        }
    }

    /// The body as an object, and the time window and filter every read operation takes.
    static func readRequest(_ request: OperationRequest) -> Result<(JSONObject, TraceQuery), OperationFailure> {
        switch request.json() {
        case .failure(let error): return .failure(error)
        case .success(.object(let o)): return readQuery(o).map { (o, $0) }
        case .success(let other):
            return .failure(OperationFailure(.error(400, "InvalidRequestException", "expected a JSON object, found \(other.typeName)")))
        }
    }

    static func readQuery(_ body: JSONObject) -> Result<TraceQuery, OperationFailure> {
        var query = TraceQuery(sort: .start)
        for (key, keyPath) in [("StartTime", \TraceQuery.start), ("EndTime", \TraceQuery.end)] {
            switch body[key] {
            case nil, .null?: continue
            case .number(let n)?: query[keyPath: keyPath] = n.double
            case let other?:
                return .failure(
                    OperationFailure(
                        .error(
                            400, "InvalidRequestException", "\(key) must be epoch seconds as a number, not \(other.typeName)")))
            }
        }
        // The window is inclusive of EndTime in the service; the engine's is exclusive.
        if let end = query.end { query.end = end.nextUp }
        if case .string(let expression)? = body["FilterExpression"], !expression.isEmpty {
            do {
                query.filter = try FilterParser.parse(expression)
            } catch {
                return .failure(OperationFailure(.error(400, "InvalidRequestException", error.description)))
            }
        }
        return .success(query)
    }

    /// A failed read as a response: the caller's mistakes are 400s that say what to fix; a store failure is a
    /// 500 that names neither the store's path nor any SQL, which are the daemon's business, not the client's.
    package static func queryFailure(_ error: any Error) -> OperationResponse {
        if let q = error as? QueryError {
            switch q {
            case .store: break
            default: return .error(400, "InvalidRequestException", q.description)
            }
        }
        return Self.storeFailure
    }

    static let storeFailure = OperationResponse.error(
        500, "InternalFailure", "the daemon's trace store could not answer this request")
}

extension String {
    /// For building a filter from a group name: a quote inside it would end the string early.
    func replacingQuotes() -> String { String(map { $0 == "\"" ? "'" : $0 }) }
}
