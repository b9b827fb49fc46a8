//! `hudang`, the scripting and administration interface to a device store: every user action as a command with
//! JSON output, also used by tests and benchmarks. The library part holds what the binary and tests share:
//! opening a store from a data directory, the demo village generator and the benchmarks.
//!
//! This crate is the only place on the device side that reads the clock or makes random ids (and passes them in);
//! it must never hold business rules, which live in `hudang-domain`.

pub mod bench;
pub mod demo;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use hudang_store::{DeviceIdentity, Store, StoreError};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The clock: the real time, or `HUDANG_NOW` (RFC 3339) so tests and demos can pin it.
pub fn now() -> DateTime<Utc> {
    std::env::var("HUDANG_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// A fresh random id (ids are made here, at the edge, and passed into the crates).
pub fn new_id() -> Uuid {
    Uuid::new_v4()
}

/// The default data directory: `$HUDANG_DATA_DIR`, else `$XDG_DATA_HOME/hudang`, else `~/.local/share/hudang`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HUDANG_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("hudang");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/hudang")
}

/// What identifies this install's place: the machine id and the data directory's absolute path.
/// A database found under another fingerprint was copied, and gets a new device identity.
pub fn fingerprint(dir: &Path) -> String {
    let machine = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
    let place = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    hudang_media::sha256_hex(format!("{}\n{}", machine.trim(), place.display()).as_bytes())
}

/// Opens the store in `dir`; a copied database is given a new device identity (and the user is told).
pub fn open_store(dir: &Path) -> Result<Store> {
    let print = fingerprint(dir);
    match Store::open(dir, &print) {
        Ok(store) => Ok(store),
        Err(StoreError::CopiedDatabase) => {
            eprintln!("提示：数据库来自其他设备或目录，已为本设备生成新的设备标识。");
            Ok(Store::reidentify(dir, &print, new_id(), now())?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a store in `dir` for `user`.
pub fn init_store(dir: &Path, user: &str) -> Result<Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建数据目录 {}", dir.display()))?;
    let identity = DeviceIdentity { device_id: new_id(), user: user.to_string() };
    Ok(Store::init(dir, identity, &fingerprint(dir), now())?)
}
