import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// Every class of documented exit code (xray(1), EXIT STATUS) through the built binary, with the advice the
/// CLI adds to the libraries' messages; and the HTTP API, which sends its own words, naming no flag.
@Suite final class ExitCodeEndToEndTests {
    let folder: URL
    var store: String { folder.appendingPathComponent("traces.sqlite").path }

    init() throws { folder = try makeTemporaryDirectory("xray-exit-codes") }
    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A malformed duration is a usage error (64), reported as the parser reports every bad flag value, with
    /// the flag's name and the usage, not a crash or a data error.
    @Test func aMalformedDurationExits64() throws {
        let r = try XRayBinary.run(["inspect", "traces", "--store", store, "--since", "soon"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: --since: \"soon\" is not a duration"), "\(r.stderr)")
    }

    /// A negative or zero `--limit` is a usage error that says what the flag takes, not "Missing value".
    @Test func aLimitBelowOneSaysWhatItTakes() throws {
        for (command, value) in [(["inspect", "traces"], "-1"), (["inspect", "traces"], "0"), (["inspect", "rejects"], "-5")] {
            let r = try XRayBinary.run(command + ["--limit", value, "--store", store])
            #expect(r.status == 64, "\(command) \(value): \(r.stderr)")
            #expect(r.stderr.hasPrefix("Error: --limit takes a whole number of 1 or more, such as --limit 100; not \(value)"), "\(r.stderr)")
        }
    }

    /// A mistyped subcommand is a usage error that names the one meant, at any level.
    @Test func aMistypedSubcommandExits64WithTheNameMeant() throws {
        let inspect = try XRayBinary.run(["inspect", "trace", "--store", store])
        #expect(inspect.status == 64, "\(inspect.stderr)")
        #expect(inspect.stderr.hasPrefix("Error: unknown subcommand 'trace'; did you mean 'traces'?"), "\(inspect.stderr)")
        #expect(inspect.stderr.contains("Usage: xray inspect"), "\(inspect.stderr)")
        let top = try XRayBinary.run(["inspcet", "traces"])
        #expect(top.status == 64)
        #expect(top.stderr.hasPrefix("Error: unknown subcommand 'inspcet'; did you mean 'inspect'?"), "\(top.stderr)")
        let far = try XRayBinary.run(["rules", "frobnicate"])
        #expect(far.status == 64)
        #expect(!far.stderr.contains("did you mean"), "nothing is close: \(far.stderr)")
    }

    /// A file that is not a store is a data error (65); the advice to pass another `--store` is the CLI's.
    @Test func aFileThatIsNotAStoreExits65WithStoreAdvice() throws {
        let notAStore = folder.appendingPathComponent("notes.sqlite")
        try Data("not a database\n".utf8).write(to: notAStore)
        let r = try XRayBinary.run(["inspect", "traces", "--store", notAStore.path])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("\(notAStore.path) is not an xray store"), "\(r.stderr)")
        #expect(r.stderr.contains("; pass a different --store PATH"), "\(r.stderr)")
    }

    /// A store or a rules file that does not exist is missing input (66); the rules commands begin their
    /// message with the file, as compilers do.
    @Test func missingInputExits66() throws {
        let show = try XRayBinary.run(["inspect", "show", "last", "--store", store])
        #expect(show.status == 66, "\(show.stderr)")
        #expect(show.stderr.contains("no such store: \(store); record traces into it with: xray run -- CMD"), "\(show.stderr)")
        let rules = folder.appendingPathComponent("rules.json").path
        let validate = try XRayBinary.run(["rules", "validate", rules])
        #expect(validate.status == 66, "\(validate.stderr)")
        #expect(validate.stderr.hasPrefix("\(rules): cannot read the file"), "\(validate.stderr)")
    }

    /// A port another daemon holds is unavailable (69); the CLI names the flag that picks another.
    @Test func aTakenPortExits69WithListenAdvice() throws {
        let daemon = try DaemonProcess.start(["daemon", "--quiet", "--listen", "127.0.0.1:0", "--store", store])
        defer { daemon.kill() }
        let second = try XRayBinary.run(["daemon", "--listen", daemon.address, "--store", store])
        #expect(second.status == 69, "\(second.stderr)")
        #expect(second.stderr.contains("already in use"), "\(second.stderr)")
        #expect(second.stderr.contains("choose another port with --listen 127.0.0.1:PORT"), "\(second.stderr)")
    }

    /// A command the kernel refuses to start for a reason that is neither "not found" nor "not executable"
    /// (two scripts naming each other as interpreter: ELOOP) is `xray run`'s own failure (70).
    @Test func aCommandThatCannotBeStartedExits70() throws {
        let a = folder.appendingPathComponent("a"), b = folder.appendingPathComponent("b")
        try Data("#!\(b.path)\n".utf8).write(to: a)
        try Data("#!\(a.path)\n".utf8).write(to: b)
        for script in [a, b] { chmod(script.path, 0o755) }
        let r = try XRayBinary.run(["run", "--quiet", "--store", store, "--", a.path])
        #expect(r.status == 70, "\(r.stderr)")
        #expect(r.stderr.contains("xray run: error: cannot start \(a.path)"), "\(r.stderr)")
    }

    /// A store folder that cannot be made is an I/O error (74); choosing another place is the CLI's advice.
    @Test func aStoreUnderAFileExits74() throws {
        let file = folder.appendingPathComponent("plain")
        try Data().write(to: file)
        let inside = file.appendingPathComponent("deeper/traces.sqlite").path
        let r = try XRayBinary.run(["inspect", "import", "--store", inside, "-"], stdin: Data())
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.contains("cannot create the store folder"), "\(r.stderr)")
        #expect(r.stderr.contains("choose another place with --store PATH or XRAY_STORE"), "\(r.stderr)")
    }

    /// The HTTP API answers in its own words: an unknown group is a 400 that names no command, and an
    /// unknown path's 404 lists all six operations the daemon serves.
    @Test func theHTTPAPINamesNoFlagOrCommand() throws {
        let daemon = try DaemonProcess.start(["daemon", "--quiet", "--listen", "127.0.0.1:0", "--store", store])
        defer { daemon.kill() }
        let graph = try HTTP.post(port: daemon.port, "/ServiceGraph", #"{"GroupName":"nightly"}"#)
        #expect(graph.status == 400, "\(graph.body)")
        #expect(graph.body.contains(#"no group named \"nightly\""#), "\(graph.body)")
        #expect(!graph.body.contains("xray "), "\(graph.body)")
        let unknown = try HTTP.post(port: daemon.port, "/Nope", "{}")
        #expect(unknown.status == 404)
        for path in ["/GetSamplingRules", "/SamplingTargets", "/TraceSegments", "/Traces", "/TraceSummaries", "/ServiceGraph"] {
            #expect(unknown.body.contains(path), "\(path): \(unknown.body)")
        }
    }

    /// `xray run`'s own collector serves the read operations too: its 404 lists the same six.
    @Test func xrayRunsCollectorServesAllSixOperations() throws {
        let script = """
            import os, urllib.request, urllib.error
            url = "http://" + os.environ["AWS_XRAY_DAEMON_ADDRESS"] + "/Nope"
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}))
            except urllib.error.HTTPError as e:
                print(e.code, e.read().decode())
            """
        let r = try XRayBinary.run(["run", "--quiet", "--store", store, "--", testPython ?? "/usr/bin/python3", "-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("404 "), "\(r.stdout)")
        for path in ["/GetSamplingRules", "/SamplingTargets", "/TraceSegments", "/Traces", "/TraceSummaries", "/ServiceGraph"] {
            #expect(r.stdout.contains(path), "\(path): \(r.stdout)")
        }
    }
}
