//! Bundles: a device's changes and photos in one file, for a USB stick or a chat app, imported anywhere (another
//! worker's tablet, the team leader's laptop, which then relays them to the county at its next sync).

use crate::SyncError;
use chrono::{DateTime, Utc};
use hudang_protocol::{Bundle, BundleHousehold, BundlePhoto, Manifest};
use hudang_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// What importing a bundle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleImport {
    /// The bundle's id.
    pub bundle: Uuid,
    /// Who made it.
    pub made_by: String,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Households that changed here.
    pub households_changed: usize,
    /// Of those, households new here.
    pub households_new: usize,
    /// Changes new here.
    pub changes_new: usize,
    /// Photos new here.
    pub photos_new: usize,
    /// Open conflicts after the import.
    pub conflicts_open: usize,
}

/// Makes a bundle of every household's changes, or only those after an earlier bundle's manifest (`since`), with
/// the photos those households reference that this device holds.
pub fn export_bundle(
    store: &Store,
    since: Option<&Manifest>,
    bundle_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Bundle, SyncError> {
    let mut households = Vec::new();
    let mut heads = Vec::new();
    let mut photos: BTreeSet<String> = BTreeSet::new();
    for household in store.household_ids()? {
        let current = store.heads(household)?;
        heads.push((household, current.iter().map(|h| h.0).collect::<Vec<_>>()));
        let after: Vec<automerge::ChangeHash> = since
            .and_then(|m| m.heads.iter().find(|(h, _)| *h == household))
            .map(|(_, hs)| hs.iter().map(|h| automerge::ChangeHash(*h)).collect())
            .unwrap_or_default();
        let changes = store.changes_since(household, &after)?;
        if changes.is_empty() {
            continue;
        }
        photos.extend(store.held_photos_of(household)?);
        households.push(BundleHousehold { household, changes });
    }
    let photos = photos
        .into_iter()
        .map(|sha256| Ok(BundlePhoto { bytes: store.photo_bytes(&sha256)?, sha256 }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let manifest = Manifest {
        id: bundle_id,
        created_at: at,
        device: store.identity().device_id,
        user: store.identity().user.clone(),
        since: since.map(|m| m.id),
        heads,
        change_count: households.iter().map(|h| h.changes.len() as u64).sum(),
        photo_count: photos.len() as u64,
    };
    Ok(Bundle { manifest, households, photos })
}

/// Imports a bundle file's bytes. Everything is checked before anything is applied: the checksum, every change,
/// every photo's hash and decodability, and that every household's history is complete here. A refused bundle
/// changes nothing. Importing the same bundle twice changes nothing the second time.
pub fn import_bundle(store: &mut Store, bytes: &[u8], at: DateTime<Utc>) -> Result<BundleImport, SyncError> {
    let bundle = Bundle::decode(bytes)?;
    for photo in &bundle.photos {
        hudang_media_check(&photo.bytes, &photo.sha256)?;
    }
    let grouped: Vec<(Uuid, Vec<Vec<u8>>)> =
        bundle.households.iter().map(|h| (h.household, h.changes.clone())).collect();
    let applied = store.apply_remote_all_or_nothing(&grouped, at).map_err(|e| match e {
        StoreError::InvalidInput(messages) => {
            let follows = match bundle.manifest.since {
                Some(id) => format!("此数据包接续之前的数据包 {id}，请先导入那个数据包"),
                None => "数据包内容不完整".into(),
            };
            SyncError::Local(format!("{follows}（{}），未导入任何内容", messages.join("；")))
        }
        other => SyncError::Store(other),
    })?;
    // Photos after the changes that reference them: a crash in between leaves references whose bytes a second
    // import (or the next sync) fills in, never bytes without a record of why they are here.
    let mut photos_new = 0;
    for photo in &bundle.photos {
        if !store.has_photo(&photo.sha256)? {
            store.add_photo_bytes(&photo.sha256, &photo.bytes, false, at)?;
            photos_new += 1;
        }
    }
    Ok(BundleImport {
        bundle: bundle.manifest.id,
        made_by: bundle.manifest.user.clone(),
        made_at: bundle.manifest.created_at,
        households_changed: applied.changed.len(),
        households_new: applied.created,
        changes_new: applied.new_changes,
        photos_new,
        conflicts_open: store.conflicts(None)?.len(),
    })
}

/// A photo in a bundle must be an image we can read; its hash was checked when the bundle was decoded.
fn hudang_media_check(bytes: &[u8], sha256: &str) -> Result<(), SyncError> {
    hudang_store::check_photo_bytes(bytes)
        .map_err(|e| SyncError::Local(format!("数据包中的照片 {} 无法读取（{e}），未导入任何内容", &sha256[..12])))
}
