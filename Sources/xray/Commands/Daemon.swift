import ArgumentParser
import XRayCollector
import XRayConsole
import XRayOTel
import XRayReadAPI
import XRayRender
import XRaySampling
import XRayStore
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

extension XRay {
    /// `xray daemon`: parses flags, runs a `Collector` in the foreground, prints traces and counters.
    struct Daemon: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "daemon",
            abstract: "A local stand-in for the X-Ray daemon: stores every segment and serves the sampling API.",
            discussion: """
                Listens where the SDKs send by default (UDP and TCP 127.0.0.1:2000), stores every segment in the \
                trace store, keeps malformed datagrams aside (xray inspect rejects), and answers GetSamplingRules, \
                SamplingTargets, PutTraceSegments, BatchGetTraces, GetTraceSummaries and GetServiceGraph, and serves the \
                console of xray ui at GET /. \
                Without --sampling-rules it serves one Default \
                rule that samples every request. Ctrl-C stops reading, stores everything received, prints the counters \
                and exits 0 (74 when documents were lost); a second Ctrl-C exits at once. Port 0 picks a free port; the \
                first line on stderr names it (with --json, the first event on stdout). Store trouble (a full disk, a \
                deleted WAL) is a warning when it happens; documents wait in memory and are written again. A damaged \
                store is refused (exit 74). Any number of daemons, runs and imports may share one store. \
                OpenTelemetry: OTLP/HTTP (POST /v1/traces, protobuf or JSON, gzip or deflate) is served on the TCP \
                address and on --otlp-http (default 127.0.0.1:4318; a taken default is a warning), OTLP/gRPC (unary \
                Export, cleartext HTTP/2) on the TCP address and on --otlp-grpc (default 127.0.0.1:4317, the same rule), \
                and ADOT's T1S/T1U datagrams on the UDP address; spans become X-Ray segment documents by AWS's \
                translation rules.
                """
        )

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Where to listen for UDP and TCP, as AWS_XRAY_DAEMON_ADDRESS takes it: host:port or 'tcp:h:p udp:h:p'.",
                discussion: "Default: $AWS_XRAY_DAEMON_ADDRESS, else 127.0.0.1:2000.", valueName: "addr"))
        var listen: String?

        @Option(name: .long, help: ArgumentHelp("The UDP address for segments (overrides --listen).", valueName: "host:port"))
        var udp: String?

        @Option(name: .long, help: ArgumentHelp("The TCP address for the X-Ray API (overrides --listen).", valueName: "host:port"))
        var tcp: String?

        @OptionGroup var storeOptions: StoreOptions

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Sampling rules to serve: a local v1/v2 rules file, a GetSamplingRules response, or a list of SamplingRule objects.",
                valueName: "file"))
        var samplingRules: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Also send every accepted datagram, unchanged, to this UDP address (a real X-Ray daemon or collector; not this daemon's own).",
                valueName: "host:port"))
        var forward: String?

        @Option(
            name: .customLong("forward-otlp"),
            help: ArgumentHelp(
                "Also send every stored trace as OTLP/HTTP protobuf to this OpenTelemetry Collector, Jaeger or Tempo (http only).",
                discussion: "/v1/traces is appended when the URL has no path. Batched, retried on 429/502/503/504; never slows local intake.",
                valueName: "url"))
        var forwardOTLP: String?

        @Option(
            name: .customLong("forward-otlp-queue"),
            help: ArgumentHelp(
                "Documents that may wait for --forward-otlp before the oldest are dropped and counted (default 100000; 64 MiB at most).",
                valueName: "n"))
        var forwardOTLPQueue: Int?

        @Option(
            name: .customLong("allow-origin"),
            help: ArgumentHelp(
                "Serve the HTTP API to browser requests from this web origin, such as http://localhost:3000 (repeatable; default: none).",
                valueName: "origin"))
        var allowOrigins: [String] = []

        @Option(
            name: .customLong("otlp-http"),
            help: ArgumentHelp(
                "A second TCP address serving only OTLP/HTTP (/v1/traces, /v1/metrics, /v1/logs), or 'off'.",
                discussion: "Default: 127.0.0.1:4318, skipped with a warning when taken.", valueName: "addr|off"))
        var otlpHTTP: String?

        @Option(
            name: .customLong("otlp-grpc"),
            help: ArgumentHelp(
                "A TCP address serving only OTLP over gRPC (the TraceService, MetricsService and LogsService Export calls), or 'off'.",
                discussion: "Default: 127.0.0.1:4317, skipped with a warning when taken.", valueName: "addr|off"))
        var otlpGRPC: String?

        @Option(
            name: .customLong("otlp-max-body"),
            help: ArgumentHelp(
                "The largest OTLP/HTTP body, in bytes after decompression (default 4194304); larger ones get 413.", valueName: "bytes"))
        var otlpMaxBody: Int?

        @Option(
            name: .customLong("index-attributes"),
            help: ArgumentHelp(
                "OpenTelemetry span attributes to make X-Ray annotations, comma-separated (repeatable), as the awsxray exporter's indexed_attributes.",
                valueName: "key,..."))
        var indexAttributes: [String] = []

        @Flag(name: .customLong("index-all-attributes"), help: "Make every scalar OpenTelemetry span attribute an X-Ray annotation.")
        var indexAllAttributes = false

        @Flag(name: .long, help: "Print no live view: only the listening line, errors and the counters at the end.")
        var quiet = false

        @Flag(name: .long, help: "Write JSON lines events (listening, trace, warning, counters) on standard output.")
        var json = false

        @OptionGroup var colorOptions: ColorOptions

        func validate() throws {
            if quiet && json { throw ValidationError("--quiet and --json cannot be combined: --json already keeps stderr quiet") }
            _ = try address()
            if let forward {
                do { _ = try Endpoint.parse(forward) } catch { throw ValidationError("--forward: \(error.description)") }
            }
            _ = try otlpListener()
            _ = try grpcListener()
            _ = try forwardTarget()
            if let forwardOTLPQueue {
                guard forwardOTLP != nil else { throw ValidationError("--forward-otlp-queue needs --forward-otlp") }
                guard (1...10_000_000).contains(forwardOTLPQueue) else {
                    throw ValidationError("--forward-otlp-queue: \(forwardOTLPQueue) is outside 1...10000000 documents")
                }
            }
            if let otlpMaxBody, !(1024...(256 << 20)).contains(otlpMaxBody) {
                throw ValidationError("--otlp-max-body: \(otlpMaxBody) is outside 1024...268435456 bytes")
            }
            for origin in allowOrigins {
                do { try RequestPolicy.validate(origin: origin) } catch { throw ValidationError("--allow-origin: \(error.description)") }
            }
        }

        /// --listen (or the environment), with --udp/--tcp replacing their half.
        func address() throws -> DaemonAddress {
            let flag = listen != nil ? "--listen" : "AWS_XRAY_DAEMON_ADDRESS"
            do {
                var address = DaemonAddress.default
                if let text = listen ?? Environment.current["AWS_XRAY_DAEMON_ADDRESS"], !text.isEmpty {
                    address = try DaemonAddress.parse(text)
                }
                if let udp { address.udp = try Endpoint.parse(udp) }
                if let tcp { address.tcp = try Endpoint.parse(tcp) }
                return address
            } catch {
                throw ValidationError("\(udp != nil || tcp != nil ? "--udp/--tcp" : flag): \(error.description)")
            }
        }

        /// `--forward-otlp`: the backend's traces URL, or nil.
        func forwardTarget() throws -> OTLPForwardTarget? {
            guard let forwardOTLP else { return nil }
            do { return try OTLPForwardTarget.parse(forwardOTLP) } catch { throw ValidationError("--forward-otlp: \(error.description)") }
        }

        /// `--otlp-http`: off, an address that must be free, or by default 127.0.0.1:4318 if it is.
        func otlpListener() throws -> Collector.OTLPListener {
            guard let otlpHTTP else { return .preferred(Endpoint(host: "127.0.0.1", port: 4318)) }
            if otlpHTTP == "off" { return .off }
            do { return .required(try Endpoint.parse(otlpHTTP)) } catch { throw ValidationError("--otlp-http: \(error.description)") }
        }

        /// `--otlp-grpc`: off, an address that must be free, or by default 127.0.0.1:4317 if it is.
        func grpcListener() throws -> Collector.OTLPListener {
            guard let otlpGRPC else { return .preferred(Endpoint(host: "127.0.0.1", port: 4317)) }
            if otlpGRPC == "off" { return .off }
            do { return .required(try Endpoint.parse(otlpGRPC)) } catch { throw ValidationError("--otlp-grpc: \(error.description)") }
        }

        func run() throws {
            do {
                let json = json, quiet = quiet
                let style = TerminalStyle.resolve(colorOptions.color, environment: Environment.current, isTerminal: isatty(2) == 1)
                var configuration = Collector.Configuration(address: try address(), storePath: storeOptions.path)
                configuration.operations = ReadAPI.operations.adding(Console.operations)
                configuration.forward = try forward.map { try Endpoint.parse($0) }
                configuration.allowedOrigins = allowOrigins
                configuration.otlpHTTP = try otlpListener()
                configuration.otlpGRPC = try grpcListener()
                configuration.forwardOTLP = try forwardTarget()
                if let forwardOTLPQueue { configuration.forwardOTLPOptions.maxQueueDocuments = forwardOTLPQueue }
                configuration.otlp = OTLPIntake.Options(
                    maxBody: otlpMaxBody ?? OTLPIntake.Options.defaultMaxBody,
                    translator: SegmentTranslator.Options(
                        indexedAttributes: indexAttributes.flatMap { $0.split(separator: ",").map { String($0.filter { $0 != " " }) } }
                            .filter { !$0.isEmpty },
                        indexAllAttributes: indexAllAttributes))
                if let samplingRules { configuration.samplingRules = try SamplingService.load(path: samplingRules) }
                if json {
                    configuration.onTraceCompleted = { writeLine(1, JSONWriter.string(LiveView.event($0))) }
                } else if !quiet {
                    configuration.onTraceCompleted = { printError(LiveView.line($0, style: style)) }
                }
                // Store trouble is said when it happens, even with --quiet: losing data must never be silent.
                configuration.onWarning = { @Sendable message in
                    if json {
                        writeLine(1, JSONWriter.string(.object(JSONObject([("event", .string("warning")), ("message", .string(message))]))))
                    } else {
                        printError("xray daemon: warning: \(message)")
                    }
                }
                configuration.verifyStore = true
                configuration.foldsWALOnClose = true
                // `xray daemon --json | head -1` must not kill the daemon before it flushes.
                signal(SIGPIPE, SIG_IGN)
                let signals = TerminationSignals.block()
                let collector = try Collector.start(configuration)
                let bound = collector.boundAddress
                let otlpText = collector.otlpHTTPAddress?.description ?? "off"
                let grpcText = collector.otlpGRPCAddress?.description ?? "off"
                if json {
                    writeLine(
                        1,
                        JSONWriter.string(
                            .object(
                                JSONObject([
                                    ("event", .string("listening")), ("udp", .string(bound.udp.description)),
                                    ("tcp", .string(bound.tcp.description)), ("store", .string(storeOptions.path)),
                                    ("otlp_http", collector.otlpHTTPAddress.map { .string($0.description) } ?? .null),
                                    ("otlp_grpc", collector.otlpGRPCAddress.map { .string($0.description) } ?? .null),
                                    ("forward_otlp", configuration.forwardOTLP.map { .string($0.description) } ?? .null),
                                ]))))
                    for warning in collector.startWarnings {
                        writeLine(1, JSONWriter.string(.object(JSONObject([("event", .string("warning")), ("message", .string(warning))]))))
                    }
                } else {
                    printError(
                        "listening udp=\(bound.udp) tcp=\(bound.tcp) store=\(storeOptions.path) otlp-http=\(otlpText) otlp-grpc=\(grpcText)"
                            + (configuration.forwardOTLP.map { " forward-otlp=\($0)" } ?? ""))
                    for warning in collector.startWarnings { printError("xray daemon: warning: \(warning)") }
                    if !quiet { printError("export AWS_XRAY_DAEMON_ADDRESS='\(bound.environmentValue)'; Ctrl-C stops") }
                }
                _ = signals.waitForFirst()
                signals.exitOnNext { _ in printError("xray daemon: second signal, exiting now; queued documents are not stored") }
                let counters = collector.stop()
                if json {
                    var event = counters.jsonValue.objectValue ?? JSONObject()
                    event.members.insert(("event", .string("counters")), at: 0)
                    writeLine(1, JSONWriter.string(.object(event)))
                } else {
                    printError(counters.text)
                }
                if counters.lostData {
                    throw CommandError.lostDocuments(detail: counters.lastStoreError ?? counters.storeFileProblem ?? "see above")
                }
            }
        }
    }
}

/// The live view: one line (or one JSON event) per trace whose root segment completed.
enum LiveView {
    static func line(_ s: TraceSummary, style: TerminalStyle) -> String {
        var t = time_t(s.startTime.isFinite ? max(-1e15, min(s.startTime, 1e15)) : 0)
        var parts = tm()
        localtime_r(&t, &parts)
        let clock = [parts.tm_hour, parts.tm_min, parts.tm_sec].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
        let status = s.httpStatus.map(String.init) ?? "-"
        let coloredStatus = s.hasFault ? style.red(status) : s.hasError ? style.yellow(status) : style.green(status)
        var flags: [String] = []
        if s.hasFault { flags.append(style.red("fault")) }
        if s.hasError { flags.append(style.yellow("error")) }
        if s.hasThrottle { flags.append(style.magenta("throttle")) }
        if s.isPartial { flags.append(style.dim("partial")) }
        let x = TerminalText.escape
        return [
            style.dim(clock), style.bold(x(s.rootName ?? "?")), x(s.httpMethod ?? "-"), x(URLPath.target(of: s.httpURL ?? "")), coloredStatus,
            Durations.milliseconds(s.duration) + "ms", Wording.count(s.entityCount, "entity", "entities"), flags.joined(separator: ","), style.dim(s.traceID),
        ]
        .filter { !$0.isEmpty }.joined(separator: "  ")
    }

    static func event(_ s: TraceSummary) -> JSONValue {
        func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        return .object(
            JSONObject([
                ("event", .string("trace")), ("trace_id", .string(s.traceID)), ("start_time", .number(JSONNumber(s.startTime))),
                ("duration", .number(JSONNumber(s.duration))), ("service", optional(s.rootName)),
                ("method", optional(s.httpMethod)), ("url", optional(s.httpURL)),
                ("status", s.httpStatus.map { .number(JSONNumber($0)) } ?? .null), ("entities", .number(JSONNumber(s.entityCount))),
                ("error", .bool(s.hasError)), ("fault", .bool(s.hasFault)), ("throttle", .bool(s.hasThrottle)),
                ("partial", .bool(s.isPartial)),
            ]))
    }
}

/// Writes one line to a file descriptor in a single write, so lines from several threads never interleave.
func writeLine(_ fd: Int32, _ text: String) {
    var line = text
    line += "\n"
    line.withUTF8 { buf in _ = write(fd, buf.baseAddress, buf.count) }
}
