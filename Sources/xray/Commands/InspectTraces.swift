import ArgumentParser
import XRayRender
import XRayStore

extension XRay.Inspect {
    struct Traces: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the newest traces, one line each.",
            discussion: "json uses the GetTraceSummaries field names (Id, StartTime, Duration, ResponseTime, HasFault, ...)."
        )

        @Option(name: .long, help: "At most this many traces, newest first.")
        var limit: Int = 20

        @Option(name: .long, help: "table, json, jsonl or csv.")
        var format: ListingFormat = .table

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var colorOptions: ColorOptions

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be a positive number, not \(limit)") }
        }

        func run() throws {
            try reportingFailures {
                let store = try storeOptions.open(readOnly: true)
                do {
                    let traces = try store.traceSummaries(limit: limit)
                    print(TraceListing.render(traces, format: format, style: colorOptions.style), terminator: "")
                } catch let error as StoreError {
                    throw CommandFailure.store(error)
                }
            }
        }
    }
}
