import ArgumentParser
import XRayQuery
import XRayRender
import XRayStore
import XRaySystem
import XRayWire

/// `--filter`, `--since`/`--start` and `--until`: which traces a query command looks at.
struct QueryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("An X-Ray filter expression, such as 'fault AND http.url CONTAINS \"/api/\"'.", valueName: "expr"))
    var filter: String?

    @Option(name: .long, help: ArgumentHelp("Only traces that started this long ago or later: 90 (seconds), 10m, 2h, 7d.", valueName: "duration"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only traces that started at or after T: epoch seconds, ISO 8601, or a duration ago.", valueName: "T"))
    var start: String?

    @Option(name: .long, help: ArgumentHelp("Only traces that started before T.", valueName: "T"))
    var until: String?

    @Option(name: .long, help: ArgumentHelp("Only the traces an xray run captured: its number, or last.", valueName: "ID|last"))
    var run: String?

    func validate() throws {
        if since != nil && start != nil { throw ValidationError("--since and --start both set where the window begins; give one of them") }
        if let since { _ = try seconds(of: since, flag: "--since") }
        if let run, run != "last", Int(run) == nil { throw ValidationError("--run takes a run number or last, not \"\(run)\"") }
    }

    /// The query these options describe.
    func query(sort: TraceSort = .start, limit: Int? = nil, includeRuns: Bool = true) throws(QueryError) -> TraceQuery {
        let now = epochNow()
        var query = TraceQuery(sort: sort, limit: limit)
        if let filter { query.filter = try FilterParser.parse(filter) }
        if let since { query.start = now - (try TimeSpec.duration(since)) }
        if let start { query.start = try TimeSpec.time(start, now: now) }
        if let until { query.end = try TimeSpec.time(until, now: now) }
        query.run = run
        query.includeRuns = includeRuns
        return query
    }
}

extension QueryOptions {
    /// Opens the store for reading and runs `body` with the query these options describe.
    func withEngine(
        store: StoreOptions, sort: TraceSort = .start, limit: Int? = nil, includeRuns: Bool = true,
        _ body: (TraceQuery, QueryEngine) throws(QueryError) -> Void
    ) throws(QueryError) {
        let query = try self.query(sort: sort, limit: limit, includeRuns: includeRuns)
        let engine: QueryEngine
        do { engine = QueryEngine(store: try store.open(readOnly: true)) } catch { throw .store(error) }
        try body(query, engine)
    }
}

extension TraceSort: ExpressibleByArgument {}

extension XRay.Inspect {
    struct Traces: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traces",
            abstract: "List traces, newest first, optionally only those an X-Ray filter expression selects.",
            discussion: """
                json uses the GetTraceSummaries field names (Id, StartTime, Duration, ResponseTime, HasFault, HasError, \
                HasThrottle, IsPartial, Http, Annotations, Users, ServiceIds, FaultRootCauses, ErrorRootCauses, \
                ResponseTimeRootCauses). The filter language is described in \
                xray-inspect(1), FILTER EXPRESSIONS. Exit status: 65 for an expression that does not parse or is not \
                supported; with --exit-status, 1 when no trace matched.
                """
        )

        @OptionGroup var queryOptions: QueryOptions

        @Option(name: .long, help: "start (newest first), duration or responsetime (longest first).")
        var sort: TraceSort = .start

        @Option(name: .long, parsing: .unconditional, help: "At most this many traces.")
        var limit: Int = 20

        @Option(name: .long, help: "table, json, jsonl or csv.")
        var format: ListingFormat = .table

        @Flag(name: .long, help: "Print only the number of matching traces (the limit does not apply).")
        var count = false

        @Flag(name: .long, help: "Exit 0 if any trace matched and 1 if none, like grep, for CI gates.")
        var exitStatus = false

        @OptionGroup var runsOptions: RunsOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var colorOptions: ColorOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit takes a whole number of 1 or more, such as --limit 100; not \(limit)") }
        }

        func run() throws {
            var matched = false
            try queryOptions.withEngine(store: storeOptions, sort: sort, limit: limit, includeRuns: runsOptions.includeRuns) {
                (query, engine) throws(QueryError) in
                if count {
                    let n = try engine.count(query)
                    matched = n > 0
                    print(n)
                    return
                }
                let shown: Int
                switch format {
                case .json, .jsonl:
                    shown = try TraceDetails.write(query, engine: engine, layout: format == .json ? .document : .lines) { bytes in
                        bytes.withUnsafeBytes { try? FileIO.writeAll(1, $0) }
                    }
                default:
                    let traces = try engine.summaries(query)
                    shown = traces.count
                    print(TraceListing.render(traces, format: format, style: colorOptions.style), terminator: "")
                }
                matched = shown > 0
                if shown == limit, case let total = try engine.count(query), total > limit {
                    // On standard error, so that piped output holds only the traces.
                    printError("\(limit) of \(total) traces shown; --limit N for more")
                }
            }
            if exitStatus && !matched { throw ExitCode(ExitCodes.failure) }
        }
    }
}
