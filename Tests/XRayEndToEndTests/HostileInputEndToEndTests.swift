import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// Requests, filters and documents built to crash or exhaust xray, through the built binary and a real
/// daemon socket: each must get a clear error or a sane answer, and the process must live on.
@Suite(.serialized) struct HostileInputEndToEndTests {
    static let traceID = "1-65540000-00000000000000000000dead"

    /// A fresh store and, when asked, a daemon on it.
    final class Fixture {
        let folder: URL
        var store: String { folder.appendingPathComponent("traces.sqlite").path }

        init() throws { folder = try makeTemporaryDirectory("xray-hostile") }
        deinit { try? FileManager.default.removeItem(at: folder) }

        /// Imports `documents` (one JSON document a line) with `xray inspect import`.
        func importDocuments(_ documents: [String], status: Int32 = 0) throws {
            let file = folder.appendingPathComponent("in-\(UUID().uuidString).jsonl")
            try documents.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let r = try XRayBinary.run(["inspect", "import", "--store", store, file.path])
            #expect(r.status == status, "\(r.stderr)")
        }

        func xray(_ arguments: [String]) throws -> CommandResult {
            try XRayBinary.run(arguments + ["--store", store])
        }

        func daemon() throws -> DaemonProcess {
            try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        }
    }

    /// A chain of `depth` tiny subsegments under one segment, each the parent of the next.
    static func chain(depth: Int, traceID: String = traceID, start: String = "1700000000") -> [String] {
        var out = [#"{"trace_id":"\#(traceID)","id":"\#(spanID(0))","name":"top","start_time":\#(start),"end_time":1700000001}"#]
        for i in 1...depth {
            out.append(
                #"{"type":"subsegment","trace_id":"\#(traceID)","id":"\#(spanID(i))","parent_id":"\#(spanID(i - 1))","name":"s\#(i)","start_time":1700000000.5,"end_time":1700000000.6}"#
            )
        }
        return out
    }

    static func spanID(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: 1. integers

    /// A NextToken near Int.max used to overflow `offset + page` and kill the daemon; now it is a 400 and the
    /// daemon answers the next request.
    @Test func aHugeNextTokenIsRefusedAndTheDaemonLives() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 1))
        let daemon = try f.daemon()
        defer { daemon.kill() }
        for token in ["9223372036854775707", "-100", "+100", "12", "1e3"] {
            let r = try HTTP.post(port: daemon.port, "/TraceSummaries", #"{"NextToken":"\#(token)"}"#)
            #expect(r.status == 400, "\(token): \(r.body)")
            #expect(r.body.contains("InvalidRequestException"))
        }
        let number = try HTTP.post(port: daemon.port, "/TraceSummaries", #"{"NextToken":9223372036854775707}"#)
        #expect(number.status == 400)
        let ok = try HTTP.post(port: daemon.port, "/TraceSummaries", "{}")
        #expect(ok.status == 200)
        #expect(ok.body.contains(Self.traceID))
    }

    /// The same request against `xray run`'s embedded collector used to kill the run and its child; now the
    /// child gets its 400 and the run ends with the child's own status.
    @Test func aHugeNextTokenDoesNotKillXRayRun() throws {
        let f = try Fixture()
        let script = """
            import os, urllib.request, urllib.error
            url = "http://" + os.environ["AWS_XRAY_DAEMON_ADDRESS"] + "/TraceSummaries"
            request = urllib.request.Request(url, data=b'{"NextToken":"9223372036854775707"}', method="POST", headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(request)
                print("status 200")
            except urllib.error.HTTPError as e:
                print("status", e.code)
            """
        let r = try XRayBinary.run(["run", "--quiet", "--store", f.store, "--", testPython ?? "/usr/bin/python3", "-c", script])
        #expect(r.status == 0, "\(r.stderr.prefix(300))")
        #expect(r.stdout.contains("status 400"), "\(r.stdout)")
    }

    /// `--limit` beyond what the store can hold is refused as usage (64), not overflowed.
    @Test func aHugeLimitIsAUsageErrorOrWorks() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 1))
        let max = try f.xray(["inspect", "traces", "--limit", "9223372036854775807"])
        #expect(max.status == 0, "\(max.stderr)")
        #expect(max.stdout.contains(Self.traceID))
        let over = try f.xray(["inspect", "traces", "--limit", "92233720368547758070"])
        #expect(over.status == 64)
        let rejects = try f.xray(["inspect", "rejects", "--limit", "9223372036854775807"])
        #expect(rejects.status == 0, "\(rejects.stderr)")
    }

    // MARK: 2. filters

    /// 13 KB filters of each shape that used to overflow a stack: exit 65 with a caret on the CLI, a 400
    /// over HTTP, and the daemon still answers.
    static let hostileFilters = [
        String(repeating: "!", count: 13_000) + "fault",
        Array(repeating: "fault", count: 2_600).joined(separator: " AND "),
        String(repeating: "(", count: 6_500) + "fault" + String(repeating: ")", count: 6_500),
        Array(repeating: "fault", count: 5_000).joined(separator: " OR "),
    ]

    @Test func hostileFiltersAreRefusedOnTheCommandLine() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 1))
        for filter in Self.hostileFilters {
            let r = try f.xray(["inspect", "traces", "--filter", filter])
            #expect(r.status == 65, "\(filter.prefix(20)): \(r.stderr.prefix(300))")
            #expect(r.stderr.contains("invalid filter expression") && r.stderr.contains("^"))
        }
        let wide = try f.xray(["inspect", "traces", "--filter", Array(repeating: "ok", count: 1000).joined(separator: " OR ")])
        #expect(wide.status == 0, "\(wide.stderr.prefix(300))")
        #expect(wide.stdout.contains(Self.traceID))
    }

    @Test func hostileFiltersAreA400OverHTTP() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 1))
        let daemon = try f.daemon()
        defer { daemon.kill() }
        for filter in Self.hostileFilters {
            let body = #"{"FilterExpression":"\#(filter)"}"#
            let r = try HTTP.post(port: daemon.port, "/TraceSummaries", body)
            #expect(r.status == 400, "\(r.body.prefix(300))")
            #expect(r.body.contains("InvalidRequestException"))
            #expect(!r.body.contains(f.folder.path) && !r.body.contains("SELECT"))
        }
        let ok = try HTTP.post(port: daemon.port, "/TraceSummaries", #"{"FilterExpression":"ok"}"#)
        #expect(ok.status == 200 && ok.body.contains(Self.traceID))
    }

    // MARK: 3. deep trees

    func parsesAsJSON(_ data: Data) -> Bool { (try? JSONSerialization.jsonObject(with: data)) != nil }

    /// A 20,000-deep parent_id chain used to crash every view and the export of the whole store: each now
    /// completes, JSON output nests at most `maxNesting` levels and says where the rest went.
    @Test func aTwentyThousandDeepChainShowsInEveryFormatAndExports() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 20_000))
        var shown: [String: CommandResult] = [:]
        for format in ["tree", "json", "xray", "waterfall", "html"] {
            let r = try f.xray(["inspect", "show", "--format", format, Self.traceID])
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(300))")
            shown[format] = r
        }
        #expect(shown["tree"]?.stdout.contains("[depth 20000] s20000") == true)
        #expect(shown["waterfall"]?.stdout.contains("[20000] s20000") == true)
        let object = try #require(try JSONSerialization.jsonObject(with: shown["json"]?.stdoutData ?? Data()) as? [String: Any])
        let segments = try #require(object["segments"] as? [[String: Any]])
        #expect(segments.count == 1 + 20_000 / 64, "the top plus one detached subtree every 64 levels")
        #expect(segments[1]["nested_in"] as? String == Self.spanID(63))
        for format in ["xray", "otlp"] {
            let r = try f.xray(["inspect", "export", "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(300))")
            #expect(parsesAsJSON(r.stdoutData), "\(format)")
        }
        let listing = try f.xray(["inspect", "traces", "--format", "json"])
        #expect(listing.status == 0, "\(listing.stderr.prefix(300))")
    }

    /// The BatchGetTraces export of a chain deeper than `maxNesting` reads back as the same entities.
    @Test func aDeepChainExportReadsBack() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 300))
        let export = try f.xray(["inspect", "export", "--format", "xray"])
        #expect(export.status == 0)
        let again = try Fixture()
        let file = again.folder.appendingPathComponent("export.json")
        try export.stdoutData.write(to: file)
        let imported = try again.xray(["inspect", "import", file.path])
        #expect(imported.status == 0, "\(imported.stderr.prefix(300))")
        let before = try f.xray(["inspect", "show", "--format", "tree", Self.traceID])
        let after = try again.xray(["inspect", "show", "--format", "tree", Self.traceID])
        #expect(after.stdout == before.stdout && before.stdout.contains("[depth 300] s300"))
    }

    /// A 10,000-deep chain sent in PutTraceSegments calls, then BatchGetTraces and GetTraceSummaries over the
    /// daemon's socket: both answer, and the root cause path is bounded.
    @Test func aTenThousandDeepChainOverHTTP() throws {
        let f = try Fixture()
        let daemon = try f.daemon()
        defer { daemon.kill() }
        var documents = Self.chain(depth: 10_000)
        documents[documents.count - 1] = documents[documents.count - 1].replacingOccurrences(of: #""end_time""#, with: #""fault":true,"end_time""#)
        for start in stride(from: 0, to: documents.count, by: 2_500) {
            let batch = documents[start..<min(start + 2_500, documents.count)].map { "\"" + $0.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            let r = try HTTP.post(port: daemon.port, "/TraceSegments", #"{"TraceSegmentDocuments":[\#(batch.joined(separator: ","))]}"#)
            #expect(r.status == 200 && r.body.contains(#""UnprocessedTraceSegments":[]"#), "\(r.body.prefix(300))")
        }
        let traces = try HTTP.post(port: daemon.port, "/Traces", #"{"TraceIds":["\#(Self.traceID)"]}"#)
        #expect(traces.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(traces.body.utf8)) as? [String: Any])
        #expect((body["Traces"] as? [Any])?.count == 1)
        let summaries = try HTTP.post(port: daemon.port, "/TraceSummaries", "{}")
        #expect(summaries.status == 200)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(summaries.body.utf8)) as? [String: Any])
        let summary = try #require((list["TraceSummaries"] as? [[String: Any]])?.first)
        let cause = try #require((summary["FaultRootCauses"] as? [[String: Any]])?.first)
        let path = try #require(((cause["Services"] as? [[String: Any]])?.first)?["EntityPath"] as? [[String: Any]])
        #expect(path.count == 64 && path.last?["Name"] as? String == "s10000")
    }

    // MARK: 4. absurd times

    /// The widest times intake accepts (the epoch itself to the last second of 9999, an in-progress entity at
    /// that last second) used to trap converting a Double to an Int (nanoseconds past UInt64 in OTLP, bar
    /// widths): every view and export completes, JSON has no inf or nan, the HTML has finite widths. Times past
    /// that range are refused at intake (SharedStoreEndToEndTests); the views guard them all the same.
    @Test func absurdTimesRenderAndExport() throws {
        let f = try Fixture()
        let absurd = "1-65540000-0000000000000000000000ab"
        try f.importDocuments(
            [
                #"{"trace_id":"\#(absurd)","id":"00000000000000a1","name":"huge","start_time":0,"end_time":253402300799,"subsegments":[{"id":"00000000000000a2","name":"later","start_time":253402300799,"in_progress":true}]}"#
            ] + Self.chain(depth: 2))
        for format in ["tree", "json", "xray", "waterfall", "html"] {
            let r = try f.xray(["inspect", "show", "--format", format, absurd])
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(300))")
            for bad in ["inf", "nan", "NaN", "Infinity"] where format == "json" || format == "xray" || format == "html" {
                #expect(!r.stdout.contains(":\(bad)") && !r.stdout.contains(": \(bad)") && !r.stdout.contains(":-\(bad)"), "\(format) has \(bad)")
            }
            if format == "json" || format == "xray" { #expect(parsesAsJSON(r.stdoutData), "\(format)") }
        }
        for format in ["xray", "jsonl", "otlp"] {
            let r = try f.xray(["inspect", "export", "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(300))")
            #expect(r.stdout.contains("00000000000000000000dead"), "the other trace is exported too")
        }
        for format in ["table", "json", "csv"] {
            let r = try f.xray(["inspect", "traces", "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr.prefix(300))")
        }
        let html = try f.xray(["inspect", "show", "--format", "html", absurd]).stdout
        #expect(html.contains(#""Id": "\#(absurd)""#), "the page embeds the trace")
    }

    // MARK: 5. terminal injection

    /// Clears the screen, retitles the window, rings the bell, then reverses the rest of the line.
    static let payload = #"\u001b[2J\u001b]0;PWNED\u0007\u009b\u202e"#
    static let hostileDocument =
        #"{"trace_id":"1-65540000-0000000000000000000000ee","id":"00000000000000e1","name":"n\#(payload)","start_time":1700000000,"end_time":1700000001,"fault":true,"http":{"request":{"method":"G\#(payload)","url":"https://h/p\#(payload)"},"response":{"status":500}},"annotations":{"k\#(payload)":"v\#(payload)"},"cause":{"exceptions":[{"message":"m\#(payload)","type":"T"}]},"subsegments":[{"id":"00000000000000e2","name":"c\#(payload)","namespace":"remote","start_time":1700000000.1,"end_time":1700000000.2}]}"#

    /// Nothing a terminal acts on comes out raw, and the escape is visible instead.
    func expectEscaped(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = text.unicodeScalars.filter { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E }
        #expect(raw.isEmpty, "\(what) prints control characters raw", sourceLocation: sourceLocation)
        #expect(text.contains(#"\x1b[2J"#), "\(what): \(text.prefix(300))", sourceLocation: sourceLocation)
    }

    @Test func controlCharactersInDocumentsAreShownEscapedInEveryHumanFormat() throws {
        let f = try Fixture()
        try f.importDocuments([Self.hostileDocument, #"{"bad\u001b[2J": 1, "# + "\u{1B}[2J"], status: 65)
        let id = "1-65540000-0000000000000000000000ee"
        let runs: [[String]] = [
            ["inspect", "traces"], ["inspect", "traces", "--format", "csv"],
            ["inspect", "show", id], ["inspect", "show", "--format", "waterfall", id],
            ["inspect", "stats"], ["inspect", "stats", "--by", "service"], ["inspect", "stats", "--by", "url"],
            ["inspect", "stats", "--by", "operation"], ["inspect", "stats", "--by", "annotation.k" + "\u{1B}[2J\u{1B}]0;PWNED\u{07}\u{9B}\u{202E}"],
            ["inspect", "graph"], ["inspect", "graph", "--format", "dot"], ["inspect", "graph", "--format", "mermaid"],
            ["inspect", "rejects"], ["inspect", "rejects", "--format", "csv"],
        ]
        for arguments in runs {
            let r = try f.xray(arguments)
            #expect(r.status == 0, "\(arguments): \(r.stderr.prefix(300))")
            if arguments == ["inspect", "stats"] { continue }
            expectEscaped(r.stdout, arguments.joined(separator: " "))
        }
        let dot = try f.xray(["inspect", "graph", "--format", "dot"]).stdout
        #expect(dot.contains(#"label="n\\x1b[2J"#), "a backslash in a DOT label is doubled: \(dot)")
        let svg = try XRayBinary.run(["-Tsvg"], stdin: Data(dot.utf8), executable: try graphviz())
        #expect(svg.status == 0 && svg.stderr.isEmpty, "graphviz reads hostile labels as labels: \(svg.stderr)")
        // JSON keeps the text exactly, as JSON escapes.
        let json = try f.xray(["inspect", "show", "--format", "json", id]).stdout
        #expect(json.contains(#"n\u001b[2J"#))
    }

    /// The daemon's live view (on stderr) prints each completed trace with the same escaping.
    @Test func theLiveViewEscapesControlCharacters() throws {
        let f = try Fixture()
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--store", f.store])
        defer { daemon.kill() }
        let quoted = "\"" + Self.hostileDocument.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        let r = try HTTP.post(port: daemon.port, "/TraceSegments", #"{"TraceSegmentDocuments":[\#(quoted)]}"#)
        #expect(r.status == 200 && r.body.contains(#""UnprocessedTraceSegments":[]"#), "\(r.body)")
        let stopped = daemon.stop(signal: SIGTERM)
        expectEscaped(stopped.stderr, "the live view")
        #expect(stopped.stderr.contains("0000000000000000000000ee"))
    }

    // MARK: 6. BatchGetTraces bounds

    /// 400 copies of one id used to make one request answer 193 MB; now more than 5 ids is a 400 as in AWS,
    /// repeats are answered once, and ids that are not trace ids are unprocessed.
    @Test func batchGetTracesTakesFiveDistinctTraceIDs() throws {
        let f = try Fixture()
        try f.importDocuments(Self.chain(depth: 3))
        let daemon = try f.daemon()
        defer { daemon.kill() }
        let many = Array(repeating: #""\#(Self.traceID)""#, count: 400).joined(separator: ",")
        let flood = try HTTP.post(port: daemon.port, "/Traces", #"{"TraceIds":[\#(many)]}"#)
        #expect(flood.status == 400 && flood.body.contains("InvalidRequestException") && flood.body.contains("at most 5"), "\(flood.body)")
        let six = (1...6).map { #""1-65540000-00000000000000000000000\#($0)""# }.joined(separator: ",")
        #expect(try HTTP.post(port: daemon.port, "/Traces", #"{"TraceIds":[\#(six)]}"#).status == 400)
        let five = Array(repeating: #""\#(Self.traceID)""#, count: 3).joined(separator: ",") + #","../../etc/passwd","1-zz""#
        let r = try HTTP.post(port: daemon.port, "/Traces", #"{"TraceIds":[\#(five)]}"#)
        #expect(r.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any])
        #expect((body["Traces"] as? [[String: Any]])?.map { $0["Id"] as? String } == [Self.traceID])
        #expect(body["UnprocessedTraceIds"] as? [String] == ["../../etc/passwd", "1-zz"])
    }

    // MARK: 7. HTML

    /// A name such as `<!--<script>` used to make the page render nothing: the embedded data now holds no
    /// `<` at all, and reads back as the same names.
    @Test func theHTMLPageKeepsMarkupInNamesAsData() throws {
        let f = try Fixture()
        let names = ["<!--<script>", "</script><b>x", "-->", "a&amp;b", "'\"q"]
        let id = "1-65540000-0000000000000000000000cc"
        let subsegments = names.enumerated().map { i, name in
            let quoted = String(data: try! JSONSerialization.data(withJSONObject: [name], options: [.fragmentsAllowed]), encoding: .utf8)!.dropFirst()
                .dropLast()
            return #"{"id":"00000000000000c\#(i + 2)","name":\#(quoted),"start_time":1700000000.1,"end_time":1700000000.2}"#
        }
        try f.importDocuments([
            #"{"trace_id":"\#(id)","id":"00000000000000c1","name":"<!--<script>","start_time":1700000000,"end_time":1700000001,"subsegments":[\#(subsegments.joined(separator: ","))]}"#
        ])
        let html = try f.xray(["inspect", "show", "--format", "html", id]).stdout
        let open = #"<script type="application/json" id="trace-data">"#
        let start = try #require(html.range(of: open))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let data = String(html[start.upperBound..<end.lowerBound])
        #expect(!data.contains("<") && !data.contains(">"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
        let segments = ((object["Traces"] as? [[String: Any]])?.first?["Segments"] as? [[String: Any]]) ?? []
        var shown: [String] = []
        func collect(_ entity: [String: Any]) {
            if let name = entity["name"] as? String { shown.append(name) }
            for child in entity["subsegments"] as? [[String: Any]] ?? [] { collect(child) }
        }
        for segment in segments {
            let document = try #require((segment["Document"] as? String).flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            collect(document)
        }
        #expect(shown.sorted() == (["<!--<script>"] + names).sorted())
        #expect(html.components(separatedBy: "<script").count - 1 == 2, "only the page's own two script elements")
        #expect(html.contains("<title>xray trace \(id)</title>"))
    }
}
