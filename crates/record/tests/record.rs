//! The household document at its boundary: domain in, domain out, merges, conflicts, history, old readers.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hudang_domain::*;
use hudang_record::{HouseholdDoc, Provenance, RecordError, actor_for_device};
use serde_json::json;
use uuid::Uuid;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, minute, 0).unwrap()
}

fn by(user: &str, device: u128, minute: u32, action: &str) -> Provenance {
    Provenance { user: user.into(), device: Uuid::from_u128(device), at: at(minute), action: action.into() }
}

fn sample() -> Household {
    let mut h = Household::new(Uuid::from_u128(0xAA));
    h.area = Area {
        county: "蒙自市".into(), township: "芷村镇".into(), village: "芷村".into(), group: "一组".into()
    };
    h.phone = "13800000001".into();
    h.main_cause = Some(PovertyCause::Illness);
    h.other_causes.insert(PovertyCause::LackOfSkills);
    let head = Uuid::from_u128(1);
    h.head_member_id = Some(head);
    h.members.insert(
        head,
        Member {
            name: "张三".into(),
            sex: Some(Sex::Male),
            relation: Some(Relation::Head),
            id_number: idcard::make_id_number("532503", NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(), 11),
            health: [Health::Chronic].into(),
            ..Default::default()
        },
    );
    h.incomes.insert(Uuid::from_u128(2), Income { year: 2026, wage_fen: 1_200_000, ..Default::default() });
    h.conditions.insert(
        Uuid::from_u128(3),
        LivingConditions {
            year: 2026,
            cultivated_mu: 3.5,
            water_safe: Some(false),
            build_year: Some(0),
            ..Default::default()
        },
    );
    h.inspections.insert(
        Uuid::from_u128(4),
        Inspection { inspected_at: at(0), inspected_by: "李四".into(), ..Default::default() },
    );
    h.note = "屋顶漏雨".into();
    h
}

fn create() -> HouseholdDoc {
    HouseholdDoc::create(&sample(), actor_for_device(Uuid::from_u128(100)), &by("王五", 100, 0, "create")).unwrap()
}

/// Two devices holding the same household, as after a sync.
fn two_devices() -> (HouseholdDoc, HouseholdDoc) {
    let mut a = create();
    let b = a.fork_for(actor_for_device(Uuid::from_u128(200)));
    (a, b)
}

#[test]
fn household_round_trips_through_the_document() {
    let mut doc = create();
    assert_eq!(doc.read().unwrap(), sample());
    let bytes = doc.save();
    let loaded = HouseholdDoc::load(&bytes, actor_for_device(Uuid::from_u128(100))).unwrap();
    assert_eq!(loaded.read().unwrap(), sample());
    assert_eq!(loaded.id().unwrap(), Uuid::from_u128(0xAA));
}

#[test]
fn writing_touches_only_what_changed() {
    let mut doc = create();
    let heads = doc.heads();
    assert!(doc.write(&sample(), &by("王五", 100, 1, "edit")).unwrap().is_none(), "no change, no commit");
    let mut h = sample();
    h.phone = "13900000002".into();
    doc.write(&h, &by("王五", 100, 2, "edit")).unwrap().expect("a change");
    let delta = doc.save_after(&heads);
    assert!(delta.len() < 300, "a one-field edit is small, got {} bytes", delta.len());
    assert_eq!(doc.read().unwrap().phone, "13900000002");
}

#[test]
fn same_field_edited_on_two_devices_is_a_conflict_with_both_authors() {
    let (mut a, mut b) = two_devices();
    let mut ha = sample();
    ha.phone = "13911111111".into();
    a.write(&ha, &by("甲", 100, 5, "edit")).unwrap();
    let mut hb = sample();
    hb.phone = "13722222222".into();
    b.write(&hb, &by("乙", 200, 6, "edit")).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();

    let conflicts = a.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(c.path, "phone");
    assert_eq!(c.label, "联系电话");
    let values: Vec<_> = c.candidates.iter().map(|x| (x.value.clone(), x.provenance.user.clone())).collect();
    assert_eq!(values, vec![(json!("13911111111"), "甲".to_string()), (json!("13722222222"), "乙".to_string())]);
    assert_eq!(c.candidates[1].provenance.device, Uuid::from_u128(200));
    assert_eq!(c.candidates[1].provenance.at, at(6));
    assert_eq!(b.conflicts().unwrap(), conflicts, "both replicas see the same conflict");

    // Resolving on one device is an attributed change that settles it everywhere.
    let before = b.heads();
    b.resolve("phone", &json!("13722222222"), &by("队长", 200, 9, "resolve")).unwrap();
    assert!(b.conflicts().unwrap().is_empty());
    let changes = b.changes_after(&before);
    a.apply_changes(changes).unwrap();
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(a.read().unwrap().phone, "13722222222");
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    let history = a.history().unwrap();
    let last = history.iter().find(|e| e.provenance.action == "resolve").unwrap();
    assert_eq!(last.provenance.user, "队长");
    assert_eq!(last.fields[0].path, "phone");
}

#[test]
fn different_fields_and_new_members_on_two_devices_all_survive() {
    let (mut a, mut b) = two_devices();
    let mut ha = sample();
    ha.address = "芷村一组12号".into();
    ha.members.insert(Uuid::from_u128(11), Member { name: "张小明".into(), ..Default::default() });
    ha.other_causes.insert(PovertyCause::LackOfCapital);
    a.write(&ha, &by("甲", 100, 5, "edit")).unwrap();
    let mut hb = sample();
    hb.phone = "13722222222".into();
    hb.members.insert(Uuid::from_u128(12), Member { name: "张小红".into(), ..Default::default() });
    hb.other_causes.insert(PovertyCause::LackOfLabour);
    b.write(&hb, &by("乙", 200, 6, "edit")).unwrap();
    a.merge(&mut b).unwrap();

    let merged = a.read().unwrap();
    assert_eq!(merged.address, "芷村一组12号");
    assert_eq!(merged.phone, "13722222222");
    assert_eq!(merged.members.len(), 3);
    assert_eq!(
        merged.other_causes,
        [PovertyCause::LackOfSkills, PovertyCause::LackOfCapital, PovertyCause::LackOfLabour].into()
    );
    assert!(a.conflicts().unwrap().is_empty());
}

#[test]
fn notes_typed_on_two_devices_merge_by_character() {
    let (mut a, mut b) = two_devices();
    let mut ha = sample();
    ha.note = "屋顶漏雨，已上报".into();
    a.write(&ha, &by("甲", 100, 5, "edit")).unwrap();
    let mut hb = sample();
    hb.note = "去年屋顶漏雨".into();
    b.write(&hb, &by("乙", 200, 6, "edit")).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.read().unwrap().note, "去年屋顶漏雨，已上报");
    assert!(a.conflicts().unwrap().is_empty());
}

#[test]
fn the_same_value_typed_twice_is_not_a_conflict() {
    let (mut a, mut b) = two_devices();
    let mut h = sample();
    h.address = "芷村一组3号".into();
    a.write(&h, &by("甲", 100, 5, "edit")).unwrap();
    b.write(&h, &by("乙", 200, 6, "edit")).unwrap();
    a.merge(&mut b).unwrap();
    assert!(a.conflicts().unwrap().is_empty());
}

#[test]
fn counted_livestock_is_a_conflict_not_a_sum() {
    let (mut a, mut b) = two_devices();
    let insp = Uuid::from_u128(4);
    let mut ha = sample();
    ha.inspections.get_mut(&insp).unwrap().items.livestock.pigs.stock = 3;
    a.write(&ha, &by("甲", 100, 5, "edit")).unwrap();
    let mut hb = sample();
    hb.inspections.get_mut(&insp).unwrap().items.livestock.pigs.stock = 4;
    b.write(&hb, &by("乙", 200, 6, "edit")).unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = a.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].label, "2026-11-20六看一问 · 圈舍看猪牛 · 猪 · 存栏");
    let stock = a.read().unwrap().inspections[&insp].items.livestock.pigs.stock;
    assert!(stock == 3 || stock == 4, "never 7");
}

#[test]
fn an_older_reader_keeps_fields_it_does_not_know() {
    let mut doc = create();
    // A newer app adds a field at the root and inside a member.
    let mut newer = doc.to_json().unwrap();
    newer["future_field"] = json!("新版本字段");
    newer["members"][Uuid::from_u128(1).to_string()]["wechat"] = json!("zhangsan");
    doc.write_json(&newer, &by("新版", 100, 1, "edit")).unwrap();

    // This build reads it as a household, edits it and writes it back.
    let mut h = doc.read().unwrap();
    h.phone = "13900000009".into();
    h.members.get_mut(&Uuid::from_u128(1)).unwrap().name = "张叁".into();
    doc.write(&h, &by("旧版", 300, 2, "edit")).unwrap();

    let after = doc.to_json().unwrap();
    assert_eq!(after["future_field"], json!("新版本字段"));
    assert_eq!(after["members"][Uuid::from_u128(1).to_string()]["wechat"], json!("zhangsan"));
    assert_eq!(after["phone"], json!("13900000009"));
}

#[test]
fn history_says_who_changed_what_and_when() {
    let mut doc = create();
    let mut h = sample();
    h.members.get_mut(&Uuid::from_u128(1)).unwrap().name = "张叁".into();
    doc.write(&h, &by("李四", 100, 7, "edit")).unwrap();
    let history = doc.history().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].provenance.action, "create");
    let edit = &history[1];
    assert_eq!(edit.provenance.user, "李四");
    assert_eq!(edit.provenance.at, at(7));
    assert_eq!(edit.fields.len(), 1);
    assert_eq!(edit.fields[0].label, "成员“张叁” · 姓名");
    assert_eq!(edit.fields[0].value, Some(json!("张叁")));
}

#[test]
fn damaged_bytes_and_foreign_documents_are_refused() {
    let mut doc = create();
    let bytes = doc.save();
    let actor = actor_for_device(Uuid::from_u128(1));
    let err = HouseholdDoc::load(&bytes[..bytes.len() / 2], actor.clone()).unwrap_err();
    assert_eq!(err.code(), "record.corrupt");
    assert!(matches!(HouseholdDoc::load(b"not a document", actor.clone()), Err(RecordError::Corrupt(_))));
    let foreign = automerge::AutoCommit::new().save();
    assert_eq!(HouseholdDoc::load(&foreign, actor).unwrap_err().code(), "record.not_a_household");
}

#[test]
fn a_resolution_of_the_wrong_type_is_refused() {
    let mut doc = create();
    let err = doc.resolve("members", &json!(5), &by("甲", 100, 3, "resolve")).unwrap_err();
    assert_eq!(err.code(), "record.unsupported");
    assert!(doc.resolve("no/such/field", &json!(1), &by("甲", 100, 3, "resolve")).is_err());
}
