//! Photos: prepared by `hudang-media`, stored as files named by their sha256, referenced from the document.

use crate::{Result, Store, StoreError};
use hudang_domain::{Gps, InspectionItem, PhotoRef};
use hudang_record::Provenance;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use uuid::Uuid;

/// Where a photo is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhotoTarget {
    /// A visit's photos.
    Visit(Uuid),
    /// One 六看一问 item of an inspection.
    Inspection(Uuid, InspectionItem),
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The file holding a photo's bytes (or thumbnail); the name is checked so no path can escape the photo folder.
pub(crate) fn photo_path(store: &Store, sha256: &str, thumbnail: bool) -> Result<PathBuf> {
    if !is_sha256(sha256) {
        return Err(StoreError::InvalidInput(vec![format!("照片编号无效：{sha256}")]));
    }
    let suffix = if thumbnail { ".thumb" } else { "" };
    Ok(store.dir().join("photos").join(&sha256[..2]).join(format!("{sha256}{suffix}")))
}

/// Writes a file so that it is complete on disk before anything refers to it: temp file, fsync, rename, fsync dir.
pub(crate) fn write_durably(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("photo paths have a folder");
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

impl Store {
    /// Prepares a photo (orientation, resize, thumbnail, hash), stores its bytes by sha256, and attaches its
    /// reference to a visit or a 六看一问 item as one attributed change. `photo_id` keys the new entry.
    pub fn add_photo(
        &mut self,
        household: Uuid,
        target: PhotoTarget,
        photo_id: Uuid,
        bytes: &[u8],
        caption: &str,
        provenance: &Provenance,
    ) -> Result<PhotoRef> {
        // Check the target exists before any work, so a wrong id costs nothing.
        let current = self.household(household)?;
        let exists = match target {
            PhotoTarget::Visit(v) => current.visits.contains_key(&v),
            PhotoTarget::Inspection(i, _) => current.inspections.contains_key(&i),
        };
        if !exists {
            return Err(StoreError::NotFound(format!("{household} 中的走访或六看一问记录")));
        }
        let prepared = hudang_media::prepare_photo(bytes, &hudang_media::PhotoOptions::default())?;
        let reference = store_prepared(self, &prepared, caption, provenance)?;
        let attached = reference.clone();
        self.edit_household(household, provenance, move |h| {
            let photos = match target {
                PhotoTarget::Visit(v) => &mut h.visits.get_mut(&v).expect("checked above").photos,
                PhotoTarget::Inspection(i, item) => {
                    &mut h.inspections.get_mut(&i).expect("checked above").items.record_mut(item).photos
                }
            };
            photos.insert(photo_id, attached);
            Ok(())
        })?;
        Ok(reference)
    }
}

/// Stores prepared bytes by hash (once) and returns their reference. Bytes first, then the row, then (by the
/// caller) the reference: a crash in between leaves an unreferenced file, never a reference to missing bytes.
pub(crate) fn store_prepared(
    store: &Store,
    prepared: &hudang_media::PreparedPhoto,
    caption: &str,
    provenance: &Provenance,
) -> Result<PhotoRef> {
    let meta = &prepared.meta;
    if !store.has_photo(&meta.sha256)? {
        write_durably(&photo_path(store, &meta.sha256, false)?, &prepared.jpeg)?;
        write_durably(&photo_path(store, &meta.sha256, true)?, &prepared.thumbnail)?;
        store.conn().execute(
            "INSERT OR IGNORE INTO photos(sha256, mime, bytes, width, height, taken_at, lat, lon, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                meta.sha256,
                meta.mime,
                meta.bytes as i64,
                meta.width,
                meta.height,
                meta.taken_at.map(|t| t.to_string()),
                meta.gps.map(|g| g.lat),
                meta.gps.map(|g| g.lon),
                provenance.at.to_rfc3339()
            ],
        )?;
    }
    Ok(PhotoRef {
        sha256: meta.sha256.clone(),
        mime: meta.mime.clone(),
        bytes: meta.bytes,
        width: meta.width,
        height: meta.height,
        taken_at: meta.taken_at,
        gps: meta.gps.map(|g| Gps { lat: g.lat, lon: g.lon, accuracy_m: None }),
        caption: caption.to_string(),
    })
}

pub(crate) fn read(store: &Store, sha256: &str, thumbnail: bool) -> Result<Vec<u8>> {
    let path = photo_path(store, sha256, thumbnail)?;
    match std::fs::read(&path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound(format!("照片 {sha256}"))),
        Err(e) => Err(e.into()),
    }
}
