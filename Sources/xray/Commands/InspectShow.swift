import ArgumentParser
import XRayRender
import XRayStore
import XRayWire

extension XRay.Inspect {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one whole trace as a tree, as JSON, or in the BatchGetTraces shape.",
            discussion: """
                TRACE is a trace id, a unique prefix of one, or `last` (the trace that most recently received data).
                tree: one line per entity with timing, HTTP, flags, annotations and cause. json: each entity's own \
                fields as received plus "children". xray: the BatchGetTraces response shape.
                """
        )

        @Argument(help: "A trace id, a unique prefix of one, or `last`.")
        var trace: String

        @Option(name: .long, help: "tree, json or xray.")
        var format: TraceViewFormat = .tree

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var colorOptions: ColorOptions

        func run() throws {
            try reportingFailures {
                let store = try storeOptions.open(readOnly: true)
                do {
                    let id = try store.resolveTraceID(trace)
                    let tree = try store.trace(id)
                    switch format {
                    case .tree: print(TraceViews.tree(tree, style: colorOptions.style), terminator: "")
                    case .json: print(JSONWriter.prettyString(TraceViews.json(tree)))
                    case .xray: print(JSONWriter.prettyString(TraceViews.batchGetTraces([tree])))
                    }
                } catch let error as StoreError {
                    throw CommandFailure.store(error)
                }
            }
        }
    }
}
