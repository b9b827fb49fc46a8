//! Photo bytes as files named by their sha256: `photos/<aa>/<sha256>` when verified, `uploads/<sha256>.part` while
//! an upload is in progress.
//!
//! Every function takes an id already checked with `hudang_protocol::is_sha256_hex`, and checks it again, so no id
//! can ever name a path outside these two folders.

use crate::error::{Result, ServerError};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The two photo folders of a data directory.
#[derive(Debug)]
pub(crate) struct PhotoFiles {
    photos: PathBuf,
    uploads: PathBuf,
}

impl PhotoFiles {
    /// The folders under a data directory, created if missing.
    pub(crate) fn new(data_dir: &Path) -> Result<Self> {
        let photos = data_dir.join("photos");
        let uploads = data_dir.join("uploads");
        std::fs::create_dir_all(&photos)?;
        std::fs::create_dir_all(&uploads)?;
        Ok(PhotoFiles { photos, uploads })
    }

    fn checked(sha256: &str) -> Result<&str> {
        if hudang_protocol::is_sha256_hex(sha256) { Ok(sha256) } else { Err(ServerError::BadPhotoId) }
    }

    /// Where a verified photo lives.
    pub(crate) fn stored_path(&self, sha256: &str) -> Result<PathBuf> {
        let sha256 = Self::checked(sha256)?;
        Ok(self.photos.join(&sha256[..2]).join(sha256))
    }

    fn part_path(&self, sha256: &str) -> Result<PathBuf> {
        let sha256 = Self::checked(sha256)?;
        Ok(self.uploads.join(format!("{sha256}.part")))
    }

    /// Bytes of an upload received so far.
    pub(crate) fn partial_len(&self, sha256: &str) -> Result<u64> {
        match std::fs::metadata(self.part_path(sha256)?) {
            Ok(meta) => Ok(meta.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Appends a chunk to an upload and makes it durable, so a reported length is never more than the disk holds.
    pub(crate) fn append(&self, sha256: &str, chunk: &[u8]) -> Result<u64> {
        let path = self.part_path(sha256)?;
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        file.write_all(chunk)?;
        file.sync_data()?;
        Ok(file.metadata()?.len())
    }

    /// Verifies a finished upload against its id and moves it into place durably (fsync, rename, fsync folder).
    /// On a mismatch the partial file is deleted, so the next attempt starts clean.
    pub(crate) fn finish(&self, sha256: &str) -> Result<()> {
        let part = self.part_path(sha256)?;
        let mut hasher = Sha256::new();
        {
            let mut file = File::open(&part)?;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let read = file.read(&mut buffer)?;
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
            }
            file.sync_all()?;
        }
        if hex::encode(hasher.finalize()) != sha256 {
            std::fs::remove_file(&part)?;
            return Err(ServerError::HashMismatch);
        }
        let target = self.stored_path(sha256)?;
        let folder = target.parent().expect("photo paths have a folder");
        std::fs::create_dir_all(folder)?;
        std::fs::rename(&part, &target)?;
        File::open(folder)?.sync_all()?;
        File::open(&self.uploads)?.sync_all()?;
        Ok(())
    }

    /// A verified photo's bytes from `offset` (empty past the end).
    pub(crate) fn read_from(&self, sha256: &str, offset: u64) -> Result<Vec<u8>> {
        let mut file = File::open(self.stored_path(sha256)?)?;
        let len = file.metadata()?.len();
        if offset >= len {
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::with_capacity((len - offset) as usize);
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}
