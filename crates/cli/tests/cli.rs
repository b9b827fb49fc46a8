//! The `hudang` binary driven as a person or script would: real processes, real data directories.

use chrono::NaiveDate;
use hudang_domain::idcard;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const NOW: &str = "2026-11-20T09:00:00+08:00";

fn hudang(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hudang"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("HUDANG_NOW", NOW)
        .output()
        .expect("hudang runs")
}

/// Runs a command that must succeed with `--json`, and returns its output.
fn ok_json(dir: &Path, args: &[&str]) -> Json {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = hudang(dir, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs a command that must fail, and returns (error code, Chinese message on stderr).
fn fails(dir: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = hudang(dir, &all);
    assert!(!out.status.success(), "{args:?} should have failed");
    let json: Json = serde_json::from_slice(&out.stdout).expect("errors are JSON with --json");
    (json["error"]["code"].as_str().unwrap().to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

fn id_number(year: i32, seq: u16) -> String {
    idcard::make_id_number("532503", NaiveDate::from_ymd_opt(year, 5, 6).unwrap(), seq)
}

fn add_household(dir: &Path, name: &str, id: &str) -> String {
    let out = ok_json(
        dir,
        &[
            "household",
            "add",
            "--head-name",
            name,
            "--id-number",
            id,
            "--village",
            "芷村",
            "--group",
            "一组",
            "--phone",
            "13800000001",
        ],
    );
    out["id"].as_str().unwrap().to_string()
}

#[test]
fn a_worker_registers_edits_finds_and_exports_a_household() {
    let dir = tempfile::tempdir().unwrap();
    ok_json(dir.path(), &["init", "--user", "王五"]);
    let id = add_household(dir.path(), "张三", &id_number(1970, 11));
    let member = ok_json(
        dir.path(),
        &["member", "add", &id, "--name", "李梅", "--id-number", &id_number(1972, 12), "--relation", "配偶"],
    );
    assert!(member["member_id"].is_string());

    let found = ok_json(dir.path(), &["household", "search", "zs"]);
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["member_count"], 2);
    let found = ok_json(dir.path(), &["household", "search", &id_number(1972, 12)]);
    assert_eq!(found.as_array().unwrap().len(), 1);

    ok_json(dir.path(), &["household", "edit", &id, "--set", "address=芷村一组8号", "--set", "main_cause=因病"]);
    let shown = ok_json(dir.path(), &["household", "show", &id]);
    assert_eq!(shown["address"], "芷村一组8号");
    assert_eq!(shown["main_cause"], "因病");
    let history = ok_json(dir.path(), &["household", "history", &id]);
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(last["provenance"]["user"], "王五");
    let labels: Vec<&str> = last["fields"].as_array().unwrap().iter().map(|f| f["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["住址", "主要致贫原因"], "two fields set in one change");

    // The human output is Chinese.
    let text = hudang(dir.path(), &["household", "list"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("共 1 户"));

    let file = dir.path().join("household.json");
    hudang(dir.path(), &["household", "export", &id, "-o", file.to_str().unwrap()]);
    let other = tempfile::tempdir().unwrap();
    ok_json(other.path(), &["init", "--user", "李四"]);
    ok_json(other.path(), &["household", "import", file.to_str().unwrap()]);
    assert_eq!(ok_json(other.path(), &["household", "show", &id]), shown);

    let checks = ok_json(dir.path(), &["check", &id]);
    let ids: Vec<&str> =
        checks["findings"].as_array().unwrap().iter().map(|f| f["check_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"structure.helper"), "no helper yet: {ids:?}");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, message) = fails(dir.path(), &["household", "list"]);
    assert_eq!(code, "store.not_initialised");
    assert!(message.contains("hudang init"), "{message}");
    ok_json(dir.path(), &["init", "--user", "王五"]);

    let mut wrong = id_number(1970, 11);
    wrong.replace_range(17..18, if wrong.ends_with('1') { "2" } else { "1" });
    let (code, message) = fails(
        dir.path(),
        &["household", "add", "--head-name", "张三", "--id-number", &wrong, "--village", "芷村", "--group", "一组"],
    );
    assert_eq!(code, "store.invalid_input");
    assert!(message.contains("校验位错误"), "{message}");
    assert_eq!(ok_json(dir.path(), &["household", "list"]).as_array().unwrap().len(), 0);

    let id = add_household(dir.path(), "张三", &id_number(1970, 11));
    let before = ok_json(dir.path(), &["household", "export", &id]);

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": \"hudang.household\", \"version\": 1, \"household\": {").unwrap();
    let (code, message) = fails(dir.path(), &["household", "import", bad.to_str().unwrap()]);
    assert_eq!(code, "store.invalid_input");
    assert!(message.contains("JSON 格式错误"), "{message}");

    let (code, _) = fails(dir.path(), &["household", "edit", &id, "--set", "members=5"]);
    assert_eq!(code, "record.unsupported");
    let (code, _) = fails(dir.path(), &["household", "edit", &id, "--set", "main_cause=因为穷"]);
    assert_eq!(code, "record.unsupported");

    let visit =
        ok_json(dir.path(), &["visit", "add", &id, "--interviewee", "张三", "--lat", "23.37", "--lon", "103.38"]);
    let visit = visit["visit_id"].as_str().unwrap();
    let text = dir.path().join("not-a-photo.jpg");
    std::fs::write(&text, "这不是照片").unwrap();
    let (code, message) = fails(dir.path(), &["photo", "add", &id, text.to_str().unwrap(), "--visit", visit]);
    assert_eq!(code, "media.not_an_image");
    assert!(message.contains("不是可识别的图片"), "{message}");

    let after = ok_json(dir.path(), &["household", "export", &id]);
    assert_eq!(before["household"]["members"], after["household"]["members"]);
    assert_eq!(after["household"]["visits"][visit]["photos"], serde_json::json!({}));

    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/photos/portrait-orientation6-gps.jpg");
    let saved = ok_json(dir.path(), &["photo", "add", &id, photo.to_str().unwrap(), "--visit", visit]);
    assert_eq!(saved["mime"], "image/jpeg");
}

#[test]
fn a_process_killed_mid_batch_loses_no_edit_it_reported_saved() {
    let dir = tempfile::tempdir().unwrap();
    ok_json(dir.path(), &["init", "--user", "王五"]);
    let id = add_household(dir.path(), "张三", &id_number(1970, 11));
    for (round, stop_after) in [7u64, 23, 41].into_iter().enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hudang"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["debug", "edit-loop", &id, "--count", "1000000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut last_saved = 0u64;
        while last_saved < stop_after {
            let line = lines.next().expect("the loop prints").unwrap();
            last_saved = line.strip_prefix("saved ").unwrap().parse().unwrap();
        }
        // SIGKILL: no destructor, no flush, no chance to tidy up.
        child.kill().unwrap();
        child.wait().unwrap();

        let store = hudang_cli::open_store(dir.path()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let household = store.household(id.parse().unwrap()).unwrap();
        let value: u64 = household.national_number.parse().unwrap();
        assert!(value >= last_saved, "round {round}: saved {last_saved}, found {value}");
    }
}

#[test]
fn two_devices_disagree_and_one_resolves_the_conflict() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    ok_json(a.path(), &["init", "--user", "甲"]);
    ok_json(b.path(), &["init", "--user", "乙"]);
    let id = add_household(a.path(), "张三", &id_number(1970, 11));
    ok_json(b.path(), &["debug", "merge-from", a.path().to_str().unwrap(), &id]);
    ok_json(a.path(), &["household", "edit", &id, "--set", "phone=13911111111"]);
    ok_json(b.path(), &["household", "edit", &id, "--set", "phone=13722222222"]);
    let merged = ok_json(a.path(), &["debug", "merge-from", b.path().to_str().unwrap(), &id]);
    assert_eq!(merged["conflicts"], 1);

    let listed = ok_json(a.path(), &["conflicts", "list"]);
    let conflict = &listed["conflicts"][0];
    assert_eq!(conflict["path"], "phone");
    let users: Vec<&str> =
        conflict["candidates"].as_array().unwrap().iter().map(|c| c["provenance"]["user"].as_str().unwrap()).collect();
    assert_eq!(users.len(), 2);
    assert!(users.contains(&"甲") && users.contains(&"乙"));
    let text = String::from_utf8_lossy(&hudang(a.path(), &["conflicts", "list"]).stdout).to_string();
    assert!(text.contains("联系电话"), "{text}");

    let (code, _) = fails(a.path(), &["conflicts", "resolve", &id, "phone", "--choose", "9"]);
    assert_eq!(code, "cli.error");
    let chosen_user = users[1];
    ok_json(a.path(), &["conflicts", "resolve", &id, "phone", "--choose", "2"]);
    assert_eq!(ok_json(a.path(), &["conflicts", "list"])["conflicts"], serde_json::json!([]));
    ok_json(b.path(), &["debug", "merge-from", a.path().to_str().unwrap(), &id]);
    assert_eq!(ok_json(b.path(), &["conflicts", "list"])["conflicts"], serde_json::json!([]));
    let expected = if chosen_user == "乙" { "13722222222" } else { "13911111111" };
    assert_eq!(ok_json(b.path(), &["household", "show", &id])["phone"], expected);
    assert_eq!(ok_json(a.path(), &["household", "show", &id])["phone"], expected);
}

#[test]
fn demo_then_check_finds_every_planted_defect_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let demo = ok_json(dir.path(), &["demo", "--seed", "3", "--households", "150"]);
    let mut planted: Vec<(String, String)> = demo["planted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["household"].as_str().unwrap().to_string(), p["check_id"].as_str().unwrap().to_string()))
        .collect();
    planted.sort();
    planted.dedup();
    assert!(planted.len() >= 40, "a defect for every check: {}", planted.len());

    let checked = ok_json(dir.path(), &["check"]);
    let mut found: Vec<(String, String)> = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["household"].as_str().unwrap().to_string(), f["check_id"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    found.dedup();
    let unexpected: Vec<_> = found.iter().filter(|f| !planted.contains(f)).collect();
    let missed: Vec<_> = planted.iter().filter(|p| !found.contains(p)).collect();
    assert!(unexpected.is_empty() && missed.is_empty(), "unexpected findings {unexpected:?}, missed {missed:?}");

    // Projections agree with a fresh check, and survive a rebuild.
    let listed = ok_json(dir.path(), &["household", "list", "--limit", "1000"]);
    assert_eq!(listed.as_array().unwrap().len(), 150);
    let rebuilt = ok_json(dir.path(), &["rebuild"]);
    assert_eq!(rebuilt["households"], 150);
    let with_errors = ok_json(dir.path(), &["household", "list", "--errors", "--limit", "1000"]);
    assert!(!with_errors.as_array().unwrap().is_empty());
    let photos: u64 = demo["photos"].as_u64().unwrap();
    assert!(photos >= 150, "every visit has a photo: {photos}");
}

#[test]
fn a_clean_record_is_signed_and_one_with_errors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let demo = ok_json(dir.path(), &["demo", "--seed", "5", "--households", "80", "--no-photos"]);
    let planted: Vec<String> =
        demo["planted"].as_array().unwrap().iter().map(|p| p["household"].as_str().unwrap().to_string()).collect();
    let listed = ok_json(dir.path(), &["household", "list", "--limit", "1000"]);
    let ids: Vec<String> = listed.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    let clean = ids.iter().find(|id| !planted.contains(id)).unwrap();
    let broken = demo["planted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["check_id"] == "id.check_digit")
        .map(|p| p["household"].as_str().unwrap().to_string())
        .unwrap();

    let png_path = dir.path().join("signature.png");
    let mut canvas = image::RgbaImage::from_pixel(300, 120, image::Rgba([255, 255, 255, 0]));
    for x in 20..280 {
        canvas.put_pixel(x, 60 + (x % 17), image::Rgba([0, 0, 0, 255]));
    }
    canvas.save(&png_path).unwrap();
    let png = png_path.to_str().unwrap();

    let (code, message) = fails(dir.path(), &["sign", &broken, "--role", "调查人", "--name", "王五", "--image", png]);
    assert_eq!(code, "store.invalid_input");
    assert!(message.contains("须先处理"), "{message}");

    ok_json(dir.path(), &["sign", clean, "--role", "调查人", "--name", "王五", "--image", png]);
    let before = ok_json(dir.path(), &["household", "list", "--unsigned", "--limit", "1000"]).as_array().unwrap().len();
    ok_json(dir.path(), &["sign", clean, "--role", "户主", "--name", "户主本人", "--image", png]);
    let after = ok_json(dir.path(), &["household", "list", "--unsigned", "--limit", "1000"]).as_array().unwrap().len();
    assert_eq!(after, before - 1, "signed by both, no longer in the unsigned list");
    let shown = ok_json(dir.path(), &["household", "show", clean]);
    let signatures: Vec<&Json> = shown["signatures"].as_object().unwrap().values().collect();
    assert_eq!(signatures.len(), 2);
    assert_eq!(signatures[0]["image"]["mime"], "image/png");
    assert!(!signatures[0]["covers_heads"].as_array().unwrap().is_empty());

    let (code, _) = fails(dir.path(), &["sign", clean, "--role", "村长", "--name", "x", "--image", png]);
    assert_eq!(code, "input.unknown_code");
}
