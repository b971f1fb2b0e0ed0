import ArgumentParser
import XRayRender
import XRayStore

extension XRay.Inspect {
    struct Rejects: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rejects",
            abstract: "List input that could not be stored: when, from where, why, and the raw bytes.",
            discussion: "Raw bytes are shown as text when they are UTF-8, else as base64."
        )

        @Option(name: .long, help: "At most this many rejects, newest first.")
        var limit: Int = 50

        @Option(name: .long, help: "table, json, jsonl or csv.")
        var format: ListingFormat = .table

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var colorOptions: ColorOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be a positive number, not \(limit)") }
        }

        func run() throws {
            let store = try storeOptions.open(readOnly: true)
            let rejects = try store.rejects(limit: limit)
            // On standard error, so that a pipe reading the listing sees no rows.
            if rejects.isEmpty && format == .table { printError("no rejects") }
            print(RejectListing.render(rejects, format: format, style: colorOptions.style), terminator: "")
        }
    }
}
