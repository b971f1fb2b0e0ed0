import Foundation
import Testing
import XRayTestSupport

/// Every flag a subcommand's `--help` shows is documented in that subcommand's man page.
@Suite struct ManPageTests {
    /// `man/` beside `Tests/`.
    static let manDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("man")

    /// Every command path the binary has (`["inspect", "traces"]`, ...), from its own description of itself.
    static func commandPaths() throws -> [[String]] {
        let dump = try XRayBinary.run(["--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: dump.stdoutData) as? [String: Any])
        var paths: [[String]] = []
        func visit(_ command: [String: Any], path: [String]) {
            for case let sub as [String: Any] in command["subcommands"] as? [Any] ?? [] {
                guard let name = sub["commandName"] as? String, name != "help" else { continue }
                paths.append(path + [name])
                visit(sub, path: path + [name])
            }
        }
        visit(try #require(root["command"] as? [String: Any]), path: [])
        return paths
    }

    /// The flags in the OPTIONS section of `--help`: `-f`, `--format`, both names of `--a/--no-a`.
    static func helpFlags(_ text: String) -> Set<String> {
        var flags = Set<String>()
        var inOptions = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") { inOptions = line.hasSuffix("OPTIONS:") }
            // An option's own line starts two spaces in; its description's continuation lines start further in.
            guard inOptions, line.hasPrefix("  -") else { continue }
            let names = line.dropFirst(2).components(separatedBy: "  ").first ?? ""
            for word in names.split(whereSeparator: { " ,/|[]".contains($0) }) where word.hasPrefix("-") {
                flags.insert(String(word))
            }
        }
        return flags.subtracting(["-h", "--help", "--version"])
    }

    /// The flags an mdoc page names: each argument of `Fl` (which prefixes one dash) up to the next macro,
    /// and any `\-\-flag` written out in running text.
    static func manFlags(_ source: String) -> Set<String> {
        var flags = Set<String>()
        for rawLine in source.split(separator: "\n") {
            let line = rawLine.replacingOccurrences(of: "\\-", with: "-")
            if line.hasPrefix(".") {
                var inFlags = false
                for word in line.dropFirst().split(separator: " ") {
                    if word.count >= 2, word.count <= 3, word.first!.isUppercase, word.dropFirst().allSatisfy(\.isLowercase) {
                        inFlags = word == "Fl"
                        continue
                    }
                    guard inFlags, word != "|" else { continue }
                    let flag = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:)("))
                    if !flag.isEmpty { flags.insert("-" + flag) }
                }
            }
            for word in line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }) where word.hasPrefix("--") {
                flags.insert(String(word))
            }
        }
        return flags
    }

    @Test func everyFlagInHelpIsInItsManPage() throws {
        var checked = 0
        let paths = try Self.commandPaths()
        for path in paths {
            let help = try XRayBinary.run(path + ["--help"])
            #expect(help.status == 0, "\(path.joined(separator: " ")) --help: \(help.stderr)")
            let page = "xray-\(path[0]).1"
            let source = try String(contentsOf: Self.manDirectory.appendingPathComponent(page), encoding: .utf8)
            let flags = Self.helpFlags(help.stdout)
            checked += flags.count
            let undocumented = flags.subtracting(Self.manFlags(source))
            #expect(undocumented.isEmpty, "\(page) does not document \(undocumented.sorted()), which `xray \(path.joined(separator: " ")) --help` shows")
        }
        // 21 commands today, each with a flag of its own (`--store`, `--color`): finding fewer means the help changed shape.
        #expect(paths.count >= 15 && checked >= paths.count, "\(paths.count) commands, \(checked) flags")
    }

    /// The parsers above find what they must, so the test above cannot pass by finding nothing.
    @Test func helpAndManParsersFindFlags() {
        let help = """
            USAGE: xray x [--store <path>] [-f <format>]

            OPTIONS:
              --store <path>          The SQLite store file.
                    Default: --not-an-option in a description.
              -f, --format <format>   Output format.
              --color/--no-color      Colour.
              --version               Show the version.
              -h, --help              Show help information.

            """
        #expect(Self.helpFlags(help) == ["--store", "-f", "--format", "--color", "--no-color"])
        let man = """
            .Op Fl -quiet | -json
            .It Fl f Ar format
            .It Fl -store Ar path
            Use \\-\\-limit too.
            """
        #expect(Self.manFlags(man) == ["--quiet", "--json", "-f", "--store", "--limit"])
    }
}
