import XRayStore

/// Saved groups: what makes a name and a filter fit to save; the store keeps them.
package struct GroupStore {
    let store: TraceStore

    package init(store: TraceStore) { self.store = store }

    /// Every group, by name.
    package func list() throws(QueryError) -> [FilterGroup] {
        do {
            return try store.groups()
        } catch {
            throw QueryError.store(error)
        }
    }

    func all() throws(QueryError) -> [String: String] {
        Dictionary(try list().map { ($0.name, $0.filter) }, uniquingKeysWith: { a, _ in a })
    }

    /// Saves a group after checking that its filter parses and compiles (so a broken group is never stored).
    ///
    /// - Throws: `.invalidGroupName`, `.duplicateGroup`, or the filter's own parse or compile error.
    package func add(name: String, filter: String, now: Double) throws(QueryError) {
        guard Self.isValidName(name) else { throw QueryError.invalidGroupName(name) }
        var groups = try all()
        guard groups[name] == nil else { throw QueryError.duplicateGroup(name) }
        groups[name] = filter
        _ = try FilterCompiler.compile(.group(name), groups: groups)
        do {
            try store.insertGroup(name: name, filter: filter, createdAt: now)
        } catch {
            throw QueryError.store(error)
        }
    }

    /// Removes a group; returns false when there was none of that name.
    package func remove(name: String) throws(QueryError) -> Bool {
        do {
            return try store.deleteGroup(name: name)
        } catch {
            throw QueryError.store(error)
        }
    }

    /// 1 to 32 letters, digits, `-`, `_` or `.`: X-Ray's own limits on group names.
    static func isValidName(_ name: String) -> Bool {
        (1...32).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
