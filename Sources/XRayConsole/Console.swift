import XRayCollector
import XRayQuery
import XRayRender
import XRayStore
import XRayWire

/// The X-Ray console in the browser: one page, its script and its style, served from the binary, and the
/// small endpoints the read API lacks (runs, the traces of one run, one trace's exports).
///
/// The page reads everything else through the read API (`POST /TraceSummaries`, `/Traces`, `/ServiceGraph`),
/// so it sees what `aws xray` sees. Everything served is read-only.
package enum Console {
    /// `GET /` and the assets, `GET /ui/api/runs` and `/ui/api/groups`, `POST /ui/api/RunTraces` and `/ui/api/Export`.
    package static let operations = HTTPOperations(
        [("/ui/api/RunTraces", runTraces), ("/ui/api/Export", export)],
        get: [
            ("/", { _ in asset(ConsoleAssets.html, type: "text/html; charset=utf-8") }),
            ("/ui/app.js", { _ in asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }),
            ("/ui/app.css", { _ in asset(ConsoleAssets.style, type: "text/css; charset=utf-8") }),
            ("/ui/api/runs", runs),
            ("/ui/api/groups", groups),
        ])

    /// Sent with every console response. The policy allows only this server's own script and style, no
    /// inline code, no frames and no form targets, so a trace value that slipped into markup still could not
    /// run (W3C Content Security Policy Level 3); the page itself never writes data as markup.
    package static let securityHeaders: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    static func asset(_ text: String, type: String) -> OperationResponse {
        OperationResponse(status: 200, body: Array(text.utf8), contentType: type, headers: securityHeaders)
    }

    static func json(_ value: JSONValue) -> OperationResponse {
        var response = OperationResponse.json(value)
        response.headers = securityHeaders
        return response
    }

    /// Runs listed at most: the page shows the newest.
    static let maxRuns = 200

    /// `GET /ui/api/runs`: `{"Runs": [{"Id", "Name", "Command", "StartTime", "EndTime", "ExitStatus", "TraceCount", "TraceId"}]}`, newest first.
    static func runs(_ request: OperationRequest) -> OperationResponse {
        do {
            let store = try TraceStore(path: request.storePath)
            let runs = try store.runs(limit: maxRuns).map { entry -> JSONValue in
                let run = entry.run
                return .object(
                    JSONObject([
                        ("Id", .number(JSONNumber(run.id))),
                        ("Name", .string(run.name)),
                        ("Command", .array(run.argv.map { .string($0) })),
                        ("StartTime", .number(JSONNumber(run.startedAt))),
                        ("EndTime", run.endedAt.map { .number(JSONNumber($0)) } ?? .null),
                        ("ExitStatus", run.exitStatus.map { .number(JSONNumber($0)) } ?? .null),
                        ("TraceCount", .number(JSONNumber(entry.traceCount))),
                        ("TraceId", .string(run.traceID)),
                    ]))
            }
            return json(.object(JSONObject([("Runs", .array(runs))])))
        } catch {
            return .error(500, "InternalFailure", "the trace store could not list the runs")
        }
    }

    /// `GET /ui/api/groups`: the saved groups in GetGroups' shape, `{"Groups": [{"GroupName", "FilterExpression"}]}`.
    static func groups(_ request: OperationRequest) -> OperationResponse {
        do {
            let groups = try TraceStore(path: request.storePath).groups().map { group -> JSONValue in
                .object(JSONObject([("GroupName", .string(group.name)), ("FilterExpression", .string(group.filter))]))
            }
            return json(.object(JSONObject([("Groups", .array(groups))])))
        } catch {
            return .error(500, "InternalFailure", "the trace store could not list the groups")
        }
    }

    /// Summaries one page holds, as GetTraceSummaries pages them.
    static let summariesPerPage = 100

    /// `POST /ui/api/RunTraces` `{"RunId": N}`: the traces run N captured, in the GetTraceSummaries shape,
    /// newest first: what `xray inspect traces --run N` lists.
    static func runTraces(_ request: OperationRequest) -> OperationResponse {
        guard case .success(.object(let body)) = request.json(), case .number(let number)? = body["RunId"],
            let id = Int(exactly: number.double), id > 0
        else {
            return .error(400, "InvalidRequestException", "expected {\"RunId\": N} with N a run number")
        }
        var query = TraceQuery(sort: .start, limit: summariesPerPage)
        query.run = String(id)
        do {
            let engine = QueryEngine(store: try TraceStore(path: request.storePath))
            let summaries = try engine.summaries(query).map(TraceListing.json)
            return json(.object(JSONObject([("TraceSummaries", .array(summaries))])))
        } catch {
            if case .store(.runNotFound)? = error as? QueryError {
                return .error(404, "ResourceNotFoundException", "no run \(id) in this store")
            }
            return .error(500, "InternalFailure", "the trace store could not list the traces of run \(id)")
        }
    }

    /// What `/ui/api/Export` writes: the shapes the CLI prints for one trace.
    enum ExportFormat: String {
        /// The BatchGetTraces response, as `xray inspect show ID --format xray`.
        case xray
        /// One OTLP/JSON ExportTraceServiceRequest, as `xray inspect export ID --format otlp`.
        case otlp
    }

    /// `POST /ui/api/Export` `{"TraceId": ID, "Format": "xray" | "otlp"}`: the trace as a file to save, with
    /// `Content-Disposition: attachment` (RFC 6266), byte for byte what the CLI prints for it. A POST because the
    /// server's routes are paths without queries; like every console call it reads and changes nothing.
    static func export(_ request: OperationRequest) -> OperationResponse {
        guard case .success(.object(let body)) = request.json(), case .string(let id)? = body["TraceId"], XRayID.isTraceID(id),
            case .string(let name)? = body["Format"], let format = ExportFormat(rawValue: name)
        else {
            return .error(
                400, "InvalidRequestException", "expected {\"TraceId\": \"1-...\", \"Format\": \"xray\" or \"otlp\"} with a whole trace id")
        }
        let text: String
        do {
            let store = try TraceStore(path: request.storePath, readOnly: true)
            let tree = try store.trace(id)
            guard !tree.entries.isEmpty else { return .error(404, "ResourceNotFoundException", "no trace \(id) in this store") }
            switch format {
            case .xray: text = JSONWriter.prettyString(TraceViews.batchGetTraces([tree]))
            case .otlp: text = JSONWriter.string(OTLPExport.request(tree, originals: try store.originalSpans(traceID: id)))
            }
        } catch {
            return .error(500, "InternalFailure", "the trace store could not read trace \(id)")
        }
        return OperationResponse(
            status: 200, body: Array((text + "\n").utf8), contentType: "application/json",
            headers: securityHeaders + [("Content-Disposition", "attachment; filename=\"\(id).\(format.rawValue).json\"")])
    }
}
