/// The store's schema, as append-only migrations: a shipped migration is never edited.
///
/// `PRAGMA user_version` records how many have run. Each runs in its own transaction, written in SQL,
/// never in terms of app types, so an old store upgrades the same way whatever version of xray opens it.
enum Schema {
    static let migrations: [(name: String, sql: String)] = [
        (
            "v1: documents, entities, annotations, trace summaries, rejects",
            """
            CREATE TABLE documents(
                rowid INTEGER PRIMARY KEY,
                trace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                in_progress INTEGER NOT NULL,
                received_at REAL NOT NULL,
                source TEXT,
                raw BLOB NOT NULL,
                UNIQUE(trace_id, id)
            );
            CREATE TABLE entities(
                trace_id TEXT NOT NULL,
                id TEXT NOT NULL,
                parent_id TEXT,
                document_id INTEGER NOT NULL,
                kind INTEGER NOT NULL,
                name TEXT NOT NULL,
                origin TEXT,
                namespace TEXT,
                start_time REAL NOT NULL,
                end_time REAL,
                in_progress INTEGER NOT NULL,
                error INTEGER NOT NULL,
                fault INTEGER NOT NULL,
                throttle INTEGER NOT NULL,
                http_method TEXT,
                http_url TEXT,
                http_status INTEGER,
                http_user_agent TEXT,
                http_client_ip TEXT,
                user TEXT,
                sql TEXT,
                cause TEXT,
                warnings TEXT,
                PRIMARY KEY(trace_id, id)
            ) WITHOUT ROWID;
            CREATE TABLE annotations(
                trace_id TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                key TEXT NOT NULL,
                type INTEGER NOT NULL,
                value ANY,
                document_id INTEGER NOT NULL,
                PRIMARY KEY(trace_id, entity_id, key)
            ) WITHOUT ROWID;
            CREATE INDEX annotations_by_key ON annotations(key, value);
            CREATE TABLE traces(
                trace_id TEXT PRIMARY KEY,
                start_time REAL NOT NULL,
                end_time REAL NOT NULL,
                duration REAL NOT NULL,
                response_time REAL,
                root_id TEXT,
                root_name TEXT,
                root_origin TEXT,
                http_method TEXT,
                http_url TEXT,
                http_status INTEGER,
                has_error INTEGER NOT NULL,
                has_fault INTEGER NOT NULL,
                has_throttle INTEGER NOT NULL,
                is_partial INTEGER NOT NULL,
                entity_count INTEGER NOT NULL,
                in_progress_count INTEGER NOT NULL,
                first_received REAL NOT NULL,
                last_received REAL NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX traces_by_start ON traces(start_time);
            CREATE INDEX traces_by_received ON traces(last_received);
            CREATE TABLE rejects(
                rowid INTEGER PRIMARY KEY,
                received_at REAL NOT NULL,
                source TEXT,
                reason TEXT NOT NULL,
                raw BLOB NOT NULL
            );
            """
        ),
        (
            "v2: runs of xray run and the traces they captured",
            """
            CREATE TABLE runs(
                rowid INTEGER PRIMARY KEY,
                trace_id TEXT NOT NULL,
                segment_id TEXT NOT NULL,
                name TEXT NOT NULL,
                argv TEXT NOT NULL,
                started_at REAL NOT NULL,
                ended_at REAL,
                exit_status INTEGER
            );
            CREATE TABLE run_traces(
                run_id INTEGER NOT NULL,
                trace_id TEXT NOT NULL,
                PRIMARY KEY(run_id, trace_id)
            ) WITHOUT ROWID;
            """
        ),
        (
            "v3: saved filter groups, and indexes for filter expressions",
            """
            CREATE TABLE groups(
                name TEXT PRIMARY KEY,
                filter TEXT NOT NULL,
                created_at REAL NOT NULL
            );
            -- Covering for service()/edge() blocks on flags and times: no row lookup per matching node.
            CREATE INDEX entities_by_name ON entities(name, kind, error, fault, throttle, start_time, end_time);
            CREATE INDEX entities_by_user ON entities(user) WHERE user IS NOT NULL;
            CREATE INDEX traces_by_duration ON traces(duration);
            CREATE INDEX traces_by_response_time ON traces(response_time);
            """
        ),
        (
            "v4: the OpenTelemetry spans behind translated documents, for lossless OTLP export",
            """
            -- One row per span: a one-span ExportTraceServiceRequest in canonical OTLP/JSON, keyed like the
            -- document it was translated to (span_id is that document's id).
            CREATE TABLE otlp_spans(
                trace_id TEXT NOT NULL,
                span_id TEXT NOT NULL,
                received_at REAL NOT NULL,
                request BLOB NOT NULL,
                PRIMARY KEY(trace_id, span_id)
            ) WITHOUT ROWID;
            -- Whatever deletes a document (prune) deletes its span.
            CREATE TRIGGER otlp_spans_follow_documents AFTER DELETE ON documents BEGIN
                DELETE FROM otlp_spans WHERE trace_id = old.trace_id AND span_id = old.id;
            END;
            """
        ),
        // Existing traces get no details row: a listing computes theirs from the entity rows when it reads
        // them (`TraceStore.summaryDetails`), and the next write to a trace stores them. Until every trace
        // has one, the rollups do not cover the store and stats scan the rows as before.
        (
            "v5: summary details and stats rollups kept at write time, and each entity's own exceptions",
            """
            ALTER TABLE entities ADD COLUMN exceptions TEXT;
            -- A rowid table: its rows (1-3 KB) fit a leaf page where an index b-tree (WITHOUT ROWID) would
            -- spill each to overflow pages; the trace_id index also counts the rows without reading them.
            CREATE TABLE trace_details(
                rowid INTEGER PRIMARY KEY,
                trace_id TEXT NOT NULL UNIQUE,
                http TEXT NOT NULL,
                details TEXT NOT NULL,
                samples TEXT NOT NULL
            );
            CREATE TABLE stats_rollups(
                grouping INTEGER NOT NULL,
                name TEXT NOT NULL,
                value_type INTEGER NOT NULL,
                value ANY NOT NULL,
                runs INTEGER NOT NULL,
                count INTEGER NOT NULL,
                ok INTEGER NOT NULL,
                error INTEGER NOT NULL,
                fault INTEGER NOT NULL,
                throttle INTEGER NOT NULL,
                PRIMARY KEY(grouping, name, value_type, value, runs)
            ) WITHOUT ROWID;
            CREATE TABLE stats_histograms(
                grouping INTEGER NOT NULL,
                name TEXT NOT NULL,
                value_type INTEGER NOT NULL,
                value ANY NOT NULL,
                runs INTEGER NOT NULL,
                bucket INTEGER NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY(grouping, name, value_type, value, runs, bucket)
            ) WITHOUT ROWID;
            """
        ),
        // A span's row (1-3 KB: the span with its resource) does not fit an index b-tree cell of a WITHOUT
        // ROWID table on 4 KB pages, so each spilled to an overflow page of its own; as a rowid table it sits
        // in its leaf page (sqlite.org/withoutrowid.html, section 4: "WITHOUT ROWID tables work best when
        // individual rows are not too large"). Measured: a third less store and a quarter less writer time.
        (
            "v6: the OpenTelemetry spans as a rowid table",
            """
            CREATE TABLE otlp_spans_rowid(
                rowid INTEGER PRIMARY KEY,
                trace_id TEXT NOT NULL,
                span_id TEXT NOT NULL,
                received_at REAL NOT NULL,
                request BLOB NOT NULL,
                UNIQUE(trace_id, span_id)
            );
            INSERT INTO otlp_spans_rowid(trace_id, span_id, received_at, request)
                SELECT trace_id, span_id, received_at, request FROM otlp_spans;
            DROP TRIGGER otlp_spans_follow_documents;
            DROP TABLE otlp_spans;
            ALTER TABLE otlp_spans_rowid RENAME TO otlp_spans;
            CREATE TRIGGER otlp_spans_follow_documents AFTER DELETE ON documents BEGIN
                DELETE FROM otlp_spans WHERE trace_id = old.trace_id AND span_id = old.id;
            END;
            """
        ),
    ]

    static var currentVersion: Int { migrations.count }
}
