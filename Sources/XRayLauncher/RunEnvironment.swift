import XRayCollector
import XRayWire

/// The environment `xray run` gives the command: the caller's, plus the trace context, without overriding
/// anything the caller already set.
public struct RunEnvironment: Sendable {
    /// The variables the child starts with.
    public var variables: [String: String]
    /// Variables xray would have set but left alone because the caller had set them.
    public var leftAlone: [String]

    /// Builds the child's environment.
    ///
    /// - Parameters:
    ///   - base: the caller's environment.
    ///   - daemonAddress: where the collector listens (`AWS_XRAY_DAEMON_ADDRESS` form).
    ///   - tracingName: `--tracing-name`; it is set only when given, because the SDK lets the variable override
    ///     the service name an app configures in code.
    ///   - lambda: `--lambda`; makes the Python, Java and Node SDKs attach subsegments under the run's segment.
    ///   - nested: this run was started by another `xray run`; the trace headers in `base` are that run's,
    ///     not the user's, and are replaced so that each run's segment is the parent of the next one's.
    ///   - captureAll: `--capture-all`; the run's collector replaces an exported `AWS_XRAY_DAEMON_ADDRESS`
    ///     (and `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_EXPORTER_OTLP_PROTOCOL`).
    ///   - contextMissing: `--context-missing`, the SDK's value for `AWS_XRAY_CONTEXT_MISSING`; being explicit,
    ///     it replaces an inherited one. Without it `LOG_ERROR` is offered (aws-xray-sdk's
    ///     `AWS_XRAY_CONTEXT_MISSING` documentation: `RUNTIME_ERROR`, `LOG_ERROR`, `IGNORE_ERROR`).
    public static func make(
        base: [String: String], traceID: String, segmentID: String, daemonAddress: String, storePath: String,
        tracingName: String?, lambda: Bool, functionName: String, workingDirectory: String, nested: Bool = false,
        captureAll: Bool = false, contextMissing: String? = nil
    ) -> RunEnvironment {
        var variables = base
        var leftAlone: [String] = []
        func offer(_ key: String, _ value: String) {
            if let existing = base[key], existing != value {
                leftAlone.append(key)
            } else {
                variables[key] = value
            }
        }
        /// The outer run's headers are replaced in a nested run; the user's are left alone otherwise.
        func header(_ key: String, _ value: String) {
            if nested { variables[key] = value } else { offer(key, value) }
        }
        if captureAll { variables[daemonAddressVariable] = daemonAddress } else { offer(daemonAddressVariable, daemonAddress) }
        header("_X_AMZN_TRACE_ID", "Root=\(traceID);Parent=\(segmentID);Sampled=1")
        if let traceparent = XRayID.traceparent(traceID: traceID, parentID: segmentID, sampled: true) {
            header("TRACEPARENT", traceparent)
        }
        // `manage.py runserver` runs checks outside any segment; RUNTIME_ERROR would stop it at start-up.
        if let contextMissing { variables["AWS_XRAY_CONTEXT_MISSING"] = contextMissing } else { offer("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR") }
        if let tracingName { variables["AWS_XRAY_TRACING_NAME"] = tracingName }
        addOpenTelemetry(
            base: base, daemonAddress: daemonAddress, tracingName: tracingName, captureAll: captureAll,
            variables: &variables, leftAlone: &leftAlone)
        if lambda {
            offer("LAMBDA_TASK_ROOT", workingDirectory)
            offer("AWS_LAMBDA_FUNCTION_NAME", functionName)
        }
        // Nested runs find the outer run's collector and store through these.
        variables[Nesting.addressVariable] = daemonAddress
        if base["XRAY_STORE"] == nil { variables["XRAY_STORE"] = storePath }
        return RunEnvironment(variables: variables, leftAlone: leftAlone.sorted())
    }

    public static let daemonAddressVariable = "AWS_XRAY_DAEMON_ADDRESS"

    /// Points OpenTelemetry SDKs at the run's collector, whose TCP port serves OTLP/HTTP: the endpoint
    /// (the SDKs append `/v1/traces`, `/v1/metrics`, `/v1/logs`) and `http/protobuf`, since the Python
    /// distro's default is gRPC (opentelemetry-distro `OTEL_EXPORTER_OTLP_PROTOCOL`; the variables are
    /// those of the OpenTelemetry specification's "OTLP Exporter Configuration"). A signal-specific
    /// traces endpoint or protocol the user exported overrides these for traces, so it is left alone and reported.
    static func addOpenTelemetry(
        base: [String: String], daemonAddress: String, tracingName: String?, captureAll: Bool,
        variables: inout [String: String], leftAlone: inout [String]
    ) {
        guard let tcp = (try? DaemonAddress.parse(daemonAddress))?.tcp else { return }
        func offer(_ key: String, _ value: String) {
            if captureAll {
                variables[key] = value
            } else if let existing = base[key], existing != value {
                leftAlone.append(key)
            } else {
                variables[key] = value
            }
        }
        offer(otlpEndpointVariable, "http://\(tcp)")
        offer("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        if captureAll {
            // The signal-specific variables win over the general ones in the SDKs, so the run takes them too.
            if base["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil { variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://\(tcp)/v1/traces" }
            if base["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] != nil { variables["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf" }
        } else {
            for key in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] where base[key] != nil {
                leftAlone.append(key)
            }
        }
        if let tracingName {
            if let existing = base["OTEL_SERVICE_NAME"], existing != tracingName {
                leftAlone.append("OTEL_SERVICE_NAME")
            } else {
                variables["OTEL_SERVICE_NAME"] = tracingName
            }
        }
    }

    public static let otlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT"

    /// The OTLP traces endpoint the user exported, as `(variable, URL)`, when it sends an OpenTelemetry app's
    /// spans somewhere other than this run: the traces-specific variable wins over the general one, as in the
    /// SDKs (OpenTelemetry specification, "OTLP Exporter Configuration"). Nil inside a nested run, whose
    /// endpoint is the outer run's.
    public static func userOTLPEndpoint(in base: [String: String]) -> (variable: String, url: String)? {
        guard Nesting.outer(in: base) == nil else { return nil }
        for key in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlpEndpointVariable] {
            if let value = base[key], !value.isEmpty { return (key, value) }
        }
        return nil
    }

    /// The `AWS_XRAY_DAEMON_ADDRESS` the user exported, when it would send the command's segments somewhere
    /// other than this run's collector: set, not empty, not the `--listen` address, and not a nested run's
    /// (whose value is the outer run's collector, or was already reported by the outer run).
    public static func userDaemonAddress(in base: [String: String], listen: DaemonAddress?) -> String? {
        guard let value = base[daemonAddressVariable], !value.isEmpty, Nesting.outer(in: base) == nil else { return nil }
        if let listen, value == listen.environmentValue { return nil }
        return value
    }
}

/// How `xray run -- xray run -- cmd` finds the outer run: its collector address and trace header.
public struct Nesting: Sendable, Hashable {
    public static let addressVariable = "XRAY_RUN_DAEMON_ADDRESS"

    public var daemonAddress: String
    public var traceID: String
    public var parentID: String

    /// The outer run, when this process was started by one (its variables are still there, untouched).
    public static func outer(in environment: [String: String]) -> Nesting? {
        guard let address = environment[addressVariable], let header = environment["_X_AMZN_TRACE_ID"] else { return nil }
        var root: String?
        var parent: String?
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmingSpaces, value = String(kv[1]).trimmingSpaces
            if key == "Root" { root = value }
            if key == "Parent" { parent = value }
        }
        guard let root, let parent, XRayID.isTraceID(root), XRayID.isEntityID(parent) else { return nil }
        return Nesting(daemonAddress: address, traceID: root, parentID: parent)
    }
}

/// Finds a command on `PATH` the way a shell does.
public enum CommandLookup {
    public enum Result: Sendable, Hashable {
        case found(String)
        /// No such file anywhere on PATH: exit 127.
        case notFound
        /// A file exists but cannot be executed: exit 126.
        case notExecutable(String)
    }

    /// A name with a slash is used as it is; otherwise each PATH entry is tried in order (empty = `.`).
    public static func resolve(_ command: String, path: String?, isExecutable: (String) -> Bool, exists: (String) -> Bool) -> Result {
        if command.contains("/") {
            if isExecutable(command) { return .found(command) }
            return exists(command) ? .notExecutable(command) : .notFound
        }
        guard !command.isEmpty else { return .notFound }
        var firstNonExecutable: String?
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + command
            if isExecutable(candidate) { return .found(candidate) }
            if firstNonExecutable == nil, exists(candidate) { firstNonExecutable = candidate }
        }
        return firstNonExecutable.map { .notExecutable($0) } ?? .notFound
    }
}
