//! The proxy against small std servers written here: forwarding and counting, shaping, cuts and refusing.

use hudang_proxy::{Direction, LinkConfig, LinkProxy};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Long enough that a working proxy never hits it, short enough that a broken one fails the test instead of
/// hanging it.
const PATIENCE: Duration = Duration::from_secs(5);

/// Starts a server that writes back everything it reads and half-closes once the client has.
fn echo_server() -> SocketAddr {
    serve(|mut stream| {
        let mut buf = [0; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if stream.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    })
}

/// Starts a server that reads each connection until its end (or an error), then reports how many bytes it got
/// and answers with a single byte.
fn counting_server() -> (SocketAddr, Receiver<usize>) {
    let (tx, rx) = mpsc::channel();
    let addr = serve(move |mut stream| {
        let mut total = 0;
        let mut buf = [0; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        let _ = tx.send(total);
        let _ = stream.write_all(b"k");
    });
    (addr, rx)
}

/// Runs `handle` on its own thread for every connection to a new listener on 127.0.0.1.
fn serve(handle: impl Fn(TcpStream) + Clone + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            thread::spawn(move || handle(stream));
        }
    });
    addr
}

fn connect(proxy: &LinkProxy) -> TcpStream {
    let stream = TcpStream::connect(proxy.addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Bytes that are not all alike, so a reordering or a dropped slice would show.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// Sends `data` from another thread, half-closes, and reads everything that comes back until the end.
fn round_trip(stream: TcpStream, data: Vec<u8>) -> Vec<u8> {
    let mut writer = stream.try_clone().unwrap();
    let sending = thread::spawn(move || {
        writer.write_all(&data).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut received = Vec::new();
    (&stream).read_to_end(&mut received).unwrap();
    sending.join().unwrap();
    received
}

/// Reads until the proxy closes the stream, and fails if it stays open for [`PATIENCE`].
fn assert_closed(mut stream: &TcpStream) {
    let mut buf = [0; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the connection stayed open")
            }
            Err(_) => return,
        }
    }
}

#[test]
fn forwards_unchanged_and_counts_exactly() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::unlimited()).unwrap();
    let data = pattern(100_000);
    let back = round_trip(connect(&proxy), data.clone());
    assert!(back == data, "echo differs: {} bytes came back", back.len());
    assert_eq!(proxy.bytes(Direction::Up), 100_000);
    assert_eq!(proxy.bytes(Direction::Down), 100_000);
    assert_eq!(proxy.connections(), 1);

    proxy.reset_counters();
    assert_eq!((proxy.bytes(Direction::Up), proxy.bytes(Direction::Down), proxy.connections()), (0, 0, 0));
    assert_eq!(round_trip(connect(&proxy), b"again".to_vec()), b"again");
    assert_eq!(proxy.bytes(Direction::Up), 5);
    assert!(proxy.url().starts_with("http://127.0.0.1:"));
}

#[test]
fn throttles_to_the_rate() {
    let (server, received) = counting_server();
    let proxy = LinkProxy::start(server, LinkConfig::throttled(256, Duration::ZERO)).unwrap();
    let stream = connect(&proxy);
    let started = Instant::now();
    let answer = round_trip(stream, pattern(64_000));
    let elapsed = started.elapsed();
    assert_eq!(answer, b"k");
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), 64_000);
    // 64 000 bytes at 32 000 bytes/s.
    assert!(elapsed >= Duration::from_millis(1600) && elapsed <= Duration::from_millis(3500), "took {elapsed:?}");
}

#[test]
fn delays_each_way_without_losing_throughput() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::unlimited()).unwrap();
    proxy.set_config(LinkConfig { rate_bytes_per_sec: None, one_way_delay: Duration::from_millis(150) });

    let mut stream = connect(&proxy);
    let started = Instant::now();
    stream.write_all(b"p").unwrap();
    let mut byte = [0];
    stream.read_exact(&mut byte).unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(290), "ping took {elapsed:?}");
    drop(stream);

    // A writer that slept the delay before every 16 KiB read would need about 2 × 64 × 150 ms = 19 s here.
    let data = pattern(1024 * 1024);
    let started = Instant::now();
    let back = round_trip(connect(&proxy), data.clone());
    let elapsed = started.elapsed();
    assert!(back == data, "echo differs: {} bytes came back", back.len());
    assert!(elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(3), "1 MiB took {elapsed:?}");
}

#[test]
fn cut_after_stops_at_the_exact_byte() {
    let (server, received) = counting_server();
    let proxy = LinkProxy::start(server, LinkConfig::unlimited()).unwrap();
    proxy.cut_after(Direction::Up, 1000);
    assert!(!proxy.cut_fired());

    let stream = connect(&proxy);
    let mut writer = stream.try_clone().unwrap();
    // The proxy may close the socket while this is still writing, so the write may fail.
    let sending = thread::spawn(move || {
        let _ = writer.write_all(&pattern(10_000));
    });
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), 1000);
    assert_closed(&stream);
    sending.join().unwrap();
    assert!(proxy.cut_fired());
    assert_eq!(proxy.bytes(Direction::Up), 1000);

    // One-shot: the next connection goes through whole.
    assert_eq!(round_trip(connect(&proxy), pattern(10_000)), b"k");
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), 10_000);
    assert!(proxy.cut_fired());
    assert_eq!(proxy.bytes(Direction::Up), 11_000);
}

#[test]
fn cut_after_counts_the_down_direction() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::unlimited()).unwrap();
    proxy.cut_after(Direction::Down, 500);
    let mut stream = connect(&proxy);
    // The echo comes back in pieces of whatever size, so only the total is known in advance.
    let _ = stream.write_all(&pattern(2000));
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    assert_eq!(received, pattern(500));
    assert!(proxy.cut_fired());
    assert_eq!(proxy.bytes(Direction::Down), 500);
}

#[test]
fn cut_all_closes_live_connections() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::unlimited()).unwrap();
    let mut stream = connect(&proxy);
    stream.write_all(b"hello").unwrap();
    let mut buf = [0; 5];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");

    proxy.cut_all();
    assert_closed(&stream);
    assert_eq!(round_trip(connect(&proxy), b"after".to_vec()), b"after");
}

#[test]
fn refusing_closes_new_connections_at_once() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::unlimited()).unwrap();
    proxy.set_refusing(true);
    let started = Instant::now();
    let stream = connect(&proxy);
    assert_closed(&stream);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(proxy.connections(), 1);

    proxy.set_refusing(false);
    assert_eq!(round_trip(connect(&proxy), b"open".to_vec()), b"open");
    assert_eq!(proxy.connections(), 2);
}

#[test]
fn can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LinkProxy>();
}

#[test]
fn drop_closes_connections_promptly() {
    let proxy = LinkProxy::start(echo_server(), LinkConfig::throttled(8, Duration::from_secs(2))).unwrap();
    let addr = proxy.addr();
    let mut stream = connect(&proxy);
    // This sits in the proxy's delay line for a second when the proxy is dropped.
    stream.write_all(&pattern(4000)).unwrap();
    thread::sleep(Duration::from_millis(100));

    let started = Instant::now();
    drop(proxy);
    assert!(started.elapsed() < Duration::from_secs(1), "drop took {:?}", started.elapsed());
    assert_closed(&stream);
    assert!(TcpStream::connect(addr).is_err(), "the listener is still open");
}
