//! Server storage behind a trait, so a PostgreSQL implementation can follow without touching the HTTP layer or
//! the merge logic.
//!
//! The trait is synchronous: handlers call it through `tokio::task::spawn_blocking` holding an
//! `Arc<dyn Storage>`. Accounts and photos are plain methods. Documents, the change log and projections are reached
//! through a [`Reader`] (one consistent read transaction) or a [`Writer`] (one write transaction that commits
//! whole or not at all), so the merge logic in [`crate::ingest`] is written once for every backend.

mod photo_files;
mod schema;
mod sqlite;
mod transaction;

pub use sqlite::{DATABASE_FILE, SqliteStorage};

use crate::error::Result;
use chrono::{DateTime, Utc};
use hudang_domain::{Finding, Inspection, Member};
use hudang_protocol::{PullResponse, Role, SessionInfo, UploadState, UserInfo, Village};
use hudang_record::FieldConflict;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// The villages a session may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Area {
    /// Every household of the county (county staff and admins).
    County,
    /// Only households whose village key (`乡镇/行政村`) is listed.
    Villages(Vec<String>),
}

impl Area {
    /// Whether a household with this village key lies inside the area.
    pub fn contains(&self, village_key: &str) -> bool {
        match self {
            Area::County => true,
            Area::Villages(keys) => keys.iter().any(|k| k == village_key),
        }
    }
}

/// An authenticated device and its user, as checked on this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: UserInfo,
    /// The device.
    pub device_id: Uuid,
    /// What the user may reach.
    pub area: Area,
}

/// A user as county staff manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The user's id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Codes of the villages they work in.
    pub villages: Vec<String>,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// When the user was revoked, if they were.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether the user has a password for the county console.
    #[serde(default)]
    pub has_password: bool,
}

/// A user as the console's login looks them up: never more than one active user per name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRecord {
    /// Who.
    pub user: UserInfo,
    /// The stored password hash (PHC string), if the user has a console password.
    pub password_hash: Option<String>,
}

/// A logged-in console user, as checked on this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Who.
    pub user: UserInfo,
    /// What they may reach.
    pub area: Area,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
    /// The hash of its token: how it is named when the others of the same user are ended.
    pub token_hash: [u8; 32],
}

/// An enrolment code as county staff see it; the code itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCodeRecord {
    /// The code's sha256 in hex: how the console names a code it cannot show.
    pub id: String,
    /// The user it enrols a device for.
    pub user_id: Uuid,
    /// That user's name.
    pub user_name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When a device used it.
    pub used_at: Option<DateTime<Utc>>,
    /// When county staff revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The counts of one village for the overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageCounts {
    /// Households (not counting those merged into another).
    pub households: u64,
    /// Households by status label (`""` when none is set).
    pub by_status: std::collections::BTreeMap<String, u64>,
    /// Households visited at least once in the period asked for.
    pub visited: u64,
    /// Households signed by surveyor and head.
    pub signed: u64,
    /// Households with at least one check error.
    pub households_with_errors: u64,
    /// Check errors.
    pub errors: u64,
    /// Check warnings.
    pub warnings: u64,
    /// Open field conflicts.
    pub conflicts: u64,
}

impl VillageCounts {
    /// Adds another village's counts to these (for an area's totals).
    pub fn add(&mut self, other: &VillageCounts) {
        self.households += other.households;
        for (status, n) in &other.by_status {
            *self.by_status.entry(status.clone()).or_default() += n;
        }
        self.visited += other.visited;
        self.signed += other.signed;
        self.households_with_errors += other.households_with_errors;
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.conflicts += other.conflicts;
    }
}

/// Which findings a console page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFilter {
    /// The caller's area.
    pub area: Area,
    /// One check id.
    pub check: Option<String>,
    /// One village key.
    pub village_key: Option<String>,
    /// `error` or `warning`.
    pub severity: Option<hudang_domain::Severity>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

/// One finding with its household, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRow {
    /// The household.
    pub household: Uuid,
    /// Its village key.
    pub village_key: String,
    /// Its 村民小组.
    pub group: String,
    /// Its 户主.
    pub head_name: String,
    /// The check.
    pub check: String,
    /// Error or warning; `error` or `warning` on the wire, as the console's filter names them.
    #[serde(with = "severity_code")]
    pub severity: hudang_domain::Severity,
    /// The field's document path.
    pub path: String,
    /// The message in Chinese.
    pub message: String,
}

/// A severity as a plain code (`error`, `warning`) rather than its Chinese label.
mod severity_code {
    use hudang_domain::Severity;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(severity: &Severity, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *severity == Severity::Error { "error" } else { "warning" })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
        Ok(if String::deserialize(d)? == "error" { Severity::Error } else { Severity::Warning })
    }
}

/// Which households a console page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFilter {
    /// The caller's area.
    pub area: Area,
    /// One village key.
    pub village_key: Option<String>,
    /// Part of the 户主's name or ID number.
    pub query: Option<String>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}
/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The device install's id (its Automerge actor).
    pub id: Uuid,
    /// The user it was enrolled for.
    pub user_id: Uuid,
    /// That user's name.
    pub user_name: String,
    /// The name the device gave itself.
    pub name: String,
    /// When it enrolled (last time).
    pub enrolled_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last pushed.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A household document as stored: the snapshot followed by its incremental chunks, ready for `HouseholdDoc::load`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Snapshot and chunks, concatenated.
    pub bytes: Vec<u8>,
    /// Incremental chunks after the snapshot.
    pub chunk_count: u32,
    /// The household's village key as of the last write.
    pub village_key: String,
    /// Grows with every write: a stale read shows as a different version.
    pub version: u64,
}

/// How a document write is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentWrite {
    /// The whole document, replacing the snapshot and every chunk.
    Snapshot(Vec<u8>),
    /// Only what was added since the last write, appended as a chunk.
    Chunk(Vec<u8>),
}

/// A change accepted into the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedChange {
    /// The change hash.
    pub hash: [u8; 32],
    /// The raw change.
    pub bytes: Vec<u8>,
}

/// The list row of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdRow {
    /// Household id.
    pub id: Uuid,
    /// `乡镇/行政村`.
    pub village_key: String,
    /// 县.
    pub county: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub village: String,
    /// 村民小组.
    pub group: String,
    /// 户主's name.
    pub head_name: String,
    /// 户主's ID number.
    pub head_id_number: String,
    /// Status label.
    pub status: String,
    /// 贫困户属性 label.
    pub attribute: String,
    /// Registered members.
    pub member_count: u32,
    /// Signed by surveyor and household head.
    pub signed: bool,
    /// Check errors.
    pub errors: u32,
    /// Check warnings.
    pub warnings: u32,
    /// Open conflicts.
    pub conflicts: u32,
    /// The household this file was merged into, if it was.
    pub merged_into: Option<Uuid>,
    /// 户编号 (national household number).
    pub national_number: String,
    /// 住址.
    pub address: String,
    /// 联系电话.
    pub phone: String,
    /// 识别标准 label.
    pub standard: String,
    /// 户类型 label.
    pub household_type: String,
    /// 主要致贫原因 label.
    pub main_cause: String,
}

/// Every derived row of one household.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The list row.
    pub row: HouseholdRow,
    /// Data-check findings.
    pub findings: Vec<Finding>,
    /// Open field conflicts.
    pub conflicts: Vec<FieldConflict>,
    /// sha256 of every photo the document references.
    pub photo_refs: Vec<String>,
    /// Members in file order (户主 first), for exports.
    pub members: Vec<(Uuid, Member)>,
    /// 六看一问 inspections, for exports.
    pub inspections: Vec<(Uuid, Inspection)>,
    /// Visits: id, when, who recorded it; for 遍访 coverage.
    pub visits: Vec<(Uuid, DateTime<Utc>, String)>,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user name).
    pub user: String,
    /// From which device, if any.
    pub device: Option<Uuid>,
    /// What (`push`, `resolve`, `enrol`, ...).
    pub action: String,
    /// Which household, if one.
    pub household: Option<Uuid>,
    /// Details for people.
    pub detail: String,
}

/// What a pull page may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Only changes after this sequence number.
    pub after: u64,
    /// Bytes of change data to aim for (at least one change is returned if there is any).
    pub max_bytes: u64,
    /// Only households in this area.
    pub area: Area,
    /// Leave out changes this device sent.
    pub exclude_origin: Uuid,
}

/// A household's row and one of its conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdConflict {
    /// The household.
    pub household: Uuid,
    /// Its village key.
    pub village_key: String,
    /// Its 户主.
    pub head_name: String,
    /// The conflict with every candidate value and who wrote it.
    pub conflict: FieldConflict,
}

/// An ID number held by registered members of more than one household: a likely duplicate family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The ID number.
    pub id_number: String,
    /// The households holding it.
    pub households: Vec<DuplicateHousehold>,
}

/// One household of a [`Duplicate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateHousehold {
    /// The household.
    pub id: Uuid,
    /// Its village key.
    pub village_key: String,
    /// Its 户主.
    pub head_name: String,
}

/// Reads inside one consistent transaction.
pub trait Reader {
    /// A stored household document.
    fn document(&mut self, household: Uuid) -> Result<Option<StoredDocument>>;
    /// The version of a stored document, without its bytes.
    fn document_version(&mut self, household: Uuid) -> Result<Option<u64>>;
    /// The households holding each of the given ID numbers (only numbers someone holds appear).
    fn id_holders(&mut self, numbers: &[String]) -> Result<HashMap<String, Vec<Uuid>>>;
    /// One page of the change log.
    fn change_page(&mut self, query: &PageQuery) -> Result<PullResponse>;
    /// The list row of a household.
    fn household_row(&mut self, household: Uuid) -> Result<Option<HouseholdRow>>;
    /// Open conflicts, of one household or all.
    fn conflicts(&mut self, household: Option<Uuid>) -> Result<Vec<HouseholdConflict>>;
    /// ID numbers held by more than one household.
    fn duplicates(&mut self) -> Result<Vec<Duplicate>>;
    /// Whether a stored photo is referenced by a household inside the area (any stored photo for the county).
    fn photo_reachable(&mut self, sha256: &str, area: &Area) -> Result<bool>;
    /// The highest sequence number in the change log.
    fn last_seq(&mut self) -> Result<u64>;
    /// Whether the projections must be rebuilt from the documents (a migration added projected rows).
    fn projections_stale(&mut self) -> Result<bool>;
    /// Every stored household's id.
    fn household_ids(&mut self) -> Result<Vec<Uuid>>;
    /// Counts per village key for the overview; visits count when `visit_from <= visited_at < visit_to`.
    fn village_counts(
        &mut self,
        visit_from: DateTime<Utc>,
        visit_to: DateTime<Utc>,
    ) -> Result<HashMap<String, VillageCounts>>;
    /// One page of findings, errors first, and how many match in all.
    fn finding_page(&mut self, filter: &FindingFilter) -> Result<(u64, Vec<FindingRow>)>;
    /// One page of households (merged files included, marked), and how many match in all.
    fn household_page(&mut self, filter: &HouseholdFilter) -> Result<(u64, Vec<HouseholdRow>)>;
    /// The households whose files were merged into this one.
    fn merged_from(&mut self, household: Uuid) -> Result<Vec<Uuid>>;
    /// Every unmerged household in the area (and village, if given), by village, group and 户主.
    fn each_household(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow) -> Result<()>,
    ) -> Result<()>;
    /// Every member of those households, with the household's row.
    fn each_member(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow, &Member) -> Result<()>,
    ) -> Result<()>;
    /// Every 六看一问 inspection of those households, oldest first within a household.
    fn each_inspection(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow, &Inspection) -> Result<()>,
    ) -> Result<()>;
    /// Every finding of those households, errors first within a household.
    fn each_finding(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&FindingRow) -> Result<()>,
    ) -> Result<()>;
}

/// Writes inside one transaction; everything commits together or nothing does.
pub trait Writer: Reader {
    /// Stores a document (new, replaced by a snapshot, or extended by a chunk) and returns its new version.
    fn put_document(&mut self, household: Uuid, write: &DocumentWrite, village_key: &str) -> Result<u64>;
    /// Appends a change to the log unless its hash is already there; returns its sequence number if it was new.
    fn log_change(
        &mut self,
        household: Uuid,
        change: &LoggedChange,
        village_key: &str,
        origin_device: Uuid,
        received_at: DateTime<Utc>,
    ) -> Result<Option<u64>>;
    /// Replaces the ID numbers a household's registered members hold (number, member); returns the numbers it held before.
    fn replace_id_numbers(&mut self, household: Uuid, numbers: &[(String, Uuid)]) -> Result<Vec<String>>;
    /// Replaces every derived row of a household.
    fn write_projection(&mut self, projection: &Projection, updated_seq: u64) -> Result<()>;
    /// Records who did what.
    fn audit(&mut self, entry: &AuditEntry) -> Result<()>;
    /// Notes that a device was seen.
    fn touch_device(&mut self, device: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Notes that every projection was rebuilt.
    fn mark_projections_fresh(&mut self) -> Result<()>;
}

/// The server's storage.
pub trait Storage: Send + Sync + 'static {
    /// The server's id (a device's cursor belongs to one server; also the server's Automerge actor).
    fn server_id(&self) -> Uuid;
    /// The county the server serves, as given at `init`.
    fn county(&self) -> Result<String>;

    /// Adds a village; its code and its `乡镇/行政村` key must both be new.
    fn add_village(&self, village: &Village) -> Result<()>;
    /// Every village, by code.
    fn villages(&self) -> Result<Vec<Village>>;
    /// Adds a user; every village code must exist.
    fn add_user(&self, user: &UserRecord) -> Result<()>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<UserRecord>>;
    /// Revokes a user: every device of theirs is refused from the next request on.
    fn revoke_user(&self, user: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Replaces the villages a user works in; every code must exist. Takes effect at the user's next request.
    fn set_user_villages(&self, user: Uuid, villages: &[String]) -> Result<()>;
    /// Stores a one-time enrolment code (by its hash) for a user.
    fn add_enrol_code(
        &self,
        code_hash: [u8; 32],
        user: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Uses an enrolment code: the device is (re-)enrolled for the code's user with the token's hash.
    fn enrol(
        &self,
        code_hash: [u8; 32],
        device: Uuid,
        device_name: &str,
        token_hash: [u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Session>;
    /// Every device, by enrolment time.
    fn devices(&self) -> Result<Vec<DeviceRecord>>;
    /// Revokes a device: its token is refused from the next request on.
    fn revoke_device(&self, device: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// The session a token opens; checked on every request, so revocation takes effect at once.
    fn session(&self, token_hash: [u8; 32]) -> Result<Session>;
    /// What a session sees of itself (its villages in full).
    fn session_info(&self, session: &Session) -> Result<SessionInfo>;

    /// Sets (or with `None` removes) a user's console password hash and ends every console session of theirs but
    /// `keep` (the session of a user changing their own password), so an old password's sessions do not live on.
    fn set_password(&self, user: Uuid, hash: Option<&str>, keep: Option<[u8; 32]>) -> Result<()>;
    /// The active (unrevoked) user of this name, for the console's login.
    fn login_record(&self, name: &str) -> Result<Option<LoginRecord>>;
    /// Stores a console session by its token's hash.
    fn add_console_session(
        &self,
        token_hash: [u8; 32],
        user: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The console session a token opens at `now`; checked on every request, so revocation takes effect at once.
    fn console_session(&self, token_hash: [u8; 32], now: DateTime<Utc>) -> Result<ConsoleSession>;
    /// Ends a console session.
    fn end_console_session(&self, token_hash: [u8; 32]) -> Result<()>;
    /// The villages of an area in full.
    fn area_villages(&self, area: &Area) -> Result<Vec<Village>>;
    /// Every enrolment code, newest first.
    fn enrol_codes(&self) -> Result<Vec<EnrolCodeRecord>>;
    /// Revokes an unused enrolment code by its id (the hex sha256).
    fn revoke_enrol_code(&self, id: &str, at: DateTime<Utc>) -> Result<EnrolCodeRecord>;

    /// Runs `work` inside one read transaction.
    fn read(&self, work: &mut dyn FnMut(&mut dyn Reader) -> Result<()>) -> Result<()>;
    /// Runs `work` inside one write transaction, committed if `work` succeeds and rolled back otherwise.
    fn write(&self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<()>) -> Result<()>;

    /// Which of these photos the server does not hold.
    fn missing_photos(&self, sha256: &[String]) -> Result<Vec<String>>;
    /// How much of a photo has arrived.
    fn photo_upload_state(&self, sha256: &str) -> Result<UploadState>;
    /// Appends a chunk at `offset` of a photo of `total` bytes; verifies and stores the photo when complete.
    fn put_photo_chunk(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
        at: DateTime<Utc>,
    ) -> Result<UploadState>;
    /// A stored photo's bytes from `offset`.
    fn read_photo(&self, sha256: &str, offset: u64) -> Result<Vec<u8>>;
}

/// Runs a read and returns what it computed.
pub fn read<T>(storage: &dyn Storage, mut work: impl FnMut(&mut dyn Reader) -> Result<T>) -> Result<T> {
    let mut out = None;
    storage.read(&mut |reader| {
        out = Some(work(reader)?);
        Ok(())
    })?;
    Ok(out.expect("a successful read sets its result"))
}

/// Runs a write transaction and returns what it computed.
pub fn write<T>(storage: &dyn Storage, mut work: impl FnMut(&mut dyn Writer) -> Result<T>) -> Result<T> {
    let mut out = None;
    storage.write(&mut |writer| {
        out = Some(work(writer)?);
        Ok(())
    })?;
    Ok(out.expect("a successful write sets its result"))
}
