/// One `xray run`: the command, its trace and segment, and how it ended.
package struct RunRecord: Sendable, Hashable {
    package var id: Int
    package var traceID: String
    package var segmentID: String
    package var name: String
    package var argv: [String]
    package var startedAt: Double
    package var endedAt: Double?
    package var exitStatus: Int?

    package init(id: Int, traceID: String, segmentID: String, name: String, argv: [String], startedAt: Double, endedAt: Double?, exitStatus: Int?) {
        self.id = id
        self.traceID = traceID
        self.segmentID = segmentID
        self.name = name
        self.argv = argv
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.exitStatus = exitStatus
    }
}

extension TraceStore {
    /// Records a finished run and every trace whose datagrams arrived through its collector.
    package func recordRun(_ run: RunRecord, traceIDs: [String]) throws(StoreError) -> Int {
        try transaction { () throws(StoreError) -> Int in
            let insert = try db.cached(
                """
                INSERT INTO runs(trace_id, segment_id, name, argv, started_at, ended_at, exit_status) VALUES(?,?,?,?,?,?,?)
                """)
            insert.bind(1, run.traceID)
            insert.bind(2, run.segmentID)
            insert.bind(3, run.name)
            insert.bind(4, run.argv.joined(separator: "\u{0}"))
            insert.bind(5, run.startedAt)
            insert.bind(6, run.endedAt)
            insert.bind(7, run.exitStatus)
            try insert.step()
            let id = Int(db.lastInsertRowID)
            let link = try db.cached("INSERT OR IGNORE INTO run_traces(run_id, trace_id) VALUES(?,?)")
            for traceID in Set(traceIDs + [run.traceID]) {
                link.reset()
                link.bind(1, id)
                link.bind(2, traceID)
                try link.step()
            }
            return id
        }
    }

    /// `last` (the newest run) or a run id.
    package func resolveRun(_ query: String) throws(StoreError) -> RunRecord {
        let s: SQLiteStatement
        if query == "last" {
            s = try db.cached("SELECT rowid, trace_id, segment_id, name, argv, started_at, ended_at, exit_status FROM runs ORDER BY rowid DESC LIMIT 1")
        } else if let id = Int(query) {
            s = try db.cached("SELECT rowid, trace_id, segment_id, name, argv, started_at, ended_at, exit_status FROM runs WHERE rowid=?")
            s.bind(1, id)
        } else {
            throw StoreError.runNotFound(query)
        }
        defer { s.reset() }
        guard try s.step() else { throw StoreError.runNotFound(query) }
        return RunRecord(
            id: s.int(0), traceID: s.text(1) ?? "", segmentID: s.text(2) ?? "", name: s.text(3) ?? "",
            argv: (s.text(4) ?? "").split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init),
            startedAt: s.double(5), endedAt: s.optionalDouble(6), exitStatus: s.optionalInt(7))
    }

    /// The traces a run captured, its own trace first.
    package func traceIDs(ofRun run: RunRecord) throws(StoreError) -> [String] {
        let s = try db.cached("SELECT trace_id FROM run_traces WHERE run_id=? ORDER BY trace_id")
        s.bind(1, run.id)
        var out = [run.traceID]
        while try s.step() { if let t = s.text(0), t != run.traceID { out.append(t) } }
        return out
    }
}

/// What one trace holds, as `xray run` summarizes it: its entities, and those besides the run's own segment
/// with each flag.
package struct RunTraceCounts: Sendable, Hashable {
    package var entities = 0
    /// Entities other than the run's segment: what the command sent.
    package var commandEntities = 0
    package var errors = 0
    package var faults = 0
    package var throttles = 0
}

extension TraceStore {
    /// The counts of trace `traceID`, leaving the run's own segment `runSegment` out of all but `entities`.
    package func runCounts(traceID: String, excluding runSegment: String) throws(StoreError) -> RunTraceCounts {
        var counts = RunTraceCounts()
        try select(
            """
            SELECT count(*), coalesce(sum(id<>?1),0), coalesce(sum(error AND id<>?1),0),
                coalesce(sum(fault AND id<>?1),0), coalesce(sum(throttle AND id<>?1),0)
            FROM entities WHERE trace_id=?2
            """,
            [.text(runSegment), .text(traceID)]
        ) { row in
            counts = RunTraceCounts(
                entities: row.int(0), commandEntities: row.int(1), errors: row.int(2), faults: row.int(3), throttles: row.int(4))
        }
        return counts
    }

    /// Whether the document `id` of trace `traceID` is stored: how `xray run` knows its own segment arrived.
    package func hasDocument(traceID: String, id: String) throws(StoreError) -> Bool {
        var found = false
        try select("SELECT 1 FROM documents WHERE trace_id=? AND id=?", [.text(traceID), .text(id)]) { _ in found = true }
        return found
    }
}

extension TraceStore {
    /// The newest `limit` runs, newest first, each with how many traces it captured (its own included).
    package func runs(limit: Int) throws(StoreError) -> [(run: RunRecord, traceCount: Int)] {
        let s = try db.cached(
            """
            SELECT rowid, trace_id, segment_id, name, argv, started_at, ended_at, exit_status,
                   (SELECT count(*) FROM run_traces WHERE run_id = runs.rowid) FROM runs ORDER BY rowid DESC LIMIT ?
            """)
        defer { s.reset() }
        s.bind(1, limit)
        var out: [(run: RunRecord, traceCount: Int)] = []
        while try s.step() {
            out.append(
                (
                    RunRecord(
                        id: s.int(0), traceID: s.text(1) ?? "", segmentID: s.text(2) ?? "", name: s.text(3) ?? "",
                        argv: (s.text(4) ?? "").split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init),
                        startedAt: s.double(5), endedAt: s.optionalDouble(6), exitStatus: s.optionalInt(7)), s.int(8)
                ))
        }
        return out
    }
}

extension TraceStore {
    /// The run before the newest one (`--run previous`), if there are two.
    package func previousRunID() throws(StoreError) -> Int? {
        var id: Int?
        try select("SELECT rowid FROM runs ORDER BY rowid DESC LIMIT 1 OFFSET 1", []) { id = $0.int(0) }
        return id
    }
}
