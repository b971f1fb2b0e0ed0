import ArgumentParser
import XRayRender
import XRayStore
import XRayWire

extension XRay.Inspect {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write stored traces as a BatchGetTraces response or as JSON lines, for `import` or other tools.",
            discussion: "With no TRACE, exports every stored trace. jsonl writes each stored document exactly as received, one per line."
        )

        @Argument(help: "Trace ids, unique prefixes, or `last`; none means all.")
        var traces: [String] = []

        @Option(name: .long, help: "xray (BatchGetTraces) or jsonl.")
        var format: TraceFileFormat = .xray

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            guard format != .auto else { throw ValidationError("--format must be xray or jsonl for export") }
        }

        func run() throws {
            try reportingFailures {
                let store = try storeOptions.open(readOnly: true)
                do {
                    let ids = try traces.isEmpty ? store.allTraceIDs() : traces.map { try store.resolveTraceID($0) }
                    switch format {
                    case .jsonl:
                        for id in ids {
                            for doc in try store.documents(traceID: id) { print(Self.jsonLine(doc.raw)) }
                        }
                    default:
                        let trees = try ids.map { try store.trace($0) }
                        print(JSONWriter.prettyString(TraceViews.batchGetTraces(trees)))
                    }
                } catch let error as StoreError {
                    throw CommandFailure.store(error)
                }
            }
        }

        /// The raw document on one line: as received unless it spans lines, then re-written compactly.
        static func jsonLine(_ raw: [UInt8]) -> String {
            if !raw.contains(0x0A) && !raw.contains(0x0D) { return String(decoding: raw, as: UTF8.self) }
            guard let value = try? JSONParser.parse(raw).value else { return String(decoding: raw.filter { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self) }
            return JSONWriter.string(value)
        }
    }
}
