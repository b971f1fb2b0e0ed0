import ArgumentParser
import XRaySampling
import XRayWire

extension XRay.Rules {
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Find rules that never match, rules an SDK ignores, and other likely mistakes.",
            discussion: """
                Each finding has a code (shadowed, duplicate, after-default, ignored-by-sdk, unknown-key, \
                default-high-rate, version-1, rate-over-1), a severity, the rule and a fix. Exit 0 when there \
                is nothing above info, 65 when there are warnings, or when the file is invalid.
                """
        )

        @Argument(help: "The rules file.")
        var file: String

        @Option(help: "Output: text or json.")
        var format: ReportFormat = .text

        @Option(help: "Read the rules file as local or centralized instead of detecting it.")
        var rulesFormat: RuleFileFormat?

        enum ReportFormat: String, ExpressibleByArgument { case text, json }

        func run() throws {
            let findings = RuleLinter.lint(try InputFile.loadRules(file, format: rulesFormat))
            switch format {
            case .text:
                for finding in findings { print("\(file): \(finding)") }
                if findings.isEmpty { print("\(file): no findings") }
            case .json:
                print(
                    JSONWriter.prettyString(
                        .object(
                            JSONObject([
                                ("file", .string(file)), ("findings", .array(findings.map(\.jsonValue))),
                            ]))))
            }
            if findings.contains(where: { $0.severity != .info }) { throw ExitCode(ExitCodes.dataError) }
        }
    }
}
