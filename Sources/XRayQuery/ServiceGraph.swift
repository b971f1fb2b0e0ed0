import XRayRender
import XRayStore
import XRayWire

/// Counts and response times of calls to a node or along an edge, in `GetServiceGraph`'s terms.
package struct CallStatistics: Sendable, Hashable {
    package var total = 0
    package var ok = 0
    /// 4xx other than throttling.
    package var errorOther = 0
    package var throttle = 0
    package var fault = 0
    package var totalResponseTime = 0.0
    /// Response time rounded to the millisecond, and how many calls took it.
    package var histogram: [Double: Int] = [:]

    package init() {}

    mutating func add(error: Bool, fault: Bool, throttle: Bool, responseTime: Double?) {
        total += 1
        if fault {
            self.fault += 1
        } else if throttle {
            self.throttle += 1
        } else if error {
            errorOther += 1
        } else {
            ok += 1
        }
        if let r = responseTime {
            totalResponseTime += r
            histogram[(r * 1000).rounded() / 1000, default: 0] += 1
        }
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("OkCount", .number(JSONNumber(ok))),
                (
                    "ErrorStatistics",
                    .object(
                        JSONObject([
                            ("ThrottleCount", .number(JSONNumber(throttle))), ("OtherCount", .number(JSONNumber(errorOther))),
                            ("TotalCount", .number(JSONNumber(throttle + errorOther))),
                        ]))
                ),
                ("FaultStatistics", .object(JSONObject([("OtherCount", .number(JSONNumber(fault))), ("TotalCount", .number(JSONNumber(fault)))]))),
                ("TotalCount", .number(JSONNumber(total))),
                ("TotalResponseTime", .number(JSONNumber((totalResponseTime * 1e6).rounded() / 1e6))),
            ]))
    }

    var histogramJSON: JSONValue {
        .array(
            histogram.sorted { $0.key < $1.key }.map {
                .object(JSONObject([("Value", .number(JSONNumber($0.key))), ("Count", .number(JSONNumber($0.value)))]))
            })
    }
}

/// The service graph of the matching traces: one node per service (name and type), a `client` node for
/// callers that were not traced, and an edge per caller/callee pair (see `FilterCompiler` for what a node is).
package struct ServiceGraph: Sendable {
    package struct Node: Sendable, Hashable {
        package var referenceID: Int
        package var name: String
        package var type: String?
        /// Called by the client: the service is an entry point.
        package var isRoot = false
        package var statistics = CallStatistics()
        package var edges: [Int: CallStatistics] = [:]
        package var start = Double.infinity
        package var end = -Double.infinity
    }

    /// Nodes in order of first appearance; index 0 is the client.
    package var nodes: [Node]
    package var start: Double
    package var end: Double

    /// The type shown for a node: the segment's `origin`, `AWS::Name` for an AWS SDK call, `remote` for other calls.
    static func nodeType(origin: String?, kind: Int, namespace: String?, name: String) -> String? {
        if let origin { return origin }
        guard kind == 1 else { return nil }
        return namespace == "aws" ? "AWS::\(name)" : "remote"
    }

    /// What a service node is, from the filter compiler's fragments, for the store's node reads.
    static func nodeSQL(includeRuns: Bool = true) -> ServiceNodeSQL {
        var fragments = FilterCompiler(groups: [:])
        fragments.serviceNode("c")
        return ServiceNodeSQL(
            isNode: fragments.sql + (includeRuns ? "" : notRunSQL), parentSegment: fragments.owningSegmentID("p"), ownSegment: fragments.owningSegmentID("c"))
    }

    /// Leaves out the node alias `c` when it is `xray run`'s own segment.
    static let notRunSQL = " AND c.origin IS NOT '\(TraceStore.runOrigin)'"

    /// Builds the graph of the traces `query` selects (its limit and order are ignored).
    package static func build(_ query: TraceQuery, engine: QueryEngine) throws(QueryError) -> ServiceGraph {
        let filter = try engine.whereClause(query)
        var graph = ServiceGraph(nodes: [Node(referenceID: 0, name: "client", type: "client")], start: .infinity, end: -.infinity)
        var index: [String: Int] = [:]
        func node(_ name: String, _ type: String?) -> Int {
            let key = name + "\u{1F}" + (type ?? "")
            if let i = index[key] { return i }
            graph.nodes.append(Node(referenceID: graph.nodes.count, name: name, type: type))
            index[key] = graph.nodes.count - 1
            return graph.nodes.count - 1
        }
        try engine.reading { () throws(StoreError) in
            try engine.store.serviceNodes(ofTracesMatching: filter, nodeSQL(includeRuns: query.includeRuns)) { row in
                let callee = node(row.name, nodeType(origin: row.origin, kind: row.kind, namespace: row.namespace, name: row.name))
                let caller: Int
                // Without runs, what a run's segment called (a --lambda script's calls) hangs off the client.
                if let calling = row.caller, query.includeRuns || calling.origin != TraceStore.runOrigin {
                    caller = node(calling.name, calling.origin)
                } else {
                    caller = 0
                    graph.nodes[callee].isRoot = true
                }
                graph.nodes[callee].statistics.add(error: row.error, fault: row.fault, throttle: row.throttle, responseTime: row.responseTime)
                graph.nodes[caller].edges[callee, default: CallStatistics()].add(
                    error: row.error, fault: row.fault, throttle: row.throttle, responseTime: row.responseTime)
                for i in [caller, callee] {
                    graph.nodes[i].start = min(graph.nodes[i].start, row.start)
                    graph.nodes[i].end = max(graph.nodes[i].end, row.end)
                }
                graph.start = min(graph.start, row.start)
                graph.end = max(graph.end, row.end)
            }
        }
        if graph.nodes.count == 1 { graph.nodes.removeAll() }
        return graph
    }

    /// Output formats of `xray inspect graph`.
    package enum Format: String, Sendable, CaseIterable {
        case text, json, dot, mermaid
    }

    package func render(_ format: Format) -> String {
        switch format {
        case .json: return JSONWriter.prettyString(json) + "\n"
        case .text: return text
        case .dot: return dot
        case .mermaid: return mermaid
        }
    }

    /// A node's name and type for the human formats, control characters shown escaped (`TerminalText`).
    func label(_ n: Node) -> String { TerminalText.escape(n.type.map { "\(n.name) (\($0))" } ?? n.name) }

    static func seconds(_ d: Double) -> JSONValue { .number(JSONNumber(d.isFinite ? (d * 1e6).rounded() / 1e6 : 0)) }

    /// The `GetServiceGraph` response shape.
    package var json: JSONValue {
        .object(
            JSONObject([
                ("StartTime", Self.seconds(start)),
                ("EndTime", Self.seconds(end)),
                (
                    "Services",
                    .array(
                        nodes.map { n in
                            var o = JSONObject([
                                ("ReferenceId", .number(JSONNumber(n.referenceID))), ("Name", .string(n.name)),
                                ("Names", .array([.string(n.name)])), ("Root", .bool(n.isRoot)),
                            ])
                            if let t = n.type { o["Type"] = .string(t) }
                            o["State"] = .string("active")
                            o["StartTime"] = Self.seconds(n.start)
                            o["EndTime"] = Self.seconds(n.end)
                            o["Edges"] = .array(
                                n.edges.sorted { $0.key < $1.key }.map { target, stats in
                                    .object(
                                        JSONObject([
                                            ("ReferenceId", .number(JSONNumber(target))), ("StartTime", Self.seconds(n.start)),
                                            ("EndTime", Self.seconds(n.end)), ("SummaryStatistics", stats.json),
                                            ("ResponseTimeHistogram", stats.histogramJSON), ("Aliases", .array([])),
                                        ]))
                                })
                            if n.referenceID != 0 {
                                o["SummaryStatistics"] = n.statistics.json
                                o["DurationHistogram"] = n.statistics.histogramJSON
                                o["ResponseTimeHistogram"] = n.statistics.histogramJSON
                            }
                            return .object(o)
                        })
                ),
                ("ContainsOldGroupVersions", .bool(false)),
            ]))
    }

    static func summary(_ s: CallStatistics) -> String {
        let average = Durations.milliseconds(s.total > 0 ? s.totalResponseTime / Double(s.total) : 0)
        return Wording.count(s.total, "call") + ", \(s.ok) ok, \(s.errorOther + s.throttle) error (\(s.throttle) throttled), \(s.fault) fault, avg \(average)ms"
    }

    var text: String {
        var out = ""
        for n in nodes {
            out += label(n) + (n.isRoot ? "  [entry]" : "") + "\n"
            if n.referenceID != 0 { out += "  " + Self.summary(n.statistics) + "\n" }
            for (target, stats) in n.edges.sorted(by: { $0.key < $1.key }) {
                out += "  -> \(label(nodes[target])): " + Self.summary(stats) + "\n"
            }
        }
        return out
    }

    /// A DOT double-quoted string: only `"` and `\` are special inside one (graphviz.org/doc/info/lang.html).
    static func quoted(_ s: String) -> String {
        "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    var dot: String {
        var out = "digraph xray {\n  rankdir=LR;\n"
        for n in nodes {
            let shape = n.referenceID == 0 ? "ellipse" : "box"
            let colour = n.statistics.fault > 0 ? ", color=red" : (n.statistics.errorOther + n.statistics.throttle > 0 ? ", color=orange" : "")
            out += "  n\(n.referenceID) [label=\(Self.quoted(label(n))), shape=\(shape)\(colour)];\n"
        }
        for n in nodes {
            for (target, stats) in n.edges.sorted(by: { $0.key < $1.key }) {
                out += "  n\(n.referenceID) -> n\(target) [label=\(Self.quoted(Wording.count(stats.total, "call") + ", \(stats.fault) fault"))];\n"
            }
        }
        return out + "}\n"
    }

    var mermaid: String {
        var out = "graph LR\n"
        // Mermaid labels take entity codes (`#quot;`); `#` starts one, and `<`/`>` would be read as HTML.
        func text(_ s: String) -> String {
            "\"" + s.replacing("#", with: "#35;").replacing("\"", with: "#quot;").replacing("<", with: "#lt;").replacing(">", with: "#gt;") + "\""
        }
        for n in nodes { out += "  n\(n.referenceID)[\(text(label(n)))]\n" }
        for n in nodes {
            for (target, stats) in n.edges.sorted(by: { $0.key < $1.key }) {
                out += "  n\(n.referenceID) -->|\(text(Wording.count(stats.total, "call") + ", \(stats.fault) fault"))| n\(target)\n"
            }
        }
        return out
    }
}
