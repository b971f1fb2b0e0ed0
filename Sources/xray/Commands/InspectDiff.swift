import ArgumentParser
import XRayInsights
import XRayQuery
import XRayWire

extension DiffFormat: ExpressibleByArgument {}

extension XRay.Inspect {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two runs, two filters or two traces per endpoint, and fail a CI job on a regression.",
            discussion: """
                A and B are two runs (--run N --run M; each N a run number, last, or previous: the run before the \
                last), two filter expressions (--filter X --filter Y), or two traces (TRACE TRACE). Per endpoint \
                (method and URL path, ids as {id}: /books/7 and /books/9 are /books/{id}): requests, p50, p95 and max \
                response time in ms, SQL and remote calls per request, error and fault rates in percent, each with \
                its change; new and vanished endpoints. Traces whose root answered no HTTP request are not \
                counted. For two traces, also the entities added, removed and slower, matched by their path of \
                names. --fail-if METRIC > +N% or METRIC > +N (or < -N%, < -N for a drop; N in ms for p50, p95 and \
                max, or a duration such as +50ms or +0.5s), repeatable, METRIC one \
                of requests, p50, p95, max, sql_per_request, calls_per_request, error_rate, fault_rate, is checked \
                on every endpoint in both and on the total. Exit status: 1 when a --fail-if is crossed; 64 for a \
                malformed --fail-if; 66 for a run or trace that is not stored; 65 for a filter that does not parse.
                """
        )

        @Argument(help: "Two trace ids (or unique prefixes, or last), instead of --run or --filter.")
        var traces: [String] = []

        @Option(name: .customLong("run"), help: ArgumentHelp("A run to compare, twice: a number, last or previous.", valueName: "N|last|previous"))
        var runs: [String] = []

        @Option(name: .long, help: ArgumentHelp("A filter expression to compare, twice.", valueName: "expr"))
        var filter: [String] = []

        @Option(name: .long, help: ArgumentHelp("Only traces that started this long ago or later, on both sides.", valueName: "duration"))
        var since: String?

        @Option(
            name: .customLong("fail-if"), help: ArgumentHelp("Exit 1 if a change crosses this line: 'p95 > +10%', 'sql_per_request > +0.5'.", valueName: "rule")
        )
        var failIf: [String] = []

        @Option(name: .long, help: "table, json or markdown.")
        var format: DiffFormat = .table

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            let modes = [traces.count, runs.count, filter.count].filter { $0 > 0 }
            guard modes.count == 1, modes.first == 2 else {
                throw ValidationError("compare exactly two things: TRACE TRACE, --run N --run M, or --filter X --filter Y")
            }
            if let bad = runs.first(where: { $0 != "last" && $0 != "previous" && Int($0) == nil }) {
                throw ValidationError("--run takes a run number, last or previous, not \"\(bad)\"")
            }
            if since != nil, !traces.isEmpty { throw ValidationError("--since selects traces for --run or --filter, not for two trace ids") }
            if let since { _ = try seconds(of: since, flag: "--since") }
            for rule in failIf {
                do { _ = try FailIf(parsing: rule) } catch { throw ValidationError("--fail-if \(error.description)") }
            }
        }

        func run() throws {
            let rules = try failIf.map { rule throws(DiffError) in try FailIf(parsing: rule) }
            let source = InsightsSource(store: try storeOptions.open(readOnly: true))
            let comparison = try compare(source)
            let violations = comparison.violations(rules)
            print(comparison.render(format, violations: violations), terminator: "")
            guard violations.isEmpty else {
                printError("xray: \(violations.count) check\(violations.count == 1 ? "" : "s") failed:")
                for v in violations { printError("  " + RunComparison.describe(v)) }
                throw ExitCode(ExitCodes.failure)
            }
        }

        func compare(_ source: InsightsSource) throws(InsightsError) -> RunComparison {
            if traces.count == 2 {
                let a = try source.tree(try source.traceID(traces[0]))
                let b = try source.tree(try source.traceID(traces[1]))
                let sa = RequestSample.of(a), sb = RequestSample.of(b)
                return RunComparison(
                    a: sa.map { [$0] } ?? [], b: sb.map { [$0] } ?? [],
                    skipped: (sa == nil ? 1 : 0, sb == nil ? 1 : 0), structure: TreeDiff(a, b))
            }
            var sides: [[String]] = []
            for i in 0..<2 {
                var query = TraceQuery()
                do throws(QueryError) {
                    if !filter.isEmpty { query.filter = try FilterParser.parse(filter[i]) }
                    if let since { query.start = epochNow() - (try TimeSpec.duration(since)) }
                } catch {
                    throw .query(error)
                }
                if !runs.isEmpty { query.run = try source.run(runs[i]) }
                sides.append(try source.traceIDs(query))
            }
            let a = try source.samples(sides[0]), b = try source.samples(sides[1])
            return RunComparison(a: a.samples, b: b.samples, skipped: (a.skipped, b.skipped))
        }
    }
}
