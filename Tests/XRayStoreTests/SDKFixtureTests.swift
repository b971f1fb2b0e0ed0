import Foundation
import Testing
import XRayRender
import XRayTestSupport
import XRayWire

@testable import XRayStore

/// The captured Python SDK output (Scripts/capture-fixtures) imported into a real store.
func importFixture(_ name: String) throws -> TraceStore {
    let store = try TraceStore(path: temporaryStorePath())
    let path = fixturesDirectory.appendingPathComponent("sdk/\(name).jsonl").path
    let report = try TraceImporter(store: store, now: { 1 }).importFile(path, format: .auto)
    #expect(report.problems.isEmpty, "\(report.problems)")
    return store
}

/// `name(kind)[children]`: the shape of a tree, without ids or times.
func shape(_ node: TraceNode) -> String {
    let kids = node.children.map(shape).joined(separator: ",")
    let kind = node.entity.kind == .segment ? "S" : "s"
    return "\(node.entity.name)\(kind)" + (kids.isEmpty ? "" : "[\(kids)]")
}

func shapes(_ store: TraceStore) throws -> [String] {
    try store.allTraceIDs().map { id in try store.trace(id).roots.map(shape).joined(separator: " | ") }
}

@Suite struct SDKFixtureAssemblyTests {
    @Test func flaskRequestsBecomeOneTraceEachWithTheirSubsegments() throws {
        let store = try importFixture("flask")
        #expect(
            try shapes(store) == [
                "flask-appS[renders[flask-fixtures]]",
                "flask-appS[127.0.0.1s,:memory:s]",
                "flask-appS",
                "flask-appS",
            ])
        let summaries = try store.traceSummaries(limit: 10).sorted { $0.startTime < $1.startTime }
        #expect(summaries.map(\.httpStatus) == [200, 200, 500, 404])
        #expect(summaries.map(\.hasFault) == [false, false, true, false])
        #expect(summaries.map(\.hasError) == [false, false, false, true])
        let first = try store.trace(summaries[0].traceID).roots[0].entity
        #expect(first.annotations.map(\.key) == ["user", "premium", "score"])
        #expect(first.user == "ada")
    }

    @Test func djangoAutoInstrumentedQueriesAndTemplatesAreChildren() throws {
        let store = try importFixture("django")
        #expect(try shapes(store) == ["django-appS[executes]", "django-appS[unknowns]", "django-appS[unknowns]", "django-appS"])
    }

    @Test func aiohttpDownstreamSegmentHangsUnderTheCallersRemoteSubsegment() throws {
        let store = try importFixture("aiohttp")
        #expect(try shapes(store) == ["aiohttp-frontS[127.0.0.1s[aiohttp-frontS]]"])
        let tree = try store.trace(store.resolveTraceID("last"))
        #expect(tree.roots.count == 1)
        #expect(tree.roots[0].missingParent == nil)
    }

    @Test func streamedSubsegmentsAndTheInProgressCopyAssembleIntoOneTree() throws {
        let store = try importFixture("batch")
        let tree = try store.trace(store.resolveTraceID("last"))
        #expect(tree.roots.count == 1)
        let root = tree.roots[0]
        #expect(!root.entity.inProgress, "the complete segment replaced the in-progress copy")
        #expect(root.children.map(\.entity.name) == Array(repeating: "step", count: 8) + ["load"])
        #expect(shape(root.children[8]) == "loads[parses]")
        #expect(root.children[8].entity.fault)
        #expect(root.children[8].children[0].entity.cause == "KeyError: 'missing column'")
        let summary = try #require(store.traceSummaries(limit: 1).first)
        #expect(summary.entityCount == 11)
        #expect(!summary.isPartial)
    }

    @Test func batchGetTracesMergesStreamedSubsegmentsBackIntoTheirSegment() throws {
        let store = try importFixture("batch")
        let value = TraceViews.batchGetTrace(try store.trace(store.resolveTraceID("last")))
        let segments = try #require(value.objectValue?["Segments"]?.arrayValue)
        #expect(segments.count == 1)
        let document = try #require(segments[0].objectValue?["Document"]?.stringValue)
        let parsed = try SegmentDocumentParser.parse(document)
        #expect(parsed.entities.count == 11)
    }

    @Test func exportedBatchGetTracesImportsBackToTheSameTrees() throws {
        for fixture in ["flask", "django", "aiohttp", "batch"] {
            let store = try importFixture(fixture)
            let trees = try store.allTraceIDs().map { try store.trace($0) }
            let exported = JSONWriter.prettyString(TraceViews.batchGetTraces(trees))
            let file = try makeTemporaryDirectory("xray-export").appendingPathComponent("export.json")
            try Data(exported.utf8).write(to: file)
            let copy = try TraceStore(path: temporaryStorePath())
            let report = try TraceImporter(store: copy, now: { 2 }).importFile(file.path, format: .auto)
            #expect(report.problems.isEmpty)
            #expect(try shapes(copy) == shapes(store), "\(fixture)")
            for id in try store.allTraceIDs() {
                let a = JSONWriter.string(TraceViews.json(try store.trace(id)))
                let b = JSONWriter.string(TraceViews.json(try copy.trace(id)))
                #expect(a == b, "\(fixture) \(id)")
            }
        }
    }
}

@Suite struct ImporterTests {
    func write(_ text: String) throws -> String {
        let url = try makeTemporaryDirectory("xray-import").appendingPathComponent("import.jsonl")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func badLinesAreReportedWithTheirLineNumberAndGoodOnesStored() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let path = try write(doc() + "\n\nnot json\n" + doc(id: "1111111111111111", inProgress: true) + "\n" + #"{"name":"x"}"# + "\n")
        let report = try TraceImporter(store: store, now: { 1 }).importFile(path, format: .auto)
        #expect(report.counts.stored == 2)
        #expect(report.counts.rejected == 2)
        #expect(report.problems.count == 2)
        #expect(report.problems[0].hasPrefix("\(path):3: not JSON"))
        #expect(report.problems[1].hasPrefix("\(path):5: field trace_id"))
        #expect(try store.rejects(limit: 10).count == 2)
    }

    @Test func aLineOverTheLimitIsRejectedWithoutStoppingTheImport() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let huge = String(repeating: "x", count: 200_000)
        let path = try write(doc() + "\n" + huge + "\n" + doc(id: "1111111111111111") + "\n")
        let report = try TraceImporter(store: store, now: { 1 }).importFile(path, format: .jsonl)
        #expect(report.counts.stored == 2)
        #expect(report.problems.count == 1)
        #expect(report.problems[0].contains(":2: line longer than"))
    }

    @Test func headerLinesBeforeDocumentsAreSkipped() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let path = try write(#"{"format": "json", "version": 1}"# + "\n" + doc() + "\r\n")
        let report = try TraceImporter(store: store, now: { 1 }).importFile(path, format: .auto)
        #expect(report.counts.stored == 1)
        #expect(report.problems.isEmpty)
    }

    @Test func aFileWithoutTracesIsNotMistakenForBatchGetTraces() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let path = try write("{\n  \"Nope\": []\n}\n")
        #expect { try TraceImporter(store: store, now: { 1 }).importFile(path, format: .auto) } throws: { "\($0)".contains("\"Traces\"") }
    }
}
