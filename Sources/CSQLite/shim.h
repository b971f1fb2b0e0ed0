#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: leaves the WAL for the next opener instead of
/// checkpointing (and fsyncing) when the last connection closes, which short commands like `xray run` pay for.
static inline int xr_sqlite_skip_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
