import CXRayProcess
import Synchronization
import XRayCollector
import XRaySampling
import XRayStore
import XRaySystem
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// What `xray run` was asked to do.
public struct RunRequest: Sendable {
    /// The command and its arguments, exactly as given after `--`.
    public var command: [String]
    public var storePath: String
    /// The run segment's name; default: `tracingName`, else `RunArguments.segmentName(for:)`.
    public var name: String?
    public var tracingName: String?
    public var annotations: [Entity.Annotation]
    /// Where the embedded collector listens; default: a free loopback port for both UDP and TCP.
    public var listen: DaemonAddress?
    public var samplingRules: [SamplingRule]?
    /// Web origins the embedded collector's HTTP API serves (`--allow-origin`).
    public var allowedOrigins: [String] = []
    public var lambda: Bool
    /// How long to keep collecting after the command exits, for grandchildren that outlive it.
    public var linger: Double
    public var environment: [String: String]
    public var workingDirectory: String
    /// `--capture-all`: the run's collector replaces an exported `AWS_XRAY_DAEMON_ADDRESS`.
    public var captureAll = false
    /// `--context-missing`: the SDK's `AWS_XRAY_CONTEXT_MISSING` (`LOG_ERROR`, `IGNORE_ERROR`, `RUNTIME_ERROR`),
    /// set even over an inherited value; nil offers `LOG_ERROR` where the caller set nothing.
    public var contextMissing: String?
    /// Operations the embedded collector serves beside intake and sampling (the executable passes the read
    /// API): XRayLauncher depends on neither the query nor the render layer those need.
    package var operations = HTTPOperations()
    /// Called once the embedded collector is bound, before the command starts (never for a nested run): the
    /// variables it returns join the command's environment. `xray run --ui` prints the console's URL here,
    /// since a port picked by the kernel is known only now.
    package var onCollectorStarted: (@Sendable (DaemonAddress) -> [String: String])?

    public init(
        command: [String], storePath: String, name: String? = nil, tracingName: String? = nil,
        annotations: [Entity.Annotation] = [], listen: DaemonAddress? = nil, samplingRules: [SamplingRule]? = nil,
        lambda: Bool = false, linger: Double = 0, environment: [String: String], workingDirectory: String
    ) {
        self.command = command
        self.storePath = storePath
        self.name = name
        self.tracingName = tracingName
        self.annotations = annotations
        self.listen = listen
        self.samplingRules = samplingRules
        self.lambda = lambda
        self.linger = linger
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// How the command ended.
public enum ChildTermination: Sendable, Hashable {
    case exited(Int32)
    case signaled(Int32)
    /// The command could not be started: 127 not found, 126 not executable.
    case notStarted(status: Int32, reason: String)

    /// The status `xray run` returns: the child's, 128+N for death by signal N (as shells report it).
    public var exitStatus: Int32 {
        switch self {
        case .exited(let s): s
        case .signaled(let n): 128 + n
        case .notStarted(let s, _): s
        }
    }

    public var succeeded: Bool { self == .exited(0) }
}

/// An entity's flag, as `--fail-on` names it (X-Ray developer guide, "AWS X-Ray segment documents": `error` 4xx, `fault` 5xx, `throttle` 429).
public enum EntityFlag: String, Sendable, Hashable, CaseIterable {
    case fault, error, throttle

    public func isSet(on entity: Entity) -> Bool {
        switch self {
        case .fault: entity.fault
        case .error: entity.error
        case .throttle: entity.throttle
        }
    }
}

/// What a run captured, for the summary and `--fail-on`.
public struct CapturedSummary: Sendable, Hashable {
    public var traces = 0
    /// Every entity of the run's traces, the run's own segment included.
    public var entities = 0
    /// The entities other than the run's own segment: what the command's SDKs sent.
    public var commandEntities = 0
    /// Flag counts, like `flaggedTraces`, leave out the run's own segment: a failed command shows in its status.
    public var errors = 0
    public var faults = 0
    public var throttles = 0
    /// The traces with at least one entity (other than the run's own segment) that has the flag, by trace id.
    public var flaggedTraces: [EntityFlag: [String]] = [:]
    public init() {}
}

/// The result of one `xray run`.
public struct RunOutcome: Sendable {
    public var termination: ChildTermination
    public var traceID: String
    public var segmentID: String
    public var runID: Int
    public var pid: Int32?
    public var duration: Double
    public var captured: CapturedSummary
    /// The collector's counters; nil for a nested run, whose outer run collects.
    public var counters: CollectorCounters?
    public var leftAlone: [String]
    /// The user's `AWS_XRAY_DAEMON_ADDRESS`, left in place: where the command's SDKs sent their segments.
    public var userDaemonAddress: String?
    public var nested: Bool
    /// What was cut from the run segment so that it fits one datagram (empty when nothing was).
    public var segmentShortened: [String] = []
    /// False when the run's own segment did not reach the store (checked only with an embedded collector;
    /// a nested run's segment goes to the outer run, which records it).
    public var segmentStored = true
}

/// Why `xray run` itself failed, before or after the command: never the command's own failure.
public enum LaunchError: Error, Sendable, CustomStringConvertible {
    case collector(CollectorError)
    case store(StoreError)
    case spawn(command: String, errno: Int32)

    public var description: String {
        switch self {
        case .collector(let e): e.description
        case .store(let e): e.description
        case .spawn(let command, let e): "cannot start \(command): \(String(cString: strerror(e)))"
        }
    }
}

/// Runs one command under an embedded collector (or the outer run's, when nested) and records the run.
public enum Launcher {
    /// Run segments' `origin`, so that later commands can tell them from the app's segments (X-Ray origins
    /// name the resource type, such as `AWS::EC2::Instance`; `xray::` marks this tool's own).
    public static let runSegmentOrigin = "xray::Run"

    public static func run(_ request: RunRequest) throws(LaunchError) -> RunOutcome {
        // Interactive (the terminal's foreground): the command shares our process group, so the terminal's
        // Ctrl-C and Ctrl-Z reach both and the shell's job control works. Otherwise the command leads its own
        // group: signals go to the whole group, SIGTSTP/SIGCONT included, and a reaper kills the group if
        // we are killed.
        let ownGroup = xr_is_terminal_foreground() == 0
        let jobControl: Int32 = ownGroup ? 1 : 0
        // Before any thread starts, so every collector thread inherits the mask and signals reach only us.
        xr_block_forwarded_signals(jobControl)
        let startedAt = epochSeconds()
        let nesting = Nesting.outer(in: request.environment)
        let traceID = nesting?.traceID ?? XRayID.newTraceID(epochSeconds: Int(startedAt))
        let segmentID = XRayID.newEntityID()
        let capturedTraces = Mutex<Set<String>>([])

        // Opened first: an unwritable store fails the run before the command starts, and keeping this
        // connection open means the collector's closing is never the last one (no checkpoint on the way).
        let store: TraceStore
        do {
            store = try TraceStore(path: request.storePath, checkpointPages: 100)
            store.foldsWALOnClose(beyond: 100)
        } catch {
            throw .store(error)
        }
        var collector: Collector?
        let daemonAddress: String
        var base = request.environment
        if let nesting {
            daemonAddress = nesting.daemonAddress
        } else {
            do {
                var configuration = Collector.Configuration(
                    address: request.listen ?? DaemonAddress(udp: .init(host: "127.0.0.1", port: 0), tcp: .init(host: "127.0.0.1", port: 0)),
                    storePath: request.storePath, samplingRules: request.samplingRules,
                    onTracesStored: { ids in capturedTraces.withLock { $0.formUnion(ids) } })
                configuration.allowedOrigins = request.allowedOrigins
                configuration.operations = request.operations
                let started = try Collector.start(configuration)
                collector = started
                daemonAddress = started.boundAddress.environmentValue
                if let announce = request.onCollectorStarted {
                    base.merge(announce(started.boundAddress)) { _, announced in announced }
                }
            } catch {
                throw .collector(error)
            }
        }

        let name = request.name ?? request.tracingName ?? RunArguments.segmentName(for: request.command)
        let environment = RunEnvironment.make(
            base: base, traceID: traceID, segmentID: segmentID, daemonAddress: daemonAddress,
            storePath: request.storePath, tracingName: request.tracingName, lambda: request.lambda,
            functionName: name, workingDirectory: request.workingDirectory, nested: nesting != nil,
            captureAll: request.captureAll, contextMissing: request.contextMissing)

        var pid: pid_t?
        var termination: ChildTermination
        switch lookUp(request.command.first ?? "", path: environment.variables["PATH"]) {
        case .notFound:
            termination = .notStarted(status: 127, reason: "\(request.command.first ?? ""): command not found")
        case .notExecutable(let path):
            termination = .notStarted(status: 126, reason: "\(path): permission denied (not an executable file)")
        case .found(let path):
            switch spawn(path: path, arguments: request.command, environment: environment.variables, newGroup: ownGroup) {
            case .started(let child, let reaper):
                pid = child
                termination = waitForChild(child, group: ownGroup, jobControl: jobControl)
                if reaper > 0 { xr_stop_reaper(reaper) }
            case .failed(let e) where e == EACCES || e == ENOEXEC || e == EISDIR || e == ETXTBSY:
                termination = .notStarted(status: 126, reason: "\(path): \(String(cString: strerror(e)))")
            case .failed(let e) where e == ENOENT || e == ENOTDIR:
                termination = .notStarted(status: 127, reason: "\(path): \(String(cString: strerror(e)))")
            case .failed(let e):
                collector.map { _ = $0.stop() }
                throw .spawn(command: path, errno: e)
            }
        }
        if request.linger > 0 { linger(seconds: request.linger, jobControl: jobControl) }
        let endedAt = epochSeconds()

        let segment = RunSegment(
            traceID: traceID, id: segmentID, parentID: nesting?.parentID, name: name, startTime: startedAt, endTime: endedAt,
            command: request.command, pid: pid, termination: termination, annotations: request.annotations,
            workingDirectory: request.workingDirectory)
        // Through the same path as any SDK segment: a datagram to the collector.
        let (datagram, shortened) = segment.fittedDatagram()
        if let udp = try? DaemonAddress.parse(daemonAddress).udp {
            udp.send(datagram: datagram)
        }
        let counters = collector?.stop()

        let runID: Int
        var captured = CapturedSummary()
        do {
            let traces = capturedTraces.withLock { Array($0) }
            runID = try store.recordRun(
                RunRecord(
                    id: 0, traceID: traceID, segmentID: segmentID, name: name, argv: request.command,
                    startedAt: startedAt, endedAt: endedAt, exitStatus: Int(termination.exitStatus)),
                traceIDs: traces)
            captured = try summarize(store: store, traceIDs: Array(Set(traces + [traceID])), excluding: segmentID)
        } catch {
            throw .store(error)
        }
        var outcome = RunOutcome(
            termination: termination, traceID: traceID, segmentID: segmentID, runID: runID, pid: pid,
            duration: endedAt - startedAt, captured: captured, counters: counters,
            leftAlone: environment.leftAlone, nested: nesting != nil)
        outcome.segmentShortened = shortened
        if !request.captureAll {
            outcome.userDaemonAddress = RunEnvironment.userDaemonAddress(in: request.environment, listen: request.listen)
        }
        if collector != nil {
            // The collector has stopped, so everything it read is committed.
            outcome.segmentStored = (try? isStored(store: store, traceID: traceID, id: segmentID)) ?? false
        }
        return outcome
    }

    static func lookUp(_ command: String, path: String?) -> CommandLookup.Result {
        CommandLookup.resolve(
            command, path: path,
            isExecutable: { p in
                var st = stat()
                return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(p, X_OK) == 0
            },
            exists: { p in access(p, F_OK) == 0 })
    }

    enum SpawnResult {
        /// The child, and the reaper that kills its process group if xray dies (-1 without a group of its own,
        /// except where the system has no PR_SET_PDEATHSIG: then it kills the child; see `xr_spawn`).
        case started(pid_t, reaper: pid_t)
        /// The errno of fork or execve.
        case failed(Int32)
    }

    static func spawn(path: String, arguments: [String], environment: [String: String], newGroup: Bool) -> SpawnResult {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        var reaper: pid_t = -1
        let rc = argv.withUnsafeMutableBufferPointer { a in
            envp.withUnsafeMutableBufferPointer { e in xr_spawn(path, a.baseAddress, e.baseAddress, newGroup ? 1 : 0, &pid, &reaper) }
        }
        if rc != 0 {
            if pid > 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            return .failed(rc)
        }
        return .started(pid, reaper: reaper)
    }

    /// Forwards signals until the child ends: to its whole process group when it leads one, else to the child.
    /// Terminal keys already reached the child (interactive runs share its process group), so only signals
    /// sent with kill(2) are passed on.
    static func waitForChild(_ child: pid_t, group: Bool, jobControl: Int32) -> ChildTermination {
        while true {
            var fromKernel: Int32 = 0
            var sender: pid_t = 0
            let sig = xr_wait_signal(jobControl, &fromKernel, &sender)
            if sig == SIGCHLD || sig < 0 {
                var status: Int32 = 0
                let r = waitpid(child, &status, WNOHANG)
                if r == child { return decode(status) }
                if r < 0 && errno == ECHILD { return .exited(0) }
                continue
            }
            if fromKernel == 0 && sender != child {
                kill(group ? -child : child, sig)
            }
        }
    }

    static func decode(_ status: Int32) -> ChildTermination {
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(signal)
    }

    /// Keeps the collector open a little longer; a forwarded signal (Ctrl-C) cuts it short.
    static func linger(seconds: Double, jobControl: Int32) {
        let deadline = monotonicNow() + seconds
        while true {
            let left = deadline - monotonicNow()
            if left <= 0 { return }
            var fromKernel: Int32 = 0
            var sender: pid_t = 0
            let sig = xr_wait_signal_timeout(jobControl, Int32(min(left, 1) * 1000) + 1, &fromKernel, &sender)
            if sig != 0 && sig != SIGCHLD { return }
        }
    }

    static func summarize(store: TraceStore, traceIDs: [String], excluding runSegment: String) throws(StoreError) -> CapturedSummary {
        var out = CapturedSummary()
        out.traces = traceIDs.count
        for id in traceIDs.sorted() {
            let counts = try store.runCounts(traceID: id, excluding: runSegment)
            out.entities += counts.entities
            out.commandEntities += counts.commandEntities
            out.errors += counts.errors
            out.faults += counts.faults
            out.throttles += counts.throttles
            for (flag, count) in [(EntityFlag.error, counts.errors), (.fault, counts.faults), (.throttle, counts.throttles)] where count > 0 {
                out.flaggedTraces[flag, default: []].append(id)
            }
        }
        return out
    }

    static func isStored(store: TraceStore, traceID: String, id: String) throws(StoreError) -> Bool {
        try store.hasDocument(traceID: traceID, id: id)
    }
}
