import ArgumentParser
import XRayQuery
import XRayRender
import XRayStore
import XRayWire

extension XRay.Inspect {
    struct Export: ParsableCommand {
        /// What `export` writes: X-Ray's own shapes, or OTLP/JSON for OpenTelemetry tools.
        enum Format: String, CaseIterable, ExpressibleByArgument {
            case xray, jsonl, otlp
        }

        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write stored traces as a BatchGetTraces response, as JSON lines, or as OTLP/JSON.",
            discussion: """
                With no TRACE, exports every stored trace (or those --filter selects). jsonl writes each stored document \
                exactly as received, one per line. otlp writes one OTLP/JSON ExportTraceServiceRequest (resourceSpans) \
                per line and trace, with ids converted as the OpenTelemetry X-Ray propagator does.
                """
        )

        @Argument(help: "Trace ids, unique prefixes, `last` or `last-run`; none means all.")
        var traces: [String] = []

        @OptionGroup var queryOptions: QueryOptions

        @Option(name: .long, help: "xray (BatchGetTraces), jsonl or otlp.")
        var format: Format = .xray

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            let querying = queryOptions.filter != nil || queryOptions.since != nil || queryOptions.start != nil || queryOptions.until != nil
            if querying && !traces.isEmpty {
                throw ValidationError("give trace ids or --filter/--since/--start/--until, not both")
            }
        }

        func run() throws {
            let query = try queryOptions.query()
            let store = try storeOptions.open(readOnly: true)
            let ids =
                try traces.isEmpty
                ? QueryEngine(store: store).traceIDs(query)
                : traces.map { t throws(StoreError) in try store.resolveTraceID(t) }
            switch format {
            case .jsonl:
                for id in ids {
                    for doc in try store.documents(traceID: id) { print(Self.jsonLine(doc.raw)) }
                }
            case .otlp:
                for id in ids {
                    print(JSONWriter.string(OTLPExport.request(try store.trace(id), originals: try store.originalSpans(traceID: id))))
                }
            case .xray:
                let trees = try ids.map { id throws(StoreError) in try store.trace(id) }
                print(JSONWriter.prettyString(TraceViews.batchGetTraces(trees)))
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
