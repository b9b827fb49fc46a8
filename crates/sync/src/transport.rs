//! How requests reach a server. [`Transport`] is the boundary the sync logic is written against; [`HttpTransport`]
//! is the real one (reqwest over HTTP or HTTPS with rustls).

use crate::SyncError;
use hudang_protocol::{
    self as protocol, EnrolRequest, EnrolResponse, ErrorResponse, PhotoQuery, PullRequest, PullResponse, PushRequest,
    PushResponse, SessionInfo, UploadState, routes,
};
use reqwest::blocking::{Client, RequestBuilder, Response};
use std::cell::Cell;
use std::time::Duration;
use uuid::Uuid;

/// The requests the sync protocol makes. Every one is idempotent, so any of them may be repeated after a failure.
pub trait Transport {
    /// Exchanges a one-time code for a token.
    fn enrol(&self, request: &EnrolRequest) -> Result<EnrolResponse, SyncError>;
    /// Who the token belongs to.
    fn session(&self) -> Result<SessionInfo, SyncError>;
    /// Sends changes.
    fn push(&self, request: &PushRequest) -> Result<PushResponse, SyncError>;
    /// Fetches a page of changes.
    fn pull(&self, request: &PullRequest) -> Result<PullResponse, SyncError>;
    /// Fetches a household's whole document.
    fn household(&self, id: Uuid) -> Result<Vec<u8>, SyncError>;
    /// Which of these photos the server lacks.
    fn photos_missing(&self, query: &PhotoQuery) -> Result<PhotoQuery, SyncError>;
    /// How much of a photo's upload the server holds.
    fn upload_state(&self, sha256: &str) -> Result<UploadState, SyncError>;
    /// Sends one chunk of a photo.
    fn upload_chunk(&self, sha256: &str, offset: u64, total: u64, chunk: &[u8]) -> Result<UploadState, SyncError>;
    /// Fetches a photo's bytes from `offset` on, writing them to `sink` as they arrive (so a cut keeps what came).
    fn download(&self, sha256: &str, offset: u64, sink: &mut dyn std::io::Write) -> Result<u64, SyncError>;
    /// Body bytes sent and received so far (headers not counted).
    fn body_bytes(&self) -> (u64, u64);
}

/// The real transport: HTTP(S) to a county server.
pub struct HttpTransport {
    client: Client,
    base: String,
    token: Option<String>,
    sent: Cell<u64>,
    received: Cell<u64>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport").field("base", &self.base).finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// A transport to `base` (e.g. `http://127.0.0.1:8780`), with a token once enrolled.
    pub fn new(base: &str, token: Option<&str>) -> Result<HttpTransport, SyncError> {
        // rustls needs one process-wide crypto provider; a second install (by another transport) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::Config(format!("服务器地址应以 http:// 或 https:// 开头：{base}")));
        }
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Config(format!("无法创建网络连接：{e}")))?;
        Ok(HttpTransport { client, base, token: token.map(str::to_string), sent: Cell::new(0), received: Cell::new(0) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorised(&self, builder: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    fn send(&self, builder: RequestBuilder, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        self.sent.set(self.sent.get() + body.len() as u64);
        let response = self.authorised(builder).body(body).send().map_err(network_error)?;
        let bytes = read_success(response)?;
        self.received.set(self.received.get() + bytes.len() as u64);
        Ok(bytes)
    }

    fn sync_call<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        request: &T,
    ) -> Result<R, SyncError> {
        let builder =
            self.client.post(self.url(path)).header(reqwest::header::CONTENT_TYPE, protocol::SYNC_CONTENT_TYPE);
        let bytes = self.send(builder, protocol::encode(request))?;
        protocol::decode(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }
}

fn network_error(e: reqwest::Error) -> SyncError {
    let what = if e.is_timeout() {
        "网络超时"
    } else if e.is_connect() {
        "无法连接服务器"
    } else {
        "网络连接中断"
    };
    SyncError::Network(format!("{what}（{e}）"))
}

/// The body of a successful response, or the server's `{code, message}` as an error.
fn read_success(response: Response) -> Result<Vec<u8>, SyncError> {
    let status = response.status();
    let bytes = response.bytes().map_err(network_error)?.to_vec();
    if status.is_success() {
        return Ok(bytes);
    }
    Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
        Ok(body) => SyncError::Server { status: status.as_u16(), code: body.error.code, message: body.error.message },
        Err(_) => SyncError::Server {
            status: status.as_u16(),
            code: format!("http.{}", status.as_u16()),
            message: format!("服务器返回错误 {status}"),
        },
    })
}

impl Transport for HttpTransport {
    fn enrol(&self, request: &EnrolRequest) -> Result<EnrolResponse, SyncError> {
        let body = serde_json::to_vec(request).expect("requests serialise");
        let builder =
            self.client.post(self.url(routes::ENROL)).header(reqwest::header::CONTENT_TYPE, "application/json");
        let bytes = self.send(builder, body)?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn session(&self) -> Result<SessionInfo, SyncError> {
        let bytes = self.send(self.client.get(self.url(routes::SESSION)), Vec::new())?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn push(&self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        self.sync_call(routes::PUSH, request)
    }

    fn pull(&self, request: &PullRequest) -> Result<PullResponse, SyncError> {
        self.sync_call(routes::PULL, request)
    }

    fn household(&self, id: Uuid) -> Result<Vec<u8>, SyncError> {
        self.send(self.client.get(self.url(&routes::household(id))), Vec::new())
    }

    fn photos_missing(&self, query: &PhotoQuery) -> Result<PhotoQuery, SyncError> {
        self.sync_call(routes::PHOTOS_MISSING, query)
    }

    fn upload_state(&self, sha256: &str) -> Result<UploadState, SyncError> {
        let url = self.url(&format!("{}/upload", routes::photo(sha256)));
        let bytes = self.send(self.client.get(url), Vec::new())?;
        protocol::decode(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn upload_chunk(&self, sha256: &str, offset: u64, total: u64, chunk: &[u8]) -> Result<UploadState, SyncError> {
        let url = self.url(&format!("{}?offset={offset}&total={total}", routes::photo(sha256)));
        let builder = self.client.put(url).header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
        let bytes = self.send(builder, chunk.to_vec())?;
        protocol::decode(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn download(&self, sha256: &str, offset: u64, sink: &mut dyn std::io::Write) -> Result<u64, SyncError> {
        let url = self.url(&format!("{}?offset={offset}", routes::photo(sha256)));
        let mut response = self.authorised(self.client.get(url)).send().map_err(network_error)?;
        if !response.status().is_success() {
            return Err(read_success(response).expect_err("a failed status is an error"));
        }
        let mut buffer = vec![0u8; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match std::io::Read::read(&mut response, &mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(SyncError::Network(format!("下载照片时连接中断（{e}）"))),
            };
            sink.write_all(&buffer[..n]).map_err(|e| SyncError::Local(format!("写入照片失败：{e}")))?;
            copied += n as u64;
            self.received.set(self.received.get() + n as u64);
        }
        Ok(copied)
    }

    fn body_bytes(&self) -> (u64, u64) {
        (self.sent.get(), self.received.get())
    }
}
