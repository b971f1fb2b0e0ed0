import ArgumentParser
import XRayCollector
import XRayConsole
import XRayInsights
import XRayLauncher
import XRayQuery
import XRayReadAPI
import XRayRender
import XRaySampling
import XRayStore
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

extension XRay {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Trace a command: collect every segment its X-Ray SDKs emit, under a segment for the run itself.",
            discussion: """
                Starts CMD (found on PATH, no shell in between) with AWS_XRAY_DAEMON_ADDRESS pointing at a collector \
                on a free loopback port, _X_AMZN_TRACE_ID and TRACEPARENT naming the run's segment, and \
                AWS_XRAY_CONTEXT_MISSING=LOG_ERROR, and for OpenTelemetry SDKs OTEL_EXPORTER_OTLP_ENDPOINT (the \
                collector's TCP port, which serves OTLP/HTTP) and OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
                (--tracing-name also sets OTEL_SERVICE_NAME); variables you already set are left alone. Returns CMD's exit \
                status (128+N when it died from signal N, 127 when not found, 126 when not executable) and forwards \
                INT, TERM, HUP, QUIT, USR1, USR2 and WINCH to it (when stdin is not the terminal's foreground, to its whole \
                process group, TSTP and CONT too, and the group is killed if xray run dies). Its own failures: 69 (port in use), 70 (its own segment was not stored), 74 (store). \
                --fail-on makes a successful command exit 1 when a captured entity has that flag or a trace of the run \
                matches that filter expression, and prints each such trace; --fail-on n+1 or insight:KIND (n+1, \
                repeated, slow, hidden-error, gap) runs xray inspect insights over the run's traces, with --n-plus-one \
                and --slow as thresholds, and prints each such finding. Django's Http404 is recorded as fault and \
                error by the SDK: --fail-on 'fault AND !http.status = 404' fails on 5xx only. --capture-all sends the \
                segments to the run even when AWS_XRAY_DAEMON_ADDRESS is exported.
                """
        )

        @OptionGroup var storeOptions: StoreOptions

        @Option(
            name: .long,
            help:
                "The run segment's name (default: --tracing-name, else the command's base name, or for Python the script or module: manage.py runserver, pytest)."
        )
        var name: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Set AWS_XRAY_TRACING_NAME for the command: the SDK's service name, overriding what the app configures.",
                valueName: "name"))
        var tracingName: String?

        @Option(
            name: .customLong("annotation"),
            help: ArgumentHelp(
                "An annotation on the run segment (repeatable, at most 50): key of letters, digits and _, value of at most 1000 characters; true/false become booleans, numbers numbers.",
                valueName: "key=value"))
        var annotations: [String] = []

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Where the collector listens, as AWS_XRAY_DAEMON_ADDRESS takes it (default: a free port on 127.0.0.1).",
                valueName: "addr"))
        var listen: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Sampling rules the collector serves to SDKs (any format xray rules reads).", valueName: "file"))
        var samplingRules: String?

        @Option(
            name: .customLong("allow-origin"),
            help: ArgumentHelp(
                "Serve the HTTP API to browser requests from this web origin, such as http://localhost:3000 (repeatable; default: none).",
                valueName: "origin"))
        var allowOrigins: [String] = []

        @Option(
            name: .customLong("context-missing"),
            help: ArgumentHelp(
                "What the X-Ray SDK does with a call outside any segment: log (LOG_ERROR, the default), ignore (IGNORE_ERROR, silences Django's start-up noise) or raise (RUNTIME_ERROR).",
                valueName: "mode"))
        var contextMissing: ContextMissing?

        @Flag(name: .long, help: "Emulate AWS Lambda for the SDKs, so a script's subsegments land under the run's segment.")
        var lambda = false

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Keep collecting this long after the command exits, for processes that outlive it (500ms, 2s, 1m).",
                valueName: "duration"))
        var linger: String = "0s"

        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Send the command's segments to this run even when AWS_XRAY_DAEMON_ADDRESS is exported (it is replaced for the command)."))
        var captureAll = false

        @Flag(name: .long, help: "Print no summary.")
        var quiet = false

        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Serve the console (as xray ui does) on the collector's TCP port and print its URL on stderr before the command starts, even with --quiet; the command finds it in XRAY_RUN_CONSOLE. A nested run names the outer run's console, if it has one."
            ))
        var ui = false

        @Option(
            name: .customLong("fail-on"),
            help: ArgumentHelp(
                "Exit 1 when the command succeeded but a captured entity has this flag, a captured trace matches this filter expression, e.g. 'fault AND !http.status = 404', or xray inspect insights finds this kind in the run's traces (repeatable).",
                valueName: "fault|error|throttle|n+1|insight:kind|expr"))
        var failOn: [String] = []

        @Option(
            name: .customLong("n-plus-one"),
            help: ArgumentHelp(
                "For --fail-on n+1: calls of one shape under one parent that make an N+1.", valueName: "N"))
        var nPlusOne = InsightsOptions().nPlusOne

        @Option(
            name: .long,
            help: ArgumentHelp(
                "For --fail-on insight:slow: own time over which an entity is slow (500ms, 2s).", valueName: "duration"))
        var slow = "500ms"

        @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "cmd"))
        var command: [String] = []

        @OptionGroup var colorOptions: ColorOptions

        func validate() throws {
            guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. xray run -- python app.py") }
            _ = try seconds(of: linger, flag: "--linger")
            for a in annotations where RunArguments.annotation(a) == nil {
                throw ValidationError("--annotation: \"\(a.prefix(100))\" is not KEY=VALUE with a key of letters, digits and _")
            }
            if let problem = RunArguments.annotationProblem(annotations) { throw ValidationError("--annotation: \(problem)") }
            if let listen {
                do { _ = try DaemonAddress.parse(listen) } catch { throw ValidationError("--listen: \(error.description)") }
            }
            for origin in allowOrigins {
                do { try RequestPolicy.validate(origin: origin) } catch { throw ValidationError("--allow-origin: \(error.description)") }
            }
            for text in failOn {
                do { _ = try FailOnCondition(parsing: text) } catch { throw ValidationError("--fail-on: \(error.description)") }
            }
            guard nPlusOne >= 2 else { throw ValidationError("--n-plus-one must be 2 or more, not \(nPlusOne)") }
            _ = try seconds(of: slow, flag: "--slow")
        }

        func run() throws {
            let rules = try samplingRules.map { path throws(CollectorError) in try SamplingService.load(path: path) }
            var request = RunRequest(
                command: command, storePath: storeOptions.path, name: name, tracingName: tracingName,
                annotations: annotations.compactMap(RunArguments.annotation),
                listen: try listen.map { try DaemonAddress.parse($0) }, samplingRules: rules, lambda: lambda,
                linger: try seconds(of: linger, flag: "--linger"), environment: Environment.current,
                workingDirectory: currentDirectory())
            request.allowedOrigins = allowOrigins
            request.captureAll = captureAll
            request.contextMissing = contextMissing?.sdkValue
            request.operations = ReadAPI.operations
            if !ui, Nesting.outer(in: request.environment) == nil {
                // Only a run that serves a console names one to its command (and to runs nested in it).
                request.environment[ConsoleVariable.name] = nil
            }
            if ui { serveConsole(&request) }
            var elsewhere: (address: String, finding: DaemonProbe.Finding)?
            if !captureAll, let address = RunEnvironment.userDaemonAddress(in: request.environment, listen: request.listen) {
                let finding = DaemonProbe.probe(address)
                elsewhere = (address, finding)
                printError(RunSummary.elsewhereWarning(address: address, finding: finding))
            }
            if !captureAll, let otlp = RunEnvironment.userOTLPEndpoint(in: request.environment) {
                let grpc = (request.environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? request.environment["OTEL_EXPORTER_OTLP_PROTOCOL"]) == "grpc"
                printError(RunSummary.otlpElsewhereWarning(otlp, finding: DaemonProbe.probeOTLP(otlp.url, grpc: grpc)))
            }
            let outcome = try Launcher.run(request)
            if case .notStarted(_, let reason) = outcome.termination { printError("xray run: \(reason)") }
            if !outcome.segmentShortened.isEmpty {
                printError(
                    "xray run: warning: the run segment was shortened to fit one datagram (the runs table keeps the full command): "
                        + outcome.segmentShortened.joined(separator: "; "))
            }
            if !quiet {
                printError(RunSummary.text(outcome, elsewhere: elsewhere?.finding, lambda: lambda, style: colorOptions.standardErrorStyle))
            }
            guard outcome.segmentStored else {
                let error = CommandError.runSegmentNotStored(segmentID: outcome.segmentID, storePath: storeOptions.path)
                guard outcome.termination.succeeded else {
                    // The command's own failure is the status a caller acts on; this one is said beside it.
                    Failure.command(error).report(for: Self.self)
                    throw ExitCode(outcome.termination.exitStatus)
                }
                throw error
            }
            if outcome.termination.succeeded, !failOn.isEmpty {
                let failures: [FailOnGate.Failure]
                let options = InsightsOptions(nPlusOne: nPlusOne, slow: try seconds(of: slow, flag: "--slow"))
                do {
                    failures = try FailOnGate.check(
                        failOn.compactMap { try? FailOnCondition(parsing: $0) }, outcome: outcome,
                        storePath: storeOptions.path, insights: options)
                } catch {
                    throw CommandError.failOn(error)
                }
                if !failures.isEmpty {
                    printError(FailOnGate.report(failures, runID: outcome.runID))
                    throw ExitCode(ExitCodes.failure)
                }
            }
            throw ExitCode(outcome.termination.exitStatus)
        }

        /// `--ui`: the console joins the collector's operations, and once the collector is bound (before the
        /// command starts) its URL is printed and given to the command. A nested run has no collector of its
        /// own: it names the outer run's console, or says there is none.
        func serveConsole(_ request: inout RunRequest) {
            if Nesting.outer(in: request.environment) != nil {
                if let url = request.environment[ConsoleVariable.name] {
                    printError("xray run: console at \(url) (the outer run's)")
                } else {
                    printError(
                        "xray run: warning: --ui: this run sends its segments to the outer xray run, which serves no console; "
                            + "give that run --ui, or use xray ui")
                }
                return
            }
            if let tcp = request.listen?.tcp, !XRay.UI.isLoopback(tcp.host) {
                printError("xray run: warning: the console on \(tcp) is not on a loopback address: anyone who can reach it can read the store's traces")
            }
            request.operations = request.operations.adding(Console.operations)
            request.onCollectorStarted = { address in
                let url = "http://\(address.tcp)/"
                printError("xray run: console at \(url)")
                return [ConsoleVariable.name: url]
            }
        }
    }
}

/// Where a command started by `xray run --ui` finds the console's URL.
enum ConsoleVariable {
    static let name = "XRAY_RUN_CONSOLE"
}

/// One `--fail-on` value: a flag on any captured entity, a kind of `inspect insights` finding in the run's
/// traces, or a filter expression over them.
enum FailOnCondition {
    case flag(EntityFlag)
    case insight(FindingKind)
    case filter(text: String, FilterExpression)

    /// The prefix that names an insights kind; `n+1` alone is short for `insight:n+1`.
    static let insightPrefix = "insight:"

    init(parsing text: String) throws(FailOnParseError) {
        if let flag = EntityFlag(rawValue: text) {
            self = .flag(flag)
        } else if text == FindingKind.nPlusOne.label {
            self = .insight(.nPlusOne)
        } else if text.hasPrefix(Self.insightPrefix) {
            let label = text.dropFirst(Self.insightPrefix.count)
            guard let kind = FindingKind.allCases.first(where: { $0.label == label }) else {
                let kinds = FindingKind.allCases.map(\.label).joined(separator: ", ")
                throw .unknownInsight(String(text.prefix(100)), kinds: kinds)
            }
            self = .insight(kind)
        } else {
            do { self = .filter(text: text, try FilterParser.parse(text)) } catch { throw .filter(error) }
        }
    }

    var text: String {
        switch self {
        case .flag(let flag): flag.rawValue
        case .insight(.nPlusOne): FindingKind.nPlusOne.label
        case .insight(let kind): Self.insightPrefix + kind.label
        case .filter(let text, _): text
        }
    }
}

/// Why a `--fail-on` value is not one.
enum FailOnParseError: Error, CustomStringConvertible {
    case unknownInsight(String, kinds: String)
    case filter(QueryError)

    var description: String {
        switch self {
        case .unknownInsight(let text, let kinds): "\"\(text)\" names no insight; the kinds are \(kinds)"
        case .filter(let error): error.description
        }
    }
}

/// The `--fail-on` gate: which of the run's traces trip it, and each one in a line a CI log can act on.
enum FailOnGate {
    /// Traces described one by one; the rest are counted.
    static let maxListed = 10

    struct Failure {
        var condition: String
        var traceIDs: [String]
        var lines: [String]
        /// How many insights findings matched; nil for flags and filters, which count traces.
        var findings: Int?
        /// Said when a fault comes with a 4xx status, as Django's `Http404` does.
        var hint: String?
    }

    /// The conditions that matched, in the order given, each with its first traces described.
    ///
    /// A flag matches any entity other than the run's own segment, as the summary counts them. A filter
    /// expression has X-Ray's meaning, where the trace's root decides `fault` and `error` and `http.status`
    /// is the root's: `fault AND !http.status = 404` keeps Django's `Http404`, which the SDK marks
    /// `fault` and `error`, from failing the gate.
    ///
    /// An insight kind matches when `inspect insights`, with `insights` as thresholds, finds one of that kind
    /// in the run's traces; the traces are read once for all the kinds given.
    static func check(
        _ conditions: [FailOnCondition], outcome: RunOutcome, storePath: String,
        insights: InsightsOptions
    ) throws(QueryError) -> [Failure] {
        let store: TraceStore
        do {
            store = try TraceStore(path: storePath, readOnly: true)
        } catch {
            throw .store(error)
        }
        var report: InsightsReport?
        var failures: [Failure] = []
        for condition in conditions {
            let ids: [String]
            var flag: EntityFlag?
            switch condition {
            case .flag(let f):
                flag = f
                ids = outcome.captured.flaggedTraces[f] ?? []
            case .insight(let kind):
                if report == nil { report = try insightsReport(store: store, runID: outcome.runID, options: insights) }
                let findings = report?.findings.filter { $0.kind == kind } ?? []
                guard !findings.isEmpty else { continue }
                var only = InsightsReport(options: insights)
                only.findings = Array(findings.prefix(maxListed))
                var unique: [String] = []
                for f in findings where unique.last != f.traceID { unique.append(f.traceID) }
                // The table without its last line, the summary of counts this gate's own heading gives.
                let table = only.render(.table).split(separator: "\n").dropLast().map(String.init)
                failures.append(Failure(condition: condition.text, traceIDs: unique, lines: table, findings: findings.count))
                continue
            case .filter(_, let expression):
                var query = TraceQuery(filter: expression)
                query.run = String(outcome.runID)
                ids = try QueryEngine(store: store).traceIDs(query)
            }
            guard !ids.isEmpty else { continue }
            let listed = Array(ids.prefix(maxListed))
            let summaries: [TraceSummary]
            do {
                summaries = try store.traceSummaries(limit: listed.count, traceIDs: listed)
            } catch {
                throw .store(error)
            }
            var lines: [String] = []
            for id in listed {
                let tree: TraceTree
                do {
                    tree = try store.trace(id)
                } catch {
                    throw .store(error)
                }
                lines.append(describe(tree, summary: summaries.first { $0.traceID == id }, flag: flag, excluding: outcome.segmentID))
            }
            var failure = Failure(condition: condition.text, traceIDs: ids, lines: lines)
            if flag == .fault, summaries.contains(where: { $0.hasFault && (400..<500).contains($0.httpStatus ?? 0) }) {
                // The Django middleware's process_exception marks the segment 500 (fault) before the 404
                // response marks it error, so a 404 counts as a fault too.
                failure.hint =
                    "a fault with a 4xx status is how the SDK records Django's Http404; "
                    + "to fail on 5xx only: --fail-on 'fault AND !http.status = 404'"
            }
            failures.append(failure)
        }
        return failures
    }

    /// `inspect insights` over every trace of the run, without critical paths (the gate reports findings only).
    static func insightsReport(store: TraceStore, runID: Int, options: InsightsOptions) throws(QueryError) -> InsightsReport {
        var options = options
        options.criticalPaths = 0
        var query = TraceQuery()
        query.run = String(runID)
        let source = InsightsSource(store: store)
        var report = InsightsReport(options: options)
        do throws(InsightsError) {
            try source.forEachTree(try source.traceIDs(query)) { report.add($0) }
        } catch {
            switch error {
            case .store(let e): throw .store(e)
            case .query(let e): throw e
            }
        }
        return report
    }

    /// `TRACE  METHOD URL STATUS  FLAGS on KIND NAME: CAUSE`, naming the entity where the flag starts: one
    /// that has it while none of its children does (the filter language's root cause).
    static func describe(_ tree: TraceTree, summary: TraceSummary?, flag: EntityFlag?, excluding runSegment: String) -> String {
        var line = tree.traceID
        if let summary {
            let request = [summary.httpMethod, summary.httpURL, summary.httpStatus.map(String.init)].compactMap { $0 }
            line += "  " + (request.isEmpty ? summary.rootName ?? "" : request.joined(separator: " "))
        }
        let entries = tree.entries
        for candidate in flag.map({ [$0] }) ?? EntityFlag.allCases {
            let origin = entries.indices.first { i in
                let e = entries[i].entity
                return e.id != runSegment && candidate.isSet(on: e)
                    && !entries[i].children.contains { candidate.isSet(on: entries[$0].entity) }
            }
            guard let origin else { continue }
            let entity = entries[origin].entity
            let flags = EntityFlag.allCases.filter { $0.isSet(on: entity) }.map(\.rawValue).joined(separator: ",")
            line += "  \(flags) on \(entity.kind.name) \(entity.name)"
            if let status = entity.httpStatus, status != summary?.httpStatus { line += " (\(status))" }
            line += ": " + (entity.cause ?? "no cause recorded")
            break
        }
        return line
    }

    static func report(_ failures: [Failure], runID: Int) -> String {
        var lines: [String] = []
        for failure in failures {
            if let n = failure.findings {
                let traces = failure.traceIDs.count
                lines.append("xray run: --fail-on \(failure.condition): \(RunSummary.count(n, "finding")) in \(RunSummary.count(traces, "trace"))")
                lines += failure.lines.map { "xray run:   " + $0 }
                if n > maxListed { lines.append("xray run:   and \(n - maxListed) more: xray inspect insights --run \(runID)") }
                continue
            }
            let n = failure.traceIDs.count
            lines.append("xray run: --fail-on \(failure.condition): \(n) \(n == 1 ? "trace matches" : "traces match")")
            lines += failure.lines.map { "xray run:   " + $0 }
            if n > failure.lines.count {
                lines.append("xray run:   and \(n - failure.lines.count) more: xray inspect traces --run \(runID)")
            }
            if let hint = failure.hint { lines.append("xray run: hint: " + hint) }
        }
        return lines.joined(separator: "\n")
    }
}

/// The lines `xray run` prints on stderr after the command.
enum RunSummary {
    /// Said before the command starts: its segments will not reach this run.
    static func elsewhereWarning(address: String, finding: DaemonProbe.Finding) -> String {
        "xray run: warning: AWS_XRAY_DAEMON_ADDRESS is set to \(address), so the command's SDKs send their segments "
            + "there, not to this run: \(destination(finding)); --capture-all sends them to this run"
    }

    static func otlpElsewhereWarning(_ endpoint: (variable: String, url: String), finding: DaemonProbe.Finding) -> String {
        let there =
            switch finding {
            case .xrayDaemon, .notXRay: "something accepts connections there, so they are stored there, not here"
            case .unreachable(let detail): "nothing answers there (\(detail)), so they are lost"
            case .invalid(let detail): "the SDKs cannot use it (\(detail))"
            }
        return "xray run: warning: \(endpoint.variable) is set to \(endpoint.url), so an OpenTelemetry app exports its spans "
            + "there, not to this run: \(there); --capture-all sends them to this run"
    }

    /// What answered at the user's address, in words.
    static func destination(_ finding: DaemonProbe.Finding) -> String {
        switch finding {
        case .xrayDaemon: "an X-Ray daemon answers there (GetSamplingRules), so they are stored there, not here"
        case .notXRay(let detail): "\(detail), which is not an X-Ray daemon, so they are probably lost"
        case .unreachable(let detail): "nothing answers there (\(detail)), so they are lost"
        case .invalid(let detail): "the SDKs cannot use it (\(detail))"
        }
    }

    /// Why a run that started its command captured no entity of its own: the usual reasons, the likeliest first.
    static func emptyRunReasons(_ o: RunOutcome, lambda: Bool) -> [String] {
        var reasons: [String] = []
        if let address = o.userDaemonAddress {
            reasons.append("AWS_XRAY_DAEMON_ADDRESS was yours (\(address)): the segments went there; --capture-all sends them here")
        }
        if !lambda {
            reasons.append("a plain script has no segment for @xray_recorder.capture or in_subsegment to attach to: run it with --lambda")
        }
        reasons.append("the SDK is not set up: xray_recorder.configure(...), the framework's X-Ray middleware, patch_all() for libraries")
        reasons.append(
            "sampling: the SDK's default rule records the first request each second and 5% of the rest; "
                + "use xray_recorder.configure(sampling=False)")
        if o.leftAlone.contains(where: { $0.hasPrefix("OTEL_EXPORTER_OTLP_") }) {
            reasons.append("an OpenTelemetry app exported to the OTEL_EXPORTER_OTLP_* address you had set, not to this run")
        } else {
            reasons.append(
                "an OpenTelemetry app needs opentelemetry-instrument (or an OTLP exporter in code) and an SDK "
                    + "that exports OTLP/HTTP (protobuf or JSON)")
        }
        return reasons
    }

    static func text(_ o: RunOutcome, elsewhere: DaemonProbe.Finding?, lambda: Bool, style: TerminalStyle) -> String {
        let c = o.captured
        var lines: [String] = []
        var head = "xray run: trace \(style.bold(o.traceID)) (run \(o.runID)), \(count(c.traces, "trace")), "
        head += "\(count(c.entities, "entity", "entities")) captured in \(formatSeconds(o.duration))"
        lines.append(head)
        var flags: [String] = []
        if c.faults > 0 { flags.append(style.red(count(c.faults, "fault"))) }
        if c.errors > 0 { flags.append(style.yellow(count(c.errors, "error"))) }
        if c.throttles > 0 { flags.append(style.magenta(count(c.throttles, "throttle"))) }
        if let rejected = o.counters?.rejected, rejected > 0 {
            flags.append(style.red("\(count(rejected, "rejected datagram")) (xray inspect rejects)"))
        }
        if !flags.isEmpty { lines.append("xray run: " + flags.joined(separator: ", ")) }
        if let counters = o.counters, counters.otlpSpansReceived > 0 {
            var line = "xray run: OpenTelemetry spans \(counters.otlpSpansReceived): stored \(counters.otlpSpansStored)"
            if counters.otlpSpansRejected > 0 { line += ", " + style.red("rejected \(counters.otlpSpansRejected)") }
            lines.append(line)
        }
        let leftAlone = o.leftAlone.filter { o.userDaemonAddress == nil || $0 != RunEnvironment.daemonAddressVariable }
        if !leftAlone.isEmpty {
            lines.append("xray run: left alone, as you had set them: " + leftAlone.joined(separator: ", "))
        }
        if let address = o.userDaemonAddress {
            let answer = elsewhere.map { "; " + destination($0) } ?? ""
            lines.append("xray run: the command's segments went to \(address) (your AWS_XRAY_DAEMON_ADDRESS)\(answer)")
        }
        if c.commandEntities == 0, !o.nested, o.pid != nil {
            lines.append("xray run: the command sent no segment; likely reasons:")
            lines += emptyRunReasons(o, lambda: lambda).map { "xray run:   - " + $0 }
        }
        if o.nested { lines.append("xray run: nested: segments went to the outer run's collector") }
        let failed = c.flaggedTraces[.fault]?.first ?? c.flaggedTraces[.error]?.first ?? (o.termination.succeeded ? nil : o.traceID)
        if let failed {
            lines.append("xray run: see it with: xray inspect traces --run \(o.runID); the first failed trace: xray inspect show \(failed)")
        } else {
            lines.append("xray run: see it with: xray inspect traces --run \(o.runID) or xray inspect show \(o.traceID)")
        }
        return lines.joined(separator: "\n")
    }

    /// `1 trace`, `2 traces`: the count and the noun, singular or plural.
    static func count<N: BinaryInteger>(_ n: N, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    static func formatSeconds(_ s: Double) -> String {
        s < 1 ? "\(Int((s * 1000).rounded())) ms" : "\(Double(Int(s * 100)) / 100) s"
    }
}

func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    return buffer.withUnsafeMutableBufferPointer { b in getcwd(b.baseAddress, b.count).map { String(cString: $0) } } ?? "."
}

/// `--context-missing`: the X-Ray SDK's `AWS_XRAY_CONTEXT_MISSING` in words.
enum ContextMissing: String, ExpressibleByArgument, CaseIterable {
    case log, ignore, raise

    var sdkValue: String {
        switch self {
        case .log: "LOG_ERROR"
        case .ignore: "IGNORE_ERROR"
        case .raise: "RUNTIME_ERROR"
        }
    }
}
