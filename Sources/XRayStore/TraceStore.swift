import CSQLite
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// A document on its way into the store: the bytes exactly as received, and their parse.
package struct IncomingDocument: Sendable {
    package var raw: [UInt8]
    package var document: SegmentDocument
    /// Where it came from: `udp:127.0.0.1:53311`, `file.jsonl:12`, ...
    package var source: String?
    package var receivedAt: Double
    /// For a document translated from an OpenTelemetry span: that span as a one-span OTLP/JSON request,
    /// kept beside the document (`otlp_spans`) so an export gives back what the app sent.
    package var originalSpan: [UInt8]?
    /// Each entity's own exceptions as root causes list them (`SummaryRules.exceptionsJSON`), in the order of
    /// `document.entities`: read from the tree before it is dropped, so no one parses the document again.
    var exceptions: [String?]

    /// The parsed JSON tree is dropped here: the store needs only the entities, and freeing the tree on the
    /// thread that parsed it keeps that work off the single SQLite writer.
    package init(raw: [UInt8], document: SegmentDocument, source: String?, receivedAt: Double, originalSpan: [UInt8]? = nil) {
        self.originalSpan = originalSpan
        self.raw = raw
        exceptions = document.entities.map { entity in
            SummaryRules.object(at: entity.path, in: document.json).flatMap(SummaryRules.exceptionsJSON)
        }
        var document = document
        document.json = JSONObject()
        self.document = document
        self.source = source
        self.receivedAt = receivedAt
    }
}

/// Input that could not be stored as a document, kept aside with its reason.
package struct IncomingReject: Sendable {
    package var raw: [UInt8]
    package var reason: String
    package var source: String?
    package var receivedAt: Double

    package init(raw: [UInt8], reason: String, source: String?, receivedAt: Double) {
        self.raw = raw
        self.reason = reason
        self.source = source
        self.receivedAt = receivedAt
    }
}

/// What happened to the documents of one batch.
package struct IngestCounts: Sendable, Hashable {
    /// New documents, and complete documents that replaced an in-progress one.
    package var stored = 0
    /// A second complete copy of a document: it replaced the first.
    package var duplicates = 0
    /// In-progress documents that arrived after the complete one and were not stored.
    package var staleInProgress = 0
    package var rejected = 0
    /// Trace ids touched by the batch, in first-seen order.
    package var traceIDs: [String] = []
    /// Documents that passed validation but that SQLite refused (kept as rejects): their index in the
    /// batch given to `ingest`, their source and the reason.
    package var refused: [Refusal] = []

    package struct Refusal: Sendable, Hashable {
        package var index: Int
        package var source: String?
        package var reason: String
    }

    package init() {}

    package static func += (lhs: inout IngestCounts, rhs: IngestCounts) {
        lhs.stored += rhs.stored
        lhs.duplicates += rhs.duplicates
        lhs.staleInProgress += rhs.staleInProgress
        lhs.rejected += rhs.rejected
        lhs.traceIDs += rhs.traceIDs
        lhs.refused += rhs.refused
    }
}

/// The local trace store: one SQLite file in WAL mode, one writer and any number of readers.
///
/// Every raw document is kept exactly as received; entities, annotations and per-trace summaries are
/// derived from it at write time so that queries never parse JSON.
package final class TraceStore {
    package let path: String
    private(set) var db: SQLiteConnection
    /// Device and inode of the store file and of its WAL as this connection uses them (see `checkFiles`).
    private var fileIdentity: FileIdentity?
    private var walIdentity: FileIdentity?

    /// `$XRAY_STORE`, else `${XDG_DATA_HOME:-~/.local/share}/xray/traces.sqlite`.
    package static func defaultPath(environment: [String: String]) -> String {
        if let p = environment["XRAY_STORE"], !p.isEmpty { return p }
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            base = (environment["HOME"] ?? "/tmp") + "/.local/share"
        }
        return base + "/xray/traces.sqlite"
    }

    /// Opens (and for writers creates, private to the user) the store at `path`, migrating it forward.
    ///
    /// No connection checkpoints when it closes, so a short command pays no fsync on the way out; the next
    /// process to open the store then replays the WAL. `checkpointPages` bounds that replay: a connection
    /// whose commit leaves a longer WAL checkpoints it (SQLite's default, 1000 pages, suits the daemon's
    /// writer; `xray run` asks for fewer so that every run starts quickly).
    ///
    /// - Throws: `StoreError` when the folder cannot be made, the file is not a store, or it comes from a newer xray.
    package init(path: String, readOnly: Bool = false, checkpointPages: Int = 1000) throws(StoreError) {
        self.path = path
        if readOnly {
            guard access(path, F_OK) == 0 else { throw StoreError.noSuchStore(path: path) }
        } else {
            try Self.createPrivateFile(path)
        }
        // Readers open read-write too: a WAL reader needs the -shm file, and it never writes data.
        db = try SQLiteConnection(path: path, readOnly: false)
        // Processes opening a new store at once (parallel `xray run`s) race to switch it to WAL and to
        // create the schema while it is still in rollback mode, where SQLite answers a lock upgrade that
        // could deadlock with SQLITE_BUSY at once instead of calling the busy handler
        // (sqlite.org/c3ref/busy_handler.html): such a refusal is tried again.
        var attempt = 0
        while true {
            attempt += 1
            do throws(StoreError) {
                try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;")
                try db.execute("PRAGMA wal_autocheckpoint=\(max(1, checkpointPages))")
                try migrate()
                break
            } catch  where error.isBusy && attempt < Self.busyAttempts {
                usleep(UInt32(1000 << attempt))
            } catch {
                if case .sqlite(_, let code, _) = error, code & 0xFF == SQLITE_NOTADB { throw StoreError.notAStore(path: path) }
                throw error
            }
        }
        fileIdentity = FileIdentity(path: path)
    }

    /// Whether closing the store folds its WAL into the store file when no other process uses it, so the
    /// store is one file at rest. For daemons, imports and prune; `xray run` leaves its few pages to the
    /// next of those to stay within its start-up budget, and folds them past 100 (`foldsWALOnClose(beyond:)`).
    package var foldsWALOnClose: Bool {
        get { db.checkpointOnClose }
        set { db.checkpointOnClose = newValue }
    }

    /// Folds the WAL on close as `foldsWALOnClose` does, but only once it holds more than `pages` pages of
    /// 4 KiB: `xray run` pays that checkpoint's fsyncs one run in several, instead of a WAL that only grows
    /// and that every run then checkpoints whole.
    package func foldsWALOnClose(beyond pages: Int) {
        db.checkpointOnCloseBeyond = pages * 4096
    }

    /// Opens the connection again: after its WAL file was deleted, new writes must go to the file that
    /// other processes see at the WAL's path, not to the deleted one this connection still holds.
    func reopen() throws(StoreError) {
        db.resetActiveStatements()
        let fresh = try SQLiteConnection(path: path, readOnly: false)
        fresh.checkpointOnClose = db.checkpointOnClose
        try fresh.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;")
        db = fresh
        fileIdentity = FileIdentity(path: path)
        walIdentity = nil
    }

    /// Refuses a damaged store before anything is written to it: `PRAGMA quick_check` reads every page
    /// once (linear in the file's size, about a second per few GB) but skips the index cross-checks of
    /// `integrity_check` (sqlite.org/pragma.html#pragma_quick_check).
    ///
    /// - Throws: `StoreError.corrupt` naming SQLite's first finding, or `.notAStore`.
    package func verify() throws(StoreError) {
        do throws(StoreError) {
            let s = try db.prepare("PRAGMA quick_check(1)")
            let ok = try s.step() ? s.text(0) : "no answer"
            guard ok == "ok" else { throw StoreError.corrupt(path: path, detail: ok ?? "unknown damage") }
        } catch {
            if let code = error.sqlitePrimaryCode, code == SQLITE_CORRUPT || code == SQLITE_NOTADB {
                throw StoreError.corrupt(path: path, detail: "SQLite error \(code): \(db.errorMessage)")
            }
            throw error
        }
    }

    /// What happened to the store's files since they were opened: nil when they are where they were,
    /// else a sentence for the user. A deleted WAL takes every commit not yet checkpointed with it, so
    /// this also folds that WAL (still open here) into the database file and starts a new one.
    package func checkFiles() -> String? {
        guard let opened = fileIdentity else { return nil }
        guard let now = FileIdentity(path: path) else {
            return "the store file \(path) was deleted while in use; what is written now is lost when xray exits"
        }
        if now != opened {
            return "the store file \(path) was replaced by another file while in use; xray keeps writing to the file it opened"
        }
        let walPath = path + "-wal"
        let wal = FileIdentity(path: walPath)
        guard let known = walIdentity else {
            walIdentity = wal
            return nil
        }
        guard wal != known else { return nil }
        db.resetActiveStatements()
        let rescued = (try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")) != nil
        let reopened = (try? reopen()) != nil
        walIdentity = FileIdentity(path: walPath)
        return "the store's WAL file \(walPath) was deleted or replaced while in use; "
            + (rescued ? "its commits were copied into \(path)" : "commits not yet in \(path) may be lost")
            + (reopened ? "" : ", and the store could not be opened again")
    }

    static func createPrivateFile(_ path: String) throws(StoreError) {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !folder.isEmpty { try makeDirectories(folder) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
    }

    /// `mkdir -p` where every folder it creates is private to the user (0700).
    static func makeDirectories(_ path: String) throws(StoreError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw StoreError.cannotCreateDirectory(path: current, errno: errno)
            }
        }
    }

    func migrate() throws(StoreError) {
        let version = try db.scalarInt("PRAGMA user_version")
        if version > Schema.currentVersion {
            throw StoreError.newerSchema(path: path, found: version, supported: Schema.currentVersion)
        }
        guard version < Schema.currentVersion else { return }
        try db.execute("BEGIN IMMEDIATE")
        do throws(StoreError) {
            // Another process may have created or migrated the store while we waited for the write lock, so
            // both checks happen again under it.
            let now = try db.scalarInt("PRAGMA user_version")
            if now == 0, try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table'") > 0 {
                throw StoreError.notAStore(path: path)
            }
            if now > Schema.currentVersion {
                throw StoreError.newerSchema(path: path, found: now, supported: Schema.currentVersion)
            }
            for index in now..<Schema.currentVersion {
                try db.execute(Schema.migrations[index].sql)
            }
            try db.execute("PRAGMA user_version = \(Schema.currentVersion)")
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The schema version of the open store.
    package func schemaVersion() throws(StoreError) -> Int { try db.scalarInt("PRAGMA user_version") }

    /// Tries of one write transaction that another connection kept from committing.
    static let busyAttempts = 6

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`, so writers queue instead of deadlocking).
    ///
    /// Several processes share a store: the busy timeout makes `BEGIN IMMEDIATE` wait for another writer,
    /// and a transaction that still fails as busy (`SQLITE_BUSY_SNAPSHOT` is never waited for) is rolled
    /// back and run again after 2, 4, ... 64 ms. No statement is left stepped from an earlier read, so
    /// this connection holds no old snapshot when it begins.
    ///
    /// - Throws: the first error that is not busy, or the busy error after `busyAttempts` tries.
    package func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            db.resetActiveStatements()
            do throws(StoreError) {
                try db.execute("BEGIN IMMEDIATE")
                do throws(StoreError) {
                    let result = try body()
                    try db.execute("COMMIT")
                    return result
                } catch {
                    if !db.isAutocommit { try? db.execute("ROLLBACK") }
                    throw error
                }
            } catch  where error.isBusy && attempt < Self.busyAttempts {
                usleep(UInt32(1000 << attempt))
            }
        }
    }

    /// Stores a batch and refreshes the summaries of the traces it touched.
    ///
    /// One transaction when it can; when SQLite refuses a value of one document (a constraint the
    /// parser did not foresee), the batch is halved until that document stands alone, so every other
    /// document is stored and the refused one is kept as a reject with SQLite's reason.
    ///
    /// `prepared`, from `prepare(documents)` on another thread, holds what the writer would otherwise compute
    /// for the traces new to the store.
    ///
    /// - Throws: errors of the store itself (full disk, I/O, damage, busy after retries): nothing was stored.
    package func ingest(
        _ documents: [IncomingDocument], rejects: [IncomingReject] = [], prepared: PreparedBatch? = nil
    ) throws(StoreError) -> IngestCounts {
        do {
            return try ingestOnce(documents[...], rejects: rejects, prepared: prepared?.documentCount == documents.count ? prepared : nil)
        } catch  where error.isDocumentSpecific {
            var counts = IngestCounts()
            if !rejects.isEmpty { counts += try ingestOnce([], rejects: rejects, prepared: nil) }
            try bisect(documents[...], into: &counts)
            return counts
        }
    }

    func bisect(_ documents: ArraySlice<IncomingDocument>, into counts: inout IngestCounts) throws(StoreError) {
        guard let first = documents.first else { return }
        do {
            counts += try ingestOnce(documents, rejects: [], prepared: nil)
        } catch  where error.isDocumentSpecific {
            guard documents.count > 1 else {
                let reason = "the store refused it: \(Self.sqliteReason(error))"
                counts += try ingestOnce(
                    [],
                    rejects: [
                        IncomingReject(
                            raw: first.raw, reason: reason, source: first.source, receivedAt: first.receivedAt)
                    ])
                counts.refused.append(.init(index: documents.startIndex, source: first.source, reason: reason))
                return
            }
            let middle = documents.startIndex + documents.count / 2
            try bisect(documents[..<middle], into: &counts)
            try bisect(documents[middle...], into: &counts)
        }
    }

    static func sqliteReason(_ error: StoreError) -> String {
        if case .sqlite(_, _, let message) = error { return message }
        return error.description
    }

    func ingestOnce(
        _ documents: ArraySlice<IncomingDocument>, rejects: [IncomingReject], prepared: PreparedBatch? = nil
    ) throws(StoreError) -> IngestCounts {
        try transaction { () throws(StoreError) -> IngestCounts in
            var counts = IngestCounts()
            var touched: [String: Double] = [:]
            // Traces with no document before this transaction whose documents in it were all new inserts:
            // written from memory (`prepared`, else followed here as `FreshTrace`s). Every other trace the
            // batch touches is read back from its rows.
            var fresh = Set<String>()
            var followed: [String: FreshTrace] = [:]
            var readBack = Set<String>()
            for d in documents {
                let traceID = d.document.traceID
                if !fresh.contains(traceID), !readBack.contains(traceID) {
                    if try hasDocuments(traceID: traceID) {
                        readBack.insert(traceID)
                    } else {
                        fresh.insert(traceID)
                        if prepared == nil { followed[traceID] = FreshTrace() }
                    }
                }
                let written = try upsert(d)
                if fresh.contains(traceID),
                    !written.inserted || (prepared == nil && followed[traceID]?.add(d, documentID: written.documentID) == false)
                {
                    fresh.remove(traceID)
                    followed[traceID] = nil
                    readBack.insert(traceID)
                }
                switch written.outcome {
                case .stored: counts.stored += 1
                case .duplicate: counts.duplicates += 1
                case .staleInProgress:
                    counts.staleInProgress += 1
                    continue
                }
                if let span = d.originalSpan { try storeOriginalSpan(d, span) }
                if touched[traceID] == nil { counts.traceIDs.append(traceID) }
                touched[traceID] = max(touched[traceID] ?? 0, d.receivedAt)
            }
            for r in rejects { try insertReject(r) }
            counts.rejected = rejects.count
            var delta = RollupDelta()
            for id in counts.traceIDs {
                let receivedAt = touched[id] ?? 0
                // A new trace that `prepare` left out (an entity id sent twice, exceptions only in a document)
                // is read back like any other.
                if fresh.contains(id), let trace = prepared?.traces[id] ?? followed[id].flatMap(Self.prepare) {
                    try writePrepared(traceID: id, trace, receivedAt: receivedAt, delta: &delta)
                } else {
                    try refreshSummary(traceID: id, receivedAt: receivedAt, delta: &delta)
                }
            }
            try applyRollups(delta)
            return counts
        }
    }

    /// What the writer needs for each trace of `documents` that turns out to be new to the store, computed
    /// without the store so that it can run on the thread that parsed them: the writer then only checks that
    /// each such trace was new and every document of it a new insert, and writes the rows.
    package static func prepare(_ documents: [IncomingDocument]) -> PreparedBatch {
        var traces: [String: FreshTrace] = [:]
        var left = Set<String>()
        for (i, d) in documents.enumerated() where !left.contains(d.document.traceID) {
            // Document ids stand in for the rowids the writer will give them: only their order is read.
            if traces[d.document.traceID, default: FreshTrace()].add(d, documentID: Int64(i)) == false {
                traces[d.document.traceID] = nil
                left.insert(d.document.traceID)
            }
        }
        return PreparedBatch(documentCount: documents.count, traces: traces.compactMapValues(Self.prepare))
    }

    /// Whether any document of the trace is stored: without one it has no entity, annotation, summary or
    /// details row either (prune deletes them together).
    func hasDocuments(traceID: String) throws(StoreError) -> Bool {
        let s = try db.prepared("SELECT 1 FROM documents WHERE trace_id=? LIMIT 1")
        s.bind(1, traceID)
        defer { s.reset() }
        return try s.step()
    }

    enum UpsertOutcome { case stored, duplicate, staleInProgress }

    /// What `upsert` did: `inserted` when the document was new (no copy replaced, nothing deleted).
    struct Upserted {
        var outcome: UpsertOutcome
        var documentID: Int64
        var inserted: Bool
    }

    func upsert(_ incoming: IncomingDocument) throws(StoreError) -> Upserted {
        let doc = incoming.document
        let insert = try db.prepared(
            """
            INSERT INTO documents(trace_id, id, in_progress, received_at, source, raw) VALUES(?,?,?,?,?,?)
            ON CONFLICT(trace_id, id) DO NOTHING
            """)
        insert.bind(1, doc.traceID)
        insert.bind(2, doc.id)
        insert.bind(3, doc.inProgress)
        insert.bind(4, incoming.receivedAt)
        insert.bind(5, incoming.source)
        incoming.raw.withUnsafeBytes { insert.bind(6, blob: $0) }
        try insert.step()
        if db.changes == 1 {
            let documentID = db.lastInsertRowID
            try insertEntities(doc, exceptions: incoming.exceptions, documentID: documentID)
            return Upserted(outcome: .stored, documentID: documentID, inserted: true)
        }
        var outcome = UpsertOutcome.stored
        let existing = try db.prepared("SELECT rowid, in_progress FROM documents WHERE trace_id=? AND id=?")
        existing.bind(1, doc.traceID)
        existing.bind(2, doc.id)
        guard try existing.step() else { throw StoreError.sqlite(path: path, code: SQLITE_INTERNAL, message: "document vanished during upsert") }
        let documentID = Int64(existing.int(0))
        let existingInProgress = existing.bool(1)
        existing.reset()
        // A complete document always wins over an in-progress one, whatever the arrival order.
        if doc.inProgress && !existingInProgress { return Upserted(outcome: .staleInProgress, documentID: documentID, inserted: false) }
        if !doc.inProgress && !existingInProgress { outcome = .duplicate }
        let update = try db.prepared("UPDATE documents SET in_progress=?, received_at=?, source=?, raw=? WHERE rowid=?")
        update.bind(1, doc.inProgress)
        update.bind(2, incoming.receivedAt)
        update.bind(3, incoming.source)
        incoming.raw.withUnsafeBytes { update.bind(4, blob: $0) }
        update.bind(5, documentID)
        try update.step()
        let deleteEntities = try db.prepared("DELETE FROM entities WHERE trace_id=? AND document_id=?")
        deleteEntities.bind(1, doc.traceID)
        deleteEntities.bind(2, documentID)
        try deleteEntities.step()
        let deleteAnnotations = try db.prepared("DELETE FROM annotations WHERE trace_id=? AND document_id=?")
        deleteAnnotations.bind(1, doc.traceID)
        deleteAnnotations.bind(2, documentID)
        try deleteAnnotations.step()
        try insertEntities(doc, exceptions: incoming.exceptions, documentID: documentID)
        return Upserted(outcome: outcome, documentID: documentID, inserted: false)
    }

    func insertEntities(_ doc: SegmentDocument, exceptions: [String?], documentID: Int64) throws(StoreError) {
        let entity = try db.prepared(
            """
            INSERT OR REPLACE INTO entities(trace_id, id, parent_id, document_id, kind, name, origin, namespace,
                start_time, end_time, in_progress, error, fault, throttle, http_method, http_url, http_status,
                http_user_agent, http_client_ip, user, sql, cause, warnings, exceptions)
            VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        let annotation = try db.prepared(
            """
            INSERT OR REPLACE INTO annotations(trace_id, entity_id, key, type, value, document_id) VALUES(?,?,?,?,?,?)
            """)
        for (index, e) in doc.entities.enumerated() {
            entity.reset()
            entity.bind(1, e.traceID)
            entity.bind(2, e.id)
            entity.bind(3, e.parentID)
            entity.bind(4, documentID)
            entity.bind(5, e.kind.rawValue)
            entity.bind(6, e.name)
            entity.bind(7, e.origin)
            entity.bind(8, e.namespace)
            entity.bind(9, e.startTime)
            entity.bind(10, e.endTime)
            entity.bind(11, e.inProgress)
            entity.bind(12, e.error)
            entity.bind(13, e.fault)
            entity.bind(14, e.throttle)
            entity.bind(15, e.httpMethod)
            entity.bind(16, e.httpURL)
            entity.bind(17, e.httpStatus)
            entity.bind(18, e.httpUserAgent)
            entity.bind(19, e.httpClientIP)
            entity.bind(20, e.user)
            entity.bind(21, e.sql)
            entity.bind(22, e.cause)
            entity.bind(23, e.warnings.isEmpty ? nil : e.warnings.joined(separator: "\n"))
            entity.bind(24, exceptions.indices.contains(index) ? exceptions[index] : nil)
            try entity.step()
            for a in e.annotations {
                annotation.reset()
                annotation.bind(1, e.traceID)
                annotation.bind(2, e.id)
                annotation.bind(3, a.key)
                annotation.bind(4, a.value.typeTag)
                switch a.value {
                case .string(let s): annotation.bind(5, s)
                case .number(let d): annotation.bind(5, d)
                case .bool(let b): annotation.bind(5, b)
                }
                annotation.bind(6, documentID)
                try annotation.step()
            }
        }
    }

    func insertReject(_ r: IncomingReject) throws(StoreError) {
        let s = try db.prepared("INSERT INTO rejects(received_at, source, reason, raw) VALUES(?,?,?,?)")
        s.bind(1, r.receivedAt)
        s.bind(2, r.source)
        s.bind(3, r.reason)
        r.raw.withUnsafeBytes { s.bind(4, blob: $0) }
        try s.step()
    }

    /// Recomputes one trace's summary row and details from its entities: the root segment decides HasError
    /// and HasFault (GetTraceSummaries in the X-Ray API reference).
    func refreshSummary(traceID: String, receivedAt: Double, delta: inout RollupDelta) throws(StoreError) {
        let aggregate = try db.prepared(
            """
            SELECT min(start_time), max(coalesce(end_time, start_time)), count(*), sum(in_progress), max(throttle)
            FROM entities WHERE trace_id=?
            """)
        aggregate.bind(1, traceID)
        guard try aggregate.step(), !aggregate.isNull(0) else {
            aggregate.reset()
            let delete = try db.prepared("DELETE FROM traces WHERE trace_id=?")
            delete.bind(1, traceID)
            try delete.step()
            try refreshDetails(traceID: traceID, rootID: nil, entityCount: 0, facts: nil, delta: &delta)
            return
        }
        var row = SummaryRow(
            start: aggregate.double(0), end: aggregate.double(1), count: aggregate.int(2), inProgress: aggregate.int(3),
            throttle: aggregate.bool(4))
        aggregate.reset()
        // The root: a segment without parent, else the earliest segment, else the earliest entity (`SummaryRow.precedes`).
        let root = try db.prepared(
            """
            SELECT id, name, origin, start_time, end_time, http_method, http_url, http_status, error, fault
            FROM entities WHERE trace_id=? ORDER BY kind, parent_id IS NOT NULL, start_time, id LIMIT 1
            """)
        root.bind(1, traceID)
        guard try root.step() else { return }
        row.rootID = root.text(0)
        row.rootName = root.text(1)
        row.rootOrigin = root.text(2)
        row.rootStart = root.double(3)
        row.rootEnd = root.optionalDouble(4)
        row.method = root.text(5)
        row.url = root.text(6)
        row.status = root.optionalInt(7)
        row.error = root.bool(8)
        row.fault = root.bool(9)
        root.reset()
        try writeSummary(traceID: traceID, row, receivedAt: receivedAt)
        try refreshDetails(traceID: traceID, rootID: row.rootID, entityCount: row.count, facts: row.facts, delta: &delta)
    }

    /// The summary row, details and rollup samples of a trace new to the store, from its documents alone: the
    /// same values `refreshSummary` reads back from its rows. Nil when an entity's exceptions would have to be
    /// read from its stored document (`exceptions(of:traceID:documents:)`).
    static func prepare(_ trace: FreshTrace) -> PreparedTrace? {
        let rows = trace.rows()
        guard let first = rows.entities.first, !rows.entities.contains(where: { $0.exceptions == nil && $0.cause != nil }) else { return nil }
        var row = SummaryRow(start: first.start, end: first.end ?? first.start, count: rows.entities.count, inProgress: trace.inProgress, throttle: false)
        var root = first
        for e in rows.entities {
            row.start = min(row.start, e.start)
            row.end = max(row.end, e.end ?? e.start)
            row.throttle = row.throttle || e.throttle
            if SummaryRow.precedes(e, root) { root = e }
        }
        row.rootID = root.id
        row.rootName = root.name
        row.rootOrigin = root.origin
        row.rootStart = root.start
        row.rootEnd = root.end
        row.method = root.http.method
        row.url = root.http.url
        row.status = root.http.status
        row.error = root.error
        row.fault = root.fault
        guard row.count <= SummaryRules.maxEntitiesAtWriteTime else { return PreparedTrace(row: row, details: nil) }
        // Every entity with a cause has its exceptions (checked above), so nothing is read here.
        guard let details = try? summaryDetails(rootID: root.id, rows, exceptions: { (e) throws(StoreError) -> String in e.exceptions ?? "[]" })
        else { return nil }
        return PreparedTrace(row: row, details: WrittenDetails(details, rows: rows, facts: row.facts))
    }

    /// Writes a new trace's summary and details as `prepare` computed them (the trace had no rows, so it has
    /// no old samples to take out of the rollups).
    func writePrepared(traceID: String, _ trace: PreparedTrace, receivedAt: Double, delta: inout RollupDelta) throws(StoreError) {
        try writeSummary(traceID: traceID, trace.row, receivedAt: receivedAt)
        guard let details = trace.details else {
            try refreshDetails(traceID: traceID, rootID: trace.row.rootID, entityCount: trace.row.count, facts: trace.row.facts, delta: &delta)
            return
        }
        try storeDetails(traceID: traceID, details, delta: &delta)
    }

    /// Upserts the trace's summary row.
    func writeSummary(traceID: String, _ row: SummaryRow, receivedAt: Double) throws(StoreError) {
        let upsert = try db.prepared(
            """
            INSERT INTO traces(trace_id, start_time, end_time, duration, response_time, root_id, root_name, root_origin,
                http_method, http_url, http_status, has_error, has_fault, has_throttle, is_partial, entity_count,
                in_progress_count, first_received, last_received)
            VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(trace_id) DO UPDATE SET start_time=excluded.start_time, end_time=excluded.end_time,
                duration=excluded.duration, response_time=excluded.response_time, root_id=excluded.root_id,
                root_name=excluded.root_name, root_origin=excluded.root_origin, http_method=excluded.http_method,
                http_url=excluded.http_url, http_status=excluded.http_status, has_error=excluded.has_error,
                has_fault=excluded.has_fault, has_throttle=excluded.has_throttle, is_partial=excluded.is_partial,
                entity_count=excluded.entity_count, in_progress_count=excluded.in_progress_count,
                last_received=max(last_received, excluded.last_received)
            """)
        upsert.bind(1, traceID)
        upsert.bind(2, row.start)
        upsert.bind(3, row.end)
        upsert.bind(4, row.end - row.start)
        upsert.bind(5, row.responseTime)
        upsert.bind(6, row.rootID)
        upsert.bind(7, row.rootName)
        upsert.bind(8, row.rootOrigin)
        upsert.bind(9, row.method)
        upsert.bind(10, row.url)
        upsert.bind(11, row.status)
        upsert.bind(12, row.error)
        upsert.bind(13, row.fault)
        upsert.bind(14, row.throttle)
        upsert.bind(15, row.inProgress > 0)
        upsert.bind(16, row.count)
        upsert.bind(17, row.inProgress)
        upsert.bind(18, receivedAt)
        upsert.bind(19, receivedAt)
        try upsert.step()
    }
}

/// What `TraceStore.prepare` computed for a batch: the traces it can write without reading them back.
package struct PreparedBatch: Sendable {
    /// Documents it was computed from: a batch of another length (a bisected part) ignores it.
    var documentCount: Int
    var traces: [String: PreparedTrace]
}

/// A new trace's summary row, and its details unless it is beyond `maxEntitiesAtWriteTime`.
struct PreparedTrace: Sendable {
    var row: SummaryRow
    var details: WrittenDetails?
}

/// A trace's `traces` row before it is written: the aggregate of its entities and its root's fields.
struct SummaryRow: Sendable {
    var start: Double
    var end: Double
    var count: Int
    var inProgress: Int
    var throttle: Bool
    var rootID: String?
    var rootName: String?
    var rootOrigin: String?
    var rootStart = 0.0
    var rootEnd: Double?
    var method: String?
    var url: String?
    var status: Int?
    var error = false
    var fault = false

    var responseTime: Double? { rootEnd.map { $0 - rootStart } }

    /// What the trace's rollup samples are computed from.
    var facts: TraceFacts {
        TraceFacts(rootName: rootName, method: method, url: url, error: error, fault: fault, throttle: throttle, responseTime: responseTime)
    }

    /// The root's order, as `refreshSummary`'s SQL sorts: segments first, then those without a parent,
    /// then the earliest, then by id.
    static func precedes(_ a: DetailEntity, _ b: DetailEntity) -> Bool {
        if a.kind != b.kind { return a.kind < b.kind }
        if (a.parentID != nil) != (b.parentID != nil) { return a.parentID == nil }
        if a.start != b.start { return a.start < b.start }
        return a.id < b.id
    }
}

/// A trace that had no document in the store when this transaction began, and whose documents in it were
/// all new inserts with distinct entity ids: its entity and annotation rows are then exactly the ones these
/// documents produced, so the writer computes its summary, details and rollup samples from them instead of
/// reading the rows back (which cost the writer as much as writing them). Any other trace is read back.
struct FreshTrace {
    private var entities: [DetailEntity] = []
    private var ids = Set<String>()
    private(set) var inProgress = 0
    private var annotations: [(key: String, value: AnnotationValue, service: String, document: Int64, entity: String)] = []
    private var users: [(name: String, service: String, document: Int64, entity: String)] = []

    /// Adds a newly inserted document's rows; false when one of its entity ids is already in the trace (an
    /// `INSERT OR REPLACE` then replaced a row, and only the stored rows say which survived).
    mutating func add(_ d: IncomingDocument, documentID: Int64) -> Bool {
        // The segment whose document recorded an annotation or user: the document's own (top) entity.
        let service = d.document.entities.first?.name ?? ""
        for (index, e) in d.document.entities.enumerated() {
            guard ids.insert(e.id).inserted else { return false }
            if e.inProgress { inProgress += 1 }
            if let user = e.user { users.append((user, service, documentID, e.id)) }
            for a in e.annotations { annotations.append((a.key, a.value, service, documentID, e.id)) }
            entities.append(
                DetailEntity(
                    id: e.id, parentID: e.parentID, kind: e.kind.rawValue, name: e.name, origin: e.origin, namespace: e.namespace,
                    start: e.startTime, end: e.endTime, error: e.error, fault: e.fault, throttle: e.throttle, documentID: documentID,
                    exceptions: d.exceptions.indices.contains(index) ? d.exceptions[index] : nil, cause: e.cause,
                    http: RootRequest(url: e.httpURL, status: e.httpStatus, method: e.httpMethod, userAgent: e.httpUserAgent, clientIP: e.httpClientIP)))
        }
        return true
    }

    /// The rows in the orders the read-back queries return them (`detailEntities`, `annotationSources`,
    /// `userSources`): SQLite compares text byte by byte.
    func rows() -> TraceRows {
        func bytesBefore(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        let sortedAnnotations = annotations.sorted { a, b in
            if a.key != b.key { return bytesBefore(a.key, b.key) }
            if a.document != b.document { return a.document < b.document }
            return bytesBefore(a.entity, b.entity)
        }
        let sortedUsers = users.sorted { a, b in a.document != b.document ? a.document < b.document : bytesBefore(a.entity, b.entity) }
        return TraceRows(
            // Entity ids are 16 lowercase hex digits (`SegmentDocumentParser`), so `<` is byte order.
            entities: entities.sorted { $0.id < $1.id },
            annotations: sortedAnnotations.map { ($0.key, $0.value, $0.service) },
            users: sortedUsers.map { ($0.name, $0.service) })
    }
}

/// Where a file is on disk: the same path with another device or inode is another file.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
