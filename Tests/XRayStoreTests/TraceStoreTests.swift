import CSQLite
import Foundation
import Synchronization
import Testing
import XRayRender
import XRayTestSupport
import XRayWire

@testable import XRayStore

let traceA = "1-581cf771-a006649127e371903a2de979"

func incoming(_ text: String, at time: Double = 1) throws -> IncomingDocument {
    IncomingDocument(raw: Array(text.utf8), document: try SegmentDocumentParser.parse(text), source: "test", receivedAt: time)
}

func doc(id: String = "70de5b6f19ff9a0a", name: String = "svc", inProgress: Bool = false, end: Double = 2, extra: String = "") -> String {
    let tail = inProgress ? #""in_progress":true"# : #""end_time":\#(end)"#
    return #"{"name":"\#(name)","id":"\#(id)","start_time":1,"trace_id":"\#(traceA)",\#(tail)\#(extra)}"#
}

@Suite struct TraceStoreUpsertTests {
    @Test func completeDocumentReplacesInProgressWhicheverArrivesFirst() throws {
        for order in [[true, false], [false, true]] {
            let store = try TraceStore(path: temporaryStorePath())
            var counts = IngestCounts()
            for inProgress in order {
                counts += try store.ingest([incoming(doc(inProgress: inProgress))])
            }
            let tree = try store.trace(traceA)
            #expect(tree.entityCount == 1)
            #expect(tree.roots[0].entity.inProgress == false)
            #expect(tree.roots[0].entity.endTime == 2)
            #expect(counts.stored + counts.staleInProgress == 2)
            let summary = try #require(store.traceSummaries(limit: 1).first)
            #expect(!summary.isPartial)
        }
    }

    /// A stored trace's entries each carry their own fields, found by their place in the document: nested
    /// subsegments' fields stay with them and never with their parent.
    @Test func eachEntryCarriesItsOwnFields() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let nested =
            #","subsegments":[{"id":"00000000000000b1","name":"a","start_time":1,"end_time":2,"sql":{"url":"db"},"#
            + #""subsegments":[{"id":"00000000000000b2","name":"b","start_time":1.5,"end_time":1.6,"metadata":{"k":1}}]},"#
            + #"{"id":"00000000000000b3","name":"c","start_time":1.7,"end_time":1.8,"namespace":"remote"}]"#
        _ = try store.ingest([incoming(doc(extra: nested))])
        let tree = try store.trace(traceA)
        let byName = Dictionary(uniqueKeysWithValues: tree.entries.map { ($0.entity.name, $0.fields) })
        #expect(byName["svc"]?["subsegments"] == nil && byName["svc"]?["trace_id"] != nil)
        #expect(byName["a"]?["sql"] != nil && byName["a"]?["subsegments"] == nil && byName["a"]?["metadata"] == nil)
        #expect(byName["b"]?["metadata"] != nil)
        #expect(byName["c"]?["namespace"] == .string("remote"))
    }

    @Test func inProgressNeverReplacesComplete() throws {
        let store = try TraceStore(path: temporaryStorePath())
        _ = try store.ingest([incoming(doc())])
        let counts = try store.ingest([incoming(doc(inProgress: true))])
        #expect(counts.staleInProgress == 1)
        #expect(try store.trace(traceA).roots[0].entity.endTime == 2)
    }

    @Test func secondCompleteCopyReplacesTheFirstAndCountsAsDuplicate() throws {
        let store = try TraceStore(path: temporaryStorePath())
        _ = try store.ingest([incoming(doc(name: "first", extra: #","subsegments":[{"id":"1111111111111111","name":"old","start_time":1,"end_time":1.5}]"#))])
        let counts = try store.ingest([incoming(doc(name: "second", end: 3))])
        #expect(counts.duplicates == 1)
        let tree = try store.trace(traceA)
        #expect(tree.roots.map(\.entity.name) == ["second"])
        #expect(tree.entityCount == 1, "entities of the replaced copy are gone")
        #expect(try store.counts().entities == 1)
    }

    @Test func rejectsKeepTheirRawBytesAndReason() throws {
        let store = try TraceStore(path: temporaryStorePath())
        _ = try store.ingest([], rejects: [IncomingReject(raw: [0xFF, 0x00], reason: "bad", source: "udp:1.2.3.4:5", receivedAt: 7)])
        let r = try #require(store.rejects(limit: 10).first)
        #expect(r.raw == [0xFF, 0x00])
        #expect(r.reason == "bad")
        #expect(RejectListing.payload(r.raw).0 == "base64")
    }

    @Test func summaryTakesErrorAndFaultFromTheRootAndThrottleFromAnyEntity() throws {
        let store = try TraceStore(path: temporaryStorePath())
        _ = try store.ingest([
            incoming(
                doc(
                    extra:
                        #","http":{"request":{"method":"GET","url":"http://h/p"},"response":{"status":200}},"subsegments":[{"id":"1111111111111111","name":"call","start_time":1,"end_time":1.5,"fault":true,"throttle":true}]"#
                ))
        ])
        let s = try #require(store.traceSummaries(limit: 5).first)
        #expect(!s.hasFault)
        #expect(s.hasThrottle)
        #expect(s.httpStatus == 200)
        #expect(s.rootName == "svc")
        #expect(s.entityCount == 2)
        #expect(s.responseTime == 1)
    }

    @Test func traceIDsResolveByPrefixAndLast() throws {
        let store = try TraceStore(path: temporaryStorePath())
        _ = try store.ingest([incoming(doc())])
        #expect(try store.resolveTraceID("1-581cf771-a00") == traceA)
        #expect(try store.resolveTraceID("last") == traceA)
        #expect(throws: StoreError.self) { try store.resolveTraceID("1-ffff") }
    }
}

@Suite struct TraceStoreFileTests {
    @Test func storeFileIsPrivateToTheUser() throws {
        let path = temporaryStorePath()
        _ = try TraceStore(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
        #expect((folder[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aVersionOneStoreIsMigratedForwardKeepingItsData() throws {
        let path = temporaryStorePath()
        try TraceStore.createPrivateFile(path)
        // Build a store exactly as version 1 left it.
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        #expect(sqlite3_exec(db, Schema.migrations[0].sql + "; PRAGMA user_version=1;", nil, nil, nil) == SQLITE_OK)
        let raw = doc()
        #expect(
            sqlite3_exec(
                db,
                "INSERT INTO documents(trace_id,id,in_progress,received_at,source,raw) VALUES('\(traceA)','70de5b6f19ff9a0a',0,1,'old',CAST('\(raw)' AS BLOB))",
                nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)

        let store = try TraceStore(path: path)
        #expect(try store.schemaVersion() == Schema.currentVersion)
        #expect(try store.documents(traceID: traceA).count == 1)
        #expect(try store.db.scalarInt("SELECT count(*) FROM runs") == 0)
    }

    @Test func aVersionFiveStoreKeepsItsOpenTelemetrySpansAcrossTheRowidMigration() throws {
        let otherTrace = "1-581cf771-a006649127e371903a2de980"
        let path = temporaryStorePath()
        try TraceStore.createPrivateFile(path)
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        let upToFive = Schema.migrations[0..<5].map(\.sql).joined(separator: ";\n")
        #expect(sqlite3_exec(db, upToFive + "; PRAGMA user_version=5;", nil, nil, nil) == SQLITE_OK)
        let raw = doc()
        #expect(
            sqlite3_exec(
                db,
                """
                INSERT INTO documents(trace_id,id,in_progress,received_at,source,raw) VALUES('\(traceA)','70de5b6f19ff9a0a',0,1,'old',CAST('\(raw)' AS BLOB));
                INSERT INTO otlp_spans VALUES('\(traceA)','70de5b6f19ff9a0a',1,CAST('{"resourceSpans":[]}' AS BLOB));
                INSERT INTO otlp_spans VALUES('\(otherTrace)','0000000000000002',2,CAST('{"b":1}' AS BLOB));
                """, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)

        let store = try TraceStore(path: path)
        #expect(try store.schemaVersion() == Schema.currentVersion)
        #expect(try store.originalSpans(traceID: traceA).map(\.spanID) == ["70de5b6f19ff9a0a"])
        #expect(try store.originalSpans(traceID: traceA).first?.request == Array(#"{"resourceSpans":[]}"#.utf8))
        #expect(try store.originalSpans(traceID: otherTrace).count == 1)
        #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name='otlp_spans' AND sql LIKE '%WITHOUT ROWID%'") == 0)
        // The trigger still follows the documents: deleting one deletes its span.
        try store.db.execute("DELETE FROM documents WHERE trace_id='\(traceA)'")
        #expect(try store.originalSpans(traceID: traceA).isEmpty)
        #expect(try store.originalSpans(traceID: otherTrace).count == 1)
    }

    @Test func aStoreFromANewerXRayIsRefused() throws {
        let path = temporaryStorePath()
        _ = try TraceStore(path: path)
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        sqlite3_exec(db, "PRAGMA user_version=99", nil, nil, nil)
        sqlite3_close(db)
        #expect { try TraceStore(path: path) } throws: { "\($0)".contains("newer than this xray") }
    }

    @Test func aFileThatIsNotAStoreIsRefused() throws {
        let path = temporaryStorePath()
        try TraceStore.createPrivateFile(path)
        try Data("not sqlite at all, just text that is long enough to be a header".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try TraceStore(path: path) } throws: { "\($0)".contains("not an xray store") }
    }

    @Test func readersNeverSeeLockedWhileAnotherConnectionWrites() throws {
        let path = temporaryStorePath()
        _ = try TraceStore(path: path)
        let writerDone = Atomic()
        let writer = Thread {
            guard let store = try? TraceStore(path: path) else { return }
            for i in 0..<200 {
                let id = String(format: "%016x", i + 1)
                _ = try? store.ingest([try incoming(doc(id: id), at: Double(i))])
            }
            writerDone.set()
        }
        writer.start()
        let reader = try TraceStore(path: path, readOnly: true)
        var reads = 0
        while !writerDone.isSet {
            _ = try reader.traceSummaries(limit: 10)
            _ = try reader.documents(traceID: traceA)
            reads += 1
        }
        #expect(reads > 0)
        #expect(try reader.documents(traceID: traceA).count == 200)
    }
}

/// A flag one thread sets and another polls.
final class Atomic: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
