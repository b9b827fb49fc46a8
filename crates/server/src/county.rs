//! What county staff do with the merged data: read a household, list conflicts and likely duplicates, and settle
//! a conflict on the server. Used by the CLI now and the county console later.

use crate::error::{Result, ServerError};
use crate::ingest::{HouseholdView, county_today, reproject_holders, store_household};
use crate::storage::{self, AuditEntry, Duplicate, HouseholdConflict, LoggedChange, Storage};
use chrono::{DateTime, Utc};
use hudang_record::{HouseholdDoc, Provenance, actor_for_device};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Every open conflict in the county, with every candidate value and who wrote it.
pub fn conflicts(storage: &dyn Storage) -> Result<Vec<HouseholdConflict>> {
    storage::read(storage, |r| r.conflicts(None))
}

/// ID numbers held by registered members of two or more households, with those households.
pub fn duplicates(storage: &dyn Storage) -> Result<Vec<Duplicate>> {
    storage::read(storage, |r| r.duplicates())
}

/// A household's document as JSON (conflicted fields show one of their values; see [`conflicts`] for all).
pub fn household_json(storage: &dyn Storage, household: Uuid) -> Result<Json> {
    let stored = storage::read(storage, |r| r.document(household))?
        .ok_or_else(|| ServerError::NotFound(format!("户 {household}")))?;
    Ok(HouseholdDoc::load(&stored.bytes, actor_for_device(storage.server_id()))?.to_json()?)
}

/// What a resolution wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The household.
    pub household: Uuid,
    /// The resolving change's hash (hex).
    pub change: String,
    /// Its sequence number in the change log (devices pull it from there).
    pub seq: u64,
}

/// Settles a conflict on the server: writes `value` at `path` as a change by the server's own actor, attributed to
/// `user`, stores it and logs it so every device in the household's village pulls it.
pub fn resolve_conflict(
    storage: &dyn Storage,
    household: Uuid,
    path: &str,
    value: &Json,
    user: &str,
    now: DateTime<Utc>,
) -> Result<Resolution> {
    let server_id = storage.server_id();
    let today = county_today(now);
    storage::write(storage, |w| {
        let stored = w.document(household)?.ok_or_else(|| ServerError::NotFound(format!("户 {household}")))?;
        let mut doc = HouseholdDoc::load(&stored.bytes, actor_for_device(server_id))?;
        let before = HouseholdView::read(&mut doc)?;
        if !before.conflicts.iter().any(|c| c.path == path) {
            return Err(ServerError::NotFound(format!("户 {household} 的字段 {path} 上的冲突")));
        }
        let old_heads = doc.heads();
        let provenance = Provenance { user: user.to_string(), device: server_id, at: now, action: "resolve".into() };
        let hash = doc
            .resolve(path, value, &provenance)
            .map_err(|e| ServerError::InvalidInput(format!("{}（{}）", e, e.code())))?;
        let change = doc
            .automerge()
            .get_change_by_hash(&hash)
            .ok_or_else(|| ServerError::Database("刚写入的修改找不到".into()))?;
        let logged = LoggedChange { hash: hash.0, bytes: change.raw_bytes().to_vec() };
        let write = if stored.chunk_count + 1 >= crate::ingest::COMPACT_AFTER_CHUNKS {
            storage::DocumentWrite::Snapshot(doc.save())
        } else {
            storage::DocumentWrite::Chunk(doc.save_after(&old_heads))
        };
        let view = HouseholdView::read(&mut doc)?;
        let seq = store_household(w, household, &write, &view, std::slice::from_ref(&logged), server_id, now)?;
        let numbers = view.id_numbers();
        let mut touched: BTreeSet<String> = w.replace_id_numbers(household, &numbers)?.into_iter().collect();
        touched.extend(numbers.into_iter().map(|(n, _)| n));
        let keys: Vec<String> = touched.iter().cloned().collect();
        let holders = w.id_holders(&keys)?;
        w.write_projection(&view.project(&holders, today), seq)?;
        reproject_holders(w, &touched, &BTreeSet::from([household]), today)?;
        w.audit(&AuditEntry {
            at: now,
            user: user.to_string(),
            device: Some(server_id),
            action: "resolve".into(),
            household: Some(household),
            detail: format!("{path} = {value}"),
        })?;
        Ok(Resolution { household, change: hex::encode(hash.0), seq })
    })
}
