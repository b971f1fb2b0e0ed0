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
