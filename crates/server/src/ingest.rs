//! Pushes: verifying and applying devices' changes, and keeping the projections in step.
//!
//! A push is all or nothing. Everything that costs CPU (parsing changes, applying them, reading the household,
//! running the checks) happens first, outside the write lock, against documents read in one read transaction;
//! then one write transaction stores the lot. A household written by someone else in between is noticed by its
//! document version and prepared again inside the write transaction, so two pushes never overwrite each other.

use crate::error::{Result, ServerError};
use crate::storage::{
    self, Area, AuditEntry, DocumentWrite, LoggedChange, Projection, Session, Storage, StoredDocument, Writer,
};
use automerge::Change;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use hudang_domain::{CheckContext, Household, Policy, Severity, SignerRole, checks, idcard};
use hudang_protocol::{HouseholdChanges, PushOutcome, PushRequest, PushResponse};
use hudang_record::{FieldConflict, HouseholdDoc, RecordError, actor_for_device};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;
use uuid::Uuid;

/// A document is rewritten as one snapshot once it has this many incremental chunks.
pub const COMPACT_AFTER_CHUNKS: u32 = 32;

/// The policy tables the server checks households against.
pub fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(Policy::builtin)
}

/// The calendar day in the county (China Standard Time) at an instant: what "today" means for the checks.
pub fn county_today(now: DateTime<Utc>) -> NaiveDate {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    now.with_timezone(&china).date_naive()
}

/// A household as read from its document, with its conflicts.
pub(crate) struct HouseholdView {
    pub(crate) household: Household,
    pub(crate) conflicts: Vec<FieldConflict>,
}

impl HouseholdView {
    pub(crate) fn read(doc: &mut HouseholdDoc) -> Result<Self> {
        let (household, conflicts) = doc.read_with_conflicts()?;
        Ok(HouseholdView { household, conflicts })
    }

    /// The ID numbers of registered members, as indexed for the duplicate check, with the member holding each.
    pub(crate) fn id_numbers(&self) -> Vec<(String, Uuid)> {
        let mut numbers: Vec<(String, Uuid)> = self
            .household
            .id_holding_members()
            .filter_map(|(member, m)| idcard::index_key(&m.id_number).map(|n| (n, *member)))
            .collect();
        numbers.sort();
        numbers.dedup();
        numbers
    }

    pub(crate) fn number_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.id_numbers().into_iter().map(|(n, _)| n).collect();
        keys.dedup();
        keys
    }

    fn village_key(&self) -> String {
        hudang_protocol::village_key(&self.household.area.township, &self.household.area.village)
    }

    /// Every derived row, with findings computed against the given holders of ID numbers.
    pub(crate) fn project(&self, holders: &HashMap<String, Vec<Uuid>>, today: NaiveDate) -> Projection {
        let household = &self.household;
        let findings =
            checks::check_household(household, &CheckContext { today, policy: policy(), id_holders: holders });
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count() as u32;
        let mut photo_refs: Vec<String> = household.photo_refs().into_iter().map(|(_, p)| p.sha256.clone()).collect();
        photo_refs.retain(|sha| hudang_protocol::is_sha256_hex(sha));
        photo_refs.sort();
        photo_refs.dedup();
        Projection {
            row: storage::HouseholdRow {
                id: household.id,
                village_key: self.village_key(),
                county: household.area.county.clone(),
                township: household.area.township.clone(),
                village: household.area.village.clone(),
                group: household.area.group.clone(),
                head_name: household.head_name().to_string(),
                head_id_number: household.head().map(|m| m.id_number.clone()).unwrap_or_default(),
                status: household.status.map(|s| s.label()).unwrap_or("").to_string(),
                attribute: household.attribute.map(|s| s.label()).unwrap_or("").to_string(),
                member_count: household.size() as u32,
                signed: household.is_signed_by(SignerRole::Surveyor)
                    && household.is_signed_by(SignerRole::HouseholdHead),
                errors,
                warnings: findings.len() as u32 - errors,
                conflicts: self.conflicts.len() as u32,
                merged_into: household.merged_into,
                national_number: household.national_number.clone(),
                address: household.address.clone(),
                phone: household.phone.clone(),
                standard: household.standard.map(|s| s.label()).unwrap_or("").to_string(),
                household_type: household.household_type.map(|s| s.label()).unwrap_or("").to_string(),
                main_cause: household.main_cause.map(|s| s.label()).unwrap_or("").to_string(),
            },
            findings,
            conflicts: self.conflicts.clone(),
            photo_refs,
            members: self.members_in_file_order(),
            inspections: household.inspections.iter().map(|(id, i)| (*id, i.clone())).collect(),
            visits: household.visits.iter().map(|(id, v)| (*id, v.visited_at, v.recorded_by.clone())).collect(),
        }
    }

    /// Members as the paper file lists them: the 户主 first, then the others in the order they were added.
    fn members_in_file_order(&self) -> Vec<(Uuid, hudang_domain::Member)> {
        let household = &self.household;
        let head = household.head_member_id;
        let mut members: Vec<(Uuid, hudang_domain::Member)> =
            household.members.iter().map(|(id, m)| (*id, m.clone())).collect();
        members.sort_by_key(|(id, _)| Some(*id) != head);
        members
    }
}

/// Rebuilds every household's projection from its document when a migration has marked them stale; does nothing
/// otherwise. Runs in batches, each in its own write transaction, so a large county does not hold one huge one.
pub fn rebuild_stale_projections(storage: &dyn Storage, now: DateTime<Utc>) -> Result<usize> {
    if !storage::read(storage, |r| r.projections_stale())? {
        return Ok(0);
    }
    let today = county_today(now);
    let ids = storage::read(storage, |r| r.household_ids())?;
    for batch in ids.chunks(500) {
        storage::write(storage, |w| {
            for household in batch {
                let Some(stored) = w.document(*household)? else { continue };
                // One unreadable document must not keep the server from starting: it is reported and its old
                // rows stay until it is repaired.
                let view = match HouseholdDoc::load(&stored.bytes, actor_for_device(Uuid::nil()))
                    .map_err(ServerError::from)
                    .and_then(|mut doc| HouseholdView::read(&mut doc))
                {
                    Ok(view) => view,
                    Err(error) => {
                        eprintln!("户 {household} 的统计数据无法重建：{error}");
                        continue;
                    }
                };
                w.replace_id_numbers(*household, &view.id_numbers())?;
                let holders = w.id_holders(&view.number_keys())?;
                w.write_projection(&view.project(&holders, today), 0)?;
            }
            Ok(())
        })?;
    }
    storage::write(storage, |w| w.mark_projections_fresh())?;
    Ok(ids.len())
}

/// One household's changes, ready to store.
pub(crate) struct Applied {
    /// The stored document's version this was prepared against (`None`: the household was new).
    base_version: Option<u64>,
    heads: Vec<[u8; 32]>,
    new_changes: Vec<LoggedChange>,
    /// Present when there is something new to store.
    update: Option<Update>,
}

struct Update {
    write: DocumentWrite,
    view: HouseholdView,
    /// The holders of the household's ID numbers its findings were computed with.
    holders: HashMap<String, Vec<Uuid>>,
    projection: Option<Projection>,
}

enum Prepared {
    NeedHistory,
    Applied(Box<Applied>),
}

/// How a prepared document will be stored.
enum WritePlan {
    /// A new document, or enough chunks: save the whole document as a new snapshot.
    Compact,
    /// Append what was added after these heads.
    ChunkAfter(Vec<automerge::ChangeHash>),
}

/// A push's changes grouped by household, and which group each entry of the request went to.
struct ParsedPush {
    groups: Vec<(Uuid, Vec<Change>)>,
    entry_group: Vec<usize>,
}

fn bad_change(household: Uuid, reason: impl Into<String>) -> ServerError {
    ServerError::BadChange { household, reason: reason.into() }
}

/// Applies one household's changes to its stored document (or to a new one) in memory.
fn prepare(household: Uuid, stored: Option<StoredDocument>, changes: &[Change], area: &Area) -> Result<Prepared> {
    // The actor never writes here; any fixed id does.
    let actor = actor_for_device(Uuid::nil());
    let base_version = stored.as_ref().map(|s| s.version);
    let received = |e: RecordError| match e {
        RecordError::MissingHistory(_) => None,
        other => Some(bad_change(household, other.to_string())),
    };
    let (mut doc, plan, new_changes) = match stored {
        Some(stored) => {
            if !area.contains(&stored.village_key) {
                return Err(ServerError::OutsideArea(household));
            }
            let mut doc = HouseholdDoc::load(&stored.bytes, actor)?;
            let old_heads = doc.heads();
            let new = match doc.apply_remote(household, changes.to_vec()) {
                Ok(new) => new,
                Err(e) => return received(e).map_or(Ok(Prepared::NeedHistory), Err),
            };
            if new.is_empty() {
                let heads = old_heads.iter().map(|h| h.0).collect();
                return Ok(Prepared::Applied(Box::new(Applied {
                    base_version,
                    heads,
                    new_changes: Vec::new(),
                    update: None,
                })));
            }
            let plan = if stored.chunk_count + 1 >= COMPACT_AFTER_CHUNKS {
                WritePlan::Compact
            } else {
                WritePlan::ChunkAfter(old_heads)
            };
            (doc, plan, new)
        }
        None => {
            let mut doc = HouseholdDoc::without_history(actor.clone());
            let new = match doc.apply_remote(household, changes.to_vec()) {
                Ok(new) => new,
                Err(e) => return received(e).map_or(Ok(Prepared::NeedHistory), Err),
            };
            (doc, WritePlan::Compact, new)
        }
    };
    let view = HouseholdView::read(&mut doc).map_err(|e| bad_change(household, e.to_string()))?;
    if !area.contains(&view.village_key()) {
        return Err(ServerError::OutsideArea(household));
    }
    let heads = doc.heads().iter().map(|h| h.0).collect();
    let write = match plan {
        WritePlan::Compact => DocumentWrite::Snapshot(doc.save()),
        WritePlan::ChunkAfter(heads) => DocumentWrite::Chunk(doc.save_after(&heads)),
    };
    let new_changes =
        new_changes.into_iter().map(|c| LoggedChange { hash: c.hash().0, bytes: c.raw_bytes().to_vec() }).collect();
    Ok(Prepared::Applied(Box::new(Applied {
        base_version,
        heads,
        new_changes,
        update: Some(Update { write, view, holders: HashMap::new(), projection: None }),
    })))
}

/// Parses every change of a request, grouping the households (a household listed twice is merged into its first
/// entry); any change Automerge refuses fails the whole request.
fn parse(request: PushRequest) -> Result<ParsedPush> {
    let mut groups: Vec<(Uuid, Vec<Change>)> = Vec::new();
    let mut entry_group = Vec::with_capacity(request.households.len());
    for HouseholdChanges { household, changes } in request.households {
        let index = match groups.iter().position(|(id, _)| *id == household) {
            Some(index) => index,
            None => {
                groups.push((household, Vec::new()));
                groups.len() - 1
            }
        };
        entry_group.push(index);
        for bytes in changes {
            let change = Change::from_bytes(bytes).map_err(|e| bad_change(household, e.to_string()))?;
            groups[index].1.push(change);
        }
    }
    Ok(ParsedPush { groups, entry_group })
}

/// Handles a push from an authenticated device: all of it is stored, or none of it.
pub fn push(
    storage: &dyn Storage,
    session: &Session,
    request: PushRequest,
    now: DateTime<Utc>,
) -> Result<PushResponse> {
    let today = county_today(now);
    let ParsedPush { groups, entry_group } = parse(request)?;
    let stored: Vec<Option<StoredDocument>> =
        storage::read(storage, |r| groups.iter().map(|(id, _)| r.document(*id)).collect())?;
    let mut prepared = Vec::with_capacity(groups.len());
    for ((household, changes), stored) in groups.iter().zip(stored) {
        prepared.push(prepare(*household, stored, changes, &session.area)?);
    }
    // Findings depend on which other households hold the same ID numbers: read them once for the whole request.
    let numbers: Vec<String> = prepared
        .iter()
        .filter_map(|p| match p {
            Prepared::Applied(a) => a.update.as_ref().map(|u| u.view.number_keys()),
            Prepared::NeedHistory => None,
        })
        .flatten()
        .collect();
    let holders = storage::read(storage, |r| r.id_holders(&numbers))?;
    for p in &mut prepared {
        if let Prepared::Applied(applied) = p
            && let Some(update) = &mut applied.update
        {
            update.holders = holders_of(&update.view, &holders);
            update.projection = Some(update.view.project(&update.holders, today));
        }
    }
    let outcomes = storage::write(storage, |w| {
        let mut outcomes = Vec::with_capacity(groups.len());
        let mut stored_views: Vec<(Uuid, u64)> = Vec::new();
        let mut touched_numbers: BTreeSet<String> = BTreeSet::new();
        let mut written: Vec<usize> = Vec::new();
        // This closure runs once: SQLite either commits the transaction or the request fails. A household that
        // another push stored in between is prepared again here and its entry replaced.
        for (index, p) in prepared.iter_mut().enumerate() {
            let (household, changes) = &groups[index];
            if let Prepared::Applied(applied) = p
                && w.document_version(*household)? != applied.base_version
            {
                // Someone else stored this household since it was read: prepare it again from what is stored now.
                *p = prepare(*household, w.document(*household)?, changes, &session.area)?;
                if let Prepared::Applied(applied) = p
                    && let Some(update) = &mut applied.update
                {
                    update.holders = w.id_holders(&update.view.number_keys())?;
                    update.projection = Some(update.view.project(&update.holders, today));
                }
            }
            match p {
                Prepared::NeedHistory => outcomes.push(PushOutcome::NeedHistory),
                Prepared::Applied(applied) => {
                    outcomes.push(PushOutcome::Applied {
                        new_changes: applied.new_changes.len() as u32,
                        heads: applied.heads.clone(),
                    });
                    if let Some(update) = &applied.update {
                        let seq = store_household(
                            w,
                            *household,
                            &update.write,
                            &update.view,
                            &applied.new_changes,
                            session.device_id,
                            now,
                        )?;
                        stored_views.push((*household, seq));
                        touched_numbers.extend(w.replace_id_numbers(*household, &update.view.id_numbers())?);
                        touched_numbers.extend(update.view.number_keys());
                        written.push(index);
                        w.audit(&AuditEntry {
                            at: now,
                            user: session.user.name.clone(),
                            device: Some(session.device_id),
                            action: "push".into(),
                            household: Some(*household),
                            detail: format!("{} 条修改", applied.new_changes.len()),
                        })?;
                    }
                }
            }
        }
        for (&index, &(_, seq)) in written.iter().zip(&stored_views) {
            let Prepared::Applied(applied) = &mut prepared[index] else { continue };
            let Some(update) = &mut applied.update else { continue };
            // Another household of this request (or a push in between) may have taken or dropped one of its
            // numbers: then the duplicate findings are computed again.
            let current = w.id_holders(&update.view.number_keys())?;
            if current != update.holders {
                update.projection = Some(update.view.project(&current, today));
            }
            let projection = update.projection.as_ref().expect("projected before writing");
            w.write_projection(projection, seq)?;
        }
        let request_households: BTreeSet<Uuid> = stored_views.iter().map(|(h, _)| *h).collect();
        reproject_holders(w, &touched_numbers, &request_households, today)?;
        if !written.is_empty() {
            w.touch_device(session.device_id, now)?;
        }
        Ok(outcomes)
    })?;
    let results = entry_group
        .iter()
        .enumerate()
        .map(|(entry, &group)| {
            let outcome = outcomes[group].clone();
            // A household listed twice reports its new changes once, on its first entry.
            let first = entry_group.iter().position(|&g| g == group) == Some(entry);
            let outcome = match outcome {
                PushOutcome::Applied { heads, .. } if !first => PushOutcome::Applied { new_changes: 0, heads },
                other => other,
            };
            (groups[group].0, outcome)
        })
        .collect();
    // Work a tablet recorded in a file before it learned the county had merged it (offline, days later) is carried
    // into the kept file, so it counts. It runs after the push is stored and cannot undo it: a failure is logged.
    for p in &prepared {
        if let Prepared::Applied(applied) = p
            && let Some(update) = &applied.update
            && let Some(kept) = update.view.household.merged_into
            && !applied.new_changes.is_empty()
        {
            let merged = update.view.household.id;
            if let Err(error) = crate::county::carry_into_kept(storage, merged, kept, &session.user.name, now) {
                eprintln!("户 {merged} 合并后收到的修改未能转入户 {kept}：{error}");
            }
        }
    }
    Ok(PushResponse { results })
}

fn holders_of(view: &HouseholdView, all: &HashMap<String, Vec<Uuid>>) -> HashMap<String, Vec<Uuid>> {
    view.number_keys().into_iter().filter_map(|n| all.get(&n).map(|h| (n, h.clone()))).collect()
}

/// Stores a household's document and logs its new changes; returns the last sequence number logged (0 if none).
pub(crate) fn store_household(
    w: &mut dyn Writer,
    household: Uuid,
    write: &DocumentWrite,
    view: &HouseholdView,
    new_changes: &[LoggedChange],
    origin_device: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let village_key = view.village_key();
    w.put_document(household, write, &village_key)?;
    let mut last = 0;
    for change in new_changes {
        if let Some(seq) = w.log_change(household, change, &village_key, origin_device, now)? {
            last = seq;
        }
    }
    Ok(last)
}

/// Rewrites the projections of households holding any of `numbers` (except those in `skip`), since their duplicate
/// findings may have changed. Rare: only households sharing an ID number are touched.
pub(crate) fn reproject_holders(
    w: &mut dyn Writer,
    numbers: &BTreeSet<String>,
    skip: &BTreeSet<Uuid>,
    today: NaiveDate,
) -> Result<()> {
    let numbers: Vec<String> = numbers.iter().cloned().collect();
    let holders = w.id_holders(&numbers)?;
    let others: BTreeSet<Uuid> = holders.values().flatten().filter(|h| !skip.contains(h)).copied().collect();
    for household in others {
        let Some(stored) = w.document(household)? else { continue };
        let mut doc = HouseholdDoc::load(&stored.bytes, actor_for_device(Uuid::nil()))?;
        let view = HouseholdView::read(&mut doc)?;
        let holders = w.id_holders(&view.number_keys())?;
        w.write_projection(&view.project(&holders, today), 0)?;
    }
    Ok(())
}
