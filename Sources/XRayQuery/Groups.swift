import XRayStore

/// A named filter the user saved, which `group.name = "NAME"` refers to (X-Ray's groups, kept in the store).
public struct FilterGroup: Sendable, Hashable {
    public var name: String
    public var filter: String
}

/// Saved groups in the store's `groups` table.
public struct GroupStore {
    let store: TraceStore

    public init(store: TraceStore) { self.store = store }

    /// Every group, by name.
    public func list() throws(QueryError) -> [FilterGroup] {
        var out: [FilterGroup] = []
        try QueryEngine(store: store).rows("SELECT name, filter FROM groups ORDER BY name", []) { s in
            out.append(FilterGroup(name: s.text(0) ?? "", filter: s.text(1) ?? ""))
        }
        return out
    }

    func all() throws(QueryError) -> [String: String] {
        Dictionary(try list().map { ($0.name, $0.filter) }, uniquingKeysWith: { a, _ in a })
    }

    /// Saves a group after checking that its filter parses and compiles (so a broken group is never stored).
    ///
    /// - Throws: `.invalidGroupName`, `.duplicateGroup`, or the filter's own parse or compile error.
    public func add(name: String, filter: String, now: Double) throws(QueryError) {
        guard Self.isValidName(name) else { throw QueryError.invalidGroupName(name) }
        var groups = try all()
        guard groups[name] == nil else { throw QueryError.duplicateGroup(name) }
        groups[name] = filter
        _ = try FilterCompiler.compile(.group(name), groups: groups)
        do {
            try store.execute("INSERT INTO groups(name, filter, created_at) VALUES(?,?,?)", [.text(name), .text(filter), .double(now)])
        } catch {
            throw QueryError.store(error)
        }
    }

    /// Removes a group; returns false when there was none of that name.
    public func remove(name: String) throws(QueryError) -> Bool {
        do {
            return try store.execute("DELETE FROM groups WHERE name=?", [.text(name)]) > 0
        } catch {
            throw QueryError.store(error)
        }
    }

    /// 1 to 32 letters, digits, `-`, `_` or `.`: X-Ray's own limits on group names.
    static func isValidName(_ name: String) -> Bool {
        (1...32).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
