//! What the device knows about its server: settings and token, the pull cursor, the heads the server is known to
//! hold for each household (so only what it lacks is sent), photos already uploaded, and changes received from
//! elsewhere (the server, a bundle) applied to the documents.
//!
//! The server's heads are kept as a set of change hashes this device holds and the server is known to hold too.
//! They are never heads learnt from the server that this device lacks: `get_changes` with an unknown head would
//! return a household's whole history.

use crate::photos::{photo_path, write_durably};
use crate::projection;
use crate::{Result, Store, StoreError, append_chunk, insert_snapshot, load_document, meta_get, meta_set};
use automerge::{Change, ChangeHash};
use chrono::{DateTime, Utc};
use hudang_record::{HouseholdDoc, RecordError, actor_for_device};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// How this device reaches its county server, as enrolment left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// The server's base URL, e.g. `https://hudang.example.gov.cn` or `http://127.0.0.1:8780`.
    pub server_url: String,
    /// The bearer token (the server keeps only its hash).
    pub token: String,
    /// The server's id; a cursor and acknowledgements belong to one server.
    pub server_id: Uuid,
    /// The enrolled user's id.
    pub user_id: Uuid,
    /// The enrolled user's name.
    pub user_name: String,
    /// The user's role code.
    pub role: String,
    /// The villages (`乡镇/行政村`) the user works in.
    pub villages: Vec<String>,
}

/// One household's changes the server has not acknowledged.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The household.
    pub household: Uuid,
    /// Raw changes, dependencies first.
    pub changes: Vec<Vec<u8>>,
    /// The document's heads when these were read: once the server holds the changes, it holds these heads.
    pub heads: Vec<ChangeHash>,
}

/// What applying received changes did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteApply {
    /// Households that changed (new or updated).
    pub changed: Vec<Uuid>,
    /// Of those, households that were new here.
    pub created: usize,
    /// Changes that were new here.
    pub new_changes: usize,
    /// Households whose changes build on history this device lacks; nothing of them was applied.
    pub incomplete: Vec<Uuid>,
}

/// A photo a household references whose bytes this device lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingPhoto {
    /// Its hash.
    pub sha256: String,
    /// Its type, from the reference.
    pub mime: String,
}

/// Checks that bytes received as a photo or signature are an image this app can read, before anything is stored.
pub fn check_photo_bytes(bytes: &[u8]) -> Result<()> {
    hudang_media::read_stored(bytes)?;
    Ok(())
}

/// Heads as stored: sorted hex, comma-separated, so two equal sets compare equal as text.
pub(crate) fn heads_text(heads: &[ChangeHash]) -> String {
    let mut hex: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    hex.sort();
    hex.dedup();
    hex.join(",")
}

fn parse_heads(text: &str) -> Vec<ChangeHash> {
    text.split(',').filter_map(|h| h.parse().ok()).collect()
}

/// Parses raw changes; one bad change refuses them all.
pub fn parse_changes(raw: &[Vec<u8>]) -> Result<Vec<Change>> {
    raw.iter()
        .map(|bytes| {
            Change::from_bytes(bytes.clone())
                .map_err(|e| StoreError::InvalidInput(vec![format!("收到的更改已损坏，未应用任何内容：{e}")]))
        })
        .collect()
}

impl Store {
    /// The sync settings, if the device has enrolled.
    pub fn sync_settings(&self) -> Result<Option<SyncSettings>> {
        match meta_get(&self.conn, "sync_settings")? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::CorruptDatabase(format!("同步设置无法读取：{e}"))),
        }
    }

    /// Stores the sync settings after enrolment. Enrolling with another server forgets what this device knew of
    /// the old one (cursor, acknowledgements, uploaded photos), so everything is offered to the new one.
    pub fn set_sync_settings(&mut self, settings: &SyncSettings, at: DateTime<Utc>) -> Result<()> {
        let previous = self.sync_settings()?;
        let provenance = self.provenance(at, "enrol");
        let tx = self.conn.transaction()?;
        if previous.as_ref().is_none_or(|p| p.server_id != settings.server_id) {
            tx.execute("DELETE FROM sync_state", [])?;
            tx.execute("DELETE FROM photos_sent", [])?;
            meta_set(&tx, "pull_cursor", "0")?;
        }
        meta_set(&tx, "sync_settings", &serde_json::to_string(settings).expect("settings serialise"))?;
        meta_set(&tx, "user", &settings.user_name)?;
        crate::audit_tx(&tx, &provenance, None, &settings.server_url)?;
        tx.commit()?;
        self.identity.user = settings.user_name.clone();
        Ok(())
    }

    /// The last server sequence number applied here.
    pub fn pull_cursor(&self) -> Result<u64> {
        Ok(meta_get(&self.conn, "pull_cursor")?.and_then(|c| c.parse().ok()).unwrap_or(0))
    }

    /// Households with changes the server has not acknowledged. Cheap when nothing changed: one indexed query.
    pub fn unsent_households(&self) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.household_id FROM documents d LEFT JOIN sync_state s ON s.household_id = d.household_id
             WHERE s.server_heads IS NULL OR s.server_heads != d.heads ORDER BY d.household_id",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|s| s.ok().and_then(|s| Uuid::parse_str(&s).ok()))
            .collect();
        Ok(ids)
    }

    /// A household's changes the server is not known to hold.
    pub fn outgoing(&self, household: Uuid) -> Result<Outgoing> {
        let mut doc = self.document(household)?;
        let heads = doc.heads();
        let known = self.server_heads(household)?;
        let changes = doc.changes_after(&known).iter().map(|c| c.raw_bytes().to_vec()).collect();
        // Databases made before sync kept no heads column; fill it in so the household stops looking unsent.
        self.conn.execute(
            "UPDATE documents SET heads = ?2 WHERE household_id = ?1 AND heads != ?2",
            params![household.to_string(), heads_text(&heads)],
        )?;
        Ok(Outgoing { household, changes, heads })
    }

    /// Changes of a household after the given heads (those this device does not hold are ignored, which gives
    /// more changes, never fewer).
    pub fn changes_since(&self, household: Uuid, heads: &[ChangeHash]) -> Result<Vec<Vec<u8>>> {
        let mut doc = self.document(household)?;
        let known: Vec<ChangeHash> =
            heads.iter().filter(|h| doc.automerge().get_change_by_hash(h).is_some()).copied().collect();
        Ok(doc.changes_after(&known).iter().map(|c| c.raw_bytes().to_vec()).collect())
    }

    fn server_heads(&self, household: Uuid) -> Result<Vec<ChangeHash>> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT server_heads FROM sync_state WHERE household_id = ?1", [household.to_string()], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(text.map(|t| parse_heads(&t)).unwrap_or_default())
    }

    /// Records that the server holds a household up to `heads` (heads this device has).
    pub fn mark_acknowledged(&mut self, household: Uuid, heads: &[ChangeHash]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state(household_id, server_heads) VALUES (?1, ?2)
             ON CONFLICT(household_id) DO UPDATE SET server_heads = excluded.server_heads",
            params![household.to_string(), heads_text(heads)],
        )?;
        Ok(())
    }

    /// Forgets what the server was thought to hold of a household, so its whole history is offered next time
    /// (the server said it lacks earlier changes, e.g. after being restored from a backup).
    pub fn forget_acknowledged(&mut self, household: Uuid) -> Result<()> {
        self.conn.execute("DELETE FROM sync_state WHERE household_id = ?1", [household.to_string()])?;
        Ok(())
    }

    /// Applies changes received from elsewhere, grouped by household, in one transaction. Every change is parsed
    /// first and a damaged one refuses them all. A household whose changes lack their history is left out and
    /// listed in [`RemoteApply::incomplete`]. `server_holds` says the changes came from the server (so they need
    /// not be sent back); `cursor`, when given, is stored in the same transaction.
    pub fn apply_remote(
        &mut self,
        households: &[(Uuid, Vec<Vec<u8>>)],
        server_holds: bool,
        cursor: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<RemoteApply> {
        self.apply_received(households, server_holds, cursor, false, at)
    }

    /// Like [`Store::apply_remote`] for changes not known to be on the server (a bundle), refusing them all, with
    /// nothing applied, if any household's history is incomplete here.
    pub fn apply_remote_all_or_nothing(
        &mut self,
        households: &[(Uuid, Vec<Vec<u8>>)],
        at: DateTime<Utc>,
    ) -> Result<RemoteApply> {
        self.apply_received(households, false, None, true, at)
    }

    fn apply_received(
        &mut self,
        households: &[(Uuid, Vec<Vec<u8>>)],
        server_holds: bool,
        cursor: Option<u64>,
        require_complete: bool,
        at: DateTime<Utc>,
    ) -> Result<RemoteApply> {
        let mut grouped: BTreeMap<Uuid, Vec<Change>> = BTreeMap::new();
        let mut order: Vec<Uuid> = Vec::new();
        for (household, raw) in households {
            if !grouped.contains_key(household) {
                order.push(*household);
            }
            grouped.entry(*household).or_default().extend(parse_changes(raw)?);
        }
        let actor = actor_for_device(self.identity.device_id);
        let today = at.date_naive();
        let mut report = RemoteApply::default();
        let tx = self.conn.transaction()?;
        for household in order {
            let changes = grouped.remove(&household).unwrap_or_default();
            let hashes: Vec<ChangeHash> = changes.iter().map(|c| c.hash()).collect();
            let deps: BTreeSet<ChangeHash> = changes.iter().flat_map(|c| c.deps().iter().copied()).collect();
            let existing = match load_document(&tx, household, &self.identity) {
                Ok(doc) => Some(doc),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            let (mut doc, new_changes, created) = match existing {
                Some(mut doc) => {
                    let heads = doc.heads();
                    match doc.apply_remote(household, changes).map(|fresh| fresh.len()) {
                        Ok(0) => (doc, 0, false),
                        Ok(n) => {
                            let chunk = doc.save_after(&heads);
                            append_chunk(&tx, household, &mut doc, &chunk, at)?;
                            (doc, n, false)
                        }
                        Err(RecordError::MissingHistory(_)) => {
                            report.incomplete.push(household);
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                None => match HouseholdDoc::from_changes(household, changes, actor.clone()) {
                    Ok(mut doc) => {
                        insert_snapshot(&tx, household, &mut doc, at)?;
                        let n = hashes.iter().collect::<BTreeSet<_>>().len();
                        (doc, n, true)
                    }
                    Err(RecordError::MissingHistory(_)) => {
                        report.incomplete.push(household);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                },
            };
            if server_holds {
                let known: String = tx
                    .query_row(
                        "SELECT server_heads FROM sync_state WHERE household_id = ?1",
                        [household.to_string()],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or_default();
                // The server holds what it held before and what it just sent; a hash the new changes depend on is
                // implied by them, so it is dropped to keep the set small.
                let mut holds: BTreeSet<ChangeHash> = parse_heads(&known).into_iter().collect();
                holds.extend(hashes.iter().copied());
                holds.retain(|h| !deps.contains(h));
                let holds: Vec<ChangeHash> = holds.into_iter().collect();
                tx.execute(
                    "INSERT INTO sync_state(household_id, server_heads) VALUES (?1, ?2)
                     ON CONFLICT(household_id) DO UPDATE SET server_heads = excluded.server_heads",
                    params![household.to_string(), heads_text(&holds)],
                )?;
            }
            if new_changes > 0 {
                projection::refresh(&tx, household, &mut doc, &self.identity, &self.policy, today)?;
                report.changed.push(household);
                report.new_changes += new_changes;
                report.created += usize::from(created);
            }
        }
        if require_complete && !report.incomplete.is_empty() {
            // Dropping the transaction rolls back every household applied before this one.
            return Err(StoreError::InvalidInput(vec![format!("{} 户缺少之前的更改", report.incomplete.len())]));
        }
        if let Some(cursor) = cursor {
            meta_set(&tx, "pull_cursor", &cursor.to_string())?;
        }
        tx.commit()?;
        Ok(report)
    }

    /// Photos this device holds, referenced by a household, not yet uploaded to the server.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT p.sha256 FROM photos p JOIN photo_refs r ON r.sha256 = p.sha256
             WHERE p.sha256 NOT IN (SELECT sha256 FROM photos_sent) ORDER BY p.sha256",
        )?;
        let shas = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(shas)
    }

    /// Records that the server holds a photo.
    pub fn mark_photo_sent(&mut self, sha256: &str) -> Result<()> {
        self.conn.execute("INSERT OR IGNORE INTO photos_sent(sha256) VALUES (?1)", [sha256])?;
        Ok(())
    }

    /// Photos referenced by households here whose bytes this device lacks.
    pub fn missing_photos(&self) -> Result<Vec<MissingPhoto>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sha256, min(mime) FROM photo_refs WHERE sha256 NOT IN (SELECT sha256 FROM photos)
             GROUP BY sha256 ORDER BY sha256",
        )?;
        let rows = stmt.query_map([], |r| Ok(MissingPhoto { sha256: r.get(0)?, mime: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores a photo's bytes received from elsewhere (server or bundle), after checking they hash to its id.
    /// The bytes are kept exactly; a thumbnail is made here. `server_holds` marks it as already uploaded.
    pub fn add_photo_bytes(&mut self, sha256: &str, bytes: &[u8], server_holds: bool, at: DateTime<Utc>) -> Result<()> {
        let path = photo_path(self, sha256, false)?;
        if hudang_media::sha256_hex(bytes) != sha256 {
            return Err(StoreError::InvalidInput(vec![format!("照片 {} 的内容与编号不符，未保存", &sha256[..12])]));
        }
        if !self.has_photo(sha256)? {
            let image = hudang_media::read_stored(bytes)?;
            write_durably(&path, bytes)?;
            write_durably(&photo_path(self, sha256, true)?, &image.thumbnail)?;
            self.conn.execute(
                "INSERT OR IGNORE INTO photos(sha256, mime, bytes, width, height, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![sha256, image.mime, bytes.len() as i64, image.width, image.height, at.to_rfc3339()],
            )?;
        }
        if server_holds {
            self.mark_photo_sent(sha256)?;
        }
        Ok(())
    }
}

impl Store {
    /// Photos a household references that this device holds.
    pub fn held_photos_of(&self, household: Uuid) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.sha256 FROM photo_refs r JOIN photos p ON p.sha256 = r.sha256 WHERE r.household_id = ?1 ORDER BY r.sha256",
        )?;
        let shas =
            stmt.query_map([household.to_string()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(shas)
    }

    /// A household's current heads.
    pub fn heads(&self, household: Uuid) -> Result<Vec<ChangeHash>> {
        Ok(self.document(household)?.heads())
    }
}
