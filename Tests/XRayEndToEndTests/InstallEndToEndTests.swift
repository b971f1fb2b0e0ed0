import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// `Scripts/install` and `Scripts/uninstall` into a temporary prefix (with `--binary`, the debug binary the other
/// end-to-end tests use, so no release build), the names the binary answers to, and the README's quickstart and
/// AWS CLI examples run as written.
@Suite(.serialized) struct InstallEndToEndTests {
    static let repository = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let installScript = repository.appendingPathComponent("Scripts/install")
    static let uninstallScript = repository.appendingPathComponent("Scripts/uninstall")
    static let aliases = ["xray-run", "xray-inspect", "xray-rules", "xray-daemon"]

    /// Runs `executable ARGS` with exactly `environment` (nothing inherited), in the repository.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> CommandResult {
        // `env -i` so that variables such as MANPATH or AWS_REGION from the caller cannot make a snippet pass.
        let pairs = environment.map { "\($0.key)=\($0.value)" }
        return try XRayBinary.run(
            ["-i"] + pairs + [executable] + arguments,
            executable: URL(fileURLWithPath: "/usr/bin/env"), currentDirectory: repository)
    }

    static func baseEnvironment(path: String, home: URL) -> [String: String] {
        ["PATH": path, "HOME": home.path, "LANG": "C.UTF-8", "MANPAGER": "cat", "PAGER": "cat", "NO_COLOR": "1"]
    }

    /// Every path under `root` with what it is (file bytes, link target, folder), to compare trees byte for byte.
    static func snapshot(_ root: URL) throws -> [String: Data] {
        var tree: [String: Data] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root.path) else { return tree }
        for case let relative as String in walker {
            let path = root.appendingPathComponent(relative).path
            let attributes = try manager.attributesOfItem(atPath: path)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?: tree[relative] = Data(("link " + (try manager.destinationOfSymbolicLink(atPath: path))).utf8)
            case .typeDirectory?: tree[relative] = Data("dir".utf8)
            default: tree[relative] = Data("file ".utf8) + (try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return tree
    }

    @Test func installPutsEveryPieceUnderThePrefixAndUninstallLeavesItAsItWas() throws {
        let folder = try makeTemporaryDirectory("install")
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = folder.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try Data("not ours\n".utf8).write(to: prefix.appendingPathComponent("bin/other"))
        let before = try Self.snapshot(prefix)
        let env = Self.baseEnvironment(path: "/usr/bin:/bin", home: folder)

        let installed = try Self.run(Self.installScript.path, ["--prefix", prefix.path, "--binary", XRayBinary.url.path], environment: env)
        try #require(installed.status == 0, "install: \(installed.stderr)")
        let bin = prefix.appendingPathComponent("bin")

        let version = try XRayBinary.run(["--version"], executable: bin.appendingPathComponent("xray"))
        #expect(version.status == 0)
        #expect(version.stdout == "0.1.0\n")
        for name in Self.aliases {
            let link = bin.appendingPathComponent(name)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "xray")
            let help = try XRayBinary.run(["--help"], executable: link)
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE: \(name) "), "\(name) --help: \(help.stdout)")
            #expect(!help.stdout.contains("USAGE: xray "), "\(name) --help names plain xray")
            let linkVersion = try XRayBinary.run(["--version"], executable: link)
            #expect(linkVersion.stdout == "0.1.0\n")
        }
        let traces = try XRayBinary.run(["traces", "--help"], executable: bin.appendingPathComponent("xray-inspect"))
        #expect(traces.stdout.contains("USAGE: xray-inspect traces "))
        let unknown = try XRayBinary.run(["nope"], executable: bin.appendingPathComponent("xray-rules"))
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("See 'xray-rules --help'"))

        let manPage = try Self.run("man", ["-M", prefix.appendingPathComponent("share/man").path, "xray-run"], environment: env)
        #expect(manPage.status == 0, "man: \(manPage.stderr)")
        #expect(manPage.stdout.contains("XRAY-RUN(1)"))
        for name in ["xray"] + Self.aliases {
            let file = prefix.appendingPathComponent("share/bash-completion/completions/\(name)").path
            let loaded = try Self.run("bash", ["-c", "source \"$1\" && complete -p \(name)", "bash", file], environment: env)
            #expect(loaded.status == 0, "\(file): \(loaded.stderr)")
            #expect(loaded.stdout.hasPrefix("complete ") && loaded.stdout.hasSuffix(" \(name)\n"), "\(loaded.stdout)")
            let zsh = try String(contentsOf: prefix.appendingPathComponent("share/zsh/site-functions/_\(name)"), encoding: .utf8)
            #expect(zsh.hasPrefix("#compdef \(name)\n"))
            let fish = try String(contentsOf: prefix.appendingPathComponent("share/fish/vendor_completions.d/\(name).fish"), encoding: .utf8)
            #expect(fish.contains("complete -c '\(name)'") || fish.contains("complete -c \(name) "), "\(name).fish")
        }
        let afterInstall = try Self.snapshot(prefix)
        #expect(afterInstall["share/xray/install-manifest"] != nil)

        let again = try Self.run(Self.installScript.path, ["--prefix", prefix.path, "--binary", XRayBinary.url.path], environment: env)
        #expect(again.status == 0, "second install: \(again.stderr)")
        #expect(try Self.snapshot(prefix) == afterInstall)

        let removed = try Self.run(Self.uninstallScript.path, ["--prefix", prefix.path], environment: env)
        #expect(removed.status == 0, "uninstall: \(removed.stderr)")
        #expect(try Self.snapshot(prefix) == before)
        let twice = try Self.run(Self.uninstallScript.path, ["--prefix", prefix.path], environment: env)
        #expect(twice.status == 0)
        #expect(try Self.snapshot(prefix) == before)
    }

    @Test func installStopsBeforeChangingAnythingWhenAPathHoldsAFileItDidNotInstall() throws {
        let folder = try makeTemporaryDirectory("install-taken")
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = folder.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share/man/man1"), withIntermediateDirectories: true)
        try Data("someone else's page\n".utf8).write(to: prefix.appendingPathComponent("share/man/man1/xray-run.1"))
        let before = try Self.snapshot(prefix)
        let env = Self.baseEnvironment(path: "/usr/bin:/bin", home: folder)

        let refused = try Self.run(Self.installScript.path, ["--prefix", prefix.path, "--binary", XRayBinary.url.path], environment: env)
        #expect(refused.status == 73)
        #expect(refused.stderr.contains(prefix.appendingPathComponent("share/man/man1/xray-run.1").path))
        #expect(refused.stderr.contains("--force"))
        #expect(try Self.snapshot(prefix) == before)

        let notXRay = try Self.run(Self.installScript.path, ["--prefix", prefix.path, "--binary", "/bin/true"], environment: env)
        #expect(notXRay.status == 66)
        #expect(notXRay.stderr.contains("printed no version"))
        let missing = try Self.run(
            Self.installScript.path, ["--prefix", prefix.path, "--binary", folder.appendingPathComponent("none").path], environment: env)
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("is not an executable file"))
        let usage = try Self.run(Self.installScript.path, ["--prefx", prefix.path], environment: env)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("unknown argument '--prefx'"))
        #expect(try Self.snapshot(prefix) == before)
    }

    /// A release download keeps its file name (`xray-linux-x86_64`): only the four exact link names dispatch.
    @Test func aCopyNamedLikeAReleaseDownloadIsPlainXRay() throws {
        let folder = try makeTemporaryDirectory("install-copy")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["xray-linux-x86_64", "xray-static"] {
            let copy = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: XRayBinary.url, to: copy)
            let help = try XRayBinary.run(["--help"], executable: copy)
            #expect(help.status == 0)
            #expect(help.stdout.contains("USAGE: xray <subcommand>"), "\(name): \(help.stdout)")
            let validated = try XRayBinary.run(
                ["rules", "validate", Self.repository.appendingPathComponent("examples/sampling-rules-v2.json").path], executable: copy)
            #expect(validated.status == 0, "\(name) rules validate: \(validated.stderr)")
            let store = folder.appendingPathComponent("traces.sqlite").path
            let imported = try XRayBinary.run(
                ["inspect", "import", "--store", store, fixturesDirectory.appendingPathComponent("sdk/flask.jsonl").path], executable: copy)
            #expect(imported.status == 0, "\(name) inspect import: \(imported.stderr)")
        }
    }

    /// The README's install block, line by line, with `HOME` a temporary folder (so `~/.local` is inside it) and
    /// `--binary` added to `Scripts/install` only, to skip the release build.
    @Test func readmeQuickstartInstallRunsAsWritten() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let quickstart = try #require(
            readme.components(separatedBy: "\n## Quickstart\n").dropFirst().first?
                .components(separatedBy: "\n## ").first)
        let blocks = quickstart.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "\n```").first ?? "" }
        let block = try #require(blocks.first { $0.contains("Scripts/install") }, "no install block in the quickstart")
        let lines = block.split(separator: "\n").map { line -> String in
            let command = line.range(of: " #").map { String(line[..<$0.lowerBound]) } ?? String(line)
            return command.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        #expect(lines == ["Scripts/install", "xray --version", "man xray-run"])

        let home = try makeTemporaryDirectory("install-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = Self.baseEnvironment(path: home.path + "/.local/bin:/usr/bin:/bin", home: home)
        for line in lines {
            let command = line == "Scripts/install" ? "\(line) --binary '\(XRayBinary.url.path)'" : line
            let result = try Self.run("bash", ["-c", command], environment: env)
            #expect(result.status == 0, "\(line): \(result.stderr)")
            if line.hasPrefix("xray --version") { #expect(result.stdout == "0.1.0\n") }
            if line.hasPrefix("man ") { #expect(result.stdout.contains("XRAY-RUN(1)"), "\(line): \(result.stdout.prefix(200))") }
        }
        let removed = try Self.run(Self.uninstallScript.path, [], environment: env)
        #expect(removed.status == 0, "uninstall: \(removed.stderr)")
        #expect(try Self.snapshot(home).isEmpty)
    }

    static var awsFolder: String? {
        guard let python = testPython else { return nil }
        let folder = URL(fileURLWithPath: python).deletingLastPathComponent()
        return FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("aws").path) ? folder.path : nil
    }

    /// Every `$ aws ...` line of the README and every `aws ...` example of xray-daemon(1), as written, against a
    /// daemon on a free port (the only change: its address for `127.0.0.1:2000`), with no AWS configuration,
    /// region or credentials in the environment.
    @Test(.enabled(if: awsFolder != nil))
    func readmeAndManPageAWSCLIExamplesRunAsWrittenAgainstTheDaemon() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let readmeLines = readme.split(separator: "\n").filter { $0.hasPrefix("$ aws ") }.map { String($0.dropFirst(2)) }
        #expect(readmeLines.count >= 5)
        let page = try String(contentsOf: Self.repository.appendingPathComponent("man/xray-daemon.1"), encoding: .utf8)
        let examples = try #require(
            page.components(separatedBy: "\n.Sh EXAMPLES\n").dropFirst().first?
                .components(separatedBy: "\n.Sh ").first)
        let manLines = examples.replacingOccurrences(of: "\\e\n", with: " ").split(separator: "\n")
            .filter { $0.hasPrefix("aws ") }.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(manLines.count >= 1)

        let folder = try makeTemporaryDirectory("install-awscli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", folder.appendingPathComponent("traces.sqlite").path])
        defer { daemon.kill() }
        var env = Self.baseEnvironment(path: try #require(Self.awsFolder) + ":/usr/bin:/bin", home: folder)
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"

        for line in readmeLines + manLines {
            #expect(line.contains("--endpoint-url http://127.0.0.1:2000"), "\(line)")
            let command = line.replacingOccurrences(of: "127.0.0.1:2000", with: daemon.address)
            let result = try Self.run("bash", ["-c", command], environment: env)
            try #require(result.status == 0, "\(line): \(result.stderr)")
            let reply = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any], "\(line): \(result.stdout)")
            let operation = line.split(separator: " ")[2]
            switch operation {
            case "put-trace-segments": #expect((reply["UnprocessedTraceSegments"] as? [Any])?.isEmpty == true, "\(result.stdout)")
            case "get-sampling-rules": #expect((reply["SamplingRuleRecords"] as? [Any])?.isEmpty == false)
            case "get-trace-summaries": #expect((reply["TraceSummaries"] as? [Any])?.count == 1, "\(result.stdout)")
            case "get-service-graph": #expect((reply["Services"] as? [Any])?.isEmpty == false, "\(result.stdout)")
            case "batch-get-traces": #expect((reply["Traces"] as? [Any])?.count == 1, "\(result.stdout)")
            default: Issue.record("no check for \(operation)")
            }
        }
        #expect(daemon.stop(signal: SIGTERM).status == 0)
    }
}
