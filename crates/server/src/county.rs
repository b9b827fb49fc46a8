//! What county staff do with the merged data: read a household, list conflicts and likely duplicates, and settle
//! a conflict or merge two files of one family on the server. Used by the CLI and the county console.

use crate::error::{Result, ServerError};
use crate::ingest::{HouseholdView, county_today, reproject_holders, store_household};
use crate::storage::{
    self, Area, AuditEntry, Duplicate, HouseholdConflict, LoggedChange, Storage, StoredDocument, Writer,
};
use automerge::ChangeHash;
use chrono::{DateTime, Utc};
use hudang_domain::{Absorbed, Household};
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
    resolve_conflict_within(storage, household, path, value, user, &Area::County, now)
}

/// [`resolve_conflict`] for someone whose reach is `area`: a settlement that would move the household out of it
/// (a disputed 乡镇 or 行政村) is refused and nothing is written.
pub fn resolve_conflict_within(
    storage: &dyn Storage,
    household: Uuid,
    path: &str,
    value: &Json,
    user: &str,
    area: &Area,
    now: DateTime<Utc>,
) -> Result<Resolution> {
    let server_id = storage.server_id();
    storage::write(storage, |w| {
        let (stored, mut doc) = load_as_server(w, household, server_id)?;
        let before = HouseholdView::read(&mut doc)?;
        if !before.conflicts.iter().any(|c| c.path == path) {
            return Err(ServerError::NotFound(format!("户 {household} 的字段 {path} 上的冲突")));
        }
        let old_heads = doc.heads();
        let provenance = Provenance { user: user.to_string(), device: server_id, at: now, action: "resolve".into() };
        let hash = doc
            .resolve(path, value, &provenance)
            .map_err(|e| ServerError::InvalidInput(format!("{}（{}）", e, e.code())))?;
        let after = HouseholdView::read(&mut doc)?;
        let village_key = hudang_protocol::village_key(&after.household.area.township, &after.household.area.village);
        if !area.contains(&village_key) {
            return Err(ServerError::Forbidden(format!("选定的值会把该户移到 {village_key}，不在您负责的村内")));
        }
        let seq = store_server_change(w, server_id, household, &stored, &mut doc, &old_heads, &[hash], now)?;
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

/// A stored household document opened for writing by the server's own actor.
fn load_as_server(w: &mut dyn Writer, household: Uuid, server_id: Uuid) -> Result<(StoredDocument, HouseholdDoc)> {
    let stored = w.document(household)?.ok_or_else(|| ServerError::NotFound(format!("户 {household}")))?;
    let doc = HouseholdDoc::load(&stored.bytes, actor_for_device(server_id))?;
    Ok((stored, doc))
}

/// Stores changes the server itself made to a household (a settlement, a merge): appends them to the document,
/// logs them so devices pull them, and rewrites the projections of the household and of every household sharing
/// an ID number with it. Returns the last sequence number logged.
#[allow(clippy::too_many_arguments)]
fn store_server_change(
    w: &mut dyn Writer,
    server_id: Uuid,
    household: Uuid,
    stored: &StoredDocument,
    doc: &mut HouseholdDoc,
    old_heads: &[ChangeHash],
    hashes: &[ChangeHash],
    now: DateTime<Utc>,
) -> Result<u64> {
    let today = county_today(now);
    let mut logged = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let change = doc
            .automerge()
            .get_change_by_hash(hash)
            .ok_or_else(|| ServerError::Database("刚写入的修改找不到".into()))?;
        logged.push(LoggedChange { hash: hash.0, bytes: change.raw_bytes().to_vec() });
    }
    let write = if stored.chunk_count + 1 >= crate::ingest::COMPACT_AFTER_CHUNKS {
        storage::DocumentWrite::Snapshot(doc.save())
    } else {
        storage::DocumentWrite::Chunk(doc.save_after(old_heads))
    };
    let view = HouseholdView::read(doc)?;
    let seq = store_household(w, household, &write, &view, &logged, server_id, now)?;
    let numbers = view.id_numbers();
    let mut touched: BTreeSet<String> = w.replace_id_numbers(household, &numbers)?.into_iter().collect();
    touched.extend(numbers.into_iter().map(|(n, _)| n));
    let keys: Vec<String> = touched.iter().cloned().collect();
    let holders = w.id_holders(&keys)?;
    w.write_projection(&view.project(&holders, today), seq)?;
    reproject_holders(w, &touched, &BTreeSet::from([household]), today)?;
    Ok(seq)
}

/// Carries into the kept household what a merged file gained after the merge (a visit or a member a tablet recorded
/// offline before it learned of the merge), by the same rule as the merge itself; writes nothing when there is
/// nothing new. The change is attributed to the user whose work it carries.
pub fn carry_into_kept(
    storage: &dyn Storage,
    merged: Uuid,
    kept: Uuid,
    user: &str,
    now: DateTime<Utc>,
) -> Result<Option<MergeOutcome>> {
    let server_id = storage.server_id();
    storage::write(storage, |w| {
        let (kept_stored, mut kept_doc) = load_as_server(w, kept, server_id)?;
        let (_, merged_doc) = load_as_server(w, merged, server_id)?;
        let mut household = kept_doc.read()?;
        let absorbed = household.absorb(&merged_doc.read()?);
        if absorbed.members_added == 0 && absorbed.entries_added == 0 && absorbed.fields_filled.is_empty() {
            return Ok(None);
        }
        let provenance =
            Provenance { user: user.to_string(), device: server_id, at: now, action: "merge.carry".into() };
        write_as_server(w, server_id, kept, &kept_stored, &mut kept_doc, &household, &provenance)?;
        w.audit(&AuditEntry {
            at: now,
            user: user.to_string(),
            device: Some(server_id),
            action: "merge.carry".into(),
            household: Some(kept),
            detail: format!(
                "户 {merged} 合并后收到的记录转入：成员 {} 人，其他记录 {} 条",
                absorbed.members_added, absorbed.entries_added
            ),
        })?;
        Ok(Some(MergeOutcome::of(kept, merged, absorbed.clone())))
    })
}

/// What a merge of two files of one family did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeOutcome {
    /// The household that carries on.
    pub kept: Uuid,
    /// The household merged into it (kept whole, closed, marked merged).
    pub merged: Uuid,
    /// Members taken over.
    pub members_added: usize,
    /// Other entries taken over (visits, inspections, incomes, ...).
    pub entries_added: usize,
    /// Fields that were blank in the kept file and were filled from the other.
    pub fields_filled: Vec<String>,
}

impl MergeOutcome {
    fn of(kept: Uuid, merged: Uuid, absorbed: Absorbed) -> MergeOutcome {
        let Absorbed { members_added, entries_added, fields_filled } = absorbed;
        MergeOutcome { kept, merged, members_added, entries_added, fields_filled }
    }
}

/// Writes a household as the server's own attributed change (only what differs) and stores it; see
/// [`store_server_change`].
fn write_as_server(
    w: &mut dyn Writer,
    server_id: Uuid,
    id: Uuid,
    stored: &StoredDocument,
    doc: &mut HouseholdDoc,
    household: &Household,
    provenance: &Provenance,
) -> Result<u64> {
    let heads = doc.heads();
    let hashes: Vec<ChangeHash> = doc.write(household, provenance)?.into_iter().collect();
    store_server_change(w, server_id, id, stored, doc, &heads, &hashes, provenance.at)
}

/// Merges two files of one family: `keep` takes over what `merge` holds and it lacks
/// ([`hudang_domain::Household::absorb`]), and `merge` is marked as merged into `keep`. Both documents keep their
/// whole history: nothing is deleted, the merge is two more attributed changes, and devices pull both.
pub fn merge_households(
    storage: &dyn Storage,
    keep: Uuid,
    merge: Uuid,
    user: &str,
    now: DateTime<Utc>,
) -> Result<MergeOutcome> {
    if keep == merge {
        return Err(ServerError::InvalidInput("不能把一户合并到它自己".into()));
    }
    let server_id = storage.server_id();
    storage::write(storage, |w| {
        let (keep_stored, mut keep_doc) = load_as_server(w, keep, server_id)?;
        let (merge_stored, mut merge_doc) = load_as_server(w, merge, server_id)?;
        // A disputed field shows one of its values; merging then would settle the dispute unseen. Settle first.
        let (mut kept, keep_conflicts) = keep_doc.read_with_conflicts()?;
        let (mut merged, merge_conflicts) = merge_doc.read_with_conflicts()?;
        for (conflicts, what) in [(&keep_conflicts, "保留的户"), (&merge_conflicts, "被合并的户")] {
            if !conflicts.is_empty() {
                return Err(ServerError::InvalidInput(format!(
                    "{what}还有 {} 个未解决的冲突，请先在“冲突”中处理再合并",
                    conflicts.len()
                )));
            }
        }
        for (household, what) in [(&kept, "保留的户"), (&merged, "被合并的户")] {
            if let Some(into) = household.merged_into {
                return Err(ServerError::InvalidInput(format!("{what}已经合并到户 {into}，不能再合并")));
            }
        }
        let absorbed = kept.absorb(&merged);
        merged.merged_into = Some(keep);
        let provenance = Provenance { user: user.to_string(), device: server_id, at: now, action: "merge".into() };
        write_as_server(w, server_id, keep, &keep_stored, &mut keep_doc, &kept, &provenance)?;
        write_as_server(w, server_id, merge, &merge_stored, &mut merge_doc, &merged, &provenance)?;
        w.audit(&AuditEntry {
            at: now,
            user: user.to_string(),
            device: Some(server_id),
            action: "merge".into(),
            household: Some(keep),
            detail: format!(
                "合并户 {merge}：成员 {} 人，其他记录 {} 条，补填 {}",
                absorbed.members_added,
                absorbed.entries_added,
                if absorbed.fields_filled.is_empty() { "无".to_string() } else { absorbed.fields_filled.join("、") }
            ),
        })?;
        Ok(MergeOutcome::of(keep, merge, absorbed.clone()))
    })
}
