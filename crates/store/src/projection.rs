//! Projections: rows derived from the household documents for lists, search, checks and conflicts.
//! Everything here can be thrown away and rebuilt from the documents.

use crate::{DeviceIdentity, Result, load_document};
use chrono::NaiveDate;
use hudang_domain::{CheckContext, Finding, Household, Policy, Severity, SignerRole, checks, idcard};
use hudang_record::{FieldConflict, HouseholdDoc};
use pinyin::{ToPinyin, ToPinyinMulti};
use rusqlite::{Connection, params, params_from_iter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// One row of the household list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdSummary {
    /// Household id.
    pub id: Uuid,
    /// 户主's name.
    pub head_name: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub village: String,
    /// 村民小组.
    pub group: String,
    /// Phone.
    pub phone: String,
    /// Status label, empty if none.
    pub status: String,
    /// 贫困户属性 label, empty if none.
    pub attribute: String,
    /// 家庭人口数.
    pub member_count: u32,
    /// Both the surveyor and the household head have signed.
    pub signed: bool,
    /// Open check errors.
    pub errors: u32,
    /// Open check warnings.
    pub warnings: u32,
    /// Open conflicts.
    pub conflicts: u32,
}

/// Filters for the household list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// Only this 行政村.
    pub village: Option<String>,
    /// Only this 村民小组.
    pub group: Option<String>,
    /// Only this status label.
    pub status: Option<String>,
    /// Only households with check errors.
    pub with_errors: bool,
    /// Only households with open conflicts.
    pub with_conflicts: bool,
    /// Only households not yet signed.
    pub unsigned: bool,
    /// At most this many rows (0 = 500).
    pub limit: usize,
    /// Skip this many rows.
    pub offset: usize,
}

/// The list status of a household whose file the county merged into another's.
pub const MERGED_STATUS: &str = "已合并";

const SUMMARY_COLUMNS: &str = "id, head_name, township, village, grp, phone, status, attribute, member_count, signed, errors, warnings, conflicts";

fn summary_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<HouseholdSummary> {
    Ok(HouseholdSummary {
        id: Uuid::parse_str(&row.get::<_, String>(0)?).unwrap_or_default(),
        head_name: row.get(1)?,
        township: row.get(2)?,
        village: row.get(3)?,
        group: row.get(4)?,
        phone: row.get(5)?,
        status: row.get(6)?,
        attribute: row.get(7)?,
        member_count: row.get(8)?,
        signed: row.get(9)?,
        errors: row.get(10)?,
        warnings: row.get(11)?,
        conflicts: row.get(12)?,
    })
}

/// Pinyin initials and full pinyin of a name; for the surname every reading counts (曾 is zeng and ceng).
fn pinyin_forms(name: &str) -> Vec<String> {
    let mut initials = String::new();
    let mut full = String::new();
    for (c, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => {
                initials.push_str(p.first_letter());
                full.push_str(p.plain());
            }
            None => {
                let lower: String = c.to_lowercase().collect();
                initials.push_str(&lower);
                full.push_str(&lower);
            }
        }
    }
    let mut forms = vec![initials.clone(), full];
    if let Some(Some(multi)) = name.to_pinyin_multi().next() {
        let rest: String = initials.chars().skip(1).collect();
        for reading in multi {
            let alternative = format!("{}{rest}", reading.first_letter());
            if alternative != initials {
                forms.push(alternative);
            }
        }
    }
    forms
}

/// The pinyin initials of a name by its most common reading, e.g. 张三 → `zs`.
pub fn pinyin_initials(name: &str) -> String {
    pinyin_forms(name).swap_remove(0)
}

/// The text a household is found by: names (汉字, pinyin initials, full pinyin), ID numbers, phones, places.
pub fn search_text(household: &Household) -> String {
    let mut parts: Vec<String> = Vec::new();
    for member in household.members.values() {
        if !member.name.is_empty() {
            parts.push(member.name.clone());
            parts.extend(pinyin_forms(&member.name));
        }
        parts.push(member.id_number.to_lowercase());
        parts.push(member.phone.clone());
    }
    let area = &household.area;
    for text in
        [&household.phone, &household.national_number, &area.township, &area.village, &area.group, &household.address]
    {
        parts.push(text.to_lowercase());
    }
    parts.retain(|p| !p.is_empty());
    // A separator no query contains, so a term never matches across two parts.
    parts.join("|")
}

/// Records the ID numbers of a household (replacing its old ones); returns the numbers it held before and now.
pub(crate) fn write_id_numbers(conn: &Connection, household: &Household) -> Result<BTreeSet<String>> {
    let id = household.id.to_string();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    {
        let mut stmt = conn.prepare_cached("SELECT id_number FROM id_numbers WHERE household_id = ?1")?;
        for number in stmt.query_map([&id], |r| r.get::<_, String>(0))? {
            touched.insert(number?);
        }
    }
    conn.execute("DELETE FROM id_numbers WHERE household_id = ?1", [&id])?;
    let mut insert = conn
        .prepare_cached("INSERT OR IGNORE INTO id_numbers(id_number, household_id, member_id) VALUES (?1, ?2, ?3)")?;
    // Only registered members hold a number for the duplicate check (see `checks::id_holders`).
    for (member_id, member) in household.id_holding_members() {
        let Some(number) = idcard::index_key(&member.id_number) else { continue };
        insert.execute(params![number, id, member_id.to_string()])?;
        touched.insert(number);
    }
    Ok(touched)
}

/// Holders of ID numbers: of one household's numbers, or of every number.
pub(crate) fn id_holders(conn: &Connection, household: Option<&Household>) -> Result<HashMap<String, Vec<Uuid>>> {
    let mut holders: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut push = |number: String, holder: String| {
        if let Ok(holder) = Uuid::parse_str(&holder) {
            holders.entry(number).or_default().push(holder);
        }
    };
    match household {
        Some(h) => {
            let mut stmt =
                conn.prepare_cached("SELECT id_number, household_id FROM id_numbers WHERE id_number = ?1")?;
            for (_, member) in h.id_holding_members() {
                let Some(number) = idcard::index_key(&member.id_number) else { continue };
                for row in stmt.query_map([number], |r| Ok((r.get(0)?, r.get(1)?)))? {
                    let (n, holder) = row?;
                    push(n, holder);
                }
            }
        }
        None => {
            let mut stmt = conn.prepare("SELECT id_number, household_id FROM id_numbers")?;
            for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (n, holder) = row?;
                push(n, holder);
            }
        }
    }
    for list in holders.values_mut() {
        list.sort();
        list.dedup();
    }
    Ok(holders)
}

/// Writes the list row, findings and conflicts of one household.
pub(crate) fn write_projection(
    conn: &Connection,
    household: &Household,
    conflicts: &[FieldConflict],
    policy: &Policy,
    today: NaiveDate,
    holders: &HashMap<String, Vec<Uuid>>,
) -> Result<()> {
    let id = household.id.to_string();
    let findings = checks::check_household(household, &CheckContext { today, policy, id_holders: holders });
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    let signed = household.is_signed_by(SignerRole::Surveyor) && household.is_signed_by(SignerRole::HouseholdHead);
    conn.execute(
        "INSERT INTO households(id, county, township, village, grp, head_name, phone, status, attribute, member_count, signed,
                                errors, warnings, conflicts, search, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT(id) DO UPDATE SET county = excluded.county, township = excluded.township, village = excluded.village,
            grp = excluded.grp, head_name = excluded.head_name, phone = excluded.phone, status = excluded.status,
            attribute = excluded.attribute, member_count = excluded.member_count, signed = excluded.signed,
            errors = excluded.errors, warnings = excluded.warnings, conflicts = excluded.conflicts,
            search = excluded.search, updated_at = excluded.updated_at",
        params![
            id,
            household.area.county,
            household.area.township,
            household.area.village,
            household.area.group,
            household.head_name(),
            household.phone,
            // A file merged into another on the county server shows as such in the list, whatever its status was.
            if household.merged_into.is_some() { MERGED_STATUS } else { household.status.map(|s| s.label()).unwrap_or("") },
            household.attribute.map(|s| s.label()).unwrap_or(""),
            household.size() as i64,
            signed,
            errors as i64,
            warnings as i64,
            conflicts.len() as i64,
            search_text(household),
            today.to_string(),
        ],
    )?;
    conn.execute("DELETE FROM findings WHERE household_id = ?1", [&id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO findings(household_id, check_id, severity, path, member_id, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for f in &findings {
        insert.execute(params![
            id,
            f.check_id,
            f.severity.label(),
            f.path,
            f.member_id.map(|m| m.to_string()),
            f.message
        ])?;
    }
    conn.execute("DELETE FROM photo_refs WHERE household_id = ?1", [&id])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO photo_refs(sha256, household_id, mime) VALUES (?1, ?2, ?3)")?;
    for (_, photo) in household.photo_refs() {
        insert.execute(params![photo.sha256, id, photo.mime])?;
    }
    conn.execute("DELETE FROM conflicts WHERE household_id = ?1", [&id])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO conflicts(household_id, path, label, candidates) VALUES (?1, ?2, ?3, ?4)")?;
    for c in conflicts {
        let candidates = serde_json::to_string(&c.candidates).expect("candidates serialise");
        insert.execute(params![id, c.path, c.label, candidates])?;
    }
    Ok(())
}

/// Refreshes every projection of one household after its document changed, and the findings of any household
/// that shares (or shared) an ID number with it, since their duplicate findings may have changed.
pub(crate) fn refresh(
    conn: &Connection,
    id: Uuid,
    doc: &mut HouseholdDoc,
    identity: &DeviceIdentity,
    policy: &Policy,
    today: NaiveDate,
) -> Result<()> {
    let (household, conflicts) = doc.read_with_conflicts()?;
    let numbers = write_id_numbers(conn, &household)?;
    let holders = id_holders(conn, Some(&household))?;
    write_projection(conn, &household, &conflicts, policy, today, &holders)?;
    let mut others: BTreeSet<Uuid> = BTreeSet::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT household_id FROM id_numbers WHERE id_number = ?1 AND household_id != ?2")?;
        for number in &numbers {
            for holder in stmt.query_map(params![number, id.to_string()], |r| r.get::<_, String>(0))? {
                if let Ok(holder) = Uuid::parse_str(&holder?) {
                    others.insert(holder);
                }
            }
        }
    }
    reproject(conn, others, identity, policy, today)
}

/// Rewrites the projections of households from their stored documents (their duplicate findings depend on others).
pub(crate) fn reproject(
    conn: &Connection,
    ids: impl IntoIterator<Item = Uuid>,
    identity: &DeviceIdentity,
    policy: &Policy,
    today: NaiveDate,
) -> Result<()> {
    for id in ids {
        let (household, conflicts) = load_document(conn, id, identity)?.read_with_conflicts()?;
        let holders = id_holders(conn, Some(&household))?;
        write_projection(conn, &household, &conflicts, policy, today, &holders)?;
    }
    Ok(())
}

/// Lists households by filter, ordered by place and name.
pub(crate) fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<HouseholdSummary>> {
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM households WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    for (column, value) in [("village", &filter.village), ("grp", &filter.group), ("status", &filter.status)] {
        if let Some(value) = value {
            args.push(value.clone());
            sql.push_str(&format!(" AND {column} = ?{}", args.len()));
        }
    }
    if filter.with_errors {
        sql.push_str(" AND errors > 0");
    }
    if filter.with_conflicts {
        sql.push_str(" AND conflicts > 0");
    }
    if filter.unsigned {
        sql.push_str(" AND signed = 0");
    }
    let limit = if filter.limit == 0 { 500 } else { filter.limit };
    sql.push_str(&format!(" ORDER BY village, grp, head_name, id LIMIT {limit} OFFSET {}", filter.offset));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), summary_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every household's summary with the text it is found by, in list order: the field app filters these in memory,
/// so a keystroke in its search box costs no database query.
pub(crate) fn rows_with_search(conn: &Connection) -> Result<Vec<(HouseholdSummary, String)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS}, search FROM households ORDER BY village, grp, head_name, id"
    ))?;
    let rows = stmt.query_map([], |row| Ok((summary_of(row)?, row.get::<_, String>(13)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Finds households whose search text contains every term of the query.
pub(crate) fn search(conn: &Connection, query: &str, limit: usize) -> Result<Vec<HouseholdSummary>> {
    let terms: Vec<String> =
        query.split_whitespace().take(6).map(|t| t.to_lowercase().replace('|', "")).filter(|t| !t.is_empty()).collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM households WHERE ");
    let conditions: Vec<String> = (1..=terms.len()).map(|i| format!("instr(search, ?{i}) > 0")).collect();
    sql.push_str(&conditions.join(" AND "));
    sql.push_str(&format!(" ORDER BY village, grp, head_name, id LIMIT {}", limit.max(1)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(terms.iter()), summary_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Recorded conflicts.
pub(crate) fn conflicts(conn: &Connection, household: Option<Uuid>) -> Result<Vec<(Uuid, FieldConflict)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT household_id, path, label, candidates FROM conflicts WHERE ?1 IS NULL OR household_id = ?1 ORDER BY household_id, path",
    )?;
    let rows = stmt.query_map([household.map(|h| h.to_string())], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, path, label, candidates) = row?;
        let candidates = serde_json::from_str(&candidates).unwrap_or_default();
        out.push((Uuid::parse_str(&id).unwrap_or_default(), FieldConflict { path, label, candidates }));
    }
    Ok(out)
}

/// Recorded findings.
pub(crate) fn findings(conn: &Connection, household: Option<Uuid>) -> Result<Vec<(Uuid, Finding)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT household_id, check_id, severity, path, member_id, message FROM findings
         WHERE ?1 IS NULL OR household_id = ?1 ORDER BY household_id, rowid",
    )?;
    let rows = stmt.query_map([household.map(|h| h.to_string())], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, check_id, severity, path, member, message) = row?;
        let finding = Finding {
            check_id,
            severity: severity.parse().unwrap_or(Severity::Error),
            path,
            member_id: member.and_then(|m| Uuid::parse_str(&m).ok()),
            message,
        };
        out.push((Uuid::parse_str(&id).unwrap_or_default(), finding));
    }
    Ok(out)
}
