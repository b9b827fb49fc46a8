//! The HTTP layer: routes, bounded bodies, the bearer-token check, and errors as JSON.
//!
//! Handlers do no work on the async threads: each one reads its body (bounded), then hands storage work to
//! `spawn_blocking`. This is where the clock is read and tokens are made.

use crate::error::ServerError;
use crate::storage::{self, PageQuery, Session, Storage};
use crate::{accounts, ingest};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hudang_protocol::{
    EnrolRequest, MAX_JSON_BYTES, MAX_PHOTO_BYTES, MAX_PHOTO_QUERY, MAX_PULL_BYTES, MAX_PUSH_BYTES, PHOTO_CHUNK_BYTES,
    PhotoQuery, PullRequest, PushRequest, SYNC_CONTENT_TYPE, routes,
};
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

mod console;

/// What every handler shares: the storage and the clock.
#[derive(Clone)]
pub struct AppState {
    /// The server's storage.
    pub storage: Arc<dyn Storage>,
    /// The clock (the real one, or a pinned one for tests).
    pub clock: fn() -> DateTime<Utc>,
    /// Where the console's built pages are (`ui/dist-console`), if it is served.
    pub console_dir: Option<PathBuf>,
    /// Whether the server speaks TLS, so the console's cookie is marked `Secure`.
    pub tls: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("server_id", &self.storage.server_id()).finish_non_exhaustive()
    }
}

/// A [`ServerError`] on its way out as `{"error": {"code", "message"}}` with its status.
#[derive(Debug)]
pub struct ApiError(pub ServerError);

impl From<ServerError> for ApiError {
    fn from(error: ServerError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.to_response())).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs storage work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, ServerError> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(ApiError),
        Err(e) => Err(ApiError(ServerError::Database(format!("内部任务失败：{e}")))),
    }
}

/// The authenticated session of a request, checked against storage on every request (no caching, so a revoked
/// device or user is refused at its next request).
#[derive(Debug)]
pub struct Authenticated(pub Session);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(value) => Some(value.to_str().map_err(|_| ApiError(ServerError::InvalidToken))?.to_string()),
        };
        let storage = state.storage.clone();
        let session = blocking(move || accounts::authenticate(storage.as_ref(), header.as_deref())).await?;
        Ok(Authenticated(session))
    }
}

/// Bytes of a refused body the server still reads (and discards) before answering.
const DRAIN_BYTES: u64 = 2 * MAX_PUSH_BYTES as u64;

/// Reads a body of at most `limit` bytes; a larger one is refused with our own 413.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Bytes> {
    let too_large = || ApiError(ServerError::TooLarge { limit: limit as u64 });
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        drain(body, 0).await;
        return Err(too_large());
    }
    let mut body = body;
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        // A connection that broke mid-body: its client never reads the answer.
        let Ok(frame) = frame else { return Err(too_large()) };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                drain(body, (bytes.len() + data.len()) as u64).await;
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

/// Reads and discards the rest of a refused body (up to [`DRAIN_BYTES`]), so a client still sending it gets our
/// JSON answer instead of a broken connection.
async fn drain(mut body: Body, mut read: u64) {
    while read < DRAIN_BYTES {
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ServerError> {
    hudang_protocol::decode(bytes).map_err(|e| ServerError::Malformed(e.to_string()))
}

fn postcard<T: serde::Serialize>(value: &T) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(SYNC_CONTENT_TYPE))], hudang_protocol::encode(value))
        .into_response()
}

fn octets(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))], bytes).into_response()
}

fn photo_id(sha256: &str) -> Result<String, ServerError> {
    if hudang_protocol::is_sha256_hex(sha256) { Ok(sha256.to_string()) } else { Err(ServerError::BadPhotoId) }
}

/// A number from the query string (`offset=…`), if present.
fn query_number(query: Option<&str>, name: &str) -> Result<Option<u64>, ServerError> {
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            return value.parse().map(Some).map_err(|_| ServerError::Malformed(format!("参数 {name} 应为非负整数")));
        }
    }
    Ok(None)
}

/// The router with every route of the protocol.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route(routes::ENROL, post(enrol))
        .route(routes::SESSION, get(session))
        .route(routes::PUSH, post(push))
        .route(routes::PULL, post(pull))
        .route(routes::HOUSEHOLD, get(household))
        .route(routes::PHOTOS_MISSING, post(photos_missing))
        .route(routes::PHOTO, get(photo_download).put(photo_upload))
        .route(routes::PHOTO_UPLOAD, get(photo_upload_state))
        .nest("/api/console", console::routes())
        .route("/api/{*rest}", axum::routing::any(|| async { ApiError(ServerError::NotFound("没有这个接口".into())) }));
    let router = match &state.console_dir {
        Some(dir) => router.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => router.fallback(console::not_installed),
    };
    router.layer(compression()).with_state(state)
}

/// Gzip for browsers that ask for it: the console's pages and JSON shrink several times, which matters on a
/// township office's link. Sync bodies (postcard, already compact, and devices do not ask), photos and xlsx files
/// (already compressed) are sent as they are.
fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new(SYNC_CONTENT_TYPE))
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats-officedocument"));
    tower_http::compression::CompressionLayer::new().gzip(true).compress_when(predicate)
}

async fn enrol(State(state): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let bytes = read_body(&headers, body, MAX_JSON_BYTES).await?;
    let request: EnrolRequest =
        serde_json::from_slice(&bytes).map_err(|e| ServerError::Malformed(format!("注册请求格式错误：{e}")))?;
    let token = accounts::new_token(&mut rand::rng());
    let now = (state.clock)();
    let storage = state.storage.clone();
    let response = blocking(move || accounts::enrol(storage.as_ref(), &request, &token, now)).await?;
    Ok(Json(response).into_response())
}

async fn session(State(state): State<AppState>, Authenticated(session): Authenticated) -> ApiResult<Response> {
    let storage = state.storage.clone();
    let info = blocking(move || storage.session_info(&session)).await?;
    Ok(Json(info).into_response())
}

async fn push(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(&headers, body, MAX_PUSH_BYTES).await?;
    let now = (state.clock)();
    let storage = state.storage.clone();
    let response = blocking(move || {
        let request: PushRequest = decode(&bytes)?;
        ingest::push(storage.as_ref(), &session, request, now)
    })
    .await?;
    Ok(postcard(&response))
}

async fn pull(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let bytes = read_body(&headers, body, MAX_JSON_BYTES).await?;
    let request: PullRequest = decode(&bytes)?;
    let storage = state.storage.clone();
    let query = PageQuery {
        after: request.after,
        max_bytes: u64::from(request.max_bytes.min(MAX_PULL_BYTES)),
        area: session.area,
        exclude_origin: session.device_id,
    };
    let page = blocking(move || storage::read(storage.as_ref(), |r| r.change_page(&query))).await?;
    Ok(postcard(&page))
}

async fn household(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError(ServerError::NotFound(format!("户 {id}")));
    let household = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let storage = state.storage.clone();
    let stored = blocking(move || storage::read(storage.as_ref(), |r| r.document(household))).await?;
    match stored {
        // Outside the caller's area the answer is the same as for an unknown id, so existence is not revealed.
        Some(stored) if session.area.contains(&stored.village_key) => Ok(octets(stored.bytes)),
        _ => Err(not_found()),
    }
}

async fn photos_missing(
    State(state): State<AppState>,
    Authenticated(_): Authenticated,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let limit = MAX_PHOTO_QUERY * 72 + 16;
    let bytes = read_body(&headers, body, limit).await?;
    let query: PhotoQuery = decode(&bytes)?;
    if query.sha256.len() > MAX_PHOTO_QUERY {
        return Err(ServerError::TooLarge { limit: limit as u64 }.into());
    }
    for sha in &query.sha256 {
        photo_id(sha)?;
    }
    let storage = state.storage.clone();
    let missing = blocking(move || storage.missing_photos(&query.sha256)).await?;
    Ok(postcard(&PhotoQuery { sha256: missing }))
}

async fn photo_upload(
    State(state): State<AppState>,
    Authenticated(_): Authenticated,
    Path(sha256): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let sha256 = photo_id(&sha256)?;
    let offset = query_number(query.as_deref(), "offset")?.unwrap_or(0);
    let total = query_number(query.as_deref(), "total")?
        .ok_or_else(|| ServerError::Malformed("缺少参数 total（照片总字节数）".into()))?;
    if total > MAX_PHOTO_BYTES {
        return Err(ServerError::TooLarge { limit: MAX_PHOTO_BYTES }.into());
    }
    let (chunk, broken) = read_arriving(&headers, body, PHOTO_CHUNK_BYTES).await?;
    if chunk.is_empty() && broken {
        return Err(ServerError::Malformed("上传中断".into()).into());
    }
    let now = (state.clock)();
    let storage = state.storage.clone();
    let upload = blocking(move || storage.put_photo_chunk(&sha256, offset, total, &chunk, now)).await?;
    if broken {
        // The client is gone; what arrived is kept and its next attempt resumes after it.
        return Err(ServerError::Malformed("上传中断，已收到的部分已保存".into()).into());
    }
    Ok(postcard(&upload))
}

/// Reads a body of at most `limit` bytes as it arrives. When the client breaks off mid-body, the bytes that did
/// arrive are returned with `true`, so an upload cut at any byte keeps every byte the server received.
async fn read_arriving(headers: &HeaderMap, mut body: Body, limit: usize) -> ApiResult<(Vec<u8>, bool)> {
    let too_large = || ApiError(ServerError::TooLarge { limit: limit as u64 });
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let mut arrived = Vec::with_capacity(declared.unwrap_or(0) as usize);
    loop {
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            None => return Ok((arrived, false)),
            Some(Err(_)) => return Ok((arrived, true)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    if arrived.len() + data.len() > limit {
                        return Err(too_large());
                    }
                    arrived.extend_from_slice(&data);
                }
            }
        }
    }
}

async fn photo_upload_state(
    State(state): State<AppState>,
    Authenticated(_): Authenticated,
    Path(sha256): Path<String>,
) -> ApiResult<Response> {
    let sha256 = photo_id(&sha256)?;
    let storage = state.storage.clone();
    let upload = blocking(move || storage.photo_upload_state(&sha256)).await?;
    Ok(postcard(&upload))
}

async fn photo_download(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(sha256): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let sha256 = photo_id(&sha256)?;
    let offset = query_number(query.as_deref(), "offset")?.unwrap_or(0);
    let storage = state.storage.clone();
    let bytes = blocking(move || {
        let area = session.area.clone();
        let reachable = storage::read(storage.as_ref(), |r| r.photo_reachable(&sha256, &area))?;
        if !reachable {
            return Err(ServerError::NotFound(format!("照片 {}", &sha256[..12])));
        }
        storage.read_photo(&sha256, offset)
    })
    .await?;
    Ok(octets(bytes))
}
