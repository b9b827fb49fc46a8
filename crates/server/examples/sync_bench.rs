//! Sync benchmarks (a), (b), (c) and (e) of issue 3: real device stores, a real server on 127.0.0.1, and a
//! user-space proxy between them that counts every byte on the wire (headers included) and shapes the link.
//!
//! `cargo run --release -p hudang-server --example sync_bench -- [--households 500] [--photos 100]`

use chrono::{DateTime, Duration, TimeZone, Utc};
use hudang_cli::demo;
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_protocol::Role;
use hudang_proxy::{Direction, LinkConfig, LinkProxy};
use hudang_server::{SqliteStorage, Storage};
use hudang_store::{DeviceIdentity, PhotoTarget, Store};
use hudang_sync::{HttpTransport, SyncOptions, SyncSummary};
use rand::SeedableRng;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap() + Duration::minutes(minute)
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Device {
    store: Store,
    _dir: tempfile::TempDir,
}

fn device(storage: &Arc<SqliteStorage>, url: &str, n: u128, name: &str) -> Device {
    let code = hudang_server::accounts::new_enrol_code(&mut rand_chacha::ChaCha8Rng::seed_from_u64(n as u64));
    hudang_server::accounts::create_user(&**storage, Uuid::from_u128(n), name, Role::Worker, &["v1".into()], at(0))
        .unwrap();
    hudang_server::accounts::create_enrol_code(&**storage, Uuid::from_u128(n), &code, 7, at(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let identity = DeviceIdentity { device_id: Uuid::from_u128(0xD0 + n), user: name.into() };
    let mut store = Store::init(dir.path(), identity, "bench", at(0)).unwrap();
    hudang_sync::enrol(&mut store, &HttpTransport::new(url, None).unwrap(), url, &code, name, at(0)).unwrap();
    Device { store, _dir: dir }
}

fn sync(device: &mut Device, url: &str, photos: bool) -> SyncSummary {
    let token = device.store.sync_settings().unwrap().unwrap().token;
    let transport = HttpTransport::new(url, Some(&token)).unwrap();
    let options = SyncOptions { download_photos: photos, ..SyncOptions::default() };
    let outcome = hudang_sync::sync(&mut device.store, &transport, options, &mut |_| {}, at(600));
    if let Some(e) = outcome.error {
        panic!("sync failed: {e}");
    }
    outcome.summary
}

/// Bytes on the wire each way since the last reset.
fn wire(proxy: &LinkProxy) -> (u64, u64) {
    (proxy.bytes(Direction::Up), proxy.bytes(Direction::Down))
}

/// A day's work on `device`: 10 field edits in each of 50 households, saved one by one, and 100 photos. Returns
/// the sizes of the new changes and photos, the payload a perfect protocol would send.
fn days_work(device: &mut Device, households: &[Uuid], photos: usize, minute: i64) -> (u64, u64) {
    let fields = ["phone", "address", "national_number"];
    let before: Vec<_> = households.iter().take(50).map(|h| (*h, device.store.heads(*h).unwrap())).collect();
    for (i, household) in households.iter().take(50).enumerate() {
        for k in 0..10 {
            let path = fields[k % fields.len()];
            let value = serde_json::json!(format!("{path}-{minute}-{i}-{k}"));
            let provenance = device.store.provenance(at(minute + k as i64), "edit");
            device.store.set_field(*household, path, &value, &provenance).unwrap();
        }
    }
    let mut photo_bytes = 0u64;
    for p in 0..photos {
        let household = households[p % 50];
        let visit = device.store.household(household).unwrap().visits.keys().next().copied();
        let Some(visit) = visit else { continue };
        let jpeg = camera_jpeg(1600, 1200, (minute as u64) * 1000 + p as u64, &CameraExif::default());
        let provenance = device.store.provenance(at(minute + 20), "photo");
        let photo = device
            .store
            .add_photo(
                household,
                PhotoTarget::Visit(visit),
                Uuid::from_u128(0x9000_0000 + (minute as u128) * 1000 + p as u128),
                &jpeg,
                "",
                &provenance,
            )
            .unwrap();
        photo_bytes += photo.bytes;
    }
    let change_bytes: u64 = before
        .iter()
        .map(|(h, heads)| device.store.changes_since(*h, heads).unwrap().iter().map(|c| c.len() as u64).sum::<u64>())
        .sum();
    (change_bytes, photo_bytes)
}

fn main() {
    let count = arg("--households", 500);
    let photos = arg("--photos", 100);
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::init(dir.path(), Uuid::from_u128(0xC0), demo::COUNTY, at(0)).unwrap());
    hudang_server::accounts::create_village(&*storage, "v1", demo::TOWNSHIP, demo::VILLAGE).unwrap();
    let shared: Arc<dyn Storage> = storage.clone();
    let server = hudang_server::spawn_with_storage(shared, "127.0.0.1:0".parse().unwrap(), None, None).unwrap();
    let proxy = LinkProxy::start(server.addr(), LinkConfig::unlimited()).unwrap();
    let url = proxy.url();

    // The village, registered on one device and uploaded.
    let village = demo::generate(&demo::DemoOptions {
        seed: 1,
        households: count,
        today: at(0).date_naive(),
        photos: false,
        ..demo::DemoOptions::default()
    });
    let mut worker = device(&storage, &url, 1, "张三");
    let provenance = worker.store.provenance(at(1), "demo");
    worker.store.create_many_as_found(&village.households, &provenance).unwrap();
    let ids: Vec<Uuid> = village.households.iter().map(|h| h.id).collect();
    let first = sync(&mut worker, &url, false);
    println!("setup: {} households uploaded ({} changes)", first.households_sent, first.changes_sent);

    // (a) A sync where nothing changed.
    let mut colleague = device(&storage, &url, 2, "李四");
    sync(&mut colleague, &url, false);
    proxy.reset_counters();
    sync(&mut worker, &url, false);
    let (up, down) = wire(&proxy);
    println!("(a) no-op sync, {count} households: {up} B up + {down} B down = {} B on the wire", up + down);

    // (c) First download of the village by a new device, without photos.
    let mut newcomer = device(&storage, &url, 3, "王五");
    proxy.reset_counters();
    let started = Instant::now();
    let summary = sync(&mut newcomer, &url, false);
    let elapsed = started.elapsed();
    let (up, down) = wire(&proxy);
    println!(
        "(c) first download, {} households: {:.2} s, {} B down ({:.0} B/household), {} B up",
        summary.households_new,
        elapsed.as_secs_f64(),
        down,
        down as f64 / summary.households_new.max(1) as f64,
        up
    );

    // (b) A day's work: 50 households x 10 edits and 100 photos.
    let (change_bytes, photo_bytes) = days_work(&mut worker, &ids, photos, 100);
    proxy.reset_counters();
    let started = Instant::now();
    let summary = sync(&mut worker, &url, false);
    let elapsed = started.elapsed();
    let (up, down) = wire(&proxy);
    let payload = change_bytes + photo_bytes;
    println!(
        "(b) day's work: {} changes ({change_bytes} B) + {} photos ({photo_bytes} B) = {payload} B payload; \
         on the wire {up} B up + {down} B down = {} B; overhead {:.2}%; {:.2} s on loopback",
        summary.changes_sent,
        summary.photos_sent,
        up + down,
        (up + down) as f64 * 100.0 / payload as f64 - 100.0,
        elapsed.as_secs_f64()
    );

    // (e) The same day's work over 256 kbit/s with a 300 ms round trip.
    let (change_bytes, photo_bytes) = days_work(&mut worker, &ids, photos, 200);
    proxy.set_config(LinkConfig::throttled(256, std::time::Duration::from_millis(300)));
    proxy.reset_counters();
    let started = Instant::now();
    sync(&mut worker, &url, false);
    let elapsed = started.elapsed().as_secs_f64();
    let (up, down) = wire(&proxy);
    // Each direction has its own 256 kbit/s, so the raw time is that of the busier direction.
    let raw = (up.max(down) as f64 * 8.0) / 256_000.0;
    println!(
        "(e) day's work over 256 kbit/s, 300 ms RTT: {elapsed:.1} s; its {up} B up / {down} B down at 256 kbit/s \
         alone take {raw:.1} s ({:.1}% more); payload {} B",
        (elapsed / raw - 1.0) * 100.0,
        change_bytes + photo_bytes
    );
    let _ = colleague;
    server.shutdown();
}
