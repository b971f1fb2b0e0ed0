import Testing
import XRayCollector
import XRayWire

@testable import XRayLauncher

@Suite struct RunEnvironmentTests {
    let trace = "1-5759e988-bd862e3fe1be46a994272793"
    let segment = "53995c3f42cd8ad8"

    func make(_ base: [String: String], tracingName: String? = nil, lambda: Bool = false) -> RunEnvironment {
        RunEnvironment.make(
            base: base, traceID: trace, segmentID: segment, daemonAddress: "127.0.0.1:4000", storePath: "/s.sqlite",
            tracingName: tracingName, lambda: lambda, functionName: "job", workingDirectory: "/work")
    }

    @Test func addsTheTraceContextTheSDKsRead() {
        let env = make(["PATH": "/bin"])
        #expect(env.variables["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:4000")
        #expect(env.variables["_X_AMZN_TRACE_ID"] == "Root=\(trace);Parent=\(segment);Sampled=1")
        #expect(env.variables["TRACEPARENT"] == "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
        #expect(env.variables["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR")
        #expect(env.variables["AWS_XRAY_TRACING_NAME"] == nil, "set only with --tracing-name")
        #expect(env.variables["LAMBDA_TASK_ROOT"] == nil)
        #expect(env.variables["PATH"] == "/bin")
        #expect(env.leftAlone.isEmpty)
    }

    @Test func variablesTheUserSetWinAndAreReported() {
        let env = make(["AWS_XRAY_DAEMON_ADDRESS": "10.0.0.1:2000", "AWS_XRAY_CONTEXT_MISSING": "RUNTIME_ERROR"])
        #expect(env.variables["AWS_XRAY_DAEMON_ADDRESS"] == "10.0.0.1:2000")
        #expect(env.variables["AWS_XRAY_CONTEXT_MISSING"] == "RUNTIME_ERROR")
        #expect(env.leftAlone == ["AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS"])
    }

    /// In a nested run the inherited headers are the outer run's: they are replaced so the chain holds,
    /// and not reported as left alone.
    @Test func aNestedRunReplacesTheOuterRunsHeaders() {
        let outer = [
            "_X_AMZN_TRACE_ID": "Root=\(trace);Parent=1111111111111111;Sampled=1",
            "TRACEPARENT": "00-5759e988bd862e3fe1be46a994272793-1111111111111111-01",
            Nesting.addressVariable: "127.0.0.1:4000", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:4000",
        ]
        let env = RunEnvironment.make(
            base: outer, traceID: trace, segmentID: segment, daemonAddress: "127.0.0.1:4000", storePath: "/s.sqlite",
            tracingName: nil, lambda: false, functionName: "job", workingDirectory: "/work", nested: true)
        #expect(env.variables["_X_AMZN_TRACE_ID"] == "Root=\(trace);Parent=\(segment);Sampled=1")
        #expect(env.variables["TRACEPARENT"] == "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
        #expect(env.leftAlone.isEmpty)
        #expect(make(outer).variables["_X_AMZN_TRACE_ID"] == outer["_X_AMZN_TRACE_ID"], "not nested: the user's header wins")
    }

    @Test func anExplicitTracingNameReplacesAnInheritedOne() {
        let env = make(["AWS_XRAY_TRACING_NAME": "old"], tracingName: "api")
        #expect(env.variables["AWS_XRAY_TRACING_NAME"] == "api")
        #expect(make(["AWS_XRAY_TRACING_NAME": "old"]).variables["AWS_XRAY_TRACING_NAME"] == "old")
    }

    @Test func lambdaModeAndTracingNameAreOptIn() {
        let env = make([:], tracingName: "api", lambda: true)
        #expect(env.variables["AWS_XRAY_TRACING_NAME"] == "api")
        #expect(env.variables["LAMBDA_TASK_ROOT"] == "/work")
        #expect(env.variables["AWS_LAMBDA_FUNCTION_NAME"] == "job")
    }

    @Test func aNestedRunFindsTheOuterRunsCollectorAndSegment() {
        let env = make([:])
        let outer = Nesting.outer(in: env.variables)
        #expect(outer == Nesting(daemonAddress: "127.0.0.1:4000", traceID: trace, parentID: segment))
        #expect(Nesting.outer(in: ["_X_AMZN_TRACE_ID": "Root=\(trace);Parent=\(segment)"]) == nil, "an SDK header alone is not a run")
    }
}

@Suite struct CommandLookupTests {
    let files: [String: Bool] = ["/usr/bin/python3": true, "/opt/bin/data.txt": false, "./local": true]

    func resolve(_ command: String, path: String?) -> CommandLookup.Result {
        CommandLookup.resolve(command, path: path, isExecutable: { files[$0] == true }, exists: { files[$0] != nil })
    }

    @Test func searchesPathInOrderLikeAShell() {
        #expect(resolve("python3", path: "/opt/bin:/usr/bin") == .found("/usr/bin/python3"))
        #expect(resolve("local", path: "/opt/bin::/usr/bin") == .found("./local"), "an empty entry is the current folder")
    }

    @Test func distinguishesNotFoundFromNotExecutable() {
        #expect(resolve("missing", path: "/usr/bin") == .notFound)
        #expect(resolve("data.txt", path: "/opt/bin") == .notExecutable("/opt/bin/data.txt"))
        #expect(resolve("/opt/bin/data.txt", path: nil) == .notExecutable("/opt/bin/data.txt"))
        #expect(resolve("", path: "/usr/bin") == .notFound)
    }
}

@Suite struct RunArgumentsTests {
    @Test func annotationsAreTyped() {
        #expect(RunArguments.annotation("team=core") == .init(key: "team", value: .string("core")))
        #expect(RunArguments.annotation("n=3.5") == .init(key: "n", value: .number(3.5)))
        #expect(RunArguments.annotation("dry=false") == .init(key: "dry", value: .bool(false)))
        #expect(RunArguments.annotation("empty=") == .init(key: "empty", value: .string("")))
        #expect(RunArguments.annotation("bad-key=1") == nil)
        #expect(RunArguments.annotation("novalue") == nil)
    }
}

@Suite struct RunSegmentTests {
    @Test func aFailedCommandGetsAFaultAndACauseInTheSDKShape() throws {
        let segment = RunSegment(
            traceID: "1-5759e988-bd862e3fe1be46a994272793", id: "53995c3f42cd8ad8", parentID: nil, name: "my job!",
            startTime: 1_700_000_000.25, endTime: 1_700_000_001.5, command: ["job", "--x"], pid: 42,
            termination: .signaled(9), annotations: [], workingDirectory: "/w")
        let bytes = segment.datagram()
        let range = try bytes.withUnsafeBufferPointer { try DaemonDatagram.bodyRange(of: $0) }
        let doc = try SegmentDocumentParser.parse(bytes: Array(bytes[range]))
        let e = doc.entities[0]
        #expect(e.name == "my job", "characters X-Ray rejects in names are dropped")
        #expect(e.fault)
        #expect(e.cause == "Signal: job was killed by signal 9 (SIGKILL)")
        #expect(e.startTime == 1_700_000_000.25)
        #expect(doc.json["metadata"]?.objectValue?["xray"]?.objectValue?["exit_status"] == .number(JSONNumber(137)))
    }
}

@Suite struct DaemonAddressOverrideTests {
    /// `--capture-all` replaces an exported address with the run's collector and does not report it.
    @Test func captureAllReplacesAnExportedDaemonAddress() {
        let env = RunEnvironment.make(
            base: ["AWS_XRAY_DAEMON_ADDRESS": "10.0.0.1:2000"], traceID: "1-5759e988-bd862e3fe1be46a994272793",
            segmentID: "53995c3f42cd8ad8", daemonAddress: "127.0.0.1:4000", storePath: "/s.sqlite", tracingName: nil,
            lambda: false, functionName: "job", workingDirectory: "/work", captureAll: true)
        #expect(env.variables["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:4000")
        #expect(env.leftAlone.isEmpty)
    }

    /// Only an address that sends segments away from the run counts: not unset or empty, not the `--listen`
    /// address, not a nested run's inherited one.
    @Test func theUsersAddressCountsOnlyWhenItPointsAwayFromTheRun() throws {
        #expect(RunEnvironment.userDaemonAddress(in: [:], listen: nil) == nil)
        #expect(RunEnvironment.userDaemonAddress(in: ["AWS_XRAY_DAEMON_ADDRESS": ""], listen: nil) == nil)
        #expect(RunEnvironment.userDaemonAddress(in: ["AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"], listen: nil) == "127.0.0.1:2000")
        let listen = try DaemonAddress.parse("127.0.0.1:2000")
        #expect(RunEnvironment.userDaemonAddress(in: ["AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"], listen: listen) == nil)
        let nested = [
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:4000", Nesting.addressVariable: "127.0.0.1:4000",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        ]
        #expect(RunEnvironment.userDaemonAddress(in: nested, listen: nil) == nil)
    }

    /// The probe tells "nothing there" from "something that is not X-Ray" from a daemon's answer.
    @Test func theProbeClassifiesWhatAnswers() throws {
        let endpoint = try Endpoint.parse("127.0.0.1:2000")
        let rules = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"SamplingRuleRecords\":[]}".utf8)
        #expect(DaemonProbe.classify(rules, endpoint: endpoint) == .xrayDaemon)
        guard case .notXRay = DaemonProbe.classify(Array("HTTP/1.1 404 Not Found\r\n\r\n".utf8), endpoint: endpoint) else {
            Issue.record("a 404 is not an X-Ray daemon")
            return
        }
        guard case .notXRay = DaemonProbe.classify(Array("SSH-2.0-OpenSSH_9.6\r\n".utf8), endpoint: endpoint) else {
            Issue.record("a non-HTTP answer is not an X-Ray daemon")
            return
        }
        guard case .invalid = DaemonProbe.probe("not an address") else {
            Issue.record("an unparsable value is invalid")
            return
        }
    }
}

@Suite struct RunSegmentNameTests {
    /// A Python run is named after its script or module (and a subcommand word), not the interpreter.
    @Test(arguments: [
        (["python", "manage.py", "runserver", "--noreload", "127.0.0.1:8000"], "manage.py runserver"),
        (["/venv/bin/python", "-m", "pytest"], "pytest"),
        (["python3", "-mpytest", "-k", "slow"], "pytest"),
        (["python3.11", "app.py"], "app.py"),
        (["python3", "-u", "-W", "ignore", "/srv/site/manage.py", "test"], "manage.py test"),
        (["python", "drive.py", "8080", "/a,/b"], "drive.py"),
        (["python", "-m", "django", "runserver"], "django runserver"),
        (["python", "-c", "print(1)"], "python"),
        (["python3"], "python3"),
        (["pypy3", "job.py"], "job.py"),
        (["/bin/sh", "-c", "exit 0"], "sh"),
        (["pythonista", "x.py"], "pythonista"),
    ])
    func pythonRunsAreNamedAfterTheScriptOrModule(_ command: [String], _ name: String) {
        #expect(RunArguments.segmentName(for: command) == name)
    }
}
