import ArgumentParser
import XRayRender
import XRaySampling
import XRayWire

extension XRay.Rules {
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate",
            abstract: "Replay timestamped requests through the SDK's reservoir and rate logic.",
            discussion: """
                Each request line carries "t" (epoch seconds); with --rate and --duration a uniform stream is \
                generated from the requests instead. Reports per rule: matched, sampled by reservoir, by rate, \
                borrowed, not sampled and sampled per second. Decisions use Python's random.Random(seed + client), \
                so a seed always gives the same counts, the ones the Python SDK gives.
                """
        )

        @Argument(help: "The rules file.")
        var file: String

        @Option(help: "A JSON Lines file of requests with \"t\"; - for stdin.")
        var requests: String

        @Option(help: "Processes sharing the traffic (centralized quotas are divided between them).")
        var clients: Int = 1

        @Option(help: "Seed of the random draws (a non-negative integer).")
        var seed: UInt64 = 0

        @Option(help: "Generate a uniform stream at this rate, such as 200/s (needs --duration).")
        var rate: String?

        @Option(help: "Length of the generated stream, such as 60s or 2m (needs --rate).")
        var duration: String?

        @Option(help: "Output: text or json.")
        var format: ReportFormat = .text

        @Option(help: "Read the rules file as local or centralized instead of detecting it.")
        var rulesFormat: RuleFileFormat?

        enum ReportFormat: String, ExpressibleByArgument { case text, json }

        func validate() throws {
            guard (1...10_000).contains(clients) else { throw ValidationError("--clients must be between 1 and 10000") }
            if (rate == nil) != (duration == nil) {
                throw ValidationError("--rate and --duration go together, such as --rate 200/s --duration 60s")
            }
            if let rate, Self.number(rate, unit: "/s") == nil {
                throw ValidationError("--rate must be requests per second such as 200/s, not '\(rate)'")
            }
            if let duration, try seconds(of: duration, flag: "--duration") <= 0 {
                throw ValidationError("--duration must be longer than 0, not '\(duration)'")
            }
            if let r = rate.flatMap({ Self.number($0, unit: "/s") }), let duration, r * (try seconds(of: duration, flag: "--duration")) > 100_000_000 {
                throw ValidationError("--rate times --duration is over 100,000,000 requests; shorten --duration")
            }
        }

        /// A positive number with an optional unit suffix: `200/s`, `200`.
        static func number(_ text: String, unit: String) -> Double? {
            let digits = text.hasSuffix(unit) ? String(text.dropLast(unit.count)) : text
            guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
            return value
        }

        func run() throws {
            var generated: SimulationOptions.GeneratedStream?
            if let r = rate.flatMap({ Self.number($0, unit: "/s") }), let duration {
                generated = .init(rate: r, duration: try seconds(of: duration, flag: "--duration"))
            }
            let document = try InputFile.loadRules(file, format: rulesFormat)
            let requestList = try RequestReader.readAll(InputFile.bytes(at: requests), file: requests)
            let result = try Simulator.run(
                document: document, requests: requestList, file: requests,
                options: SimulationOptions(clients: clients, seed: seed, generated: generated))
            switch format {
            case .text: print(result.text, terminator: "")
            case .json: print(JSONWriter.prettyString(result.jsonValue))
            }
        }
    }
}

extension SimulationResult {
    /// A table for people: one line per rule in file order, then the default.
    var text: String {
        let header = ["rule", "matched", "sampled", "reservoir", "rate", "borrowed", "not sampled", "sampled/s"]
        func row(_ label: String, _ c: SamplingCounts) -> [String] {
            let perSecond = Double(c.sampled) / Double(max(seconds, 1))
            return [
                label, String(c.matched), String(c.sampled), String(c.sampledByReservoir), String(c.sampledByRate),
                String(c.borrowed), String(c.notSampled), String((perSecond * 1000).rounded() / 1000),
            ]
        }
        var rows = rules.enumerated().map { index, counts in row(document.label(.rule(index)), counts) }
        if let localDefault { rows.append(row("default", localDefault)) }
        if let fallback { rows.append(row("built-in local default (no rule matched)", fallback)) }
        return Wording.count(requests, "request") + " over \(seconds) s, " + Wording.count(options.clients, "client") + ", seed \(options.seed)\n"
            + TextTable.render(header: header, rows: rows, alignments: [.left] + Array(repeating: .right, count: header.count - 1))
    }
}
