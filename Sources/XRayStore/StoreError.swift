/// Why the store could not do what was asked, worded for the person at the terminal.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case cannotCreateDirectory(path: String, errno: Int32)
    case cannotOpen(path: String, reason: String)
    case notAStore(path: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case sqlite(path: String, code: Int32, message: String)
    case traceNotFound(String)
    case ambiguousTracePrefix(String, candidates: [String])
    case emptyStore(path: String)
    case runNotFound(String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let errno):
            return "cannot create the store folder \(path) (errno \(errno)); choose another place with --store PATH or XRAY_STORE"
        case .cannotOpen(let path, let reason):
            return "cannot open the store \(path): \(reason); check the path and its permissions, or choose another with --store PATH"
        case .notAStore(let path):
            return "\(path) is not an xray store (not SQLite, or another program's database); pass a different --store PATH"
        case .newerSchema(let path, let found, let supported):
            return "the store \(path) has schema version \(found), newer than this xray understands (\(supported)); upgrade xray or use another --store"
        case .sqlite(let path, let code, let message):
            return "SQLite error \(code) on \(path): \(message)"
        case .traceNotFound(let id):
            return "no stored trace matches \"\(id)\"; list stored traces with: xray inspect traces"
        case .ambiguousTracePrefix(let prefix, let candidates):
            return "\"\(prefix)\" matches \(candidates.count) traces (\(candidates.prefix(3).joined(separator: ", "))...); type more of the id"
        case .runNotFound(let query):
            return "no recorded run matches \"\(query)\"; runs are recorded by xray run -- CMD, and named by number or `last`"
        case .emptyStore(let path):
            return "the store \(path) holds no traces yet; record some with: xray run -- CMD, or xray inspect import FILE"
        }
    }
}
