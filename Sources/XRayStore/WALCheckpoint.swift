import CSQLite

/// How far the WAL is folded into the database file after one checkpoint pass.
package struct WALProgress: Sendable, Hashable {
    /// Frames (pages) in the WAL.
    package var frames: Int
    /// Of those, frames now copied into the database file.
    package var checkpointed: Int

    package init(frames: Int, checkpointed: Int) {
        self.frames = frames
        self.checkpointed = checkpointed
    }

    /// Everything in the WAL is in the database file: the next write transaction starts the WAL over.
    package var isComplete: Bool { checkpointed >= frames }
}

/// A second connection to a store that only checkpoints its WAL, so that the connection writing documents
/// never copies pages into the database file nor waits for that file's fsync.
///
/// Each pass is `SQLITE_CHECKPOINT_PASSIVE`: it copies what is committed while the writer goes on adding
/// to the WAL and readers go on reading, and never waits for a lock (sqlite.org/wal.html#ckpt,
/// sqlite.org/c3ref/wal_checkpoint_v2.html). SQLite starts the WAL over only when a write transaction begins
/// after a pass that copied every frame; the collector's writer waits for such a pass now and then
/// (`Checkpoints` in XRayCollector) so the WAL stays bounded.
package final class WALCheckpointer {
    let db: SQLiteConnection

    /// Opens `path`, a store another connection already created and set to WAL mode.
    package init(path: String) throws(StoreError) {
        db = try SQLiteConnection(path: path, readOnly: false)
        // Synced as the writer's connection is: the WAL before copying, the database file after.
        try db.execute("PRAGMA synchronous=NORMAL")
    }

    /// One passive pass; nil when another checkpoint (a writer's automatic one) is running.
    package func checkpoint() throws(StoreError) -> WALProgress? {
        var frames: Int32 = 0
        var checkpointed: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &checkpointed)
        if rc == SQLITE_BUSY { return nil }
        guard rc == SQLITE_OK else { throw StoreError.sqlite(path: db.path, code: rc, message: db.errorMessage) }
        return WALProgress(frames: Int(frames), checkpointed: Int(checkpointed))
    }
}

/// The WAL's length after a connection's last commit, as SQLite's commit hook reports it
/// (sqlite.org/c3ref/wal_hook.html).
final class WALLength {
    var frames = 0
    /// Past this length the committing connection checkpoints itself, as SQLite's automatic checkpoint does.
    let fallbackFrames: Int

    init(fallbackFrames: Int) { self.fallbackFrames = fallbackFrames }
}

extension TraceStore {
    /// Replaces this connection's automatic checkpoint by a commit hook that records the WAL's length
    /// (`walFrames`) and checkpoints past `fallbackFrames` as the automatic one would: the collector's
    /// writer reads the length before each transaction to know when to let the checkpointer thread catch up.
    package func watchWAL(fallbackFrames: Int) {
        let length = WALLength(fallbackFrames: fallbackFrames)
        db.walLength = length
        sqlite3_wal_hook(
            db.handle,
            { context, handle, name, frames in
                guard let context else { return SQLITE_OK }
                let length = Unmanaged<WALLength>.fromOpaque(context).takeUnretainedValue()
                length.frames = Int(frames)
                if Int(frames) >= length.fallbackFrames {
                    sqlite3_wal_checkpoint_v2(handle, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(length).toOpaque())
    }

    /// Frames in the WAL after this connection's last commit; 0 unless `watchWAL` was called (and after
    /// the connection was opened again, which drops the hook for SQLite's own automatic checkpoint).
    package var walFrames: Int { db.walLength?.frames ?? 0 }
}
