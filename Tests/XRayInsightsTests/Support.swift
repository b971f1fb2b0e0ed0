import Testing
import XRayInsights
import XRayWire

/// A hand-built entity: times in seconds from the trace's start, children inline.
struct Node {
    var name: String
    var start: Double
    var end: Double?
    var children: [Node] = []
    var sql: String?
    var url: String?
    var method: String = "GET"
    var status: Int?
    var fault = false
    var error = false
    var namespace: String?

    init(
        _ name: String, _ start: Double, _ end: Double?, sql: String? = nil, url: String? = nil, method: String = "GET",
        status: Int? = nil, fault: Bool = false, error: Bool = false, namespace: String? = nil, _ children: [Node] = []
    ) {
        self.name = name
        self.start = start
        self.end = end
        self.sql = sql
        self.url = url
        self.method = method
        self.status = status
        self.fault = fault
        self.error = error
        self.namespace = namespace
        self.children = children
    }
}

let base = 1_700_000_000.0
let traceID = "1-65540000-000000000000000000000001"

/// One segment document holding `root` and its subtree, assembled the way the store assembles it.
func tree(_ root: Node, id: String = traceID) throws -> TraceTree {
    var counter = 0
    func json(_ n: Node, top: Bool) -> String {
        counter += 1
        let hexID = String(counter, radix: 16)
        var fields = [
            "\"id\":\"\(String(repeating: "0", count: 16 - hexID.count) + hexID)\"",
            "\"name\":\"\(n.name)\"",
            "\"start_time\":\(base + n.start)",
        ]
        if top { fields.insert("\"trace_id\":\"\(id)\"", at: 0) }
        if let end = n.end { fields.append("\"end_time\":\(base + end)") } else { fields.append("\"in_progress\":true") }
        if let sql = n.sql { fields.append("\"sql\":{\"sanitized_query\":\"\(sql)\",\"database_type\":\"sqlite\"}") }
        if n.url != nil || n.status != nil {
            var http = ""
            if let url = n.url { http += "\"request\":{\"method\":\"\(n.method)\",\"url\":\"\(url)\"}" }
            if let status = n.status { http += (http.isEmpty ? "" : ",") + "\"response\":{\"status\":\(status)}" }
            fields.append("\"http\":{\(http)}")
        }
        if let ns = n.namespace { fields.append("\"namespace\":\"\(ns)\"") }
        if n.fault { fields.append("\"fault\":true") }
        if n.error { fields.append("\"error\":true") }
        if !n.children.isEmpty { fields.append("\"subsegments\":[" + n.children.map { json($0, top: false) }.joined(separator: ",") + "]") }
        return "{" + fields.joined(separator: ",") + "}"
    }
    let document = try SegmentDocumentParser.parse(json(root, top: true))
    return TraceAssembler.assemble(traceID: id, documents: [document])
}

/// `count` queries one after another from `at`, each `each` seconds long.
func queries(_ count: Int, at: Double = 0.01, each: Double = 0.002, _ text: (Int) -> String) -> [Node] {
    (0..<count).map { i in
        Node("execute", at + Double(i) * each, at + Double(i + 1) * each, sql: text(i), namespace: "remote")
    }
}
