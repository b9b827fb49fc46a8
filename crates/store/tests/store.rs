//! The device store through its public API, on a real SQLite file in a temporary folder.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hudang_domain::*;
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_record::Provenance;
use hudang_store::{DB_FILE, DeviceIdentity, ListFilter, PhotoTarget, Store};
use serde_json::json;
use std::path::Path;
use uuid::Uuid;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, minute, 0).unwrap()
}

fn today() -> NaiveDate {
    at(0).date_naive()
}

fn new_store(dir: &Path, device: u128, user: &str) -> Store {
    Store::init(dir, DeviceIdentity { device_id: Uuid::from_u128(device), user: user.into() }, "here", at(0)).unwrap()
}

fn id_number(year: i32, seq: u16) -> String {
    idcard::make_id_number("532503", NaiveDate::from_ymd_opt(year, 3, 4).unwrap(), seq)
}

/// A household with a head and a spouse, as a worker would register it.
fn household(n: u128, head: &str, spouse: &str) -> Household {
    let mut h = Household::new(Uuid::from_u128(n));
    h.area = Area {
        county: "蒙自市".into(), township: "芷村镇".into(), village: "芷村".into(), group: "三组".into()
    };
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
    h.members.insert(
        Uuid::from_u128(n * 100 + 2),
        Member {
            name: spouse.into(),
            sex: Some(Sex::Female),
            relation: Some(Relation::Spouse),
            id_number: id_number(1972, (n * 2 + 2) as u16),
            ..Default::default()
        },
    );
    h.visits.insert(Uuid::from_u128(n * 100 + 50), Visit { visited_at: at(1), ..Default::default() });
    h.inspections.insert(Uuid::from_u128(n * 100 + 60), Inspection { inspected_at: at(1), ..Default::default() });
    h
}

fn prov(store: &Store, minute: u32, action: &str) -> Provenance {
    store.provenance(at(minute), action)
}

#[test]
fn households_are_listed_and_found_by_name_pinyin_id_and_phone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    store.create_household(&household(1, "张三", "李梅"), &prov(&store, 1, "create")).unwrap();
    store.create_household(&household(2, "曾国华", "赵丽"), &prov(&store, 2, "create")).unwrap();
    store.create_household(&household(3, "杨小兵", "张三妹"), &prov(&store, 3, "create")).unwrap();

    let ids = |rows: Vec<hudang_store::HouseholdSummary>| rows.into_iter().map(|r| r.id.as_u128()).collect::<Vec<_>>();
    assert_eq!(ids(store.search("张三", 10).unwrap()), vec![1, 3], "汉字, including 张三妹");
    assert_eq!(ids(store.search("zs", 10).unwrap()), vec![1, 3], "pinyin initials");
    assert_eq!(ids(store.search("ZS", 10).unwrap()), vec![1, 3], "initials in capitals");
    assert_eq!(ids(store.search("zgh", 10).unwrap()), vec![2], "曾 read as zeng");
    assert_eq!(ids(store.search("cgh", 10).unwrap()), vec![2], "曾 read as ceng");
    assert_eq!(ids(store.search("zhangsan", 10).unwrap()), vec![1, 3], "full pinyin");
    assert_eq!(ids(store.search(&id_number(1972, 6), 10).unwrap()), vec![2], "spouse's ID number");
    assert_eq!(ids(store.search("13800000003", 10).unwrap()), vec![3], "phone");
    assert_eq!(ids(store.search("芷村 zs", 10).unwrap()), vec![1, 3], "every word must match");
    assert!(store.search("不存在", 10).unwrap().is_empty());
    assert!(store.search("   ", 10).unwrap().is_empty());

    let listed = store.list(&ListFilter { village: Some("芷村".into()), ..Default::default() }).unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].member_count, 2);
    assert!(!listed[0].signed);
    assert!(store.list(&ListFilter { group: Some("一组".into()), ..Default::default() }).unwrap().is_empty());
}

#[test]
fn an_edit_survives_reopening_and_is_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let h = household(1, "张三", "李梅");
    store.create_household(&h, &prov(&store, 1, "create")).unwrap();
    let changed = store
        .edit_household(h.id, &prov(&store, 2, "edit"), |h| {
            h.address = "芷村三组8号".into();
            Ok(())
        })
        .unwrap();
    assert!(changed);
    assert!(!store.edit_household(h.id, &prov(&store, 3, "edit"), |_| Ok(())).unwrap(), "no-op edits save nothing");
    drop(store);

    let store = Store::open(dir.path(), "here").unwrap();
    assert_eq!(store.household(h.id).unwrap().address, "芷村三组8号");
    let history = store.history(h.id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].provenance.user, "王五");
    assert_eq!(history[1].fields[0].label, "住址");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn an_invalid_id_number_is_refused_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let mut h = household(1, "张三", "李梅");
    let head = h.head_member_id.unwrap();
    let mut wrong = h.members[&head].id_number.clone();
    wrong.replace_range(17..18, if wrong.ends_with('0') { "1" } else { "0" });
    h.members.get_mut(&head).unwrap().id_number = wrong;
    let err = store.create_household(&h, &prov(&store, 1, "create")).unwrap_err();
    assert_eq!(err.code(), "store.invalid_input");
    assert!(err.to_string().contains("校验位错误"), "{err}");
    assert!(store.household_ids().unwrap().is_empty());

    // An edit that breaks an ID number is refused and the saved record is unchanged.
    let good = household(2, "李四", "王芳");
    store.create_household(&good, &prov(&store, 2, "create")).unwrap();
    let err = store
        .set_field(
            good.id,
            &format!("members/{}/id_number", Uuid::from_u128(201)),
            &json!("532503199913320011"),
            &prov(&store, 3, "edit"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "store.invalid_input");
    assert_eq!(store.household(good.id).unwrap(), good);
    assert_eq!(store.history(good.id).unwrap().len(), 1);
}

#[test]
fn export_then_import_is_lossless_and_bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let h = household(1, "张三", "李梅");
    store.create_household(&h, &prov(&store, 1, "create")).unwrap();
    let exported = store.export_household(h.id).unwrap();
    let text = serde_json::to_string_pretty(&exported).unwrap();

    let other_dir = tempfile::tempdir().unwrap();
    let mut other = new_store(other_dir.path(), 2, "李四");
    for bad in [
        "{ not json",
        r#"{"format":"something.else","version":1,"household":{}}"#,
        r#"{"format":"hudang.household","version":99,"household":{}}"#,
        r#"{"format":"hudang.household","version":1,"household":{"id":"not-a-uuid"}}"#,
        r#"{"format":"hudang.household","version":1,"household":{"members":{}}}"#,
    ] {
        let err = other.import_household(bad, &prov(&other, 2, "import")).unwrap_err();
        assert_eq!(err.code(), "store.invalid_input", "{bad}: {err}");
    }
    assert!(other.household_ids().unwrap().is_empty());

    let id = other.import_household(&text, &prov(&other, 3, "import")).unwrap();
    assert_eq!(id, h.id);
    assert_eq!(other.household(id).unwrap(), h);
    assert_eq!(other.export_household(id).unwrap(), exported);
    // Importing the same file again changes nothing.
    other.import_household(&text, &prov(&other, 4, "import")).unwrap();
    assert_eq!(other.history(id).unwrap().len(), 1);
}

#[test]
fn photos_are_stored_by_hash_with_a_thumbnail_and_bad_photos_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let h = household(1, "张三", "李梅");
    store.create_household(&h, &prov(&store, 1, "create")).unwrap();
    let inspection = Uuid::from_u128(160);

    let err = store
        .add_photo(
            h.id,
            PhotoTarget::Inspection(inspection, InspectionItem::Housing),
            Uuid::from_u128(9),
            b"hello, not a photo",
            "",
            &prov(&store, 2, "photo.add"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "media.not_an_image");
    assert_eq!(store.household(h.id).unwrap(), h);
    assert!(!dir.path().join("photos").exists(), "no file left behind");

    let gps = hudang_media::GpsFix { lat: 23.37, lon: 103.38 };
    let jpeg = camera_jpeg(2400, 1800, 5, &CameraExif { orientation: 6, taken_at: None, gps: Some(gps) });
    let reference = store
        .add_photo(
            h.id,
            PhotoTarget::Inspection(inspection, InspectionItem::Housing),
            Uuid::from_u128(9),
            &jpeg,
            "东墙裂缝",
            &prov(&store, 3, "photo.add"),
        )
        .unwrap();
    assert_eq!((reference.width, reference.height), (1200, 1600), "rotated, long edge 1600");
    assert!((reference.gps.unwrap().lat - 23.37).abs() < 1e-4);
    let stored = store.photo_bytes(&reference.sha256).unwrap();
    assert_eq!(hudang_media::sha256_hex(&stored), reference.sha256);
    assert!(!store.thumbnail_bytes(&reference.sha256).unwrap().is_empty());
    let saved = store.household(h.id).unwrap();
    let photos = &saved.inspections[&inspection].items.housing.record.photos;
    assert_eq!(photos[&Uuid::from_u128(9)].caption, "东墙裂缝");

    for hostile in ["../../etc/passwd", "", "ZZ", &"a".repeat(65)] {
        assert_eq!(store.photo_bytes(hostile).unwrap_err().code(), "store.invalid_input", "{hostile}");
    }
    let missing = "0".repeat(64);
    assert_eq!(store.photo_bytes(&missing).unwrap_err().code(), "store.not_found");
}

#[test]
fn a_truncated_database_is_reported_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = new_store(dir.path(), 1, "王五");
        for n in 1..=40 {
            store.create_household(&household(n, "张三", "李梅"), &prov(&store, 1, "create")).unwrap();
        }
    }
    let path = dir.path().join(DB_FILE);
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !dir.path().join(format!("{DB_FILE}-wal")).exists()
            || std::fs::metadata(dir.path().join(format!("{DB_FILE}-wal"))).unwrap().len() == 0
    );
    let truncated = &bytes[..bytes.len() / 2];
    std::fs::write(&path, truncated).unwrap();
    let err = Store::open(dir.path(), "here").unwrap_err();
    assert_eq!(err.code(), "store.corrupt_database", "{err}");
    assert!(err.to_string().contains("已损坏"));
    assert_eq!(std::fs::read(&path).unwrap(), truncated, "the damaged file is not touched");

    std::fs::write(&path, b"this is not a database at all, just some text that is long enough").unwrap();
    assert_eq!(Store::open(dir.path(), "here").unwrap_err().code(), "store.corrupt_database");
}

#[test]
fn a_copied_database_gets_a_new_device_identity() {
    let dir = tempfile::tempdir().unwrap();
    let h = household(1, "张三", "李梅");
    {
        let mut store = new_store(dir.path(), 1, "王五");
        store.create_household(&h, &prov(&store, 1, "create")).unwrap();
    }
    let err = Store::open(dir.path(), "another machine").unwrap_err();
    assert_eq!(err.code(), "store.copied_database");
    let mut store = Store::reidentify(dir.path(), "another machine", Uuid::from_u128(77), at(5)).unwrap();
    assert_eq!(store.identity().device_id, Uuid::from_u128(77));
    store
        .edit_household(h.id, &prov(&store, 6, "edit"), |h| {
            h.address = "新地址".into();
            Ok(())
        })
        .unwrap();
    let history = store.history(h.id).unwrap();
    assert_eq!(history.last().unwrap().provenance.device, Uuid::from_u128(77));
    // Reopening on the new machine is ordinary.
    drop(store);
    assert!(Store::open(dir.path(), "another machine").is_ok());
}

#[test]
fn changes_from_another_device_merge_and_conflicts_can_be_resolved() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let mut a = new_store(dir_a.path(), 1, "甲");
    let mut b = new_store(dir_b.path(), 2, "乙");
    let h = household(1, "张三", "李梅");
    a.create_household(&h, &prov(&a, 1, "create")).unwrap();
    let snapshot = a.document(h.id).unwrap().save();
    b.merge_document_bytes(h.id, &snapshot, at(2)).unwrap();
    assert_eq!(b.household(h.id).unwrap(), h);

    a.set_field(h.id, "phone", &json!("13911111111"), &prov(&a, 3, "edit")).unwrap();
    b.set_field(h.id, "phone", &json!("13722222222"), &prov(&b, 4, "edit")).unwrap();
    let from_a = a.document(h.id).unwrap().save();
    let from_b = b.document(h.id).unwrap().save();
    a.merge_document_bytes(h.id, &from_b, at(5)).unwrap();
    b.merge_document_bytes(h.id, &from_a, at(5)).unwrap();

    let conflicts = a.conflicts(Some(h.id)).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].1.path, "phone");
    assert_eq!(conflicts[0].1.candidates.len(), 2);
    assert_eq!(a.list(&ListFilter { with_conflicts: true, ..Default::default() }).unwrap().len(), 1);

    let err = a.resolve_conflict(h.id, "address", &json!("x"), &prov(&a, 6, "resolve")).unwrap_err();
    assert_eq!(err.code(), "store.invalid_input", "no conflict there");
    a.resolve_conflict(h.id, "phone", &json!("13722222222"), &prov(&a, 6, "resolve")).unwrap();
    assert!(a.conflicts(None).unwrap().is_empty());
    b.merge_document_bytes(h.id, &a.document(h.id).unwrap().save(), at(7)).unwrap();
    assert!(b.conflicts(None).unwrap().is_empty());
    assert_eq!(b.household(h.id).unwrap().phone, "13722222222");

    // Merging the same bytes again changes nothing.
    let before = b.history(h.id).unwrap().len();
    b.merge_document_bytes(h.id, &a.document(h.id).unwrap().save(), at(8)).unwrap();
    assert_eq!(b.history(h.id).unwrap().len(), before);
    let garbage = b.merge_document_bytes(h.id, b"garbage", at(9)).unwrap_err();
    assert_eq!(garbage.code(), "record.corrupt");
    assert_eq!(b.household(h.id).unwrap().phone, "13722222222");
}

#[test]
fn a_duplicate_id_number_is_found_on_both_households_and_cleared_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let first = household(1, "张三", "李梅");
    let mut second = household(2, "李四", "王芳");
    let shared = first.members[&Uuid::from_u128(102)].id_number.clone();
    second.members.get_mut(&Uuid::from_u128(202)).unwrap().id_number = shared.clone();
    store.create_household(&first, &prov(&store, 1, "create")).unwrap();
    store.create_household(&second, &prov(&store, 2, "create")).unwrap();
    let duplicates = |store: &Store| {
        store
            .findings(None)
            .unwrap()
            .into_iter()
            .filter(|(_, f)| f.check_id == "id.duplicate")
            .map(|(h, _)| h.as_u128())
            .collect::<Vec<_>>()
    };
    assert_eq!(duplicates(&store), vec![1, 2]);
    assert_eq!(store.check(first.id, today()).unwrap().iter().filter(|f| f.check_id == "id.duplicate").count(), 1);

    store
        .set_field(
            second.id,
            &format!("members/{}/id_number", Uuid::from_u128(202)),
            &json!(id_number(1980, 77)),
            &prov(&store, 3, "edit"),
        )
        .unwrap();
    assert!(duplicates(&store).is_empty(), "the first household's finding is cleared too");
}

#[test]
fn projections_rebuilt_from_documents_match_the_incremental_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    for n in 1..=12 {
        store.create_household(&household(n, "张三", "李梅"), &prov(&store, 1, "create")).unwrap();
    }
    for n in 1..=40u32 {
        let id = Uuid::from_u128(1 + (n % 12) as u128);
        store.set_field(id, "address", &json!(format!("{n}号")), &prov(&store, 2, "edit")).unwrap();
    }
    let all = ListFilter::default();
    let before = (store.list(&all).unwrap(), store.findings(None).unwrap(), store.search("zs", 100).unwrap());
    let report = store.rebuild(today(), at(9)).unwrap();
    assert_eq!(report.households, 12);
    let after = (store.list(&all).unwrap(), store.findings(None).unwrap(), store.search("zs", 100).unwrap());
    assert_eq!(before, after);
    assert!(!after.1.is_empty(), "these households lack helpers, so the check finds something to compare");
}

#[test]
fn many_edits_are_compacted_into_the_snapshot_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1, "王五");
    let h = household(1, "张三", "李梅");
    store.create_household(&h, &prov(&store, 1, "create")).unwrap();
    for n in 0..(hudang_store::COMPACT_AFTER_CHUNKS as u32 * 2 + 3) {
        store.set_field(h.id, "address", &json!(format!("{n}号")), &prov(&store, 2, "edit")).unwrap();
    }
    let (bytes, households) = store.document_bytes().unwrap();
    assert_eq!(households, 1);
    assert!(bytes < 6_000, "compacted history stays small: {bytes} bytes");
    assert_eq!(store.household(h.id).unwrap().address, "66号");
    assert_eq!(store.history(h.id).unwrap().len(), 68);
}
