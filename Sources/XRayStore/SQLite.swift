import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// SQLite's `SQLITE_TRANSIENT`: the C macro does not reach Swift.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe: each thread that needs the store opens its own.
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String
    private var cache: [String: SQLiteStatement] = [:]
    private var staticCache: [UInt: SQLiteStatement] = [:]
    private let readOnly: Bool
    /// Whether closing folds the WAL into the database file (see `checkpointIfLast`).
    var checkpointOnClose = false
    /// Closing folds the WAL too when it is longer than this many bytes (see `checkpointIfLast`).
    var checkpointOnCloseBeyond: Int?
    /// Kept alive here for the commit hook that writes to it (`TraceStore.watchWAL`).
    var walLength: WALLength?

    init(path: String, readOnly: Bool) throws(StoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError.cannotOpen(path: path, reason: message)
        }
        self.handle = db
        self.path = path
        self.readOnly = readOnly
        // Readers and writers from other processes wait instead of failing with "database is locked".
        sqlite3_busy_timeout(db, 30_000)
        sqlite3_extended_result_codes(db, 1)
        xr_sqlite_skip_checkpoint_on_close(db)
    }

    deinit {
        cache.removeAll()
        staticCache.removeAll()
        checkpointIfLast()
        sqlite3_close_v2(handle)
    }

    /// Folds the WAL back into the database file when asked to and nobody else is
    /// using the store, so that the store is one file at rest (copying `traces.sqlite` alone copies everything).
    ///
    /// Closing connections skip SQLite's own checkpoint (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`), which would
    /// also delete the WAL and `-shm` files that the next opener must then recreate, and which `xray run`
    /// cannot afford: its fsyncs cost several times the run's 10 ms budget. Bulk writers opt in
    /// (`TraceStore.foldsWALOnClose`): an empty WAL then costs one `stat`, and a non-empty one a `TRUNCATE`
    /// checkpoint that never waits: with another process reading or writing it answers `SQLITE_BUSY` at
    /// once and the last one out does it (sqlite.org/c3ref/wal_checkpoint_v2.html).
    ///
    /// A WAL is started over only by a write that begins after a checkpoint copied all of it, and a process
    /// that opens the store first forgets what earlier processes copied (the `-shm` index is rebuilt), so a
    /// store written only by short commands that never fold their WAL would see it grow with every one of
    /// them: `checkpointOnCloseBeyond` bounds it.
    private func checkpointIfLast() {
        guard !readOnly else { return }
        let size = Self.fileSize(path + "-wal")
        guard size > 0, checkpointOnClose || checkpointOnCloseBeyond.map({ size > $0 }) == true else { return }
        sqlite3_busy_timeout(handle, 0)
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
    }

    /// The size of the file at `path`, 0 when there is none.
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Resets every statement of this connection that was stepped and not reset: an unfinished SELECT
    /// holds a read transaction, and with it a snapshot that a later write cannot upgrade once another
    /// process has committed (`SQLITE_BUSY_SNAPSHOT`, sqlite.org/rescode.html#busy_snapshot).
    func resetActiveStatements() {
        var statement = sqlite3_next_stmt(handle, nil)
        while let s = statement {
            if sqlite3_stmt_busy(s) != 0 { sqlite3_reset(s) }
            statement = sqlite3_next_stmt(handle, s)
        }
    }

    /// True outside any transaction, read or write (no statement pinning a snapshot either).
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(message)
            throw StoreError.sqlite(path: path, code: rc, message: text)
        }
    }

    /// A prepared statement reused across calls: prepare once, bind many times.
    func cached(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        let s = try SQLiteStatement(connection: self, sql: sql, persistent: true)
        cache[sql] = s
        return s
    }

    /// The hot-path form of `cached`: keyed by the literal's address, so a lookup hashes one word instead
    /// of the whole SQL text (which cost a measurable share of ingest).
    func prepared(_ sql: StaticString) throws(StoreError) -> SQLiteStatement {
        let key = UInt(bitPattern: sql.utf8Start)
        if let s = staticCache[key] {
            s.reset()
            return s
        }
        let s = try SQLiteStatement(connection: self, sql: sql.description, persistent: true)
        staticCache[key] = s
        return s
    }

    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql, persistent: false)
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func scalarInt(_ sql: String) throws(StoreError) -> Int {
        let s = try prepare(sql)
        return try s.step() ? s.int(0) : 0
    }
}

/// A prepared statement with positional binding (1-based) and column reads (0-based).
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String, persistent: Bool) throws(StoreError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw StoreError.sqlite(path: connection.path, code: rc, message: "\(connection.errorMessage) in: \(sql.prefix(120))")
        }
        self.handle = stmt
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        var v = value
        v.withUTF8 { buf in
            _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(buf.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32(buf.count), sqliteTransient)
        }
    }

    func bind(_ index: Int32, _ value: Double?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int(handle, index, value ? 1 : 0)
    }

    /// Binds bytes; an empty buffer binds an empty blob, not NULL (which `sqlite3_bind_blob` makes of a nil pointer).
    func bind(_ index: Int32, blob: UnsafeRawBufferPointer) {
        guard let base = blob.baseAddress, blob.count > 0 else {
            sqlite3_bind_zeroblob(handle, index, 0)
            return
        }
        _ = sqlite3_bind_blob(handle, index, base, Int32(blob.count), sqliteTransient)
    }

    /// Binds the value of a typed parameter, as the query compiler produces them.
    func bind(_ index: Int32, _ value: SQLValue) {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .int(let i): sqlite3_bind_int64(handle, index, Int64(i))
        case .double(let d): sqlite3_bind_double(handle, index, d)
        case .text(let s): bind(index, s)
        }
    }

    /// Steps once; true when a row is available.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw StoreError.sqlite(path: connection.path, code: rc, message: connection.errorMessage)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }

    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }

    func bool(_ column: Int32) -> Bool { sqlite3_column_int(handle, column) != 0 }

    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, column))
        guard n > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// A value bound to a statement parameter: user input never becomes SQL text.
package enum SQLValue: Sendable, Hashable {
    case null
    case int(Int)
    case double(Double)
    case text(String)
}
