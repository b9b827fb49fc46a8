//! The county server (`hudang-server`): enrols devices and checks their tokens, accepts pushed Automerge changes
//! (idempotently, all or nothing per request), serves pulls of what others pushed within a device's area, stores
//! photos by sha256, keeps projections (list rows, ID numbers, findings, conflicts, members, inspections, visits)
//! of every household, and serves the county console: overviews, conflicts, duplicate merges, data checks,
//! household files, xlsx exports and account management ([`console`], [`export`]).
//!
//! Storage sits behind the [`storage::Storage`] trait (SQLite now). The merge logic ([`ingest`], [`county`]) is
//! written once against it; only [`http`] knows HTTP.
//!
//! What it must never do: store a token, session or enrolment code in clear, or a password other than as an Argon2
//! hash; answer a device or a console user with a household, change or photo outside their area (or reveal that one
//! exists); let a worker into the console; store part of a refused push; delete a household's history (a merge only
//! adds changes); read the clock or make random ids inside business logic (the HTTP layer and the CLI read the
//! clock and make tokens and pass them in); let a photo id name a path.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod console;
pub mod county;
mod error;
pub mod export;
pub mod http;
pub mod ingest;
pub mod storage;

pub use error::{Result, ServerError};
pub use http::{AppState, router};
pub use storage::{SqliteStorage, Storage};

use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The clock: the real time, or `HUDANG_NOW` (RFC 3339) so tests and demos can pin it.
pub fn now() -> DateTime<Utc> {
    std::env::var("HUDANG_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// A PEM certificate chain and private key for TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// How to run a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The data directory (`server.sqlite3`, `photos/`, `uploads/`); initialised if empty.
    pub data_dir: PathBuf,
    /// Where to listen (port 0 picks a free port).
    pub listen: SocketAddr,
    /// TLS, or plain HTTP when `None` (for 127.0.0.1 and development).
    pub tls: Option<TlsPaths>,
    /// The county console's built pages (`ui/dist-console`), served at `/`; without them `/` says how to build them.
    pub console_dir: Option<PathBuf>,
}

/// A server running on its own thread with its own runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    tls: bool,
    handle: axum_server::Handle<SocketAddr>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8780`.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish (for up to 10 s) and waits for the thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.handle.graceful_shutdown(Some(Duration::from_secs(10)));
            let _ = thread.join();
        }
    }

    /// Waits until the server stops by itself (it runs until shut down, so this is for `serve`).
    pub fn wait(mut self) -> std::io::Result<()> {
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| Err(std::io::Error::other("服务器线程异常退出"))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn io_error(error: ServerError) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// Opens (or, when empty, initialises) the data directory and starts a server on its own thread with its own
/// two-worker runtime; returns once it is listening.
pub fn spawn(config: ServerConfig) -> std::io::Result<RunningServer> {
    let storage = SqliteStorage::open_or_init(&config.data_dir, uuid::Uuid::new_v4(), "", now()).map_err(io_error)?;
    ingest::rebuild_stale_projections(&storage, now()).map_err(io_error)?;
    spawn_with_storage(Arc::new(storage), config.listen, config.tls, config.console_dir)
}

/// Starts a server over the given storage; see [`spawn`].
pub fn spawn_with_storage(
    storage: Arc<dyn Storage>,
    listen: SocketAddr,
    tls: Option<TlsPaths>,
    console_dir: Option<PathBuf>,
) -> std::io::Result<RunningServer> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let listener = std::net::TcpListener::bind(listen)?;
    let addr = listener.local_addr()?;
    let tls_config = match &tls {
        Some(paths) => {
            // Another part of the process may have installed the provider already; either way ring is in use.
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(runtime.block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(&paths.cert, &paths.key))?)
        }
        None => None,
    };
    let app = router(AppState { storage, clock: now, console_dir, tls: tls.is_some() });
    let handle = axum_server::Handle::new();
    let server_handle = handle.clone();
    let thread = std::thread::Builder::new().name("hudang-server".into()).spawn(move || {
        runtime.block_on(async move {
            let mut server = axum_server::from_tcp(listener)?.handle(server_handle);
            // Hyper sets only what HTTP needs; a date header costs bytes on every empty pull and says nothing.
            server.http_builder().http1().auto_date_header(false);
            match tls_config {
                Some(config) => {
                    server
                        .acceptor(axum_server::tls_rustls::RustlsAcceptor::new(config))
                        .serve(app.into_make_service())
                        .await
                }
                None => server.serve(app.into_make_service()).await,
            }
        })
    })?;
    Ok(RunningServer { addr, tls: tls.is_some(), handle, thread: Some(thread) })
}
