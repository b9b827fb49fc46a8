//! [`Reader`] and [`Writer`] over one SQLite transaction, with cached prepared statements.

use super::{
    Area, AuditEntry, DocumentWrite, Duplicate, DuplicateHousehold, HouseholdConflict, HouseholdRow, LoggedChange,
    PageQuery, Projection, Reader, StoredDocument, Writer,
};
use crate::error::{Result, ServerError};
use chrono::{DateTime, Utc};
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

/// SQL placeholders `?{first}, ?{first+1}, ...` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
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
            .prepare_cached(
                "SELECT village_key, county, township, village, grp, head_name, head_id_number, status, attribute,
                        member_count, signed, errors, warnings, conflicts FROM households WHERE id = ?1",
            )?
            .query_row([household.to_string()], |r| {
                Ok(HouseholdRow {
                    id: household,
                    village_key: r.get(0)?,
                    county: r.get(1)?,
                    township: r.get(2)?,
                    village: r.get(3)?,
                    group: r.get(4)?,
                    head_name: r.get(5)?,
                    head_id_number: r.get(6)?,
                    status: r.get(7)?,
                    attribute: r.get(8)?,
                    member_count: r.get(9)?,
                    signed: r.get(10)?,
                    errors: r.get(11)?,
                    warnings: r.get(12)?,
                    conflicts: r.get(13)?,
                })
            })
            .optional()?;
        Ok(row)
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
                    status, attribute, member_count, signed, errors, warnings, conflicts, updated_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT(id) DO UPDATE SET village_key = excluded.village_key, county = excluded.county,
                    township = excluded.township, village = excluded.village, grp = excluded.grp,
                    head_name = excluded.head_name, head_id_number = excluded.head_id_number,
                    status = excluded.status, attribute = excluded.attribute, member_count = excluded.member_count,
                    signed = excluded.signed, errors = excluded.errors, warnings = excluded.warnings,
                    conflicts = excluded.conflicts, updated_seq = MAX(households.updated_seq, excluded.updated_seq)",
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

    fn touch_device(&mut self, device: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1")?
            .execute(params![device.to_string(), at.to_rfc3339()])?;
        Ok(())
    }
}
