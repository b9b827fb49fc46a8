//! The county server at its boundary: a real server on 127.0.0.1:0 with a temporary data directory, real HTTP
//! requests, and real Automerge changes made with `HouseholdDoc`.

use automerge::{AutoCommit, Change};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hudang_domain::{Area, Household, Member, PhotoRef, Relation, Visit, idcard};
use hudang_protocol::{
    EnrolRequest, EnrolResponse, ErrorResponse, HouseholdChanges, MAX_PUSH_BYTES, PhotoQuery, PullRequest,
    PullResponse, PushOutcome, PushRequest, PushResponse, Role, SYNC_CONTENT_TYPE, UploadState, routes,
};
use hudang_record::{HouseholdDoc, Provenance, actor_for_device};
use hudang_server::storage::{self, Storage};
use hudang_server::{RunningServer, SqliteStorage, accounts, county};
use reqwest::blocking::{Client, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

const TOWNSHIP: &str = "文澜镇";
const HOME: &str = "红寨村";
const AWAY: &str = "白沙村";

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, minute, 0).unwrap()
}

/// A device enrolled with the test server.
struct Device {
    id: Uuid,
    user: String,
    token: String,
}

struct Fixture {
    _dir: tempfile::TempDir,
    storage: Arc<SqliteStorage>,
    server: Option<RunningServer>,
    client: Client,
    url: String,
    home_users: Vec<Uuid>,
    away_user: Uuid,
    county_user: Uuid,
}

impl Fixture {
    fn new() -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::init(dir.path(), Uuid::new_v4(), "蒙自市", at(0)).unwrap());
        accounts::create_village(storage.as_ref(), "V1", TOWNSHIP, HOME).unwrap();
        accounts::create_village(storage.as_ref(), "V2", TOWNSHIP, AWAY).unwrap();
        let mut home_users = Vec::new();
        for name in ["张工", "李工"] {
            let id = Uuid::new_v4();
            accounts::create_user(storage.as_ref(), id, name, Role::Worker, &["V1".into()], at(0)).unwrap();
            home_users.push(id);
        }
        let away_user = Uuid::new_v4();
        accounts::create_user(storage.as_ref(), away_user, "王工", Role::Worker, &["V2".into()], at(0)).unwrap();
        let county_user = Uuid::new_v4();
        accounts::create_user(storage.as_ref(), county_user, "县里", Role::CountyStaff, &[], at(0)).unwrap();
        let server = hudang_server::spawn_with_storage(
            storage.clone() as Arc<dyn Storage>,
            "127.0.0.1:0".parse().unwrap(),
            None,
            None,
        )
        .unwrap();
        let url = server.url();
        Fixture {
            _dir: dir,
            storage,
            server: Some(server),
            client: Client::new(),
            url,
            home_users,
            away_user,
            county_user,
        }
    }

    fn code_for(&self, user: Uuid) -> String {
        let code = accounts::new_enrol_code(&mut rand::rng());
        accounts::create_enrol_code(self.storage.as_ref(), user, &code, 7, hudang_server::now()).unwrap();
        code
    }

    fn enrol_raw(&self, code: &str, device: Uuid) -> Response {
        let request = EnrolRequest { code: code.into(), device_id: device, device_name: "平板".into() };
        self.client
            .post(format!("{}{}", self.url, routes::ENROL))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&request).unwrap())
            .send()
            .unwrap()
    }

    fn enrol(&self, user: Uuid) -> Device {
        let id = Uuid::new_v4();
        let response = self.enrol_raw(&self.code_for(user), id);
        assert_eq!(response.status(), 200);
        let enrolled: EnrolResponse = response.read_json().unwrap();
        Device { id, user: enrolled.session.user.name, token: enrolled.token }
    }

    fn post(&self, device: Option<&Device>, route: &str, body: Vec<u8>) -> Response {
        let mut request =
            self.client.post(format!("{}{route}", self.url)).header("content-type", SYNC_CONTENT_TYPE).body(body);
        if let Some(device) = device {
            request = request.bearer_auth(&device.token);
        }
        request.send().unwrap()
    }

    fn get(&self, device: &Device, route: &str) -> Response {
        self.client.get(format!("{}{route}", self.url)).bearer_auth(&device.token).send().unwrap()
    }

    fn push(&self, device: &Device, households: Vec<HouseholdChanges>) -> PushResponse {
        let response = self.post(Some(device), routes::PUSH, hudang_protocol::encode(&PushRequest { households }));
        assert_eq!(response.status(), 200, "{}", response.text().unwrap());
        hudang_protocol::decode(&response.bytes().unwrap()).unwrap()
    }

    fn pull_page(&self, device: &Device, after: u64, max_bytes: u32) -> (PullResponse, usize) {
        let body = hudang_protocol::encode(&PullRequest { after, max_bytes });
        let response = self.post(Some(device), routes::PULL, body);
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().unwrap();
        (hudang_protocol::decode(&bytes).unwrap(), bytes.len())
    }

    /// Every change a device pulls from `after`, page by page.
    fn pull_all(&self, device: &Device, after: u64, max_bytes: u32) -> (Vec<(Uuid, Vec<u8>)>, u64, usize) {
        let (mut cursor, mut out, mut pages) = (after, Vec::new(), 0);
        loop {
            let (page, _) = self.pull_page(device, cursor, max_bytes);
            pages += 1;
            out.extend(page.changes.into_iter().map(|c| (c.household, c.bytes)));
            assert!(page.next >= cursor);
            cursor = page.next;
            if !page.more {
                return (out, cursor, pages);
            }
        }
    }

    fn last_seq(&self) -> u64 {
        storage::read(self.storage.as_ref(), |r| r.last_seq()).unwrap()
    }

    fn stored(&self, household: Uuid) -> Option<Vec<u8>> {
        storage::read(self.storage.as_ref(), |r| r.document(household)).unwrap().map(|d| d.bytes)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }
}

/// Reads a JSON body (the client is built without reqwest's JSON feature).
trait ReadJson {
    fn read_json<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T>;
}

impl ReadJson for Response {
    fn read_json<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.bytes().expect("a body"))
    }
}

fn error_code(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: ErrorResponse = response.read_json().expect("errors are JSON");
    (status, body.error.code)
}

fn household(id: Uuid, village: &str, head_number: &str) -> Household {
    let mut h = Household::new(id);
    h.area =
        Area { county: "蒙自市".into(), township: TOWNSHIP.into(), village: village.into(), group: "一组".into() };
    h.phone = "13800000001".into();
    let head = Uuid::new_v4();
    h.head_member_id = Some(head);
    h.members.insert(
        head,
        Member {
            name: "张三".into(),
            relation: Some(Relation::Head),
            id_number: head_number.into(),
            ..Default::default()
        },
    );
    h
}

fn id_number(sequence: u16) -> String {
    idcard::make_id_number("532503", NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), sequence)
}

fn provenance(device: &Device, minute: u32, action: &str) -> Provenance {
    Provenance { user: device.user.clone(), device: device.id, at: at(minute), action: action.into() }
}

fn create_doc(device: &Device, household: &Household) -> HouseholdDoc {
    HouseholdDoc::create(household, actor_for_device(device.id), &provenance(device, 1, "create")).unwrap()
}

fn raw(changes: Vec<Change>) -> Vec<Vec<u8>> {
    changes.iter().map(|c| c.raw_bytes().to_vec()).collect()
}

fn all_changes(doc: &mut HouseholdDoc, household: Uuid) -> HouseholdChanges {
    HouseholdChanges { household, changes: raw(doc.changes_after(&[])) }
}

/// A device's copy of a household built from pulled changes.
fn doc_from(device: &Device, changes: &[Vec<u8>]) -> HouseholdDoc {
    let mut automerge = AutoCommit::new();
    automerge
        .apply_changes(changes.iter().map(|c| Change::from_bytes(c.clone()).unwrap()).collect::<Vec<_>>())
        .unwrap();
    assert!(automerge.get_missing_deps(&[]).is_empty());
    HouseholdDoc::load(&automerge.save(), actor_for_device(device.id)).unwrap()
}

#[test]
fn enrolment_codes_work_once() {
    let f = Fixture::new();
    let code = f.code_for(f.home_users[0]);
    let device = Uuid::new_v4();
    // Lower case without the dash is the same code.
    let response = f.enrol_raw(&code.replace('-', "").to_lowercase(), device);
    assert_eq!(response.status(), 200);
    let enrolled: EnrolResponse = response.read_json().unwrap();
    assert_eq!(enrolled.token.len(), 64);
    assert_eq!(enrolled.session.device_id, device);
    assert_eq!(enrolled.session.villages.len(), 1);
    assert_eq!(error_code(f.enrol_raw(&code, Uuid::new_v4())), (401, "enrol.invalid_code".into()));
    assert_eq!(error_code(f.enrol_raw("ABCDE-FGHJK", Uuid::new_v4())), (401, "enrol.invalid_code".into()));
    let session = f.client.get(format!("{}{}", f.url, routes::SESSION)).bearer_auth(&enrolled.token).send().unwrap();
    assert_eq!(session.status(), 200);
    let info: hudang_protocol::SessionInfo = session.read_json().unwrap();
    assert_eq!(info.user.name, "张工");
    // Enrolling the same device again replaces its token.
    let again: EnrolResponse = f.enrol_raw(&f.code_for(f.home_users[0]), device).read_json().unwrap();
    let old = f.client.get(format!("{}{}", f.url, routes::SESSION)).bearer_auth(&enrolled.token).send().unwrap();
    assert_eq!(error_code(old), (401, "auth.invalid_token".into()));
    let new = f.client.get(format!("{}{}", f.url, routes::SESSION)).bearer_auth(&again.token).send().unwrap();
    assert_eq!(new.status(), 200);
}

#[test]
fn pushed_changes_reach_other_devices_of_the_village_once() {
    let f = Fixture::new();
    let a = f.enrol(f.home_users[0]);
    let b = f.enrol(f.home_users[1]);
    let id = Uuid::new_v4();
    let mut doc = create_doc(&a, &household(id, HOME, &id_number(11)));
    let heads = doc.heads();
    doc.set_paths(&[("phone", &json!("13900000002"))], &provenance(&a, 2, "edit")).unwrap();
    let pushed = all_changes(&mut doc, id);
    let response = f.push(&a, vec![pushed.clone()]);
    let expected_heads: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
    assert_eq!(response.results, vec![(id, PushOutcome::Applied { new_changes: 2, heads: expected_heads.clone() })]);
    let seq = f.last_seq();
    assert_eq!(seq, 2);

    // The same changes again: acknowledged, nothing new stored.
    let again = f.push(&a, vec![pushed]);
    assert_eq!(again.results, vec![(id, PushOutcome::Applied { new_changes: 0, heads: expected_heads })]);
    assert_eq!(f.last_seq(), seq);

    let (changes, cursor, _) = f.pull_all(&b, 0, 512 * 1024);
    assert_eq!(changes.len(), 2);
    assert_eq!(cursor, seq);
    let copy = doc_from(&b, &changes.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>());
    assert_eq!(copy.read().unwrap().phone, "13900000002");
    // The pushing device does not get its own changes back, and its cursor still moves past them.
    let (own, own_cursor, _) = f.pull_all(&a, 0, 512 * 1024);
    assert!(own.is_empty());
    assert_eq!(own_cursor, seq);

    // An incremental push of one more change.
    doc.set_paths(&[("address", &json!("红寨村12号"))], &provenance(&a, 3, "edit")).unwrap();
    let later = HouseholdChanges { household: id, changes: raw(doc.changes_after(&heads)) };
    let response = f.push(&a, vec![later]);
    assert!(matches!(response.results[0].1, PushOutcome::Applied { new_changes: 1, .. }));
    let (more, _, _) = f.pull_all(&b, cursor, 512 * 1024);
    assert_eq!(more.len(), 1);

    // A change whose history the server lacks asks for the whole history, and stores nothing.
    let other = Uuid::new_v4();
    let mut fresh = create_doc(&a, &household(other, HOME, &id_number(13)));
    let base = fresh.heads();
    fresh.set_paths(&[("phone", &json!("13700000000"))], &provenance(&a, 4, "edit")).unwrap();
    let partial = HouseholdChanges { household: other, changes: raw(fresh.changes_after(&base)) };
    let before = f.last_seq();
    assert_eq!(f.push(&a, vec![partial]).results, vec![(other, PushOutcome::NeedHistory)]);
    assert_eq!(f.last_seq(), before);
    assert!(f.stored(other).is_none());
}

#[test]
fn pull_pages_return_everything_exactly_once() {
    let f = Fixture::new();
    let a = f.enrol(f.home_users[0]);
    let b = f.enrol(f.home_users[1]);
    let mut expected = Vec::new();
    let mut batch = Vec::new();
    for i in 0..12u16 {
        let id = Uuid::new_v4();
        let mut doc = create_doc(&a, &household(id, HOME, &id_number(100 + i)));
        for edit in 0..3 {
            doc.set_paths(&[("phone", &json!(format!("1390000{i:02}{edit:02}")))], &provenance(&a, 2 + edit, "edit"))
                .unwrap();
        }
        let changes = all_changes(&mut doc, id);
        expected.extend(changes.changes.iter().cloned());
        batch.push(changes);
    }
    f.push(&a, batch);
    let (pulled, cursor, pages) = f.pull_all(&b, 0, 600);
    assert!(pages > 3, "{pages} pages");
    assert_eq!(cursor, f.last_seq());
    let mut got: Vec<Vec<u8>> = pulled.into_iter().map(|(_, c)| c).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // Nothing new: the answer is a handful of bytes.
    let (page, size) = f.pull_page(&b, cursor, 512 * 1024);
    assert!(page.changes.is_empty() && !page.more);
    assert!(size <= 8, "{size} bytes");
}

#[test]
fn refused_requests_change_nothing() {
    let f = Fixture::new();
    let worker = f.enrol(f.home_users[0]);
    let away = f.enrol(f.away_user);
    let id = Uuid::new_v4();
    let mut doc = create_doc(&worker, &household(id, HOME, &id_number(21)));
    f.push(&worker, vec![all_changes(&mut doc, id)]);
    let seq = f.last_seq();
    let stored = f.stored(id);
    let untouched = |f: &Fixture| {
        assert_eq!(f.last_seq(), seq);
        assert_eq!(f.stored(id), stored);
    };
    let pull = hudang_protocol::encode(&PullRequest { after: 0, max_bytes: 1024 });

    // No token, a wrong token.
    assert_eq!(error_code(f.post(None, routes::PULL, pull.clone())), (401, "auth.missing_token".into()));
    let forged = Device { id: Uuid::new_v4(), user: "x".into(), token: "0".repeat(64) };
    assert_eq!(error_code(f.post(Some(&forged), routes::PULL, pull.clone())), (401, "auth.invalid_token".into()));

    // A worker pushing a household of another village: refused, nothing stored.
    let foreign = Uuid::new_v4();
    let mut foreign_doc = create_doc(&worker, &household(foreign, AWAY, &id_number(22)));
    let body = hudang_protocol::encode(&PushRequest { households: vec![all_changes(&mut foreign_doc, foreign)] });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, body)), (403, "sync.outside_area".into()));
    assert!(f.stored(foreign).is_none());
    untouched(&f);

    // All or nothing: a valid household with one outside the area stores neither.
    let valid = Uuid::new_v4();
    let mut valid_doc = create_doc(&worker, &household(valid, HOME, &id_number(23)));
    let body = hudang_protocol::encode(&PushRequest {
        households: vec![all_changes(&mut valid_doc, valid), all_changes(&mut foreign_doc, foreign)],
    });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, body)), (403, "sync.outside_area".into()));
    assert!(f.stored(valid).is_none() && f.stored(foreign).is_none());
    untouched(&f);

    // Moving a household out of one's area is refused too.
    let heads = doc.heads();
    let mut moved = doc.fork_for(actor_for_device(worker.id));
    moved.set_paths(&[("area/village", &json!(AWAY))], &provenance(&worker, 5, "edit")).unwrap();
    let body = hudang_protocol::encode(&PushRequest {
        households: vec![HouseholdChanges { household: id, changes: raw(moved.changes_after(&heads)) }],
    });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, body)), (403, "sync.outside_area".into()));
    untouched(&f);

    // Another village's worker never sees the household, by pull or by id.
    let (pulled, _, _) = f.pull_all(&away, 0, 512 * 1024);
    assert!(pulled.is_empty());
    assert_eq!(error_code(f.get(&away, &routes::household(id))), (404, "not_found".into()));
    assert_eq!(error_code(f.get(&away, &routes::household(Uuid::new_v4()))), (404, "not_found".into()));
    let own = f.get(&worker, &routes::household(id));
    assert_eq!(own.status(), 200);
    let mut copy = HouseholdDoc::load(&own.bytes().unwrap(), actor_for_device(worker.id)).unwrap();
    assert_eq!(copy.heads(), doc.heads());

    // Photo ids that try to name a path.
    for bad in ["..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2Fserver.sqlite3", &"g".repeat(64), &"A".repeat(64)] {
        let response = f.get(&worker, &format!("/api/v1/photos/{bad}"));
        assert_eq!(error_code(response), (400, "photo.bad_id".into()), "{bad}");
        let response = f.get(&worker, &format!("/api/v1/photos/{bad}/upload"));
        assert_eq!(error_code(response), (400, "photo.bad_id".into()), "{bad}");
    }
    let query = hudang_protocol::encode(&PhotoQuery { sha256: vec!["../../etc/passwd".into()] });
    assert_eq!(error_code(f.post(Some(&worker), routes::PHOTOS_MISSING, query)), (400, "photo.bad_id".into()));

    // Oversized, malformed and garbage bodies.
    let response = f.post(Some(&worker), routes::PUSH, vec![0u8; MAX_PUSH_BYTES + 1]);
    assert_eq!(error_code(response), (413, "request.too_large".into()));
    let response = f.post(Some(&worker), routes::PUSH, vec![0xff; 40]);
    assert_eq!(error_code(response), (400, "request.malformed".into()));
    let garbage = hudang_protocol::encode(&PushRequest {
        households: vec![HouseholdChanges { household: id, changes: vec![b"not an automerge change".to_vec()] }],
    });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, garbage)), (400, "sync.bad_change".into()));
    // Another household's creation pushed under this household's id.
    let mut stranger = create_doc(&worker, &household(Uuid::new_v4(), HOME, &id_number(24)));
    let mixed = hudang_protocol::encode(&PushRequest {
        households: vec![HouseholdChanges { household: id, changes: raw(stranger.changes_after(&[])) }],
    });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, mixed)), (400, "sync.bad_change".into()));
    untouched(&f);

    // Revoking a device, then a user, while they hold valid tokens: the next request is refused.
    let second = f.enrol(f.home_users[1]);
    assert_eq!(f.post(Some(&second), routes::PULL, pull.clone()).status(), 200);
    f.storage.revoke_device(second.id, at(30)).unwrap();
    assert_eq!(error_code(f.post(Some(&second), routes::PULL, pull.clone())), (401, "auth.revoked".into()));
    assert_eq!(f.post(Some(&worker), routes::PULL, pull.clone()).status(), 200);
    f.storage.revoke_user(f.home_users[0], at(31)).unwrap();
    assert_eq!(error_code(f.post(Some(&worker), routes::PULL, pull.clone())), (401, "auth.revoked".into()));
    let body = hudang_protocol::encode(&PushRequest { households: vec![all_changes(&mut valid_doc, valid)] });
    assert_eq!(error_code(f.post(Some(&worker), routes::PUSH, body)), (401, "auth.revoked".into()));
    untouched(&f);
}

fn photo_bytes(size: usize, seed: u8) -> (Vec<u8>, String) {
    let bytes: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

fn put_chunk(f: &Fixture, device: &Device, sha: &str, offset: usize, total: usize, chunk: &[u8]) -> Response {
    f.client
        .put(format!("{}{}?offset={offset}&total={total}", f.url, routes::photo(sha)))
        .bearer_auth(&device.token)
        .body(chunk.to_vec())
        .send()
        .unwrap()
}

#[test]
fn photos_upload_in_resumable_chunks_and_stay_in_their_area() {
    let f = Fixture::new();
    let worker = f.enrol(f.home_users[0]);
    let away = f.enrol(f.away_user);
    let staff = f.enrol(f.county_user);
    let (bytes, sha) = photo_bytes(300_000, 7);
    let query = hudang_protocol::encode(&PhotoQuery { sha256: vec![sha.clone()] });
    let missing: PhotoQuery =
        hudang_protocol::decode(&f.post(Some(&worker), routes::PHOTOS_MISSING, query.clone()).bytes().unwrap())
            .unwrap();
    assert_eq!(missing.sha256, vec![sha.clone()]);

    let first = put_chunk(&f, &worker, &sha, 0, bytes.len(), &bytes[..100_000]);
    let state: UploadState = hudang_protocol::decode(&first.bytes().unwrap()).unwrap();
    assert_eq!(state, UploadState { received: 100_000, complete: false });
    // A restart from the beginning after a break: the server says where it stands.
    let restart = put_chunk(&f, &worker, &sha, 0, bytes.len(), &bytes[..100_000]);
    assert_eq!(error_code(restart), (409, "photo.offset_mismatch".into()));
    let state: UploadState =
        hudang_protocol::decode(&f.get(&worker, &format!("{}/upload", routes::photo(&sha))).bytes().unwrap()).unwrap();
    assert_eq!(state.received, 100_000);
    let mut offset = state.received as usize;
    while offset < bytes.len() {
        let end = (offset + 100_000).min(bytes.len());
        let response = put_chunk(&f, &worker, &sha, offset, bytes.len(), &bytes[offset..end]);
        assert_eq!(response.status(), 200);
        let state: UploadState = hudang_protocol::decode(&response.bytes().unwrap()).unwrap();
        assert_eq!(state.received as usize, end);
        assert_eq!(state.complete, end == bytes.len());
        offset = end;
    }
    let missing: PhotoQuery =
        hudang_protocol::decode(&f.post(Some(&worker), routes::PHOTOS_MISSING, query).bytes().unwrap()).unwrap();
    assert!(missing.sha256.is_empty());
    // Uploading a stored photo again is acknowledged at once.
    let again: UploadState =
        hudang_protocol::decode(&put_chunk(&f, &worker, &sha, 0, bytes.len(), &bytes[..10]).bytes().unwrap()).unwrap();
    assert_eq!(again, UploadState { received: bytes.len() as u64, complete: true });

    // Bytes that do not match their id are dropped.
    let (other, other_sha) = photo_bytes(1000, 9);
    let mut wrong = other.clone();
    wrong[500] ^= 1;
    assert_eq!(error_code(put_chunk(&f, &worker, &other_sha, 0, 1000, &wrong)), (422, "photo.hash_mismatch".into()));
    let state: UploadState =
        hudang_protocol::decode(&f.get(&worker, &format!("{}/upload", routes::photo(&other_sha))).bytes().unwrap())
            .unwrap();
    assert_eq!(state, UploadState { received: 0, complete: false });
    assert_eq!(put_chunk(&f, &worker, &other_sha, 0, 1000, &other).status(), 200);

    // Not referenced by any household yet: only county staff may read it.
    assert_eq!(error_code(f.get(&worker, &routes::photo(&sha))), (404, "not_found".into()));
    assert_eq!(f.get(&staff, &routes::photo(&sha)).status(), 200);
    // Referenced by a household of the worker's village.
    let id = Uuid::new_v4();
    let mut h = household(id, HOME, &id_number(31));
    let mut visit = Visit { visited_at: at(5), recorded_by: "张工".into(), ..Default::default() };
    visit.photos.insert(
        Uuid::new_v4(),
        PhotoRef { sha256: sha.clone(), mime: "image/jpeg".into(), bytes: 300_000, ..Default::default() },
    );
    h.visits.insert(Uuid::new_v4(), visit);
    let mut doc = create_doc(&worker, &h);
    f.push(&worker, vec![all_changes(&mut doc, id)]);
    let download = f.get(&worker, &format!("{}?offset=123456", routes::photo(&sha)));
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().unwrap().as_ref(), &bytes[123_456..]);
    assert_eq!(f.get(&worker, &routes::photo(&sha)).bytes().unwrap().as_ref(), &bytes[..]);
    // Another village's worker: as if it did not exist.
    assert_eq!(error_code(f.get(&away, &routes::photo(&sha))), (404, "not_found".into()));
}

#[test]
fn concurrent_edits_show_as_one_conflict_and_the_server_resolves_it() {
    let f = Fixture::new();
    let a = f.enrol(f.home_users[0]);
    let b = f.enrol(f.home_users[1]);
    let id = Uuid::new_v4();
    let mut doc_a = create_doc(&a, &household(id, HOME, &id_number(41)));
    f.push(&a, vec![all_changes(&mut doc_a, id)]);
    let (pulled, mut cursor_b, _) = f.pull_all(&b, 0, 512 * 1024);
    let mut doc_b = doc_from(&b, &pulled.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>());
    let base = doc_a.heads();
    doc_a.set_paths(&[("phone", &json!("13911111111"))], &provenance(&a, 10, "edit")).unwrap();
    doc_b.set_paths(&[("phone", &json!("13922222222"))], &provenance(&b, 11, "edit")).unwrap();
    f.push(&a, vec![HouseholdChanges { household: id, changes: raw(doc_a.changes_after(&base)) }]);
    f.push(&b, vec![HouseholdChanges { household: id, changes: raw(doc_b.changes_after(&base)) }]);

    let conflicts = county::conflicts(f.storage.as_ref()).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let conflict = &conflicts[0];
    assert_eq!((conflict.household, conflict.conflict.path.as_str()), (id, "phone"));
    let values: Vec<(String, String)> = conflict
        .conflict
        .candidates
        .iter()
        .map(|c| (c.value.as_str().unwrap().to_string(), c.provenance.user.clone()))
        .collect();
    assert_eq!(values, vec![("13911111111".into(), "张工".into()), ("13922222222".into(), "李工".into())]);
    assert_eq!(county::household_json(f.storage.as_ref(), id).unwrap()["id"], json!(id.to_string()));

    let resolution =
        county::resolve_conflict(f.storage.as_ref(), id, "phone", &json!("13922222222"), "县里", at(20)).unwrap();
    assert!(county::conflicts(f.storage.as_ref()).unwrap().is_empty());
    assert!(matches!(
        county::resolve_conflict(f.storage.as_ref(), id, "phone", &json!("1"), "县里", at(21)),
        Err(hudang_server::ServerError::NotFound(_))
    ));
    // Device B pulls A's edit and the resolution; its copy then holds one value.
    let (pulled, cursor, _) = f.pull_all(&b, cursor_b, 512 * 1024);
    cursor_b = cursor;
    assert_eq!(cursor_b, resolution.seq);
    assert_eq!(pulled.len(), 2);
    doc_b.apply_changes(pulled.iter().map(|(_, c)| Change::from_bytes(c.clone()).unwrap()).collect()).unwrap();
    assert!(doc_b.conflicts().unwrap().is_empty());
    assert_eq!(doc_b.read().unwrap().phone, "13922222222");
    let history = doc_b.history().unwrap();
    assert!(history.iter().any(|entry| format!("{entry:?}").contains("县里")));
}

#[test]
fn households_sharing_a_head_id_number_are_listed_as_duplicates() {
    let f = Fixture::new();
    let a = f.enrol(f.home_users[0]);
    let (first, second, third) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let number = id_number(51);
    let mut one = create_doc(&a, &household(first, HOME, &number));
    let mut two = create_doc(&a, &household(second, HOME, &number));
    let mut three = create_doc(&a, &household(third, HOME, &id_number(52)));
    f.push(&a, vec![all_changes(&mut one, first)]);
    f.push(&a, vec![all_changes(&mut two, second), all_changes(&mut three, third)]);
    let duplicates = county::duplicates(f.storage.as_ref()).unwrap();
    assert_eq!(duplicates.len(), 1);
    assert_eq!(duplicates[0].id_number, number);
    let mut ids: Vec<Uuid> = duplicates[0].households.iter().map(|h| h.id).collect();
    ids.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(ids, expected);
    // Both households carry the duplicate finding, including the one stored first.
    for id in [first, second] {
        let row = storage::read(f.storage.as_ref(), |r| r.household_row(id)).unwrap().unwrap();
        assert!(row.errors + row.warnings > 0, "{row:?}");
    }
}

fn cli(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hudang-server"))
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .env("HUDANG_NOW", "2026-11-20T09:00:00Z")
        .output()
        .unwrap()
}

fn cli_json(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output = cli(data, args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_command_line_sets_up_a_server_that_enrols_a_device() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    cli_json(&data, &["init", "--county", "蒙自市"]);
    let again = cli(&data, &["init"]);
    assert_eq!(again.status.code(), Some(1));
    let error: serde_json::Value = serde_json::from_slice(&again.stderr).unwrap();
    assert_eq!(error["error"]["code"], "server.already_initialised");
    cli_json(&data, &["village", "add", "--code", "V1", "--township", TOWNSHIP, "--name", HOME]);
    let unknown = cli(&data, &["user", "add", "--name", "张工", "--role", "worker", "--villages", "V9"]);
    assert_eq!(unknown.status.code(), Some(1));
    let user = cli_json(&data, &["user", "add", "--name", "张工", "--role", "worker", "--villages", "V1"]);
    let user_id = user["id"].as_str().unwrap().to_string();
    let code = cli_json(&data, &["enrol-code", "--user", &user_id]);
    let code = code["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 11);
    assert_eq!(cli_json(&data, &["user", "list"])[0]["villages"], json!(["V1"]));

    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_hudang-server"))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("first line names the address").to_string();
    let request = EnrolRequest { code, device_id: Uuid::new_v4(), device_name: "平板".into() };
    let response = Client::new()
        .post(format!("{url}{}", routes::ENROL))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&request).unwrap())
        .send()
        .unwrap();
    let status = response.status();
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert_eq!(status, 200);
    let devices = cli_json(&data, &["device", "list"]);
    assert_eq!(devices[0]["user_name"], "张工");
    cli_json(&data, &["device", "revoke", devices[0]["id"].as_str().unwrap()]);
    assert!(cli_json(&data, &["device", "list"])[0]["revoked_at"].is_string());
    assert_eq!(cli_json(&data, &["conflicts", "list"]), json!([]));
    assert_eq!(cli_json(&data, &["duplicates"]), json!([]));
}

/// The real `hudang-server` process killed with SIGKILL while a device is pushing through a slow link: after a
/// restart on the same data, the device's next sync completes, every change is in the log exactly once, and a second
/// device receives all of it.
#[test]
fn server_killed_mid_push_loses_nothing_and_stores_nothing_twice() {
    use hudang_proxy::{LinkConfig, LinkProxy};
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let data = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::init(data.path(), Uuid::from_u128(0x5E), "蒙自市", at(0)).unwrap();
    accounts::create_village(&storage, "v1", TOWNSHIP, HOME).unwrap();
    let mut codes = Vec::new();
    for n in 1..=2u128 {
        accounts::create_user(&storage, Uuid::from_u128(n), &format!("队员{n}"), Role::Worker, &["v1".into()], at(0))
            .unwrap();
        let code = format!("ABCDEFGHJ{n}").replace('1', "K").replace('2', "M");
        accounts::create_enrol_code(&storage, Uuid::from_u128(n), &code, 7, at(0)).unwrap();
        codes.push(code);
    }
    drop(storage);
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hudang-server"))
            .args(["--data", data.path().to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr: std::net::SocketAddr = line.trim().rsplit("//").next().unwrap().parse().unwrap();
        (child, addr)
    };
    let (mut server, addr) = start();
    let url = format!("http://{addr}");
    let device = |n: u128, code: &str| {
        let dir = tempfile::tempdir().unwrap();
        let identity =
            hudang_store::DeviceIdentity { device_id: Uuid::from_u128(0xD0 + n), user: format!("队员{n}") };
        let mut store = hudang_store::Store::init(dir.path(), identity, "t", at(0)).unwrap();
        let transport = hudang_sync::HttpTransport::new(&url, None).unwrap();
        hudang_sync::enrol(&mut store, &transport, &url, code, "平板", at(0)).unwrap();
        (store, dir)
    };
    let (mut a, _a_dir) = device(1, &codes[0]);
    let (mut b, _b_dir) = device(2, &codes[1]);
    for n in 0..300u128 {
        let mut h = Household::new(Uuid::from_u128(1000 + n));
        h.area =
            Area {
                county: "蒙自市".into(), township: TOWNSHIP.into(), village: HOME.into(), group: "一组".into()
            };
        h.address = "x".repeat(400);
        a.create_household_as_found(&h, &a.provenance(at(1), "create")).unwrap();
    }
    // A slow link makes the push take seconds, so the kill lands mid-request.
    let proxy = LinkProxy::start(addr, LinkConfig::throttled(2_000, std::time::Duration::from_millis(20))).unwrap();
    let sync = |store: &mut hudang_store::Store, url: &str| {
        let token = store.sync_settings().unwrap().unwrap().token;
        let transport = hudang_sync::HttpTransport::new(url, Some(&token)).unwrap();
        let options = hudang_sync::SyncOptions { retries: 0, ..Default::default() };
        hudang_sync::sync(store, &transport, options, &mut |_| {}, at(30))
    };
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        server.kill().unwrap();
        server.wait().unwrap();
    });
    let cut = sync(&mut a, &proxy.url());
    killer.join().unwrap();
    assert!(cut.error.is_some(), "the kill interrupted the sync");
    let (mut server, addr) = start();
    let url = format!("http://{addr}");
    let done = sync(&mut a, &url);
    assert!(done.error.is_none(), "{:?}", done.error);
    assert!(a.unsent_households().unwrap().is_empty());
    let received = sync(&mut b, &url);
    assert!(received.error.is_none(), "{:?}", received.error);
    assert_eq!(b.household_ids().unwrap().len(), 300);
    server.kill().unwrap();
    server.wait().unwrap();
    let storage = SqliteStorage::open(data.path()).unwrap();
    assert_eq!(storage::read(&storage, |r| r.last_seq()).unwrap(), 300, "each creation logged once");
}

// ---------------------------------------------------------------------------------------------------------------
// The county console, driven over HTTP with its session cookie.

const PASSWORD: &str = "correct horse 8";

fn give_password(f: &Fixture, user: Uuid) {
    let salt = argon2::password_hash::SaltString::encode_b64(&[7u8; 16]).unwrap();
    hudang_server::console::set_password(f.storage.as_ref(), user, PASSWORD, &salt).unwrap();
}

/// A browser's session with the console: just the cookie.
struct Console {
    cookie: String,
}

impl Fixture {
    fn console_login(&self, name: &str, password: &str) -> Result<Console, (u16, String)> {
        let response = self
            .client
            .post(format!("{}/api/console/login", self.url))
            .header("content-type", "application/json")
            .body(json!({ "name": name, "password": password }).to_string())
            .send()
            .unwrap();
        if response.status() != 200 {
            return Err(error_code(response));
        }
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        Ok(Console { cookie })
    }

    fn console_get(&self, console: &Console, route: &str) -> Response {
        self.client.get(format!("{}/api/console{route}", self.url)).header("cookie", &console.cookie).send().unwrap()
    }

    fn console_json(&self, console: &Console, route: &str) -> serde_json::Value {
        let response = self.console_get(console, route);
        assert_eq!(response.status(), 200, "{route}: {}", response.text().unwrap());
        response.read_json().unwrap()
    }

    fn console_post(&self, console: &Console, route: &str, body: serde_json::Value) -> Response {
        self.client
            .post(format!("{}/api/console{route}", self.url))
            .header("cookie", &console.cookie)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    }

    fn team_leader(&self) -> Uuid {
        let id = Uuid::new_v4();
        accounts::create_user(self.storage.as_ref(), id, "赵队长", Role::TeamLeader, &["V1".into()], at(0)).unwrap();
        give_password(self, id);
        id
    }
}

/// A workbook's one sheet as text rows (numbers written the way Excel shows whole numbers).
fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader as _;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    calamine::Data::String(s) => s.clone(),
                    calamine::Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    calamine::Data::Float(f) => format!("{f:.2}"),
                    calamine::Data::Empty => String::new(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

fn with_visit(mut h: Household, minute: u32) -> Household {
    h.visits.insert(Uuid::new_v4(), Visit { visited_at: at(minute), recorded_by: "张工".into(), ..Default::default() });
    h
}

#[test]
fn console_logins_follow_roles_and_end_when_revoked() {
    let f = Fixture::new();
    give_password(&f, f.county_user);
    give_password(&f, f.home_users[0]);
    let leader = f.team_leader();

    // A worker is told to use the tablet; wrong passwords and unknown names get one answer.
    assert_eq!(f.console_login("张工", PASSWORD).err().unwrap(), (403, "console.forbidden_role".into()));
    assert_eq!(f.console_login("县里", "wrong password").err().unwrap(), (401, "console.bad_login".into()));
    assert_eq!(f.console_login("没这个人", PASSWORD).err().unwrap(), (401, "console.bad_login".into()));
    // 李工 has no console password at all.
    assert_eq!(f.console_login("李工", "").err().unwrap(), (401, "console.bad_login".into()));

    let nobody = Console { cookie: "hudang_console=0000".into() };
    assert_eq!(error_code(f.console_get(&nobody, "/me")), (401, "console.no_session".into()));
    // A form post (what another site could make a browser send) is refused before the password is looked at.
    let form = f
        .client
        .post(format!("{}/api/console/login", f.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=县里&password=x")
        .send()
        .unwrap();
    assert_eq!(form.status(), 400);

    let staff = f.console_login("县里", PASSWORD).unwrap();
    let me = f.console_json(&staff, "/me");
    assert_eq!(
        (me["role"].as_str(), me["can_manage"].as_bool(), me["county"].as_str()),
        (Some("county_staff"), Some(true), Some("蒙自市"))
    );
    assert_eq!(me["villages"].as_array().unwrap().len(), 2);
    assert_eq!(f.console_json(&staff, "/users").as_array().unwrap().len(), 5);
    let logout = f.console_post(&staff, "/logout", json!({}));
    assert_eq!(logout.status(), 200);
    assert_eq!(error_code(f.console_get(&staff, "/me")).1, "console.no_session");

    let lead = f.console_login("赵队长", PASSWORD).unwrap();
    let me = f.console_json(&lead, "/me");
    assert_eq!(me["can_manage"], json!(false));
    let villages: Vec<&str> = me["villages"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(villages, vec![HOME]);
    assert_eq!(error_code(f.console_get(&lead, "/users")), (403, "console.forbidden".into()));
    let refused = f.console_post(&lead, "/villages", json!({ "code": "V9", "township": TOWNSHIP, "name": "新村" }));
    assert_eq!(error_code(refused), (403, "console.forbidden".into()));
    assert_eq!(f.storage.villages().unwrap().len(), 2);

    // Changing one's own password keeps this session and ends the others; a reset by staff ends them all.
    let other = f.console_login("赵队长", PASSWORD).unwrap();
    let changed = f.console_post(&lead, "/password", json!({ "old": PASSWORD, "new": "a new password 9" }));
    assert_eq!(changed.status(), 200);
    assert_eq!(f.console_get(&lead, "/me").status(), 200);
    assert_eq!(error_code(f.console_get(&other, "/me")).1, "console.no_session");
    let staff = f.console_login("县里", PASSWORD).unwrap();
    let reset = f.console_post(&staff, &format!("/users/{leader}/password"), json!({ "password": PASSWORD }));
    assert_eq!(reset.status(), 200);
    assert_eq!(error_code(f.console_get(&lead, "/me")).1, "console.no_session");
    let lead = f.console_login("赵队长", PASSWORD).unwrap();

    // County staff may not give out a code for an administrator (the tablet would act as them), nor for longer than
    // 90 days; a body-less POST that is not JSON (what a form on another page could send) is refused.
    let admin = Uuid::new_v4();
    accounts::create_user(f.storage.as_ref(), admin, "管理员甲", Role::Admin, &[], at(0)).unwrap();
    let code = f.console_post(&staff, "/enrol-codes", json!({ "user": admin }));
    assert_eq!(error_code(code), (403, "console.forbidden".into()));
    let long = f.console_post(&staff, "/enrol-codes", json!({ "user": f.home_users[0], "valid_days": 1000 }));
    assert_eq!(error_code(long).0, 400);
    assert!(f.storage.enrol_codes().unwrap().is_empty());
    let form = f
        .client
        .post(format!("{}/api/console/users/{}/revoke", f.url, f.home_users[0]))
        .header("cookie", &staff.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .unwrap();
    assert_eq!(form.status(), 400);
    assert!(f.storage.users().unwrap().iter().all(|u| u.revoked_at.is_none()));

    // Revoking the user ends their console session at its next request.
    f.storage.revoke_user(leader, at(30)).unwrap();
    assert_eq!(error_code(f.console_get(&lead, "/me")).1, "console.no_session");
}

#[test]
fn team_leaders_see_and_export_only_their_villages() {
    let f = Fixture::new();
    give_password(&f, f.county_user);
    f.team_leader();
    let a = f.enrol(f.home_users[0]);
    let w = f.enrol(f.away_user);
    let (one, two, away) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut doc_one = create_doc(&a, &with_visit(household(one, HOME, &id_number(61)), 5));
    let mut doc_two = create_doc(&a, &household(two, HOME, &id_number(62)));
    let mut doc_away = create_doc(&w, &with_visit(household(away, AWAY, &id_number(63)), 6));
    f.push(&a, vec![all_changes(&mut doc_one, one), all_changes(&mut doc_two, two)]);
    f.push(&w, vec![all_changes(&mut doc_away, away)]);

    let staff = f.console_login("县里", PASSWORD).unwrap();
    let lead = f.console_login("赵队长", PASSWORD).unwrap();

    let overview = f.console_json(&lead, "/overview?month=2026-11");
    let keys: Vec<&str> = overview["villages"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec![format!("{TOWNSHIP}/{HOME}").as_str()]);
    assert_eq!((overview["totals"]["households"].as_u64(), overview["totals"]["visited"].as_u64()), (Some(2), Some(1)));
    let home = &overview["villages"][0];
    let team: Vec<&str> = home["teams"].as_array().unwrap().iter().map(|t| t["user_name"].as_str().unwrap()).collect();
    assert_eq!(team, vec!["张工", "李工", "赵队长"]);
    assert!(home["last_sync"].is_string(), "张工 pushed, so the village has a last sync: {home}");
    // Another month has no visits.
    assert_eq!(f.console_json(&lead, "/overview?month=2026-10")["totals"]["visited"], json!(0));
    assert_eq!(f.console_json(&staff, "/overview?month=2026-11")["totals"]["households"], json!(3));
    // A browser asking for gzip gets it for JSON, never for an xlsx (already a zip).
    let gzip_of = |route: &str| {
        let response = f
            .client
            .get(format!("{}/api/console{route}", f.url))
            .header("cookie", &staff.cookie)
            .header("accept-encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(gzip_of("/overview?month=2026-11").as_deref(), Some("gzip"));
    assert_eq!(gzip_of("/export/households.xlsx"), None);
    assert_eq!(error_code(f.console_get(&staff, "/overview?month=2026-13")).0, 400);

    // Outside the area a household does not exist, in the list, the file and the export.
    assert_eq!(error_code(f.console_get(&lead, &format!("/households/{away}"))).0, 404);
    assert_eq!(f.console_json(&lead, "/households")["total"], json!(2));
    assert_eq!(f.console_json(&staff, "/households?q=张")["total"], json!(3));
    assert_eq!(f.console_json(&staff, &format!("/households?q={}", id_number(63)))["total"], json!(1));
    let file = f.console_json(&lead, &format!("/households/{one}"));
    assert_eq!(file["household"]["members"].as_object().unwrap().len(), 1);
    assert!(file["history"].as_array().unwrap().iter().any(|h| h["provenance"]["user"] == json!("张工")));
    let away_village = format!("{TOWNSHIP}/{AWAY}");
    assert_eq!(error_code(f.console_get(&lead, &format!("/export/households.xlsx?village={away_village}"))).0, 404);

    let export = |console: &Console, kind: &str| {
        let response = f.console_get(console, &format!("/export/{kind}.xlsx"));
        assert_eq!(response.status(), 200);
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        response.bytes().unwrap().to_vec()
    };
    let rows = xlsx_rows(&export(&lead, "households"), "农户");
    assert_eq!(rows.len(), 3, "a header and two households: {rows:?}");
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let row_one = rows.iter().find(|r| r[column("户编号")] == one.to_string()).expect("household one is exported");
    assert_eq!(row_one[column("户主身份证号")], id_number(61), "ID numbers stay text");
    assert_eq!(row_one[column("行政村")], HOME);
    assert_eq!(row_one[column("家庭人口")], "1");
    assert_eq!(row_one[column("联系电话")], "13800000001", "phone numbers stay text too");
    assert_eq!(xlsx_rows(&export(&staff, "households"), "农户").len(), 4);
    let members = xlsx_rows(&export(&staff, "members"), "家庭成员");
    assert_eq!(members.len(), 4);
    assert!(members[0].contains(&"证件号码".to_string()) && members[0].contains(&"务工月收入（元）".to_string()));
    let inspections = xlsx_rows(&export(&staff, "inspections"), "六看一问");
    assert_eq!(inspections.len(), 1, "no inspections yet, only the header");
    assert!(inspections[0].iter().any(|h| h.starts_with("入户看电器")), "{:?}", inspections[0]);
    let findings = xlsx_rows(&export(&staff, "findings"), "核查结果");
    let page = f.console_json(&staff, "/findings?limit=500");
    assert_eq!(findings.len() as u64 - 1, page["total"].as_u64().unwrap());
    assert!(page["total"].as_u64().unwrap() > 0);

    // Filters narrow the findings, and a check filter keeps only that check.
    let check = page["items"][0]["check"].as_str().unwrap().to_string();
    let only = f.console_json(&staff, &format!("/findings?check={check}"));
    assert!(only["items"].as_array().unwrap().iter().all(|i| i["check"] == json!(check)));
    let errors = f.console_json(&staff, "/findings?severity=error");
    assert!(errors["items"].as_array().unwrap().iter().all(|i| i["severity"] == json!("error")));
    let led = f.console_json(&lead, "/findings?limit=500");
    assert!(led["items"].as_array().unwrap().iter().all(|i| i["village_key"] == json!(format!("{TOWNSHIP}/{HOME}"))));
    assert!(led["total"].as_u64() < page["total"].as_u64());

    // A household in a village nobody registered still counts for the county, on a row of its own.
    let county_device = f.enrol(f.county_user);
    let stray = Uuid::new_v4();
    let mut doc_stray = create_doc(&county_device, &household(stray, "新建村", &id_number(64)));
    f.push(&county_device, vec![all_changes(&mut doc_stray, stray)]);
    let overview = f.console_json(&staff, "/overview?month=2026-11");
    assert_eq!(overview["totals"]["households"], json!(4));
    let names: Vec<&str> =
        overview["villages"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec![HOME, AWAY, "新建村（未登记的村）"]);
    assert_eq!(f.console_json(&lead, "/overview?month=2026-11")["totals"]["households"], json!(2));
}

#[test]
fn merging_duplicates_keeps_both_histories_and_devices_receive_it() {
    let f = Fixture::new();
    give_password(&f, f.county_user);
    let a = f.enrol(f.home_users[0]);
    let w = f.enrol(f.away_user);
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let number = id_number(71);
    let mut h1 = household(first, HOME, &number);
    h1.members.insert(
        Uuid::new_v4(),
        Member {
            name: "李秀英".into(),
            relation: Some(Relation::Spouse),
            id_number: id_number(72),
            ..Default::default()
        },
    );
    let mut h2 = with_visit(household(second, AWAY, &number), 8);
    h2.address = "白沙村 12 号".into();
    h2.members.insert(
        Uuid::new_v4(),
        Member {
            name: "张小明".into(), relation: Some(Relation::Son), id_number: id_number(73), ..Default::default()
        },
    );
    let mut doc1 = create_doc(&a, &h1);
    let mut doc2 = create_doc(&w, &h2);
    f.push(&a, vec![all_changes(&mut doc1, first)]);
    f.push(&w, vec![all_changes(&mut doc2, second)]);
    let (_, cursor_a, _) = f.pull_all(&a, 0, 512 * 1024);
    let (_, cursor_w, _) = f.pull_all(&w, 0, 512 * 1024);

    let staff = f.console_login("县里", PASSWORD).unwrap();
    let duplicates = f.console_json(&staff, "/duplicates");
    assert_eq!(duplicates.as_array().unwrap().len(), 1);

    // While one of the two has a disputed field, the merge is refused: merging would settle it unseen.
    let a2 = f.enrol(f.home_users[1]);
    let (pulled, _, _) = f.pull_all(&a2, 0, 512 * 1024);
    let mut doc1_b =
        doc_from(&a2, &pulled.iter().filter(|(h, _)| *h == first).map(|(_, c)| c.clone()).collect::<Vec<_>>());
    let base = doc1.heads();
    doc1.set_paths(&[("phone", &json!("13911111111"))], &provenance(&a, 10, "edit")).unwrap();
    doc1_b.set_paths(&[("phone", &json!("13922222222"))], &provenance(&a2, 11, "edit")).unwrap();
    f.push(&a, vec![HouseholdChanges { household: first, changes: raw(doc1.changes_after(&base)) }]);
    f.push(&a2, vec![HouseholdChanges { household: first, changes: raw(doc1_b.changes_after(&base)) }]);
    let refused = f.console_post(&staff, "/duplicates/merge", json!({ "keep": first, "merge": second }));
    let (status, _) = error_code(refused);
    assert_eq!(status, 400);
    assert!(f.console_json(&staff, &format!("/households/{second}"))["merged_into"].is_null());
    let settled = f.console_post(
        &staff,
        "/conflicts/resolve",
        json!({ "items": [{ "household": first, "path": "phone", "value": "13922222222" }] }),
    );
    assert_eq!(settled.read_json::<serde_json::Value>().unwrap()[0]["ok"], json!(true));
    let (caught_up, cursor_a, _) = f.pull_all(&a, cursor_a, 512 * 1024);
    doc1.apply_changes(caught_up.iter().map(|(_, c)| Change::from_bytes(c.clone()).unwrap()).collect()).unwrap();
    assert_eq!(duplicates[0]["id_number"], json!(number));
    let merged = f.console_post(&staff, "/duplicates/merge", json!({ "keep": first, "merge": second }));
    assert_eq!(merged.status(), 200);
    let outcome: serde_json::Value = merged.read_json().unwrap();
    assert_eq!((outcome["members_added"].as_u64(), outcome["entries_added"].as_u64()), (Some(1), Some(1)));
    assert_eq!(outcome["fields_filled"], json!(["住址"]));

    assert_eq!(f.console_json(&staff, "/duplicates"), json!([]));
    let kept = f.console_json(&staff, &format!("/households/{first}"));
    let names: BTreeSet<&str> =
        kept["household"]["members"].as_object().unwrap().values().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["张三", "李秀英", "张小明"]));
    assert_eq!(kept["merged_from"], json!([second.to_string()]));
    assert!(
        kept["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["provenance"]["action"] == json!("merge") && h["provenance"]["user"] == json!("县里"))
    );
    assert!(kept["findings"].as_array().unwrap().iter().all(|f| f["check_id"] != json!("id.duplicate")));
    let gone = f.console_json(&staff, &format!("/households/{second}"));
    assert_eq!(gone["merged_into"], json!(first.to_string()));
    assert_eq!(gone["findings"], json!([]));
    // The merged file keeps its own history: 王工's creation is still there.
    assert!(gone["history"].as_array().unwrap().iter().any(|h| h["provenance"]["user"] == json!("王工")));
    assert_eq!(f.console_json(&staff, "/overview?month=2026-11")["totals"]["households"], json!(1));
    let again = f.console_post(&staff, "/duplicates/merge", json!({ "keep": first, "merge": second }));
    assert_eq!(error_code(again).0, 400);

    // 王工's tablet, still offline and unaware of the merge, records another visit in the merged file. When it
    // pushes, the visit is carried into the kept file, attributed to him, so it counts for 遍访.
    let base = doc2.heads();
    let late_visit = Uuid::new_v4();
    let mut late = doc2.read().unwrap();
    late.visits.insert(late_visit, Visit { visited_at: at(30), recorded_by: "王工".into(), ..Default::default() });
    doc2.write(&late, &provenance(&w, 30, "visit.add")).unwrap();
    f.push(&w, vec![HouseholdChanges { household: second, changes: raw(doc2.changes_after(&base)) }]);
    let kept = f.console_json(&staff, &format!("/households/{first}"));
    assert!(kept["household"]["visits"].get(late_visit.to_string()).is_some(), "the late visit reached the kept file");
    assert!(
        kept["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["provenance"]["action"] == json!("merge.carry") && h["provenance"]["user"] == json!("王工"))
    );
    // Pushing again brings nothing new and writes nothing more.
    let history_len = kept["history"].as_array().unwrap().len();
    f.push(&w, vec![HouseholdChanges { household: second, changes: raw(doc2.changes_after(&base)) }]);
    assert_eq!(
        f.console_json(&staff, &format!("/households/{first}"))["history"].as_array().unwrap().len(),
        history_len
    );

    // Each device pulls the merge of the household in its village.
    let (pulled, _, _) = f.pull_all(&a, cursor_a, 512 * 1024);
    assert_eq!(pulled.iter().map(|(h, _)| *h).collect::<BTreeSet<_>>(), BTreeSet::from([first]));
    doc1.apply_changes(pulled.iter().map(|(_, c)| Change::from_bytes(c.clone()).unwrap()).collect()).unwrap();
    assert_eq!(doc1.read().unwrap().members.len(), 3);
    let (pulled, _, _) = f.pull_all(&w, cursor_w, 512 * 1024);
    doc2.apply_changes(pulled.iter().map(|(_, c)| Change::from_bytes(c.clone()).unwrap()).collect()).unwrap();
    assert_eq!(doc2.read().unwrap().merged_into, Some(first));
}

#[test]
fn conflicts_settled_in_bulk_report_each_item() {
    let f = Fixture::new();
    give_password(&f, f.county_user);
    let a = f.enrol(f.home_users[0]);
    let b = f.enrol(f.home_users[1]);
    let id = Uuid::new_v4();
    let mut doc_a = create_doc(&a, &household(id, HOME, &id_number(81)));
    f.push(&a, vec![all_changes(&mut doc_a, id)]);
    let (pulled, _, _) = f.pull_all(&b, 0, 512 * 1024);
    let mut doc_b = doc_from(&b, &pulled.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>());
    let base = doc_a.heads();
    doc_a
        .set_paths(&[("phone", &json!("13911111111")), ("address", &json!("一号"))], &provenance(&a, 10, "edit"))
        .unwrap();
    doc_b
        .set_paths(&[("phone", &json!("13922222222")), ("address", &json!("二号"))], &provenance(&b, 11, "edit"))
        .unwrap();
    f.push(&a, vec![HouseholdChanges { household: id, changes: raw(doc_a.changes_after(&base)) }]);
    f.push(&b, vec![HouseholdChanges { household: id, changes: raw(doc_b.changes_after(&base)) }]);

    let staff = f.console_login("县里", PASSWORD).unwrap();
    let conflicts = f.console_json(&staff, "/conflicts");
    assert_eq!(conflicts.as_array().unwrap().len(), 2);
    let phone = conflicts.as_array().unwrap().iter().find(|c| c["path"] == json!("phone")).unwrap();
    let who: Vec<&str> = phone["candidates"].as_array().unwrap().iter().map(|c| c["user"].as_str().unwrap()).collect();
    assert_eq!(who, vec!["张工", "李工"]);
    assert_eq!(phone["group"], json!("一组"));

    let response = f.console_post(
        &staff,
        "/conflicts/resolve",
        json!({ "items": [
            { "household": id, "path": "phone", "value": "13922222222" },
            { "household": id, "path": "no_such_field", "value": 1 },
            { "household": id, "path": "address", "value": "三号" },
            { "household": id, "path": "address", "value": "一号" },
        ] }),
    );
    assert_eq!(response.status(), 200);
    let outcomes: serde_json::Value = response.read_json().unwrap();
    let ok: Vec<bool> = outcomes.as_array().unwrap().iter().map(|o| o["ok"].as_bool().unwrap()).collect();
    assert_eq!(ok, vec![true, false, false, true], "{outcomes}");
    assert!(outcomes[1]["message"].as_str().unwrap().contains("找不到"));
    assert!(outcomes[2]["message"].as_str().unwrap().contains("不是冲突中"), "a value nobody wrote is refused");
    assert_eq!(f.console_json(&staff, "/conflicts"), json!([]));
    let file = f.console_json(&staff, &format!("/households/{id}"));
    assert_eq!(
        (file["household"]["phone"].as_str(), file["household"]["address"].as_str()),
        (Some("13922222222"), Some("一号"))
    );
}

#[test]
fn projections_marked_stale_by_a_migration_are_rebuilt_from_the_documents() {
    let f = Fixture::new();
    let a = f.enrol(f.home_users[0]);
    let id = Uuid::new_v4();
    let mut doc = create_doc(&a, &with_visit(household(id, HOME, &id_number(91)), 3));
    f.push(&a, vec![all_changes(&mut doc, id)]);
    let row_before = storage::read(f.storage.as_ref(), |r| r.household_row(id)).unwrap().unwrap();
    let counts = |f: &Fixture| {
        let conn = rusqlite::Connection::open(f.storage.database_path()).unwrap();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        (count("SELECT COUNT(*) FROM member_rows"), count("SELECT COUNT(*) FROM visit_rows"))
    };
    assert_eq!(counts(&f), (1, 1));

    // What a database from before the console looks like after its migration: rows missing, the flag set.
    {
        let conn = rusqlite::Connection::open(f.storage.database_path()).unwrap();
        conn.execute_batch(
            "DELETE FROM member_rows; DELETE FROM visit_rows; UPDATE households SET phone = '', address = '';
             INSERT OR REPLACE INTO meta(key, value) VALUES ('projections_stale', '1');",
        )
        .unwrap();
    }
    assert_eq!(hudang_server::ingest::rebuild_stale_projections(f.storage.as_ref(), at(40)).unwrap(), 1);
    assert_eq!(counts(&f), (1, 1));
    let row_after = storage::read(f.storage.as_ref(), |r| r.household_row(id)).unwrap().unwrap();
    assert_eq!(row_after, row_before);
    // Once rebuilt, opening again rebuilds nothing.
    assert_eq!(hudang_server::ingest::rebuild_stale_projections(f.storage.as_ref(), at(41)).unwrap(), 0);
}

#[test]
fn moving_a_user_to_another_village_changes_their_area_at_once() {
    let f = Fixture::new();
    give_password(&f, f.county_user);
    let leader = f.team_leader();
    let w = f.enrol(f.away_user);
    let a = f.enrol(f.home_users[0]);
    let home_id = Uuid::new_v4();
    let mut doc = create_doc(&a, &household(home_id, HOME, &id_number(95)));
    f.push(&a, vec![all_changes(&mut doc, home_id)]);
    let (pulled, _, _) = f.pull_all(&w, 0, 512 * 1024);
    assert!(pulled.is_empty(), "王工 works in the other village");

    let staff = f.console_login("县里", PASSWORD).unwrap();
    let lead = f.console_login("赵队长", PASSWORD).unwrap();
    // 王工 moves to 红寨村: his tablet's next pull brings its household.
    let moved = f.console_post(&staff, &format!("/users/{}/villages", f.away_user), json!({ "villages": ["V1"] }));
    assert_eq!(moved.status(), 200);
    let (pulled, _, _) = f.pull_all(&w, 0, 512 * 1024);
    assert_eq!(pulled.iter().map(|(h, _)| *h).collect::<BTreeSet<_>>(), BTreeSet::from([home_id]));

    // The team leader's console follows too; refused inputs change nothing.
    let to_away = f.console_post(&staff, &format!("/users/{leader}/villages"), json!({ "villages": ["V2"] }));
    assert_eq!(to_away.status(), 200);
    let me = f.console_json(&lead, "/me");
    assert_eq!(me["villages"][0]["name"], json!(AWAY));
    assert_eq!(error_code(f.console_get(&lead, &format!("/households/{home_id}"))).0, 404);
    for (body, status) in [(json!({ "villages": [] }), 400), (json!({ "villages": ["V9"] }), 400)] {
        let refused = f.console_post(&staff, &format!("/users/{leader}/villages"), body);
        assert_eq!(refused.status(), status);
    }
    assert_eq!(f.console_json(&lead, "/me")["villages"].as_array().unwrap().len(), 1);
    let by_leader = f.console_post(&lead, &format!("/users/{leader}/villages"), json!({ "villages": ["V1", "V2"] }));
    assert_eq!(error_code(by_leader), (403, "console.forbidden".into()));
}
