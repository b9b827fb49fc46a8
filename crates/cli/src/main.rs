//! The `hudang` command: every user action on a device store, with JSON output (`--json`) and Chinese messages.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use hudang_cli::{default_data_dir, demo, init_store, new_id, now, open_store};
use hudang_domain::{
    Area, Gps, Household, IdType, Inspection, InspectionItem, Member, Relation, Sex, Visit, idcard, labels,
};
use hudang_store::{ListFilter, PhotoTarget, StoreError};
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use uuid::Uuid;

mod sync_commands;

#[derive(Parser)]
#[command(name = "hudang", version, about = "户档：驻村工作队入户调查（一户一档）")]
struct Cli {
    /// Data directory (default: $HUDANG_DATA_DIR or ~/.local/share/hudang).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up this device's store for a user.
    Init {
        /// The worker's name.
        #[arg(long)]
        user: String,
    },
    /// Fill the store with a deterministic synthetic village (with planted data-check defects).
    Demo {
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of households.
        #[arg(long, default_value_t = 120)]
        households: usize,
        /// Skip photos (faster).
        #[arg(long)]
        no_photos: bool,
    },
    /// Households: add, edit, show, list, search, history, export, import.
    #[command(subcommand)]
    Household(HouseholdCommand),
    /// Add a member to a household.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Record a visit.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Start a 六看一问 inspection.
    #[command(subcommand)]
    Inspection(InspectionCommand),
    /// Attach photos.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Sign a household's record (refused while checks report errors or un-noted warnings).
    Sign {
        /// Household id.
        household: Uuid,
        /// 调查人 or 户主.
        #[arg(long)]
        role: String,
        /// The signer's name.
        #[arg(long)]
        name: String,
        /// The drawn signature as a PNG file.
        #[arg(long)]
        image: PathBuf,
    },
    /// Run the data checks (one household, or all).
    Check {
        /// Only this household.
        household: Option<Uuid>,
        /// Exit with status 1 if any error-level finding exists.
        #[arg(long)]
        fail_on_error: bool,
    },
    /// List or resolve conflicts.
    #[command(subcommand)]
    Conflicts(ConflictCommand),
    /// Rebuild every list, search, check and conflict projection from the documents.
    Rebuild,
    /// Enrol this device with the county server using a one-time code.
    Enrol {
        /// The server's address, e.g. http://127.0.0.1:8780.
        #[arg(long)]
        server: String,
        /// The one-time enrolment code.
        #[arg(long)]
        code: String,
        /// A name for this device, shown to county staff.
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Sync with the county server: send changes and photos, receive what changed in this device's area.
    Sync {
        /// Do not download photos.
        #[arg(long)]
        no_photos: bool,
        /// Times a failed request is retried before giving up.
        #[arg(long, default_value_t = 3)]
        retries: u32,
    },
    /// Bundle files for a USB stick: export, import, inspect.
    #[command(subcommand)]
    Bundle(sync_commands::BundleCommand),
    /// Measure the store at scale (prints figures).
    Bench(hudang_cli::bench::BenchOptions),
    /// Internal commands used by tests.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

#[derive(Subcommand)]
enum HouseholdCommand {
    /// Register a household with its 户主.
    Add(AddHousehold),
    /// Set fields by document path, e.g. `--set phone=13800000000 --set address=芷村一组3号`.
    Edit {
        /// Household id.
        id: Uuid,
        /// `path=value`; the value is JSON if it parses as JSON, else text.
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
    },
    /// Show one household.
    Show {
        /// Household id.
        id: Uuid,
    },
    /// List households.
    List {
        /// Only this 行政村.
        #[arg(long)]
        village: Option<String>,
        /// Only this 村民小组.
        #[arg(long)]
        group: Option<String>,
        /// Only this status (e.g. 未脱贫).
        #[arg(long)]
        status: Option<String>,
        /// Only households with check errors.
        #[arg(long)]
        errors: bool,
        /// Only households with conflicts.
        #[arg(long)]
        conflicts: bool,
        /// Only unsigned households.
        #[arg(long)]
        unsigned: bool,
        /// At most this many.
        #[arg(long, default_value_t = 500)]
        limit: usize,
    },
    /// Search by name (汉字 or pinyin initials such as zs), ID number, phone, village or group.
    Search {
        /// The query; several words must all match.
        query: Vec<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Who changed what, when.
    History {
        /// Household id.
        id: Uuid,
    },
    /// Write a household as a JSON file (docs/household-json.md).
    Export {
        /// Household id.
        id: Uuid,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Read a household JSON file: a new household is created, a known one updated.
    Import {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Args)]
struct AddHousehold {
    /// 户主 name.
    #[arg(long)]
    head_name: String,
    /// 户主 ID number.
    #[arg(long)]
    id_number: String,
    /// 户主 sex (男/女); read from the ID number if omitted.
    #[arg(long)]
    sex: Option<String>,
    /// 县.
    #[arg(long, default_value = "")]
    county: String,
    /// 乡镇.
    #[arg(long, default_value = "")]
    township: String,
    /// 行政村.
    #[arg(long)]
    village: String,
    /// 村民小组.
    #[arg(long)]
    group: String,
    /// Phone.
    #[arg(long, default_value = "")]
    phone: String,
    /// Address.
    #[arg(long, default_value = "")]
    address: String,
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Add a member.
    Add {
        /// Household id.
        household: Uuid,
        /// Name.
        #[arg(long)]
        name: String,
        /// ID number.
        #[arg(long)]
        id_number: String,
        /// Relation to the 户主 (e.g. 配偶, 之子).
        #[arg(long)]
        relation: String,
        /// Sex (男/女); read from the ID number if omitted.
        #[arg(long)]
        sex: Option<String>,
    },
}

#[derive(Subcommand)]
enum VisitCommand {
    /// Record an in-person visit now.
    Add {
        /// Household id.
        household: Uuid,
        /// The adult spoken to.
        #[arg(long)]
        interviewee: String,
        /// Latitude.
        #[arg(long, requires = "lon")]
        lat: Option<f64>,
        /// Longitude.
        #[arg(long, requires = "lat")]
        lon: Option<f64>,
        /// What was found.
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
enum InspectionCommand {
    /// Start an inspection now, optionally tied to a visit.
    Add {
        /// Household id.
        household: Uuid,
        /// The visit.
        #[arg(long)]
        visit: Option<Uuid>,
    },
}

#[derive(Subcommand)]
enum PhotoCommand {
    /// Attach a photo to a visit, or to one 六看一问 item of an inspection.
    Add {
        /// Household id.
        household: Uuid,
        /// The photo file (JPEG or PNG).
        file: PathBuf,
        /// Attach to this visit.
        #[arg(long, conflicts_with = "inspection")]
        visit: Option<Uuid>,
        /// Attach to this inspection.
        #[arg(long, requires = "item")]
        inspection: Option<Uuid>,
        /// The item, e.g. 入户看电器.
        #[arg(long)]
        item: Option<String>,
        /// Caption.
        #[arg(long, default_value = "")]
        caption: String,
    },
}

#[derive(Subcommand)]
enum ConflictCommand {
    /// List open conflicts.
    List {
        /// Only this household.
        household: Option<Uuid>,
    },
    /// Settle one conflict: choose a candidate by number (1, 2, ...) or give a value.
    Resolve {
        /// Household id.
        household: Uuid,
        /// The field path.
        path: String,
        /// Candidate number as listed.
        #[arg(long, conflicts_with = "value")]
        choose: Option<usize>,
        /// A new value (JSON, or text).
        #[arg(long)]
        value: Option<String>,
    },
}

#[derive(Subcommand)]
enum DebugCommand {
    /// Make `count` durable edits to one household, printing `saved N` after each.
    EditLoop {
        /// Household id.
        household: Uuid,
        /// Number of edits.
        #[arg(long)]
        count: u64,
    },
    /// Merge one household's document from another device's data directory (what sync will do over the wire).
    MergeFrom {
        /// The other device's data directory.
        other: PathBuf,
        /// Household id.
        household: Uuid,
    },
}

/// How a command's result is printed.
pub(crate) struct Output {
    json: bool,
}

impl Output {
    pub(crate) fn print(&self, value: &Json, human: impl FnOnce() -> String) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).expect("JSON prints"));
        } else {
            println!("{}", human());
        }
    }
}

fn parse_value(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_string()))
}

fn sex_of(explicit: Option<&str>, id_number: &str) -> Result<Option<Sex>> {
    match explicit {
        Some(s) => Ok(Some(s.parse::<Sex>()?)),
        None => Ok(idcard::parse_id_number(id_number).ok().map(|id| id.sex)),
    }
}

/// Household rows, one a line, then a count introduced by `count_word` (共 for a list, 找到 for a search).
fn summaries_text(rows: &[hudang_store::HouseholdSummary], count_word: &str) -> String {
    let mut text: Vec<String> = rows.iter().map(summary_line).collect();
    text.push(format!("{count_word} {} 户", rows.len()));
    text.join("\n")
}

fn summary_line(s: &hudang_store::HouseholdSummary) -> String {
    let mut badges = Vec::new();
    if !s.signed {
        badges.push("未签字".to_string());
    }
    if s.errors > 0 {
        badges.push(format!("{}个错误", s.errors));
    }
    if s.warnings > 0 {
        badges.push(format!("{}个警告", s.warnings));
    }
    if s.conflicts > 0 {
        badges.push(format!("{}处冲突", s.conflicts));
    }
    format!(
        "{}  {}  {}{}  {}人  {}  [{}]",
        s.id,
        s.head_name,
        s.village,
        s.group,
        s.member_count,
        if s.status.is_empty() { "-" } else { &s.status },
        badges.join("，")
    )
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let out = Output { json: cli.json };
    match cli.command {
        Command::Init { user } => {
            let store = init_store(&dir, &user)?;
            let identity = store.identity();
            out.print(&json!({ "data_dir": dir, "device_id": identity.device_id, "user": identity.user }), || {
                format!("已初始化：{}（用户 {}，设备 {}）", dir.display(), identity.user, identity.device_id)
            });
        }
        Command::Demo { seed, households, no_photos } => {
            let mut store = match open_store(&dir) {
                Ok(store) => store,
                Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::NotInitialised)) => {
                    init_store(&dir, "演示用户")?
                }
                Err(e) => return Err(e),
            };
            let at = now();
            let village = demo::generate(&demo::DemoOptions {
                seed,
                households,
                today: at.date_naive(),
                photos: !no_photos,
                ..demo::DemoOptions::default()
            });
            let provenance = store.provenance(at, "demo");
            for chunk in village.households.chunks(500) {
                store.create_many_as_found(chunk, &provenance)?;
            }
            for photo in &village.photos {
                let target = match photo.target {
                    demo::DemoPhotoTarget::Visit(v) => PhotoTarget::Visit(v),
                    demo::DemoPhotoTarget::Inspection(i, item) => PhotoTarget::Inspection(i, item),
                };
                store.add_photo(photo.household, target, photo.photo_id, &photo.jpeg, &photo.caption, &provenance)?;
            }
            let planted: Vec<Json> = village
                .planted
                .iter()
                .map(|p| json!({ "household": p.household, "check_id": p.check_id, "description": p.description }))
                .collect();
            out.print(
                &json!({ "households": village.households.len(), "photos": village.photos.len(), "planted": planted }),
                || {
                    format!(
                        "已生成演示村：{} 户，{} 张照片，预置 {} 处数据问题（hudang check 可查出）",
                        village.households.len(),
                        village.photos.len(),
                        village.planted.len()
                    )
                },
            );
        }
        Command::Household(cmd) => return household_command(&dir, &out, cmd),
        Command::Member(MemberCommand::Add { household, name, id_number, relation, sex }) => {
            let mut store = open_store(&dir)?;
            let member_id = new_id();
            let relation: Relation = relation.parse()?;
            let sex = sex_of(sex.as_deref(), &id_number)?;
            let provenance = store.provenance(now(), "member.add");
            store.edit_household(household, &provenance, |h| {
                h.members.insert(
                    member_id,
                    Member {
                        name: name.clone(),
                        sex,
                        id_type: Some(IdType::ResidentId),
                        id_number: id_number.clone(),
                        relation: Some(relation),
                        ..Default::default()
                    },
                );
                Ok(())
            })?;
            out.print(&json!({ "member_id": member_id }), || format!("已添加成员 {name}（{member_id}）"));
        }
        Command::Visit(VisitCommand::Add { household, interviewee, lat, lon, note }) => {
            let mut store = open_store(&dir)?;
            let visit_id = new_id();
            let at = now();
            let provenance = store.provenance(at, "visit.add");
            let user = store.identity().user.clone();
            store.edit_household(household, &provenance, |h| {
                h.visits.insert(
                    visit_id,
                    Visit {
                        visited_at: at,
                        recorded_by: user.clone(),
                        visitors: [user.clone()].into(),
                        gps: lat.zip(lon).map(|(lat, lon)| Gps { lat, lon, accuracy_m: None }),
                        interviewee: interviewee.clone(),
                        note: note.clone(),
                        ..Default::default()
                    },
                );
                Ok(())
            })?;
            out.print(&json!({ "visit_id": visit_id }), || format!("已记录走访 {visit_id}"));
        }
        Command::Inspection(InspectionCommand::Add { household, visit }) => {
            let mut store = open_store(&dir)?;
            let inspection_id = new_id();
            let at = now();
            let provenance = store.provenance(at, "inspection.add");
            let user = store.identity().user.clone();
            store.edit_household(household, &provenance, |h| {
                h.inspections.insert(
                    inspection_id,
                    Inspection { visit_id: visit, inspected_at: at, inspected_by: user.clone(), ..Default::default() },
                );
                Ok(())
            })?;
            out.print(&json!({ "inspection_id": inspection_id }), || format!("已开始六看一问 {inspection_id}"));
        }
        Command::Photo(PhotoCommand::Add { household, file, visit, inspection, item, caption }) => {
            let mut store = open_store(&dir)?;
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取照片文件 {}", file.display()))?;
            let target = match (visit, inspection, item) {
                (Some(v), _, _) => PhotoTarget::Visit(v),
                (None, Some(i), Some(item)) => PhotoTarget::Inspection(i, item.parse::<InspectionItem>()?),
                _ => bail!("请用 --visit 或 --inspection 加 --item 指定照片归属"),
            };
            let provenance = store.provenance(now(), "photo.add");
            let reference = store.add_photo(household, target, new_id(), &bytes, &caption, &provenance)?;
            out.print(&serde_json::to_value(&reference)?, || {
                format!(
                    "已保存照片 {}（{}×{}，{} 字节）",
                    reference.sha256, reference.width, reference.height, reference.bytes
                )
            });
        }
        Command::Sign { household, role, name, image } => {
            let mut store = open_store(&dir)?;
            let role: hudang_domain::SignerRole = role.parse()?;
            let png = std::fs::read(&image).with_context(|| format!("无法读取签名图片 {}", image.display()))?;
            let provenance = store.provenance(now(), "sign");
            let signature_id = new_id();
            store.sign(household, signature_id, role, &name, &png, &provenance)?;
            out.print(&json!({ "signature_id": signature_id }), || format!("{}“{name}”已签字", role.label()));
        }
        Command::Check { household, fail_on_error } => {
            let store = open_store(&dir)?;
            let today = now().date_naive();
            let findings: Vec<(Uuid, hudang_domain::Finding)> = match household {
                Some(id) => store.check(id, today)?.into_iter().map(|f| (id, f)).collect(),
                None => store.check_all(today)?,
            };
            let errors = findings.iter().filter(|(_, f)| f.severity == hudang_domain::Severity::Error).count();
            let rows: Vec<Json> = findings
                .iter()
                .map(|(id, f)| {
                    json!({ "household": id, "check_id": f.check_id, "severity": f.severity, "path": f.path,
                            "member_id": f.member_id, "message": f.message })
                })
                .collect();
            out.print(&json!({ "findings": rows, "errors": errors, "warnings": findings.len() - errors }), || {
                let mut text: Vec<String> = findings
                    .iter()
                    .map(|(id, f)| format!("{id}  [{}] {}  {}", f.severity, f.check_id, f.message))
                    .collect();
                text.push(format!("共 {} 个错误，{} 个警告", errors, findings.len() - errors));
                text.join("\n")
            });
            if fail_on_error && errors > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Conflicts(ConflictCommand::List { household }) => {
            let store = open_store(&dir)?;
            let conflicts = store.conflicts(household)?;
            let rows: Vec<Json> = conflicts
                .iter()
                .map(|(id, c)| json!({ "household": id, "path": c.path, "label": c.label, "candidates": c.candidates }))
                .collect();
            out.print(&json!({ "conflicts": rows }), || {
                let mut text = Vec::new();
                for (id, c) in &conflicts {
                    text.push(format!("{id}  {}（{}）", c.label, c.path));
                    for (n, cand) in c.candidates.iter().enumerate() {
                        text.push(format!(
                            "    {}. {}  —— {}，{}",
                            n + 1,
                            cand.value,
                            cand.provenance.user,
                            cand.provenance.at.format("%Y-%m-%d %H:%M")
                        ));
                    }
                }
                if text.is_empty() {
                    text.push("没有待处理的冲突".into());
                }
                text.join("\n")
            });
        }
        Command::Conflicts(ConflictCommand::Resolve { household, path, choose, value }) => {
            let mut store = open_store(&dir)?;
            let value = match (choose, value) {
                (Some(n), _) => {
                    let conflicts = store.conflicts(Some(household))?;
                    let conflict = conflicts
                        .iter()
                        .find(|(_, c)| c.path == path)
                        .ok_or_else(|| anyhow!("字段“{path}”没有待处理的冲突"))?;
                    conflict
                        .1
                        .candidates
                        .get(n.wrapping_sub(1))
                        .ok_or_else(|| anyhow!("没有第 {n} 个候选值"))?
                        .value
                        .clone()
                }
                (None, Some(v)) => parse_value(&v),
                (None, None) => bail!("请用 --choose 选择候选值，或用 --value 给出正确的值"),
            };
            let provenance = store.provenance(now(), "resolve");
            store.resolve_conflict(household, &path, &value, &provenance)?;
            out.print(&json!({ "resolved": path, "value": value }), || format!("已解决：{path} = {value}"));
        }
        Command::Rebuild => {
            let mut store = open_store(&dir)?;
            let at = now();
            let report = store.rebuild(at.date_naive(), at)?;
            out.print(&serde_json::to_value(report)?, || {
                format!("已重建：{} 户，{} 条检查结果，{} 处冲突", report.households, report.findings, report.conflicts)
            });
        }
        Command::Enrol { server, code, device_name } => {
            return sync_commands::enrol(&dir, &out, &server, &code, device_name);
        }
        Command::Sync { no_photos, retries } => return sync_commands::sync(&dir, &out, no_photos, retries),
        Command::Bundle(command) => return sync_commands::bundle(&dir, &out, command),
        Command::Bench(options) => {
            let report = hudang_cli::bench::run(&options)?;
            out.print(&serde_json::to_value(&report)?, || report.to_table());
        }
        Command::Debug(DebugCommand::EditLoop { household, count }) => {
            let mut store = open_store(&dir)?;
            let stdout = std::io::stdout();
            for i in 1..=count {
                let provenance = store.provenance(now(), "edit");
                store.edit_household(household, &provenance, |h| {
                    h.national_number = format!("{i:08}");
                    Ok(())
                })?;
                // Reported only after the edit's transaction committed with a full sync.
                let mut lock = stdout.lock();
                writeln!(lock, "saved {i}")?;
                lock.flush()?;
            }
        }
        Command::Debug(DebugCommand::MergeFrom { other, household }) => {
            let bytes = open_store(&other)?.document(household)?.save();
            let mut store = open_store(&dir)?;
            store.merge_document_bytes(household, &bytes, now())?;
            let conflicts = store.conflicts(Some(household))?.len();
            out.print(&json!({ "merged": household, "conflicts": conflicts }), || {
                format!("已合并，{conflicts} 处冲突")
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn household_command(dir: &std::path::Path, out: &Output, cmd: HouseholdCommand) -> Result<ExitCode> {
    match cmd {
        HouseholdCommand::Add(add) => {
            let mut store = open_store(dir)?;
            let id = new_id();
            let head = new_id();
            let mut h = Household::new(id);
            h.area = Area { county: add.county, township: add.township, village: add.village, group: add.group };
            h.phone = add.phone;
            h.address = add.address;
            h.head_member_id = Some(head);
            let sex = sex_of(add.sex.as_deref(), &add.id_number)?;
            h.members.insert(
                head,
                Member {
                    name: add.head_name.clone(),
                    sex,
                    id_type: Some(IdType::ResidentId),
                    id_number: add.id_number,
                    relation: Some(Relation::Head),
                    ..Default::default()
                },
            );
            let provenance = store.provenance(now(), "create");
            store.create_household(&h, &provenance)?;
            out.print(&json!({ "id": id, "head_member_id": head }), || format!("已登记：{}（{id}）", add.head_name));
        }
        HouseholdCommand::Edit { id, sets } => {
            let mut store = open_store(dir)?;
            let mut fields = Vec::new();
            for set in &sets {
                let (path, text) =
                    set.split_once('=').ok_or_else(|| anyhow!("“{set}”应写成 字段路径=值，例如 phone=13800000000"))?;
                let path = path.trim().to_string();
                // Text fields take what was typed as text (a phone number is not a number); others parse as JSON.
                let value = match store.field_value(id, &path)? {
                    Some(Json::String(_)) if serde_json::from_str::<String>(text).is_err() => {
                        Json::String(text.to_string())
                    }
                    _ => parse_value(text),
                };
                fields.push((path, value));
            }
            let provenance = store.provenance(now(), "edit");
            store.set_fields(id, &fields, &provenance)?;
            let changed: Vec<&String> = fields.iter().map(|(p, _)| p).collect();
            out.print(&json!({ "id": id, "changed": changed }), || {
                let h = store.household(id).ok();
                let names: Vec<String> = changed.iter().map(|p| labels::field_label(p, h.as_ref())).collect();
                format!("已保存：{}", names.join("，"))
            });
        }
        HouseholdCommand::Show { id } => {
            let store = open_store(dir)?;
            let household = store.household(id)?;
            let findings = store.findings(Some(id))?;
            out.print(&serde_json::to_value(&household)?, || show_text(&household, &findings, store.policy()));
        }
        HouseholdCommand::List { village, group, status, errors, conflicts, unsigned, limit } => {
            let store = open_store(dir)?;
            let filter = ListFilter {
                village,
                group,
                status,
                with_errors: errors,
                with_conflicts: conflicts,
                unsigned,
                limit,
                offset: 0,
            };
            let rows = store.list(&filter)?;
            out.print(&serde_json::to_value(&rows)?, || summaries_text(&rows, "共"));
        }
        HouseholdCommand::Search { query, limit } => {
            let store = open_store(dir)?;
            let rows = store.search(&query.join(" "), limit)?;
            out.print(&serde_json::to_value(&rows)?, || summaries_text(&rows, "找到"));
        }
        HouseholdCommand::History { id } => {
            let store = open_store(dir)?;
            let history = store.history(id)?;
            out.print(&serde_json::to_value(&history)?, || {
                let mut text = Vec::new();
                for entry in &history {
                    let p = &entry.provenance;
                    let fields: Vec<&str> = entry.fields.iter().take(6).map(|f| f.label.as_str()).collect();
                    let more = entry.fields.len().saturating_sub(6);
                    let tail = if more > 0 { format!(" 等{}项", entry.fields.len()) } else { String::new() };
                    text.push(format!(
                        "{}  {}  {}  {}{}",
                        p.at.format("%Y-%m-%d %H:%M:%S"),
                        if p.user.is_empty() { "（未知）" } else { &p.user },
                        p.action,
                        fields.join("、"),
                        tail
                    ));
                }
                text.join("\n")
            });
        }
        HouseholdCommand::Export { id, output } => {
            let store = open_store(dir)?;
            let file = store.export_household(id)?;
            let text = serde_json::to_string_pretty(&file)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("无法写入 {}", path.display()))?;
                    if !out.json {
                        println!("已导出到 {}", path.display());
                    }
                }
                None => println!("{text}"),
            }
        }
        HouseholdCommand::Import { file } => {
            let mut store = open_store(dir)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}（须为 UTF-8 文本）", file.display()))?;
            let provenance = store.provenance(now(), "import");
            let id = store.import_household(&text, &provenance)?;
            out.print(&json!({ "id": id }), || format!("已导入：{id}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_text(h: &Household, findings: &[(Uuid, hudang_domain::Finding)], policy: &hudang_domain::Policy) -> String {
    let mut text = vec![
        format!("户主：{}    户编号：{}", h.head_name(), h.id),
        format!("地址：{}{}{}{} {}", h.area.township, h.area.village, h.area.group, "", h.address),
        format!(
            "状态：{}    属性：{}    主要致贫原因：{}",
            h.status.map(|s| s.label()).unwrap_or("-"),
            h.attribute.map(|s| s.label()).unwrap_or("-"),
            h.main_cause.map(|s| s.label()).unwrap_or("-")
        ),
        format!("家庭成员（{} 人在册）：", h.size()),
    ];
    for m in h.members.values() {
        text.push(format!(
            "  {}  {}  {}  {}  {}",
            m.name,
            m.sex.map(|s| s.label()).unwrap_or("-"),
            m.relation.map(|s| s.label()).unwrap_or("-"),
            m.id_number,
            m.status.map(|s| s.label()).unwrap_or("在册")
        ));
    }
    if let Some(income) = h.latest_income() {
        let per_capita = income.per_capita_fen(h.size());
        let line = policy.line_for(income.year);
        text.push(format!(
            "{}年人均纯收入：{} 元{}",
            income.year,
            per_capita.map(hudang_domain::income::yuan).unwrap_or_else(|| "-".into()),
            line.map(|(_, fen)| format!("（标准 {} 元）", hudang_domain::income::yuan(fen))).unwrap_or_default()
        ));
    }
    text.push(format!("走访 {} 次，六看一问 {} 次", h.visits.len(), h.inspections.len()));
    for (_, f) in findings {
        text.push(format!("  [{}] {}", f.severity, f.message));
    }
    text.join("\n")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            let code = error
                .downcast_ref::<StoreError>()
                .map(|e| e.code())
                .map(str::to_string)
                .or_else(|| error.downcast_ref::<hudang_sync::SyncError>().map(|e| e.code()))
                .or_else(|| error.downcast_ref::<hudang_protocol::BundleError>().map(|e| e.code().to_string()))
                .or_else(|| error.downcast_ref::<hudang_domain::UnknownCode>().map(|_| "input.unknown_code".into()))
                .unwrap_or_else(|| "cli.error".into());
            if json {
                println!("{}", json!({ "error": { "code": code, "message": error.to_string() } }));
            }
            eprintln!("错误：{error:#}");
            ExitCode::from(1)
        }
    }
}
