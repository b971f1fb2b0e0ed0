/* The plainest SQLite program writing the rows xray derives from each document: one prepared INSERT
 * per table, 4,000-document transactions (as xray), the same schema and pragmas. Prints documents per second of
 * the insert loop alone (the input is read into memory first).
 * usage: baseline SCHEMA.sql ROWS.tsv OUT.sqlite */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*size + 1);
    if (fread(buf, 1, *size, f) != (size_t)*size) { perror(path); exit(1); }
    buf[*size] = 0;
    fclose(f);
    return buf;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

/* Binds tab-separated fields; an empty field is NULL. */
static void bind_fields(sqlite3_stmt *s, char **fields, int n, int first_param) {
    for (int i = 0; i < n; i++) {
        if (fields[i][0] == 0) sqlite3_bind_null(s, first_param + i);
        else sqlite3_bind_text(s, first_param + i, fields[i], -1, SQLITE_STATIC);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: baseline SCHEMA.sql ROWS.tsv OUT.sqlite\n"); return 64; }
    long schema_size, rows_size;
    char *schema = slurp(argv[1], &schema_size);
    char *rows = slurp(argv[2], &rows_size);
    sqlite3 *db;
    check(sqlite3_open(argv[3], &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8000;", 0, 0, 0), db, "pragmas");
    check(sqlite3_exec(db, schema, 0, 0, 0), db, "schema");
    sqlite3_stmt *doc, *ent, *ann, *tr;
    check(sqlite3_prepare_v2(db, "INSERT INTO documents(trace_id,id,in_progress,received_at,source,raw) VALUES(?,?,?,1,'bench',?)", -1, &doc, 0), db, "doc");
    check(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO entities(trace_id,id,parent_id,kind,name,origin,namespace,start_time,end_time,in_progress,error,fault,throttle,http_method,http_url,http_status,http_user_agent,http_client_ip,user,sql,cause,document_id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ent, 0), db, "ent");
    check(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO annotations(trace_id,entity_id,key,type,value,document_id) VALUES(?,?,?,?,?,?)", -1, &ann, 0), db, "ann");
    check(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO traces(trace_id,start_time,end_time,duration,response_time,root_id,root_name,root_origin,http_method,http_url,http_status,has_error,has_fault,has_throttle,is_partial,entity_count,in_progress_count,first_received,last_received) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,1)", -1, &tr, 0), db, "trace");

    /* Split into lines and fields up front so the timed loop only binds and steps. */
    long lines = 0;
    for (long i = 0; i < rows_size; i++) if (rows[i] == '\n') lines++;
    char **line = malloc(sizeof(char *) * (lines + 1));
    long n = 0;
    char *p = rows;
    while (p < rows + rows_size) {
        char *nl = memchr(p, '\n', rows + rows_size - p);
        if (!nl) break;
        *nl = 0;
        line[n++] = p;
        p = nl + 1;
    }
    char ***fields = malloc(sizeof(char **) * n);
    int *counts = malloc(sizeof(int) * n);
    for (long i = 0; i < n; i++) {
        int c = 1;
        for (char *q = line[i]; *q; q++) if (*q == '\t') c++;
        fields[i] = malloc(sizeof(char *) * c);
        counts[i] = c;
        int k = 0;
        char *q = line[i];
        fields[i][k++] = q;
        for (; *q; q++) if (*q == '\t') { *q = 0; fields[i][k++] = q + 1; }
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long documents = 0;
    sqlite3_int64 doc_id = 0;
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
    for (long i = 0; i < n; i++) {
        char **f = fields[i];
        switch (f[0][0]) {
        case 'D':
            bind_fields(doc, f + 1, 3, 1);
            sqlite3_bind_blob(doc, 4, f[4], (int)strlen(f[4]), SQLITE_STATIC);
            check(sqlite3_step(doc), db, "doc step");
            sqlite3_reset(doc);
            doc_id = sqlite3_last_insert_rowid(db);
            documents++;
            break;
        case 'E':
            bind_fields(ent, f + 1, 21, 1);
            sqlite3_bind_int64(ent, 22, doc_id);
            check(sqlite3_step(ent), db, "entity step");
            sqlite3_reset(ent);
            break;
        case 'A':
            bind_fields(ann, f + 1, 5, 1);
            sqlite3_bind_int64(ann, 6, doc_id);
            check(sqlite3_step(ann), db, "annotation step");
            sqlite3_reset(ann);
            break;
        case 'T':
            bind_fields(tr, f + 1, 17, 1);
            check(sqlite3_step(tr), db, "trace step");
            sqlite3_reset(tr);
            break;
        case 'C':
            check(sqlite3_exec(db, "COMMIT; BEGIN IMMEDIATE", 0, 0, 0), db, "commit");
            break;
        }
    }
    check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f\n", documents / seconds);
    sqlite3_close(db);
    return 0;
}
