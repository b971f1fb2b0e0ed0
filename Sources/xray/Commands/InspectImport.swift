import ArgumentParser
import XRayStore

extension XRay.Inspect {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Store traces from JSON-lines segment documents or a BatchGetTraces response.",
            discussion: """
                A file whose first line opens with {"Traces" or is a lone { is a BatchGetTraces response as \
                `aws xray batch-get-traces` prints it; anything else is JSON lines (one document per line, each optionally after a \
                {"format":"json","version":1} header line), even when its first line is not JSON. Good documents are \
                stored; bad ones are reported as FILE:LINE: reason, kept as rejects (see `xray inspect rejects`), and \
                make the exit status 65. Lines over 64 KiB are rejected unread. A damaged store is refused (exit 74); \
                when the store fails part-way, the message says how many documents were stored before (exit 74).
                """
        )

        @Argument(help: "Files to read; - reads standard input.")
        var files: [String]

        @Option(name: .long, help: "auto, jsonl or xray (BatchGetTraces).")
        var format: TraceFileFormat = .auto

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            let store = try storeOptions.open(checkpointPages: 8000)
            try store.verify()
            store.foldsWALOnClose = true
            let importer = TraceImporter(store: store, now: epochNow)
            var total = ImportReport()
            for file in files {
                let report = try importer.importFile(file, format: format)
                for p in report.problems { printError(p) }
                total.counts += report.counts
                total.problems += report.problems
            }
            let c = total.counts
            let traces = Set(c.traceIDs).count
            printError("imported \(c.stored) documents into \(traces) traces (\(c.duplicates) duplicates, \(c.staleInProgress) stale in-progress, \(c.rejected) rejected) into \(store.path)")
            if c.rejected > 0 { throw CommandError.rejectedDocuments(c.rejected) }
        }
    }
}
