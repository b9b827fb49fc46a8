//! The device's sync client: enrolment, a sync with the county server (push what the server lacks, upload photos,
//! pull what changed within the device's area, fetch photos), and bundle files for a USB stick. Used by the CLI and
//! the app alike, with progress events for a progress bar.
//!
//! Every request is idempotent and every step records its progress in the store as soon as it is durable, so a
//! sync cut off at any point resumes where it stopped and never re-sends what the server acknowledged. This crate
//! must never read the clock or make ids itself (callers pass them), and never talk HTTP outside [`transport`].

pub mod bundle;
pub mod transport;

use chrono::{DateTime, Utc};
use hudang_protocol::{
    self as protocol, EnrolRequest, HouseholdChanges, PhotoQuery, PullRequest, PushOutcome, PushRequest,
};
use hudang_store::{Store, StoreError, SyncSettings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use uuid::Uuid;

pub use bundle::{BundleImport, export_bundle, import_bundle};
pub use transport::{HttpTransport, Transport};

/// What can go wrong in a sync. Messages are for people, in Chinese; callers match on [`SyncError::code`].
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The device has not enrolled with a server.
    #[error("本设备尚未登记到县级服务器，请先用一次性登记码登记")]
    NotEnrolled,
    /// A setting is wrong (server address, for example).
    #[error("{0}")]
    Config(String),
    /// The connection failed or broke off; what was acknowledged is kept and the next sync resumes.
    #[error("{0}；已完成的部分已保存，恢复连接后再同步即可继续")]
    Network(String),
    /// The server refused a request.
    #[error("服务器拒绝了请求：{message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's stable code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server sent something this client cannot read.
    #[error("服务器返回的数据无法读取：{0}")]
    Protocol(String),
    /// A file on this device could not be written.
    #[error("{0}")]
    Local(String),
    /// A bundle file was refused.
    #[error(transparent)]
    Bundle(#[from] hudang_protocol::BundleError),
    /// The device store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// A stable code for the UI and scripts.
    pub fn code(&self) -> String {
        match self {
            SyncError::NotEnrolled => "sync.not_enrolled".into(),
            SyncError::Config(_) => "sync.config".into(),
            SyncError::Network(_) => "sync.network".into(),
            SyncError::Server { code, .. } => code.clone(),
            SyncError::Protocol(_) => "sync.protocol".into(),
            SyncError::Local(_) => "sync.local".into(),
            SyncError::Bundle(e) => e.code().into(),
            SyncError::Store(e) => e.code().into(),
        }
    }

    /// Whether trying the same request again may succeed (a broken connection, a busy server).
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Network(_) => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Where a sync is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum SyncProgress {
    /// Sending changes: households done of total.
    Pushing {
        /// Households sent.
        done: usize,
        /// Households to send.
        total: usize,
    },
    /// Uploading photos.
    UploadingPhotos {
        /// Photos sent.
        done: usize,
        /// Photos to send.
        total: usize,
    },
    /// Receiving changes.
    Pulling {
        /// Changes received so far.
        changes: usize,
    },
    /// Downloading photos.
    DownloadingPhotos {
        /// Photos fetched.
        done: usize,
        /// Photos to fetch.
        total: usize,
    },
}

/// What a sync did, each way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    /// Households whose changes were sent.
    pub households_sent: usize,
    /// Changes sent.
    pub changes_sent: usize,
    /// Of those, changes the server did not have.
    pub changes_accepted: usize,
    /// Photos uploaded.
    pub photos_sent: usize,
    /// Households that changed here from what was received.
    pub households_received: usize,
    /// Of those, households new to this device.
    pub households_new: usize,
    /// Changes received that were new here.
    pub changes_received: usize,
    /// Photos downloaded.
    pub photos_received: usize,
    /// Photos referenced here that the server does not have yet (another device has not uploaded them).
    pub photos_unavailable: usize,
    /// Open conflicts on this device after the sync.
    pub conflicts_open: usize,
    /// Body bytes sent and received.
    pub bytes_sent: u64,
    /// Body bytes received.
    pub bytes_received: u64,
    /// Requests retried after a transient failure.
    pub retries: usize,
}

/// A sync's result: what was done, and the error that stopped it, if any (what was done before it is kept).
#[derive(Debug)]
pub struct SyncOutcome {
    /// What was done.
    pub summary: SyncSummary,
    /// What stopped the sync early.
    pub error: Option<SyncError>,
}

/// How a sync behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Fetch photos referenced by received households.
    pub download_photos: bool,
    /// How many times a request that failed transiently is tried again before the sync stops.
    pub retries: u32,
    /// Pause before the first retry, doubled each time.
    pub retry_pause_ms: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { download_photos: true, retries: 3, retry_pause_ms: 500 }
    }
}

/// Enrols this device with a server using a one-time code, and stores the token and area.
pub fn enrol(
    store: &mut Store,
    transport: &dyn Transport,
    server_url: &str,
    code: &str,
    device_name: &str,
    at: DateTime<Utc>,
) -> Result<SyncSettings, SyncError> {
    let request = EnrolRequest {
        code: code.trim().to_string(),
        device_id: store.identity().device_id,
        device_name: device_name.to_string(),
    };
    let response = transport.enrol(&request)?;
    let settings = SyncSettings {
        server_url: server_url.trim().trim_end_matches('/').to_string(),
        token: response.token,
        server_id: response.server_id,
        user_id: response.session.user.id,
        user_name: response.session.user.name.clone(),
        role: response.session.user.role.code().to_string(),
        villages: response.session.villages.iter().map(|v| v.key()).collect(),
    };
    store.set_sync_settings(&settings, at)?;
    Ok(settings)
}

/// The transport for an enrolled store.
pub fn transport_for(store: &Store) -> Result<HttpTransport, SyncError> {
    let settings = store.sync_settings()?.ok_or(SyncError::NotEnrolled)?;
    HttpTransport::new(&settings.server_url, Some(&settings.token))
}

struct Run<'a> {
    store: &'a mut Store,
    transport: &'a dyn Transport,
    options: SyncOptions,
    progress: &'a mut dyn FnMut(&SyncProgress),
    summary: SyncSummary,
    at: DateTime<Utc>,
}

/// Syncs with the server: sends unacknowledged changes, uploads photos, receives changes, fetches photos.
pub fn sync(
    store: &mut Store,
    transport: &dyn Transport,
    options: SyncOptions,
    progress: &mut dyn FnMut(&SyncProgress),
    at: DateTime<Utc>,
) -> SyncOutcome {
    let mut run = Run { store, transport, options, progress, summary: SyncSummary::default(), at };
    let result = run
        .push()
        .and_then(|_| run.upload_photos())
        .and_then(|_| run.pull())
        .and_then(|_| if run.options.download_photos { run.download_photos() } else { Ok(()) });
    let (sent, received) = transport.body_bytes();
    run.summary.bytes_sent = sent;
    run.summary.bytes_received = received;
    run.summary.conflicts_open = run.store.conflicts(None).map(|c| c.len()).unwrap_or(0);
    SyncOutcome { summary: run.summary, error: result.err() }
}

impl Run<'_> {
    /// Runs a request, trying again after transient failures (every request is idempotent).
    fn retrying<T>(&mut self, mut request: impl FnMut(&dyn Transport) -> Result<T, SyncError>) -> Result<T, SyncError> {
        let mut pause = self.options.retry_pause_ms;
        let mut attempt = 0;
        loop {
            match request(self.transport) {
                Err(e) if e.is_transient() && attempt < self.options.retries => {
                    attempt += 1;
                    self.summary.retries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(pause));
                    pause = pause.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    fn push(&mut self) -> Result<(), SyncError> {
        let households = self.store.unsent_households()?;
        let total = households.len();
        (self.progress)(&SyncProgress::Pushing { done: 0, total });
        let mut done = 0;
        let mut queue: std::collections::VecDeque<Uuid> = households.into();
        let mut resent: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
        let mut carried: Option<hudang_store::Outgoing> = None;
        while !queue.is_empty() {
            // Fill one request up to the batch size; a household larger than that goes alone, split into parts
            // whose dependencies always come first, and is acknowledged only when its last part is applied.
            let mut request = PushRequest::default();
            let mut size = 0usize;
            let mut finishing: Vec<(Uuid, Vec<automerge::ChangeHash>)> = Vec::new();
            while let Some(household) = queue.pop_front() {
                let outgoing = match carried.take() {
                    Some(outgoing) => outgoing,
                    None => self.store.outgoing(household)?,
                };
                let bytes: usize = outgoing.changes.iter().map(|c| c.len() + 4).sum();
                if !request.households.is_empty() && size + bytes > protocol::PUSH_BATCH_BYTES {
                    // It starts the next request; keep what was read rather than reading it again.
                    queue.push_front(household);
                    carried = Some(outgoing);
                    break;
                }
                if outgoing.changes.is_empty() {
                    self.store.mark_acknowledged(household, &outgoing.heads)?;
                    done += 1;
                    continue;
                }
                self.summary.changes_sent += outgoing.changes.len();
                if bytes > protocol::PUSH_BATCH_BYTES {
                    self.push_in_parts(household, outgoing.changes)?;
                    self.store.mark_acknowledged(household, &outgoing.heads)?;
                    self.summary.households_sent += 1;
                    done += 1;
                    continue;
                }
                size += bytes;
                request.households.push(HouseholdChanges { household, changes: outgoing.changes });
                finishing.push((household, outgoing.heads));
            }
            if request.households.is_empty() {
                continue;
            }
            let response = self.retrying(|t| t.push(&request))?;
            let outcomes: BTreeMap<Uuid, PushOutcome> = response.results.into_iter().collect();
            for (household, heads) in finishing {
                match outcomes.get(&household) {
                    Some(PushOutcome::Applied { new_changes, .. }) => {
                        self.summary.changes_accepted += *new_changes as usize;
                        self.store.mark_acknowledged(household, &heads)?;
                        self.summary.households_sent += 1;
                        done += 1;
                    }
                    Some(PushOutcome::NeedHistory) if resent.insert(household) => {
                        // The server lacks earlier history (restored from an older backup): offer everything.
                        self.store.forget_acknowledged(household)?;
                        queue.push_back(household);
                    }
                    _ => {
                        return Err(SyncError::Protocol(format!("服务器没有确认户 {household} 的更改")));
                    }
                }
            }
            (self.progress)(&SyncProgress::Pushing { done, total });
        }
        Ok(())
    }

    fn push_in_parts(&mut self, household: Uuid, changes: Vec<Vec<u8>>) -> Result<(), SyncError> {
        let mut part: Vec<Vec<u8>> = Vec::new();
        let mut size = 0;
        let mut parts = Vec::new();
        for change in changes {
            if !part.is_empty() && size + change.len() > protocol::PUSH_BATCH_BYTES {
                parts.push(std::mem::take(&mut part));
                size = 0;
            }
            size += change.len();
            part.push(change);
        }
        parts.push(part);
        for changes in parts {
            let request = PushRequest { households: vec![HouseholdChanges { household, changes }] };
            let response = self.retrying(|t| t.push(&request))?;
            match response.results.first() {
                Some((_, PushOutcome::Applied { new_changes, .. })) => {
                    self.summary.changes_accepted += *new_changes as usize
                }
                _ => return Err(SyncError::Protocol(format!("服务器没有确认户 {household} 的更改"))),
            }
        }
        Ok(())
    }

    fn upload_photos(&mut self) -> Result<(), SyncError> {
        let candidates = self.store.photos_to_upload()?;
        if candidates.is_empty() {
            return Ok(());
        }
        let mut missing = Vec::new();
        for batch in candidates.chunks(protocol::MAX_PHOTO_QUERY) {
            let query = PhotoQuery { sha256: batch.to_vec() };
            let answer = self.retrying(|t| t.photos_missing(&query))?;
            for sha in batch {
                if answer.sha256.contains(sha) {
                    missing.push(sha.clone());
                } else {
                    self.store.mark_photo_sent(sha)?;
                }
            }
        }
        let total = missing.len();
        (self.progress)(&SyncProgress::UploadingPhotos { done: 0, total });
        for (index, sha) in missing.iter().enumerate() {
            let bytes = self.store.photo_bytes(sha)?;
            self.upload_one(sha, &bytes)?;
            self.store.mark_photo_sent(sha)?;
            self.summary.photos_sent += 1;
            (self.progress)(&SyncProgress::UploadingPhotos { done: index + 1, total });
        }
        Ok(())
    }

    /// Uploads a photo in chunks from wherever the server's copy stops, so a cut never re-sends what arrived.
    fn upload_one(&mut self, sha: &str, bytes: &[u8]) -> Result<(), SyncError> {
        let total = bytes.len() as u64;
        let mut state = self.retrying(|t| t.upload_state(sha))?;
        let mut stalls = 0;
        while !state.complete {
            let start = state.received.min(total) as usize;
            let end = (start + protocol::PHOTO_CHUNK_BYTES).min(bytes.len());
            match self.transport.upload_chunk(sha, start as u64, total, &bytes[start..end]) {
                Ok(next) => {
                    state = next;
                    stalls = 0;
                }
                Err(e) if (e.is_transient() || e.code() == protocol::codes::OFFSET_MISMATCH) => {
                    // After a cut the server may hold more or less than we think: ask, then go on from there.
                    stalls += 1;
                    if stalls > self.options.retries {
                        return Err(e);
                    }
                    self.summary.retries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(self.options.retry_pause_ms));
                    state = self.retrying(|t| t.upload_state(sha))?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn pull(&mut self) -> Result<(), SyncError> {
        let mut received = 0;
        loop {
            let request = PullRequest { after: self.store.pull_cursor()?, max_bytes: protocol::PULL_PAGE_BYTES };
            let page = self.retrying(|t| t.pull(&request))?;
            received += page.changes.len();
            let mut grouped: Vec<(Uuid, Vec<Vec<u8>>)> = Vec::new();
            for change in page.changes {
                match grouped.last_mut() {
                    Some((household, changes)) if *household == change.household => changes.push(change.bytes),
                    _ => grouped.push((change.household, vec![change.bytes])),
                }
            }
            let applied = self.store.apply_remote(&grouped, true, Some(page.next), self.at)?;
            self.count_received(&applied);
            for household in applied.incomplete {
                self.fetch_whole(household)?;
            }
            (self.progress)(&SyncProgress::Pulling { changes: received });
            if !page.more {
                return Ok(());
            }
        }
    }

    fn count_received(&mut self, applied: &hudang_store::RemoteApply) {
        self.summary.households_received += applied.changed.len();
        self.summary.households_new += applied.created;
        self.summary.changes_received += applied.new_changes;
    }

    /// Fetches a household's whole document when the changes received build on history this device lacks.
    fn fetch_whole(&mut self, household: Uuid) -> Result<(), SyncError> {
        let bytes = self.retrying(|t| t.household(household))?;
        let changes = changes_of_document(&bytes)?;
        let applied = self.store.apply_remote(&[(household, changes)], true, None, self.at)?;
        if !applied.incomplete.is_empty() {
            return Err(SyncError::Protocol(format!("服务器上户 {household} 的记录不完整")));
        }
        self.count_received(&applied);
        Ok(())
    }

    fn download_photos(&mut self) -> Result<(), SyncError> {
        let missing = self.store.missing_photos()?;
        let total = missing.len();
        if total == 0 {
            return Ok(());
        }
        (self.progress)(&SyncProgress::DownloadingPhotos { done: 0, total });
        let folder = self.store.dir().join("downloads");
        std::fs::create_dir_all(&folder).map_err(|e| SyncError::Local(format!("无法创建下载目录：{e}")))?;
        for (index, photo) in missing.iter().enumerate() {
            match self.download_one(&folder, &photo.sha256) {
                Ok(()) => self.summary.photos_received += 1,
                Err(SyncError::Server { status: 404, .. }) => self.summary.photos_unavailable += 1,
                Err(e) => return Err(e),
            }
            (self.progress)(&SyncProgress::DownloadingPhotos { done: index + 1, total });
        }
        Ok(())
    }

    /// Downloads into a partial file that survives a cut, then verifies the hash before the store takes it.
    fn download_one(&mut self, folder: &std::path::Path, sha: &str) -> Result<(), SyncError> {
        if !protocol::is_sha256_hex(sha) {
            return Err(SyncError::Protocol(format!("照片编号无效：{sha}")));
        }
        let partial = folder.join(format!("{sha}.part"));
        let local = |e: std::io::Error| SyncError::Local(format!("写入照片失败：{e}"));
        let mut attempts = 0;
        loop {
            let offset = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
            if offset > protocol::MAX_PHOTO_BYTES {
                std::fs::remove_file(&partial).map_err(local)?;
                return Err(SyncError::Protocol(format!("照片 {sha} 超过大小上限")));
            }
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&partial).map_err(local)?;
            let result = self.transport.download(sha, offset, &mut file);
            file.flush().map_err(local)?;
            match result {
                Ok(_) => break,
                Err(e) if e.is_transient() && attempts < self.options.retries => {
                    attempts += 1;
                    self.summary.retries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(self.options.retry_pause_ms));
                }
                Err(e) => return Err(e),
            }
        }
        let bytes = std::fs::read(&partial).map_err(local)?;
        let stored = self.store.add_photo_bytes(sha, &bytes, true, self.at);
        // Whether it was stored or its bytes were wrong, the partial file has served its purpose: a wrong one
        // must not be resumed from.
        std::fs::remove_file(&partial).map_err(local)?;
        stored?;
        Ok(())
    }
}

/// The changes of a whole saved document, as raw bytes, dependencies first.
pub fn changes_of_document(bytes: &[u8]) -> Result<Vec<Vec<u8>>, SyncError> {
    let mut doc =
        automerge::AutoCommit::load(bytes).map_err(|e| SyncError::Protocol(format!("收到的户档无法读取：{e}")))?;
    Ok(doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect())
}
