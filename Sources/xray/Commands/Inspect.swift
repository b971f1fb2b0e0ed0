import ArgumentParser

extension XRay {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Look at stored traces: list, show, import and export them, and see rejected input.",
            subcommands: [
                Traces.self, Show.self, Import.self, Export.self, Rejects.self, Stats.self, Graph.self, Prune.self, Group.self, Insights.self, Diff.self,
            ]
        )
    }
}
