import Foundation
import Testing
import XRayTestSupport
import XRayWire

@testable import XRayStore

/// Several connections on one store, and batches holding a document SQLite refuses.
@Suite struct SharedStoreTests {
    func document(_ n: Int) throws -> IncomingDocument {
        let trace = String(format: "1-581cf771-%024x", n)
        return try incoming(#"{"name":"svc","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"\#(trace)"}"#)
    }

    /// A read that stopped on its row, then another connection's commit: the next write still succeeds
    /// (an unreset statement would pin the old snapshot and fail with SQLITE_BUSY_SNAPSHOT).
    @Test func aWriteAfterAReadSucceedsWhenAnotherConnectionCommittedInBetween() throws {
        let path = temporaryStorePath()
        let first = try TraceStore(path: path)
        let second = try TraceStore(path: path)
        _ = try first.ingest([document(1), document(2)])
        #expect(try first.traceSummaries(limit: 1, traceIDs: [String(format: "1-581cf771-%024x", 1)]).count == 1)
        #expect(try first.resolveTraceID("last").hasPrefix("1-581cf771"))
        _ = try second.ingest([document(3)])
        let counts = try first.ingest([document(4)])
        #expect(counts.stored == 1)
        #expect(try second.counts().traces == 4)
    }

    /// A document whose values break a constraint (a NaN time that slipped past validation) is the only
    /// one of its batch not stored: it becomes a reject with SQLite's reason and its index is reported.
    @Test func aRefusedDocumentIsBisectedOutOfItsBatch() throws {
        let store = try TraceStore(path: temporaryStorePath())
        var batch = try (0..<100).map { try document($0) }
        batch[57].document.entities[0].startTime = .nan
        batch[57].document.entities[0].endTime = .nan
        let counts = try store.ingest(batch, rejects: [IncomingReject(raw: [], reason: "empty line", source: "x", receivedAt: 1)])
        #expect(counts.stored == 99)
        #expect(counts.refused.map(\.index) == [57])
        #expect(counts.refused.first?.reason.contains("NOT NULL") == true)
        #expect(counts.rejected == 2)
        #expect(try store.counts().traces == 99)
        let rejects = try store.rejects(limit: 10)
        #expect(rejects.contains { $0.raw == batch[57].raw && $0.reason.contains("the store refused it") })
        #expect(rejects.contains { $0.reason == "empty line" && $0.raw.isEmpty })
    }

    /// Times a store cannot index are rejected before any transaction, naming the field.
    @Test(arguments: ["1e400", "-1", "1602537378100"])
    func absurdTimesAreRejectedByField(_ time: String) {
        let text = #"{"name":"svc","id":"70de5b6f19ff9a0a","start_time":\#(time),"end_time":2,"trace_id":"1-581cf771-a006649127e371903a2de979"}"#
        #expect(throws: DocumentRejection.self) { try SegmentDocumentParser.parse(text) }
        do {
            _ = try SegmentDocumentParser.parse(text)
        } catch {
            #expect(error.field == "start_time")
        }
    }

    /// A damaged store file is refused by `verify`.
    @Test func verifyRefusesADamagedStore() throws {
        let path = temporaryStorePath()
        do {
            let store = try TraceStore(path: path)
            store.foldsWALOnClose = true
            _ = try store.ingest(try (0..<2_000).map { try document($0) })
            try store.verify()
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 4096 * 3)
        handle.write(Data(repeating: 0x5A, count: 4096 * 6))
        try handle.close()
        #expect(throws: StoreError.self) { try TraceStore(path: path).verify() }
    }
    /// A store written only by short-lived connections (one `xray run` after another) keeps its WAL
    /// bounded: a connection that folds beyond N pages leaves a short WAL alone and folds a longer one.
    @Test func aConnectionFoldsItsWALOnCloseOnlyBeyondItsBound() throws {
        func walSize(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
        }
        let path = temporaryStorePath()
        do {
            let store = try TraceStore(path: path, checkpointPages: 100_000)
            store.foldsWALOnClose(beyond: 100_000)
            _ = try store.ingest(try (0..<200).map { try document($0) })
        }
        let short = walSize(path)
        #expect(short > 0, "within its bound the WAL is left for the next writer")
        do {
            let store = try TraceStore(path: path, checkpointPages: 100_000)
            store.foldsWALOnClose(beyond: short / 4096 / 2)
            _ = try store.ingest(try (200..<400).map { try document($0) })
        }
        #expect(walSize(path) == 0, "past its bound the last connection out folds and truncates it")
        #expect(try TraceStore(path: path).counts().traces == 400)
    }
}
