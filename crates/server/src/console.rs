//! What county staff and team leaders do in the county console, one function per action, each taking the
//! caller's [`ConsoleSession`] and checking it: the HTTP layer only decodes requests and encodes answers.
//!
//! Every read is cut to the caller's area (a team leader sees only their villages, and a household outside them
//! is "not found", never "forbidden", so its existence is not revealed). Clock readings and random secrets come
//! in as arguments.

use crate::accounts;
use crate::county;
use crate::error::{Result, ServerError};
use crate::ingest::{HouseholdView, county_today};
use crate::storage::{
    self, Area, ConsoleSession, DeviceRecord, Duplicate, EnrolCodeRecord, FindingFilter, FindingRow, HouseholdFilter,
    HouseholdRow, Storage, UserRecord, VillageCounts,
};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use hudang_domain::{Finding, Severity, checks};
use hudang_protocol::{Role, Village};
use hudang_record::{FieldConflict, HistoryEntry, HouseholdDoc, actor_for_device};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use uuid::Uuid;

/// How long a console login lasts.
pub const SESSION_HOURS: i64 = 12;
/// The shortest console password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The most rows one console page returns.
pub const MAX_PAGE: u64 = 500;

/// The logged-in user as the console shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// User id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The role as people name it.
    pub role_label: String,
    /// The county the server serves.
    pub county: String,
    /// The villages the user sees (every village for county staff).
    pub villages: Vec<Village>,
    /// May manage villages, users, devices and enrolment codes.
    pub can_manage: bool,
    /// May merge duplicate households.
    pub can_merge: bool,
}

fn can_manage(role: Role) -> bool {
    matches!(role, Role::CountyStaff | Role::Admin)
}

fn require_manager(session: &ConsoleSession, what: &str) -> Result<()> {
    if can_manage(session.user.role) { Ok(()) } else { Err(ServerError::Forbidden(what.to_string())) }
}

/// A password stored as an Argon2id PHC string with the given salt (made by the caller from a random source).
pub fn hash_password(password: &str, salt: &SaltString) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServerError::InvalidInput(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符")));
    }
    let _turn = password_turn();
    Argon2::default()
        .hash_password(password.as_bytes(), salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServerError::Database(format!("密码无法加密保存：{e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    let _turn = password_turn();
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// One Argon2 computation at a time (each takes about 19 MiB and tens of milliseconds): a flood of logins then
/// queues instead of exhausting memory, and guessing passwords is held to a few dozen tries a second.
fn password_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A hash no password matches in practice, checked when a login names nobody (see [`login`]).
fn stand_in_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::encode_b64(b"hudang stand-in!").expect("16 bytes make a valid salt");
        hash_password("no console password is this one", &salt).expect("the stand-in password is long enough")
    })
}

/// Sets a user's console password (the CLI, or an administrator in the console).
/// Every console session of the user ends, so a leaked password's sessions do not outlive it.
pub fn set_password(storage: &dyn Storage, user: Uuid, password: &str, salt: &SaltString) -> Result<()> {
    let hash = hash_password(password, salt)?;
    storage.set_password(user, Some(&hash), None)
}

/// Logs in by name and password and opens a session under `token` (made by the caller). Workers are refused:
/// they work on tablets. A wrong name, a wrong password and a user without a password get the same answer, so
/// names cannot be probed.
pub fn login(storage: &dyn Storage, name: &str, password: &str, token: &str, now: DateTime<Utc>) -> Result<Me> {
    let record = storage.login_record(name)?;
    let Some((record, stored)) = record.and_then(|r| r.password_hash.clone().map(|hash| (r, hash))) else {
        // Hash anyway, so an unknown name takes as long to refuse as a wrong password and names cannot be timed out.
        password_matches(password, stand_in_hash());
        return Err(ServerError::BadLogin);
    };
    if !password_matches(password, &stored) {
        return Err(ServerError::BadLogin);
    }
    if record.user.role == Role::Worker {
        return Err(ServerError::WorkerNotAllowed);
    }
    storage.add_console_session(
        accounts::token_hash(token),
        record.user.id,
        now,
        now + Duration::hours(SESSION_HOURS),
    )?;
    let session = storage.console_session(accounts::token_hash(token), now)?;
    me(storage, &session)
}

/// The session a console cookie's token opens now.
pub fn session(storage: &dyn Storage, token: Option<&str>, now: DateTime<Utc>) -> Result<ConsoleSession> {
    let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or(ServerError::NoConsoleSession)?;
    storage.console_session(accounts::token_hash(token), now)
}

/// Ends the session of a token.
pub fn logout(storage: &dyn Storage, token: &str) -> Result<()> {
    storage.end_console_session(accounts::token_hash(token))
}

/// The logged-in user.
pub fn me(storage: &dyn Storage, session: &ConsoleSession) -> Result<Me> {
    let role = session.user.role;
    Ok(Me {
        id: session.user.id,
        name: session.user.name.clone(),
        role,
        role_label: role.label().to_string(),
        county: storage.county()?,
        villages: storage.area_villages(&session.area)?,
        can_manage: can_manage(role),
        can_merge: can_manage(role),
    })
}

/// Changes one's own password.
pub fn change_own_password(
    storage: &dyn Storage,
    session: &ConsoleSession,
    old: &str,
    new: &str,
    salt: &SaltString,
) -> Result<()> {
    let record = storage.login_record(&session.user.name)?.ok_or(ServerError::NoConsoleSession)?;
    if !record.password_hash.as_deref().is_some_and(|stored| password_matches(old, stored)) {
        return Err(ServerError::InvalidInput("原密码不对".into()));
    }
    // The other sessions end; this one, where the user just proved the old password, stays.
    let hash = hash_password(new, salt)?;
    storage.set_password(session.user.id, Some(&hash), Some(session.token_hash))
}

// ---------------------------------------------------------------------------------------------------------------
// Overview

/// When a team member's devices last synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSync {
    /// The user.
    pub user_id: Uuid,
    /// Their name.
    pub user_name: String,
    /// Their role.
    pub role: Role,
    /// The latest push of any of their devices.
    pub last_sync: Option<DateTime<Utc>>,
}

/// One village in the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageOverview {
    /// Village code.
    pub code: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub name: String,
    /// `乡镇/行政村`.
    pub key: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: VillageCounts,
    /// The latest push of any device of a user working in the village.
    pub last_sync: Option<DateTime<Utc>>,
    /// Each worker and team leader of the village.
    pub teams: Vec<TeamSync>,
}

/// The overview page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// `YYYY-MM`.
    pub month: String,
    /// Villages by township, then name.
    pub villages: Vec<VillageOverview>,
    /// The area's totals.
    pub totals: VillageCounts,
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The first instant of a month in the county, and of the month after: the 遍访 period.
pub fn month_bounds(month: &str) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let bad = || ServerError::InvalidInput(format!("月份应写成 2026-11 这样，收到的是 {month}"));
    let (year, number) = month.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    let number: u32 = number.parse().map_err(|_| bad())?;
    let first = NaiveDate::from_ymd_opt(year, number, 1).ok_or_else(bad)?;
    let next = if number == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { first.with_month(number + 1) }
        .ok_or_else(bad)?;
    let start = |day: NaiveDate| {
        china()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    };
    Ok((start(first), start(next)))
}

/// The month (in the county) an instant falls in, `YYYY-MM`.
pub fn month_of(now: DateTime<Utc>) -> String {
    now.with_timezone(&china()).format("%Y-%m").to_string()
}

/// Where every village of the caller's area stands: households by status, 遍访 this month, open errors and
/// conflicts, and when each team last synced.
pub fn overview(
    storage: &dyn Storage,
    session: &ConsoleSession,
    month: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Overview> {
    let month = month.map(str::to_string).unwrap_or_else(|| month_of(now));
    let (from, to) = month_bounds(&month)?;
    let counts = storage::read(storage, |r| r.village_counts(from, to))?;
    let villages = storage.area_villages(&session.area)?;
    let users = storage.users()?;
    let devices = storage.devices()?;
    let mut last_sync: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for device in devices.iter().filter(|d| d.revoked_at.is_none()) {
        if let Some(seen) = device.last_seen_at {
            let latest = last_sync.entry(device.user_id).or_insert(seen);
            *latest = (*latest).max(seen);
        }
    }
    let mut out = Vec::new();
    let mut totals = VillageCounts::default();
    for village in villages {
        let key = village.key();
        let mut village_counts = VillageCounts::default();
        if let Some(c) = counts.get(&key) {
            village_counts.add(c);
            totals.add(c);
        }
        let teams: Vec<TeamSync> = users
            .iter()
            .filter(|u| u.revoked_at.is_none() && u.villages.contains(&village.code))
            .map(|u| TeamSync {
                user_id: u.id,
                user_name: u.name.clone(),
                role: u.role,
                last_sync: last_sync.get(&u.id).copied(),
            })
            .collect();
        out.push(VillageOverview {
            last_sync: teams.iter().filter_map(|t| t.last_sync).max(),
            code: village.code.clone(),
            township: village.township.clone(),
            name: village.name.clone(),
            key,
            counts: village_counts,
            teams,
        });
    }
    // Households whose 乡镇/行政村 matches no registered village (a typing slip, a renamed village) still count:
    // county staff see them as their own rows, so the totals add up to every household.
    if session.area == Area::County {
        let known: std::collections::HashSet<&str> = out.iter().map(|v| v.key.as_str()).collect();
        let mut unknown: Vec<(&String, &VillageCounts)> =
            counts.iter().filter(|(key, _)| !known.contains(key.as_str())).collect();
        unknown.sort_by(|a, b| a.0.cmp(b.0));
        let mut extra = Vec::new();
        for (key, c) in unknown {
            let (township, name) = key.split_once('/').unwrap_or(("", key.as_str()));
            let mut village_counts = VillageCounts::default();
            village_counts.add(c);
            totals.add(c);
            extra.push(VillageOverview {
                code: String::new(),
                township: township.to_string(),
                name: format!("{name}（未登记的村）"),
                key: key.clone(),
                counts: village_counts,
                last_sync: None,
                teams: Vec::new(),
            });
        }
        out.extend(extra);
    }
    // Village codes are official and ordered; names (第2村, 第10村) are not.
    // Unregistered villages (no code) come after the registered ones of their township.
    out.sort_by(|a, b| {
        (&a.township, a.code.is_empty(), &a.code, &a.name).cmp(&(&b.township, b.code.is_empty(), &b.code, &b.name))
    });
    Ok(Overview { month, villages: out, totals })
}

// ---------------------------------------------------------------------------------------------------------------
// Conflicts

/// One candidate value of a conflict, flattened for the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateView {
    /// The value.
    pub value: Json,
    /// Who wrote it.
    pub user: String,
    /// From which device.
    pub device: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The change that wrote it (hex).
    pub change: String,
}

/// A conflict with its household's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictItem {
    /// The household.
    pub household: Uuid,
    /// Its village key.
    pub village_key: String,
    /// Its 户主.
    pub head_name: String,
    /// Its 村民小组.
    pub group: String,
    /// Its status label.
    pub status: String,
    /// Its registered members.
    pub member_count: u32,
    /// The field's document path.
    pub path: String,
    /// The field's name.
    pub label: String,
    /// Every value written, with who and when.
    pub candidates: Vec<CandidateView>,
}

/// Every open conflict in the caller's area (or one village of it).
pub fn conflicts(storage: &dyn Storage, session: &ConsoleSession, village: Option<&str>) -> Result<Vec<ConflictItem>> {
    storage::read(storage, |r| {
        let mut rows: HashMap<Uuid, Option<HouseholdRow>> = HashMap::new();
        let mut out = Vec::new();
        for c in r.conflicts(None)? {
            if !session.area.contains(&c.village_key) || village.is_some_and(|v| v != c.village_key) {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = rows.entry(c.household) {
                slot.insert(r.household_row(c.household)?);
            }
            let row = rows.get(&c.household).and_then(Option::as_ref);
            out.push(ConflictItem {
                household: c.household,
                village_key: c.village_key,
                head_name: c.head_name,
                group: row.map(|r| r.group.clone()).unwrap_or_default(),
                status: row.map(|r| r.status.clone()).unwrap_or_default(),
                member_count: row.map_or(0, |r| r.member_count),
                path: c.conflict.path,
                label: c.conflict.label,
                candidates: c
                    .conflict
                    .candidates
                    .into_iter()
                    .map(|k| CandidateView {
                        value: k.value,
                        user: k.provenance.user,
                        device: k.provenance.device,
                        at: k.provenance.at,
                        change: k.change,
                    })
                    .collect(),
            });
        }
        Ok(out)
    })
}

/// One conflict to settle and the value chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveItem {
    /// The household.
    pub household: Uuid,
    /// The field's document path.
    pub path: String,
    /// The value to keep.
    pub value: Json,
}

/// How one settlement went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveOutcome {
    /// The household.
    pub household: Uuid,
    /// The field.
    pub path: String,
    /// Whether it was settled.
    pub ok: bool,
    /// Why not, in Chinese.
    pub message: Option<String>,
}

/// The most conflicts settled in one request.
pub const MAX_RESOLVE_ITEMS: usize = 1000;

/// Settles conflicts, each in its own transaction (one that fails does not hold back the others); devices pull
/// each settlement as a change by the server, attributed to the caller.
pub fn resolve(
    storage: &dyn Storage,
    session: &ConsoleSession,
    items: &[ResolveItem],
    now: DateTime<Utc>,
) -> Result<Vec<ResolveOutcome>> {
    if items.len() > MAX_RESOLVE_ITEMS {
        return Err(ServerError::InvalidInput(format!("一次最多解决 {MAX_RESOLVE_ITEMS} 个冲突")));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let result = household_in_area(storage, session, item.household)
            .and_then(|_| require_candidate(storage, item))
            .and_then(|_| {
                county::resolve_conflict_within(
                    storage,
                    item.household,
                    &item.path,
                    &item.value,
                    &session.user.name,
                    &session.area,
                    now,
                )
            });
        out.push(ResolveOutcome {
            household: item.household,
            path: item.path.clone(),
            ok: result.is_ok(),
            message: result.err().map(|e| e.to_string()),
        });
    }
    Ok(out)
}

/// A console settlement chooses one of the values people wrote; it does not type a new one (that is done on a
/// tablet, where the person who knows the household works).
fn require_candidate(storage: &dyn Storage, item: &ResolveItem) -> Result<()> {
    let conflicts = storage::read(storage, |r| r.conflicts(Some(item.household)))?;
    let conflict = conflicts
        .iter()
        .find(|c| c.conflict.path == item.path)
        .ok_or_else(|| ServerError::NotFound(format!("户 {} 的字段 {} 上的冲突", item.household, item.path)))?;
    if conflict.conflict.candidates.iter().any(|c| c.value == item.value) {
        Ok(())
    } else {
        Err(ServerError::InvalidInput("所选的值不是冲突中任何人填写的值".into()))
    }
}

/// The household's row, if it exists inside the caller's area; "not found" otherwise.
fn household_in_area(storage: &dyn Storage, session: &ConsoleSession, household: Uuid) -> Result<HouseholdRow> {
    storage::read(storage, |r| r.household_row(household))?
        .filter(|row| session.area.contains(&row.village_key))
        .ok_or_else(|| ServerError::NotFound(format!("户 {household}")))
}

// ---------------------------------------------------------------------------------------------------------------
// Duplicates

/// Likely duplicate families the caller may see: groups with at least two households inside their area.
pub fn duplicates(storage: &dyn Storage, session: &ConsoleSession) -> Result<Vec<Duplicate>> {
    let mut groups = county::duplicates(storage)?;
    for group in &mut groups {
        group.households.retain(|h| session.area.contains(&h.village_key));
    }
    groups.retain(|g| g.households.len() > 1);
    Ok(groups)
}

/// Merges the household `merge` into `keep` (county staff only); see [`county::merge_households`].
pub fn merge(
    storage: &dyn Storage,
    session: &ConsoleSession,
    keep: Uuid,
    merge: Uuid,
    now: DateTime<Utc>,
) -> Result<county::MergeOutcome> {
    if !can_manage(session.user.role) {
        return Err(ServerError::Forbidden("合并重复户需要县级工作人员账号".into()));
    }
    county::merge_households(storage, keep, merge, &session.user.name, now)
}

// ---------------------------------------------------------------------------------------------------------------
// Findings and households

/// One finding for the console, with its check's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingItem {
    /// The finding and its household.
    #[serde(flatten)]
    pub row: FindingRow,
    /// The check's name (the field it concerns).
    pub label: String,
}

/// A check as the filter lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// Stable id.
    pub id: String,
    /// Field and rule in Chinese.
    pub label: String,
    /// Default severity.
    pub severity: Severity,
}

/// A page of findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingPage {
    /// Findings matching the filter in all.
    pub total: u64,
    /// This page.
    pub items: Vec<FindingItem>,
    /// Every check, for the filter.
    pub checks: Vec<CheckInfo>,
}

/// A check's name as people read it: its field, then its rule.
pub fn check_label(check: &str) -> String {
    match checks::CHECKS.iter().find(|c| c.id == check) {
        Some(def) => format!("{}：{}", def.field, def.title),
        None if check.starts_with(checks::EXCLUSION_PREFIX) => {
            format!("排除规则：{}", &check[checks::EXCLUSION_PREFIX.len()..])
        }
        None => check.to_string(),
    }
}

/// What a findings page asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingQuery {
    /// One check id.
    pub check: Option<String>,
    /// One village key.
    pub village: Option<String>,
    /// `error` or `warning`.
    pub severity: Option<String>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// Rows to return (at most [`MAX_PAGE`]).
    pub limit: Option<u64>,
}

fn blank_to_none(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// Findings across the caller's area, errors first.
pub fn findings(storage: &dyn Storage, session: &ConsoleSession, query: &FindingQuery) -> Result<FindingPage> {
    let severity = match blank_to_none(&query.severity).as_deref() {
        None => None,
        Some("error") => Some(Severity::Error),
        Some("warning") => Some(Severity::Warning),
        Some(other) => return Err(ServerError::InvalidInput(format!("严重程度应为 error 或 warning，收到 {other}"))),
    };
    let filter = FindingFilter {
        area: session.area.clone(),
        check: blank_to_none(&query.check),
        village_key: blank_to_none(&query.village),
        severity,
        offset: query.offset.unwrap_or(0),
        limit: query.limit.unwrap_or(100).clamp(1, MAX_PAGE),
    };
    let (total, rows) = storage::read(storage, |r| r.finding_page(&filter))?;
    let items = rows.into_iter().map(|row| FindingItem { label: check_label(&row.check), row }).collect();
    let checks = checks::CHECKS
        .iter()
        .map(|c| CheckInfo { id: c.id.to_string(), label: check_label(c.id), severity: c.severity })
        .collect();
    Ok(FindingPage { total, items, checks })
}

/// What a households page asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdQuery {
    /// One village key.
    pub village: Option<String>,
    /// Part of the 户主's name, or the start of an ID number.
    pub q: Option<String>,
    /// Rows to skip.
    pub offset: Option<u64>,
    /// Rows to return (at most [`MAX_PAGE`]).
    pub limit: Option<u64>,
}

/// A page of households.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdPage {
    /// Households matching in all.
    pub total: u64,
    /// This page.
    pub items: Vec<HouseholdRow>,
}

/// Households of the caller's area, by village, group and 户主.
pub fn households(storage: &dyn Storage, session: &ConsoleSession, query: &HouseholdQuery) -> Result<HouseholdPage> {
    let filter = HouseholdFilter {
        area: session.area.clone(),
        village_key: blank_to_none(&query.village),
        query: blank_to_none(&query.q),
        offset: query.offset.unwrap_or(0),
        limit: query.limit.unwrap_or(100).clamp(1, MAX_PAGE),
    };
    let (total, items) = storage::read(storage, |r| r.household_page(&filter))?;
    Ok(HouseholdPage { total, items })
}

/// Everything the read-only household file shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdFile {
    /// The list row.
    pub row: HouseholdRow,
    /// The household as the domain serialises it.
    pub household: Json,
    /// Data-check findings now.
    pub findings: Vec<Finding>,
    /// Open conflicts.
    pub conflicts: Vec<FieldConflict>,
    /// Every change, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The household this file was merged into.
    pub merged_into: Option<Uuid>,
    /// Households merged into this one.
    pub merged_from: Vec<Uuid>,
}

/// A household's whole file, if it lies in the caller's area.
pub fn household_file(
    storage: &dyn Storage,
    session: &ConsoleSession,
    household: Uuid,
    now: DateTime<Utc>,
) -> Result<HouseholdFile> {
    let server_id = storage.server_id();
    let not_found = || ServerError::NotFound(format!("户 {household}"));
    storage::read(storage, |r| {
        let row =
            r.household_row(household)?.filter(|row| session.area.contains(&row.village_key)).ok_or_else(not_found)?;
        let stored = r.document(household)?.ok_or_else(not_found)?;
        let mut doc = HouseholdDoc::load(&stored.bytes, actor_for_device(server_id))?;
        let view = HouseholdView::read(&mut doc)?;
        let holders = r.id_holders(&view.number_keys())?;
        let projection = view.project(&holders, county_today(now));
        Ok(HouseholdFile {
            row,
            household: doc.to_json()?,
            findings: projection.findings,
            conflicts: projection.conflicts,
            history: doc.history()?,
            merged_into: view.household.merged_into,
            merged_from: r.merged_from(household)?,
        })
    })
}

/// Whether a photo may be shown to the caller.
pub fn photo_visible(storage: &dyn Storage, session: &ConsoleSession, sha256: &str) -> Result<bool> {
    storage::read(storage, |r| r.photo_reachable(sha256, &session.area))
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts

/// A new user as the console sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// Name (unique among active users).
    pub name: String,
    /// Role.
    pub role: Role,
    /// Village codes.
    #[serde(default)]
    pub villages: Vec<String>,
    /// An initial console password (not for workers).
    #[serde(default)]
    pub password: Option<String>,
}

/// Adds a user; only an administrator may add county staff or administrators.
pub fn add_user(
    storage: &dyn Storage,
    session: &ConsoleSession,
    input: &NewUser,
    id: Uuid,
    salt: &SaltString,
    now: DateTime<Utc>,
) -> Result<UserRecord> {
    require_manager(session, "管理账号需要县级工作人员账号")?;
    if input.role.sees_whole_county() && session.user.role != Role::Admin {
        return Err(ServerError::Forbidden("只有管理员能添加县级工作人员或管理员".into()));
    }
    if !input.role.sees_whole_county() && input.villages.is_empty() {
        return Err(ServerError::InvalidInput("工作队员和工作队长至少要负责一个村".into()));
    }
    let password = input.password.as_deref().filter(|p| !p.is_empty());
    // Check the password before creating anything, so a refused one leaves no half-made user.
    let hash = password.map(|p| hash_password(p, salt)).transpose()?;
    let mut user = accounts::create_user(storage, id, &input.name, input.role, &input.villages, now)?;
    if let Some(hash) = hash {
        storage.set_password(user.id, Some(&hash), None)?;
        user.has_password = true;
    }
    Ok(user)
}

/// Every user.
pub fn users(storage: &dyn Storage, session: &ConsoleSession) -> Result<Vec<UserRecord>> {
    require_manager(session, "查看账号需要县级工作人员账号")?;
    storage.users()
}

fn user_by_id(storage: &dyn Storage, user: Uuid) -> Result<UserRecord> {
    storage.users()?.into_iter().find(|u| u.id == user).ok_or_else(|| ServerError::NotFound(format!("用户 {user}")))
}

fn require_may_change(session: &ConsoleSession, target: &UserRecord) -> Result<()> {
    if target.role.sees_whole_county() && session.user.role != Role::Admin {
        return Err(ServerError::Forbidden("只有管理员能更改县级工作人员或管理员的账号".into()));
    }
    Ok(())
}

/// Revokes a user: their devices and console sessions stop working at once.
pub fn revoke_user(
    storage: &dyn Storage,
    session: &ConsoleSession,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<UserRecord> {
    require_manager(session, "停用账号需要县级工作人员账号")?;
    if user == session.user.id {
        return Err(ServerError::InvalidInput("不能停用自己的账号".into()));
    }
    require_may_change(session, &user_by_id(storage, user)?)?;
    storage.revoke_user(user, now)?;
    user_by_id(storage, user)
}

/// Replaces the villages a worker or team leader works in (their area): from their next request on, their tablets
/// pull only these villages and the console shows them only these.
pub fn set_user_villages(
    storage: &dyn Storage,
    session: &ConsoleSession,
    user: Uuid,
    villages: &[String],
) -> Result<UserRecord> {
    require_manager(session, "调整负责的村需要县级工作人员账号")?;
    let target = user_by_id(storage, user)?;
    if target.role.sees_whole_county() {
        return Err(ServerError::InvalidInput("县级工作人员和管理员负责全县，不按村分配".into()));
    }
    let villages: Vec<String> = villages.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    if villages.is_empty() {
        return Err(ServerError::InvalidInput("工作队员和工作队长至少要负责一个村".into()));
    }
    storage.set_user_villages(user, &villages)?;
    user_by_id(storage, user)
}

/// Sets another user's console password.
pub fn reset_password(
    storage: &dyn Storage,
    session: &ConsoleSession,
    user: Uuid,
    password: &str,
    salt: &SaltString,
) -> Result<UserRecord> {
    require_manager(session, "设置密码需要县级工作人员账号")?;
    require_may_change(session, &user_by_id(storage, user)?)?;
    set_password(storage, user, password, salt)?;
    user_by_id(storage, user)
}

/// Every village (county staff), or the caller's.
pub fn villages(storage: &dyn Storage, session: &ConsoleSession) -> Result<Vec<Village>> {
    storage.area_villages(&session.area)
}

/// Adds a village.
pub fn add_village(storage: &dyn Storage, session: &ConsoleSession, village: &Village) -> Result<Village> {
    require_manager(session, "添加村需要县级工作人员账号")?;
    for (value, what) in [(&village.code, "村代码"), (&village.township, "乡镇"), (&village.name, "村名")] {
        if value.trim().is_empty() {
            return Err(ServerError::InvalidInput(format!("{what}不能为空")));
        }
    }
    accounts::create_village(storage, &village.code, &village.township, &village.name)
}

/// Every device.
pub fn devices(storage: &dyn Storage, session: &ConsoleSession) -> Result<Vec<DeviceRecord>> {
    require_manager(session, "查看设备需要县级工作人员账号")?;
    storage.devices()
}

/// Revokes a device: its token is refused from its next request on.
pub fn revoke_device(
    storage: &dyn Storage,
    session: &ConsoleSession,
    device: Uuid,
    now: DateTime<Utc>,
) -> Result<DeviceRecord> {
    require_manager(session, "停用设备需要县级工作人员账号")?;
    let owner = storage
        .devices()?
        .into_iter()
        .find(|d| d.id == device)
        .ok_or_else(|| ServerError::NotFound(format!("设备 {device}")))?
        .user_id;
    require_may_change(session, &user_by_id(storage, owner)?)?;
    storage.revoke_device(device, now)?;
    storage
        .devices()?
        .into_iter()
        .find(|d| d.id == device)
        .ok_or_else(|| ServerError::NotFound(format!("设备 {device}")))
}

/// Every enrolment code (never the codes themselves).
pub fn enrol_codes(storage: &dyn Storage, session: &ConsoleSession) -> Result<Vec<EnrolCodeRecord>> {
    require_manager(session, "查看登记码需要县级工作人员账号")?;
    storage.enrol_codes()
}

/// A new enrolment code, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEnrolCode {
    /// The code to give the worker.
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// How the console lists it from now on.
    pub row: EnrolCodeRecord,
}

/// Makes an enrolment code (`code` made by the caller) for a user.
pub fn create_enrol_code(
    storage: &dyn Storage,
    session: &ConsoleSession,
    user: Uuid,
    valid_days: Option<i64>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<NewEnrolCode> {
    require_manager(session, "发登记码需要县级工作人员账号")?;
    // A code makes a tablet act as its user, so only those who may change a user may give one out for them.
    require_may_change(session, &user_by_id(storage, user)?)?;
    let expires_at =
        accounts::create_enrol_code(storage, user, code, valid_days.unwrap_or(accounts::DEFAULT_ENROL_DAYS), now)?;
    let id = hex::encode(accounts::enrol_code_hash(code));
    let row = storage
        .enrol_codes()?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ServerError::NotFound("登记码".into()))?;
    Ok(NewEnrolCode { code: code.to_string(), expires_at, row })
}

/// Revokes an unused enrolment code.
pub fn revoke_enrol_code(
    storage: &dyn Storage,
    session: &ConsoleSession,
    id: &str,
    now: DateTime<Utc>,
) -> Result<EnrolCodeRecord> {
    require_manager(session, "撤销登记码需要县级工作人员账号")?;
    storage.revoke_enrol_code(id, now)
}

/// The area an export covers: the caller's, narrowed to one village of it if asked.
pub fn export_area(session: &ConsoleSession, village: Option<&str>) -> Result<(Area, Option<String>)> {
    let village = village.map(str::trim).filter(|v| !v.is_empty());
    if let Some(key) = village
        && !session.area.contains(key)
    {
        return Err(ServerError::NotFound(format!("村 {key}")));
    }
    Ok((session.area.clone(), village.map(str::to_string)))
}
