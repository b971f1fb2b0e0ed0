import ArgumentParser
import XRayCollector
import XRayLauncher
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
                AWS_XRAY_CONTEXT_MISSING=LOG_ERROR; variables you already set are left alone. Returns CMD's exit \
                status (128+N when it died from signal N, 127 when not found, 126 when not executable) and forwards \
                INT, TERM, HUP, QUIT, USR1, USR2 and WINCH to it (when stdin is not the terminal's foreground, to its whole \
                process group, TSTP and CONT too, and the group is killed if xray run dies). Its own failures: 69 (port in use), 70 (its own segment was not stored), 74 (store). \
                --fail-on makes a successful command exit 1 when a captured segment has that flag.
                """
        )

        @OptionGroup var storeOptions: StoreOptions

        @Option(name: .long, help: "The run segment's name (default: the command's base name).")
        var name: String?

        @Option(name: .long, help: ArgumentHelp(
            "Set AWS_XRAY_TRACING_NAME for the command: the SDK's service name, overriding what the app configures.",
            valueName: "name"))
        var tracingName: String?

        @Option(name: .customLong("annotation"), help: ArgumentHelp(
            "An annotation on the run segment (repeatable, at most 50): key of letters, digits and _, value of at most 1000 characters; true/false become booleans, numbers numbers.",
            valueName: "key=value"))
        var annotations: [String] = []

        @Option(name: .long, help: ArgumentHelp(
            "Where the collector listens, as AWS_XRAY_DAEMON_ADDRESS takes it (default: a free port on 127.0.0.1).",
            valueName: "addr"))
        var listen: String?

        @Option(name: .long, help: ArgumentHelp(
            "Sampling rules the collector serves to SDKs (any format xray rules reads).", valueName: "file"))
        var samplingRules: String?

        @Option(name: .customLong("allow-origin"), help: ArgumentHelp(
            "Serve the HTTP API to browser requests from this web origin, such as http://localhost:3000 (repeatable; default: none).",
            valueName: "origin"))
        var allowOrigins: [String] = []

        @Flag(name: .long, help: "Emulate AWS Lambda for the SDKs, so a script's subsegments land under the run's segment.")
        var lambda = false

        @Option(name: .long, help: ArgumentHelp(
            "Keep collecting this long after the command exits, for processes that outlive it (500ms, 2s, 1m).",
            valueName: "duration"))
        var linger: String = "0s"

        @Flag(name: .long, help: "Print no summary.")
        var quiet = false

        @Option(name: .customLong("fail-on"), help: ArgumentHelp(
            "Exit 1 when the command succeeded but a captured segment has this flag (repeatable).",
            valueName: "fault|error|throttle"))
        var failOn: [FailureFlag] = []

        @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "cmd"))
        var command: [String] = []

        @OptionGroup var colorOptions: ColorOptions

        enum FailureFlag: String, ExpressibleByArgument, CaseIterable {
            case fault, error, throttle
        }

        func validate() throws {
            guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. xray run -- python app.py") }
            guard RunArguments.seconds(parsing: linger) != nil else {
                throw ValidationError("--linger: \"\(linger)\" is not a duration; write 500ms, 2s or 1m")
            }
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
        }

        func run() throws {
            var rules: [SamplingRule]?
            if let samplingRules {
                do {
                    rules = try SamplingService.load(path: samplingRules)
                } catch {
                    printError("xray run: error: \(error.description)")
                    throw ExitCode(ExitCodes.dataError)
                }
            }
            var request = RunRequest(
                command: command, storePath: storeOptions.path, name: name, tracingName: tracingName,
                annotations: annotations.compactMap(RunArguments.annotation),
                listen: try listen.map { try DaemonAddress.parse($0) }, samplingRules: rules, lambda: lambda,
                linger: RunArguments.seconds(parsing: linger) ?? 0, environment: Environment.current,
                workingDirectory: currentDirectory())
            request.allowedOrigins = allowOrigins
            let outcome: RunOutcome
            do {
                outcome = try Launcher.run(request)
            } catch {
                printError("xray run: error: \(error.description)")
                switch error {
                case .collector(.portInUse): throw ExitCode(ExitCodes.unavailable)
                case .collector: throw ExitCode(ExitCodes.ioError)
                case .store: throw ExitCode(ExitCodes.ioError)
                case .spawn: throw ExitCode(ExitCodes.software)
                }
            }
            if case .notStarted(_, let reason) = outcome.termination { printError("xray run: \(reason)") }
            if !outcome.segmentShortened.isEmpty {
                printError("xray run: warning: the run segment was shortened to fit one datagram (the runs table keeps the full command): "
                           + outcome.segmentShortened.joined(separator: "; "))
            }
            if !quiet { printError(RunSummary.text(outcome, style: colorOptions.standardErrorStyle)) }
            guard outcome.segmentStored else {
                printError("xray run: error: the run's own segment \(outcome.segmentID) was not stored in \(storeOptions.path); "
                           + "see xray inspect rejects")
                throw ExitCode(outcome.termination.succeeded ? ExitCodes.software : outcome.termination.exitStatus)
            }
            if outcome.termination.succeeded, let flag = failOn.first(where: { outcome.captured.count(of: $0) > 0 }) {
                printError("xray run: --fail-on \(flag.rawValue): \(outcome.captured.count(of: flag)) captured segments have \(flag.rawValue) set")
                throw ExitCode(ExitCodes.failure)
            }
            throw ExitCode(outcome.termination.exitStatus)
        }
    }
}

extension CapturedSummary {
    func count(of flag: XRay.Run.FailureFlag) -> Int {
        switch flag {
        case .fault: faults
        case .error: errors
        case .throttle: throttles
        }
    }
}

/// The lines `xray run` prints on stderr after the command.
enum RunSummary {
    static func text(_ o: RunOutcome, style: TerminalStyle) -> String {
        let c = o.captured
        var lines: [String] = []
        var head = "xray run: trace \(style.bold(o.traceID)) (run \(o.runID)), \(c.traces) traces, \(c.entities) segments"
        head += " captured in \(formatSeconds(o.duration))"
        lines.append(head)
        var flags: [String] = []
        if c.faults > 0 { flags.append(style.red("\(c.faults) faults")) }
        if c.errors > 0 { flags.append(style.yellow("\(c.errors) errors")) }
        if c.throttles > 0 { flags.append(style.magenta("\(c.throttles) throttles")) }
        if let rejected = o.counters?.rejected, rejected > 0 {
            flags.append(style.red("\(rejected) rejected datagrams (xray inspect rejects)"))
        }
        if !flags.isEmpty { lines.append("xray run: " + flags.joined(separator: ", ")) }
        if !o.leftAlone.isEmpty {
            lines.append("xray run: left alone, as you had set them: " + o.leftAlone.joined(separator: ", "))
        }
        if o.nested { lines.append("xray run: nested: segments went to the outer run's collector") }
        lines.append("xray run: see it with: xray inspect show \(o.traceID)")
        return lines.joined(separator: "\n")
    }

    static func formatSeconds(_ s: Double) -> String {
        s < 1 ? "\(Int((s * 1000).rounded())) ms" : "\(Double(Int(s * 100)) / 100) s"
    }
}

func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    return buffer.withUnsafeMutableBufferPointer { b in getcwd(b.baseAddress, b.count).map { String(cString: $0) } } ?? "."
}
