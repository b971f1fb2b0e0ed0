import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// `xray ui` and the daemon's console, through the built binary: headless Chromium driven by Selenium from
/// the test virtualenv (`Tests/Fixtures/console/drive_console.py`) over a store of the real-SDK fixtures.
@Suite(.serialized) struct ConsoleEndToEndTests {
    /// A running `xray ui` whose URL was read from its first stdout line.
    final class UIProcess {
        let process = Process()
        let stdout = PipeStream()
        let stderr = PipeStream()
        private(set) var url = ""
        var port: Int { Int(url.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0 }

        static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> UIProcess {
            let ui = UIProcess()
            ui.process.executableURL = XRayBinary.url
            ui.process.arguments = ["ui"] + arguments
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            ui.process.environment = env
            let out = Pipe(), err = Pipe()
            ui.process.standardOutput = out
            ui.process.standardError = err
            ui.stdout.attach(out)
            ui.stderr.attach(err)
            try ui.process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, ui.process.isRunning, !ui.stdout.text.contains("\n") { usleep(20_000) }
            ui.url = String(ui.stdout.text.split(separator: "\n").first ?? "")
            guard ui.url.hasPrefix("http://") else {
                ui.stop()
                throw UIStartFailure(output: ui.stdout.text + ui.stderr.text)
            }
            return ui
        }

        /// Ctrl-C, then the exit status.
        @discardableResult
        func stop() -> Int32 {
            if process.isRunning { kill(process.processIdentifier, SIGINT) }
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    struct UIStartFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "xray ui did not print its URL: \(output)" }
    }

    /// A store holding the four SDK fixtures and the hostile trace.
    static func fixtureStore() throws -> String {
        let store = temporaryStorePath("console")
        let sdk = fixturesDirectory.appendingPathComponent("sdk")
        let files =
            ["flask", "django", "aiohttp", "batch"].map { sdk.appendingPathComponent("\($0).jsonl").path }
            + [fixturesDirectory.appendingPathComponent("console/xss.jsonl").path]
        let imported = try XRayBinary.run(["inspect", "import"] + files + ["--store", store])
        #expect(imported.status == 0, "\(imported.stderr)")
        return store
    }

    @Test func theConsoleWorksInARealBrowser() throws {
        let python = try #require(testPython, "the test virtualenv (Scripts/test prepares it)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver (Scripts/test installs it)")
        let store = try Self.fixtureStore()
        let ui = try UIProcess.start(["--listen", "127.0.0.1:0", "--store", store])
        defer { ui.stop() }
        let screenshots = try makeTemporaryDirectory("console-screenshots")
        let driver = try XRayBinary.run(
            [fixturesDirectory.appendingPathComponent("console/drive_console.py").path, ui.url, XRayBinary.url.path, store, screenshots.path],
            executable: URL(fileURLWithPath: python))
        let output = driver.stdout + driver.stderr
        #expect(driver.status == 0, "\(output)")
        #expect(driver.stdout.contains("ok: every request the page made went to the console's server"), "\(output)")
        for page in ["traces", "traces-bad-filter", "trace", "trace-exception", "trace-hostile", "map", "runs"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("\(page).png").path), "screenshot of \(page)")
        }
        print("console screenshots: \(screenshots.path)")
    }

    /// `xray inspect show ID --format html` opened from a file:// URL: the console's trace view with its tabs,
    /// offline, the hostile trace inert (`Tests/Fixtures/console/drive_trace_file.py`).
    @Test func theSavedTracePageWorksOfflineInARealBrowser() throws {
        let python = try #require(testPython, "the test virtualenv (Scripts/test prepares it)")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver (Scripts/test installs it)")
        let store = try Self.fixtureStore()
        let screenshots = try makeTemporaryDirectory("trace-file-screenshots")
        let driver = try XRayBinary.run(
            [fixturesDirectory.appendingPathComponent("console/drive_trace_file.py").path, XRayBinary.url.path, store, screenshots.path],
            executable: URL(fileURLWithPath: python))
        let output = driver.stdout + driver.stderr
        #expect(driver.status == 0, "\(output)")
        #expect(driver.stdout.contains("ok: the page loaded nothing but itself"), "\(output)")
        #expect(driver.stdout.contains("ok: no script from the trace ran"), "\(output)")
        for page in ["trace-file", "trace-file-hostile"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("\(page).png").path), "screenshot of \(page)")
        }
        print("saved trace page screenshots: \(screenshots.path)")
    }

    /// `POST /ui/api/Export` answers with the bytes the CLI prints for the trace, as an attachment.
    @Test func theExportEndpointGivesWhatTheCLIPrints() throws {
        let store = try Self.fixtureStore()
        let ui = try UIProcess.start(["--listen", "127.0.0.1:0", "--store", store])
        defer { ui.stop() }
        let id = "1-6b07c600-0123456789abcdef01234567"
        let expected = [
            "xray": try XRayBinary.run(["inspect", "show", id, "--format", "xray", "--store", store]).stdout,
            "otlp": try XRayBinary.run(["inspect", "export", id, "--format", "otlp", "--store", store]).stdout,
        ]
        for (format, cli) in expected {
            let client = try RawHTTP(port: ui.port)
            defer { client.close() }
            let answer = try #require(client.post("/ui/api/Export", #"{"TraceId": "\#(id)", "Format": "\#(format)"}"#))
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.body == cli, "\(format)")
            #expect(cli.contains("6b07c600"), "the CLI printed the trace")
            #expect(answer.headers["content-disposition"] == "attachment; filename=\"\(id).\(format).json\"")
            #expect(answer.headers["content-type"] == "application/json")
            #expect(answer.headers["content-security-policy"] != nil)
        }
        let client = try RawHTTP(port: ui.port)
        defer { client.close() }
        let missing = try #require(client.post("/ui/api/Export", #"{"TraceId": "1-6b07c600-000000000000000000000000", "Format": "xray"}"#))
        #expect(missing.status == 404)
        for bad in [#"{"TraceId": "1-6b07", "Format": "xray"}"#, #"{"TraceId": "\#(id)", "Format": "csv"}"#, "[]"] {
            #expect(client.post("/ui/api/Export", bad)?.status == 400, "\(bad)")
        }
        let foreign = try #require(client.post("/ui/api/Export", #"{"TraceId": "\#(id)", "Format": "xray"}"#, extraHeaders: "Origin: http://evil.example\r\n"))
        #expect(foreign.status == 403)
    }

    /// `xray run --ui`: the URL comes on stderr before the command starts, the command finds it in its
    /// environment, and the run's own port serves the console and the run's traces while the command runs.
    @Test func runWithUIServesTheConsoleWhileTheCommandRuns() throws {
        let folder = try makeTemporaryDirectory("run-ui")
        let store = temporaryStorePath("run-ui")
        let seen = folder.appendingPathComponent("env.txt"), done = folder.appendingPathComponent("done")
        let run = Process()
        run.executableURL = XRayBinary.url
        run.arguments = [
            "run", "--ui", "--quiet", "--store", store, "--", "sh", "-c",
            #"echo "$XRAY_RUN_CONSOLE $AWS_XRAY_DAEMON_ADDRESS" > "$0.tmp" && mv "$0.tmp" "$0"; while [ ! -e "$1" ]; do sleep 0.05; done"#,
            seen.path, done.path,
        ]
        let stderr = PipeStream()
        let err = Pipe()
        run.standardError = err
        stderr.attach(err)
        try run.run()
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: seen.path), run.isRunning, Date() < deadline { usleep(20_000) }
        let line = try #require(stderr.text.split(separator: "\n").first { $0.hasPrefix("xray run: console at ") }, "\(stderr.text)")
        let url = String(line.dropFirst("xray run: console at ".count))
        let environment = try String(contentsOf: seen, encoding: .utf8).split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(environment.first == url, "the command reads the URL from XRAY_RUN_CONSOLE")
        let port = try #require(Int(url.split(separator: ":").last?.split(separator: "/").first ?? ""))
        // One port for both transports is written `127.0.0.1:P`; two as `tcp:… udp:…`.
        let addresses = environment.dropFirst()
        #expect(
            addresses == ["127.0.0.1:\(port)"] || addresses.contains("tcp:127.0.0.1:\(port)"),
            "the console is on the collector's own TCP port: \(environment)")
        let udpAddress = try #require(addresses.first { $0.hasPrefix("udp:") } ?? addresses.first)
        let udp = try #require(Int(udpAddress.split(separator: ":").last ?? ""))

        let client = try RawHTTP(port: port)
        defer { client.close() }
        client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
        let page = try #require(client.readResponse())
        #expect(page.status == 200 && page.body.contains(#"<script src="/ui/app.js"></script>"#))
        #expect(page.headers["content-security-policy"]?.hasPrefix("default-src 'none'") == true)
        // A segment sent to the run while the command runs is listed by the console's own reads.
        let trace = "1-6b07c600-00000000000000000000abcd"
        UDP.send(
            [
                #"{"format":"json","version":1}"# + "\n"
                    + #"{"trace_id":"\#(trace)","id":"00000000000000a1","name":"live","start_time":1795671500,"end_time":1795671501}"#
            ],
            port: udp)
        var listed = false
        while !listed, Date() < deadline {
            listed = client.post("/TraceSummaries", "{}", extraHeaders: "Origin: http://127.0.0.1:\(port)\r\n")?.body.contains(trace) == true
            if !listed { usleep(50_000) }
        }
        #expect(listed, "the console lists the run's trace while the command runs")
        #expect(run.isRunning, "the command was still running")
        FileManager.default.createFile(atPath: done.path, contents: nil)
        run.waitUntilExit()
        stderr.waitForEnd()
        #expect(run.terminationStatus == 0, "\(stderr.text)")
        #expect(!stderr.text.contains("xray run: trace "), "--quiet keeps the summary out, not the URL")
    }

    /// A nested `xray run --ui` names the outer run's console; under an outer run without one it says so.
    @Test func aNestedRunNamesTheOuterRunsConsole() throws {
        let store = temporaryStorePath("run-ui")
        let inner = [XRayBinary.url.path, "run", "--ui", "--store", store, "--", "true"]
        let outer = try XRayBinary.run(["run", "--ui", "--quiet", "--store", store, "--"] + inner)
        #expect(outer.status == 0, "\(outer.stderr)")
        let urls = outer.stderr.split(separator: "\n").filter { $0.contains("console at http://127.0.0.1:") }
        #expect(urls.count == 2 && urls[1] == urls[0] + " (the outer run's)", "\(outer.stderr)")
        // An outer run without --ui names no console, even one left in its own environment.
        let plain = try XRayBinary.run(["run", "--quiet", "--store", store, "--"] + inner, environment: ["XRAY_RUN_CONSOLE": "http://127.0.0.1:9/"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("warning: --ui: this run sends its segments to the outer xray run, which serves no console"))
        #expect(!plain.stderr.contains("console at"))
    }

    @Test func aForeignHostIsRefusedAndTheConsoleIsReadOnly() throws {
        let ui = try UIProcess.start(["--listen", "127.0.0.1:0", "--store", temporaryStorePath("console")])
        defer { ui.stop() }
        let rebound = try RawHTTP(port: ui.port)
        defer { rebound.close() }
        rebound.write("GET / HTTP/1.1\r\nHost: attacker.example:\(ui.port)\r\n\r\n")
        let refused = try #require(rebound.readResponse())
        #expect(refused.status == 403)
        #expect(!refused.body.contains("<html"))

        let page = try RawHTTP(port: ui.port)
        defer { page.close() }
        page.write("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(ui.port)\r\n\r\n")
        let served = try #require(page.readResponse())
        #expect(served.status == 200)
        #expect(served.headers["content-type"] == "text/html; charset=utf-8")
        #expect(served.headers["content-security-policy"]?.hasPrefix("default-src 'none'; script-src 'self'") == true)
        #expect(served.headers["access-control-allow-origin"] == nil)
        // Writes are not served: xray ui has no intake.
        let put = try #require(page.post("/TraceSegments", #"{"TraceSegmentDocuments": []}"#))
        #expect(put.status == 404)
        // Another web origin is refused; the console's own is served.
        let foreign = try #require(page.post("/TraceSummaries", "{}", extraHeaders: "Origin: http://evil.example\r\n"))
        #expect(foreign.status == 403)
        let own = try RawHTTP(port: ui.port)
        defer { own.close() }
        let same = try #require(own.post("/TraceSummaries", "{}", extraHeaders: "Origin: http://127.0.0.1:\(ui.port)\r\n"))
        #expect(same.status == 200)
    }

    @Test func theDaemonServesTheConsoleOnItsTCPAddress() throws {
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", temporaryStorePath("console"), "--quiet"])
        defer { daemon.kill() }
        let client = try RawHTTP(port: daemon.port)
        defer { client.close() }
        client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(daemon.port)\r\n\r\n")
        let page = try #require(client.readResponse())
        #expect(page.status == 200)
        #expect(page.body.contains(#"<script src="/ui/app.js"></script>"#))
        client.write("GET /ui/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let script = try #require(client.readResponse())
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.headers["x-content-type-options"] == "nosniff")
        #expect(!script.body.contains("innerHTML"))
    }

    @Test func aListenAddressOffLoopbackIsWarnedAbout() throws {
        let ui = try? UIProcess.start(["--listen", "0.0.0.0:0", "--store", temporaryStorePath("console")])
        // The URL names the address bound; the warning goes to stderr before it.
        let process = try #require(ui)
        defer { process.stop() }
        #expect(process.stderr.text.contains("warning: --listen 0.0.0.0:0 is not a loopback address"))
    }

    @Test func openWithoutXdgOpenIsAWarningAndTheConsoleStaysUp() throws {
        let ui = try UIProcess.start(
            ["--listen", "127.0.0.1:0", "--store", temporaryStorePath("console"), "--open"],
            environment: ["PATH": "/nonexistent"])
        defer { ui.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !ui.stderr.text.contains("xdg-open"), Date() < deadline { usleep(20_000) }
        #expect(ui.stderr.text.contains("warning: could not start xdg-open"))
        #expect(ui.process.isRunning)
        #expect(ui.stop() == 0)
    }

    @Test func aStoreThatCannotBeOpenedExits74() throws {
        let result = try XRayBinary.run(["ui", "--listen", "127.0.0.1:0", "--store", "/proc/no-such-folder/traces.sqlite"])
        #expect(result.status == 74)
        #expect(result.stderr.contains("/proc/no-such-folder"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aBadListenAddressIsAUsageError() throws {
        let result = try XRayBinary.run(["ui", "--listen", "nohost", "--store", temporaryStorePath("console")])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--listen"))
    }
}
