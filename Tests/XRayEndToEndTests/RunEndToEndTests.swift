import Foundation
import Testing
import XRayTestSupport

/// `xray run` through the built binary, with real child processes and the real Python SDK.
@Suite(.serialized) struct RunEndToEndTests {
    let dir: URL
    let store: String

    init() throws {
        dir = try makeTemporaryDirectory("run")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        try XRayBinary.run(["run", "--store", store] + arguments, stdin: stdin, environment: environment)
    }

    func showJSON(_ trace: String = "last-run") throws -> [String: Any] {
        let shown = try XRayBinary.run(["inspect", "show", trace, "--format", "json", "--store", store])
        return try #require(try JSONSerialization.jsonObject(with: shown.stdoutData) as? [String: Any])
    }

    func rootSegment() throws -> [String: Any] {
        try #require((try showJSON()["segments"] as? [[String: Any]])?.first)
    }

    @Test(arguments: [("exit 0", Int32(0)), ("exit 3", 3), ("kill -KILL $$", 137), ("kill -TERM $$", 143)])
    func returnsTheChildsStatusAndRecordsItsSegment(_ script: String, _ status: Int32) throws {
        let result = try run(["--quiet", "--", "/bin/sh", "-c", script])
        #expect(result.status == status)
        let root = try rootSegment()
        #expect(root["name"] as? String == "sh")
        #expect(root["origin"] as? String == "xray::Run", "run segments have their own origin")
        let metadata = try #require((root["metadata"] as? [String: Any])?["xray"] as? [String: Any])
        #expect(metadata["exit_status"] as? Int == Int(status))
        #expect(metadata["argv"] as? [String] == ["/bin/sh", "-c", script])
        #expect((root["fault"] as? Bool ?? false) == (status != 0))
        if status != 0 {
            let exceptions = try #require((root["cause"] as? [String: Any])?["exceptions"] as? [[String: Any]])
            #expect(exceptions.count == 1)
        }
    }

    /// A 100 KB argument (and 120 arguments of 1 KB) still leave a stored run segment: cut with a visible
    /// marker, a warning on stderr, and the command's own status.
    @Test func longArgumentsAreCutSoTheRunSegmentIsStored() throws {
        let long = String(repeating: "x", count: 100_000)
        let result = try run(["--quiet", "--", "/bin/sh", "-c", "exit 0", long])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: the run segment was shortened to fit one datagram"))
        let argv = try #require(((try rootSegment()["metadata"] as? [String: Any])?["xray"] as? [String: Any])?["argv"] as? [String])
        #expect(argv.prefix(3) == ["/bin/sh", "-c", "exit 0"])
        #expect(argv.last?.hasSuffix("[xray: cut, 100000 bytes in all]") == true)
        let many = try run(["--quiet", "--", "/bin/sh", "-c", "exit 0"] + Array(repeating: String(repeating: "y", count: 1_000), count: 120))
        #expect(many.status == 0, "\(many.stderr)")
        let manyArgv = try #require(((try rootSegment()["metadata"] as? [String: Any])?["xray"] as? [String: Any])?["argv"] as? [String])
        #expect(manyArgv.last?.hasPrefix("[xray: ") == true)
        #expect(manyArgv.last?.hasSuffix("more arguments not recorded]") == true)
        let rejects = try XRayBinary.run(["inspect", "rejects", "--store", store])
        #expect(!rejects.stdout.contains("xray run"))
    }

    /// Annotations follow X-Ray's rules up front: usage errors (64) for bad keys, values over 1,000 characters
    /// and more than 50, so nothing is traced with a segment that cannot be stored.
    @Test(arguments: [
        ["--annotation", "k=" + String(repeating: "v", count: 70_000)],
        ["--annotation", "bad-key=1"],
        ["--annotation", String(repeating: "k", count: 101) + "=1"],
        (0..<51).flatMap { ["--annotation", "k\($0)=1"] },
    ])
    func annotationsFollowXRaysLimits(options: [String]) throws {
        let result = try run(options + ["--", "/bin/true"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--annotation"))
        #expect(result.stderr.count < 2_000, "the error does not echo a huge value")
    }

    /// 1,000 characters is the longest value accepted, and it is stored whole.
    @Test func aThousandCharacterAnnotationIsStored() throws {
        let value = String(repeating: "v", count: 1_000)
        let result = try run(["--quiet", "--annotation", "k=" + value, "--", "/bin/true"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try rootSegment()["annotations"] as? [String: Any])?["k"] as? String == value)
    }

    /// Three nested runs form a chain: each run's segment is the child of its direct parent run's.
    @Test func nestedRunsFormAChain() throws {
        let xray = XRayBinary.url.path
        let result = try run([
            "--quiet", "--name", "outer", "--", xray, "run", "--quiet", "--name", "middle", "--",
            xray, "run", "--quiet", "--name", "inner", "--", "/bin/true",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        var found: [String: (id: String?, parent: String?)] = [:]
        func walk(_ entity: [String: Any]) {
            if let name = entity["name"] as? String { found[name] = (entity["id"] as? String, entity["parent_id"] as? String) }
            for key in ["subsegments", "children"] { for child in entity[key] as? [[String: Any]] ?? [] { walk(child) } }
        }
        for segment in try showJSON()["segments"] as? [[String: Any]] ?? [] { walk(segment) }
        let outer = try #require(found["outer"]), middle = try #require(found["middle"]), inner = try #require(found["inner"])
        #expect(outer.parent == nil)
        #expect(middle.parent == outer.id)
        #expect(inner.parent == middle.id)
    }

    /// Starts `xray run` in the background (stdin not a terminal, so the command leads its own process
    /// group) with a script that writes its pid file; returns the process and the pid written.
    func startInBackground(_ script: String, pidFile: URL) throws -> (Process, Int32) {
        let process = Process()
        process.executableURL = XRayBinary.url
        process.arguments = ["run", "--quiet", "--store", store, "--", "/bin/sh", "-c", script]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var pid: Int32?
        for _ in 0..<500 where pid == nil {
            pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { usleep(10_000) }
        }
        return (process, try #require(pid))
    }

    /// The process state letter from /proc (R, S, T, Z, ...), nil once it is gone.
    func state(_ pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].first
    }

    /// Waits (bounded) until `pid` is in one of `states` or gone (nil in `states`).
    func waitFor(_ pid: Int32, _ states: Set<Character?>) -> Character? {
        var current = state(pid)
        for _ in 0..<500 where !states.contains(current) {
            usleep(10_000)
            current = state(pid)
        }
        return current
    }

    /// A grandchild in the command's process group dies with `xray run`, even when it is killed with SIGKILL.
    @Test func grandchildrenDieWhenXrayRunIsKilled() throws {
        let pidFile = dir.appendingPathComponent("grandchild.pid")
        let (process, grandchild) = try startInBackground("sleep 300 & echo $! > \(pidFile.path); wait", pidFile: pidFile)
        #expect(state(grandchild) != nil)
        kill(process.processIdentifier, SIGKILL)
        // Dead is a zombie or gone: waiting on /proc, not on Foundation's reaping, which has been seen to miss
        // this exit while other tests' processes end at the same time.
        let dead = waitFor(process.processIdentifier, [nil, "Z"])
        #expect(dead == nil || dead == "Z", "xray run is still \(dead.map(String.init) ?? "?")")
        let after = waitFor(grandchild, [nil, "Z"])
        #expect(after == nil || after == "Z", "the grandchild is still \(after.map(String.init) ?? "?")")
        if after != nil && after != "Z" { kill(grandchild, SIGKILL) }
    }

    /// SIGTSTP sent to `xray run` stops the command's group and SIGCONT resumes it; xray itself keeps
    /// running and still returns the command's status.
    @Test func stopAndContinueAreForwarded() throws {
        let pidFile = dir.appendingPathComponent("child.pid")
        let (process, child) = try startInBackground("echo $$ > \(pidFile.path); sleep 300", pidFile: pidFile)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        kill(process.processIdentifier, SIGTSTP)
        #expect(waitFor(child, ["T"]) == "T")
        #expect(state(process.processIdentifier) != "T", "xray run itself is not stopped")
        kill(process.processIdentifier, SIGCONT)
        #expect(waitFor(child, ["S", "R"]) != "T")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
    }

    @Test func aCommandNotFoundExits127AndOneNotExecutableExits126() throws {
        let missing = try run(["--quiet", "--", "no-such-command-xray"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("no-such-command-xray: command not found"))
        let file = dir.appendingPathComponent("data.txt")
        try Data("x".utf8).write(to: file)
        let notExecutable = try run(["--quiet", "--", file.path])
        #expect(notExecutable.status == 126)
        #expect(notExecutable.stderr.contains("permission denied"))
    }

    @Test func stdinAndStdoutAreTheChilds() throws {
        let result = try run(["--quiet", "--", "cat"], stdin: Data("through the pipe\n".utf8))
        #expect(result.status == 0)
        #expect(result.stdout == "through the pipe\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func theChildSeesTheTraceContextAndUserSettingsWin() throws {
        let result = try run(["--", "/bin/sh", "-c", "env"], environment: ["AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"])
        let env = Dictionary(
            result.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let eq = line.firstIndex(of: "=") else { return nil }
                return (String(line[..<eq]), String(line[line.index(after: eq)...]))
            }, uniquingKeysWith: { a, _ in a })
        let header = try #require(env["_X_AMZN_TRACE_ID"])
        let root = try rootSegment()
        let traceID = try #require(root["trace_id"] as? String)
        let segmentID = try #require(root["id"] as? String)
        #expect(header == "Root=\(traceID);Parent=\(segmentID);Sampled=1")
        let w3c = String(traceID.dropFirst(2)).replacingOccurrences(of: "-", with: "")
        #expect(env["TRACEPARENT"] == "00-\(w3c)-\(segmentID)-01")
        #expect(env["AWS_XRAY_DAEMON_ADDRESS"]?.hasPrefix("127.0.0.1:") == true)
        #expect(env["AWS_XRAY_CONTEXT_MISSING"] == "IGNORE_ERROR")
        #expect(env["AWS_XRAY_TRACING_NAME"] == nil)
        #expect(result.stderr.contains("left alone, as you had set them: AWS_XRAY_CONTEXT_MISSING"))
    }

    @Test func signalsSentToXRayReachTheChild() throws {
        let ready = dir.appendingPathComponent("ready")
        let script = "trap 'exit 42' INT; touch \(ready.path); while true; do sleep 0.05; done"
        let process = Process()
        process.executableURL = XRayBinary.url
        process.arguments = ["run", "--quiet", "--store", store, "--", "/bin/sh", "-c", script]
        try process.run()
        var waited = 0
        while !FileManager.default.fileExists(atPath: ready.path) && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 42)
        let metadata = try #require((try rootSegment()["metadata"] as? [String: Any])?["xray"] as? [String: Any])
        #expect(metadata["exit_status"] as? Int == 42)
    }

    @Test func killingXRayWithSIGTERMLeavesNoChildBehind() throws {
        let pidFile = dir.appendingPathComponent("pid")
        let process = Process()
        process.executableURL = XRayBinary.url
        process.arguments = ["run", "--quiet", "--store", store, "--", "/bin/sh", "-c", "echo $$ > \(pidFile.path); exec sleep 30"]
        try process.run()
        var childPID: Int32?
        for _ in 0..<200 {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                childPID = pid
                break
            }
            usleep(50_000)
        }
        let pid = try #require(childPID)
        usleep(100_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143)
        #expect(kill(pid, 0) != 0, "the child is gone")
    }

    @Test func nestedRunsShareOneTraceAndTheInnerSegmentIsAChildOfTheOuter() throws {
        let result = try run(["--name", "outer", "--", XRayBinary.url.path, "run", "--name", "inner", "--", "/bin/sh", "-c", "exit 0"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try showJSON()
        let roots = try #require(json["segments"] as? [[String: Any]])
        #expect(roots.count == 1)
        #expect(roots[0]["name"] as? String == "outer")
        let children = try #require(roots[0]["children"] as? [[String: Any]])
        #expect(children.map { $0["name"] as? String } == ["inner"])
        #expect(result.stderr.contains("nested"))
    }

    @Test func annotationsAndNameGoOnTheRunSegment() throws {
        let result = try run(["--quiet", "--name", "nightly", "--annotation", "team=core", "--annotation", "n=3", "--annotation", "dry=true", "--", "true"])
        #expect(result.status == 0)
        let root = try rootSegment()
        #expect(root["name"] as? String == "nightly")
        let annotations = try #require(root["annotations"] as? [String: Any])
        #expect(annotations["team"] as? String == "core")
        #expect(annotations["n"] as? Int == 3)
        #expect(annotations["dry"] as? Bool == true)
    }

    @Test func badOptionsAreUsageErrors() throws {
        #expect(try run(["--linger", "soon", "--", "true"]).status == 64)
        #expect(try run(["--annotation", "no-equals", "--", "true"]).status == 64)
        #expect(try run([]).status == 64)
        let withoutTerminator = try run(["true"])
        #expect(withoutTerminator.status == 64)
        #expect(withoutTerminator.stderr.contains("after --"))
        let help = try run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: xray run"))
    }

    @Test(.enabled(if: testPython != nil))
    func flaskRequestsInsideTheRunAreStoredAndListedAsItsTraces() throws {
        let python = try #require(testPython)
        let app = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples/flask_app.py")
        let result = try run(["--fail-on", "fault", "--", python, app.path])
        #expect(result.status == 1, "the /checkout fault trips --fail-on")
        #expect(result.stdout.contains("/checkout 500"))
        #expect(result.stderr.contains("4 traces, 12 entities captured"), "\(result.stderr)")
        #expect(result.stderr.contains("1 fault"))
        let checkout = try #require(
            result.stderr.split(separator: "\n").first { $0.contains("/checkout 500") }?.split(separator: " ").first { $0.hasPrefix("1-") })
        #expect(result.stderr.contains("see it with: xray inspect traces --run 1; the first failed trace: xray inspect show \(checkout)"))
        #expect(result.stderr.contains("GET http://localhost/checkout 500  fault on segment shop: RuntimeError: payment service unavailable"))
        let traces = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--store", store])
        let lines = traces.stdout.split(separator: "\n").dropFirst()
        #expect(lines.filter { $0.contains(",shop,") }.count == 3)
        #expect(lines.filter { $0.contains("/checkout,500,true") }.count == 1)

        // A second run into the same store: --run tells them apart.
        #expect(try run(["--quiet", "--", "true"]).status == 0)
        let last = try XRayBinary.run(["inspect", "traces", "--run", "last", "--format", "csv", "--store", store])
        #expect(last.stdout.split(separator: "\n").count == 2, "only the second run's own trace")
        let first = try XRayBinary.run(["inspect", "traces", "--run", "1", "--format", "csv", "--store", store])
        #expect(first.stdout.split(separator: "\n").dropFirst().filter { $0.contains(",shop,") }.count == 3)
        #expect(first.stdout.split(separator: "\n").count == 5, "the three requests and the run's own trace")
        let missing = try XRayBinary.run(["inspect", "traces", "--run", "99", "--store", store])
        #expect(missing.status == 66)
        #expect(try XRayBinary.run(["inspect", "traces", "--run", "yesterday", "--store", store]).status == 64)
    }

    @Test(.enabled(if: testPython != nil))
    func lambdaModeAttachesAScriptsSubsegmentsUnderTheRunSegment() throws {
        let python = try #require(testPython)
        let script = dir.appendingPathComponent("job.py")
        try Data(
            """
            from aws_xray_sdk.core import xray_recorder

            @xray_recorder.capture("work")
            def work():
                with xray_recorder.in_subsegment("inner") as s:
                    s.put_annotation("k", "v")

            work()
            """.utf8
        ).write(to: script)
        let result = try run(["--quiet", "--lambda", "--", python, script.path])
        #expect(result.status == 0, "\(result.stderr)")
        let roots = try #require(try showJSON()["segments"] as? [[String: Any]])
        #expect(roots.count == 1)
        let work = try #require((roots[0]["children"] as? [[String: Any]])?.first)
        #expect(work["name"] as? String == "work")
        #expect((work["children"] as? [[String: Any]])?.first?["name"] as? String == "inner")
    }

    @Test func parallelRunsIntoOneStoreLoseNothing() throws {
        let script = "i=0; while [ $i -lt 20 ]; do i=$((i+1)); done"
        var processes: [Process] = []
        for n in 0..<4 {
            let p = Process()
            p.executableURL = XRayBinary.url
            p.arguments = ["run", "--quiet", "--name", "p\(n)", "--store", store, "--", "/bin/sh", "-c", script]
            try p.run()
            processes.append(p)
        }
        for p in processes { p.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let traces = try XRayBinary.run(["inspect", "traces", "--include-runs", "--format", "csv", "--store", store])
        #expect(traces.stdout.split(separator: "\n").count == 5)
    }

    var appsDirectory: URL { fixturesDirectory.appendingPathComponent("apps") }

    @Test(.enabled(if: testPython != nil))
    func djangoRunserverStartsUnderTheRunAndEveryRequestIsATrace() throws {
        let python = try #require(testPython)
        let port = String(Int.random(in: 20_000..<40_000))
        let result = try run([
            "--", python, appsDirectory.appendingPathComponent("drive.py").path, port, "/users/,/page/,/crash/",
            "--", python, appsDirectory.appendingPathComponent("django_site/manage.py").path, "runserver", "--noreload", "127.0.0.1:\(port)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("/users/ 200"))
        #expect(result.stdout.contains("/crash/ 500"))
        #expect(!result.stderr.contains("SegmentNotFoundException"), "start-up checks ran outside any segment without failing")
        let traces = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--store", store])
        let django = traces.stdout.split(separator: "\n").filter { $0.contains(",django-site,") }
        #expect(django.contains { $0.contains("/users/,200,") })
        #expect(django.contains { $0.contains("/crash/,500,true,") })
        let users = try #require(django.first { $0.contains("/users/") }).prefix(35)
        let tree = try XRayBinary.run(["inspect", "show", String(users), "--store", store])
        #expect(tree.stdout.contains("└─ execute"), "AUTO_INSTRUMENT records the query")
    }

    @Test(.enabled(if: testPython != nil))
    func twoRunsAndADaemonWriteOneStoreAtOnceWithoutLosingAnything() throws {
        let python = try #require(testPython)
        let sender = dir.appendingPathComponent("send.py")
        try Data(
            """
            import os, socket, sys, time
            host, port = os.environ["AWS_XRAY_DAEMON_ADDRESS"].split(":")
            n, tag = int(sys.argv[1]), int(sys.argv[2])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(n):
                doc = '{"name":"s%d","id":"%016x","trace_id":"1-6b000000-%024x","start_time":1.5E9,"end_time":1.5E9}' % (tag, tag << 32 | i + 1, tag << 32 | i)
                s.sendto(('{"format":"json","version":1}\\n' + doc).encode(), (host, int(port)))
                if i % 200 == 0:
                    time.sleep(0.01)
            """.utf8
        ).write(to: sender)
        let daemon = Process()
        daemon.executableURL = XRayBinary.url
        daemon.arguments = ["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store]
        let daemonErr = Pipe()
        daemon.standardError = daemonErr
        try daemon.run()
        let first = String(decoding: daemonErr.fileHandleForReading.availableData, as: UTF8.self)
        let address = try #require(first.split(separator: " ").first { $0.hasPrefix("udp=") }?.dropFirst(4))
        let runs = try (1...2).map { tag -> Process in
            let p = Process()
            p.executableURL = XRayBinary.url
            p.arguments = ["run", "--quiet", "--store", store, "--", python, sender.path, "1000", String(tag)]
            try p.run()
            return p
        }
        let direct = Process()
        direct.executableURL = URL(fileURLWithPath: python)
        direct.arguments = [sender.path, "1000", "3"]
        var env = ProcessInfo.processInfo.environment
        env["AWS_XRAY_DAEMON_ADDRESS"] = String(address)
        direct.environment = env
        try direct.run()
        direct.waitUntilExit()
        for p in runs { p.waitUntilExit() }
        usleep(200_000)
        daemon.interrupt()
        daemon.waitUntilExit()
        #expect(runs.allSatisfy { $0.terminationStatus == 0 })
        #expect(daemon.terminationStatus == 0)
        let count = try XRayBinary.run(["inspect", "traces", "--include-runs", "--format", "csv", "--limit", "10000", "--store", store])
        #expect(count.stdout.split(separator: "\n").count == 1 + 3000 + 2, "3,000 sent traces and the two runs' own")
        #expect(!count.stderr.contains("locked"))
    }

    @Test func theRunsOwnFailuresHaveTheirOwnCodesAndTheCommandNeverStarts() throws {
        let marker = dir.appendingPathComponent("started")
        let unwritable = try XRayBinary.run(["run", "--store", "/proc/xray-cannot/traces.sqlite", "--", "/bin/sh", "-c", "touch \(marker.path)"])
        #expect(unwritable.status == 74)
        #expect(unwritable.stderr.contains("choose another place with --store"))
        let socket = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let taken = try run(["--listen", "127.0.0.1:\(port)", "--", "/bin/sh", "-c", "touch \(marker.path)"])
        #expect(taken.status == 69)
        #expect(taken.stderr.contains("\(port)"))
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    @Test func xrayRunIsAlsoCallableAsXRayDashRun() throws {
        let link = dir.appendingPathComponent("xray-run")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: XRayBinary.url)
        let result = try XRayBinary.run(["--quiet", "--store", store, "--", "/bin/sh", "-c", "exit 5"], executable: link)
        #expect(result.status == 5)
        #expect(try rootSegment()["name"] as? String == "sh")
    }

    /// --tracing-name reaches the child, --sampling-rules is what the collector serves, and --linger keeps
    /// collecting for a grandchild that sends after the command exited.
    /// `--context-missing` is what the real X-Ray SDK does with a call outside any segment: log (the default),
    /// ignore, or raise; being explicit, it replaces an inherited `AWS_XRAY_CONTEXT_MISSING`.
    @Test func contextMissingChoosesWhatTheSDKDoesOutsideASegment() throws {
        let python = try #require(testPython, "the test virtualenv (Scripts/test-venv)")
        let outside = "from aws_xray_sdk.core import xray_recorder; xray_recorder.put_annotation('k', 'v')"
        let inherited = ["AWS_XRAY_CONTEXT_MISSING": "RUNTIME_ERROR"]
        let log = try run(["--quiet", "--", python, "-c", outside])
        #expect(log.status == 0 && log.stderr.contains("cannot find the current segment"), "\(log.stderr)")
        let ignore = try run(["--quiet", "--context-missing", "ignore", "--", python, "-c", outside], environment: inherited)
        #expect(ignore.status == 0 && !ignore.stderr.contains("cannot find"), "\(ignore.stderr)")
        let raise = try run(["--quiet", "--context-missing", "raise", "--", python, "-c", outside])
        #expect(raise.status == 1 && raise.stderr.contains("SegmentNotFoundException"), "\(raise.stderr)")
        let bad = try run(["--context-missing", "loud", "--", "true"])
        #expect(bad.status == 64 && bad.stderr.contains("'log', 'ignore' or 'raise'"), "\(bad.stderr)")
    }

    @Test func tracingNameSamplingRulesAndLingerReachTheCommand() throws {
        let script = dir.appendingPathComponent("late.py")
        try Data(
            """
            import json, os, socket, subprocess, sys, time, urllib.request
            address = os.environ["AWS_XRAY_DAEMON_ADDRESS"]
            rules = json.load(urllib.request.urlopen(urllib.request.Request(
                "http://" + address + "/GetSamplingRules", data=b"{}", method="POST",
                headers={"Content-Type": "application/json"})))
            print(os.environ.get("AWS_XRAY_TRACING_NAME"), sorted(r["SamplingRule"]["RuleName"] for r in rules["SamplingRuleRecords"]))
            if len(sys.argv) == 1:
                subprocess.Popen([sys.executable, __file__, "late"], start_new_session=True)
                sys.exit(0)
            time.sleep(0.5)
            host, port = address.split(":")
            doc = '{"name":"late","id":"00000000000000ab","trace_id":"1-6b000000-0000000000000000000000ab","start_time":1.5E9,"end_time":1.5E9}'
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(('{"format":"json","version":1}\\n' + doc).encode(), (host, int(port)))
            """.utf8
        ).write(to: script)
        let rules = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/sampling-rules-centralized.json").path
        let result = try run(["--quiet", "--tracing-name", "api", "--sampling-rules", rules, "--linger", "2s", "--", "python3", script.path])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try #require(result.stdout.split(separator: "\n").first)
        #expect(printed.hasPrefix("api ["))
        #expect(printed.contains("'Default'"))
        let late = try XRayBinary.run(["inspect", "show", "1-6b000000-0000000000000000000000ab", "--store", store])
        #expect(late.status == 0, "the grandchild's segment arrived during --linger")
        let runTraces = try XRayBinary.run(["inspect", "traces", "--run", "last", "--format", "csv", "--store", store])
        #expect(runTraces.stdout.contains("1-6b000000-0000000000000000000000ab"))
    }
}
