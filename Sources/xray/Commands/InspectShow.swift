import ArgumentParser
import XRayRender
import XRayStore
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

extension XRay.Inspect {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one whole trace as a tree, as JSON, in the BatchGetTraces shape, or as a waterfall (terminal or HTML).",
            discussion: """
                TRACE is a trace id, a unique prefix of one, `last` (the trace that most recently received data besides \
                xray run's own segment: a request, or a --lambda run's trace) or `last-run` (the last xray run's own trace).
                tree: one line per entity with timing, HTTP, flags, annotations and cause. json: each entity's own \
                fields as received plus "children". xray: the BatchGetTraces response shape. waterfall: a timeline, \
                one bar per entity scaled to the terminal ($COLUMNS), in-progress and faulty bars marked. \
                html: one self-contained page (no network) with the waterfall, each entity's fields on click and the \
                raw documents: xray inspect show last --format html > trace.html.
                """
        )

        @Argument(help: "A trace id, a unique prefix of one, `last` or `last-run`.")
        var trace: String

        @Option(name: .long, help: "tree, json, xray, waterfall or html.")
        var format: TraceViewFormat = .tree

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var colorOptions: ColorOptions

        func run() throws {
            let store = try storeOptions.open(readOnly: true)
            let id = try store.resolveTraceID(trace)
            let tree = try store.trace(id)
            switch format {
            case .tree: print(TraceViews.tree(tree, style: colorOptions.style), terminator: "")
            case .json: print(JSONWriter.prettyString(TraceViews.json(tree)))
            case .xray: print(JSONWriter.prettyString(TraceViews.batchGetTraces([tree])))
            case .waterfall:
                print(Waterfall.text(tree, width: Self.terminalWidth(), style: colorOptions.style), terminator: "")
            case .html:
                let documents = try store.documents(traceID: id).map { String(decoding: $0.raw, as: UTF8.self) }
                print(Waterfall.html(tree, documents: documents), terminator: "")
            }
        }

        /// $COLUMNS, else the terminal's width, else 100 columns (a pipe).
        static func terminalWidth() -> Int {
            if let columns = Environment.current["COLUMNS"].flatMap({ Int($0) }), columns > 20 { return columns }
            var size = winsize()
            if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
            return 100
        }
    }
}
