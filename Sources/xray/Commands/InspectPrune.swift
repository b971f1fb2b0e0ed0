import ArgumentParser
import XRayQuery
import XRayStore
import XRayWire

extension XRay.Inspect {
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Delete old traces from the store.",
            discussion: "Deletes whole traces: their documents, entities, annotations and summaries. Rejected input and runs stay."
        )

        @Option(name: .long, help: ArgumentHelp("Delete traces that ended longer ago than this: 12h, 7d, 2w.", valueName: "duration"))
        var olderThan: String?

        @Option(name: .long, help: ArgumentHelp("Keep only the N newest traces (by start time).", valueName: "N"))
        var keepLast: Int?

        @Flag(name: .long, help: "Then run VACUUM to give the freed space back to the file system.")
        var vacuum = false

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            switch (olderThan, keepLast) {
            case (nil, nil): throw ValidationError("say what to delete with --older-than DURATION or --keep-last N")
            case (.some, .some): throw ValidationError("--older-than and --keep-last are alternatives; give one of them")
            default: break
            }
            if let olderThan { _ = try seconds(of: olderThan, flag: "--older-than") }
            if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more, not \(keepLast)") }
        }

        func run() throws {
            let store = try storeOptions.open()
            store.foldsWALOnClose = true
            let selection: PruneSelection
            if let olderThan {
                selection = .endedBefore(epochNow() - (try TimeSpec.duration(olderThan)))
            } else {
                selection = .keepLast(keepLast ?? 0)
            }
            let removed = try store.prune(selection, vacuum: vacuum)
            printError(
                "pruned " + Wording.count(removed.traces, "trace") + " (" + Wording.count(removed.documents, "document")
                    + ") from \(store.path)\(vacuum ? ", vacuumed" : "")")
        }
    }
}
