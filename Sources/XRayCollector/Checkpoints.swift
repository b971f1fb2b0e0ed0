import XRayStore
import XRaySystem

/// The WAL checkpoint off the writer's path: a thread of its own, with its own connection
/// (`WALCheckpointer`), copies what the writer committed into the database file after each commit past
/// `passFrames`, while the writer goes on with the next transaction.
///
/// SQLite starts the WAL over only when a write transaction begins after a checkpoint that copied every
/// frame (sqlite.org/wal.html#ckpt). Passes that run beside the writer always trail its last commit, so once
/// the WAL has grown past `resetFrames` the writer waits, before its next transaction, for the pass after its
/// last commit: that pass has only that one transaction's pages left to copy. The WAL then stays near
/// `resetFrames`; the writer's own checkpoint (`TraceStore.watchWAL`), set far above it, is the fallback for
/// a checkpointer that cannot open the store.
final class Checkpoints: Sendable {
    struct State {
        /// Commits that asked for a pass (`committed`).
        var commits = 0
        /// `commits` when the last finished pass began, and whether it copied every frame.
        var passedCommits = 0
        var complete = true
        /// The WAL length at which the writer next waits: past `resetFrames` after a pass that could not copy
        /// everything (another process reads an older snapshot), so that it does not wait before every batch.
        var settleFrames: Int
        var closed = false
        /// The checkpointer could not open the store or a pass failed: the writer's fallback checkpoint
        /// takes over, and the writer never waits.
        var broken = false
    }

    let path: String
    let resetFrames: Int
    /// The longest the writer waits for a pass, in seconds: a guard against a disk that hangs an fsync.
    let settleTimeout: Double
    private let state: Monitor<State>

    init(path: String, resetFrames: Int, settleTimeout: Double = 2) {
        self.path = path
        self.resetFrames = resetFrames
        self.settleTimeout = settleTimeout
        state = Monitor(State(settleFrames: resetFrames))
    }

    /// The WAL length from which a commit wakes the checkpointer: an eighth of the bound, so that under load
    /// passes follow each other, while a few small commits (`xray run`'s) cost no checkpoint and no fsync.
    var passFrames: Int { max(1, resetFrames / 8) }

    /// The writer committed a transaction that left `walFrames` in the WAL.
    func committed(walFrames: Int) {
        guard walFrames >= passFrames else { return }
        state.withLock { $0.commits += 1 }
    }

    /// Called by the writer before a transaction with the WAL's length after its last commit: past the
    /// bound, waits for the pass after that commit; if that pass copied everything, the transaction about to
    /// begin starts the WAL over.
    func settle(walFrames: Int) {
        guard walFrames >= resetFrames else { return }
        let resetFrames = resetFrames
        state.wait(
            until: { $0.broken || $0.closed || walFrames < $0.settleFrames || $0.passedCommits == $0.commits },
            timeout: settleTimeout
        ) { state, _ in
            guard !state.broken, !state.closed, walFrames >= state.settleFrames else { return }
            if state.passedCommits == state.commits && state.complete {
                state.settleFrames = resetFrames
            } else {
                state.settleFrames = walFrames + resetFrames
            }
        }
    }

    /// Ends the checkpointer thread once the writer is done; the store's own close folds what is left.
    func close() {
        state.withLock { $0.closed = true }
    }

    /// The checkpointer thread: one passive pass after each commit that asked for one (or group of them that
    /// landed while the previous pass ran), opening its connection at the first, so that a collector that
    /// stores little opens none.
    func run() {
        var checkpointer: WALCheckpointer?
        while true {
            let (commits, closed) = state.wait(until: { $0.closed || $0.commits > $0.passedCommits }, timeout: nil) {
                state, _ in (state.commits, state.closed)
            }
            if closed { return }
            do throws(StoreError) {
                let connection: WALCheckpointer
                if let checkpointer {
                    connection = checkpointer
                } else {
                    connection = try WALCheckpointer(path: path)
                    checkpointer = connection
                }
                guard let progress = try connection.checkpoint() else {
                    // The writer's automatic checkpoint holds the lock: try again shortly.
                    sleepSeconds(0.01)
                    continue
                }
                state.withLock { state in
                    state.passedCommits = commits
                    state.complete = progress.isComplete
                }
            } catch {
                state.withLock { $0.broken = true }
                return
            }
        }
    }
}
