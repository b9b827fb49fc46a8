//! Ingest benchmark: many devices push their households' changes to a real server over HTTP.
//!
//! `cargo run --release -p hudang-server --example ingest -- --households 100000 --changes 10 --devices 200`
//!
//! The changes are made first (outside the timing) on both cores and written to a scratch file, so the client side
//! holds only the batch it is sending. Then a server is started on 127.0.0.1:0 in this process, every device is
//! enrolled, and two client threads push the batches (about `PUSH_BATCH_BYTES` each). The peak RSS is reset before
//! the push phase (`/proc/self/clear_refs`), so it measures the server plus two clients holding one batch each.

use automerge::{ROOT, transaction::CommitOptions, transaction::Transactable};
use chrono::{NaiveDate, TimeZone, Utc};
use hudang_domain::{Area, Household, Member, PovertyStatus, Relation, Visit, idcard};
use hudang_protocol::{EnrolRequest, EnrolResponse, HouseholdChanges, PUSH_BATCH_BYTES, PushRequest, Role, routes};
use hudang_record::{HouseholdDoc, Provenance, actor_for_device};
use hudang_server::storage::Storage;
use hudang_server::{SqliteStorage, accounts};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use uuid::Uuid;

const VILLAGES: usize = 20;

struct Options {
    households: usize,
    changes: usize,
    devices: usize,
}

fn options() -> Options {
    let mut options = Options { households: 100_000, changes: 10, devices: 200 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok()).expect("each option takes a number");
        match pair[0].as_str() {
            "--households" => options.households = value,
            "--changes" => options.changes = value.max(1),
            "--devices" => options.devices = value.max(1),
            other => panic!("unknown option {other} (use --households N --changes N --devices N)"),
        }
    }
    options
}

/// One push request on disk: which device sends it, where its body is, how many changes it holds.
#[derive(Clone, Copy)]
struct Batch {
    device: usize,
    offset: u64,
    len: usize,
    changes: usize,
}

fn village_of(device: usize) -> usize {
    device % VILLAGES
}

fn household_for(index: usize, device: usize) -> Household {
    let mut h = Household::new(Uuid::from_u128(0x4855_0000_0000_0000_0000 + index as u128));
    h.area = Area {
        county: "蒙自市".into(),
        township: "文澜镇".into(),
        village: format!("第{}村", village_of(device)),
        group: format!("{}组", index % 7 + 1),
    };
    let head = Uuid::from_u128(0x4D45_0000_0000_0000_0000 + index as u128);
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days((index / 900) as i64);
    h.head_member_id = Some(head);
    h.members.insert(
        head,
        Member {
            name: format!("户主{index}"),
            relation: Some(Relation::Head),
            id_number: idcard::make_id_number("532503", birth, (index % 900) as u16 + 1),
            ..Default::default()
        },
    );
    // A status and, for two households in three, a visit this month, so the console's overview has something to
    // count in every column.
    h.status = Some(PovertyStatus::ALL[index % PovertyStatus::ALL.len()]);
    if !index.is_multiple_of(3) {
        h.visits.insert(
            Uuid::from_u128(0x5649_0000_0000_0000_0000 + index as u128),
            Visit {
                visited_at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
                recorded_by: format!("队员{device}"),
                ..Default::default()
            },
        );
    }
    h
}

/// Makes every change of one device's households and appends its push bodies to the scratch file.
fn generate_device(device: usize, options: &Options, device_ids: &[Uuid], out: &mut Vec<(Vec<u8>, usize)>) {
    let id = device_ids[device];
    let actor = actor_for_device(id);
    let base = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    let mut batch: Vec<HouseholdChanges> = Vec::new();
    let (mut batch_bytes, mut batch_changes) = (0usize, 0usize);
    for index in (device..options.households).step_by(options.devices) {
        let household = household_for(index, device);
        let provenance = Provenance { user: format!("队员{device}"), device: id, at: base, action: "create".into() };
        let mut doc = HouseholdDoc::create(&household, actor.clone(), &provenance).unwrap();
        for edit in 1..options.changes {
            let automerge = doc.automerge();
            let (key, value) = match edit % 3 {
                0 => ("phone", format!("139{:08}", index * 10 + edit)),
                1 => ("address", format!("第{edit}号院")),
                _ => ("national_number", format!("53250300{index:06}{edit}")),
            };
            automerge.put(ROOT, key, value).unwrap();
            let message = serde_json::json!({ "user": provenance.user, "device": id, "action": "edit" }).to_string();
            let at = base.timestamp_millis() + edit as i64 * 60_000;
            automerge.commit_with(CommitOptions::default().with_message(message).with_time(at));
        }
        let changes: Vec<Vec<u8>> = doc.changes_after(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
        let size: usize = changes.iter().map(|c| c.len() + 3).sum::<usize>() + 20;
        if batch_bytes + size > PUSH_BATCH_BYTES && !batch.is_empty() {
            out.push((hudang_protocol::encode(&PushRequest { households: std::mem::take(&mut batch) }), batch_changes));
            batch_bytes = 0;
            batch_changes = 0;
        }
        batch_bytes += size;
        batch_changes += changes.len();
        batch.push(HouseholdChanges { household: household.id, changes });
    }
    if !batch.is_empty() {
        out.push((hudang_protocol::encode(&PushRequest { households: batch }), batch_changes));
    }
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| {
                    let meta = e.metadata().unwrap();
                    if meta.is_dir() { dir_size(&e.path()) } else { meta.len() }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let options = options();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("server");
    let device_ids: Vec<Uuid> = (0..options.devices).map(|d| Uuid::from_u128(0xDE00_0000 + d as u128)).collect();

    // 1. Every change, made on both cores and written to a scratch file.
    let started = Instant::now();
    let bodies_path = scratch.path().join("bodies.bin");
    let mut batches: Vec<Batch> = Vec::new();
    {
        let mut file = BufWriter::new(std::fs::File::create(&bodies_path).unwrap());
        let mut offset = 0u64;
        let group = 8;
        for first in (0..options.devices).step_by(group * 2) {
            let mut made: Vec<Vec<(usize, Vec<u8>, usize)>> = vec![Vec::new(), Vec::new()];
            std::thread::scope(|scope| {
                for (half, out) in made.iter_mut().enumerate() {
                    let (options, device_ids) = (&options, &device_ids);
                    scope.spawn(move || {
                        let start = first + half * group;
                        for device in start..(start + group).min(options.devices) {
                            let mut bodies = Vec::new();
                            generate_device(device, options, device_ids, &mut bodies);
                            out.extend(bodies.into_iter().map(|(body, changes)| (device, body, changes)));
                        }
                    });
                }
            });
            for (device, body, changes) in made.into_iter().flatten() {
                file.write_all(&body).unwrap();
                batches.push(Batch { device, offset, len: body.len(), changes });
                offset += body.len() as u64;
            }
        }
        file.flush().unwrap();
    }
    let total_changes: usize = batches.iter().map(|b| b.changes).sum();
    let generation = started.elapsed();
    // Interleave devices the way they would arrive: each device's batches in order, devices taking turns.
    let mut by_device: Vec<Vec<Batch>> = vec![Vec::new(); options.devices];
    for batch in &batches {
        by_device[batch.device].push(*batch);
    }
    let rounds = by_device.iter().map(Vec::len).max().unwrap_or(0);
    let order: Vec<Batch> =
        (0..rounds).flat_map(|round| by_device.iter().filter_map(move |b| b.get(round).copied())).collect();

    // 2. A server with one village per team and one worker per device, every device enrolled over HTTP.
    let now = Utc::now();
    let storage = Arc::new(SqliteStorage::init(&data, Uuid::new_v4(), "蒙自市", now).unwrap());
    for village in 0..VILLAGES.min(options.devices) {
        accounts::create_village(storage.as_ref(), &format!("V{village}"), "文澜镇", &format!("第{village}村"))
            .unwrap();
    }
    let server = hudang_server::spawn_with_storage(
        storage.clone() as Arc<dyn Storage>,
        "127.0.0.1:0".parse().unwrap(),
        None,
        None,
    )
    .unwrap();
    let url = server.url();
    let client = reqwest::blocking::Client::builder().timeout(None).build().unwrap();
    let mut tokens = Vec::new();
    for (device, id) in device_ids.iter().enumerate() {
        let user = Uuid::new_v4();
        let village = format!("V{}", village_of(device));
        accounts::create_user(storage.as_ref(), user, &format!("队员{device}"), Role::Worker, &[village], now).unwrap();
        let code = accounts::new_enrol_code(&mut rand::rng());
        accounts::create_enrol_code(storage.as_ref(), user, &code, 7, now).unwrap();
        let request = EnrolRequest { code, device_id: *id, device_name: format!("平板{device}") };
        let response = client
            .post(format!("{url}{}", routes::ENROL))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&request).unwrap())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        let enrolled: EnrolResponse = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
        tokens.push(enrolled.token);
    }

    // 3. The timed part: two clients push every batch.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let client = reqwest::blocking::Client::builder().timeout(None).build().unwrap();
                let mut file = std::fs::File::open(&bodies_path).unwrap();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = order.get(index) else { break };
                    let mut body = vec![0u8; batch.len];
                    file.seek(SeekFrom::Start(batch.offset)).unwrap();
                    file.read_exact(&mut body).unwrap();
                    let response = client
                        .post(format!("{url}{}", routes::PUSH))
                        .bearer_auth(&tokens[batch.device])
                        .header("content-type", hudang_protocol::SYNC_CONTENT_TYPE)
                        .body(body)
                        .send()
                        .unwrap();
                    let status = response.status();
                    assert!(status.is_success(), "{status}: {}", response.text().unwrap_or_default());
                }
            });
        }
    });
    let wall = started.elapsed();
    let peak_push_kb = status_kb("VmHWM:");
    let stored = hudang_server::storage::read(storage.as_ref(), |r| r.last_seq()).unwrap();
    server.shutdown();
    let database = std::fs::metadata(storage.database_path()).map(|m| m.len()).unwrap_or(0);
    let wal = std::fs::metadata(storage.database_path().with_extension("sqlite3-wal")).map(|m| m.len()).unwrap_or(0);

    println!("households            {}", options.households);
    println!("devices               {}", options.devices);
    println!("push requests         {}", order.len());
    println!("changes made          {total_changes} (generated in {:.1} s)", generation.as_secs_f64());
    println!("changes stored        {stored}");
    println!("wall time (push)      {:.2} s", wall.as_secs_f64());
    println!("changes/s             {:.0}", total_changes as f64 / wall.as_secs_f64());
    println!("households/s          {:.0}", options.households as f64 / wall.as_secs_f64());
    println!("peak RSS, push phase  {} MB (server and both clients: one process)", peak_push_kb / 1024);
    println!("database              {} MB (+ WAL {} MB)", database / 1_048_576, wal / 1_048_576);
    println!("data directory        {} MB", dir_size(&data) / 1_048_576);
    if let Ok(keep) = std::env::var("HUDANG_BENCH_KEEP") {
        std::fs::rename(&data, &keep).expect("HUDANG_BENCH_KEEP names a new folder on the same file system");
    }
    assert_eq!(stored as usize, total_changes, "every change stored exactly once");
}
