import ArgumentParser
import XRayConsole
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
            abstract: "Show one whole trace as a tree, as JSON, in the BatchGetTraces shape, as a terminal waterfall, or as an HTML page.",
            discussion: """
                TRACE is a trace id, a unique prefix of one, `last` (the trace that most recently received data besides \
                xray run's own segment: a request, or a --lambda run's trace) or `last-run` (the last xray run's own trace).
                tree: one line per entity with timing, HTTP, flags, annotations and cause. json: each entity's own \
                fields as received plus "children". xray: the BatchGetTraces response shape. waterfall: a timeline, \
                one bar per entity scaled to the terminal ($COLUMNS), in-progress and faulty bars marked. \
                html: the console's trace view (xray ui) as one self-contained file that opens offline: timeline and \
                tree, legend, search, each entity's details tabs, and the X-Ray JSON download (OTLP/JSON needs the \
                store: xray inspect export --format otlp): xray inspect show last --format html > trace.html.
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
                print(TraceFile.page(traceID: id, xray: JSONWriter.prettyString(TraceViews.batchGetTraces([tree]))), terminator: "")
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
