import Foundation
import Testing
import XRayTestSupport

/// `xray inspect traces/stats/graph/export/prune/group` with filter expressions, through the built binary.
@Suite struct QueryEndToEndTests {
    let dir: URL
    let store: String

    /// Two traces of our own (front -> orders with a fault; a slow ok call) on top of the SDK fixtures.
    static let documents = [
        #"{"trace_id":"1-65540000-000000000000000000000001","id":"a000000000000001","name":"front","start_time":1700000000,"end_time":1700000002.5,"fault":true,"http":{"request":{"method":"POST","url":"https://shop.example.com/api/pay"},"response":{"status":500}},"annotations":{"user":"u123"},"subsegments":[{"id":"a000000000000002","name":"orders","namespace":"remote","start_time":1700000000.1,"end_time":1700000002.4,"fault":true}]}"#,
        #"{"trace_id":"1-65540000-000000000000000000000001","id":"a000000000000003","parent_id":"a000000000000002","name":"orders","start_time":1700000000.2,"end_time":1700000002.3,"fault":true}"#,
        #"{"trace_id":"1-65540000-000000000000000000000002","id":"b000000000000001","name":"front","start_time":1700000100,"end_time":1700000103,"http":{"request":{"method":"GET","url":"https://shop.example.com/health"},"response":{"status":200}},"annotations":{"user":"u7"}}"#,
    ]

    init() throws {
        dir = try makeTemporaryDirectory("query")
        store = dir.appendingPathComponent("traces.sqlite").path
        for name in ["flask", "django", "aiohttp", "batch"] {
            let r = try XRayBinary.run(["inspect", "import", "--store", store, fixturesDirectory.appendingPathComponent("sdk/\(name).jsonl").path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let file = dir.appendingPathComponent("ours.jsonl")
        try Self.documents.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try XRayBinary.run(["inspect", "import", "--store", store, file.path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    func xray(_ arguments: [String]) throws -> CommandResult {
        try XRayBinary.run(arguments + ["--store", store])
    }

    func json(_ r: CommandResult) throws -> Any { try JSONSerialization.jsonObject(with: r.stdoutData) }

    @Test func tracesFilterInEveryFormat() throws {
        let table = try xray(["inspect", "traces", "--filter", "fault AND http.url CONTAINS \"/api/\""])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.split(separator: "\n").count == 2)
        #expect(table.stdout.contains("1-65540000-000000000000000000000001"))

        let object = try #require(try json(try xray(["inspect", "traces", "--filter", "annotation.user = \"u123\"", "--format", "json"])) as? [String: Any])
        let summaries = try #require(object["TraceSummaries"] as? [[String: Any]])
        #expect(summaries.count == 1)
        #expect(summaries[0]["Id"] as? String == "1-65540000-000000000000000000000001")
        #expect(summaries[0]["HasFault"] as? Bool == true)
        let annotations = try #require(summaries[0]["Annotations"] as? [String: [[String: Any]]])
        #expect((annotations["user"]?.first?["AnnotationValue"] as? [String: Any])?["StringValue"] as? String == "u123")
        #expect((summaries[0]["ServiceIds"] as? [[String: Any]])?.compactMap { $0["Name"] as? String }.sorted() == ["front", "orders"])

        let jsonl = try xray(["inspect", "traces", "--filter", "service(\"orders\") { fault }", "--format", "jsonl"])
        #expect(jsonl.stdout.split(separator: "\n").count == 1)
        let csv = try xray(["inspect", "traces", "--filter", "edge(\"front\", \"orders\") { responsetime > 2 }", "--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").count == 2)
        #expect(csv.stdout.hasPrefix("id,start,"))
    }

    @Test func countExitStatusWindowAndSort() throws {
        let count = try xray(["inspect", "traces", "--count", "--filter", "fault"])
        #expect(count.stdout == "3\n")
        let none = try xray(["inspect", "traces", "--count", "--exit-status", "--filter", "service(\"nowhere\")"])
        #expect(none.status == 1)
        #expect(none.stdout == "0\n")
        let some = try xray(["inspect", "traces", "--exit-status", "--filter", "responsetime >= 2.5", "--format", "jsonl"])
        #expect(some.status == 0)
        #expect(some.stdout.split(separator: "\n").count == 2)
        let sorted = try xray(["inspect", "traces", "--sort", "responsetime", "--limit", "1", "--format", "jsonl"])
        #expect(sorted.stdout.contains("000000000000000000000002"))
        let window = try xray(["inspect", "traces", "--start", "2023-11-14T22:13:20Z", "--until", "1700000050", "--count"])
        #expect(window.stdout == "1\n")
        let recent = try xray(["inspect", "traces", "--since", "100000d", "--count"])
        #expect(recent.stdout == "12\n")
    }

    @Test func aBadExpressionExits65WithACaret() throws {
        let bad = try xray(["inspect", "traces", "--filter", "responsetime >> 2"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("invalid filter expression: expected a number"))
        #expect(bad.stderr.contains("  responsetime >> 2\n                ^"), "the caret is under the second >")
        let unsupported = try xray(["inspect", "traces", "--filter", "group.arn = \"x\""])
        #expect(unsupported.status == 65)
        #expect(unsupported.stderr.contains("unsupported filter expression"))
        let badTime = try xray(["inspect", "traces", "--since", "yesterday"])
        #expect(badTime.status == 64)
    }

    @Test func statsEveryGroupingAndFormat() throws {
        let table = try xray(["inspect", "stats", "--by", "service"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("SERVICE"))
        #expect(table.stdout.contains("orders"))
        let rows = try #require(try json(try xray(["inspect", "stats", "--filter", "http.url CONTAINS \"shop\"", "--format", "json"])) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows[0]["count"] as? Int == 2)
        #expect(rows[0]["fault"] as? Int == 1)
        #expect(rows[0]["max"] as? Double == 3)
        let csv = try xray(["inspect", "stats", "--by", "annotation.user", "--format", "csv", "--filter", "http.url CONTAINS \"shop\""])
        #expect(csv.stdout.split(separator: "\n").map { String($0.prefix(9)) } == ["annotatio", "u123,1,0,", "u7,1,1,0,"])
        let byURL = try xray(["inspect", "stats", "--by", "url"])
        #expect(byURL.stdout.contains("https://shop.example.com/health"))
        let byOperation = try xray(["inspect", "stats", "--by", "operation"])
        #expect(byOperation.stdout.contains("front POST /api/pay"))
        let wrong = try xray(["inspect", "stats", "--by", "host"])
        #expect(wrong.status == 64)
    }

    @Test func graphEveryFormat() throws {
        let text = try xray(["inspect", "graph", "--filter", "http.url CONTAINS \"shop\""])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("-> orders: 1 call, 0 ok, 0 error (0 throttled), 1 fault"))
        let graph = try #require(try json(try xray(["inspect", "graph", "--format", "json"])) as? [String: Any])
        let services = try #require(graph["Services"] as? [[String: Any]])
        #expect(services.first?["Type"] as? String == "client")
        #expect(services.contains { $0["Name"] as? String == "flask-app" && $0["Root"] as? Bool == true })
        let dot = try xray(["inspect", "graph", "--format", "dot"])
        #expect(dot.stdout.hasPrefix("digraph xray {"))
        // The README's pipeline, through graphviz itself (Scripts/test installs it).
        let svg = try XRayBinary.run(["-Tsvg"], stdin: Data(dot.stdout.utf8), executable: try graphviz())
        #expect(svg.status == 0, "\(svg.stderr)")
        #expect(svg.stdout.contains("<svg") && svg.stdout.contains("orders"), "\(svg.stdout.prefix(300))")
        let mermaid = try xray(["inspect", "graph", "--format", "mermaid"])
        #expect(mermaid.stdout.hasPrefix("graph LR\n"))
    }

    @Test func exportWithAFilterInEveryFormat() throws {
        let otlp = try xray(["inspect", "export", "--filter", "annotation.user = \"u123\"", "--format", "otlp"])
        #expect(otlp.status == 0, "\(otlp.stderr)")
        let lines = otlp.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let request = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let resources = try #require(request["resourceSpans"] as? [[String: Any]])
        #expect(resources.count == 2)
        #expect(otlp.stdout.contains("\"traceId\":\"65540000000000000000000000000001\""))
        let jsonl = try xray(["inspect", "export", "--filter", "annotation.user = \"u123\"", "--format", "jsonl"])
        #expect(jsonl.stdout.split(separator: "\n").count == 2)
        let batch = try #require(try json(try xray(["inspect", "export", "--filter", "fault"])) as? [String: Any])
        #expect((batch["Traces"] as? [Any])?.count == 3)
        let both = try xray(["inspect", "export", "last", "--filter", "fault"])
        #expect(both.status == 64)
    }

    @Test func groupsCanBeSavedUsedAndRemoved() throws {
        #expect(try xray(["inspect", "group", "add", "slow", "responsetime > 2"]).status == 0)
        let duplicate = try xray(["inspect", "group", "add", "slow", "ok"])
        #expect(duplicate.status == 65)
        let broken = try xray(["inspect", "group", "add", "broken", "responsetime >"])
        #expect(broken.status == 65)
        #expect(try xray(["inspect", "group", "list"]).stdout == "slow\tresponsetime > 2\n")
        #expect(try xray(["inspect", "traces", "--count", "--filter", "group.name = \"slow\" AND !fault"]).stdout == "1\n")
        #expect(try xray(["inspect", "group", "remove", "slow"]).status == 0)
        #expect(try xray(["inspect", "group", "remove", "slow"]).status == 66)
        #expect(try xray(["inspect", "traces", "--filter", "group.name = \"slow\""]).status == 65)
    }

    @Test func pruneKeepsTheNewestAndDeletesOldOnes() throws {
        let kept = try xray(["inspect", "prune", "--keep-last", "5", "--vacuum"])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stderr.contains("pruned 7 traces"))
        #expect(try xray(["inspect", "traces", "--count"]).stdout == "5\n")
        #expect(try xray(["inspect", "prune", "--older-than", "0s"]).status == 0)
        #expect(try xray(["inspect", "traces", "--count"]).stdout == "0\n")
        #expect(try xray(["inspect", "prune"]).status == 64)
    }

    @Test func showDrawsAWaterfallAndAnHTMLPage() throws {
        let waterfall = try XRayBinary.run(
            ["inspect", "show", "1-65540000-000000000000000000000001", "--format", "waterfall", "--store", store],
            environment: ["COLUMNS": "72"])
        #expect(waterfall.status == 0, "\(waterfall.stderr)")
        let lines = waterfall.stdout.split(separator: "\n")
        #expect(lines.count == 4, "a header and one bar per entity")
        #expect(lines[1].hasPrefix("front") && lines[2].hasPrefix("  orders") && lines[3].hasPrefix("    orders"))
        let html = try xray(["inspect", "show", "1-65540000-000000000000000000000001", "--format", "html"])
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.stdout.contains("src="), "no external scripts or images")
        #expect(html.stdout.contains("<title>xray trace 1-65540000-000000000000000000000001</title>"))
    }
}
