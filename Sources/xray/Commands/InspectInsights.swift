import ArgumentParser
import XRayInsights
import XRayQuery

extension InsightsFormat: ExpressibleByArgument {}

extension XRay.Inspect {
    struct Insights: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "insights",
            abstract: "Find N+1 queries, repeated calls, slow spans, gaps and errors hidden by a 2xx answer.",
            discussion: """
                Looks at one trace (TRACE: an id, a unique prefix, or last) or at every trace that --run, --filter \
                and --since select (all traces when none is given). n+1: the same SQL or remote call, literals and \
                ids replaced, issued --n-plus-one times or more under one parent. repeated: the same query text \
                (without placeholders) or the same URL twice or more under one parent. slow: own time (duration \
                minus the children's union) over --slow. gap: time in a segment no subsegment covers, over --gap. \
                hidden-error: the deepest faults and errors under a root that answered 2xx. The critical path of \
                the slowest traces follows, at each level, the child that finished last. Exit status: with \
                --exit-status, 1 when anything was found; 66 when the trace or run is not stored.
                """
        )

        @Argument(help: "A trace id, a unique prefix of one, or `last`; omit it to look at a selection.")
        var trace: String?

        @OptionGroup var queryOptions: QueryOptions

        @Option(name: .customLong("n-plus-one"), help: ArgumentHelp("Calls of one shape under one parent that make an N+1.", valueName: "N"))
        var nPlusOne = 5

        @Option(name: .long, help: ArgumentHelp("Own time over which an entity is slow: 500ms, 2s.", valueName: "duration"))
        var slow = "500ms"

        @Option(name: .long, help: ArgumentHelp("Uncovered time in a segment over which it is a gap.", valueName: "duration"))
        var gap = "100ms"

        @Option(name: .customLong("critical-paths"), help: ArgumentHelp("Show the critical path of this many of the slowest traces.", valueName: "N"))
        var criticalPaths = 3

        @Option(name: .long, help: "table, json or jsonl.")
        var format: InsightsFormat = .table

        @Flag(name: .long, help: "Exit 1 when any finding is reported and 0 when none, for CI gates.")
        var exitStatus = false

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            if trace != nil,
                queryOptions.run != nil || queryOptions.filter != nil || queryOptions.since != nil
                    || queryOptions.start != nil || queryOptions.until != nil
            {
                throw ValidationError("give a TRACE or a selection (--run, --filter, --since, --start, --until), not both")
            }
            guard nPlusOne >= 2 else { throw ValidationError("--n-plus-one must be 2 or more, not \(nPlusOne)") }
            guard criticalPaths >= 0 else { throw ValidationError("--critical-paths must be 0 or more, not \(criticalPaths)") }
            _ = try seconds(of: slow, flag: "--slow")
            _ = try seconds(of: gap, flag: "--gap")
        }

        func run() throws {
            var found = false
            let options = InsightsOptions(
                nPlusOne: nPlusOne, slow: try seconds(of: slow, flag: "--slow"), gap: try seconds(of: gap, flag: "--gap"),
                criticalPaths: criticalPaths)
            let query = try queryOptions.query()
            let source = InsightsSource(store: try storeOptions.open(readOnly: true))
            let ids = if let trace { [try source.traceID(trace)] } else { try source.traceIDs(query) }
            let report = try source.report(ids, options: options)
            found = !report.findings.isEmpty
            print(report.render(format), terminator: "")
            if exitStatus && found { throw ExitCode(ExitCodes.failure) }
        }
    }
}
