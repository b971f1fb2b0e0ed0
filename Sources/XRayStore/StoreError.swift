/// Why the store could not do what was asked.
///
/// Descriptions say what happened and name no flag or command: the CLI adds what to do next (see its
/// exit-code funnel), and the HTTP API sends its own words.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotCreateDirectory(path: String, errno: Int32)
    case cannotOpen(path: String, reason: String)
    case notAStore(path: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case sqlite(path: String, code: Int32, message: String)
    case traceNotFound(String)
    case ambiguousTracePrefix(String, candidates: [String])
    case emptyStore(path: String)
    /// A command that only reads was pointed at a file that does not exist.
    case noSuchStore(path: String)
    case runNotFound(String)
    /// `last` was asked for, but every stored trace is only `xray run`'s own segments.
    case onlyRunSegments(path: String)
    /// `last-run` was asked for, but no run is recorded.
    case noRuns(path: String)
    /// `PRAGMA quick_check` found damage, or SQLite reported it (`SQLITE_CORRUPT`).
    case corrupt(path: String, detail: String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let errno):
            return "cannot create the store folder \(path) (errno \(errno))"
        case .cannotOpen(let path, let reason):
            return "cannot open the store \(path): \(reason)"
        case .notAStore(let path):
            return "\(path) is not an xray store (not SQLite, or another program's database)"
        case .newerSchema(let path, let found, let supported):
            return "the store \(path) has schema version \(found), newer than this xray understands (\(supported))"
        case .sqlite(let path, let code, let message):
            return "SQLite error \(code) on \(path): \(message)"
        case .traceNotFound(let id):
            return "no stored trace matches \"\(id)\""
        case .ambiguousTracePrefix(let prefix, let candidates):
            return "\"\(prefix)\" matches \(candidates.count) traces (\(candidates.prefix(3).joined(separator: ", "))...); type more of the id"
        case .runNotFound(let query):
            return "no recorded run matches \"\(query)\""
        case .corrupt(let path, let detail):
            return "the store \(path) is damaged (\(detail))"
        case .onlyRunSegments(let path):
            return "the store \(path) holds only xray run's own segments, no request yet"
        case .noRuns(let path):
            return "the store \(path) records no xray run yet"
        case .noSuchStore(let path):
            return "no such store: \(path)"
        case .emptyStore(let path):
            return "the store \(path) holds no traces yet"
        }
    }
}

extension StoreError {
    /// SQLite's primary result code, when SQLite reported the error.
    public var sqlitePrimaryCode: Int32? {
        if case .sqlite(_, let code, _) = self { return code & 0xFF }
        return nil
    }

    /// Another connection holds the lock, or moved the snapshot on: the same transaction may succeed later.
    public var isBusy: Bool {
        guard let code = sqlitePrimaryCode else { return false }
        return code == 5 || code == 6  // SQLITE_BUSY, SQLITE_LOCKED
    }

    /// The error comes from the values of one document (a constraint, a type or size limit), not from the
    /// store: the rest of its batch can still be stored.
    public var isDocumentSpecific: Bool {
        guard let code = sqlitePrimaryCode else { return false }
        return code == 18 || code == 19 || code == 20 || code == 25  // TOOBIG, CONSTRAINT, MISMATCH, RANGE
    }
}
