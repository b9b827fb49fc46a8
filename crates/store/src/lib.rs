//! The device database: household documents (snapshot plus incremental chunks), projections for lists, search,
//! checks and conflicts, content-addressed photos, and an audit log, in one SQLite file in WAL mode.
//!
//! Invariants: a call that returns `Ok` after saving has made the edit durable (synchronous=FULL); documents are the
//! source of truth and every projection can be rebuilt from them ([`Store::rebuild`]); a failed call changes nothing.
//! This crate never reads the clock or makes ids: callers pass a [`Provenance`] and any new ids.

mod photos;
mod projection;
mod schema;
mod sync_state;

use chrono::{DateTime, Utc};
use hudang_domain::{CheckContext, Finding, Household, Policy, checks, idcard};
use hudang_record::{FieldConflict, HistoryEntry, HouseholdDoc, Provenance, RecordError, actor_for_device};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

pub use photos::PhotoTarget;
pub use projection::{HouseholdSummary, ListFilter, pinyin_initials, search_text};
pub use schema::SCHEMA_VERSION;
pub use sync_state::{MissingPhoto, Outgoing, RemoteApply, SyncSettings, check_photo_bytes, parse_changes};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "hudang.sqlite3";
/// Incremental chunks kept per household before they are compacted into the snapshot.
pub const COMPACT_AFTER_CHUNKS: i64 = 32;
/// The name of the household JSON format (see `docs/household-json.md`).
pub const HOUSEHOLD_JSON_FORMAT: &str = "hudang.household";
/// The version of the household JSON format.
pub const HOUSEHOLD_JSON_VERSION: i64 = 1;

/// What can go wrong in the device store. Messages are for people, in Chinese; callers match on [`StoreError::code`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No database in the data directory yet.
    #[error("尚未初始化：请先运行 hudang init")]
    NotInitialised,
    /// The directory already holds a database.
    #[error("该目录已经初始化过")]
    AlreadyInitialised,
    /// The database file is damaged or not a database.
    #[error("数据库文件已损坏或不是户档数据库（{0}），请从备份恢复；原文件未作任何修改")]
    CorruptDatabase(String),
    /// The database was made by a newer app.
    #[error("数据库由更新版本的户档创建（结构版本 {0}），请升级本软件")]
    NewerDatabase(usize),
    /// The database was copied from another device or folder; it needs a new device identity before writing.
    #[error("数据库是从其他设备复制来的，需要重新登记本设备后才能使用")]
    CopiedDatabase,
    /// No household with that id.
    #[error("找不到该户：{0}")]
    NotFound(String),
    /// A household with that id already exists.
    #[error("该户已存在：{0}")]
    AlreadyExists(Uuid),
    /// The input was refused; each message names a field.
    #[error("输入有误：{}", .0.join("；"))]
    InvalidInput(Vec<String>),
    /// A household document could not be read or written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A photo could not be processed.
    #[error(transparent)]
    Media(#[from] hudang_media::MediaError),
    /// The database refused an operation.
    #[error("数据库错误：{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("文件读写失败：{0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// A stable code for the UI and the wire.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotInitialised => "store.not_initialised",
            StoreError::AlreadyInitialised => "store.already_initialised",
            StoreError::CorruptDatabase(_) => "store.corrupt_database",
            StoreError::NewerDatabase(_) => "store.newer_database",
            StoreError::CopiedDatabase => "store.copied_database",
            StoreError::NotFound(_) => "store.not_found",
            StoreError::AlreadyExists(_) => "store.already_exists",
            StoreError::InvalidInput(_) => "store.invalid_input",
            StoreError::Record(e) => e.code(),
            StoreError::Media(e) => e.code(),
            StoreError::Sqlite(_) => "store.sqlite",
            StoreError::Io(_) => "store.io",
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who this device is: one identity per install, renewed when a database turns up somewhere new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// The install's id; also the Automerge actor id of every change made here.
    pub device_id: Uuid,
    /// The user signed in on this device.
    pub user: String,
}

/// The household JSON file format: a household's full tree, including fields this build does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdFile {
    /// Always [`HOUSEHOLD_JSON_FORMAT`].
    pub format: String,
    /// Format version.
    pub version: i64,
    /// The household tree.
    pub household: Json,
}

/// Totals for a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// Households whose projections were rebuilt.
    pub households: usize,
    /// Findings recorded.
    pub findings: usize,
    /// Conflicts recorded.
    pub conflicts: usize,
}

/// The device database.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    identity: DeviceIdentity,
    policy: Policy,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.dir).field("identity", &self.identity).finish()
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A saved edit must survive power loss: WAL with a full sync at every commit.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| StoreError::CorruptDatabase(e.to_string()))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::CorruptDatabase(format!("journal_mode={mode}")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Checks the file's structure before anything writes to it, so a damaged file is reported and left as it was.
fn verify_database(conn: &Connection) -> Result<()> {
    let result: rusqlite::Result<String> = conn.query_row("PRAGMA quick_check", [], |r| r.get(0));
    match result {
        Ok(ok) if ok == "ok" => Ok(()),
        Ok(problem) => Err(StoreError::CorruptDatabase(problem)),
        Err(e) => Err(StoreError::CorruptDatabase(e.to_string())),
    }
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

impl Store {
    /// Creates a new store in `dir` for a device and its user. `fingerprint` identifies this install's place
    /// (machine and path); a database opened under another fingerprint was copied and must be re-identified.
    pub fn init(dir: &Path, identity: DeviceIdentity, fingerprint: &str, now: DateTime<Utc>) -> Result<Store> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(DB_FILE);
        if path.exists() {
            return Err(StoreError::AlreadyInitialised);
        }
        let mut conn = open_connection(&path)?;
        schema::migrate(&mut conn)?;
        meta_set(&conn, "device_id", &identity.device_id.to_string())?;
        meta_set(&conn, "user", &identity.user)?;
        meta_set(&conn, "fingerprint", fingerprint)?;
        meta_set(&conn, "created_at", &now.to_rfc3339())?;
        let store = Store { conn, dir: dir.to_path_buf(), identity, policy: Policy::builtin() };
        store.audit(now, "init", None, "")?;
        Ok(store)
    }

    /// Opens the store in `dir`. Fails with [`StoreError::CopiedDatabase`] if the fingerprint differs.
    pub fn open(dir: &Path, fingerprint: &str) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if !path.exists() {
            return Err(StoreError::NotInitialised);
        }
        let mut conn = open_connection(&path)?;
        verify_database(&conn)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version as usize > SCHEMA_VERSION {
            return Err(StoreError::NewerDatabase(version as usize));
        }
        if version == 0 {
            return Err(StoreError::CorruptDatabase("不是户档数据库".into()));
        }
        schema::migrate(&mut conn)?;
        let device_id = meta_get(&conn, "device_id")?
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| StoreError::CorruptDatabase("缺少设备标识".into()))?;
        let user = meta_get(&conn, "user")?.unwrap_or_default();
        if meta_get(&conn, "fingerprint")?.as_deref() != Some(fingerprint) {
            return Err(StoreError::CopiedDatabase);
        }
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
            identity: DeviceIdentity { device_id, user },
            policy: Policy::builtin(),
        })
    }

    /// Gives a copied database a new device identity (a new Automerge actor), so its changes never collide with
    /// those of the device it was copied from, then opens it.
    pub fn reidentify(dir: &Path, fingerprint: &str, new_device_id: Uuid, now: DateTime<Utc>) -> Result<Store> {
        match Store::open(dir, fingerprint) {
            Err(StoreError::CopiedDatabase) => {}
            other => return other,
        }
        let conn = open_connection(&dir.join(DB_FILE))?;
        let old = meta_get(&conn, "device_id")?.unwrap_or_default();
        meta_set(&conn, "device_id", &new_device_id.to_string())?;
        meta_set(&conn, "fingerprint", fingerprint)?;
        drop(conn);
        let store = Store::open(dir, fingerprint)?;
        store.audit(now, "reidentify", None, &format!("旧设备标识 {old}"))?;
        Ok(store)
    }

    /// This device's identity.
    pub fn identity(&self) -> &DeviceIdentity {
        &self.identity
    }

    /// Changes the signed-in user.
    pub fn set_user(&mut self, user: &str) -> Result<()> {
        meta_set(&self.conn, "user", user)?;
        self.identity.user = user.to_string();
        Ok(())
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The policy tables in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Replaces the policy tables (a county's own file). Recorded findings follow at each household's next save or
    /// at [`Store::rebuild`]; [`Store::check`] and [`Store::check_all`] use the new tables at once.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// A provenance for a change made now on this device by its user.
    pub fn provenance(&self, at: DateTime<Utc>, action: &str) -> Provenance {
        Provenance { user: self.identity.user.clone(), device: self.identity.device_id, at, action: action.into() }
    }

    fn audit(&self, at: DateTime<Utc>, action: &str, household: Option<Uuid>, detail: &str) -> Result<()> {
        audit_tx(&self.conn, &self.provenance(at, action), household, detail)
    }

    // ----- documents -----

    /// Loads a household's document.
    pub fn document(&self, id: Uuid) -> Result<HouseholdDoc> {
        load_document(&self.conn, id, &self.identity)
    }

    /// Ids of every household in the store.
    pub fn household_ids(&self) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare("SELECT household_id FROM documents ORDER BY household_id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|s| s.ok().and_then(|s| Uuid::parse_str(&s).ok()))
            .collect();
        Ok(ids)
    }

    /// Reads one household.
    pub fn household(&self, id: Uuid) -> Result<Household> {
        Ok(self.document(id)?.read()?)
    }

    /// Creates a household entered on this device; ID numbers are validated and a bad one refuses the whole record.
    pub fn create_household(&mut self, household: &Household, provenance: &Provenance) -> Result<()> {
        validate_entry(household)?;
        self.create_household_as_found(household, provenance)
    }

    /// Creates a household exactly as found, without input validation: for records migrated from older systems
    /// (and the demo's planted defects), whose problems the data checks then report.
    pub fn create_household_as_found(&mut self, household: &Household, provenance: &Provenance) -> Result<()> {
        let mut doc = HouseholdDoc::create(household, actor_for_device(self.identity.device_id), provenance)?;
        self.insert_document(household.id, &mut doc, provenance)
    }

    fn insert_document(&mut self, id: Uuid, doc: &mut HouseholdDoc, provenance: &Provenance) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_snapshot(&tx, id, doc, provenance.at)?;
        audit_tx(&tx, provenance, Some(id), "")?;
        projection::refresh(&tx, id, doc, &self.identity, &self.policy, provenance.at.date_naive())?;
        tx.commit()?;
        Ok(())
    }

    /// Edits a household: `edit` changes the domain value, and what differs is saved as one attributed change.
    /// ID numbers the edit touches are validated. Returns whether anything changed.
    pub fn edit_household<F>(&mut self, id: Uuid, provenance: &Provenance, edit: F) -> Result<bool>
    where
        F: FnOnce(&mut Household) -> Result<()>,
    {
        let mut doc = self.document(id)?;
        let before = doc.read()?;
        let mut after = before.clone();
        edit(&mut after)?;
        if after.id != id {
            return Err(StoreError::InvalidInput(vec!["户编号不能修改".into()]));
        }
        validate_changed_ids(&before, &after)?;
        let heads = doc.heads();
        if doc.write(&after, provenance)?.is_none() {
            return Ok(false);
        }
        self.persist_change(id, &mut doc, &heads, provenance)?;
        Ok(true)
    }

    /// Sets fields by document path to JSON values (as typed on the command line), as one attributed change.
    pub fn set_fields(&mut self, id: Uuid, fields: &[(String, Json)], provenance: &Provenance) -> Result<()> {
        let mut doc = self.document(id)?;
        let before = doc.read()?;
        let heads = doc.heads();
        let changes: Vec<(&str, &Json)> = fields.iter().map(|(p, v)| (p.as_str(), v)).collect();
        let (_, after) = doc.set_paths(&changes, provenance).map_err(|e| match e {
            RecordError::NoSuchField(p) => StoreError::InvalidInput(vec![format!("没有字段“{p}”")]),
            other => StoreError::Record(other),
        })?;
        validate_changed_ids(&before, &after)?;
        self.persist_change(id, &mut doc, &heads, provenance)
    }

    /// Sets one field by document path, as one attributed change.
    pub fn set_field(&mut self, id: Uuid, path: &str, value: &Json, provenance: &Provenance) -> Result<()> {
        self.set_fields(id, &[(path.to_string(), value.clone())], provenance)
    }

    /// The current value at a document path, as JSON (the shown value, if the field is in conflict).
    pub fn field_value(&self, id: Uuid, path: &str) -> Result<Option<Json>> {
        let tree = self.document(id)?.to_json()?;
        let mut value = &tree;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            match value.get(segment) {
                Some(next) => value = next,
                None => return Ok(None),
            }
        }
        Ok(Some(value.clone()))
    }

    /// Settles a conflict by writing the chosen (or a newly typed) value as an attributed change.
    pub fn resolve_conflict(&mut self, id: Uuid, path: &str, value: &Json, provenance: &Provenance) -> Result<()> {
        let mut doc = self.document(id)?;
        if !doc.conflicts()?.iter().any(|c| c.path == path) {
            return Err(StoreError::InvalidInput(vec![format!("字段“{path}”没有待处理的冲突")]));
        }
        let heads = doc.heads();
        doc.resolve(path, value, provenance)?;
        self.persist_change(id, &mut doc, &heads, provenance)
    }

    /// Saves what the document gained after `heads` as an incremental chunk, refreshes projections, in one transaction.
    fn persist_change(
        &mut self,
        id: Uuid,
        doc: &mut HouseholdDoc,
        heads: &[automerge::ChangeHash],
        provenance: &Provenance,
    ) -> Result<()> {
        let chunk = doc.save_after(heads);
        let tx = self.conn.transaction()?;
        append_chunk(&tx, id, doc, &chunk, provenance.at)?;
        audit_tx(&tx, provenance, Some(id), "")?;
        projection::refresh(&tx, id, doc, &self.identity, &self.policy, provenance.at.date_naive())?;
        tx.commit()?;
        Ok(())
    }

    /// Merges Automerge changes or a saved document from elsewhere (sync, bundles) into a household, creating it if new.
    pub fn merge_document_bytes(&mut self, id: Uuid, bytes: &[u8], at: DateTime<Utc>) -> Result<()> {
        let actor = actor_for_device(self.identity.device_id);
        let exists = self.document(id);
        let tx = self.conn.transaction()?;
        match exists {
            Ok(mut doc) => {
                let heads = doc.heads();
                doc.merge_bytes(bytes)?;
                let chunk = doc.save_after(&heads);
                if !chunk.is_empty() {
                    append_chunk(&tx, id, &mut doc, &chunk, at)?;
                    projection::refresh(&tx, id, &mut doc, &self.identity, &self.policy, at.date_naive())?;
                }
            }
            Err(StoreError::NotFound(_)) => {
                let mut doc = HouseholdDoc::load(bytes, actor)?;
                if doc.id()? != id {
                    return Err(StoreError::InvalidInput(vec!["文档的户编号与所声明的不一致".into()]));
                }
                insert_snapshot(&tx, id, &mut doc, at)?;
                projection::refresh(&tx, id, &mut doc, &self.identity, &self.policy, at.date_naive())?;
            }
            Err(e) => return Err(e),
        }
        tx.commit()?;
        Ok(())
    }

    /// Rewrites a household's document as one snapshot and drops its chunks.
    pub fn compact(&mut self, id: Uuid) -> Result<()> {
        let mut doc = self.document(id)?;
        let tx = self.conn.transaction()?;
        compact_tx(&tx, id, &mut doc)?;
        tx.commit()?;
        Ok(())
    }

    // ----- reading -----

    /// Lists households, filtered.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<HouseholdSummary>> {
        projection::list(&self.conn, filter)
    }

    /// Every household's summary with its search text (names, pinyin, ID numbers, phones, places), in list order.
    pub fn rows_with_search(&self) -> Result<Vec<(HouseholdSummary, String)>> {
        projection::rows_with_search(&self.conn)
    }

    /// Whether the county merged this household's file into another, from its list row (no document is read, so the
    /// check costs nothing on a save).
    pub fn is_merged(&self, id: Uuid) -> Result<bool> {
        let status: Option<String> = self
            .conn
            .prepare_cached("SELECT status FROM households WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(status.as_deref() == Some(projection::MERGED_STATUS))
    }

    /// Searches names (汉字, pinyin initials or full pinyin), ID numbers, phones, village and group.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<HouseholdSummary>> {
        projection::search(&self.conn, query, limit)
    }

    /// One household's history.
    pub fn history(&self, id: Uuid) -> Result<Vec<HistoryEntry>> {
        Ok(self.document(id)?.history()?)
    }

    /// Open conflicts, for one household or all.
    pub fn conflicts(&self, household: Option<Uuid>) -> Result<Vec<(Uuid, FieldConflict)>> {
        projection::conflicts(&self.conn, household)
    }

    /// Every ID number in the store and the households holding it.
    pub fn id_holders(&self) -> Result<HashMap<String, Vec<Uuid>>> {
        projection::id_holders(&self.conn, None)
    }

    /// Runs the data checks on one household now.
    pub fn check(&self, id: Uuid, today: chrono::NaiveDate) -> Result<Vec<Finding>> {
        self.check_household(&self.household(id)?, today)
    }

    /// Runs the data checks on a household already read from this store (so a caller that shows it reads it once).
    pub fn check_household(&self, household: &Household, today: chrono::NaiveDate) -> Result<Vec<Finding>> {
        let holders = projection::id_holders(&self.conn, Some(household))?;
        Ok(checks::check_household(household, &CheckContext { today, policy: &self.policy, id_holders: &holders }))
    }

    /// Runs the data checks on every household now, with duplicates counted across the whole store.
    pub fn check_all(&self, today: chrono::NaiveDate) -> Result<Vec<(Uuid, Finding)>> {
        let holders = self.id_holders()?;
        let ctx = CheckContext { today, policy: &self.policy, id_holders: &holders };
        let mut all = Vec::new();
        for id in self.household_ids()? {
            let household = self.household(id)?;
            all.extend(checks::check_household(&household, &ctx).into_iter().map(|f| (id, f)));
        }
        Ok(all)
    }

    /// Findings recorded for every household (as of the last save or rebuild).
    pub fn findings(&self, household: Option<Uuid>) -> Result<Vec<(Uuid, Finding)>> {
        projection::findings(&self.conn, household)
    }

    /// Rebuilds every projection from the documents, in one transaction.
    pub fn rebuild(&mut self, today: chrono::NaiveDate, at: DateTime<Utc>) -> Result<RebuildReport> {
        let ids = self.household_ids()?;
        let provenance = self.provenance(at, "rebuild");
        let tx = self.conn.transaction()?;
        for table in ["households", "id_numbers", "findings", "conflicts", "photo_refs"] {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        // ID numbers first, so the duplicate check sees every household. The households are kept in memory between
        // the two passes (a device holds at most a few thousand), so each document is loaded and walked once.
        let mut read = Vec::with_capacity(ids.len());
        for id in &ids {
            let (household, conflicts) = load_document(&tx, *id, &self.identity)?.read_with_conflicts()?;
            projection::write_id_numbers(&tx, &household)?;
            read.push((household, conflicts));
        }
        let holders = projection::id_holders(&tx, None)?;
        for (household, conflicts) in &read {
            projection::write_projection(&tx, household, conflicts, &self.policy, today, &holders)?;
        }
        let count = |table: &str| -> Result<usize> {
            Ok(tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as usize)
        };
        let report =
            RebuildReport { households: ids.len(), findings: count("findings")?, conflicts: count("conflicts")? };
        audit_tx(&tx, &provenance, None, &format!("{} 户", ids.len()))?;
        tx.commit()?;
        Ok(report)
    }

    // ----- JSON files -----

    /// A household as a JSON file (lossless: every field, including ones this build does not know).
    pub fn export_household(&self, id: Uuid) -> Result<HouseholdFile> {
        let doc = self.document(id)?;
        Ok(HouseholdFile {
            format: HOUSEHOLD_JSON_FORMAT.into(),
            version: HOUSEHOLD_JSON_VERSION,
            household: doc.to_json()?,
        })
    }

    /// Imports a household JSON file: a new household is created, a known one is updated field by field.
    /// The whole file is validated first; a bad file changes nothing.
    pub fn import_household(&mut self, text: &str, provenance: &Provenance) -> Result<Uuid> {
        let file: HouseholdFile = serde_json::from_str(text).map_err(|e| {
            StoreError::InvalidInput(vec![format!("JSON 格式错误（第 {} 行第 {} 列）：{e}", e.line(), e.column())])
        })?;
        if file.format != HOUSEHOLD_JSON_FORMAT {
            return Err(StoreError::InvalidInput(vec![format!("不是户档文件（format 应为 {HOUSEHOLD_JSON_FORMAT}）")]));
        }
        if file.version > HOUSEHOLD_JSON_VERSION {
            return Err(StoreError::InvalidInput(vec![format!("户档文件版本 {} 过新，请升级本软件", file.version)]));
        }
        let household: Household = serde_json::from_value(file.household.clone())
            .map_err(|e| StoreError::InvalidInput(vec![format!("户档内容有误：{e}")]))?;
        if household.id.is_nil() {
            return Err(StoreError::InvalidInput(vec!["缺少户编号(id)".into()]));
        }
        validate_entry(&household)?;
        let mut tree = file.household;
        if let Json::Object(fields) = &mut tree {
            fields.remove("schema");
            fields.remove("kind");
        }
        match self.document(household.id) {
            Ok(mut doc) => {
                let heads = doc.heads();
                if doc.write_json(&tree, provenance)?.is_some() {
                    self.persist_change(household.id, &mut doc, &heads, provenance)?;
                }
            }
            Err(StoreError::NotFound(_)) => {
                let mut doc =
                    HouseholdDoc::create_from_json(&tree, actor_for_device(self.identity.device_id), provenance)?;
                self.insert_document(household.id, &mut doc, provenance)?;
            }
            Err(e) => return Err(e),
        }
        Ok(household.id)
    }

    // ----- photos -----

    /// Signs a household: the drawn signature (PNG) is stored like a photo and a signature entry, covering the
    /// document's current heads, is added as one attributed change. Refused while the data checks report an error
    /// or a warning without a note (谁调查、谁签字: only a consistent record is signed).
    pub fn sign(
        &mut self,
        household: Uuid,
        signature_id: Uuid,
        role: hudang_domain::SignerRole,
        name: &str,
        png: &[u8],
        provenance: &Provenance,
    ) -> Result<()> {
        let current = self.household(household)?;
        let findings = self.check(household, provenance.at.date_naive())?;
        let blockers = hudang_domain::signing_blockers(&current, &findings);
        if !blockers.is_empty() {
            let mut messages = vec![format!("还有 {} 个问题须先处理，才能签字", blockers.len())];
            messages.extend(blockers.iter().map(|f| f.message.clone()));
            return Err(StoreError::InvalidInput(messages));
        }
        if name.trim().is_empty() {
            return Err(StoreError::InvalidInput(vec!["请填写签字人姓名".into()]));
        }
        let prepared = hudang_media::prepare_signature(png)?;
        let image = photos::store_prepared(self, &prepared, "", provenance)?;
        let heads: std::collections::BTreeSet<String> =
            self.document(household)?.heads().iter().map(|h| h.to_string()).collect();
        let signature = hudang_domain::Signature {
            role: Some(role),
            name: name.trim().to_string(),
            collected_by: provenance.user.clone(),
            signed_at: provenance.at,
            image,
            covers_heads: heads,
        };
        self.edit_household(household, provenance, move |h| {
            h.signatures.insert(signature_id, signature);
            Ok(())
        })?;
        Ok(())
    }

    /// The stored bytes of a photo.
    pub fn photo_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        photos::read(self, sha256, false)
    }

    /// The thumbnail of a photo.
    pub fn thumbnail_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        photos::read(self, sha256, true)
    }

    /// Whether the store holds a photo's bytes.
    pub fn has_photo(&self, sha256: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM photos WHERE sha256 = ?1", [sha256], |_| Ok(())).optional()?.is_some())
    }

    /// Runs SQLite's full integrity check.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Bytes of document data (snapshots and chunks) and the number of households.
    pub fn document_bytes(&self) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT coalesce(sum(length(snapshot)), 0) FROM documents) + (SELECT coalesce(sum(length(bytes)), 0) FROM doc_chunks), (SELECT count(*) FROM documents)",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs several creations in one transaction (the demo and benchmarks make thousands at once).
    pub fn create_many_as_found(&mut self, households: &[Household], provenance: &Provenance) -> Result<()> {
        let actor = actor_for_device(self.identity.device_id);
        let tx = self.conn.transaction()?;
        for household in households {
            let mut doc = HouseholdDoc::create(household, actor.clone(), provenance)?;
            insert_snapshot(&tx, household.id, &mut doc, provenance.at)?;
            projection::write_id_numbers(&tx, household)?;
        }
        let holders = projection::id_holders(&tx, None)?;
        let today = provenance.at.date_naive();
        let batch: std::collections::HashSet<Uuid> = households.iter().map(|h| h.id).collect();
        for household in households {
            // A document made in one change has no conflicts.
            projection::write_projection(&tx, household, &[], &self.policy, today, &holders)?;
        }
        // Households already in the store that share a number with the batch now have a duplicate to report.
        let others: std::collections::BTreeSet<Uuid> = holders
            .values()
            .filter(|list| list.len() > 1 && list.iter().any(|h| batch.contains(h)))
            .flatten()
            .filter(|h| !batch.contains(h))
            .copied()
            .collect();
        projection::reproject(&tx, others, &self.identity, &self.policy, today)?;
        audit_tx(&tx, provenance, None, &format!("{} 户", households.len()))?;
        tx.commit()?;
        Ok(())
    }
}

pub(crate) fn load_document(conn: &Connection, id: Uuid, identity: &DeviceIdentity) -> Result<HouseholdDoc> {
    let snapshot: Vec<u8> = conn
        .query_row("SELECT snapshot FROM documents WHERE household_id = ?1", [id.to_string()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    let mut doc = HouseholdDoc::load(&snapshot, actor_for_device(identity.device_id))?;
    let mut stmt = conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE household_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id.to_string()])?;
    while let Some(row) = rows.next()? {
        let chunk: Vec<u8> = row.get(0)?;
        doc.load_incremental(&chunk)?;
    }
    Ok(doc)
}

/// Stores a new household's first snapshot; an id already present is refused.
pub(crate) fn insert_snapshot(conn: &Connection, id: Uuid, doc: &mut HouseholdDoc, at: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO documents(household_id, snapshot, chunk_count, updated_at, heads) VALUES (?1, ?2, 0, ?3, ?4)",
        params![id.to_string(), doc.save(), at.to_rfc3339(), sync_state::heads_text(&doc.heads())],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::AlreadyExists(id)
        }
        other => StoreError::Sqlite(other),
    })?;
    Ok(())
}

pub(crate) fn append_chunk(
    tx: &Transaction<'_>,
    id: Uuid,
    doc: &mut HouseholdDoc,
    chunk: &[u8],
    at: DateTime<Utc>,
) -> Result<()> {
    let count: i64 = tx.query_row(
        "UPDATE documents SET chunk_count = chunk_count + 1, updated_at = ?2, heads = ?3 WHERE household_id = ?1 RETURNING chunk_count",
        params![id.to_string(), at.to_rfc3339(), sync_state::heads_text(&doc.heads())],
        |r| r.get(0),
    )?;
    if count >= COMPACT_AFTER_CHUNKS {
        return compact_tx(tx, id, doc);
    }
    tx.execute(
        "INSERT INTO doc_chunks(household_id, seq, bytes) VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM doc_chunks WHERE household_id = ?1), ?2)",
        params![id.to_string(), chunk],
    )?;
    Ok(())
}

fn compact_tx(tx: &Transaction<'_>, id: Uuid, doc: &mut HouseholdDoc) -> Result<()> {
    tx.execute("DELETE FROM doc_chunks WHERE household_id = ?1", [id.to_string()])?;
    tx.execute(
        "UPDATE documents SET snapshot = ?2, chunk_count = 0 WHERE household_id = ?1",
        params![id.to_string(), doc.save()],
    )?;
    Ok(())
}

pub(crate) fn audit_tx(tx: &Connection, provenance: &Provenance, household: Option<Uuid>, detail: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO audit(at, user, device, action, household_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            provenance.at.to_rfc3339(),
            provenance.user,
            provenance.device.to_string(),
            provenance.action,
            household.map(|h| h.to_string()),
            detail
        ],
    )?;
    Ok(())
}

/// Refuses a record whose ID numbers are malformed: a wrong number typed at the door is caught there.
pub fn validate_entry(household: &Household) -> Result<()> {
    let problems: Vec<String> = household.members.values().filter_map(id_problem).collect();
    if problems.is_empty() { Ok(()) } else { Err(StoreError::InvalidInput(problems)) }
}

fn id_problem(member: &hudang_domain::Member) -> Option<String> {
    if member.id_number.trim().is_empty() {
        return None;
    }
    let parsed = match member.id_type {
        Some(hudang_domain::IdType::DisabilityCard) => idcard::parse_disability_card(&member.id_number),
        _ => idcard::parse_id_number(&member.id_number),
    };
    parsed.err().map(|e| format!("成员“{}”的证件号码“{}”：{e}", member.name, member.id_number))
}

/// Validates only the ID numbers an edit changed, so an old record's known defect does not block unrelated edits.
fn validate_changed_ids(before: &Household, after: &Household) -> Result<()> {
    let problems: Vec<String> = after
        .members
        .iter()
        .filter(|(id, m)| before.members.get(id).is_none_or(|old| old.id_number != m.id_number))
        .filter_map(|(_, m)| id_problem(m))
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(StoreError::InvalidInput(problems)) }
}
