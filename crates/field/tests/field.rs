//! The field app's actions as the app calls them: real device stores on SQLite files and a real county server on
//! 127.0.0.1:0. What the window adds on top (IPC, rendering) is covered by the end-to-end tests in `tests/e2e`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hudang_field::{Collection, FieldApp, NewHousehold, PhotoTargetDto};
use hudang_protocol::Role;
use hudang_server::{RunningServer, SqliteStorage, Storage};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as Json, json};
use std::sync::Arc;
use uuid::Uuid;

const TOWNSHIP: &str = "芷村镇";
const VILLAGE: &str = "芷村村";

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

fn today() -> NaiveDate {
    at(0).date_naive()
}

fn app(dir: &std::path::Path) -> FieldApp {
    FieldApp::open(dir, Some("http://127.0.0.1:1".into()), dir.join("exports")).unwrap()
}

struct County {
    storage: Arc<SqliteStorage>,
    server: RunningServer,
    _dir: tempfile::TempDir,
}

impl County {
    fn start() -> County {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::init(dir.path(), Uuid::from_u128(0xC0), "蒙自市", at(0)).unwrap());
        hudang_server::accounts::create_village(&*storage, "532503100201", TOWNSHIP, VILLAGE).unwrap();
        let shared: Arc<dyn Storage> = storage.clone();
        let server = hudang_server::spawn_with_storage(shared, "127.0.0.1:0".parse().unwrap(), None, None).unwrap();
        County { storage, server, _dir: dir }
    }

    fn code_for(&self, n: u128, name: &str) -> String {
        let villages = vec!["532503100201".to_string()];
        let user = Uuid::from_u128(n);
        hudang_server::accounts::create_user(&*self.storage, user, name, Role::Worker, &villages, at(0)).unwrap();
        let code = hudang_server::accounts::new_enrol_code(&mut ChaCha8Rng::seed_from_u64(n as u64));
        hudang_server::accounts::create_enrol_code(&*self.storage, user, &code, 7, at(0)).unwrap();
        code
    }

    fn enrolled_app(&self, n: u128, name: &str) -> (FieldApp, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut app = app(dir.path());
        let transport = hudang_sync::HttpTransport::new(&self.server.url(), None).unwrap();
        app.enrol(&transport, &self.server.url(), &self.code_for(n, name), "平板", at(0)).unwrap();
        (app, dir)
    }
}

fn sync(app: &mut FieldApp, minute: i64) -> hudang_field::SyncReport {
    let transport = app.transport().unwrap();
    let mut steps = Vec::new();
    let report = app.sync(&transport, &mut |p| steps.push(p.clone()), at(minute)).unwrap();
    assert!(report.error.is_none(), "sync failed: {:?}", report.error);
    report
}

fn new_household(head: &str, id_number: &str) -> NewHousehold {
    NewHousehold {
        head_name: head.into(),
        head_id_number: id_number.into(),
        county: "蒙自市".into(),
        township: TOWNSHIP.into(),
        village: VILLAGE.into(),
        group: "一组".into(),
        address: "芷村一组8号".into(),
        phone: "13800000001".into(),
    }
}

// A valid 18-digit ID number (check digit computed by the domain's rule in its own tests).
const HEAD_ID: &str = "53250319700101001X";

fn valid_id(base17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = base17.bytes().zip(WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    format!("{base17}{}", CHECK[(sum % 11) as usize] as char)
}

#[test]
fn first_run_shows_no_store_and_the_demo_village_opens_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    let state = app.state(today()).unwrap();
    assert!(!state.initialised);
    assert_eq!(state.default_server.as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(app.households().unwrap_err().code(), "app.not_initialised");

    assert_eq!(app.open_demo("  ", &demo(8), at(0)).unwrap_err().code(), "app.invalid_input");
    app.open_demo("王五", &demo(8), at(0)).unwrap();
    let state = app.state(today()).unwrap();
    assert!(state.initialised && !state.enrolled);
    assert_eq!(state.user.as_deref(), Some("王五"));
    assert_eq!(state.household_count, 8);
    let rows = app.households().unwrap();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().any(|r| r.summary.errors > 0), "the demo village plants data-check errors");

    // A second tap, or a restart, changes nothing.
    app.open_demo("王五", &demo(8), at(1)).unwrap();
    let reopened = self::app(dir.path());
    assert_eq!(reopened.households().unwrap(), rows);
}

fn demo(households: usize) -> hudang_cli::demo::DemoOptions {
    hudang_cli::demo::DemoOptions { households, photos: false, today: today(), ..Default::default() }
}

#[test]
fn a_household_is_registered_found_by_pinyin_and_refused_with_a_bad_id_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    app.open_demo("王五", &demo(0), at(0)).unwrap();

    let bad = app.create_household(
        &new_household("张三", "532503197001010012"),
        Uuid::from_u128(1),
        Uuid::from_u128(2),
        at(1),
    );
    let error = bad.unwrap_err();
    assert_eq!(error.code(), "app.invalid_input");
    assert!(error.to_string().contains("户主身份证号"), "{error}");
    let missing =
        app.create_household(&new_household("", ""), Uuid::from_u128(1), Uuid::from_u128(2), at(1)).unwrap_err();
    assert!(missing.to_string().contains("请填写户主姓名"), "{missing}");
    assert!(app.households().unwrap().is_empty(), "nothing is saved from a refused form");

    let id = Uuid::from_u128(1);
    app.create_household(&new_household("张三", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1))
        .unwrap();
    let rows = app.households().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].summary.head_name, "张三");
    assert!(rows[0].search.contains("zs") && rows[0].search.contains("zhangsan"), "{}", rows[0].search);
    assert!(!rows[0].summary.signed);
    let view = app.household(id, today()).unwrap();
    assert_eq!(view.household["members"]["00000000-0000-0000-0000-000000000002"]["relation"], "户主");
    assert_eq!(view.size, 1);
    let _ = HEAD_ID;
}

#[test]
fn entries_are_added_with_defaults_and_a_wrong_type_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    app.open_demo("王五", &demo(0), at(0)).unwrap();
    let id = Uuid::from_u128(1);
    app.create_household(&new_household("张三", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1))
        .unwrap();

    let spouse = Uuid::from_u128(3);
    let member = json!({"name": "李梅", "relation": "配偶", "sex": "女", "id_number": valid_id("53250319720202002")});
    app.add_entry(id, Collection::Members, &member, spouse, at(2)).unwrap();
    let visit = Uuid::from_u128(4);
    app.add_entry(id, Collection::Visits, &json!({"interviewee": "张三"}), visit, at(3)).unwrap();
    let view = app.household(id, today()).unwrap();
    assert_eq!(view.size, 2);
    let added = &view.household["members"][spouse.to_string()];
    assert_eq!(added["name"], "李梅");
    assert_eq!(added["work"]["months"], 0, "nested parts exist from the entry's first change");
    let v = &view.household["visits"][visit.to_string()];
    assert_eq!(v["recorded_by"], "王五");
    assert_eq!(v["visited_at"], json!(at(3)));

    let before = app.household(id, today()).unwrap();
    let wrong = app.add_entry(id, Collection::Members, &json!({"name": 5}), Uuid::from_u128(9), at(4)).unwrap_err();
    assert_eq!(wrong.code(), "store.invalid_input");
    assert!(wrong.to_string().contains("家庭成员"), "{wrong}");
    let bad_path = app.set_fields(id, &[("members/nope/name".into(), json!("x"))], at(5)).unwrap_err();
    assert!(bad_path.to_string().contains("没有字段"), "{bad_path}");
    assert_eq!(app.household(id, today()).unwrap(), before, "refused edits leave the household as it was");

    app.set_fields(
        id,
        &[("phone".into(), json!("13900000002")), (format!("members/{spouse}/phone"), json!("139"))],
        at(6),
    )
    .unwrap();
    let history = app.history(id).unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.provenance.user, "王五");
    assert_eq!(last.fields.len(), 2, "one save is one change in the history");
}

#[test]
fn a_household_the_county_merged_is_listed_as_merged_and_closed_to_edits() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    app.open_demo("王五", &demo(0), at(0)).unwrap();
    let id = Uuid::from_u128(1);
    app.create_household(&new_household("张三", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1))
        .unwrap();
    // What the county's merge writes, as the tablet receives it.
    let kept = Uuid::from_u128(77);
    app.set_fields(id, &[("merged_into".into(), json!(kept.to_string()))], at(2)).unwrap();
    let row = app.households().unwrap().into_iter().find(|r| r.summary.id == id).unwrap();
    assert_eq!(row.summary.status, "已合并");

    let before = app.household(id, today()).unwrap();
    let refused = [
        app.set_fields(id, &[("phone".into(), json!("13900000002"))], at(3)).unwrap_err(),
        app.add_entry(id, Collection::Visits, &json!({"interviewee": "张三"}), Uuid::from_u128(5), at(4)).unwrap_err(),
    ];
    for error in refused {
        assert_eq!(error.code(), "app.household_merged");
        assert!(error.to_string().contains("合并"), "{error}");
    }
    assert_eq!(app.household(id, today()).unwrap(), before, "nothing was written");
}

#[test]
fn per_capita_income_follows_the_registered_members_and_the_years_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    app.open_demo("王五", &demo(0), at(0)).unwrap();
    let id = Uuid::from_u128(1);
    app.create_household(&new_household("张三", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1))
        .unwrap();
    app.add_entry(id, Collection::Members, &json!({"name": "李梅", "relation": "配偶"}), Uuid::from_u128(3), at(2))
        .unwrap();

    let income: hudang_domain::Income =
        serde_json::from_value(json!({"year": 2026, "wage_fen": 1_000_000, "business_expense_fen": 100_000})).unwrap();
    let preview = app.income_preview(id, &income).unwrap();
    assert_eq!(preview.net_fen, 900_000);
    assert_eq!(preview.size, 2);
    assert_eq!(preview.per_capita_fen, Some(450_000));
    let line = preview.line_fen.expect("the policy table has a line for 2026");
    assert_eq!(preview.below_line, Some(450_000 < line));
    assert_eq!(preview.line_kind.as_deref(), Some("防返贫监测标准"));

    let poor: hudang_domain::Income = serde_json::from_value(json!({"year": 2026, "wage_fen": 200_000})).unwrap();
    assert_eq!(app.income_preview(id, &poor).unwrap().below_line, Some(true));
}

#[test]
fn photos_are_resized_on_the_device_and_signing_waits_for_the_checks() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    app.open_demo("王五", &demo(0), at(0)).unwrap();
    let id = Uuid::from_u128(1);
    app.create_household(&new_household("张三", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1))
        .unwrap();
    let inspection = Uuid::from_u128(5);
    app.add_entry(id, Collection::Inspections, &json!({}), inspection, at(2)).unwrap();

    let jpeg = hudang_media::sample::camera_jpeg(3000, 2000, 7, &Default::default());
    let target = PhotoTargetDto::Inspection { inspection_id: inspection, item: "入户看电器".into() };
    app.add_photo(id, &target, &jpeg, "电视机", Uuid::from_u128(6), at(3)).unwrap();
    let view = app.household(id, today()).unwrap();
    let photos = view.household["inspections"][inspection.to_string()]["items"]["appliances"]["record"]["photos"]
        .as_object()
        .unwrap()
        .clone();
    let photo = &photos[&Uuid::from_u128(6).to_string()];
    assert_eq!(photo["width"], 1600, "resized to a long edge of 1600 on the device");
    let (mime, thumb) = app.photo(photo["sha256"].as_str().unwrap(), true).unwrap();
    assert_eq!(mime, "image/jpeg");
    assert!(thumb.len() < jpeg.len() / 4);

    let bad_item = PhotoTargetDto::Inspection { inspection_id: inspection, item: "看电视机".into() };
    assert_eq!(
        app.add_photo(id, &bad_item, &jpeg, "", Uuid::from_u128(7), at(4)).unwrap_err().code(),
        "app.invalid_input"
    );
    let not_image = app.add_photo(id, &target, b"not a photo", "", Uuid::from_u128(8), at(4)).unwrap_err();
    assert!(!not_image.to_string().is_empty());

    let png = signature_png();
    assert_eq!(
        app.sign(id, "调查人", "王五", &[], Uuid::from_u128(10), at(5)).unwrap_err().code(),
        "app.invalid_input"
    );
    let view = app.household(id, today()).unwrap();
    if view.blockers.is_empty() {
        app.sign(id, "调查人", "王五", &png, Uuid::from_u128(10), at(5)).unwrap();
    } else {
        let refused = app.sign(id, "调查人", "王五", &png, Uuid::from_u128(10), at(5)).unwrap_err();
        assert!(refused.to_string().contains("才能签字"), "{refused}");
        assert!(app.household(id, today()).unwrap().household["signatures"].as_object().unwrap().is_empty());
    }
}

fn signature_png() -> Vec<u8> {
    let mut image = image::RgbaImage::new(300, 120);
    for x in 20..280 {
        image.put_pixel(x, 60 + (x % 20) / 4, image::Rgba([0, 0, 0, 255]));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn two_enrolled_apps_see_the_same_conflict_and_converge_after_one_resolves_it() {
    let county = County::start();
    let (mut a, _da) = county.enrolled_app(1, "张三");
    let (mut b, _db) = county.enrolled_app(2, "李四");
    assert_eq!(a.state(today()).unwrap().user.as_deref(), Some("张三"), "the server names the user");
    assert!(a.state(today()).unwrap().enrolled);

    let id = Uuid::from_u128(1);
    a.create_household(&new_household("赵六", &valid_id("53250319700101001")), id, Uuid::from_u128(2), at(1)).unwrap();
    let first = sync(&mut a, 2);
    assert!(first.lines[0].contains("已上传 1 户"), "{:?}", first.lines);
    let received = sync(&mut b, 3);
    assert!(received.lines[1].contains("已下载 1 户"), "{:?}", received.lines);

    a.set_fields(id, &[("phone".into(), json!("13911111111"))], at(4)).unwrap();
    b.set_fields(id, &[("phone".into(), json!("13922222222"))], at(5)).unwrap();
    sync(&mut a, 6);
    let b_report = sync(&mut b, 7);
    assert!(b_report.lines.iter().any(|l| l.contains("1 处冲突")), "{:?}", b_report.lines);
    sync(&mut a, 8);
    for app in [&a, &b] {
        let rows = app.conflicts().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].head_name, "赵六");
        let users: Vec<&str> = rows[0].conflict.candidates.iter().map(|c| c.provenance.user.as_str()).collect();
        assert!(users.contains(&"张三") && users.contains(&"李四"), "{users:?}");
        assert_eq!(app.households().unwrap()[0].summary.conflicts, 1);
    }

    b.resolve_conflict(id, "phone", &json!("13922222222"), at(9)).unwrap();
    assert_eq!(b.resolve_conflict(id, "phone", &json!("1"), at(9)).unwrap_err().code(), "store.invalid_input");
    sync(&mut b, 10);
    sync(&mut a, 11);
    for app in [&a, &b] {
        assert!(app.conflicts().unwrap().is_empty());
        assert_eq!(app.household(id, today()).unwrap().household["phone"], "13922222222");
    }
}

#[test]
fn a_failed_first_enrolment_leaves_the_first_run_screen_and_a_wrong_server_is_explained() {
    let county = County::start();
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    let transport = hudang_sync::HttpTransport::new(&county.server.url(), None).unwrap();
    let wrong = app.enrol(&transport, &county.server.url(), "WRONG-CODE", "平板", at(0)).unwrap_err();
    assert_eq!(wrong.code(), "enrol.invalid_code", "the server's own code reaches the screen");
    assert!(wrong.to_string().contains("登记码"), "{wrong}");
    assert!(!app.state(today()).unwrap().initialised, "no half-made store after a refused code");
    assert!(!FieldApp::open(dir.path(), None, dir.path().into()).unwrap().state(today()).unwrap().initialised);

    let nobody = hudang_sync::HttpTransport::new("http://127.0.0.1:9", None).unwrap();
    let unreachable = app.enrol(&nobody, "http://127.0.0.1:9", "ABC", "平板", at(0)).unwrap_err();
    assert_eq!(unreachable.code(), "sync.network");
    assert_eq!(app.enrol(&nobody, " ", "ABC", "平板", at(0)).unwrap_err().code(), "app.invalid_input");

    let code = county.code_for(3, "王五");
    app.enrol(&transport, &county.server.url(), &code, "平板", at(1)).unwrap();
    assert!(app.state(today()).unwrap().enrolled);
}

#[test]
fn a_bundle_carries_work_between_apps_and_a_damaged_one_changes_nothing() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let mut a = app(dir_a.path());
    let mut b = app(dir_b.path());
    a.open_demo("张三", &demo(5), at(0)).unwrap();
    b.open_demo("李四", &demo(0), at(0)).unwrap();

    let path = dir_a.path().join("out").join("芷村-张三.hudang");
    let exported = a.export_bundle(&path, None, Uuid::from_u128(1), at(1)).unwrap();
    assert_eq!(exported.households, 5);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, exported.bytes);

    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x40;
    let refused = b.import_bundle(&damaged, at(2)).unwrap_err();
    assert!(refused.code().starts_with("bundle.") || refused.code().starts_with("sync."), "{}", refused.code());
    assert!(b.households().unwrap().is_empty(), "a damaged bundle changes nothing");

    let done = b.import_bundle(&bytes, at(3)).unwrap();
    assert!(done.lines[1].contains("5 户"), "{:?}", done.lines);
    assert_eq!(b.households().unwrap(), a.households().unwrap());
    let again = b.import_bundle(&bytes, at(4)).unwrap();
    assert!(again.lines.iter().any(|l| l.contains("没有任何改动")), "{:?}", again.lines);

    let missing =
        a.export_bundle(&path, Some(&dir_a.path().join("none.hudang")), Uuid::from_u128(2), at(5)).unwrap_err();
    assert!(missing.to_string().contains("无法读取之前的数据包"), "{missing}");
}

#[test]
fn code_lists_name_every_form_list_in_chinese() {
    let lists = hudang_field::code_lists(None);
    for name in ["性别", "与户主关系", "健康状况", "评价", "六看一问项目", "两不愁三保障", "签字人", "人员状态"]
    {
        assert!(lists.lists.get(name).is_some_and(|l| !l.is_empty()), "{name}");
    }
    let keys: Vec<&str> = lists.inspection_items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["appliances", "food", "housing", "health", "clothing", "livestock", "neighbours"]);
    assert_eq!(lists.inspection_items[0].label, "入户看电器");
    assert_eq!(lists.assurance_items.len(), 6);
    assert!(lists.ethnic_groups.iter().any(|g| g.code == "01" && g.name == "汉族"));
    let _: Json = serde_json::to_value(&lists).unwrap();
}
