//! `hudang-field`: what the field app does, one function per user action, over the device store and the sync client.
//!
//! The Tauri shell (`src-tauri`) is a thin layer of commands over [`FieldApp`]; tests call the same functions on a real
//! SQLite store and a real county server. Results are plain serde structs (the shapes in `ui/src/api/types.ts`), and
//! every failure is a [`FieldError`] that crosses to the UI as `{code, message}` with a Chinese message.
//!
//! This crate must never depend on `tauri`, never read the clock and never make random ids: the shell passes the time
//! and fresh ids in, so every action here is deterministic under test.

mod dto;
mod error;

pub use dto::*;
pub use error::{ErrorDto, FieldError};
pub use hudang_record::HistoryEntry;

use chrono::{DateTime, NaiveDate, Utc};
use hudang_domain::{
    Area, Household, IdType, Income, InspectionItem, Member, Relation, SignerRole, idcard, signing_blockers,
};
use hudang_store::{PhotoTarget, Store, StoreError};
use hudang_sync::{SyncOptions, SyncProgress, SyncSummary, Transport};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The result type of this crate.
pub type Result<T, E = FieldError> = std::result::Result<T, E>;

/// The field app's state: where its data lives and the store once there is one.
pub struct FieldApp {
    dir: PathBuf,
    store: Option<Store>,
    default_server: Option<String>,
    export_dir: PathBuf,
}

impl std::fmt::Debug for FieldApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldApp").field("dir", &self.dir).field("open", &self.store.is_some()).finish()
    }
}

impl FieldApp {
    /// Opens the app's data directory; a directory without a store is a first run (see [`FieldApp::state`]).
    pub fn open(dir: &Path, default_server: Option<String>, export_dir: PathBuf) -> Result<FieldApp> {
        let store = if dir.join(hudang_store::DB_FILE).exists() {
            Some(hudang_cli::open_store(dir).map_err(FieldError::from_anyhow)?)
        } else {
            None
        };
        Ok(FieldApp { dir: dir.to_path_buf(), store, default_server, export_dir })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn store(&self) -> Result<&Store> {
        self.store.as_ref().ok_or(FieldError::NotInitialised)
    }

    fn store_mut(&mut self) -> Result<&mut Store> {
        self.store.as_mut().ok_or(FieldError::NotInitialised)
    }

    /// The store, for callers (benchmarks, tests) that need more than the app's actions.
    pub fn store_ref(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// What the first screen needs to know: is there a store, who is signed in, is the device enrolled.
    pub fn state(&self, today: NaiveDate) -> Result<AppState> {
        let mut state = AppState {
            initialised: self.store.is_some(),
            data_dir: self.dir.display().to_string(),
            device_id: None,
            device_name: None,
            user: None,
            enrolled: false,
            server_url: None,
            role: None,
            villages: Vec::new(),
            default_server: self.default_server.clone(),
            default_export_dir: self.export_dir.display().to_string(),
            today: today.to_string(),
            household_count: 0,
        };
        if let Some(store) = &self.store {
            let identity = store.identity();
            state.device_id = Some(identity.device_id.to_string());
            state.device_name = Some(format!("设备 {}", &identity.device_id.to_string()[..8]));
            state.user = Some(identity.user.clone());
            state.household_count = store.household_ids()?.len();
            if let Some(settings) = store.sync_settings()? {
                state.enrolled = !settings.token.is_empty();
                state.server_url = Some(settings.server_url);
                state.role = Some(settings.role);
                state.villages = settings.villages;
            }
        }
        Ok(state)
    }

    fn ensure_store(&mut self, user: &str) -> Result<&mut Store> {
        if self.store.is_none() {
            let user = user.trim();
            if user.is_empty() {
                return Err(FieldError::Invalid("请填写您的姓名".into()));
            }
            self.store = Some(hudang_cli::init_store(&self.dir, user).map_err(FieldError::from_anyhow)?);
        }
        self.store_mut()
    }

    /// Creates the store (if there is none) and fills it with the synthetic demo village.
    /// A store that already holds households is left as it is, so a second tap changes nothing.
    pub fn open_demo(&mut self, user: &str, options: &hudang_cli::demo::DemoOptions, at: DateTime<Utc>) -> Result<()> {
        let store = self.ensure_store(user)?;
        if !store.household_ids()?.is_empty() {
            return Ok(());
        }
        let village = hudang_cli::demo::generate(options);
        let provenance = store.provenance(at, "demo");
        for chunk in village.households.chunks(500) {
            store.create_many_as_found(chunk, &provenance)?;
        }
        for photo in &village.photos {
            store.add_photo(
                photo.household,
                photo.target.into(),
                photo.photo_id,
                &photo.jpeg,
                &photo.caption,
                &provenance,
            )?;
        }
        Ok(())
    }

    /// Creates the store if needed and enrols this device with the county server using a one-time code.
    /// The device then records changes as the user the server names.
    pub fn enrol(
        &mut self,
        transport: &dyn Transport,
        server: &str,
        code: &str,
        device_name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let server = server.trim();
        let code = code.trim();
        if server.is_empty() {
            return Err(FieldError::Invalid("请填写县级服务器地址，例如 http://192.168.1.10:8780".into()));
        }
        if code.is_empty() {
            return Err(FieldError::Invalid("请填写一次性登记码".into()));
        }
        let fresh = self.store.is_none();
        // The user's name comes back from the server; a first run starts under a placeholder until then.
        let store = self.ensure_store("待登记")?;
        let device_name = if device_name.trim().is_empty() { "平板" } else { device_name.trim() };
        match hudang_sync::enrol(store, transport, server, code, device_name, at) {
            Ok(settings) => {
                store.set_user(&settings.user_name)?;
                Ok(())
            }
            Err(error) => {
                // A failed first enrolment leaves no half-made store behind, so the first-run screen comes back.
                if fresh {
                    self.store = None;
                    remove_store_files(&self.dir);
                }
                Err(error.into())
            }
        }
    }

    /// Every household's list row with its search text, in list order.
    pub fn households(&self) -> Result<Vec<HouseholdRow>> {
        let rows = self.store()?.rows_with_search()?;
        Ok(rows.into_iter().map(|(summary, search)| HouseholdRow { summary, search }).collect())
    }

    /// One household with its findings, signing blockers and conflicts.
    pub fn household(&self, id: Uuid, today: NaiveDate) -> Result<HouseholdView> {
        let store = self.store()?;
        let household = store.household(id)?;
        let findings = store.check_household(&household, today)?;
        let conflicts = store.conflicts(Some(id))?.into_iter().map(|(_, c)| c).collect();
        let blockers = signing_blockers(&household, &findings).into_iter().cloned().collect();
        let size = household.size();
        Ok(HouseholdView { household: hudang_record::household_json(&household)?, findings, blockers, conflicts, size })
    }

    /// Registers a new household with its head as the first member.
    pub fn create_household(&mut self, input: &NewHousehold, id: Uuid, head_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        let name = input.head_name.trim();
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push("请填写户主姓名".to_string());
        }
        if input.village.trim().is_empty() {
            problems.push("请填写行政村".to_string());
        }
        let id_number = input.head_id_number.trim().to_uppercase();
        let parsed = idcard::parse_id_number(&id_number);
        if let Err(e) = &parsed {
            problems.push(format!("户主身份证号：{e}"));
        }
        if !problems.is_empty() {
            return Err(FieldError::Invalid(problems.join("；")));
        }
        let mut household = Household::new(id);
        household.area = Area {
            county: input.county.trim().to_string(),
            township: input.township.trim().to_string(),
            village: input.village.trim().to_string(),
            group: input.group.trim().to_string(),
        };
        household.address = input.address.trim().to_string();
        household.phone = input.phone.trim().to_string();
        household.head_member_id = Some(head_id);
        household.members.insert(
            head_id,
            Member {
                name: name.to_string(),
                sex: parsed.ok().map(|p| p.sex),
                id_type: Some(IdType::ResidentId),
                id_number,
                relation: Some(Relation::Head),
                phone: household.phone.clone(),
                ..Default::default()
            },
        );
        let store = self.store_mut()?;
        let provenance = store.provenance(at, "create");
        store.create_household(&household, &provenance)?;
        Ok(())
    }

    /// Writes fields by document path as one attributed change.
    pub fn set_fields(&mut self, id: Uuid, fields: &[(String, Json)], at: DateTime<Utc>) -> Result<()> {
        if fields.is_empty() {
            return Ok(());
        }
        self.refuse_if_merged(id)?;
        let store = self.store_mut()?;
        let provenance = store.provenance(at, "edit");
        store.set_fields(id, fields, &provenance)?;
        Ok(())
    }

    /// Adds an entry under a fresh id to one of a household's growing collections. `value` fills fields over the
    /// entry's defaults; visits, contacts, inspections and assessments get the time and the worker when left out.
    pub fn add_entry(
        &mut self,
        id: Uuid,
        collection: Collection,
        value: &Json,
        entry_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.refuse_if_merged(id)?;
        let store = self.store_mut()?;
        let user = store.identity().user.clone();
        let mut value = match value {
            Json::Object(map) => map.clone(),
            Json::Null => serde_json::Map::new(),
            _ => return Err(FieldError::Invalid("新增的内容格式不对".into())),
        };
        let now = Json::String(at.to_rfc3339());
        let fill = |map: &mut serde_json::Map<String, Json>, key: &str, v: Json| {
            if map.get(key).is_none_or(|x| x.is_null() || x == "") {
                map.insert(key.to_string(), v);
            }
        };
        match collection {
            Collection::Visits => {
                fill(&mut value, "visited_at", now);
                fill(&mut value, "recorded_by", Json::String(user.clone()));
                fill(&mut value, "visitors", Json::Array(vec![Json::String(user.clone())]));
            }
            Collection::Contacts => {
                fill(&mut value, "at", now);
                fill(&mut value, "recorded_by", Json::String(user.clone()));
            }
            Collection::Inspections => {
                fill(&mut value, "inspected_at", now);
                fill(&mut value, "inspected_by", Json::String(user.clone()));
            }
            Collection::Assessments => {
                fill(&mut value, "assessed_at", now);
                fill(&mut value, "assessed_by", Json::String(user.clone()));
            }
            Collection::CheckNotes => fill(&mut value, "by", Json::String(user.clone())),
            Collection::Members
            | Collection::Conditions
            | Collection::Incomes
            | Collection::Helpers
            | Collection::StatusChanges => {}
        }
        let value = Json::Object(value);
        let provenance = store.provenance(at, collection.action());
        store.edit_household(id, &provenance, |household| {
            // The entry goes through the domain type, so a wrong field type is refused with the field's name and
            // every nested part of the entry exists from its first change.
            let mut tree = hudang_record::household_json(household).map_err(StoreError::Record)?;
            tree[collection.key()][entry_id.to_string()] = value;
            *household = serde_json::from_value(tree)
                .map_err(|e| StoreError::InvalidInput(vec![format!("{}的内容有误：{e}", collection.label())]))?;
            Ok(())
        })?;
        Ok(())
    }

    /// Per-capita net income of a draft income record, by the domain's rule, with the year's line.
    pub fn income_preview(&self, id: Uuid, income: &Income) -> Result<IncomePreview> {
        let store = self.store()?;
        let household = store.household(id)?;
        let size = household.size();
        let line = store.policy().line_for(income.year);
        let per_capita = income.per_capita_fen(size);
        Ok(IncomePreview {
            net_fen: income.net_fen(),
            per_capita_fen: per_capita,
            size,
            line_fen: line.map(|(_, fen)| fen),
            line_kind: line.map(|(kind, _)| line_kind_label(kind).to_string()),
            below_line: line.zip(per_capita).map(|((_, line), pc)| pc < line),
        })
    }

    /// A file the county merged into another is closed to new work on the tablet, so nothing lands in a file the
    /// county no longer counts.
    fn refuse_if_merged(&self, id: Uuid) -> Result<()> {
        if self.store()?.is_merged(id)? { Err(FieldError::Merged) } else { Ok(()) }
    }

    /// Stores a photo for a visit or a 六看一问 item, resized on the device.
    pub fn add_photo(
        &mut self,
        id: Uuid,
        target: &PhotoTargetDto,
        bytes: &[u8],
        caption: &str,
        photo_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let target = match target {
            PhotoTargetDto::Visit { visit_id } => PhotoTarget::Visit(*visit_id),
            PhotoTargetDto::Inspection { inspection_id, item } => {
                let item: InspectionItem =
                    item.parse().map_err(|e: hudang_domain::UnknownCode| FieldError::Invalid(e.to_string()))?;
                PhotoTarget::Inspection(*inspection_id, item)
            }
        };
        self.refuse_if_merged(id)?;
        let store = self.store_mut()?;
        let provenance = store.provenance(at, "photo.add");
        store.add_photo(id, target, photo_id, bytes, caption.trim(), &provenance)?;
        Ok(())
    }

    /// A stored photo (or its thumbnail) with its MIME type.
    pub fn photo(&self, sha256: &str, thumbnail: bool) -> Result<(&'static str, Vec<u8>)> {
        let store = self.store()?;
        if thumbnail {
            Ok(("image/jpeg", store.thumbnail_bytes(sha256)?))
        } else {
            let bytes = store.photo_bytes(sha256)?;
            let mime = if bytes.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
            Ok((mime, bytes))
        }
    }

    /// Signs a household as 调查人 or 户主 with a signature drawn on screen; refused while checks report errors.
    pub fn sign(
        &mut self,
        id: Uuid,
        role: &str,
        name: &str,
        png: &[u8],
        signature_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let role: SignerRole =
            role.parse().map_err(|e: hudang_domain::UnknownCode| FieldError::Invalid(e.to_string()))?;
        if png.is_empty() {
            return Err(FieldError::Invalid("请先在签字框内签字".into()));
        }
        self.refuse_if_merged(id)?;
        let store = self.store_mut()?;
        let provenance = store.provenance(at, "sign");
        store.sign(id, signature_id, role, name, png, &provenance)?;
        Ok(())
    }

    /// Settles a conflict with the chosen or typed value, as an attributed change.
    pub fn resolve_conflict(&mut self, id: Uuid, path: &str, value: &Json, at: DateTime<Utc>) -> Result<()> {
        let store = self.store_mut()?;
        let provenance = store.provenance(at, "resolve");
        store.resolve_conflict(id, path, value, &provenance)?;
        Ok(())
    }

    /// Every open conflict on this device, with the household it belongs to.
    pub fn conflicts(&self) -> Result<Vec<ConflictRow>> {
        let store = self.store()?;
        // A household with several disputed fields is read once, not once per field.
        let mut places: std::collections::HashMap<Uuid, (String, String, String)> = std::collections::HashMap::new();
        let mut rows = Vec::new();
        for (household_id, conflict) in store.conflicts(None)? {
            let (head_name, village, group) = match places.get(&household_id) {
                Some(place) => place.clone(),
                None => {
                    let h = store.household(household_id)?;
                    let place = (h.head_name().to_string(), h.area.village.clone(), h.area.group.clone());
                    places.insert(household_id, place.clone());
                    place
                }
            };
            rows.push(ConflictRow { household_id, head_name, village, group, conflict });
        }
        Ok(rows)
    }

    /// A household's history, oldest first.
    pub fn history(&self, id: Uuid) -> Result<Vec<hudang_record::HistoryEntry>> {
        Ok(self.store()?.history(id)?)
    }

    /// Syncs with the county server through `transport`, reporting progress; the account says what went each way.
    pub fn sync(
        &mut self,
        transport: &dyn Transport,
        progress: &mut dyn FnMut(&SyncProgress),
        at: DateTime<Utc>,
    ) -> Result<SyncReport> {
        Ok(sync_store(self.store_mut()?, transport, progress, at))
    }

    /// The transport to this device's county server.
    pub fn transport(&self) -> Result<hudang_sync::HttpTransport> {
        Ok(hudang_sync::transport_for(self.store()?)?)
    }

    /// Writes a bundle of every household (or only what came after an earlier bundle) to `path`, atomically.
    pub fn export_bundle(
        &self,
        path: &Path,
        since: Option<&Path>,
        bundle_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<BundleExport> {
        let store = self.store()?;
        let since = match since {
            Some(earlier) => {
                let bytes = std::fs::read(earlier)
                    .map_err(|e| FieldError::Invalid(format!("无法读取之前的数据包 {}：{e}", earlier.display())))?;
                Some(hudang_protocol::Bundle::decode(&bytes).map_err(hudang_sync::SyncError::from)?.manifest)
            }
            None => None,
        };
        let bundle = hudang_sync::export_bundle(store, since.as_ref(), bundle_id, at)?;
        let bytes = bundle.encode();
        write_atomically(path, &bytes)?;
        Ok(BundleExport {
            path: path.display().to_string(),
            households: bundle.households.len(),
            changes: bundle.manifest.change_count as usize,
            photos: bundle.manifest.photo_count as usize,
            bytes: bytes.len() as u64,
        })
    }

    /// Imports a bundle: checked whole first, so a damaged or altered file changes nothing.
    pub fn import_bundle(&mut self, bytes: &[u8], at: DateTime<Utc>) -> Result<BundleImportDto> {
        let store = self.store_mut()?;
        let done = hudang_sync::import_bundle(store, bytes, at)?;
        let conflicts = store.conflicts(None)?.len();
        let mut lines = vec![
            format!("数据包由 {} 于 {} 导出", done.made_by, done.made_at.format("%Y-%m-%d %H:%M")),
            format!(
                "导入 {} 户有更新（其中新户 {} 户），新更改 {} 条",
                done.households_changed, done.households_new, done.changes_new
            ),
        ];
        if done.households_changed == 0 {
            lines.push("本设备已有这个数据包的全部内容，没有任何改动".into());
        }
        if conflicts > 0 {
            lines.push(format!("本设备有 {conflicts} 处冲突待处理，请到“冲突”页逐项确认"));
        }
        Ok(BundleImportDto { lines })
    }
}

/// Syncs one store with its county server. The app runs this on a second connection to the same database, so the
/// screens stay usable (and editable: SQLite's WAL lets them write between sync's short transactions) during a long sync.
pub fn sync_store(
    store: &mut Store,
    transport: &dyn Transport,
    progress: &mut dyn FnMut(&SyncProgress),
    at: DateTime<Utc>,
) -> SyncReport {
    let options = SyncOptions { download_photos: true, ..SyncOptions::default() };
    let outcome = hudang_sync::sync(store, transport, options, progress, at);
    let error = outcome.error.map(|e| ErrorDto { code: e.code(), message: e.to_string() });
    let lines = sync_account(&outcome.summary, error.as_ref());
    SyncReport { summary: outcome.summary, error, lines }
}

/// Opens a second connection to the store in `dir` and syncs it with the server it is enrolled with.
pub fn sync_dir(dir: &Path, progress: &mut dyn FnMut(&SyncProgress), at: DateTime<Utc>) -> Result<SyncReport> {
    let mut store = hudang_cli::open_store(dir).map_err(FieldError::from_anyhow)?;
    let transport = hudang_sync::transport_for(&store)?;
    Ok(sync_store(&mut store, &transport, progress, at))
}

/// The code lists, checklist items and 民族 table the forms offer.
pub fn code_lists(store: Option<&Store>) -> CodeLists {
    let policy = match store {
        Some(store) => store.policy().clone(),
        None => hudang_domain::Policy::builtin(),
    };
    CodeLists::new(&policy)
}

/// The plain account of a sync, one sentence a line.
pub fn sync_account(s: &SyncSummary, error: Option<&ErrorDto>) -> Vec<String> {
    let mut lines = Vec::new();
    if s.changes_sent == 0 && s.photos_sent == 0 {
        lines.push("本设备没有需要上传的修改".to_string());
    } else {
        lines.push(format!(
            "已上传 {} 户的 {} 条修改（服务器新收 {} 条），{} 张照片",
            s.households_sent, s.changes_sent, s.changes_accepted, s.photos_sent
        ));
    }
    if s.changes_received == 0 && s.photos_received == 0 {
        lines.push("服务器上没有其他设备的新修改".to_string());
    } else {
        lines.push(format!(
            "已下载 {} 户的更新（其中新户 {} 户），{} 条修改，{} 张照片",
            s.households_received, s.households_new, s.changes_received, s.photos_received
        ));
    }
    if s.photos_unavailable > 0 {
        lines.push(format!("另有 {} 张照片服务器上还没有（拍摄的设备尚未上传），下次同步再取", s.photos_unavailable));
    }
    if s.conflicts_open > 0 {
        lines.push(format!("有 {} 处冲突待处理：两人改了同一项，请到“冲突”页选择正确的值", s.conflicts_open));
    }
    if s.retries > 0 {
        lines.push(format!("网络不稳，自动重试了 {} 次", s.retries));
    }
    lines.push(format!("流量：上传 {}，下载 {}", human_bytes(s.bytes_sent), human_bytes(s.bytes_received)));
    if let Some(error) = error {
        lines.push(format!("同步未完成：{}", error.message));
    }
    lines
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} 字节"),
    }
}

fn line_kind_label(kind: hudang_domain::policy::LineKind) -> &'static str {
    match kind {
        hudang_domain::policy::LineKind::PovertyLine => "贫困线",
        hudang_domain::policy::LineKind::MonitoringThreshold => "防返贫监测标准",
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let problem = |e: std::io::Error| FieldError::Invalid(format!("无法写入 {}：{e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(problem)?;
    }
    let partial = path.with_extension("hudang.part");
    std::fs::write(&partial, bytes).map_err(problem)?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(problem)?;
    std::fs::rename(&partial, path).map_err(problem)?;
    Ok(())
}

fn remove_store_files(dir: &Path) {
    for name in [
        hudang_store::DB_FILE.to_string(),
        format!("{}-wal", hudang_store::DB_FILE),
        format!("{}-shm", hudang_store::DB_FILE),
    ] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}
