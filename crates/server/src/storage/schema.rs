//! The server database schema, as an append-only list of migrations.
//!
//! A released migration is never edited: a change to the schema is a new entry at the end. `PRAGMA user_version`
//! records how many have run.

use crate::error::{Result, ServerError};
use rusqlite::Connection;

/// Every migration, in order. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, documents, the change log, projections, photos, audit.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE villages (
        code     TEXT PRIMARY KEY,
        township TEXT NOT NULL,
        name     TEXT NOT NULL,
        key      TEXT NOT NULL UNIQUE
    );
    CREATE TABLE users (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE user_villages (
        user_id      TEXT NOT NULL REFERENCES users(id),
        village_code TEXT NOT NULL REFERENCES villages(code),
        PRIMARY KEY (user_id, village_code)
    ) WITHOUT ROWID;
    CREATE TABLE enrol_codes (
        code_hash      BLOB PRIMARY KEY,
        user_id        TEXT NOT NULL REFERENCES users(id),
        created_at     TEXT NOT NULL,
        expires_at     TEXT NOT NULL,
        used_at        TEXT,
        used_by_device TEXT
    );
    CREATE TABLE devices (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users(id),
        name         TEXT NOT NULL,
        token_hash   BLOB NOT NULL UNIQUE,
        enrolled_at  TEXT NOT NULL,
        revoked_at   TEXT,
        last_seen_at TEXT
    );
    -- The source of truth: one Automerge document per household, a snapshot plus incremental chunks.
    -- `version` grows with every write, so a push prepared outside the write lock can tell whether it is stale.
    CREATE TABLE documents (
        household_id TEXT PRIMARY KEY,
        snapshot     BLOB NOT NULL,
        chunk_count  INTEGER NOT NULL,
        village_key  TEXT NOT NULL,
        version      INTEGER NOT NULL
    );
    CREATE TABLE doc_chunks (
        household_id TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        bytes        BLOB NOT NULL,
        PRIMARY KEY (household_id, seq)
    ) WITHOUT ROWID;
    -- Every change the server accepted, in the order it accepted them: what devices pull.
    CREATE TABLE change_log (
        seq           INTEGER PRIMARY KEY,
        hash          BLOB NOT NULL UNIQUE,
        household_id  TEXT NOT NULL,
        village_key   TEXT NOT NULL,
        origin_device TEXT NOT NULL,
        bytes         BLOB NOT NULL,
        received_at   TEXT NOT NULL
    );
    CREATE INDEX change_log_by_village ON change_log(village_key, seq);
    -- Projections, rebuilt from the documents at any time.
    CREATE TABLE households (
        id             TEXT PRIMARY KEY,
        village_key    TEXT NOT NULL,
        county         TEXT NOT NULL,
        township       TEXT NOT NULL,
        village        TEXT NOT NULL,
        grp            TEXT NOT NULL,
        head_name      TEXT NOT NULL,
        head_id_number TEXT NOT NULL,
        status         TEXT NOT NULL,
        attribute      TEXT NOT NULL,
        member_count   INTEGER NOT NULL,
        signed         INTEGER NOT NULL,
        errors         INTEGER NOT NULL,
        warnings       INTEGER NOT NULL,
        conflicts      INTEGER NOT NULL,
        updated_seq    INTEGER NOT NULL
    );
    CREATE INDEX households_by_village ON households(village_key, grp, head_name);
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
    CREATE TABLE photos (
        sha256    TEXT PRIMARY KEY,
        bytes     INTEGER NOT NULL,
        stored_at TEXT NOT NULL
    );
    CREATE TABLE photo_refs (
        sha256       TEXT NOT NULL,
        household_id TEXT NOT NULL,
        PRIMARY KEY (sha256, household_id)
    ) WITHOUT ROWID;
    CREATE INDEX photo_refs_by_household ON photo_refs(household_id);
    CREATE TABLE audit (
        seq          INTEGER PRIMARY KEY,
        at           TEXT NOT NULL,
        user_name    TEXT NOT NULL,
        device       TEXT,
        action       TEXT NOT NULL,
        household_id TEXT,
        detail       TEXT NOT NULL
    );
    ",
    // 2: the county console: passwords and sessions, revocable enrolment codes, merged households, and the
    // member, inspection and visit projections that overviews and exports read. Projections written before this
    // migration lack those rows, so they are marked stale and rebuilt from the documents when the server opens.
    "
    ALTER TABLE users ADD COLUMN password_hash TEXT;
    ALTER TABLE enrol_codes ADD COLUMN revoked_at TEXT;
    ALTER TABLE households ADD COLUMN merged_into TEXT;
    CREATE TABLE console_sessions (
        token_hash BLOB PRIMARY KEY,
        user_id    TEXT NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE member_rows (
        household_id TEXT NOT NULL,
        member_id    TEXT NOT NULL,
        position     INTEGER NOT NULL,
        member       TEXT NOT NULL,
        PRIMARY KEY (household_id, member_id)
    ) WITHOUT ROWID;
    CREATE TABLE inspection_rows (
        household_id  TEXT NOT NULL,
        inspection_id TEXT NOT NULL,
        inspected_at  TEXT NOT NULL,
        inspection    TEXT NOT NULL,
        PRIMARY KEY (household_id, inspection_id)
    ) WITHOUT ROWID;
    CREATE TABLE visit_rows (
        household_id TEXT NOT NULL,
        visit_id     TEXT NOT NULL,
        visited_at   TEXT NOT NULL,
        recorded_by  TEXT NOT NULL,
        PRIMARY KEY (household_id, visit_id)
    ) WITHOUT ROWID;
    CREATE INDEX visit_rows_by_time ON visit_rows(visited_at, household_id);
    CREATE INDEX findings_by_check ON findings(check_id, severity);
    CREATE INDEX households_by_head ON households(head_name);
    INSERT OR REPLACE INTO meta(key, value) VALUES ('projections_stale', '1');
    ",
    // 3: the rest of a household's list row that exports and the console show (address, phone, codes), rebuilt
    // from the documents when the server opens.
    "
    ALTER TABLE households ADD COLUMN national_number TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN address TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN phone TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN standard TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN household_type TEXT NOT NULL DEFAULT '';
    ALTER TABLE households ADD COLUMN main_cause TEXT NOT NULL DEFAULT '';
    INSERT OR REPLACE INTO meta(key, value) VALUES ('projections_stale', '1');
    ",
];

/// Brings a database up to the newest schema; refuses a database written by a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(ServerError::TooNew { found: version, supported });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
