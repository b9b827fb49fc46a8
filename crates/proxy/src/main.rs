//! `hudang-proxy`: puts a shaped, countable link in front of a local server, for trying the sync protocol by hand
//! over a slow or broken network. A developer tool only; never part of a deployment.

use clap::{Parser, ValueEnum};
use hudang_proxy::{Direction, LinkConfig, LinkProxy};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "hudang-proxy",
    version,
    about = "A local TCP proxy that slows, delays and cuts a link, for testing sync"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Address of the server to forward to.
    #[arg(long)]
    upstream: SocketAddr,
    /// Rate limit in kilobits (1000 bits) per second, each way. Unlimited if absent.
    #[arg(long)]
    rate_kbit: Option<u64>,
    /// Round-trip time to add, in milliseconds, split evenly between the two directions.
    #[arg(long, default_value_t = 0)]
    rtt_ms: u64,
    /// Cut every connection once this many bytes have gone in the cut direction (once).
    #[arg(long, requires = "cut_direction")]
    cut_after_bytes: Option<u64>,
    /// Which way the bytes counted by --cut-after-bytes go.
    #[arg(long, requires = "cut_after_bytes")]
    cut_direction: Option<CutDirection>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CutDirection {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = LinkConfig {
        rate_bytes_per_sec: args.rate_kbit.map(|kbit| kbit.saturating_mul(1000) / 8),
        one_way_delay: Duration::from_millis(args.rtt_ms) / 2,
    };
    let proxy = match LinkProxy::start_on(args.listen, args.upstream, config) {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let (Some(bytes), Some(direction)) = (args.cut_after_bytes, args.cut_direction) {
        let direction = match direction {
            CutDirection::Up => Direction::Up,
            CutDirection::Down => Direction::Down,
        };
        proxy.cut_after(direction, bytes);
    }
    println!("proxy listening on {} -> {}", proxy.url(), args.upstream);
    let mut last = None;
    let mut cut_reported = false;
    loop {
        thread::sleep(Duration::from_secs(1));
        let now = (proxy.connections(), proxy.bytes(Direction::Up), proxy.bytes(Direction::Down));
        if last != Some(now) {
            let (connections, up, down) = now;
            println!("connections {connections}, up {up} bytes, down {down} bytes");
            last = Some(now);
        }
        if !cut_reported && proxy.cut_fired() {
            println!("cut fired: every open connection was closed");
            cut_reported = true;
        }
    }
}
