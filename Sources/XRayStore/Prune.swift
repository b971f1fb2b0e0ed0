/// Which traces `xray inspect prune` deletes.
package enum PruneSelection: Sendable, Hashable {
    /// Traces that ended before this epoch second.
    case endedBefore(Double)
    /// All but the `n` newest traces by start time.
    case keepLast(Int)
}

extension TraceStore {
    /// Deletes whole traces (documents, entities, annotations, summary and details) in one transaction and returns how
    /// many traces and documents went; with `vacuum`, then gives the space back to the file system.
    ///
    /// - Important: runs of `xray run` keep their records; only their traces go.
    package func prune(_ selection: PruneSelection, vacuum: Bool) throws(StoreError) -> (traces: Int, documents: Int) {
        let result = try transaction { () throws(StoreError) -> (traces: Int, documents: Int) in
            try execute("CREATE TEMP TABLE IF NOT EXISTS prune_ids(trace_id TEXT PRIMARY KEY)", [])
            try execute("DELETE FROM temp.prune_ids", [])
            switch selection {
            case .endedBefore(let cutoff):
                try execute("INSERT INTO temp.prune_ids SELECT trace_id FROM traces WHERE end_time<?", [.double(cutoff)])
            case .keepLast(let n):
                try execute(
                    """
                    INSERT INTO temp.prune_ids SELECT trace_id FROM traces ORDER BY start_time DESC, trace_id LIMIT -1 OFFSET ?
                    """, [.int(n)])
            }
            try execute("DELETE FROM annotations WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", [])
            try execute("DELETE FROM entities WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", [])
            let documents = try execute("DELETE FROM documents WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", [])
            var delta = RollupDelta()
            try rows("SELECT samples FROM trace_details WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", []) { s in
                delta.add(Self.decode(s.text(0) ?? ""), sign: -1)
            }
            try applyRollups(delta)
            try execute("DELETE FROM trace_details WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", [])
            let traces = try execute("DELETE FROM traces WHERE trace_id IN (SELECT trace_id FROM temp.prune_ids)", [])
            try execute("DELETE FROM temp.prune_ids", [])
            return (traces, documents)
        }
        if vacuum {
            try execute("VACUUM", [])
            try execute("PRAGMA wal_checkpoint(TRUNCATE)", [])
        }
        return result
    }
}
