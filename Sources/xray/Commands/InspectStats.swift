import ArgumentParser
import XRayQuery

extension StatsGrouping: ExpressibleByArgument {
    public init?(argument: String) { self.init(grouping: argument) }
}
extension TraceStats.Format: ExpressibleByArgument {}

extension XRay.Inspect {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Count, ok/error/fault/throttle rates and response-time percentiles of traces, per group.",
            discussion: """
                --by service summarises every service node (segments and inferred nodes) of the matching traces; \
                operation groups traces by entry service, method and URL path; url by full URL; annotation.KEY by \
                the annotation's value. Percentiles are nearest-rank, in milliseconds. Without --filter, a window or \
                --run, they come from rollups the store keeps as it writes: counts exact, percentiles and max within \
                1% (json says "percentiles": "within 1%", the table says so below it); --exact reads every response time.
                """
        )

        @OptionGroup var queryOptions: QueryOptions
        @OptionGroup var runsOptions: RunsOptions

        @Option(name: .long, help: ArgumentHelp("service, operation, url or annotation.KEY; none means one group.", valueName: "grouping"))
        var by: StatsGrouping = .none

        @Option(name: .long, help: "table, json or csv.")
        var format: TraceStats.Format = .table

        @Flag(name: .long, help: "Exact percentiles from every response time, instead of the store's rollups (within 1%).")
        var exact = false

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try queryOptions.withEngine(store: storeOptions, includeRuns: runsOptions.includeRuns) { (query, engine) throws(QueryError) in
                let rows = try TraceStats.compute(query, by: by, engine: engine, exact: exact)
                print(TraceStats.render(rows, by: by, format: format), terminator: "")
                if format == .table, rows.contains(where: \.approximate) {
                    print("percentiles and max within 1%, from the store's rollups; --exact reads every response time")
                }
            }
        }
    }
}
