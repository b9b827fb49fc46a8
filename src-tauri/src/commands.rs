//! The IPC commands: argument decoding, the clock and fresh ids, then one call on [`FieldApp`].
//!
//! Every command is `async` and does its work on a blocking thread, so a slow disk or a long sync never freezes the
//! window (Tauri runs plain commands on the main thread).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Local, NaiveDate, Utc};
use hudang_field::{
    AppState, BundleExport, BundleImportDto, CodeLists, Collection, ConflictRow, ErrorDto, FieldApp, FieldError,
    HouseholdRow, HouseholdView, IncomePreview, NewHousehold, PhotoTargetDto, SyncReport,
};
use hudang_sync::SyncProgress;
use serde_json::Value as Json;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::State;
use tauri::ipc::Channel;
use uuid::Uuid;

/// The app's state shared by every command.
pub struct Shared {
    app: Arc<Mutex<FieldApp>>,
}

impl Shared {
    pub fn new(app: FieldApp) -> Shared {
        Shared { app: Arc::new(Mutex::new(app)) }
    }
}

type Reply<T> = Result<T, ErrorDto>;

fn now() -> DateTime<Utc> {
    hudang_cli::now()
}

fn today() -> NaiveDate {
    // The worker's calendar day, not UTC's: a visit at 07:00 in Yunnan is still today there.
    match std::env::var("HUDANG_NOW") {
        Ok(_) => now().with_timezone(&Local).date_naive(),
        Err(_) => Local::now().date_naive(),
    }
}

fn new_id() -> Uuid {
    hudang_cli::new_id()
}

fn failure(error: FieldError) -> ErrorDto {
    ErrorDto::from(&error)
}

fn invalid(message: impl Into<String>) -> ErrorDto {
    failure(FieldError::Invalid(message.into()))
}

fn parse_id(text: &str) -> Reply<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| invalid(format!("编号“{text}”格式不对")))
}

fn decode_base64(text: &str, what: &str) -> Reply<Vec<u8>> {
    let text = text.split_once("base64,").map(|(_, data)| data).unwrap_or(text);
    BASE64.decode(text.trim()).map_err(|_| invalid(format!("{what}的数据已损坏，请重新选择")))
}

/// Runs `work` on a blocking thread with the app locked.
async fn with_app<T, F>(shared: &State<'_, Shared>, work: F) -> Reply<T>
where
    T: Send + 'static,
    F: FnOnce(&mut FieldApp) -> Result<T, FieldError> + Send + 'static,
{
    let app = shared.app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        // A panic in an earlier command poisons the lock; the store itself is consistent (every write is one
        // SQLite transaction), so carry on with it rather than leave the app unusable.
        let mut app = app.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut app).map_err(failure)
    })
    .await
    .map_err(|e| failure(FieldError::Other { code: "app.internal".into(), message: format!("内部错误：{e}") }))?
}

async fn view_after<F>(shared: &State<'_, Shared>, id: Uuid, work: F) -> Reply<HouseholdView>
where
    F: FnOnce(&mut FieldApp) -> Result<(), FieldError> + Send + 'static,
{
    with_app(shared, move |app| {
        work(app)?;
        app.household(id, today())
    })
    .await
}

#[tauri::command]
pub async fn app_state(shared: State<'_, Shared>) -> Reply<AppState> {
    with_app(&shared, |app| app.state(today())).await
}

#[tauri::command]
pub async fn open_demo(shared: State<'_, Shared>, user: String) -> Reply<AppState> {
    with_app(&shared, move |app| {
        let options = hudang_cli::demo::DemoOptions { today: today(), ..Default::default() };
        app.open_demo(&user, &options, now())?;
        app.state(today())
    })
    .await
}

#[tauri::command]
pub async fn enrol(shared: State<'_, Shared>, server: String, code: String, device_name: String) -> Reply<AppState> {
    with_app(&shared, move |app| {
        let transport = hudang_sync::HttpTransport::new(server.trim(), None)?;
        app.enrol(&transport, &server, &code, &device_name, now())?;
        app.state(today())
    })
    .await
}

#[tauri::command]
pub async fn code_lists(shared: State<'_, Shared>) -> Reply<CodeLists> {
    with_app(&shared, |app| Ok(hudang_field::code_lists(app.store_ref()))).await
}

#[tauri::command]
pub async fn households(shared: State<'_, Shared>) -> Reply<Vec<HouseholdRow>> {
    with_app(&shared, |app| app.households()).await
}

#[tauri::command]
pub async fn household(shared: State<'_, Shared>, id: String) -> Reply<HouseholdView> {
    let id = parse_id(&id)?;
    with_app(&shared, move |app| app.household(id, today())).await
}

#[tauri::command]
pub async fn create_household(shared: State<'_, Shared>, input: NewHousehold) -> Reply<String> {
    with_app(&shared, move |app| {
        let (id, head) = (new_id(), new_id());
        app.create_household(&input, id, head, now())?;
        Ok(id.to_string())
    })
    .await
}

#[tauri::command]
pub async fn set_fields(shared: State<'_, Shared>, id: String, fields: Vec<(String, Json)>) -> Reply<HouseholdView> {
    let id = parse_id(&id)?;
    view_after(&shared, id, move |app| app.set_fields(id, &fields, now())).await
}

/// What `add_entry` returns: the new entry's id and the household as it now is.
#[derive(serde::Serialize)]
pub struct AddedEntry {
    entry_id: Uuid,
    view: HouseholdView,
}

#[tauri::command]
pub async fn add_entry(
    shared: State<'_, Shared>,
    id: String,
    collection: Collection,
    value: Json,
) -> Reply<AddedEntry> {
    let id = parse_id(&id)?;
    let entry_id = new_id();
    let view = view_after(&shared, id, move |app| app.add_entry(id, collection, &value, entry_id, now())).await?;
    Ok(AddedEntry { entry_id, view })
}

#[tauri::command]
pub async fn income_preview(
    shared: State<'_, Shared>,
    id: String,
    income: hudang_domain::Income,
) -> Reply<IncomePreview> {
    let id = parse_id(&id)?;
    with_app(&shared, move |app| app.income_preview(id, &income)).await
}

#[tauri::command]
pub async fn add_photo(
    shared: State<'_, Shared>,
    id: String,
    target: PhotoTargetDto,
    base64: String,
    caption: String,
) -> Reply<HouseholdView> {
    let id = parse_id(&id)?;
    let bytes = decode_base64(&base64, "照片")?;
    view_after(&shared, id, move |app| app.add_photo(id, &target, &bytes, &caption, new_id(), now())).await
}

#[tauri::command]
pub async fn photo_url(shared: State<'_, Shared>, sha256: String, thumbnail: bool) -> Reply<String> {
    with_app(&shared, move |app| {
        let (mime, bytes) = app.photo(&sha256, thumbnail)?;
        Ok(format!("data:{mime};base64,{}", BASE64.encode(bytes)))
    })
    .await
}

#[tauri::command]
pub async fn sign(
    shared: State<'_, Shared>,
    id: String,
    role: String,
    name: String,
    png_base64: String,
) -> Reply<HouseholdView> {
    let id = parse_id(&id)?;
    let png = decode_base64(&png_base64, "签名")?;
    view_after(&shared, id, move |app| app.sign(id, &role, &name, &png, new_id(), now())).await
}

#[tauri::command]
pub async fn resolve_conflict(
    shared: State<'_, Shared>,
    id: String,
    path: String,
    value: Json,
) -> Reply<HouseholdView> {
    let id = parse_id(&id)?;
    view_after(&shared, id, move |app| app.resolve_conflict(id, &path, &value, now())).await
}

#[tauri::command]
pub async fn conflicts(shared: State<'_, Shared>) -> Reply<Vec<ConflictRow>> {
    with_app(&shared, |app| app.conflicts()).await
}

#[tauri::command]
pub async fn history(shared: State<'_, Shared>, id: String) -> Reply<Vec<hudang_field::HistoryEntry>> {
    let id = parse_id(&id)?;
    with_app(&shared, move |app| app.history(id)).await
}

#[tauri::command]
pub async fn sync(shared: State<'_, Shared>, on_progress: Channel<SyncProgress>) -> Reply<SyncReport> {
    // The sync runs on its own connection to the database, so the other screens keep working meanwhile.
    let dir: PathBuf = {
        let app = shared.app.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if app.store_ref().is_none() {
            return Err(failure(FieldError::NotInitialised));
        }
        app.dir().to_path_buf()
    };
    tauri::async_runtime::spawn_blocking(move || {
        let mut progress = |p: &SyncProgress| {
            // A closed window drops the channel; the sync still finishes and saves.
            let _ = on_progress.send(p.clone());
        };
        hudang_field::sync_dir(&dir, &mut progress, now()).map_err(failure)
    })
    .await
    .map_err(|e| failure(FieldError::Other { code: "app.internal".into(), message: format!("内部错误：{e}") }))?
}

#[tauri::command]
pub async fn export_bundle(shared: State<'_, Shared>, path: String, since: Option<String>) -> Reply<BundleExport> {
    let path = path.trim().to_string();
    if path.is_empty() {
        return Err(invalid("请填写导出文件的位置"));
    }
    with_app(&shared, move |app| {
        let since = since.filter(|s| !s.trim().is_empty()).map(|s| PathBuf::from(s.trim()));
        app.export_bundle(&PathBuf::from(&path), since.as_deref(), new_id(), now())
    })
    .await
}

#[tauri::command]
pub async fn import_bundle(shared: State<'_, Shared>, base64: String) -> Reply<BundleImportDto> {
    let bytes = decode_base64(&base64, "数据包")?;
    with_app(&shared, move |app| app.import_bundle(&bytes, now())).await
}
