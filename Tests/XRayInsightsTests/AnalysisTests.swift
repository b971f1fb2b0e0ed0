import Testing
import XRayInsights
import XRayWire

@Suite struct AnalysisTests {
    func findings(_ root: Node, _ options: InsightsOptions = InsightsOptions()) throws -> [Finding] {
        TraceAnalysis.findings(try tree(root), options: options)
    }

    @Test func oneQueryPerRowIsAnNPlusOneWithItsCountTimeAndFirstAndLast() throws {
        let root = Node(
            "web", 0, 0.1, url: "http://h/authors", status: 200,
            [Node("execute", 0.001, 0.002, sql: "select * from authors", namespace: "remote")]
                + queries(6) { "select title from books where author_id = \($0 + 1)" })
        let found = try findings(root).filter { $0.kind == .nPlusOne }
        #expect(found.count == 1)
        let f = try #require(found.first)
        #expect(f.count == 6)
        #expect(f.call == "select title from books where author_id = ?")
        #expect(f.path == ["web"])
        #expect(abs(f.time - 0.012) < 1e-6)
        #expect(abs(f.first - 0.01) < 1e-6)
        #expect(abs((f.last ?? 0) - 0.02) < 1e-6)
        #expect(f.evidence.contains("6 × SQL"))
    }

    @Test func theNPlusOneThresholdIsInclusiveAndConfigurable() throws {
        let root = Node("web", 0, 0.1, queries(4) { "select * from b where id = \($0)" })
        #expect(try findings(root).filter { $0.kind == .nPlusOne }.isEmpty, "4 is under the default 5")
        #expect(try findings(root, InsightsOptions(nPlusOne: 4)).filter { $0.kind == .nPlusOne }.count == 1)
    }

    @Test func callsUnderDifferentParentsAreNotOneGroup() throws {
        let half = { (name: String, at: Double) in
            Node(name, at, at + 0.02, queries(3, at: at) { "select * from b where id = \($0)" })
        }
        let root = Node("web", 0, 0.1, [half("a", 0.0), half("b", 0.05)])
        #expect(try findings(root).filter { $0.kind == .nPlusOne }.isEmpty)
    }

    @Test func remoteCallsPerIDAreAnNPlusOneAndIdenticalOnesAreRepeated() throws {
        let calls = (0..<5).map { i in
            Node("api.example.com", 0.01 * Double(i), 0.01 * Double(i) + 0.005, url: "https://api.example.com/users/\(i + 10)", namespace: "remote")
        }
        let same = (0..<2).map { i in
            Node("api.example.com", 0.06 + 0.01 * Double(i), 0.065 + 0.01 * Double(i), url: "https://api.example.com/config", namespace: "remote")
        }
        let found = try findings(Node("web", 0, 0.1, calls + same))
        let nPlusOne = try #require(found.first { $0.kind == .nPlusOne })
        #expect(nPlusOne.call == "GET https://api.example.com/users/{id}")
        #expect(nPlusOne.count == 5)
        let repeated = found.filter { $0.kind == .repeatedCall }
        #expect(repeated.count == 1)
        #expect(repeated.first?.call == "GET https://api.example.com/config")
        #expect(repeated.first?.count == 2)
    }

    @Test func repeatedIdenticalSQLNeedsTheSameTextWithoutPlaceholders() throws {
        let literal = queries(2) { _ in "select * from settings where k = 'theme'" }
        let bound = queries(3, at: 0.05) { _ in "select * from books where author_id = %s" }
        let found = try findings(Node("web", 0, 0.1, literal + bound)).filter { $0.kind == .repeatedCall }
        #expect(found.count == 1, "placeholders hide the values, so %s calls may differ")
        #expect(found.first?.call == "select * from settings where k = 'theme'")
    }

    @Test func ownTimeIsTheDurationMinusTheUnionOfChildren() throws {
        // 1 s long; children overlap (0.1–0.4 and 0.3–0.5) and one runs past the end (0.9–1.2): covered 0.5 s.
        let t = try tree(Node("web", 0, 1, [Node("a", 0.1, 0.4), Node("b", 0.3, 0.5), Node("c", 0.9, 1.2)]))
        let cover = TraceAnalysis.coverage(t, 0)
        #expect(abs(cover.own - 0.5) < 1e-6)
        #expect(cover.gaps.count == 2)
        #expect(abs(cover.gaps[0].length - 0.1) < 1e-6)
        #expect(abs(cover.gaps[1].length - 0.4) < 1e-6)
    }

    @Test func slowSpansAreOverTheirOwnTimeThresholdOnly() throws {
        // The parent lasts 2 s but its child covers 1.8 s of it: only the child is slow by its own time.
        let root = Node("web", 0, 2, url: "http://h/x", status: 200, [Node("work", 0.1, 1.9)])
        let slow = try findings(root).filter { $0.kind == .slowSpan }
        #expect(slow.map(\.path) == [["web", "work"]])
        #expect(abs((slow.first?.time ?? 0) - 1.8) < 1e-6)
        #expect(try findings(root, InsightsOptions(slow: 0.1)).filter { $0.kind == .slowSpan }.count == 2)
        #expect(try findings(root, InsightsOptions(slow: 1.79)).filter { $0.kind == .slowSpan }.count == 1)
        #expect(try findings(root, InsightsOptions(slow: 1.81)).filter { $0.kind == .slowSpan }.isEmpty)
    }

    @Test func theSegmentXRayRunRecordsForTheCommandIsNeitherSlowNorGappy() throws {
        let document = try SegmentDocumentParser.parse(
            """
            {"trace_id":"\(traceID)","id":"0000000000000001","name":"python","start_time":\(base),"end_time":\(base + 2),\
            "aws":{"xray":{"sdk":"xray run"}},"subsegments":[{"id":"0000000000000002","name":"w","start_time":\(base + 1.5),"end_time":\(base + 1.6)}]}
            """)
        let t = TraceAssembler.assemble(traceID: traceID, documents: [document])
        #expect(TraceAnalysis.findings(t, options: InsightsOptions()).isEmpty)
    }

    @Test func theCriticalPathStartsBelowTheSegmentXRayRunRecordsForTheCommand() throws {
        let lone = try SegmentDocumentParser.parse(
            """
            {"trace_id":"\(traceID)","id":"0000000000000001","name":"python","start_time":\(base),"end_time":\(base + 5),\
            "aws":{"xray":{"sdk":"xray run"}}}
            """)
        #expect(TraceAnalysis.criticalPath(TraceAssembler.assemble(traceID: traceID, documents: [lone])) == nil, "the run's own trace alone")
        let run = try SegmentDocumentParser.parse(
            """
            {"trace_id":"\(traceID)","id":"0000000000000001","name":"python","start_time":\(base),"end_time":\(base + 5),\
            "aws":{"xray":{"sdk":"xray run"}},"subsegments":[\
            {"id":"0000000000000002","name":"early","start_time":\(base + 1),"end_time":\(base + 1.5)},\
            {"id":"0000000000000003","name":"late","start_time":\(base + 2),"end_time":\(base + 2.5),\
            "subsegments":[{"id":"0000000000000004","name":"db","start_time":\(base + 2.1),"end_time":\(base + 2.4)}]}]}
            """)
        let path = try #require(TraceAnalysis.criticalPath(TraceAssembler.assemble(traceID: traceID, documents: [run])))
        #expect(path.steps.map(\.name) == ["late", "db"])
        #expect(abs(path.duration - 0.5) < 1e-6, "timed from the request, not the command")
    }

    @Test func gapsAreUncoveredStretchesOfASegmentOverTheThreshold() throws {
        let root = Node("web", 0, 1, [Node("a", 0, 0.2), Node("b", 0.25, 0.5), Node("c", 0.8, 1.0)])
        let gaps = try findings(root).filter { $0.kind == .gap }
        #expect(gaps.count == 1, "0.05 s is under 100 ms; 0.3 s is over")
        #expect(abs((gaps.first?.time ?? 0) - 0.3) < 1e-6)
        #expect(abs((gaps.first?.first ?? 0) - 0.5) < 1e-6)
        #expect(try findings(root, InsightsOptions(gap: 0.01)).filter { $0.kind == .gap }.count == 2)
        #expect(try findings(Node("web", 0, 1)).filter { $0.kind == .gap }.isEmpty, "a segment with no subsegments")
    }

    @Test func errorsBelowASuccessfulRootAreHiddenAndOnlyTheDeepestIsReported() throws {
        let root = Node(
            "web", 0, 0.1, url: "http://h/x", status: 200,
            [
                Node("outer", 0.01, 0.05, fault: true, [Node("payments", 0.02, 0.04, url: "http://pay/charge", status: 503, fault: true, namespace: "remote")]),
                Node("cache", 0.06, 0.07, error: true),
            ])
        let hidden = try findings(root).filter { $0.kind == .hiddenError }
        #expect(hidden.map(\.path) == [["web", "outer", "payments"], ["web", "cache"]])
        #expect(hidden.first?.evidence.contains("HTTP 503") == true)
        let failed = Node("web", 0, 0.1, url: "http://h/x", status: 500, fault: true, [Node("db", 0.01, 0.05, fault: true)])
        #expect(try findings(failed).filter { $0.kind == .hiddenError }.isEmpty, "the root did not answer 2xx")
    }

    @Test func theCriticalPathFollowsTheChildThatFinishedLast() throws {
        let root = Node(
            "web", 0, 1,
            [
                Node("auth", 0, 0.1),
                Node("fanout", 0.1, 0.9, [Node("fast", 0.1, 0.3), Node("slowest", 0.1, 0.85, [Node("db", 0.2, 0.8)]), Node("mid", 0.1, 0.5)]),
                Node("render", 0.2, 0.4),
            ])
        let path = try #require(TraceAnalysis.criticalPath(try tree(root)))
        #expect(path.steps.map(\.name) == ["web", "fanout", "slowest", "db"])
        #expect(abs(path.duration - 1) < 1e-6)
        #expect(abs(path.steps[2].ownTime - 0.15) < 1e-6)
    }

    @Test func theReportKeepsOnlyTheSlowestCriticalPaths() throws {
        var report = InsightsReport(options: InsightsOptions(criticalPaths: 2))
        for (i, d) in [0.3, 0.1, 0.5, 0.2].enumerated() {
            report.add(try tree(Node("t\(i)", 0, d), id: "1-65540000-00000000000000000000000\(i)"))
        }
        #expect(report.criticalPaths.map { $0.steps[0].name } == ["t2", "t0"])
        #expect(report.tracesAnalyzed == 4)
    }

    @Test func jsonLinesHoldOneFindingOrCriticalPathPerLine() throws {
        var report = InsightsReport(options: InsightsOptions())
        report.add(try tree(Node("web", 0, 0.1, queries(5) { "select * from b where id = \($0)" })))
        let lines = report.render(.jsonl).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(#"{"kind":"n_plus_one","trace_id":"\#(traceID)","path":["web"]"#))
        #expect(lines[1].hasPrefix(#"{"kind":"critical_path""#))
        #expect(report.render(.json).contains(#""traces_analyzed": 1"#))
    }

    @Test func aDeepChainIsAnalysedWithoutRecursion() throws {
        // 3,000 nested documents linked by parent_id: every walk must be iterative.
        var docs: [SegmentDocument] = []
        for i in 0..<3000 {
            let id = String(i + 1, radix: 16), parent = String(i, radix: 16)
            let pad = { (s: String) in String(repeating: "0", count: 16 - s.count) + s }
            let parentField = i == 0 ? "" : ",\"parent_id\":\"\(pad(parent))\",\"type\":\"subsegment\""
            docs.append(
                try SegmentDocumentParser.parse(
                    "{\"trace_id\":\"\(traceID)\",\"id\":\"\(pad(id))\",\"name\":\"n\",\"start_time\":\(base),\"end_time\":\(base + 1)\(parentField)}"))
        }
        let t = TraceAssembler.assemble(traceID: traceID, documents: docs)
        let found = TraceAnalysis.findings(t, options: InsightsOptions(slow: 0.5))
        #expect(found.filter { $0.kind == .slowSpan }.count == 1, "only the innermost has own time")
        #expect(found.first?.path.first == "…")
        #expect(TraceAnalysis.criticalPath(t)?.steps.count == 3000)
    }
}
