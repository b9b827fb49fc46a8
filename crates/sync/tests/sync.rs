//! Devices and a county server converging: real device stores on SQLite files, a real server on 127.0.0.1:0,
//! real HTTP, and a user-space proxy between them to throttle and cut the link.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hudang_domain::*;
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_protocol::Role;
use hudang_proxy::{Direction, LinkConfig, LinkProxy};
use hudang_server::{RunningServer, SqliteStorage, Storage};
use hudang_store::{DeviceIdentity, PhotoTarget, Store};
use hudang_sync::{HttpTransport, SyncOptions, SyncOutcome};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const TOWNSHIP: &str = "芷村镇";
const VILLAGE: &str = "芷村";
const OTHER_VILLAGE: &str = "落水洞村";

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

/// A county server with two villages, on 127.0.0.1:0, and its storage for admin actions.
struct County {
    storage: Arc<SqliteStorage>,
    server: Option<RunningServer>,
    _dir: tempfile::TempDir,
}

impl County {
    fn start() -> County {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::init(dir.path(), Uuid::from_u128(0xC0), "蒙自市", at(0)).unwrap());
        hudang_server::accounts::create_village(&*storage, "532503100201", TOWNSHIP, VILLAGE).unwrap();
        hudang_server::accounts::create_village(&*storage, "532503100202", TOWNSHIP, OTHER_VILLAGE).unwrap();
        let server = spawn(&storage);
        County { storage, server: Some(server), _dir: dir }
    }

    fn url(&self) -> String {
        self.server.as_ref().unwrap().url()
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().unwrap().addr()
    }

    /// A user with a one-time code.
    fn user(&self, n: u128, name: &str, role: Role, villages: &[&str]) -> String {
        let villages: Vec<String> = villages.iter().map(|v| v.to_string()).collect();
        hudang_server::accounts::create_user(&*self.storage, Uuid::from_u128(n), name, role, &villages, at(0)).unwrap();
        let code = hudang_server::accounts::new_enrol_code(&mut ChaCha8Rng::seed_from_u64(n as u64));
        hudang_server::accounts::create_enrol_code(&*self.storage, Uuid::from_u128(n), &code, 7, at(0)).unwrap();
        code
    }

    fn change_log_len(&self) -> usize {
        hudang_server::storage::read(&*self.storage, |r| r.last_seq()).unwrap() as usize
    }
}

fn spawn(storage: &Arc<SqliteStorage>) -> RunningServer {
    let storage: Arc<dyn Storage> = storage.clone();
    hudang_server::spawn_with_storage(storage, "127.0.0.1:0".parse().unwrap(), None, None).unwrap()
}

/// A device: its own store in its own folder, enrolled with the county.
struct Device {
    store: Store,
    dir: tempfile::TempDir,
    url: String,
}

impl Device {
    fn enrolled(county: &County, n: u128, name: &str, role: Role, villages: &[&str]) -> Device {
        let code = county.user(n, name, role, villages);
        Device::enrolled_at(&county.url(), n, name, &code)
    }

    fn enrolled_at(url: &str, n: u128, name: &str, code: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let identity = DeviceIdentity { device_id: Uuid::from_u128(0xD000 + n), user: name.into() };
        let mut store = Store::init(dir.path(), identity, "test", at(0)).unwrap();
        let transport = HttpTransport::new(url, None).unwrap();
        hudang_sync::enrol(&mut store, &transport, url, code, &format!("{name}的平板"), at(0)).unwrap();
        Device { store, dir, url: url.to_string() }
    }

    /// Syncs through `url` (the server itself, or a proxy in front of it).
    fn sync_via(&mut self, url: &str, retries: u32) -> SyncOutcome {
        let token = self.store.sync_settings().unwrap().unwrap().token;
        let transport = HttpTransport::new(url, Some(&token)).unwrap();
        let options = SyncOptions { retries, retry_pause_ms: 10, ..SyncOptions::default() };
        hudang_sync::sync(&mut self.store, &transport, options, &mut |_| {}, at(60))
    }

    fn sync(&mut self) -> hudang_sync::SyncSummary {
        let url = self.url.clone();
        let outcome = self.sync_via(&url, 0);
        if let Some(e) = outcome.error {
            panic!("sync failed: {e} ({})", e.code());
        }
        outcome.summary
    }

    fn set(&mut self, household: Uuid, path: &str, value: Json, minute: i64) {
        let provenance = self.store.provenance(at(minute), "edit");
        self.store.set_field(household, path, &value, &provenance).unwrap();
    }

    fn json(&self, household: Uuid) -> Json {
        self.store.document(household).unwrap().to_json().unwrap()
    }

    fn heads(&self, household: Uuid) -> Vec<String> {
        let mut heads: Vec<String> = self.store.heads(household).unwrap().iter().map(|h| h.to_string()).collect();
        heads.sort();
        heads
    }
}

fn id_number(year: i32, seq: u16) -> String {
    idcard::make_id_number("532503", chrono::NaiveDate::from_ymd_opt(year, 3, 4).unwrap(), seq)
}

fn household(n: u128, head: &str, village: &str) -> Household {
    let mut h = Household::new(Uuid::from_u128(n));
    h.area =
        Area { county: "蒙自市".into(), township: TOWNSHIP.into(), village: village.into(), group: "三组".into() };
    h.phone = format!("1380000{n:04}");
    let head_id = Uuid::from_u128(n * 100 + 1);
    h.head_member_id = Some(head_id);
    h.members.insert(
        head_id,
        Member {
            name: head.into(),
            sex: Some(Sex::Male),
            relation: Some(Relation::Head),
            id_number: id_number(1970, (n * 2 + 1) as u16),
            ..Default::default()
        },
    );
    h.visits.insert(Uuid::from_u128(n * 100 + 50), Visit { visited_at: at(1), ..Default::default() });
    h.inspections.insert(Uuid::from_u128(n * 100 + 60), Inspection { inspected_at: at(1), ..Default::default() });
    h
}

fn create(device: &mut Device, n: u128, head: &str, village: &str) -> Uuid {
    let h = household(n, head, village);
    let provenance = device.store.provenance(at(1), "create");
    device.store.create_household(&h, &provenance).unwrap();
    h.id
}

fn add_photo(device: &mut Device, household: Uuid, n: u128, seed: u64) -> String {
    let jpeg = camera_jpeg(640, 480, seed, &CameraExif::default());
    let provenance = device.store.provenance(at(5), "photo");
    let target = PhotoTarget::Visit(Uuid::from_u128(n * 100 + 50));
    device
        .store
        .add_photo(household, target, Uuid::from_u128(seed as u128 + 0xF000), &jpeg, "", &provenance)
        .unwrap()
        .sha256
}

fn add_member(device: &mut Device, household: Uuid, member: u128, name: &str) {
    let provenance = device.store.provenance(at(6), "member");
    let name = name.to_string();
    device
        .store
        .edit_household(household, &provenance, move |h| {
            h.members.insert(
                Uuid::from_u128(member),
                Member { name, relation: Some(Relation::Son), sex: Some(Sex::Male), ..Default::default() },
            );
            Ok(())
        })
        .unwrap();
}

fn assert_converged(devices: &[&Device], households: &[Uuid]) {
    for &household in households {
        let first = devices[0].json(household);
        let heads = devices[0].heads(household);
        for other in &devices[1..] {
            assert_eq!(other.heads(household), heads, "heads of {household}");
            assert_eq!(other.json(household), first, "content of {household}");
        }
    }
}

#[test]
fn three_devices_editing_offline_converge_and_see_every_disagreement() {
    let county = County::start();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let mut b = Device::enrolled(&county, 2, "李四", Role::Worker, &["532503100201"]);
    let mut c = Device::enrolled(&county, 3, "王五", Role::TeamLeader, &["532503100201"]);

    // A registers two households and shares them.
    let h1 = create(&mut a, 10, "杨国富", VILLAGE);
    let h2 = create(&mut a, 11, "李文华", VILLAGE);
    let first = a.sync();
    assert_eq!((first.households_sent, first.changes_accepted), (2, 2));
    assert_eq!(b.sync().households_new, 2);
    assert_eq!(c.sync().households_new, 2);

    // Offline: the same field on A and B, different fields on B and C, members and photos on all three.
    a.set(h1, "phone", json!("13911110000"), 10);
    b.set(h1, "phone", json!("13922220000"), 11);
    b.set(h1, "address", json!("芷村三组12号"), 12);
    c.set(h1, "national_number", json!("5325030001"), 13);
    add_member(&mut a, h2, 9001, "杨小明");
    add_member(&mut c, h2, 9002, "杨小红");
    let photo_b = add_photo(&mut b, h1, 10, 7);
    let photo_c = add_photo(&mut c, h2, 11, 8);

    // Varied order: C, A, B, then everyone once more.
    c.sync();
    a.sync();
    b.sync();
    for device in [&mut c, &mut a, &mut b] {
        device.sync();
    }
    assert_converged(&[&a, &b, &c], &[h1, h2]);
    let doc = a.json(h1);
    assert_eq!(doc["address"], json!("芷村三组12号"));
    assert_eq!(doc["national_number"], json!("5325030001"));
    assert_eq!(a.store.household(h2).unwrap().members.len(), 3, "both new members kept");
    for device in [&a, &b, &c] {
        assert!(device.store.has_photo(&photo_b).unwrap() && device.store.has_photo(&photo_c).unwrap());
    }

    // The same-field disagreement is one conflict on every device, with both values and both authors.
    for device in [&a, &b, &c] {
        let conflicts = device.store.conflicts(Some(h1)).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let conflict = &conflicts[0].1;
        assert_eq!(conflict.path, "phone");
        let mut seen: Vec<(String, Json)> =
            conflict.candidates.iter().map(|c| (c.provenance.user.clone(), c.value.clone())).collect();
        seen.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(seen, vec![("张三".into(), json!("13911110000")), ("李四".into(), json!("13922220000"))]);
    }
    let server_conflicts = hudang_server::county::conflicts(&*county.storage).unwrap();
    assert_eq!(server_conflicts.len(), 1, "the server records it too");

    // The team leader resolves it; the resolution reaches everyone and the conflict is gone everywhere.
    let provenance = c.store.provenance(at(30), "resolve");
    c.store.resolve_conflict(h1, "phone", &json!("13922220000"), &provenance).unwrap();
    c.sync();
    a.sync();
    b.sync();
    assert_converged(&[&a, &b, &c], &[h1, h2]);
    for device in [&a, &b, &c] {
        assert!(device.store.conflicts(None).unwrap().is_empty());
        assert_eq!(device.json(h1)["phone"], json!("13922220000"));
    }
    assert!(hudang_server::county::conflicts(&*county.storage).unwrap().is_empty());

    // Nothing changed since: a sync sends nothing and costs a few bytes of body.
    let idle = a.sync();
    assert_eq!((idle.changes_sent, idle.changes_received, idle.photos_sent), (0, 0, 0));
    assert!(idle.bytes_sent + idle.bytes_received < 32, "{idle:?}");
}

#[test]
fn a_resolution_made_on_the_server_reaches_the_devices() {
    let county = County::start();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let mut b = Device::enrolled(&county, 2, "李四", Role::Worker, &["532503100201"]);
    let h = create(&mut a, 20, "周家顺", VILLAGE);
    a.sync();
    b.sync();
    a.set(h, "address", json!("一组1号"), 10);
    b.set(h, "address", json!("一组2号"), 11);
    a.sync();
    b.sync();
    a.sync();
    assert_eq!(a.store.conflicts(Some(h)).unwrap().len(), 1);
    hudang_server::county::resolve_conflict(&*county.storage, h, "address", &json!("一组2号"), "县局赵科长", at(40))
        .unwrap();
    a.sync();
    b.sync();
    assert_converged(&[&a, &b], &[h]);
    assert!(a.store.conflicts(None).unwrap().is_empty() && b.store.conflicts(None).unwrap().is_empty());
    let history = a.store.history(h).unwrap();
    assert!(history.iter().any(|e| e.provenance.user == "县局赵科长"), "the resolution is attributed");
}

#[test]
fn a_device_never_receives_households_outside_its_area() {
    let county = County::start();
    let mut leader = Device::enrolled(&county, 1, "县局", Role::CountyStaff, &[]);
    let mut here = Device::enrolled(&county, 2, "李四", Role::Worker, &["532503100201"]);
    let mut there = Device::enrolled(&county, 3, "赵六", Role::Worker, &["532503100202"]);
    let mine = create(&mut here, 30, "何建国", VILLAGE);
    let theirs = create(&mut there, 31, "马永福", OTHER_VILLAGE);
    here.sync();
    there.sync();
    here.sync();
    assert!(here.store.household(theirs).is_err());
    assert!(there.store.household(mine).is_err());
    let county_view = leader.sync();
    assert_eq!(county_view.households_new, 2, "county staff see the whole county");

    // A worker who registers a household in a village outside their area is refused, and keeps it locally.
    let stray = create(&mut here, 32, "外村户", OTHER_VILLAGE);
    let outcome = here.sync_via(&here.url.clone(), 0);
    let error = outcome.error.expect("refused");
    assert_eq!(error.code(), "sync.outside_area");
    assert!(here.store.household(stray).is_ok());
    assert!(hudang_server::county::household_json(&*county.storage, stray).is_err());
}

#[test]
fn a_revoked_device_is_refused_at_its_next_sync() {
    let county = County::start();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    create(&mut a, 40, "刘大山", VILLAGE);
    a.sync();
    county.storage.revoke_device(a.store.identity().device_id, at(50)).unwrap();
    create(&mut a, 41, "刘二山", VILLAGE);
    let outcome = a.sync_via(&a.url.clone(), 0);
    assert_eq!(outcome.error.expect("refused").code(), "auth.revoked");
    assert_eq!(a.store.unsent_households().unwrap().len(), 1, "the unsent household stays queued");
}

/// A household with a few changes and a photo, from a device, then cut at many points of upload, download and
/// photo transfer: each interrupted sync resumes, nothing is lost, nothing is stored twice.
#[test]
fn syncs_cut_at_random_bytes_resume_without_loss_or_duplicates() {
    let county = County::start();
    let proxy = LinkProxy::start(county.addr(), LinkConfig::unlimited()).unwrap();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let mut b = Device::enrolled(&county, 2, "李四", Role::Worker, &["532503100201"]);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut households = Vec::new();
    let mut photos = Vec::new();
    for n in 0..6u128 {
        let h = create(&mut a, 100 + n, &format!("户主{n}"), VILLAGE);
        for k in 0..5 {
            a.set(h, "address", json!(format!("三组{n}-{k}")), 2 + k);
        }
        photos.push(add_photo(&mut a, h, 100 + n, 100 + n as u64));
        households.push(h);
    }
    let mut cuts = 0;
    // Upload (changes and photos) cut at random points, until a sync completes.
    loop {
        proxy.cut_after(Direction::Up, rng.random_range(200..60_000));
        let outcome = a.sync_via(&proxy.url(), 0);
        if outcome.error.is_none() {
            break;
        }
        cuts += 1;
        assert!(cuts < 60, "upload never completed");
    }
    // Download cut at random points.
    let mut download_cuts = 0;
    loop {
        proxy.cut_after(Direction::Down, rng.random_range(200..60_000));
        let outcome = b.sync_via(&proxy.url(), 0);
        if outcome.error.is_none() {
            break;
        }
        download_cuts += 1;
        assert!(download_cuts < 60, "download never completed");
    }
    assert!(cuts > 0 && download_cuts > 0, "the proxy cut something ({cuts}, {download_cuts})");
    proxy.cut_after(Direction::Down, u64::MAX);
    b.sync();
    assert_converged(&[&a, &b], &households);
    for sha in &photos {
        assert!(b.store.has_photo(sha).unwrap());
        assert_eq!(b.store.photo_bytes(sha).unwrap(), a.store.photo_bytes(sha).unwrap());
    }
    // Each change is in the server's log once: 6 creations and 30 edits, 6 photo references.
    assert_eq!(county.change_log_len(), 6 + 30 + 6);
    assert!(b.store.missing_photos().unwrap().is_empty());
}

#[test]
fn a_sync_retries_through_a_flaky_link_by_itself() {
    let county = County::start();
    let proxy = LinkProxy::start(county.addr(), LinkConfig::unlimited()).unwrap();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let h = create(&mut a, 50, "陈立", VILLAGE);
    add_photo(&mut a, h, 50, 3);
    proxy.cut_after(Direction::Up, 3_000);
    let outcome = a.sync_via(&proxy.url(), 3);
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert!(outcome.summary.retries >= 1);
    assert_eq!(outcome.summary.photos_sent, 1);
}

#[test]
fn the_server_stopping_mid_sync_loses_nothing() {
    let mut county = County::start();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let mut b = Device::enrolled(&county, 2, "李四", Role::Worker, &["532503100201"]);
    let mut households = Vec::new();
    for n in 0..40u128 {
        households.push(create(&mut a, 200 + n, &format!("户{n}"), VILLAGE));
    }
    // The server goes away; the sync fails cleanly and keeps everything queued.
    let addr = county.addr();
    county.server.take().unwrap().shutdown();
    let outcome = a.sync_via(&format!("http://{addr}"), 0);
    assert_eq!(outcome.error.expect("no server").code(), "sync.network");
    assert_eq!(a.store.unsent_households().unwrap().len(), 40);
    // It comes back (same data, a new port); both devices carry on.
    county.server = Some(spawn(&county.storage));
    let url = county.url();
    let done = a.sync_via(&url, 0);
    assert!(done.error.is_none());
    assert_eq!(done.summary.households_sent, 40);
    b.url = url;
    assert_eq!(b.sync().households_new, 40);
    assert_converged(&[&a, &b], &households);
}

/// Randomised scenarios: three devices, a few households, random edits (same and different fields, members, notes)
/// and random sync orders. Whatever happens, after everyone syncs twice all replicas are identical, and every field
/// two devices set to different values concurrently is a conflict until someone resolves it.
#[test]
fn random_scenarios_always_converge() {
    for seed in 0..12u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let county = County::start();
        let mut devices: Vec<Device> = (0..3u128)
            .map(|n| Device::enrolled(&county, n + 1, ["甲", "乙", "丙"][n as usize], Role::Worker, &["532503100201"]))
            .collect();
        let households: Vec<Uuid> =
            (0..3u128).map(|n| create(&mut devices[0], 300 + n, &format!("户{n}"), VILLAGE)).collect();
        for d in devices.iter_mut() {
            d.sync();
        }
        let fields = ["phone", "address", "national_number"];
        let mut minute = 10;
        for _round in 0..4 {
            for _ in 0..rng.random_range(1..8) {
                let d = rng.random_range(0..3);
                let h = households[rng.random_range(0..households.len())];
                minute += 1;
                match rng.random_range(0..3) {
                    0 | 1 => {
                        let field = fields[rng.random_range(0..fields.len())];
                        let value = json!(format!("{field}-{}", rng.random_range(0..3)));
                        // Typing the value a field already shows is not an edit.
                        if devices[d].store.field_value(h, field).unwrap() != Some(value.clone()) {
                            devices[d].set(h, field, value, minute);
                        }
                    }
                    _ => {
                        let member = 50_000 + rng.random_range(0..1_000_000u128);
                        add_member(&mut devices[d], h, member, "新成员");
                    }
                }
            }
            for _ in 0..rng.random_range(0..4) {
                let d = rng.random_range(0..3);
                devices[d].sync();
            }
        }
        for _ in 0..2 {
            for d in devices.iter_mut() {
                d.sync();
            }
        }
        let refs: Vec<&Device> = devices.iter().collect();
        assert_converged(&refs, &households);
        // Every device reports the same conflicts, and each lists values from more than one change.
        let conflicts = |d: &Device| -> BTreeMap<(Uuid, String), usize> {
            d.store.conflicts(None).unwrap().into_iter().map(|(h, c)| ((h, c.path), c.candidates.len())).collect()
        };
        let first = conflicts(&devices[0]);
        for d in &devices[1..] {
            assert_eq!(conflicts(d), first, "seed {seed}");
        }
        assert!(first.values().all(|&n| n >= 2));
        // Resolving them all on one device clears them everywhere.
        for (h, path) in first.keys() {
            let provenance = devices[1].store.provenance(at(500), "resolve");
            devices[1].store.resolve_conflict(*h, path, &json!("定"), &provenance).unwrap();
        }
        for _ in 0..2 {
            for d in devices.iter_mut() {
                d.sync();
            }
        }
        for d in &devices {
            assert!(d.store.conflicts(None).unwrap().is_empty(), "seed {seed}");
        }
        let refs: Vec<&Device> = devices.iter().collect();
        assert_converged(&refs, &households);
    }
}

fn export(device: &Device, since: Option<&hudang_protocol::Manifest>, n: u128) -> Vec<u8> {
    hudang_sync::export_bundle(&device.store, since, Uuid::from_u128(n), at(70)).unwrap().encode()
}

#[test]
fn bundles_relay_through_a_team_leader_to_the_county() {
    let county = County::start();
    let mut leader = Device::enrolled(&county, 1, "王队长", Role::TeamLeader, &["532503100201"]);
    let mut office = Device::enrolled(&county, 3, "县局", Role::CountyStaff, &[]);
    // The worker never reaches a network: a fresh device that only exchanges bundles.
    let worker_dir = tempfile::tempdir().unwrap();
    let identity = DeviceIdentity { device_id: Uuid::from_u128(0xAAAA), user: "李四".into() };
    let mut worker = Store::init(worker_dir.path(), identity, "test", at(0)).unwrap();
    let h = household(60, "孙家和", VILLAGE);
    worker.create_household(&h, &worker.provenance(at(1), "create")).unwrap();
    let jpeg = camera_jpeg(320, 240, 9, &CameraExif::default());
    let photo = worker
        .add_photo(
            h.id,
            PhotoTarget::Visit(Uuid::from_u128(6050)),
            Uuid::from_u128(1),
            &jpeg,
            "",
            &worker.provenance(at(2), "photo"),
        )
        .unwrap();
    let first = hudang_sync::export_bundle(&worker, None, Uuid::from_u128(1), at(3)).unwrap();
    let bytes = first.encode();

    let report = hudang_sync::import_bundle(&mut leader.store, &bytes, at(4)).unwrap();
    assert_eq!((report.households_new, report.photos_new), (1, 1));
    let again = hudang_sync::import_bundle(&mut leader.store, &bytes, at(5)).unwrap();
    assert_eq!((again.households_changed, again.changes_new, again.photos_new), (0, 0, 0), "idempotent");
    leader.sync();
    office.sync();
    assert_eq!(office.store.household(h.id).unwrap(), worker.household(h.id).unwrap());
    assert!(office.store.has_photo(&photo.sha256).unwrap());
    let history = office.store.history(h.id).unwrap();
    assert_eq!(history[0].provenance.user, "李四", "the worker's authorship survives the relay");

    // A later bundle holds only what came after the first one.
    let provenance = worker.provenance(at(20), "edit");
    worker.set_field(h.id, "address", &json!("二组8号"), &provenance).unwrap();
    let second = hudang_sync::export_bundle(&worker, Some(&first.manifest), Uuid::from_u128(2), at(21)).unwrap();
    assert_eq!(second.manifest.change_count, 1);
    // A device that never saw the first bundle refuses the second whole, saying why.
    let stranger_dir = tempfile::tempdir().unwrap();
    let identity = DeviceIdentity { device_id: Uuid::from_u128(0xBBBB), user: "周".into() };
    let mut stranger = Store::init(stranger_dir.path(), identity, "test", at(0)).unwrap();
    let error = hudang_sync::import_bundle(&mut stranger, &second.encode(), at(22)).unwrap_err();
    assert!(error.to_string().contains("请先导入"), "{error}");
    assert!(stranger.household_ids().unwrap().is_empty());
    hudang_sync::import_bundle(&mut leader.store, &second.encode(), at(23)).unwrap();
    leader.sync();
    office.sync();
    assert_eq!(office.json(h.id)["address"], json!("二组8号"));
}

#[test]
fn a_damaged_or_altered_bundle_is_refused_whole() {
    let county = County::start();
    let mut a = Device::enrolled(&county, 1, "张三", Role::Worker, &["532503100201"]);
    let dir = tempfile::tempdir().unwrap();
    let identity = DeviceIdentity { device_id: Uuid::from_u128(0xCCCC), user: "收".into() };
    let mut receiver = Store::init(dir.path(), identity, "test", at(0)).unwrap();
    for n in 0..3u128 {
        let h = create(&mut a, 70 + n, &format!("户{n}"), VILLAGE);
        add_photo(&mut a, h, 70 + n, 70 + n as u64);
    }
    let bytes = export(&a, None, 9);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..40 {
        let mut damaged = bytes.clone();
        let at_byte = rng.random_range(0..damaged.len());
        damaged[at_byte] ^= 1 << rng.random_range(0..8);
        assert!(hudang_sync::import_bundle(&mut receiver, &damaged, at(80)).is_err());
        let cut = rng.random_range(0..bytes.len());
        assert!(hudang_sync::import_bundle(&mut receiver, &bytes[..cut], at(80)).is_err());
    }
    // An altered change, with the file's checksum recomputed to hide it, is still refused.
    let mut bundle = hudang_protocol::Bundle::decode(&bytes).unwrap();
    let change = &mut bundle.households[1].changes[0];
    let middle = change.len() / 2;
    change[middle] ^= 0x55;
    let error = hudang_sync::import_bundle(&mut receiver, &bundle.encode(), at(81)).unwrap_err();
    assert!(!error.to_string().is_empty());
    assert!(receiver.household_ids().unwrap().is_empty(), "nothing applied");
    assert!(receiver.missing_photos().unwrap().is_empty());
    // The intact file imports.
    let report = hudang_sync::import_bundle(&mut receiver, &bytes, at(82)).unwrap();
    assert_eq!((report.households_new, report.photos_new), (3, 3));
    let _ = Path::new(a.dir.path());
}
