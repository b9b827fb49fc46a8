//! [`Reader`] and [`Writer`] over one SQLite transaction, with cached prepared statements.

use super::{
    Area, AuditEntry, DocumentWrite, Duplicate, DuplicateHousehold, FindingFilter, FindingRow, HouseholdConflict,
    HouseholdFilter, HouseholdRow, LoggedChange, PageQuery, Projection, Reader, StoredDocument, VillageCounts, Writer,
};
use crate::error::{Result, ServerError};
use chrono::{DateTime, SecondsFormat, Utc};
use hudang_domain::{Inspection, Member, Severity};
use hudang_protocol::{PullResponse, PulledChange};
use hudang_record::FieldConflict;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter, types::Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Parses a stored UUID.
pub(crate) fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| ServerError::Database(format!("无效的编号 {text}：{e}")))
}

/// Parses a stored RFC 3339 time.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ServerError::Database(format!("无效的时间 {text}：{e}")))
}

/// One open transaction (read or write; which traits a caller sees decides what it may do).
pub(crate) struct SqliteTransaction<'a> {
    conn: &'a Connection,
}

impl<'a> SqliteTransaction<'a> {
    /// Wraps a connection inside an open transaction.
    pub(crate) fn new(conn: &'a Connection) -> Self {
        SqliteTransaction { conn }
    }
}

/// A time as stored where SQL compares times as text: always UTC with a `Z` and milliseconds, so text order is
/// time order.
pub(crate) fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The columns of a [`HouseholdRow`], as read by [`household_row_at`], for a `households` table aliased `h`.
const ROW_COLUMNS: &str = "h.id, h.village_key, h.county, h.township, h.village, h.grp, h.head_name, h.head_id_number,
    h.status, h.attribute, h.member_count, h.signed, h.errors, h.warnings, h.conflicts, h.merged_into,
    h.national_number, h.address, h.phone, h.standard, h.household_type, h.main_cause";

/// How many columns [`ROW_COLUMNS`] names: a query's own columns come after them.
const ROW_COLUMN_COUNT: usize = 22;

/// Reads the [`ROW_COLUMNS`] of a row.
fn household_row_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, HouseholdRow)> {
    let id: String = r.get(0)?;
    let merged_into: Option<String> = r.get(15)?;
    Ok((
        id,
        HouseholdRow {
            id: Uuid::nil(),
            village_key: r.get(1)?,
            county: r.get(2)?,
            township: r.get(3)?,
            village: r.get(4)?,
            group: r.get(5)?,
            head_name: r.get(6)?,
            head_id_number: r.get(7)?,
            status: r.get(8)?,
            attribute: r.get(9)?,
            member_count: r.get(10)?,
            signed: r.get(11)?,
            errors: r.get(12)?,
            warnings: r.get(13)?,
            conflicts: r.get(14)?,
            merged_into: merged_into.and_then(|m| Uuid::parse_str(&m).ok()),
            national_number: r.get(16)?,
            address: r.get(17)?,
            phone: r.get(18)?,
            standard: r.get(19)?,
            household_type: r.get(20)?,
            main_cause: r.get(21)?,
        },
    ))
}

fn finish_row((id, mut row): (String, HouseholdRow)) -> Result<HouseholdRow> {
    row.id = parse_uuid(&id)?;
    Ok(row)
}

/// The `AND h.village_key IN (...)` clause and its values for an area and an optional single village; the
/// placeholders are numbered from `first`.
fn area_clause(area: &Area, village_key: Option<&str>, first: usize) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    if let Area::Villages(keys) = area {
        sql.push_str(&format!(" AND h.village_key IN ({})", placeholders(first, keys.len().max(1))));
        if keys.is_empty() {
            // No villages: nothing may match, and `IN ()` is not valid SQL.
            values.push(Value::Null);
        }
        values.extend(keys.iter().map(|k| Value::Text(k.clone())));
    }
    if let Some(key) = village_key {
        sql.push_str(&format!(" AND h.village_key = ?{}", first + values.len()));
        values.push(Value::Text(key.to_string()));
    }
    (sql, values)
}

fn severity_of_label(label: &str) -> Severity {
    if label == Severity::Error.label() { Severity::Error } else { Severity::Warning }
}

/// SQL placeholders `?{first}, ?{first+1}, ...` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

type FindingRowParts = (String, String, String, String, String, String, String, String);

fn finding_row_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<FindingRowParts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn finding_row(parts: FindingRowParts) -> Result<FindingRow> {
    let (household, village_key, group, head_name, check, severity, path, message) = parts;
    Ok(FindingRow {
        household: parse_uuid(&household)?,
        village_key,
        group,
        head_name,
        check,
        severity: severity_of_label(&severity),
        path,
        message,
    })
}

/// A member as stored for exports: its JSON without the empty and unset fields (about a quarter of the size), which
/// read back as their defaults. Exact for a member, whose fields are text, plain flags, sets and optional codes:
/// nothing there tells "empty" from "unset".
fn compact_member_json(member: &Member) -> String {
    fn prune(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|_, v| !prune(v));
                map.is_empty()
            }
            serde_json::Value::Null | serde_json::Value::Bool(false) => true,
            serde_json::Value::String(s) => s.is_empty(),
            serde_json::Value::Array(items) => items.is_empty(),
            _ => false,
        }
    }
    let mut value = serde_json::to_value(member).expect("a member serialises");
    prune(&mut value);
    value.to_string()
}

/// A projected row stored as JSON (members, inspections), read back.
fn from_stored_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| ServerError::Database(format!("投影记录无法读取：{e}")))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Reader for SqliteTransaction<'_> {
    fn document(&mut self, household: Uuid) -> Result<Option<StoredDocument>> {
        let id = household.to_string();
        let found: Option<(Vec<u8>, u32, String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT snapshot, chunk_count, village_key, version FROM documents WHERE household_id = ?1",
            )?
            .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((mut bytes, chunk_count, village_key, version)) = found else { return Ok(None) };
        if chunk_count > 0 {
            let mut stmt =
                self.conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE household_id = ?1 ORDER BY seq")?;
            let mut rows = stmt.query([&id])?;
            while let Some(row) = rows.next()? {
                bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?);
            }
        }
        Ok(Some(StoredDocument { bytes, chunk_count, village_key, version: version as u64 }))
    }

    fn document_version(&mut self, household: Uuid) -> Result<Option<u64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT version FROM documents WHERE household_id = ?1")?
            .query_row([household.to_string()], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|v| v as u64))
    }

    fn id_holders(&mut self, numbers: &[String]) -> Result<HashMap<String, Vec<Uuid>>> {
        let mut holders: HashMap<String, Vec<Uuid>> = HashMap::new();
        let mut stmt = self.conn.prepare_cached("SELECT household_id FROM id_numbers WHERE id_number = ?1")?;
        for number in numbers {
            if holders.contains_key(number) {
                continue;
            }
            let mut list = Vec::new();
            for holder in stmt.query_map([number], |r| r.get::<_, String>(0))? {
                list.push(parse_uuid(&holder?)?);
            }
            list.sort();
            list.dedup();
            if !list.is_empty() {
                holders.insert(number.clone(), list);
            }
        }
        Ok(holders)
    }

    fn change_page(&mut self, query: &PageQuery) -> Result<PullResponse> {
        let mut args: Vec<Value> =
            vec![Value::Integer(query.after as i64), Value::Text(query.exclude_origin.to_string())];
        let sql = match &query.area {
            Area::County => {
                "SELECT seq, household_id, bytes FROM change_log WHERE seq > ?1 AND origin_device != ?2 ORDER BY seq"
                    .to_string()
            }
            Area::Villages(keys) if keys.is_empty() => {
                return Ok(PullResponse { changes: Vec::new(), next: self.last_seq()?, more: false });
            }
            Area::Villages(keys) => {
                args.extend(keys.iter().map(|k| Value::Text(k.clone())));
                format!(
                    "SELECT seq, household_id, bytes FROM change_log
                     WHERE seq > ?1 AND origin_device != ?2 AND village_key IN ({}) ORDER BY seq",
                    placeholders(3, keys.len())
                )
            }
        };
        let mut page = PullResponse::default();
        let mut total: u64 = 0;
        {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(args))?;
            while let Some(row) = rows.next()? {
                let bytes = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                if !page.changes.is_empty() && total + bytes.len() as u64 > query.max_bytes {
                    page.more = true;
                    break;
                }
                total += bytes.len() as u64;
                page.next = row.get::<_, i64>(0)? as u64;
                let household = parse_uuid(row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?)?;
                page.changes.push(PulledChange { household, bytes: bytes.to_vec() });
            }
        }
        if !page.more {
            // Read in the same transaction as the page, so rows the filter skipped are passed over and a change
            // committed meanwhile is not (it has a higher number than anything this snapshot sees).
            page.next = self.last_seq()?.max(page.next);
        }
        Ok(page)
    }

    fn household_row(&mut self, household: Uuid) -> Result<Option<HouseholdRow>> {
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM households h WHERE h.id = ?1"))?
            .query_row([household.to_string()], household_row_at)
            .optional()?;
        row.map(finish_row).transpose()
    }

    fn conflicts(&mut self, household: Option<Uuid>) -> Result<Vec<HouseholdConflict>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.household_id, h.village_key, h.head_name, c.path, c.label, c.candidates
             FROM conflicts c JOIN households h ON h.id = c.household_id
             WHERE ?1 IS NULL OR c.household_id = ?1 ORDER BY h.village_key, c.household_id, c.path",
        )?;
        let rows = stmt.query_map([household.map(|h| h.to_string())], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, village_key, head_name, path, label, candidates) = row?;
            let candidates = serde_json::from_str(&candidates)
                .map_err(|e| ServerError::Database(format!("冲突记录无法读取：{e}")))?;
            out.push(HouseholdConflict {
                household: parse_uuid(&id)?,
                village_key,
                head_name,
                conflict: FieldConflict { path, label, candidates },
            });
        }
        Ok(out)
    }

    fn duplicates(&mut self) -> Result<Vec<Duplicate>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT i.id_number, i.household_id, COALESCE(h.village_key, ''), COALESCE(h.head_name, '')
             FROM id_numbers i LEFT JOIN households h ON h.id = i.household_id
             WHERE i.id_number IN (SELECT id_number FROM id_numbers GROUP BY id_number
                                   HAVING COUNT(DISTINCT household_id) > 1)
             ORDER BY i.id_number, i.household_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out: Vec<Duplicate> = Vec::new();
        for row in rows {
            let (number, id, village_key, head_name) = row?;
            let household = DuplicateHousehold { id: parse_uuid(&id)?, village_key, head_name };
            match out.last_mut() {
                Some(last) if last.id_number == number => last.households.push(household),
                _ => out.push(Duplicate { id_number: number, households: vec![household] }),
            }
        }
        Ok(out)
    }

    fn photo_reachable(&mut self, sha256: &str, area: &Area) -> Result<bool> {
        if !self.conn.prepare_cached("SELECT 1 FROM photos WHERE sha256 = ?1")?.exists([sha256])? {
            return Ok(false);
        }
        let keys = match area {
            Area::County => return Ok(true),
            Area::Villages(keys) => keys,
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.village_key FROM photo_refs r JOIN households h ON h.id = r.household_id WHERE r.sha256 = ?1",
        )?;
        for key in stmt.query_map([sha256], |r| r.get::<_, String>(0))? {
            if keys.contains(&key?) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn last_seq(&mut self) -> Result<u64> {
        let seq: Option<i64> =
            self.conn.prepare_cached("SELECT MAX(seq) FROM change_log")?.query_row([], |r| r.get(0))?;
        Ok(seq.unwrap_or(0) as u64)
    }

    fn projections_stale(&mut self) -> Result<bool> {
        let flag: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'projections_stale'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(flag.as_deref() == Some("1"))
    }

    fn household_ids(&mut self) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached("SELECT household_id FROM documents ORDER BY household_id")?;
        let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
        ids.map(|id| parse_uuid(&id?)).collect()
    }

    fn village_counts(
        &mut self,
        visit_from: DateTime<Utc>,
        visit_to: DateTime<Utc>,
    ) -> Result<HashMap<String, VillageCounts>> {
        let mut out: HashMap<String, VillageCounts> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.village_key, h.status, COUNT(*), SUM(h.signed), SUM(h.errors > 0), SUM(h.errors),
                    SUM(h.warnings), SUM(h.conflicts)
             FROM households h WHERE h.merged_into IS NULL GROUP BY h.village_key, h.status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                [r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
            ))
        })?;
        for row in rows {
            let (key, status, [households, signed, with_errors, errors, warnings, conflicts]) = row?;
            let counts = out.entry(key).or_default();
            counts.households += households as u64;
            *counts.by_status.entry(status).or_default() += households as u64;
            counts.signed += signed as u64;
            counts.households_with_errors += with_errors as u64;
            counts.errors += errors as u64;
            counts.warnings += warnings as u64;
            counts.conflicts += conflicts as u64;
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.village_key, COUNT(DISTINCT v.household_id)
             FROM visit_rows v JOIN households h ON h.id = v.household_id
             WHERE v.visited_at >= ?1 AND v.visited_at < ?2 AND h.merged_into IS NULL GROUP BY h.village_key",
        )?;
        let rows = stmt.query_map([sortable_time(visit_from), sortable_time(visit_to)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (key, visited) = row?;
            out.entry(key).or_default().visited = visited as u64;
        }
        Ok(out)
    }

    fn finding_page(&mut self, filter: &FindingFilter) -> Result<(u64, Vec<FindingRow>)> {
        let (area_sql, mut values) = area_clause(&filter.area, filter.village_key.as_deref(), 1);
        let mut sql =
            format!("FROM findings f JOIN households h ON h.id = f.household_id WHERE h.merged_into IS NULL{area_sql}");
        if let Some(check) = &filter.check {
            values.push(Value::Text(check.clone()));
            sql.push_str(&format!(" AND f.check_id = ?{}", values.len()));
        }
        if let Some(severity) = filter.severity {
            values.push(Value::Text(severity.label().to_string()));
            sql.push_str(&format!(" AND f.severity = ?{}", values.len()));
        }
        let total: i64 =
            self.conn.prepare(&format!("SELECT COUNT(*) {sql}"))?.query_row(params_from_iter(&values), |r| r.get(0))?;
        values.push(Value::Integer(filter.limit as i64));
        values.push(Value::Integer(filter.offset as i64));
        let n = values.len();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT f.household_id, h.village_key, h.grp, h.head_name, f.check_id, f.severity, f.path, f.message {sql}
             ORDER BY f.severity = ?{e} DESC, h.village_key, h.grp, h.head_name, f.household_id, f.rowid
             LIMIT ?{l} OFFSET ?{o}",
            e = n + 1,
            l = n - 1,
            o = n
        ))?;
        values.push(Value::Text(Severity::Error.label().to_string()));
        let rows = stmt.query_map(params_from_iter(&values), finding_row_parts)?;
        let items = rows.map(|row| finding_row(row?)).collect::<Result<_>>()?;
        Ok((total as u64, items))
    }

    fn household_page(&mut self, filter: &HouseholdFilter) -> Result<(u64, Vec<HouseholdRow>)> {
        let (area_sql, mut values) = area_clause(&filter.area, filter.village_key.as_deref(), 1);
        let mut sql = format!("FROM households h WHERE 1 = 1{area_sql}");
        if let Some(query) = filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // A name is matched anywhere in it; an ID number from its start (the usual way people type one).
            values.push(Value::Text(format!("%{}%", escape_like(query))));
            values.push(Value::Text(format!("{}%", escape_like(&query.to_uppercase()))));
            sql.push_str(&format!(
                " AND (h.head_name LIKE ?{a} ESCAPE '\\' OR h.head_id_number LIKE ?{b} ESCAPE '\\')",
                a = values.len() - 1,
                b = values.len()
            ));
        }
        let total: i64 =
            self.conn.prepare(&format!("SELECT COUNT(*) {sql}"))?.query_row(params_from_iter(&values), |r| r.get(0))?;
        values.push(Value::Integer(filter.limit as i64));
        values.push(Value::Integer(filter.offset as i64));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} {sql} ORDER BY h.village_key, h.grp, h.head_name, h.id LIMIT ?{} OFFSET ?{}",
            values.len() - 1,
            values.len()
        ))?;
        let rows = stmt.query_map(params_from_iter(&values), household_row_at)?;
        let items = rows.map(|row| finish_row(row?)).collect::<Result<_>>()?;
        Ok((total as u64, items))
    }

    fn merged_from(&mut self, household: Uuid) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM households WHERE merged_into = ?1 ORDER BY id")?;
        let ids = stmt.query_map([household.to_string()], |r| r.get::<_, String>(0))?;
        ids.map(|id| parse_uuid(&id?)).collect()
    }

    fn each_household(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow) -> Result<()>,
    ) -> Result<()> {
        let (area_sql, values) = area_clause(area, village_key, 1);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM households h WHERE h.merged_into IS NULL{area_sql}
             ORDER BY h.village_key, h.grp, h.head_name, h.id"
        ))?;
        let rows = stmt.query_map(params_from_iter(&values), household_row_at)?;
        for row in rows {
            visit(&finish_row(row?)?)?;
        }
        Ok(())
    }

    fn each_member(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow, &Member) -> Result<()>,
    ) -> Result<()> {
        let (area_sql, values) = area_clause(area, village_key, 1);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS}, m.member FROM households h JOIN member_rows m ON m.household_id = h.id
             WHERE h.merged_into IS NULL{area_sql} ORDER BY h.village_key, h.grp, h.head_name, h.id, m.position"
        ))?;
        let rows = stmt.query_map(params_from_iter(&values), |r| {
            Ok((household_row_at(r)?, r.get::<_, String>(ROW_COLUMN_COUNT)?))
        })?;
        for row in rows {
            let (household, member) = row?;
            visit(&finish_row(household)?, &from_stored_json(&member)?)?;
        }
        Ok(())
    }

    fn each_inspection(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&HouseholdRow, &Inspection) -> Result<()>,
    ) -> Result<()> {
        let (area_sql, values) = area_clause(area, village_key, 1);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS}, i.inspection FROM households h JOIN inspection_rows i ON i.household_id = h.id
             WHERE h.merged_into IS NULL{area_sql}
             ORDER BY h.village_key, h.grp, h.head_name, h.id, i.inspected_at, i.inspection_id"
        ))?;
        let rows = stmt.query_map(params_from_iter(&values), |r| {
            Ok((household_row_at(r)?, r.get::<_, String>(ROW_COLUMN_COUNT)?))
        })?;
        for row in rows {
            let (household, inspection) = row?;
            visit(&finish_row(household)?, &from_stored_json(&inspection)?)?;
        }
        Ok(())
    }

    fn each_finding(
        &mut self,
        area: &Area,
        village_key: Option<&str>,
        visit: &mut dyn FnMut(&FindingRow) -> Result<()>,
    ) -> Result<()> {
        let (area_sql, mut values) = area_clause(area, village_key, 1);
        values.push(Value::Text(Severity::Error.label().to_string()));
        let mut stmt = self.conn.prepare(&format!(
            "SELECT f.household_id, h.village_key, h.grp, h.head_name, f.check_id, f.severity, f.path, f.message
             FROM findings f JOIN households h ON h.id = f.household_id WHERE h.merged_into IS NULL{area_sql}
             ORDER BY h.village_key, h.grp, h.head_name, f.household_id, f.severity = ?{} DESC, f.rowid",
            values.len()
        ))?;
        let rows = stmt.query_map(params_from_iter(&values), finding_row_parts)?;
        for row in rows {
            visit(&finding_row(row?)?)?;
        }
        Ok(())
    }
}

impl Writer for SqliteTransaction<'_> {
    fn put_document(&mut self, household: Uuid, write: &DocumentWrite, village_key: &str) -> Result<u64> {
        let id = household.to_string();
        match write {
            DocumentWrite::Snapshot(bytes) => {
                let version: i64 = self
                    .conn
                    .prepare_cached(
                        "INSERT INTO documents(household_id, snapshot, chunk_count, village_key, version)
                         VALUES (?1, ?2, 0, ?3, 1)
                         ON CONFLICT(household_id) DO UPDATE SET snapshot = excluded.snapshot, chunk_count = 0,
                            village_key = excluded.village_key, version = documents.version + 1
                         RETURNING version",
                    )?
                    .query_row(params![id, bytes, village_key], |r| r.get(0))?;
                if version > 1 {
                    self.conn.prepare_cached("DELETE FROM doc_chunks WHERE household_id = ?1")?.execute([&id])?;
                }
                Ok(version as u64)
            }
            DocumentWrite::Chunk(bytes) => {
                let (seq, version): (i64, i64) = self
                    .conn
                    .prepare_cached(
                        "UPDATE documents SET chunk_count = chunk_count + 1, village_key = ?2, version = version + 1
                         WHERE household_id = ?1 RETURNING chunk_count, version",
                    )?
                    .query_row(params![id, village_key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| ServerError::Database(format!("户 {household} 没有快照，不能追加")))?;
                self.conn
                    .prepare_cached("INSERT INTO doc_chunks(household_id, seq, bytes) VALUES (?1, ?2, ?3)")?
                    .execute(params![id, seq, bytes])?;
                Ok(version as u64)
            }
        }
    }

    fn log_change(
        &mut self,
        household: Uuid,
        change: &LoggedChange,
        village_key: &str,
        origin_device: Uuid,
        received_at: DateTime<Utc>,
    ) -> Result<Option<u64>> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO change_log(hash, household_id, village_key, origin_device, bytes, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                &change.hash[..],
                household.to_string(),
                village_key,
                origin_device.to_string(),
                change.bytes,
                received_at.to_rfc3339()
            ])?;
        Ok((inserted == 1).then(|| self.conn.last_insert_rowid() as u64))
    }

    fn replace_id_numbers(&mut self, household: Uuid, numbers: &[(String, Uuid)]) -> Result<Vec<String>> {
        let id = household.to_string();
        let mut current: Vec<(&str, String)> = numbers.iter().map(|(n, m)| (n.as_str(), m.to_string())).collect();
        current.sort();
        let mut stored: Vec<(String, String)> = Vec::new();
        {
            let mut stmt =
                self.conn.prepare_cached("SELECT id_number, member_id FROM id_numbers WHERE household_id = ?1")?;
            for row in stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))? {
                stored.push(row?);
            }
        }
        stored.sort();
        // Most pushes leave the ID numbers as they were: skip the rewrite then.
        let unchanged =
            stored.len() == current.len() && stored.iter().zip(&current).all(|(s, c)| s.0 == c.0 && s.1 == c.1);
        if !unchanged {
            self.conn.prepare_cached("DELETE FROM id_numbers WHERE household_id = ?1")?.execute([&id])?;
            let mut insert = self.conn.prepare_cached(
                "INSERT OR IGNORE INTO id_numbers(id_number, household_id, member_id) VALUES (?1, ?2, ?3)",
            )?;
            for (number, member) in &current {
                insert.execute(params![number, id, member])?;
            }
        }
        let mut before: Vec<String> = stored.into_iter().map(|(number, _)| number).collect();
        before.dedup();
        Ok(before)
    }

    fn write_projection(&mut self, projection: &Projection, updated_seq: u64) -> Result<()> {
        let row = &projection.row;
        let id = row.id.to_string();
        self.conn
            .prepare_cached(
                "INSERT INTO households(id, village_key, county, township, village, grp, head_name, head_id_number,
                    status, attribute, member_count, signed, errors, warnings, conflicts, updated_seq, merged_into,
                    national_number, address, phone, standard, household_type, main_cause)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                    ?22, ?23)
                 ON CONFLICT(id) DO UPDATE SET village_key = excluded.village_key, county = excluded.county,
                    township = excluded.township, village = excluded.village, grp = excluded.grp,
                    head_name = excluded.head_name, head_id_number = excluded.head_id_number,
                    status = excluded.status, attribute = excluded.attribute, member_count = excluded.member_count,
                    signed = excluded.signed, errors = excluded.errors, warnings = excluded.warnings,
                    conflicts = excluded.conflicts, updated_seq = MAX(households.updated_seq, excluded.updated_seq),
                    merged_into = excluded.merged_into, national_number = excluded.national_number,
                    address = excluded.address, phone = excluded.phone, standard = excluded.standard,
                    household_type = excluded.household_type, main_cause = excluded.main_cause",
            )?
            .execute(params![
                id,
                row.village_key,
                row.county,
                row.township,
                row.village,
                row.group,
                row.head_name,
                row.head_id_number,
                row.status,
                row.attribute,
                row.member_count,
                row.signed,
                row.errors,
                row.warnings,
                row.conflicts,
                updated_seq as i64,
                row.merged_into.map(|m| m.to_string()),
                row.national_number,
                row.address,
                row.phone,
                row.standard,
                row.household_type,
                row.main_cause,
            ])?;
        self.conn.prepare_cached("DELETE FROM findings WHERE household_id = ?1")?.execute([&id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO findings(household_id, check_id, severity, path, member_id, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for f in &projection.findings {
            insert.execute(params![
                id,
                f.check_id,
                f.severity.label(),
                f.path,
                f.member_id.map(|m| m.to_string()),
                f.message
            ])?;
        }
        self.conn.prepare_cached("DELETE FROM conflicts WHERE household_id = ?1")?.execute([&id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO conflicts(household_id, path, label, candidates) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for c in &projection.conflicts {
            let candidates = serde_json::to_string(&c.candidates).expect("candidates serialise");
            insert.execute(params![id, c.path, c.label, candidates])?;
        }
        self.conn.prepare_cached("DELETE FROM photo_refs WHERE household_id = ?1")?.execute([&id])?;
        let mut insert =
            self.conn.prepare_cached("INSERT OR IGNORE INTO photo_refs(sha256, household_id) VALUES (?1, ?2)")?;
        for sha in &projection.photo_refs {
            insert.execute(params![sha, id])?;
        }
        self.conn.prepare_cached("DELETE FROM member_rows WHERE household_id = ?1")?.execute([&id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO member_rows(household_id, member_id, position, member) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (position, (member_id, member)) in projection.members.iter().enumerate() {
            let json = compact_member_json(member);
            insert.execute(params![id, member_id.to_string(), position as i64, json])?;
        }
        self.conn.prepare_cached("DELETE FROM inspection_rows WHERE household_id = ?1")?.execute([&id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO inspection_rows(household_id, inspection_id, inspected_at, inspection) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (inspection_id, inspection) in &projection.inspections {
            let json = serde_json::to_string(inspection).expect("an inspection serialises");
            insert.execute(params![id, inspection_id.to_string(), sortable_time(inspection.inspected_at), json])?;
        }
        self.conn.prepare_cached("DELETE FROM visit_rows WHERE household_id = ?1")?.execute([&id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO visit_rows(household_id, visit_id, visited_at, recorded_by) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (visit_id, at, by) in &projection.visits {
            insert.execute(params![id, visit_id.to_string(), sortable_time(*at), by])?;
        }
        Ok(())
    }

    fn audit(&mut self, entry: &AuditEntry) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit(at, user_name, device, action, household_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                entry.at.to_rfc3339(),
                entry.user,
                entry.device.map(|d| d.to_string()),
                entry.action,
                entry.household.map(|h| h.to_string()),
                entry.detail
            ])?;
        Ok(())
    }

    fn mark_projections_fresh(&mut self) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM meta WHERE key = 'projections_stale'")?.execute([])?;
        Ok(())
    }

    fn touch_device(&mut self, device: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1")?
            .execute(params![device.to_string(), at.to_rfc3339()])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_stored_without_empty_fields_reads_back_the_same() {
        let mut member = Member { name: "李梅".into(), id_number: "532503197202020020".into(), ..Default::default() };
        member.welfare.dibao = true;
        member.work.months = 3;
        member.disability_grade = Some(0);
        let stored = compact_member_json(&member);
        assert!(!stored.contains("phone") && !stored.contains("null"), "{stored}");
        assert!(stored.len() < serde_json::to_string(&member).unwrap().len() / 2);
        assert_eq!(from_stored_json::<Member>(&stored).unwrap(), member);
        assert_eq!(from_stored_json::<Member>(&compact_member_json(&Member::default())).unwrap(), Member::default());
    }
}
