import ArgumentParser
import XRaySampling
import XRayWire

extension XRay.Rules {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "convert",
            abstract: "Convert a rules file between the local and centralized shapes.",
            discussion: """
                Writes the converted file to standard output and a note on standard error for everything \
                that changed meaning or was dropped (service names, Attributes, per-process versus fleet-wide \
                reservoirs).
                """
        )

        @Argument(help: "The rules file.")
        var file: String

        @Option(help: "The shape to write: local (a version 2 file) or centralized (SamplingRuleRecords).")
        var to: RuleFileFormat

        @Option(help: "Read the rules file as local or centralized instead of detecting it.")
        var rulesFormat: RuleFileFormat?

        func run() throws {
            let conversion = RuleConverter.convert(try InputFile.loadRules(file, format: rulesFormat), to: to)
            print(JSONWriter.prettyString(conversion.document.jsonValue))
            for note in conversion.notes { printError("note: \(note)") }
        }
    }
}
