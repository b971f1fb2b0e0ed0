import ArgumentParser
import XRayQuery

extension ServiceGraph.Format: ExpressibleByArgument {}

extension XRay.Inspect {
    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "graph",
            abstract: "The service graph of the matching traces: services, the client, calls between them and their statistics.",
            discussion: """
                json is the GetServiceGraph response shape; dot is Graphviz (xray inspect graph --format dot | dot -Tsvg); \
                mermaid pastes into Markdown.
                """
        )

        @OptionGroup var queryOptions: QueryOptions
        @OptionGroup var runsOptions: RunsOptions

        @Option(name: .long, help: "text, json, dot or mermaid.")
        var format: ServiceGraph.Format = .text

        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try queryOptions.withEngine(store: storeOptions, includeRuns: runsOptions.includeRuns) { (query, engine) throws(QueryError) in
                print(try ServiceGraph.build(query, engine: engine).render(format), terminator: "")
            }
        }
    }
}
