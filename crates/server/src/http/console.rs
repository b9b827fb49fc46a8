//! The county console's routes under `/api/console` (see `docs/console-api.md`), its session cookie, and its
//! built pages.
//!
//! Handlers decode, read the clock and make secrets, then call [`crate::console`] off the async threads. The
//! session cookie is HttpOnly and SameSite=Strict, and every POST must say `Content-Type: application/json`, so
//! another site can neither read the session nor make a logged-in browser send a form here.

use super::{ApiError, ApiResult, AppState, blocking, read_body};
use crate::console::{self, FindingQuery, HouseholdQuery, NewUser, ResolveItem};
use crate::error::ServerError;
use crate::export::{self, ExportKind};
use crate::storage::ConsoleSession;
use argon2::password_hash::SaltString;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hudang_protocol::{MAX_JSON_BYTES, Village};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use uuid::Uuid;

/// Runs a console action on a blocking thread with the server's storage, and answers what it returns as JSON.
async fn answer<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn crate::storage::Storage) -> Result<T, ServerError> + Send + 'static,
) -> ApiResult<Response> {
    let storage = state.storage.clone();
    Ok(Json(blocking(move || work(storage.as_ref())).await?).into_response())
}

/// The session cookie's name.
pub const COOKIE: &str = "hudang_console";

/// The console's routes, relative to `/api/console`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/password", post(change_password))
        .route("/overview", get(overview))
        .route("/conflicts", get(conflicts))
        .route("/conflicts/resolve", post(resolve))
        .route("/duplicates", get(duplicates))
        .route("/duplicates/merge", post(merge))
        .route("/findings", get(findings))
        .route("/households", get(households))
        .route("/households/{id}", get(household))
        .route("/photos/{sha256}", get(photo))
        .route("/export/{file}", get(export_file))
        .route("/villages", get(villages).post(add_village))
        .route("/users", get(users).post(add_user))
        .route("/users/{id}/revoke", post(revoke_user))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/villages", post(set_user_villages))
        .route("/devices", get(devices))
        .route("/devices/{id}/revoke", post(revoke_device))
        .route("/enrol-codes", get(enrol_codes).post(create_enrol_code))
        .route("/enrol-codes/{id}/revoke", post(revoke_enrol_code))
        .fallback(|| async { ApiError(ServerError::NotFound("没有这个接口".into())) })
        .layer(axum::middleware::from_fn(json_posts_only))
}

/// Every console POST must be `application/json`, including those without a body (logout, revoke): a plain HTML
/// form from another page on the same site cannot send that, so it cannot make a logged-in browser act.
async fn json_posts_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.method() == axum::http::Method::POST && !is_json(request.headers()) {
        return ApiError(ServerError::Malformed("请求内容应为 JSON（Content-Type: application/json）".into()))
            .into_response();
    }
    next.run(request).await
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"))
}

/// What `/` answers when the console's pages were not built or not found.
pub(super) async fn not_installed() -> Response {
    let page = "<!doctype html><meta charset=utf-8><title>户档县级控制台</title>\
        <p>户档县级服务器正在运行，但没有找到控制台页面。</p>\
        <p>请先构建控制台（在 ui 目录运行 <code>npm run build:console</code>），\
        再用 <code>hudang-server serve --console ui/dist-console</code> 启动。</p>";
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

/// The console session of a request, from its cookie, checked against storage on every request.
#[derive(Debug)]
pub struct ConsoleAuth(pub ConsoleSession);

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, token)| token.trim().to_string())
}

impl FromRequestParts<AppState> for ConsoleAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = cookie_token(&parts.headers);
        let storage = state.storage.clone();
        let now = (state.clock)();
        let session = blocking(move || console::session(storage.as_ref(), token.as_deref(), now)).await?;
        Ok(ConsoleAuth(session))
    }
}

/// Reads a JSON body of bounded size; anything but `application/json` is refused (see the module doc).
async fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> ApiResult<T> {
    if !is_json(headers) {
        return Err(ApiError(ServerError::Malformed("请求内容应为 JSON（Content-Type: application/json）".into())));
    }
    let bytes = read_body(headers, body, MAX_JSON_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError(ServerError::Malformed(format!("请求内容无法读取：{e}"))))
}

fn salt() -> SaltString {
    let mut bytes = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt")
}

fn parse_id(text: &str, what: &str) -> Result<Uuid, ServerError> {
    Uuid::parse_str(text.trim()).map_err(|_| ServerError::NotFound(format!("{what} {text}")))
}

fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"))
        .expect("a hex token makes a valid header")
}

#[derive(Deserialize)]
struct LoginRequest {
    name: String,
    password: String,
}

async fn login(State(state): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let request: LoginRequest = json_body(&headers, body).await?;
    let token = crate::accounts::new_token(&mut rand::rng());
    let now = (state.clock)();
    let storage = state.storage.clone();
    let cookie_token = token.clone();
    let me = blocking(move || console::login(storage.as_ref(), &request.name, &request.password, &token, now)).await?;
    let cookie = session_cookie(&cookie_token, console::SESSION_HOURS * 3600, state.tls);
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie_token(&headers) {
        let storage = state.storage.clone();
        blocking(move || console::logout(storage.as_ref(), &token)).await?;
    }
    let cookie = session_cookie("", 0, state.tls);
    Ok(([(header::SET_COOKIE, cookie)], Json(serde_json::json!({ "ok": true }))).into_response())
}

async fn me(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::me(storage, &session)).await
}

#[derive(Deserialize)]
struct PasswordChange {
    old: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let request: PasswordChange = json_body(&headers, body).await?;
    let salt = salt();
    answer(&state, move |storage| {
        console::change_own_password(storage, &session, &request.old, &request.new, &salt)
            .map(|()| serde_json::json!({ "ok": true }))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MonthQuery {
    month: Option<String>,
}

async fn overview(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Query(query): Query<MonthQuery>,
) -> ApiResult<Response> {
    let now = (state.clock)();
    let month = query.month.filter(|m| !m.trim().is_empty());
    answer(&state, move |storage| console::overview(storage, &session, month.as_deref(), now)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VillageQuery {
    village: Option<String>,
}

async fn conflicts(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Query(query): Query<VillageQuery>,
) -> ApiResult<Response> {
    let village = query.village.filter(|v| !v.trim().is_empty());
    answer(&state, move |storage| console::conflicts(storage, &session, village.as_deref())).await
}

#[derive(Deserialize)]
struct ResolveRequest {
    items: Vec<ResolveItem>,
}

async fn resolve(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let request: ResolveRequest = json_body(&headers, body).await?;
    let now = (state.clock)();
    answer(&state, move |storage| console::resolve(storage, &session, &request.items, now)).await
}

async fn duplicates(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::duplicates(storage, &session)).await
}

#[derive(Deserialize)]
struct MergeRequest {
    keep: Uuid,
    merge: Uuid,
}

async fn merge(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let request: MergeRequest = json_body(&headers, body).await?;
    let now = (state.clock)();
    answer(&state, move |storage| console::merge(storage, &session, request.keep, request.merge, now)).await
}

async fn findings(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Query(query): Query<FindingQuery>,
) -> ApiResult<Response> {
    answer(&state, move |storage| console::findings(storage, &session, &query)).await
}

async fn households(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Query(query): Query<HouseholdQuery>,
) -> ApiResult<Response> {
    answer(&state, move |storage| console::households(storage, &session, &query)).await
}

async fn household(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "户")?;
    let now = (state.clock)();
    answer(&state, move |storage| console::household_file(storage, &session, id, now)).await
}

async fn photo(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    let sha256 = super::photo_id(&sha256)?;
    let storage = state.storage.clone();
    let bytes = blocking(move || {
        if !console::photo_visible(storage.as_ref(), &session, &sha256)? {
            return Err(ServerError::NotFound(format!("照片 {}", &sha256[..12])));
        }
        storage.read_photo(&sha256, 0)
    })
    .await?;
    // Photos are JPEG; signatures drawn on the tablet are PNG.
    let content_type = if bytes.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Named by content, so never stale; but kept only briefly, as office PCs are shared and a user's
            // villages can change.
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=600")),
        ],
        bytes,
    )
        .into_response())
}

/// Bytes gathered before a piece of the workbook is handed to the response.
const STREAM_CHUNK: usize = 64 * 1024;

/// A `Write` that hands what is written to the response body in pieces, from a blocking thread. When the client
/// has gone, writing fails, so the export stops instead of finishing a file nobody reads.
struct BodyWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl BodyWriter {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(STREAM_CHUNK)));
        self.sender
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "下载已中断"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= STREAM_CHUNK {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        let _ = self.send_buffer();
    }
}

/// `filename*` of a Content-Disposition header: UTF-8, percent-encoded (RFC 5987), so Chinese names survive.
fn encoded_file_name(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn export_file(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(file): Path<String>,
    Query(query): Query<VillageQuery>,
) -> ApiResult<Response> {
    let kind = file
        .strip_suffix(".xlsx")
        .and_then(ExportKind::from_code)
        .ok_or_else(|| ServerError::NotFound(format!("导出 {file}")))?;
    let (area, village) = console::export_area(&session, query.village.as_deref())?;
    let name = export::file_name(kind, village.as_deref(), crate::ingest::county_today((state.clock)()));
    let (sender, mut receiver) = tokio::sync::mpsc::channel(8);
    let storage = state.storage.clone();
    tokio::task::spawn_blocking(move || {
        let writer = BodyWriter { sender: sender.clone(), buffer: Vec::with_capacity(STREAM_CHUNK) };
        if let Err(error) = export::write_xlsx(storage.as_ref(), kind, &area, village.as_deref(), writer) {
            // A browser that went away is nobody's fault; anything else is logged, since the one who asked only
            // sees a failed download.
            let client_left = matches!(&error, ServerError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe);
            if !client_left {
                eprintln!("导出{}失败：{error}", kind.label());
            }
            // The headers are gone already: failing the body makes the browser report a failed download rather
            // than save half a file.
            let _ = sender.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    let disposition =
        format!("attachment; filename=\"hudang-{}.xlsx\"; filename*=UTF-8''{}", kind.code(), encoded_file_name(&name));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("an encoded name is ASCII")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

async fn villages(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::villages(storage, &session)).await
}

async fn add_village(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let village: Village = json_body(&headers, body).await?;
    answer(&state, move |storage| console::add_village(storage, &session, &village)).await
}

async fn users(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::users(storage, &session)).await
}

async fn add_user(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let input: NewUser = json_body(&headers, body).await?;
    let now = (state.clock)();
    let salt = salt();
    let id = Uuid::new_v4();
    answer(&state, move |storage| console::add_user(storage, &session, &input, id, &salt, now)).await
}

async fn revoke_user(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "用户")?;
    let now = (state.clock)();
    answer(&state, move |storage| console::revoke_user(storage, &session, id, now)).await
}

#[derive(Deserialize)]
struct PasswordReset {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let id = parse_id(&id, "用户")?;
    let request: PasswordReset = json_body(&headers, body).await?;
    let salt = salt();
    answer(&state, move |storage| console::reset_password(storage, &session, id, &request.password, &salt)).await
}

#[derive(Deserialize)]
struct VillagesRequest {
    villages: Vec<String>,
}

async fn set_user_villages(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let id = parse_id(&id, "用户")?;
    let request: VillagesRequest = json_body(&headers, body).await?;
    answer(&state, move |storage| console::set_user_villages(storage, &session, id, &request.villages)).await
}

async fn devices(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::devices(storage, &session)).await
}

async fn revoke_device(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "设备")?;
    let now = (state.clock)();
    answer(&state, move |storage| console::revoke_device(storage, &session, id, now)).await
}

async fn enrol_codes(State(state): State<AppState>, ConsoleAuth(session): ConsoleAuth) -> ApiResult<Response> {
    answer(&state, move |storage| console::enrol_codes(storage, &session)).await
}

#[derive(Deserialize)]
struct NewCodeRequest {
    user: Uuid,
    #[serde(default)]
    valid_days: Option<i64>,
}

async fn create_enrol_code(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let request: NewCodeRequest = json_body(&headers, body).await?;
    let now = (state.clock)();
    let code = crate::accounts::new_enrol_code(&mut rand::rng());
    answer(&state, move |storage| {
        console::create_enrol_code(storage, &session, request.user, request.valid_days, &code, now)
    })
    .await
}

async fn revoke_enrol_code(
    State(state): State<AppState>,
    ConsoleAuth(session): ConsoleAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let now = (state.clock)();
    answer(&state, move |storage| console::revoke_enrol_code(storage, &session, &id, now)).await
}
