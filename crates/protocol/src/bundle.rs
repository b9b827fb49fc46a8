//! The bundle file: changes and photos on a USB stick or sent over a chat app.
//!
//! Layout: the 8-byte magic `HUDANGB1`, the postcard-encoded [`Bundle`], then the sha256 of everything before it.
//! [`Bundle::decode`] checks the magic, the checksum, the encoding, every photo's hash and the manifest's counts
//! before returning anything, so a damaged or altered file is refused whole. A bundle carries no secret and is not
//! signed: what its changes may touch is decided where they are finally uploaded, by the uploading device's area.

use crate::Hash;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The first bytes of every bundle file.
pub const MAGIC: &[u8; 8] = b"HUDANGB1";
/// The usual file name extension.
pub const EXTENSION: &str = "hudang";

/// Why a bundle was refused. Nothing of a refused bundle is applied.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file does not start like a bundle.
    #[error("不是户档数据包（文件开头不对），可能选错了文件")]
    NotABundle,
    /// The checksum does not match: the file was damaged in copying or altered.
    #[error("数据包已损坏或被改动（校验和不符），未导入任何内容，请重新导出")]
    Checksum,
    /// The checksum matches but the content cannot be decoded.
    #[error("数据包内容无法读取（{0}），未导入任何内容")]
    Malformed(String),
    /// A photo's bytes do not hash to its id, or the manifest disagrees with the content.
    #[error("数据包内容前后不一致（{0}），未导入任何内容")]
    Inconsistent(String),
}

impl BundleError {
    /// A stable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::NotABundle => "bundle.not_a_bundle",
            BundleError::Checksum => "bundle.checksum",
            BundleError::Malformed(_) => "bundle.malformed",
            BundleError::Inconsistent(_) => "bundle.inconsistent",
        }
    }
}

/// What a bundle holds, readable before anything is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The bundle's id.
    pub id: Uuid,
    /// When it was made (the exporting device's clock).
    pub created_at: DateTime<Utc>,
    /// The device that made it.
    pub device: Uuid,
    /// The user signed in there.
    pub user: String,
    /// The bundle it follows, when it holds only what came after that one.
    pub since: Option<Uuid>,
    /// Each household's heads as of this bundle: a later bundle made "since" this one starts from them.
    pub heads: Vec<(Uuid, Vec<Hash>)>,
    /// Number of changes in the bundle.
    pub change_count: u64,
    /// Number of photos in the bundle.
    pub photo_count: u64,
}

/// One household's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHousehold {
    /// The household.
    pub household: Uuid,
    /// Raw Automerge changes, dependencies first.
    pub changes: Vec<Vec<u8>>,
}

/// One photo's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundlePhoto {
    /// Lower-case hex sha256 of `bytes`.
    pub sha256: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A whole bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// What it holds.
    pub manifest: Manifest,
    /// Changes by household.
    pub households: Vec<BundleHousehold>,
    /// Photos referenced by those households that the exporting device held.
    pub photos: Vec<BundlePhoto>,
}

impl Bundle {
    /// The file's bytes: magic, content, checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(postcard::to_stdvec(self).expect("bundles always encode"));
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// Reads and verifies a bundle file; any damage refuses the whole file.
    pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(BundleError::NotABundle);
        }
        if bytes.len() < MAGIC.len() + 32 {
            return Err(BundleError::Checksum);
        }
        let (body, checksum) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(BundleError::Checksum);
        }
        let bundle: Bundle = crate::decode(&body[MAGIC.len()..]).map_err(|e| BundleError::Malformed(e.to_string()))?;
        bundle.verify()?;
        Ok(bundle)
    }

    fn verify(&self) -> Result<(), BundleError> {
        for photo in &self.photos {
            if !crate::is_sha256_hex(&photo.sha256) {
                return Err(BundleError::Inconsistent(format!("照片编号无效：{}", photo.sha256)));
            }
            if hex::encode(Sha256::digest(&photo.bytes)) != photo.sha256 {
                return Err(BundleError::Inconsistent(format!("照片 {} 的内容与编号不符", &photo.sha256[..12])));
            }
        }
        let changes: u64 = self.households.iter().map(|h| h.changes.len() as u64).sum();
        if changes != self.manifest.change_count || self.photos.len() as u64 != self.manifest.photo_count {
            return Err(BundleError::Inconsistent("清单中的数量与内容不符".into()));
        }
        let mut listed: Vec<Uuid> = self.manifest.heads.iter().map(|(h, _)| *h).collect();
        listed.sort();
        if self.households.iter().any(|h| listed.binary_search(&h.household).is_err()) {
            return Err(BundleError::Inconsistent("有户不在清单中".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        let household = Uuid::from_u128(7);
        let photo = b"not really a jpeg".to_vec();
        Bundle {
            manifest: Manifest {
                id: Uuid::from_u128(1),
                created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
                device: Uuid::from_u128(2),
                user: "张三".into(),
                since: None,
                heads: vec![(household, vec![[9; 32]])],
                change_count: 2,
                photo_count: 1,
            },
            households: vec![BundleHousehold { household, changes: vec![vec![1, 2, 3], vec![4, 5]] }],
            photos: vec![BundlePhoto { sha256: hex::encode(Sha256::digest(&photo)), bytes: photo }],
        }
    }

    #[test]
    fn a_bundle_reads_back_as_written() {
        let bundle = sample();
        assert_eq!(Bundle::decode(&bundle.encode()).unwrap(), bundle);
    }

    #[test]
    fn any_flipped_byte_or_cut_refuses_the_whole_file() {
        let bytes = sample().encode();
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x40;
            assert!(Bundle::decode(&damaged).is_err(), "flip at {at} accepted");
        }
        for len in 0..bytes.len() {
            assert!(Bundle::decode(&bytes[..len]).is_err(), "cut at {len} accepted");
        }
    }

    #[test]
    fn a_rechecksummed_forgery_with_a_wrong_photo_is_refused() {
        let mut bundle = sample();
        bundle.photos[0].bytes.push(b'!');
        let error = Bundle::decode(&bundle.encode()).unwrap_err();
        assert_eq!(error.code(), "bundle.inconsistent");
        let mut bundle = sample();
        bundle.manifest.change_count = 5;
        assert_eq!(Bundle::decode(&bundle.encode()).unwrap_err().code(), "bundle.inconsistent");
    }

    #[test]
    fn other_files_are_not_bundles() {
        assert_eq!(Bundle::decode(b"PK\x03\x04 a zip file").unwrap_err().code(), "bundle.not_a_bundle");
        assert_eq!(Bundle::decode(b"").unwrap_err().code(), "bundle.not_a_bundle");
    }
}
