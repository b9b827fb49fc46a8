//! The device database schema, as an append-only list of migrations.
//!
//! A released migration is never edited: a change to the schema is a new entry at the end. `PRAGMA user_version`
//! records how many have run.

use rusqlite::Connection;

/// Every migration, in order. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: documents, projections, photos, audit.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    -- The source of truth: one Automerge document per household, as a snapshot plus incremental chunks.
    CREATE TABLE documents (
        household_id TEXT PRIMARY KEY,
        snapshot     BLOB NOT NULL,
        chunk_count  INTEGER NOT NULL DEFAULT 0,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE doc_chunks (
        household_id TEXT NOT NULL REFERENCES documents(household_id),
        seq          INTEGER NOT NULL,
        bytes        BLOB NOT NULL,
        PRIMARY KEY (household_id, seq)
    ) WITHOUT ROWID;
    -- Projections, rebuilt from the documents at any time.
    CREATE TABLE households (
        id           TEXT PRIMARY KEY,
        county       TEXT NOT NULL,
        township     TEXT NOT NULL,
        village      TEXT NOT NULL,
        grp          TEXT NOT NULL,
        head_name    TEXT NOT NULL,
        phone        TEXT NOT NULL,
        status       TEXT NOT NULL,
        attribute    TEXT NOT NULL,
        member_count INTEGER NOT NULL,
        signed       INTEGER NOT NULL,
        errors       INTEGER NOT NULL,
        warnings     INTEGER NOT NULL,
        conflicts    INTEGER NOT NULL,
        search       TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE INDEX households_by_place ON households(village, grp, head_name);
    CREATE TABLE id_numbers (
        id_number    TEXT NOT NULL,
        household_id TEXT NOT NULL,
        member_id    TEXT NOT NULL,
        PRIMARY KEY (id_number, household_id, member_id)
    ) WITHOUT ROWID;
    CREATE INDEX id_numbers_by_household ON id_numbers(household_id);
    CREATE TABLE findings (
        household_id TEXT NOT NULL,
        check_id     TEXT NOT NULL,
        severity     TEXT NOT NULL,
        path         TEXT NOT NULL,
        member_id    TEXT,
        message      TEXT NOT NULL
    );
    CREATE INDEX findings_by_household ON findings(household_id);
    CREATE TABLE conflicts (
        household_id TEXT NOT NULL,
        path         TEXT NOT NULL,
        label        TEXT NOT NULL,
        candidates   TEXT NOT NULL,
        PRIMARY KEY (household_id, path)
    ) WITHOUT ROWID;
    -- Photo bytes live in files named by sha256; this table says what we have.
    CREATE TABLE photos (
        sha256     TEXT PRIMARY KEY,
        mime       TEXT NOT NULL,
        bytes      INTEGER NOT NULL,
        width      INTEGER NOT NULL,
        height     INTEGER NOT NULL,
        taken_at   TEXT,
        lat        REAL,
        lon        REAL,
        added_at   TEXT NOT NULL
    );
    -- What a person did on this device, for accountability beyond the documents (imports, rebuilds, identity changes).
    CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        at           TEXT NOT NULL,
        user         TEXT NOT NULL,
        device       TEXT NOT NULL,
        action       TEXT NOT NULL,
        household_id TEXT,
        detail       TEXT NOT NULL
    );
    ",
    // 2: sync. The heads each document has, the heads the server is known to hold, photos already uploaded, and
    // which photos each household references (a projection, rebuilt with the others).
    "
    ALTER TABLE documents ADD COLUMN heads TEXT NOT NULL DEFAULT '';
    CREATE TABLE sync_state (
        household_id TEXT PRIMARY KEY,
        server_heads TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE photos_sent (
        sha256 TEXT PRIMARY KEY
    ) WITHOUT ROWID;
    CREATE TABLE photo_refs (
        sha256       TEXT NOT NULL,
        household_id TEXT NOT NULL,
        mime         TEXT NOT NULL,
        PRIMARY KEY (sha256, household_id)
    ) WITHOUT ROWID;
    CREATE INDEX photo_refs_by_household ON photo_refs(household_id);
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Runs the migrations not yet applied, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<usize> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(current)
}
