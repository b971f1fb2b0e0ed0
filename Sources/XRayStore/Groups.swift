/// A named filter the user saved, which `group.name = "NAME"` refers to (X-Ray's groups, kept in the store).
package struct FilterGroup: Sendable, Hashable {
    package var name: String
    package var filter: String
}

extension TraceStore {
    /// Every saved group, by name.
    package func groups() throws(StoreError) -> [FilterGroup] {
        var out: [FilterGroup] = []
        try rows("SELECT name, filter FROM groups ORDER BY name", []) { s in
            out.append(FilterGroup(name: s.text(0) ?? "", filter: s.text(1) ?? ""))
        }
        return out
    }

    /// Saves a group as given: checking its name and filter is the caller's (`XRayQuery.GroupStore`).
    package func insertGroup(name: String, filter: String, createdAt: Double) throws(StoreError) {
        try execute("INSERT INTO groups(name, filter, created_at) VALUES(?,?,?)", [.text(name), .text(filter), .double(createdAt)])
    }

    /// Removes a group; false when there was none of that name.
    package func deleteGroup(name: String) throws(StoreError) -> Bool {
        try execute("DELETE FROM groups WHERE name=?", [.text(name)]) > 0
    }
}
