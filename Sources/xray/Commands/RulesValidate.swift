import ArgumentParser
import XRaySampling
import XRayWire

extension XRay.Rules {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check rules files and report every problem as file:line:column.",
            discussion: """
                Local files get the SDKs' own checks, centralized rules the X-Ray API's limits. Exit 0 when \
                every file is valid, 65 when one is invalid, 66 when one is missing or unreadable.
                """
        )

        @Argument(help: "Rules files; the format of each is detected by itself.")
        var files: [String]

        @Option(help: "Output: text (file:line:column: error: field: message; fix) or json.")
        var format: ReportFormat = .text

        @Option(help: "Read every file as local or centralized instead of detecting it.")
        var rulesFormat: RuleFileFormat?

        enum ReportFormat: String, ExpressibleByArgument { case text, json }

        func run() throws {
            var exitCode: Int32 = 0
            var results: [JSONValue] = []
            for file in files {
                do throws(SamplingError) {
                    let bytes = try InputFile.bytes(at: file, limit: RuleDocument.maximumFileSize)
                    let report = try RuleDocument.validate(bytes, file: file, format: rulesFormat)
                    if report.hasErrors { exitCode = max(exitCode, ExitCodes.dataError) }
                    switch format {
                    case .text:
                        for diagnostic in report.diagnostics { print(diagnostic) }
                        if !report.hasErrors { print("\(file): valid (\(summary(report)))") }
                    case .json:
                        results.append(
                            .object(
                                JSONObject([
                                    ("file", .string(file)), ("valid", .bool(!report.hasErrors)),
                                    ("format", report.format.map { .string($0.rawValue) } ?? .null),
                                    ("diagnostics", .array(report.diagnostics.map(\.jsonValue))),
                                ])))
                    }
                } catch {
                    let failure = Failure.sampling(error)
                    exitCode = max(exitCode, failure.code)
                    switch format {
                    case .text: failure.report(for: Self.self)
                    case .json:
                        results.append(
                            .object(
                                JSONObject([
                                    ("file", .string(file)), ("valid", .bool(false)), ("error", .string(failure.text)),
                                ])))
                    }
                }
            }
            if format == .json { print(JSONWriter.prettyString(.object(JSONObject([("files", .array(results))])))) }
            if exitCode != 0 { throw ExitCode(exitCode) }
        }

        private func summary(_ report: ValidationReport) -> String {
            switch report.document {
            case .local(let file): "local, version \(file.version), " + Wording.count(file.rules.count, "rule") + " and a default"
            case .centralized(let file): "centralized, " + Wording.count(file.rules.count, "rule")
            case nil: "no rules"
            }
        }
    }
}
