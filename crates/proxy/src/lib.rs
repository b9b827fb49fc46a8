//! A user-space TCP proxy that plays a bad network link, for tests and benchmarks of the sync protocol.
//!
//! This machine's kernel has no `netem`, so tests put a [`LinkProxy`] between an HTTP client and a server on
//! 127.0.0.1 instead. The proxy counts the bytes going each way, can shape the link (a rate limit and a one-way
//! delay, see [`LinkConfig`]), can cut every connection after a given number of bytes ([`LinkProxy::cut_after`])
//! and can play an unreachable server ([`LinkProxy::set_refusing`]).
//!
//! It uses only the standard library (threads and `std::net`), so blocking clients and servers running on their
//! own async runtimes can both use it.
//!
//! It must never sit in a production path: it buffers whole chunks in memory, trusts its peers and has no
//! limits beyond the ones a test sets. [`LinkProxy::start`] binds 127.0.0.1 only; binding anything else takes an
//! explicit [`LinkProxy::start_on`].

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How much a reader takes from its socket at once.
const READ_CHUNK: usize = 16 * 1024;
/// The smallest slice a throttled writer sends at once: one Ethernet-sized TCP segment.
const MIN_SLICE: usize = 1460;
/// How many bytes a delay line holds when the rate is unlimited. It is large so that a long delay alone does
/// not limit throughput much (4 MiB over 150 ms is still about 28 MB/s).
const UNLIMITED_QUEUE: usize = 4 * 1024 * 1024;
/// How long a throttled link queues data beyond what is in flight, like the buffer in front of a slow modem.
const BOTTLENECK_QUEUE: Duration = Duration::from_millis(200);
/// How far a throttled link may fall behind its schedule and still catch up at full speed. Without it every
/// late wake-up of a writer would be lost for good and the link would run slower than its rate.
const CATCH_UP: Duration = Duration::from_millis(20);
/// How long the proxy waits for the upstream server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The shape of the simulated link. Both directions get the same rate and delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    /// Bytes per second in each direction, or `None` for no limit. The limit is shared by every connection
    /// through the proxy, like one slow link. Zero is treated as one byte per second.
    pub rate_bytes_per_sec: Option<u64>,
    /// Delay added to each direction, so a round trip costs twice this.
    pub one_way_delay: Duration,
}

impl LinkConfig {
    /// A link with no rate limit and no added delay: the proxy only counts bytes.
    pub fn unlimited() -> Self {
        LinkConfig { rate_bytes_per_sec: None, one_way_delay: Duration::ZERO }
    }

    /// A link of `kbit_per_sec` kilobits (1000 bits) per second each way, with `round_trip` split evenly
    /// between the two directions. For example `throttled(256, 300 ms)` is 32 000 bytes/s and 150 ms each way.
    pub fn throttled(kbit_per_sec: u64, round_trip: Duration) -> Self {
        LinkConfig { rate_bytes_per_sec: Some(kbit_per_sec.saturating_mul(1000) / 8), one_way_delay: round_trip / 2 }
    }
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig::unlimited()
    }
}

/// Which way bytes travel through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the server (requests, uploads).
    Up,
    /// From the server to the client (responses, downloads).
    Down,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::Up => 0,
            Direction::Down => 1,
        }
    }
}

/// A running proxy. Dropping it stops the listener and closes every connection.
pub struct LinkProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl LinkProxy {
    /// Listens on 127.0.0.1:0 and forwards every accepted connection to `upstream`.
    ///
    /// # Errors
    ///
    /// Fails if the listener cannot be bound or its thread cannot be started.
    pub fn start(upstream: SocketAddr, config: LinkConfig) -> io::Result<LinkProxy> {
        LinkProxy::start_on(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0), upstream, config)
    }

    /// Listens on `listen` and forwards every accepted connection to `upstream`.
    ///
    /// # Errors
    ///
    /// Fails if the listener cannot be bound or its thread cannot be started.
    pub fn start_on(listen: SocketAddr, upstream: SocketAddr, config: LinkConfig) -> io::Result<LinkProxy> {
        let listener = TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name("proxy-accept".into())
            .spawn(move || accept_loop(&listener, upstream, &accept_shared))?;
        Ok(LinkProxy { addr, upstream, shared, accept_thread: Some(accept_thread) })
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy as an HTTP base URL, e.g. `http://127.0.0.1:40123`. A wildcard listen address is given as the
    /// loopback address, because that is where a local client reaches it.
    pub fn url(&self) -> String {
        format!("http://{}", reachable(self.addr))
    }

    /// Total bytes forwarded in direction `d` since the proxy started or [`LinkProxy::reset_counters`].
    ///
    /// Bytes are counted just before they are handed to the receiving socket, so once a peer has received
    /// them they are already counted.
    pub fn bytes(&self, d: Direction) -> u64 {
        self.shared.forwarded[d.index()].load(Ordering::SeqCst)
    }

    /// Connections accepted since the proxy started or [`LinkProxy::reset_counters`], including the ones
    /// closed at once while refusing (so a test can count a client's retries).
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Sets the byte counts of both directions and the connection count to zero.
    pub fn reset_counters(&self) {
        for counter in &self.shared.forwarded {
            counter.store(0, Ordering::SeqCst);
        }
        self.shared.connections.store(0, Ordering::SeqCst);
    }

    /// Changes the link shape. It applies to the next slice sent on live connections and to new connections.
    pub fn set_config(&self, config: LinkConfig) {
        *lock(&self.shared.config) = config;
    }

    /// Arms a cut: once `bytes` more bytes have gone in direction `d` (counted from now, across all
    /// connections), every open connection is closed abruptly (both sockets shut down) mid-stream, exactly at
    /// that byte: the bytes up to the limit are forwarded, the next ones are not.
    ///
    /// One-shot: after firing, the proxy forwards normally again for new connections. Arming again replaces an
    /// armed cut that has not fired. With `bytes == 0` the cut fires at once.
    pub fn cut_after(&self, d: Direction, bytes: u64) {
        let mut cut = lock(&self.shared.cut);
        cut.fired = false;
        if bytes == 0 {
            cut.armed = None;
            cut.fired = true;
            self.shared.doom_all();
            drop(cut);
            self.shared.shut_doomed();
        } else {
            cut.armed = Some((d, bytes));
        }
    }

    /// Whether the cut armed by the last [`LinkProxy::cut_after`] has fired.
    pub fn cut_fired(&self) -> bool {
        lock(&self.shared.cut).fired
    }

    /// Closes every open connection now (both sockets shut down), whatever is in flight. New connections are
    /// forwarded normally.
    pub fn cut_all(&self) {
        self.shared.doom_all();
        self.shared.shut_doomed();
    }

    /// While refusing, new connections are accepted and immediately closed (an unreachable server). Open
    /// connections are left alone.
    pub fn set_refusing(&self, refuse: bool) {
        self.shared.refusing.store(refuse, Ordering::SeqCst);
    }
}

impl fmt::Debug for LinkProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("config", &*lock(&self.shared.config))
            .finish_non_exhaustive()
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accept thread is blocked in accept(); one connection wakes it so it sees the flag and ends.
        let woke = TcpStream::connect_timeout(&reachable(self.addr), Duration::from_secs(1)).is_ok();
        if let Some(handle) = self.accept_thread.take()
            && woke
        {
            let _ = handle.join();
        }
        // Pump threads are not joined: once their sockets are shut down and their delay lines are dead they end
        // on their own, and waiting for them here could only make a drop slow.
        self.shared.doom_all();
        self.shared.shut_doomed();
    }
}

/// The address a local client uses to reach `addr`: a wildcard address becomes the loopback address.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
        _ => addr,
    }
}

/// Locks a mutex, ignoring poisoning: the state behind every lock here stays consistent even if a thread
/// panicked while holding it, and a test proxy must keep working for the rest of the test.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by the handle, the accept thread and every pump thread.
struct Shared {
    config: Mutex<LinkConfig>,
    /// Bytes forwarded, indexed by [`Direction::index`].
    forwarded: [AtomicU64; 2],
    /// For each direction, when the simulated link finishes sending what it has been given so far. Shared by
    /// all connections because they share one link.
    link_free_at: [Mutex<Instant>; 2],
    connections: AtomicU64,
    refusing: AtomicBool,
    stopping: AtomicBool,
    cut: Mutex<CutState>,
    /// Open connections. The pump threads own them; this list only finds them for a cut, so it holds weak
    /// references and drops the dead ones as new connections arrive.
    live: Mutex<Vec<Weak<Conn>>>,
}

struct CutState {
    /// The direction of an armed cut and how many bytes may still go that way before it fires.
    armed: Option<(Direction, u64)>,
    fired: bool,
}

impl Shared {
    fn new(config: LinkConfig) -> Self {
        let now = Instant::now();
        Shared {
            config: Mutex::new(config),
            forwarded: [AtomicU64::new(0), AtomicU64::new(0)],
            link_free_at: [Mutex::new(now), Mutex::new(now)],
            connections: AtomicU64::new(0),
            refusing: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            cut: Mutex::new(CutState { armed: None, fired: false }),
            live: Mutex::new(Vec::new()),
        }
    }

    fn config(&self) -> LinkConfig {
        *lock(&self.config)
    }

    /// When a slice of `len` bytes read at `read_at` should be handed to the receiving socket.
    ///
    /// Without a rate limit it is simply `read_at` plus the delay. With one, the slice first waits for the link
    /// to finish sending what came before it, then takes `len / rate` to send, then travels for the delay.
    /// The link's clock is virtual, so a writer sleeping through one slice's delay does not hold back the
    /// next; but a slice never starts much earlier than `now - delay` (see [`CATCH_UP`]), so a link whose
    /// receiver stalled for a while does not catch up in a burst faster than the rate.
    fn due(&self, d: Direction, read_at: Instant, len: usize, config: LinkConfig) -> Instant {
        let delay = config.one_way_delay;
        let Some(rate) = config.rate_bytes_per_sec else {
            return read_at + delay;
        };
        let now = Instant::now();
        let mut free_at = lock(&self.link_free_at[d.index()]);
        let mut start = (*free_at).max(read_at);
        if let Some(floor) = now.checked_sub(delay + CATCH_UP) {
            start = start.max(floor);
        }
        let sent = start + Duration::from_secs_f64(len as f64 / rate.max(1) as f64);
        *free_at = sent;
        sent + delay
    }

    /// Asks to send up to `want` bytes of `conn` in direction `d`. Returns how many may go and whether the
    /// armed cut fires once they have gone, or `None` if the connection has been cut.
    ///
    /// Everything happens under the cut lock, so the bytes allowed across all connections add up exactly to
    /// the armed amount, and a connection doomed by a firing cut never gets another byte through.
    fn claim(&self, conn: &Conn, d: Direction, want: usize) -> Option<(usize, bool)> {
        let mut cut = lock(&self.cut);
        if conn.doomed.load(Ordering::SeqCst) {
            return None;
        }
        let Some((dir, remaining)) = cut.armed else {
            return Some((want, false));
        };
        if dir != d {
            return Some((want, false));
        }
        let allowed = want.min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let left = remaining - allowed as u64;
        if left > 0 {
            cut.armed = Some((dir, left));
            return Some((allowed, false));
        }
        cut.armed = None;
        cut.fired = true;
        self.doom_all();
        Some((allowed, true))
    }

    /// Marks every open connection as cut and wakes its threads. The sockets are shut down separately by
    /// [`Shared::shut_doomed`], so that a firing writer can first send its last allowed bytes.
    fn doom_all(&self) {
        for conn in lock(&self.live).iter().filter_map(Weak::upgrade) {
            conn.doom();
        }
    }

    /// Shuts down both sockets of every connection marked as cut.
    fn shut_doomed(&self) {
        for conn in lock(&self.live).iter().filter_map(Weak::upgrade) {
            if conn.doomed.load(Ordering::SeqCst) {
                conn.shut();
            }
        }
    }

    fn count(&self, d: Direction, n: usize) {
        self.forwarded[d.index()].fetch_add(n as u64, Ordering::SeqCst);
    }

    /// Takes back bytes counted by [`Shared::count`] that never reached the socket. It saturates because the
    /// counters may have been reset in between.
    fn uncount(&self, d: Direction, n: usize) {
        let _ = self.forwarded[d.index()]
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v.saturating_sub(n as u64)));
    }
}

/// One proxied connection: the client's socket, the upstream socket and a delay line for each direction.
struct Conn {
    client: TcpStream,
    server: TcpStream,
    /// Set when the connection is cut; checked under the cut lock before every write.
    doomed: AtomicBool,
    /// Indexed by [`Direction::index`].
    lines: [Line; 2],
}

impl Conn {
    /// The socket a direction reads from and the one it writes to.
    fn ends(&self, d: Direction) -> (&TcpStream, &TcpStream) {
        match d {
            Direction::Up => (&self.client, &self.server),
            Direction::Down => (&self.server, &self.client),
        }
    }

    fn doom(&self) {
        self.doomed.store(true, Ordering::SeqCst);
        for line in &self.lines {
            line.kill();
        }
    }

    fn shut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

/// Bytes read from one socket and not yet written to the other, each chunk stamped with when it was read.
///
/// It bounds the bytes it holds, so a sender feels back-pressure much as it would from a real slow link
/// instead of seeing every byte vanish into the proxy at once.
struct Line {
    state: Mutex<LineState>,
    changed: Condvar,
}

struct LineState {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    /// The reader has seen the end of its stream; the writer sends what is left and then half-closes.
    ended: bool,
    /// Nothing more will be written: the connection was cut or the receiving socket failed.
    dead: bool,
}

struct Chunk {
    data: Vec<u8>,
    read_at: Instant,
}

/// What a writer finds when it asks its line for more.
enum Next {
    Chunk(Chunk),
    /// The reader ended and every chunk has been written.
    End,
    /// The line was killed; whatever is left is dropped.
    Dead,
}

impl Line {
    fn new() -> Self {
        Line {
            state: Mutex::new(LineState { chunks: VecDeque::new(), bytes: 0, ended: false, dead: false }),
            changed: Condvar::new(),
        }
    }

    /// Queues a chunk, waiting while the line already holds `limit` bytes or more. Returns false if the line
    /// is dead, so the reader should stop.
    fn push(&self, chunk: Chunk, limit: usize) -> bool {
        let mut state = lock(&self.state);
        while !state.dead && state.bytes >= limit {
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if state.dead {
            return false;
        }
        state.bytes += chunk.data.len();
        state.chunks.push_back(chunk);
        self.changed.notify_all();
        true
    }

    fn pop(&self) -> Next {
        let mut state = lock(&self.state);
        loop {
            if state.dead {
                return Next::Dead;
            }
            if let Some(chunk) = state.chunks.pop_front() {
                state.bytes -= chunk.data.len();
                self.changed.notify_all();
                return Next::Chunk(chunk);
            }
            if state.ended {
                return Next::End;
            }
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sleeps until `due`, returning false early if the line is killed meanwhile.
    fn wait_until(&self, due: Instant) -> bool {
        let mut state = lock(&self.state);
        loop {
            if state.dead {
                return false;
            }
            let now = Instant::now();
            if now >= due {
                return true;
            }
            state = self.changed.wait_timeout(state, due - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    fn end(&self) {
        lock(&self.state).ended = true;
        self.changed.notify_all();
    }

    fn kill(&self) {
        let mut state = lock(&self.state);
        state.dead = true;
        state.chunks.clear();
        state.bytes = 0;
        self.changed.notify_all();
    }
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let client = match accepted {
            Ok((client, _)) => client,
            Err(_) => {
                // Errors such as running out of file descriptors pass; a short pause keeps them from
                // spinning the loop.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        if shared.refusing.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        // Connecting upstream happens off this thread, so one slow connect does not hold up the others.
        let shared = Arc::clone(shared);
        let spawned =
            thread::Builder::new().name("proxy-connect".into()).spawn(move || connect(client, upstream, &shared));
        if spawned.is_err() {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Connects a freshly accepted client to the upstream server and starts its four pump threads.
fn connect(client: TcpStream, upstream: SocketAddr, shared: &Arc<Shared>) {
    let Ok(server) = TcpStream::connect_timeout(&upstream, CONNECT_TIMEOUT) else {
        // An unreachable upstream looks to the client like a server that closes at once.
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    // The writers already pace their slices; Nagle's algorithm would hold small ones back and blur the timing.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let conn = Arc::new(Conn { client, server, doomed: AtomicBool::new(false), lines: [Line::new(), Line::new()] });
    {
        let mut live = lock(&shared.live);
        // Checked under the same lock the dropping handle sweeps, so a connection never slips in after it.
        if shared.stopping.load(Ordering::SeqCst) {
            conn.shut();
            return;
        }
        live.retain(|weak| weak.strong_count() > 0);
        live.push(Arc::downgrade(&conn));
    }
    for d in [Direction::Up, Direction::Down] {
        for reading in [true, false] {
            let pump_conn = Arc::clone(&conn);
            let shared = Arc::clone(shared);
            let name = format!(
                "proxy-{}-{}",
                if d == Direction::Up { "up" } else { "down" },
                if reading { "read" } else { "write" }
            );
            let spawned = thread::Builder::new().name(name).spawn(move || {
                if reading {
                    read_side(&pump_conn, d, &shared);
                } else {
                    write_side(&pump_conn, d, &shared);
                }
            });
            if spawned.is_err() {
                // Without all four threads the connection cannot work; the ones already running end once it
                // is shut down.
                conn.doom();
                conn.shut();
                return;
            }
        }
    }
}

/// How many bytes a delay line may hold: what the link has in flight during one delay plus a modest queue,
/// and never less than one read.
fn line_limit(config: LinkConfig) -> usize {
    match config.rate_bytes_per_sec {
        None => UNLIMITED_QUEUE,
        Some(rate) => {
            let held = (config.one_way_delay + BOTTLENECK_QUEUE).as_secs_f64() * rate as f64;
            (held as usize).clamp(READ_CHUNK, UNLIMITED_QUEUE)
        }
    }
}

/// How many bytes a throttled writer sends at once: one segment at slow rates, more at fast ones so that a
/// fast link does not cost a sleep per 1460 bytes (about 2 ms of sending per slice).
fn slice_len(rate: u64) -> usize {
    usize::try_from(rate / 500).unwrap_or(READ_CHUNK).clamp(MIN_SLICE, READ_CHUNK)
}

/// Reads one direction's source socket into its delay line until the end of the stream.
fn read_side(conn: &Conn, d: Direction, shared: &Shared) {
    let (mut source, _) = conn.ends(d);
    let line = &conn.lines[d.index()];
    let mut buf = vec![0; READ_CHUNK];
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A reset looks like an end of stream to the other side: std cannot send a reset on purpose.
            Err(_) => break,
        };
        let chunk = Chunk { data: buf[..n].to_vec(), read_at: Instant::now() };
        if !line.push(chunk, line_limit(shared.config())) {
            return;
        }
    }
    line.end();
}

/// Writes one direction's delay line to its destination socket, each slice at its due time, and half-closes
/// the destination once the source has ended and everything has been written.
fn write_side(conn: &Conn, d: Direction, shared: &Shared) {
    let (source, mut dest) = conn.ends(d);
    let line = &conn.lines[d.index()];
    loop {
        let chunk = match line.pop() {
            Next::Chunk(chunk) => chunk,
            Next::End => {
                let _ = dest.shutdown(Shutdown::Write);
                return;
            }
            Next::Dead => return,
        };
        let mut rest = &chunk.data[..];
        while !rest.is_empty() {
            let config = shared.config();
            let want = match config.rate_bytes_per_sec {
                Some(rate) => slice_len(rate).min(rest.len()),
                None => rest.len(),
            };
            if !line.wait_until(shared.due(d, chunk.read_at, want, config)) {
                return;
            }
            let Some((allowed, fires)) = shared.claim(conn, d, want) else {
                return;
            };
            shared.count(d, allowed);
            if let Err(unsent) = write_all(&mut dest, &rest[..allowed]) {
                shared.uncount(d, unsent);
                // The receiver is gone, so nothing more can go this way: stop the reader too. The other
                // direction carries on, so a response already on its way still arrives.
                line.kill();
                let _ = source.shutdown(Shutdown::Read);
                return;
            }
            if fires {
                shared.shut_doomed();
                return;
            }
            rest = &rest[allowed..];
        }
    }
}

/// Like [`Write::write_all`], but on failure says how many bytes were not written.
fn write_all(dest: &mut &TcpStream, mut buf: &[u8]) -> Result<(), usize> {
    while !buf.is_empty() {
        match dest.write(buf) {
            Ok(0) => return Err(buf.len()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(buf.len()),
        }
    }
    Ok(())
}
