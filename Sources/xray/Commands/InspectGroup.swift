import ArgumentParser
import XRayQuery

extension XRay.Inspect {
    struct Group: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group",
            abstract: "Save, list and remove named filters, which filters use as group.name = \"NAME\".",
            subcommands: [Add.self, List.self, Remove.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Save a filter expression under a name (checked first).")

            @Argument(help: "1 to 32 letters, digits, '-', '_' or '.'.")
            var name: String

            @Argument(help: "The filter expression.")
            var filter: String

            @OptionGroup var storeOptions: StoreOptions

            func run() throws {
                try GroupStore(store: try storeOptions.open()).add(name: name, filter: filter, now: epochNow())
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List saved groups: name, a tab, and the filter.")

            @OptionGroup var storeOptions: StoreOptions

            func run() throws {
                for g in try GroupStore(store: try storeOptions.open()).list() { print("\(g.name)\t\(g.filter)") }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a saved group (exit 66 when there is none of that name).")

            @Argument(help: "The group's name.")
            var name: String

            @OptionGroup var storeOptions: StoreOptions

            func run() throws {
                guard try GroupStore(store: try storeOptions.open()).remove(name: name) else { throw CommandError.noSuchGroup(name) }
            }
        }
    }
}
