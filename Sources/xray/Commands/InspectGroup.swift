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
                try reportingFailures {
                    let store = try storeOptions.open()
                    do throws(QueryError) {
                        try GroupStore(store: store).add(name: name, filter: filter, now: epochNow())
                    } catch {
                        throw CommandFailure.query(error)
                    }
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List saved groups: name, a tab, and the filter.")

            @OptionGroup var storeOptions: StoreOptions

            func run() throws {
                try reportingFailures {
                    let store = try storeOptions.open()
                    do throws(QueryError) {
                        for g in try GroupStore(store: store).list() { print("\(g.name)\t\(g.filter)") }
                    } catch {
                        throw CommandFailure.query(error)
                    }
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a saved group (exit 66 when there is none of that name).")

            @Argument(help: "The group's name.")
            var name: String

            @OptionGroup var storeOptions: StoreOptions

            func run() throws {
                try reportingFailures {
                    let store = try storeOptions.open()
                    let removed: Bool
                    do throws(QueryError) {
                        removed = try GroupStore(store: store).remove(name: name)
                    } catch {
                        throw CommandFailure.query(error)
                    }
                    guard removed else {
                        throw CommandFailure.message("no group named \"\(name)\"; see the saved ones with: xray inspect group list", code: ExitCodes.noInput)
                    }
                }
            }
        }
    }
}
