import ArgumentParser
import XRaySampling

#if canImport(Glibc)
import Glibc
#endif

extension XRay {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules",
            abstract: "Validate, explain, simulate and lint X-Ray sampling rules offline.",
            discussion: """
                Rules files may be local SDK files (version 1 or 2), `aws xray get-sampling-rules` output, a list \
                of SamplingRule objects or {"SamplingRule": {...}}; the format is detected unless --rules-format \
                is given. Exit codes: 0 ok, 64 usage, 65 invalid rules or requests, 66 file missing or unreadable.
                """,
            subcommands: [Validate.self, Match.self, Simulate.self, Lint.self, Convert.self]
        )
    }
}

extension SDK: ExpressibleByArgument {}
extension RuleFileFormat: ExpressibleByArgument {}

/// Buffers standard output so a million JSON lines cost a few hundred writes.
struct OutputBuffer {
    private var buffer = ""

    mutating func append(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        fflush(nil)
        buffer.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(1, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
        buffer = ""
    }
}
