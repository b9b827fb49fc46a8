//! The synthetic demo village (演示村): a deterministic, realistic 行政村 for demos, tests and benchmarks.
//!
//! [`generate`] describes 芷村 (芷村镇, 蒙自市, 云南省红河州) as a village work team would have recorded it: 6-8 村民小组,
//! households of 1-7 members with consistent relations, ages, sexes and ID numbers (area code 532503), schooling,
//! health, labour, migrant work, insurance and welfare, two years of living conditions and income, 1-3 visits per
//! household with GPS, a 六看一问 inspection and a 两不愁三保障 assessment each, 六步法 and 动态管理 workflow events,
//! helper pairings and a few 防返贫 monitoring cases.
//!
//! Everything comes from one seeded generator ([`rand_chacha::ChaCha8Rng`]): the same options give the same village,
//! UUIDs included; no clock and no system randomness are read.
//!
//! **Clean households and planted defects.** A household not listed in [`DemoVillage::planted`] gives no finding at all
//! from [`hudang_domain::check_household`] with [`Policy::builtin`], `today` and the ID holders of the whole village
//! (see [`id_holders`]). Each planted household carries exactly one defect, chosen so that it is reported by exactly one
//! check: every built-in check of [`CHECKS`] and every exclusion rule of the built-in policy (`exclusion.<rule id>`) is
//! planted once, in households spread over the village. A planted `id.duplicate` is one person registered in two
//! households, so both are listed. When the village has fewer households than defects, the defects that fit are
//! planted, in the order of [`CHECKS`] then the policy's rules. [`unplantable_checks`] lists check ids this generator
//! does not know how to plant (empty when it is in step with the checks).
//!
//! **Photos.** Households are returned without any reference to the photos in [`DemoVillage::photos`]: the store adds
//! the reference when it ingests the bytes (`Store::add_photo`). Every visit gets one photo aimed at the visit itself
//! (so `visit.no_photo` is satisfied once the photos are ingested) plus, often, a few aimed at 六看一问 items. The
//! JPEGs come from [`hudang_media::sample::camera_jpeg`], with EXIF GPS near the household and DateTimeOriginal at the
//! visit's local time (UTC+8). When [`DemoOptions::photos`] is false no bytes are made and each visit instead carries a
//! placeholder [`PhotoRef`] (mime `image/jpeg`, sha256 of a deterministic text, not of real bytes), so the checks pass
//! without photo files; the placeholder's bytes are not in any store. The households are otherwise identical in both
//! modes.
//!
//! **Signatures.** The demo makes none: a signature needs its PNG bytes in the store, and signing is something a
//! demo user should do by hand.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use hudang_domain::checks::{CHECKS, exclusion_check_id};
use hudang_domain::idcard::{check_char, make_id_number};
use hudang_domain::policy::ExclusionCondition;
use hudang_domain::*;
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_media::{GpsFix, MIME_JPEG, sha256_hex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------------

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoOptions {
    /// Seed: the same seed and options give the same village, byte for byte.
    pub seed: u64,
    /// Number of households (default 120).
    pub households: usize,
    /// The day the village is described on: ages, active helper pairings and visit dates follow from it, and the
    /// income and living-condition records are for the two years before it.
    pub today: NaiveDate,
    /// Whether to draw photo bytes ([`DemoVillage::photos`]); without them each visit carries a placeholder reference.
    pub photos: bool,
    /// Stored pixel size of each generated photo (width, height); keep it small, a household has about three.
    pub photo_size: (u32, u32),
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2017,
            households: 120,
            today: NaiveDate::from_ymd_opt(2025, 6, 30).expect("a real date"),
            photos: true,
            photo_size: (320, 240),
        }
    }
}

/// Where a demo photo is to be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemoPhotoTarget {
    /// A visit's photos.
    Visit(Uuid),
    /// One 六看一问 item of an inspection.
    Inspection(Uuid, InspectionItem),
}

impl From<DemoPhotoTarget> for hudang_store::PhotoTarget {
    fn from(target: DemoPhotoTarget) -> Self {
        match target {
            DemoPhotoTarget::Visit(v) => hudang_store::PhotoTarget::Visit(v),
            DemoPhotoTarget::Inspection(i, item) => hudang_store::PhotoTarget::Inspection(i, item),
        }
    }
}

/// A photo to ingest with `Store::add_photo(household, target, photo_id, &jpeg, &caption, provenance)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoPhoto {
    /// The household it belongs to.
    pub household: Uuid,
    /// The visit or 六看一问 item it is attached to.
    pub target: DemoPhotoTarget,
    /// The key of the new photo entry.
    pub photo_id: Uuid,
    /// A camera JPEG with EXIF DateTimeOriginal and GPS (no GPS for the planted `visit.no_gps` visit); about one in ten
    /// is stored sideways with EXIF orientation 6, as a phone held upright does.
    pub jpeg: Vec<u8>,
    /// The worker's caption.
    pub caption: String,
    /// When it was taken (the EXIF time is the same instant in UTC+8).
    pub taken_at: DateTime<Utc>,
}

/// A defect planted on purpose: the check that must report it on that household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedDefect {
    /// The household carrying the defect.
    pub household: Uuid,
    /// The check that reports it, e.g. `id.check_digit` or `exclusion.car`.
    pub check_id: String,
    /// What is wrong, in Chinese.
    pub description: String,
}

/// The generated village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoVillage {
    /// The household files, in generation order.
    pub households: Vec<Household>,
    /// Photos to ingest (empty when [`DemoOptions::photos`] is false).
    pub photos: Vec<DemoPhoto>,
    /// The planted defects, one per planted household (two households for `id.duplicate`).
    pub planted: Vec<PlantedDefect>,
}

/// Generates the village described by `options`.
pub fn generate(options: &DemoOptions) -> DemoVillage {
    Gen::new(options).run()
}

/// Every ID number in `households` with the households holding it, as the store indexes them: every member with a
/// number, trimmed and upper-cased, a 残疾人证 number cut to its 18-character ID number. Pass it as
/// [`CheckContext::id_holders`] to check the village without a store.
pub fn id_holders(households: &[Household]) -> HashMap<String, Vec<Uuid>> {
    hudang_domain::checks::id_holders(households)
}

/// Check ids (built-in checks and `exclusion.<rule id>` of the built-in policy) that [`generate`] cannot plant.
pub fn unplantable_checks() -> Vec<String> {
    let policy = Policy::builtin();
    let mut out: Vec<String> =
        CHECKS.iter().filter(|def| check_shape(def.id).is_none()).map(|def| def.id.to_string()).collect();
    // Every kind of exclusion condition has a recipe, so every rule of any policy can be planted.
    out.extend(
        policy
            .exclusion_rules
            .iter()
            .filter(|rule| exclusion_stage(&rule.condition).is_none())
            .map(|rule| exclusion_check_id(&rule.id)),
    );
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------------------------------------------

const AREA_CODE: &str = "532503";
/// Other counties of 红河州, where some spouses married in from.
const OTHER_AREA_CODES: &[&str] = &["532501", "532502", "532524", "532525", "532527", "532528", "532531"];
/// The demo village's county.
pub const COUNTY: &str = "蒙自市";
/// The demo village's township.
pub const TOWNSHIP: &str = "芷村镇";
/// The demo village.
pub const VILLAGE: &str = "芷村村";
const VILLAGE_LAT: f64 = 23.37;
const VILLAGE_LON: f64 = 103.38;
const GROUP_NAMES: &[&str] = &["一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组"];

/// GB 3304 codes of the 民族 living in the village, with weights.
const ETHNICITIES: &[(&str, u32)] = &[("01", 40), ("07", 30), ("16", 12), ("06", 12), ("08", 6)];

/// Han surnames; 曾, 单, 解, 查, 仇, 乐, 区, 缪 have several readings (pinyin search must handle them).
const HAN_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "韩", "曹", "许", "邓", "冯", "彭", "曾", "肖", "田", "董", "潘", "袁", "蔡",
    "蒋", "余", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "卢", "沈", "姚", "钟", "崔", "陆", "范", "金", "石",
    "廖", "贾", "夏", "付", "方", "邹", "熊", "白", "孟", "秦", "邱", "侯", "江", "尹", "薛", "段", "雷", "龙", "史",
    "陶", "贺", "毛", "郝", "顾", "龚", "邵", "万", "严", "武", "单", "曾", "解", "查", "仇", "乐", "单", "曾", "区",
    "缪",
];
const YI_SURNAMES: &[&str] =
    &["李", "普", "杨", "施", "罗", "龙", "毕", "何", "王", "张", "白", "起", "陆", "鲁", "李", "普", "曾"];
const HANI_SURNAMES: &[&str] = &["李", "白", "马", "卢", "普", "朱", "陈", "杨", "罗", "高", "车", "李", "白"];
const MIAO_SURNAMES: &[&str] = &["杨", "王", "熊", "陶", "项", "马", "李", "张", "侯", "吴", "古", "杨", "王"];
const ZHUANG_SURNAMES: &[&str] = &["农", "黄", "陆", "王", "韦", "李", "罗", "梁", "陈", "侬"];

const MALE_OLD: &[&str] = &[
    "国", "建", "志", "文", "明", "永", "家", "学", "德", "光", "正", "春", "金", "兴", "有", "成", "开", "朝", "云",
    "绍", "发", "树", "福", "宝", "顺", "忠", "林", "海", "贵", "才", "荣", "平", "昌", "华", "祥", "亮", "军", "保",
    "富", "清",
];
const MALE_NEW: &[&str] = &[
    "浩", "宇", "子", "俊", "杰", "轩", "博", "睿", "鑫", "涛", "鹏", "磊", "超", "凯", "晨", "航", "泽", "梓", "佳",
    "天", "锦", "豪", "然", "阳", "帅", "毅", "辉", "翔", "斌", "昊",
];
const FEMALE_OLD: &[&str] = &[
    "秀", "英", "兰", "芳", "桂", "珍", "凤", "琼", "美", "玉", "花", "翠", "菊", "莲", "仙", "香", "春", "梅", "丽",
    "芬", "萍", "艳", "红", "金", "会", "存", "粉", "竹",
];
const FEMALE_NEW: &[&str] = &[
    "欣", "怡", "雨", "萱", "婷", "静", "佳", "雪", "梦", "涵", "诗", "琪", "晓", "思", "悦", "可", "馨", "妍", "颖",
    "丹", "娜", "倩", "璐", "瑶", "莹", "慧",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "157", "158",
    "159", "180", "181", "182", "183", "187", "188", "189", "191", "199",
];

const HELPER_UNITS: &[&str] = &[
    "蒙自市人民政府办公室",
    "蒙自市农业农村局",
    "蒙自市教育体育局",
    "蒙自市卫生健康局",
    "蒙自市人力资源和社会保障局",
    "蒙自市自然资源局",
    "蒙自市住房和城乡建设局",
    "红河州财政局",
    "红河州乡村振兴局",
    "芷村镇人民政府",
    "芷村镇中心学校",
    "芷村镇卫生院",
    "蒙自供电局",
    "中国农业银行蒙自支行",
];

const CHRONIC_DISEASES: &[&str] = &[
    "高血压",
    "糖尿病",
    "慢性阻塞性肺疾病",
    "类风湿性关节炎",
    "慢性胃炎",
    "冠心病",
    "腰椎间盘突出症",
    "慢性肾炎",
    "风湿性心脏病",
];
const SERIOUS_DISEASES: &[&str] = &["肺癌", "胃癌", "尿毒症", "脑梗死后遗症", "重性精神病", "白血病", "肝硬化"];
/// Disability categories with their 残疾人证 category digit.
const DISABILITIES: &[(&str, char)] =
    &[("肢体", '4'), ("视力", '1'), ("听力", '2'), ("言语", '3'), ("智力", '5'), ("精神", '6'), ("多重", '7')];

const EMPLOYERS_OUT_OF_PROVINCE: &[&str] = &[
    "广东省东莞市某电子厂",
    "广东省深圳市某电子厂",
    "浙江省义乌市某小商品公司",
    "浙江省宁波市某服装厂",
    "福建省晋江市某鞋厂",
    "江苏省苏州市某电子厂",
];
const EMPLOYERS_PROVINCE: &[&str] =
    &["昆明市某建筑工地", "昆明市某餐饮公司", "玉溪市某物流公司", "昆明市某物业公司", "曲靖市某建筑公司"];
const EMPLOYERS_COUNTY: &[&str] =
    &["蒙自市某石榴种植基地", "蒙自经济技术开发区某企业", "蒙自市某建筑公司", "蒙自市某酒店"];
const EMPLOYERS_TOWNSHIP: &[&str] = &["芷村镇烤烟收购站", "芷村镇某农民专业合作社", "芷村镇某砖厂", "芷村镇集镇某餐馆"];
const PUBLIC_WELFARE_JOBS: &[&str] = &["生态护林员", "村庄保洁员", "护路员", "河道管理员"];

const VISIT_PURPOSES: &[&str] = &[
    "遍访建档立卡户",
    "动态管理信息采集",
    "帮扶政策落实情况回访",
    "防返贫动态监测排查",
    "“六看一问”入户核查",
    "春节前走访慰问",
];
const CROPS: &[&str] = &["烤烟", "玉米", "石榴", "核桃", "辣椒", "马铃薯", "软籽石榴", "魔芋"];

// ---------------------------------------------------------------------------------------------------------------
// Household shapes and planting plans
// ---------------------------------------------------------------------------------------------------------------

/// The kind of household: its status and whether it was ever registered as poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ExitedSupported,
    ExitedUnsupported,
    NotExited,
    Returned,
    Removed,
    Ordinary,
}

impl Kind {
    fn is_exited(self) -> bool {
        matches!(self, Kind::ExitedSupported | Kind::ExitedUnsupported)
    }
    fn status(self) -> Option<PovertyStatus> {
        match self {
            Kind::ExitedSupported => Some(PovertyStatus::ExitedSupported),
            Kind::ExitedUnsupported => Some(PovertyStatus::ExitedUnsupported),
            Kind::NotExited => Some(PovertyStatus::NotExited),
            Kind::Returned => Some(PovertyStatus::Returned),
            Kind::Removed => Some(PovertyStatus::Removed),
            Kind::Ordinary => None,
        }
    }
}

/// 贫困户属性 before the 脱贫 suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    General,
    Dibao,
    Tekun,
}

/// Family compositions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Template {
    /// Young couple with children, sometimes the head's parents.
    Young,
    /// Older head with a married son, daughter-in-law and grandchildren.
    Old,
    /// One or two people over 60.
    Elderly,
    /// A single man.
    Single,
    /// A woman with children and no husband in the household.
    Widow,
    /// A disabled adult who cannot work, sometimes with an elderly mother (特困供养).
    TekunDisabled,
}

/// A monitoring case to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MonPlan {
    ClosedBySupport,
    ClosedNaturally,
    Supporting,
    Included,
}

/// A fact the members of a planted household must show, so its defect can be planted cleanly.
#[derive(Debug, Clone, Copy)]
enum Need {
    Spouse,
    /// A registered 之子/之女/之孙子/之孙女 aged within the range.
    Child(i32, i32),
    /// A registered 之女 aged within the range.
    Daughter(i32, i32),
    /// A registered 之子 aged within the range, with no 之儿媳 in the household.
    UnmarriedSon(i32, i32),
    /// A registered member aged within the range.
    Adult(i32, i32),
    /// A registered, healthy non-student aged within the range.
    HealthyAdult(i32, i32),
    /// A registered member working away from the farm.
    Worker,
    NoStudents,
    AnyoneCanWork,
    Size(usize, usize),
    /// At most this many registered members (room for one more).
    MaxSize(usize),
}

/// Constraints on a generated household; the default is a random clean household.
#[derive(Debug, Clone, Default)]
struct Shape {
    planted: bool,
    kind: Option<Kind>,
    attr: Option<Attr>,
    not_tekun: bool,
    template: Option<Template>,
    /// Nobody ill or disabled.
    healthy: bool,
    /// Nobody able to work.
    no_labour: bool,
    needs: Vec<Need>,
    /// Per-capita income as a factor of the line: (low, high) and a cap it must stay under.
    income: Option<(f64, f64, f64)>,
    monitoring: Option<MonPlan>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// On the members, after ID numbers are given and before the rest of the file is built from them.
    Pre,
    /// On the finished file.
    Post,
    /// After declared per-capita figures are brought in line with the computed ones.
    Final,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Single,
    DupSource,
    DupCopy,
}

/// One defect to plant in one household.
#[derive(Debug, Clone)]
struct Slot {
    check_id: String,
    role: Role,
    condition: Option<ExclusionCondition>,
}

fn shape(kind: Option<Kind>, needs: Vec<Need>) -> Shape {
    Shape { planted: true, kind, needs, ..Shape::default() }
}

/// The household a built-in check's defect is planted in; `None` for a check this generator cannot plant.
fn check_shape(id: &str) -> Option<Shape> {
    use Kind::*;
    use Need::*;
    let s = match id {
        "id.missing" | "id.format" | "id.birth_date" | "id.check_digit" | "id.sex_parity" => {
            shape(None, vec![Size(2, 7)])
        }
        "id.duplicate" => shape(None, vec![]), // refined per role in `slot_shape`
        "structure.head_count" | "structure.spouse_sex" => shape(None, vec![Spouse]),
        "structure.head_reference" => shape(None, vec![Size(2, 7)]),
        "structure.relation_sex" => shape(None, vec![Child(0, 60)]),
        "structure.helper" | "household.phone" | "household.split_details" => shape(None, vec![]),
        "age.labour_under_16" => shape(None, vec![Child(10, 15)]),
        "age.adult_no_labour" => shape(None, vec![HealthyAdult(18, 58)]),
        "age.compulsory_school" => shape(Some(NotExited), vec![Child(6, 15)]),
        "age.primary_over_20" => shape(None, vec![Adult(21, 45)]),
        "age.high_school_under_14" => shape(None, vec![Child(6, 13)]),
        "age.work_under_16" => shape(None, vec![Child(14, 15)]),
        "member.work_months" => shape(None, vec![Worker]),
        "member.health_details" => shape(None, vec![HealthyAdult(35, 75)]),
        "member.phone" => shape(None, vec![Adult(18, 70)]),
        "cause.illness" | "cause.disability" => Shape { healthy: true, ..shape(Some(ExitedSupported), vec![]) },
        "cause.schooling" => shape(Some(ExitedSupported), vec![NoStudents]),
        "cause.other_causes" => shape(Some(ExitedSupported), vec![]),
        "welfare.dibao_member" | "welfare.dibao_amount" => {
            Shape { attr: Some(Attr::Dibao), ..shape(Some(ExitedSupported), vec![]) }
        }
        "welfare.tekun_labour" => Shape {
            attr: Some(Attr::Tekun),
            template: Some(Template::TekunDisabled),
            ..shape(Some(ExitedSupported), vec![Adult(35, 60)])
        },
        "income.duplicate_year" | "conditions.duplicate_year" | "income.business_expense" => shape(None, vec![]),
        "income.per_capita_mismatch" => shape(None, vec![]),
        "income.wage_worker" => shape(None, vec![Worker]),
        "income.per_capita_range" => shape(Some(NotExited), vec![]),
        "land.per_person" => shape(None, vec![Size(1, 1)]),
        "land.per_household" => shape(None, vec![Size(3, 7)]),
        "exit.dangerous_house" | "exit.no_house" | "exit.unsafe_water" | "exit.no_medical_insurance" => {
            shape(Some(ExitedSupported), vec![])
        }
        "exit.child_out_of_school" => shape(Some(ExitedSupported), vec![Child(6, 15)]),
        "exit.income_below_line" => Shape {
            attr: Some(Attr::General),
            income: Some((0.72, 0.88, 0.95)),
            ..shape(Some(ExitedUnsupported), vec![])
        },
        "visit.no_photo" | "visit.no_gps" | "visit.no_interviewee" => shape(None, vec![]),
        "monitoring.closed_without_measure" => {
            Shape { monitoring: Some(MonPlan::ClosedBySupport), ..shape(Some(ExitedSupported), vec![AnyoneCanWork]) }
        }
        "monitoring.closed_below_threshold" => Shape {
            monitoring: Some(MonPlan::ClosedBySupport),
            income: Some((0.72, 0.88, 0.95)),
            ..shape(Some(Ordinary), vec![AnyoneCanWork])
        },
        "monitoring.closed_no_labour" => Shape {
            monitoring: Some(MonPlan::ClosedNaturally),
            template: Some(Template::Elderly),
            no_labour: true,
            ..shape(Some(ExitedSupported), vec![])
        },
        _ => return None,
    };
    Some(s)
}

fn check_stage(id: &str) -> Stage {
    match id {
        "id.missing"
        | "id.format"
        | "id.birth_date"
        | "id.check_digit"
        | "id.sex_parity"
        | "id.duplicate"
        | "structure.head_count"
        | "structure.spouse_sex"
        | "structure.relation_sex"
        | "age.labour_under_16"
        | "age.adult_no_labour"
        | "age.compulsory_school"
        | "age.primary_over_20"
        | "age.high_school_under_14"
        | "age.work_under_16"
        | "member.work_months"
        | "member.health_details"
        | "member.phone"
        | "welfare.tekun_labour"
        | "exit.child_out_of_school"
        | "exit.no_medical_insurance" => Stage::Pre,
        "income.per_capita_mismatch" => Stage::Final,
        _ => Stage::Post,
    }
}

/// When an exclusion condition is planted; `None` if there is no recipe for it.
fn exclusion_stage(condition: &ExclusionCondition) -> Option<Stage> {
    Some(match condition {
        ExclusionCondition::StatePayroll | ExclusionCondition::VillageCadre => Stage::Pre,
        ExclusionCondition::TownProperty
        | ExclusionCondition::CarOver { .. }
        | ExclusionCondition::ConstructionMachinery
        | ExclusionCondition::LargeFarmVehicle
        | ExclusionCondition::RegisteredBusiness
        | ExclusionCondition::EmploysOthers
        | ExclusionCondition::SplitToQualify
        | ExclusionCondition::RegisteredAbsent => Stage::Post,
    })
}

fn slot_shape(slot: &Slot) -> Shape {
    if let Some(condition) = &slot.condition {
        let needs = match condition {
            ExclusionCondition::StatePayroll | ExclusionCondition::VillageCadre => vec![Need::Adult(22, 60)],
            _ => vec![],
        };
        return shape(Some(Kind::ExitedSupported), needs);
    }
    match slot.role {
        Role::DupSource => Shape { not_tekun: true, ..shape(None, vec![Need::Daughter(20, 35)]) },
        Role::DupCopy => Shape { not_tekun: true, ..shape(None, vec![Need::UnmarriedSon(22, 40), Need::MaxSize(6)]) },
        Role::Single => check_shape(&slot.check_id).unwrap_or_default(),
    }
}

fn slot_stage(slot: &Slot) -> Stage {
    match &slot.condition {
        Some(condition) => exclusion_stage(condition).unwrap_or(Stage::Post),
        None => check_stage(&slot.check_id),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Generator state
// ---------------------------------------------------------------------------------------------------------------

/// A member being put together, with the age the generator chose.
#[derive(Debug, Clone)]
struct Draft {
    id: Uuid,
    age: i32,
    birth: NaiveDate,
    married_in: bool,
    member: Member,
}

impl Draft {
    fn registered(&self) -> bool {
        self.member.is_registered()
    }
    fn can_work(&self) -> bool {
        self.member.labour.is_some_and(LabourSkill::can_work)
    }
    fn in_school(&self) -> bool {
        self.member.school.is_some_and(SchoolStatus::is_student)
    }
    fn ill(&self) -> bool {
        self.member.health.contains(&Health::Chronic) || self.member.health.contains(&Health::Serious)
    }
    fn disabled(&self) -> bool {
        self.member.health.contains(&Health::Disabled)
    }
    fn healthy(&self) -> bool {
        self.member.health.iter().all(|h| *h == Health::Healthy)
    }
    fn relation(&self) -> Relation {
        self.member.relation.unwrap_or(Relation::Other)
    }
}

/// A planned member: relation, sex, age and whether they still count.
#[derive(Debug, Clone)]
struct Skel {
    relation: Relation,
    sex: Sex,
    age: i32,
    status: Option<MemberStatus>,
    surname: SurnameFrom,
    married_in: bool,
    force_disabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SurnameFrom {
    OfHead,
    OfFamily,
    Own,
}

impl Skel {
    fn new(relation: Relation, sex: Sex, age: i32, surname: SurnameFrom) -> Skel {
        Skel { relation, sex, age, status: None, surname, married_in: false, force_disabled: false }
    }
}

struct Group {
    name: &'static str,
    lat: f64,
    lon: f64,
    next_house: u32,
}

struct Helper {
    name: String,
    unit: &'static str,
    phone: String,
}

/// A photo to make for a visit.
#[derive(Debug, Clone)]
struct PhotoPlan {
    target: DemoPhotoTarget,
    photo_id: Uuid,
    seed: u64,
    minutes_after: i64,
    orientation: u16,
    caption: String,
}

/// What the generator keeps about a visit until the photos are made.
#[derive(Debug, Clone)]
struct VisitMeta {
    visit_id: Uuid,
    inspection_id: Uuid,
    local: NaiveDateTime,
    gps: Gps,
    photos: Vec<PhotoPlan>,
    no_photo: bool,
    no_gps: bool,
}

/// Facts of one household used while building its file.
struct Build {
    household: Household,
    ages: HashMap<Uuid, i32>,
    visits: Vec<VisitMeta>,
    /// Income and condition record ids by year.
    incomes: BTreeMap<i32, Uuid>,
    conditions: BTreeMap<i32, Uuid>,
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    opts: &'a DemoOptions,
    policy: Policy,
    today: NaiveDate,
    /// The latest complete year: income and living conditions are recorded for it and the year before.
    year: i32,
    groups: Vec<Group>,
    team: Vec<String>,
    helpers: Vec<Helper>,
    used_ids: HashSet<String>,
    national_seq: u32,
    dup_source: Option<(Uuid, String, Draft)>,
    photos: Vec<DemoPhoto>,
    planted: Vec<PlantedDefect>,
}

/// Rounds a coordinate to six decimals (about 10 cm), so it survives a JSON round trip exactly.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Rounds to one decimal (亩, km).
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Yuan to fen, rounded to the whole yuan.
fn yuan(x: f64) -> Fen {
    (x.round() as Fen) * 100
}

/// The same day `years` years earlier (29 February becomes 28 February).
fn years_before(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() - years;
    date.with_year(year).or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28)).expect("a real date")
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a real date")
}

/// Local time in China (UTC+8) as UTC.
fn china_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::hours(8)).and_utc()
}

fn relation_word(relation: Relation) -> &'static str {
    relation.label()
}

impl<'a> Gen<'a> {
    fn new(opts: &'a DemoOptions) -> Gen<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let today = opts.today;
        let group_count = rng.random_range(6..=8);
        let groups = (0..group_count)
            .map(|i| Group {
                name: GROUP_NAMES[i],
                lat: VILLAGE_LAT + if i == 0 { 0.0 } else { rng.random_range(-0.012..0.012) },
                lon: VILLAGE_LON + if i == 0 { 0.0 } else { rng.random_range(-0.014..0.014) },
                next_house: 1,
            })
            .collect();
        let mut g = Gen {
            rng,
            opts,
            policy: Policy::builtin(),
            today,
            year: today.year() - 1,
            groups,
            team: Vec::new(),
            helpers: Vec::new(),
            used_ids: HashSet::with_capacity(opts.households * 4),
            national_seq: 0,
            dup_source: None,
            photos: Vec::new(),
            planted: Vec::new(),
        };
        g.team = (0..4)
            .map(|_| {
                let birth_year = g.ri(1975, 1995);
                let sex = if g.chance(0.7) { Sex::Male } else { Sex::Female };
                g.full_name(HAN_SURNAMES, sex, birth_year)
            })
            .collect();
        let helper_count = (opts.households / 5).max(6);
        g.helpers = (0..helper_count)
            .map(|_| {
                let birth_year = g.ri(1968, 1995);
                let sex = if g.chance(0.65) { Sex::Male } else { Sex::Female };
                let name = g.full_name(HAN_SURNAMES, sex, birth_year);
                let unit = g.pick(HELPER_UNITS);
                let phone = g.mobile();
                Helper { name, unit, phone }
            })
            .collect();
        g
    }

    // ----- random helpers -----

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }
    fn ri(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo { lo } else { self.rng.random_range(lo..=hi) }
    }
    fn rf(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo { lo } else { self.rng.random_range(lo..hi) }
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }
    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.random_range(0..total.max(1));
        for &(item, weight) in items {
            if r < weight {
                return item;
            }
            r -= weight;
        }
        items[items.len() - 1].0
    }
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random::<u128>().to_le_bytes()).into_uuid()
    }
    fn date_between(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let days = (to - from).num_days();
        if days <= 0 {
            return from.min(to);
        }
        from + Duration::days(self.rng.random_range(0..=days))
    }
    /// A day in `year`, between the two month/day pairs, never after today.
    fn day_in(&mut self, year: i32, from: (u32, u32), to: (u32, u32)) -> NaiveDate {
        let day = self.date_between(ymd(year, from.0, from.1), ymd(year, to.0, to.1));
        day.min(self.today - Duration::days(1))
    }
    fn team_member(&mut self) -> String {
        self.team[self.rng.random_range(0..self.team.len())].clone()
    }
    fn mobile(&mut self) -> String {
        let prefix = self.pick(MOBILE_PREFIXES);
        format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32))
    }
    fn given_name(&mut self, sex: Sex, birth_year: i32) -> String {
        let modern = birth_year >= 2000 || (birth_year >= 1982 && self.chance(0.5));
        let pool = match (sex, modern) {
            (Sex::Male, false) => MALE_OLD,
            (Sex::Male, true) => MALE_NEW,
            (Sex::Female, false) => FEMALE_OLD,
            (Sex::Female, true) => FEMALE_NEW,
        };
        let first = self.pick(pool);
        if self.chance(0.22) {
            return first.to_string();
        }
        loop {
            let second = self.pick(pool);
            if second != first {
                return format!("{first}{second}");
            }
        }
    }
    fn full_name(&mut self, surnames: &[&str], sex: Sex, birth_year: i32) -> String {
        let surname = self.pick(surnames);
        format!("{surname}{}", self.given_name(sex, birth_year))
    }
    fn surnames_for(eth: &str) -> &'static [&'static str] {
        match eth {
            "07" => YI_SURNAMES,
            "16" => HANI_SURNAMES,
            "06" => MIAO_SURNAMES,
            "08" => ZHUANG_SURNAMES,
            _ => HAN_SURNAMES,
        }
    }
    /// A birth date giving exactly `age` completed years today.
    fn birth_for_age(&mut self, age: i32) -> NaiveDate {
        let latest = years_before(self.today, age);
        let earliest = years_before(self.today, age + 1) + Duration::days(1);
        self.date_between(earliest, latest)
    }
    fn line(&self, year: i32) -> Fen {
        self.policy.line_for(year).map_or(400_000, |(_, fen)| fen)
    }

    // ----- the village -----

    fn run(mut self) -> DemoVillage {
        let n = self.opts.households;
        let slots = self.plan_slots(n);
        let mut households = Vec::with_capacity(n);
        for (index, slot) in slots.iter().enumerate() {
            let household = self.household(index, slot.as_ref());
            households.push(household);
        }
        DemoVillage { households, photos: self.photos, planted: self.planted }
    }

    /// Which household gets which defect: distinct households at random places, the duplicate's source first.
    fn plan_slots(&mut self, n: usize) -> Vec<Option<Slot>> {
        let mut wanted: Vec<Slot> = Vec::new();
        for def in CHECKS {
            if check_shape(def.id).is_none() {
                continue;
            }
            if def.id == "id.duplicate" {
                for role in [Role::DupSource, Role::DupCopy] {
                    wanted.push(Slot { check_id: def.id.to_string(), role, condition: None });
                }
            } else {
                wanted.push(Slot { check_id: def.id.to_string(), role: Role::Single, condition: None });
            }
        }
        for rule in &self.policy.exclusion_rules {
            if exclusion_stage(&rule.condition).is_some() {
                wanted.push(Slot {
                    check_id: exclusion_check_id(&rule.id),
                    role: Role::Single,
                    condition: Some(rule.condition.clone()),
                });
            }
        }
        // Keep what fits, never half of the duplicate pair.
        if wanted.len() > n {
            wanted.truncate(n);
            if wanted.last().is_some_and(|s| s.role == Role::DupSource) {
                wanted.pop();
            }
        }
        // A partial Fisher-Yates shuffle picks distinct positions.
        let mut positions: Vec<usize> = (0..n).collect();
        for i in 0..wanted.len() {
            let j = self.rng.random_range(i..n);
            positions.swap(i, j);
        }
        let mut slots: Vec<Option<Slot>> = vec![None; n];
        let mut source_at = None;
        let mut copy_at = None;
        for (slot, &position) in wanted.into_iter().zip(&positions) {
            match slot.role {
                Role::DupSource => source_at = Some(position),
                Role::DupCopy => copy_at = Some(position),
                Role::Single => {}
            }
            slots[position] = Some(slot);
        }
        if let (Some(source), Some(copy)) = (source_at, copy_at)
            && source > copy
        {
            slots.swap(source, copy);
        }
        slots
    }

    fn random_kind(&mut self) -> Kind {
        self.weighted(&[
            (Kind::ExitedSupported, 40),
            (Kind::ExitedUnsupported, 22),
            (Kind::NotExited, 12),
            (Kind::Returned, 2),
            (Kind::Removed, 2),
            (Kind::Ordinary, 22),
        ])
    }

    fn household(&mut self, _index: usize, slot: Option<&Slot>) -> Household {
        let shape = slot.map(slot_shape).unwrap_or_default();
        let kind = match shape.kind {
            Some(kind) => kind,
            None if shape.planted => loop {
                let kind = self.random_kind();
                if kind != Kind::Removed {
                    break kind;
                }
            },
            None => self.random_kind(),
        };
        let attr = match kind {
            Kind::Ordinary => None,
            Kind::Removed => Some(Attr::General),
            _ => Some(shape.attr.unwrap_or_else(|| {
                if shape.not_tekun || shape.no_labour || shape.planted {
                    self.weighted(&[(Attr::General, 76), (Attr::Dibao, 24)])
                } else {
                    self.weighted(&[(Attr::General, 70), (Attr::Dibao, 22), (Attr::Tekun, 8)])
                }
            })),
        };
        let eth = self.weighted(ETHNICITIES);
        let mut drafts;
        let mut tries = 0;
        loop {
            let template = match shape.template {
                Some(t) => t,
                None if attr == Some(Attr::Tekun) => {
                    self.weighted(&[(Template::Elderly, 65), (Template::TekunDisabled, 35)])
                }
                None if shape.no_labour => Template::Elderly,
                None => self.weighted(&[
                    (Template::Young, 42),
                    (Template::Old, 30),
                    (Template::Elderly, 16),
                    (Template::Single, 6),
                    (Template::Widow, 6),
                ]),
            };
            drafts = self.members(template, eth, attr, &shape);
            tries += 1;
            if tries > 5000 || shape.needs.iter().all(|need| satisfies(*need, &drafts)) {
                break;
            }
        }
        self.assign_id_numbers(&mut drafts);
        let household_id = self.uuid();

        let stage = slot.map(slot_stage);
        let mut description = None;
        if let Some(slot) = slot
            && stage == Some(Stage::Pre)
        {
            description = self.plant_pre(slot, &mut drafts);
        }

        let mut build = self.assemble(household_id, kind, attr, &shape, drafts);

        if let Some(slot) = slot
            && stage == Some(Stage::Post)
        {
            description = self.plant_post(slot, &mut build);
        }
        fix_declared(&mut build.household);
        if let Some(slot) = slot
            && stage == Some(Stage::Final)
        {
            description = self.plant_final(slot, &mut build);
        }
        self.emit_photos(&mut build);

        if let (Some(slot), Some(description)) = (slot, description) {
            self.planted.push(PlantedDefect {
                household: build.household.id,
                check_id: slot.check_id.clone(),
                description,
            });
        }
        if let Some(slot) = slot
            && slot.role == Role::DupSource
        {
            let daughter = build
                .household
                .members
                .iter()
                .filter(|(_, m)| m.is_registered() && m.relation == Some(Relation::Daughter))
                .find(|(id, _)| build.ages.get(id).is_some_and(|age| (20..=35).contains(age)));
            if let Some((id, member)) = daughter {
                let age = build.ages[id];
                let birth = years_before(self.today, age);
                self.dup_source = Some((
                    build.household.id,
                    build.household.head_name().to_string(),
                    Draft { id: *id, age, birth, married_in: true, member: member.clone() },
                ));
            }
        }
        build.household
    }

    // ----- members -----

    fn skeleton(&mut self, template: Template) -> Vec<Skel> {
        use Relation::*;
        use SurnameFrom::{OfFamily, OfHead, Own};
        let sex_of = |male: bool| if male { Sex::Male } else { Sex::Female };
        let child = |g: &mut Gen<'_>, age: i32, surname: SurnameFrom, grand: bool| {
            let male = g.chance(0.52);
            let relation = match (grand, male) {
                (false, true) => Son,
                (false, false) => Daughter,
                (true, true) => Grandson,
                (true, false) => Granddaughter,
            };
            Skel::new(relation, sex_of(male), age, surname)
        };
        let mut v: Vec<Skel> = Vec::new();
        let head_age;
        match template {
            Template::Young => {
                let head_male = self.chance(0.9);
                head_age = self.ri(26, 50);
                v.push(Skel::new(Head, sex_of(head_male), head_age, OfHead));
                let mut mother_age = head_age;
                if self.chance(0.95) {
                    let spouse_age =
                        if head_male { (head_age - self.ri(-1, 5)).max(20) } else { head_age + self.ri(0, 5) };
                    let mut spouse = Skel::new(Spouse, sex_of(!head_male), spouse_age, Own);
                    spouse.married_in = true;
                    v.push(spouse);
                    if head_male {
                        mother_age = spouse_age;
                    }
                }
                let kids = self.weighted(&[(0, 10), (1, 30), (2, 40), (3, 20)]);
                let oldest = (mother_age - 20).min(24);
                if oldest >= 0 {
                    for _ in 0..kids {
                        let age = self.ri(0, oldest);
                        let kid = child(self, age, OfFamily, false);
                        v.push(kid);
                    }
                }
                if head_age <= 48 && self.chance(0.35) {
                    if self.chance(0.7) {
                        let age = (head_age + self.ri(24, 32)).min(92);
                        v.push(Skel::new(Father, Sex::Male, age, OfHead));
                    }
                    if self.chance(0.85) {
                        let age = (head_age + self.ri(22, 30)).min(90);
                        v.push(Skel::new(Mother, Sex::Female, age, Own));
                    }
                }
            }
            Template::Old => {
                let head_male = self.chance(0.85);
                head_age = self.ri(52, 75);
                v.push(Skel::new(Head, sex_of(head_male), head_age, OfHead));
                if head_male && self.chance(0.8) {
                    let age = (head_age - self.ri(0, 5)).max(45);
                    let mut spouse = Skel::new(Spouse, Sex::Female, age, Own);
                    spouse.married_in = true;
                    v.push(spouse);
                }
                let son_age = (head_age - self.ri(22, 30)).max(20);
                v.push(Skel::new(Son, Sex::Male, son_age, OfFamily));
                if self.chance(0.8) {
                    let dil_age = (son_age + self.ri(-3, 3)).max(19);
                    let mut dil = Skel::new(DaughterInLaw, Sex::Female, dil_age, Own);
                    dil.married_in = true;
                    v.push(dil);
                    let grandkids = self.weighted(&[(0, 15), (1, 35), (2, 35), (3, 15)]);
                    let oldest = (dil_age - 20).min(16);
                    if oldest >= 0 {
                        for _ in 0..grandkids {
                            let age = self.ri(0, oldest);
                            let kid = child(self, age, OfFamily, true);
                            v.push(kid);
                        }
                    }
                }
                if head_age - 20 >= 16 && self.chance(0.25) {
                    let age = self.ri(16, (head_age - 20).min(28));
                    v.push(Skel::new(Daughter, Sex::Female, age, OfFamily));
                }
            }
            Template::Elderly => {
                let head_male = self.chance(0.6);
                head_age = self.ri(62, 88);
                v.push(Skel::new(Head, sex_of(head_male), head_age, OfHead));
                if self.chance(0.55) {
                    let delta = self.ri(0, 4);
                    let age = if head_male { head_age - delta } else { head_age + delta }.clamp(61, 95);
                    let mut spouse = Skel::new(Spouse, sex_of(!head_male), age, Own);
                    spouse.married_in = true;
                    v.push(spouse);
                }
            }
            Template::Single => {
                head_age = self.ri(30, 58);
                v.push(Skel::new(Head, Sex::Male, head_age, OfHead));
            }
            Template::Widow => {
                head_age = self.ri(32, 58);
                v.push(Skel::new(Head, Sex::Female, head_age, OfHead));
                let kids = self.ri(1, 3);
                let oldest = (head_age - 20).min(25);
                for _ in 0..kids {
                    let age = self.ri(0, oldest);
                    let kid = child(self, age, OfHead, false);
                    v.push(kid);
                }
                if self.chance(0.3) {
                    let age = (head_age + self.ri(22, 30)).min(90);
                    v.push(Skel::new(Mother, Sex::Female, age, Own));
                }
            }
            Template::TekunDisabled => {
                let head_male = self.chance(0.7);
                head_age = self.ri(35, 60);
                let mut head = Skel::new(Head, sex_of(head_male), head_age, OfHead);
                head.force_disabled = true;
                v.push(head);
                if self.chance(0.4) {
                    let age = (head_age + self.ri(22, 30)).clamp(61, 92);
                    v.push(Skel::new(Mother, Sex::Female, age, Own));
                }
            }
        }
        // At most seven registered members: drop the last ones planned (parents, grandchildren), never the head.
        while v.len() > 7 {
            v.pop();
        }
        // Someone who has left: a daughter married out or a father who died.
        if template != Template::Single && self.chance(0.08) {
            if head_age >= 42 && self.chance(0.5) {
                let age = self.ri(20, (head_age - 20).min(32));
                let mut daughter = Skel::new(Daughter, Sex::Female, age, OfFamily);
                daughter.status = Some(MemberStatus::MarriedOut);
                v.push(daughter);
            } else if !v.iter().any(|s| s.relation == Father) && head_age <= 65 {
                let age = (head_age + self.ri(25, 32)).min(96);
                let mut father = Skel::new(Father, Sex::Male, age, OfHead);
                father.status = Some(MemberStatus::Died);
                v.push(father);
            }
        }
        v
    }

    fn members(&mut self, template: Template, eth: &str, attr: Option<Attr>, shape: &Shape) -> Vec<Draft> {
        let skeleton = self.skeleton(template);
        let head_surname = self.pick(Self::surnames_for(eth));
        let mut family_surname = head_surname.to_string();
        let head_male = skeleton[0].sex == Sex::Male;
        let tekun = attr == Some(Attr::Tekun);
        let mut drafts = Vec::with_capacity(skeleton.len());
        for skel in &skeleton {
            let member_eth = if skel.married_in && self.chance(0.2) { self.weighted(ETHNICITIES) } else { eth };
            let surname = match skel.surname {
                SurnameFrom::OfHead => head_surname.to_string(),
                SurnameFrom::OfFamily => family_surname.clone(),
                SurnameFrom::Own => self.pick(Self::surnames_for(member_eth)).to_string(),
            };
            if skel.relation == Relation::Spouse && !head_male {
                family_surname = surname.clone();
            }
            let draft = self.draft(skel, member_eth, &surname, tekun, shape);
            drafts.push(draft);
        }
        drafts
    }

    fn draft(&mut self, skel: &Skel, eth: &str, surname: &str, tekun: bool, shape: &Shape) -> Draft {
        let age = skel.age;
        let birth = self.birth_for_age(age);
        let registered = skel.status.is_none();
        let mut m = Member {
            name: format!("{surname}{}", self.given_name(skel.sex, birth.year())),
            sex: Some(skel.sex),
            ethnicity: eth.to_string(),
            id_type: Some(IdType::ResidentId),
            relation: Some(skel.relation),
            status: Some(skel.status.unwrap_or(MemberStatus::Registered)),
            ..Member::default()
        };
        if let Some(status) = skel.status {
            let date = self.date_between(self.today - Duration::days(3 * 365), self.today - Duration::days(30));
            m.status_date = Some(date);
            m.note = match status {
                MemberStatus::MarriedOut => "已出嫁，户口待迁出".to_string(),
                MemberStatus::Died => "因病去世".to_string(),
                _ => String::new(),
            };
        }

        // Schooling.
        let (school, education) = self.schooling(age, birth.year(), registered);
        m.school = Some(school);
        m.education = Some(education);
        let student = school.is_student();

        // Health.
        let mut health = BTreeSet::new();
        if !shape.healthy {
            let (chronic, serious, disabled) = match age {
                0..=15 => (0.005, 0.0, 0.01),
                16..=39 => (0.03, 0.005, 0.03),
                40..=60 => (0.12, 0.02, 0.05),
                _ => (0.3, 0.04, 0.06),
            };
            if self.chance(chronic) {
                health.insert(Health::Chronic);
            }
            if age >= 30 && self.chance(serious) {
                health.insert(Health::Serious);
            }
            if self.chance(disabled) {
                health.insert(Health::Disabled);
            }
        }
        if skel.force_disabled {
            health.insert(Health::Disabled);
        }
        // In a 特困 household or one where nobody can work, an adult under 61 is there because they cannot work.
        if registered && (16..=60).contains(&age) && (tekun || shape.no_labour) && !student && health.is_empty() {
            health.insert(Health::Disabled);
        }
        let mut diseases = Vec::new();
        if health.contains(&Health::Chronic) {
            diseases.push(self.pick(CHRONIC_DISEASES));
        }
        if health.contains(&Health::Serious) {
            diseases.push(self.pick(SERIOUS_DISEASES));
        }
        m.disease = diseases.join("、");
        if health.contains(&Health::Disabled) {
            let (category, _) = self.pick(DISABILITIES);
            m.disability_category = category.to_string();
            let grade = if skel.force_disabled || tekun { self.ri(1, 2) } else { self.ri(1, 4) };
            m.disability_grade = Some(grade as u8);
        }
        if health.is_empty() {
            health.insert(Health::Healthy);
        }
        m.health = health;

        // Labour.
        let ill = m.health.contains(&Health::Chronic);
        let serious = m.health.contains(&Health::Serious);
        let grade = m.disability_grade.unwrap_or(0);
        m.labour = Some(if age < 16 || (student && age <= 25) {
            LabourSkill::None
        } else if shape.no_labour || (tekun && age <= 60) {
            if age <= 60 {
                LabourSkill::Lost
            } else {
                self.weighted(&[(LabourSkill::None, 50), (LabourSkill::Lost, 50)])
            }
        } else if age <= 60 {
            if grade == 1 || grade == 2 {
                LabourSkill::Lost
            } else if serious {
                self.weighted(&[(LabourSkill::Lost, 60), (LabourSkill::Weak, 40)])
            } else if grade > 0 {
                LabourSkill::Weak
            } else if ill {
                self.weighted(&[(LabourSkill::Weak, 50), (LabourSkill::Ordinary, 50)])
            } else {
                self.weighted(&[(LabourSkill::Ordinary, 75), (LabourSkill::Skilled, 20), (LabourSkill::Weak, 5)])
            }
        } else if age <= 70 && !serious && grade == 0 {
            self.weighted(&[(LabourSkill::Weak, 60), (LabourSkill::Ordinary, 25), (LabourSkill::None, 15)])
        } else {
            self.weighted(&[(LabourSkill::Weak, 40), (LabourSkill::None, 40), (LabourSkill::Lost, 20)])
        });

        // Work away from the farm.
        if registered
            && (18..=55).contains(&age)
            && !student
            && matches!(m.labour, Some(LabourSkill::Ordinary | LabourSkill::Skilled))
            && self.chance(0.45)
        {
            let place = self.weighted(&[
                (WorkPlace::OutOfProvince, 30),
                (WorkPlace::Province, 30),
                (WorkPlace::County, 25),
                (WorkPlace::Township, 15),
            ]);
            let (employers, lo, hi) = match place {
                WorkPlace::OutOfProvince => (EMPLOYERS_OUT_OF_PROVINCE, 40, 65),
                WorkPlace::Province => (EMPLOYERS_PROVINCE, 30, 50),
                WorkPlace::County => (EMPLOYERS_COUNTY, 25, 40),
                WorkPlace::Township => (EMPLOYERS_TOWNSHIP, 20, 32),
            };
            let employer = self.pick(employers).to_string();
            let monthly = Fen::from(self.ri(lo, hi)) * 10_000;
            let months = self.ri(3, 12) as u8;
            m.work = Work { place: Some(place), months, employer, monthly_income_fen: monthly };
        }

        // Insurance and phone.
        m.insurance = Insurance {
            basic_medical: true,
            serious_illness: self.chance(0.95),
            pension: age >= 16 && !student && self.chance(0.95),
        };
        if registered && (18..=72).contains(&age) && (skel.relation == Relation::Head || self.chance(0.6)) {
            m.phone = self.mobile();
        }
        Draft { id: self.uuid(), age, birth, married_in: skel.married_in, member: m }
    }

    fn schooling(&mut self, age: i32, birth_year: i32, registered: bool) -> (SchoolStatus, Education) {
        use SchoolStatus as S;
        match age {
            ..=2 => (S::NotInSchool, Education::Preschool),
            3..=5 => {
                let school = if self.chance(0.7) { S::Preschool } else { S::NotInSchool };
                (school, Education::Preschool)
            }
            6..=12 => (S::Primary, Education::Primary),
            13 => (S::Grade7, Education::JuniorHigh),
            14 => (S::Grade8, Education::JuniorHigh),
            15 => (S::Grade9, Education::JuniorHigh),
            16..=18 if registered && self.chance(0.55) => {
                let grade = age - 15;
                let school = if self.chance(0.7) {
                    [S::HighSchool1, S::HighSchool2, S::HighSchool3][(grade - 1) as usize]
                } else {
                    [S::Vocational1, S::Vocational2, S::Vocational3][(grade - 1) as usize]
                };
                (school, Education::SeniorHigh)
            }
            19..=22 if registered && self.chance(0.15) => {
                let school = if self.chance(0.6) {
                    [S::HigherVocational1, S::HigherVocational2, S::HigherVocational3][((age - 19).min(2)) as usize]
                } else {
                    S::College
                };
                (school, Education::College)
            }
            _ => {
                let education = if birth_year < 1955 {
                    self.weighted(&[(Education::Illiterate, 50), (Education::Primary, 45), (Education::JuniorHigh, 5)])
                } else if birth_year < 1970 {
                    self.weighted(&[(Education::Illiterate, 20), (Education::Primary, 55), (Education::JuniorHigh, 25)])
                } else if birth_year < 1985 {
                    self.weighted(&[(Education::Primary, 35), (Education::JuniorHigh, 55), (Education::SeniorHigh, 10)])
                } else {
                    self.weighted(&[(Education::JuniorHigh, 55), (Education::SeniorHigh, 30), (Education::College, 15)])
                };
                (S::NotInSchool, education)
            }
        }
    }

    /// A unique ID number for a birth date and sex.
    fn new_id_number(&mut self, area: &str, birth: NaiveDate, sex: Sex) -> String {
        loop {
            let base = self.rng.random_range(1..500u16) * 2;
            let sequence = if sex == Sex::Male { base + 1 } else { base };
            let number = make_id_number(area, birth, sequence);
            if self.used_ids.insert(number.clone()) {
                return number;
            }
        }
    }

    fn assign_id_numbers(&mut self, drafts: &mut [Draft]) {
        for d in drafts.iter_mut() {
            let area = if d.married_in && self.chance(0.3) { self.pick(OTHER_AREA_CODES) } else { AREA_CODE };
            let sex = d.member.sex.unwrap_or(Sex::Male);
            let number = self.new_id_number(area, d.birth, sex);
            if d.member.health.contains(&Health::Disabled) && self.chance(0.5) {
                let digit = DISABILITIES
                    .iter()
                    .find(|(name, _)| *name == d.member.disability_category)
                    .map_or('4', |(_, digit)| *digit);
                let grade = d.member.disability_grade.unwrap_or(4);
                d.member.id_type = Some(IdType::DisabilityCard);
                d.member.id_number = format!("{number}{digit}{grade}");
            } else {
                d.member.id_number = number;
            }
        }
    }

    /// Gives a member a new, unique number for `sex`, keeping a 残疾人证 suffix.
    fn renumber(&mut self, d: &mut Draft, sex: Sex) {
        let old = d.member.id_number.clone();
        let area = if old.len() >= 6 { old[..6].to_string() } else { AREA_CODE.to_string() };
        let number = self.new_id_number(&area, d.birth, sex);
        let suffix = if old.len() > 18 { old[18..].to_string() } else { String::new() };
        d.member.id_number = format!("{number}{suffix}");
    }

    // ----- the household file -----

    fn assemble(&mut self, id: Uuid, kind: Kind, attr: Option<Attr>, shape: &Shape, mut drafts: Vec<Draft>) -> Build {
        let today = self.today;
        let year = self.year;
        let mut h = Household::new(id);
        let ages: HashMap<Uuid, i32> = drafts.iter().map(|d| (d.id, d.age)).collect();
        let head = drafts[0].clone();
        h.head_member_id = Some(head.id);
        let head_name = head.member.name.clone();

        // Where.
        let group_index = self.rng.random_range(0..self.groups.len());
        let house_no = self.groups[group_index].next_house;
        self.groups[group_index].next_house += 1;
        let group_name = self.groups[group_index].name;
        let home = Gps {
            lat: self.groups[group_index].lat + self.rf(-0.0025, 0.0025),
            lon: self.groups[group_index].lon + self.rf(-0.0025, 0.0025),
            accuracy_m: None,
        };
        h.area = Area {
            county: COUNTY.into(),
            township: TOWNSHIP.into(),
            village: VILLAGE.into(),
            group: group_name.into(),
        };
        h.address = format!("云南省红河州蒙自市芷村镇芷村村委会{group_name}{house_no}号");

        // Status, attribute and history.
        h.status = kind.status();
        // Identified in 2014-2016 (建档立卡), or later for a household whose head was not yet an adult then.
        let identified = self.ri(2014, 2016).max(head.birth.year() + 18).min(year);
        let exit_year = self.ri(identified + 1, 2020.min(year)).min(year);
        if kind != Kind::Ordinary {
            self.national_seq += 1;
            h.national_number = format!("53250310120{:06}", self.national_seq);
            h.standard = Some(if self.chance(0.92) {
                IdentificationStandard::National
            } else {
                IdentificationStandard::Provincial
            });
            let attr = attr.unwrap_or(Attr::General);
            h.attribute = Some(match (kind.is_exited(), attr) {
                (true, Attr::General) => PovertyAttribute::ExitedGeneral,
                (true, Attr::Dibao) => PovertyAttribute::ExitedDibao,
                (true, Attr::Tekun) => PovertyAttribute::ExitedTekun,
                (false, Attr::General) => PovertyAttribute::General,
                (false, Attr::Dibao) => PovertyAttribute::Dibao,
                (false, Attr::Tekun) => PovertyAttribute::Tekun,
            });
            let mut changes = vec![(PovertyStatus::NotExited, identified, "建档立卡，识别为贫困户".to_string())];
            match kind {
                Kind::ExitedSupported | Kind::ExitedUnsupported | Kind::Returned => {
                    changes.push((
                        PovertyStatus::ExitedSupported,
                        exit_year,
                        "达到“两不愁三保障”标准，脱贫退出".into(),
                    ));
                    if kind == Kind::ExitedUnsupported {
                        let y = self.ri(2021.max(exit_year + 1), year).min(year);
                        changes.push((PovertyStatus::ExitedUnsupported, y, "稳定脱贫，不再享受帮扶政策".into()));
                    }
                    if kind == Kind::Returned {
                        let y = self.ri(exit_year + 1, year).min(year);
                        changes.push((PovertyStatus::Returned, y, "因病导致收入下降，返贫".into()));
                    }
                }
                Kind::Removed => {
                    let y = self.ri(identified + 1, year).min(year);
                    changes.push((PovertyStatus::Removed, y, "经核查不符合识别标准（错评），予以剔除".into()));
                }
                _ => {}
            }
            for (status, y, note) in changes {
                let key = self.uuid();
                h.status_changes.insert(key, StatusChange { status: Some(status), year: y, note });
            }
        }
        if today.year() >= 2021 {
            h.household_type = match kind {
                Kind::Ordinary | Kind::Removed => Some(HouseholdType::Ordinary),
                Kind::NotExited => None,
                _ => Some(HouseholdType::Exited),
            };
        }

        // A removed household was removed for a reason the exclusion rules name (they are not applied to it again).
        let mut removed_car = false;
        if kind == Kind::Removed {
            let candidate = drafts
                .iter()
                .position(|d| d.registered() && d.relation() != Relation::Head && (22..=50).contains(&d.age));
            match candidate {
                Some(i) => {
                    drafts[i].member.state_payroll = true;
                    drafts[i].member.note = "在蒙自市某事业单位在编".into();
                }
                None => removed_car = true,
            }
        }

        // Welfare.
        let registered: Vec<usize> = (0..drafts.len()).filter(|&i| drafts[i].registered()).collect();
        match attr {
            Some(Attr::Dibao) if kind != Kind::Removed => {
                let count =
                    if registered.len() <= 3 { registered.len() } else { self.ri(2, registered.len() as i32) as usize };
                // The ill, disabled and old first.
                let mut order = registered.clone();
                order.sort_by_key(|&i| {
                    let d = &drafts[i];
                    (!(d.ill() || d.disabled()), -d.age)
                });
                for &i in order.iter().take(count.max(1)) {
                    drafts[i].member.welfare.dibao = true;
                }
            }
            Some(Attr::Tekun) => {
                for &i in &registered {
                    drafts[i].member.welfare.tekun = true;
                }
            }
            _ => {}
        }
        if kind != Kind::Ordinary && kind != Kind::Removed && attr != Some(Attr::Tekun) && self.chance(0.12) {
            let candidate = registered.iter().copied().find(|&i| {
                let d = &drafts[i];
                (35..=60).contains(&d.age) && d.can_work() && d.member.work.place.is_none()
            });
            if let Some(i) = candidate {
                let job = self.pick(PUBLIC_WELFARE_JOBS);
                drafts[i].member.welfare.public_welfare_job = true;
                drafts[i].member.work = Work {
                    place: Some(WorkPlace::Township),
                    months: 12,
                    employer: format!("芷村村委会（{job}）"),
                    monthly_income_fen: 80_000,
                };
            }
        }

        // Phone.
        h.phone = drafts
            .iter()
            .filter(|d| d.registered())
            .map(|d| d.member.phone.clone())
            .find(|p| p.len() == 11)
            .unwrap_or_default();

        // Facts about the members.
        let reg = |d: &&Draft| d.registered();
        let anyone_ill = drafts.iter().filter(reg).any(Draft::ill);
        let anyone_disabled =
            drafts.iter().filter(reg).any(|d| d.disabled() || d.member.id_type == Some(IdType::DisabilityCard));
        let students: Vec<&Draft> = drafts.iter().filter(reg).filter(|d| d.in_school()).collect();
        let costly_student = students.iter().any(|d| d.age >= 16);
        let able = drafts.iter().filter(reg).filter(|d| d.can_work()).count();
        let size = drafts.iter().filter(reg).count();

        // Causes.
        if kind != Kind::Ordinary {
            let mut candidates: Vec<(PovertyCause, u32)> = vec![
                (PovertyCause::LackOfSkills, 15),
                (PovertyCause::LackOfCapital, 20),
                (PovertyCause::PoorTransport, 6),
                (PovertyCause::LackOfLand, 5),
                (PovertyCause::LackOfWater, 4),
                (PovertyCause::LackOfDrive, 5),
                (PovertyCause::Disaster, 3),
            ];
            if anyone_ill {
                candidates.push((PovertyCause::Illness, 40));
            }
            if anyone_disabled {
                candidates.push((PovertyCause::Disability, 35));
            }
            if costly_student {
                candidates.push((PovertyCause::Schooling, 20));
            } else if !students.is_empty() {
                candidates.push((PovertyCause::Schooling, 3));
            }
            if able <= 1 {
                candidates.push((PovertyCause::LackOfLabour, 25));
            }
            let main = self.weighted(&candidates);
            h.main_cause = Some(main);
            let others = self.weighted(&[(0usize, 50), (1, 35), (2, 15)]);
            let mut tries = 0;
            while h.other_causes.len() < others && tries < 20 {
                tries += 1;
                let cause = self.weighted(&candidates);
                if cause != main {
                    h.other_causes.insert(cause);
                }
            }
        }

        // Helpers: one active pairing, sometimes after an earlier one that ended.
        let helper_index = self.rng.random_range(0..self.helpers.len());
        let latest_start = today - Duration::days(30);
        let start = self.date_between(ymd(2016, 3, 1).min(latest_start), ymd(2021, 6, 30).min(latest_start));
        if self.chance(0.15) && start > ymd(2016, 6, 1) {
            let before = self.rng.random_range(0..self.helpers.len());
            let earlier = self.date_between(ymd(2015, 10, 1), start - Duration::days(200));
            let helper = &self.helpers[before];
            let pairing = HelperPairing {
                name: helper.name.clone(),
                unit: helper.unit.into(),
                phone: helper.phone.clone(),
                start: Some(earlier),
                end: Some(start - Duration::days(1)),
            };
            let key = self.uuid();
            h.helpers.insert(key, pairing);
        }
        let helper = &self.helpers[helper_index];
        let helper_name = helper.name.clone();
        let pairing = HelperPairing {
            name: helper.name.clone(),
            unit: helper.unit.into(),
            phone: helper.phone.clone(),
            start: Some(start),
            end: None,
        };
        let key = self.uuid();
        h.helpers.insert(key, pairing);

        // Flags.
        let relocated = !shape.planted && kind.is_exited() && self.chance(0.04);
        h.flags.relocated = relocated;
        h.flags.military_family = self.chance(0.015);
        if self.chance(0.03) {
            h.flags.split_off = true;
            h.flags.split_date = Some(self.date_between(ymd(2008, 1, 1), ymd(2018, 12, 31).min(today)));
            h.flags.split_reason =
                self.pick(&["儿子结婚后分户另立", "兄弟分家，各自立户", "父母随小儿子居住，长子分户"]).into();
        }
        let away = !shape.planted && self.chance(0.03);
        h.flags.separated_residence = away;

        // Livestock and appliances (the same household at every visit, give or take a pig).
        let elderly_only = able == 0;
        let pigs = if self.chance(if elderly_only { 0.2 } else { 0.7 }) { self.ri(1, 6) as u32 } else { 0 };
        let cattle = if !elderly_only && self.chance(0.3) { self.ri(1, 3) as u32 } else { 0 };
        let sheep = if !elderly_only && self.chance(0.05) { self.ri(5, 15) as u32 } else { 0 };
        let horses = if !elderly_only && self.chance(0.05) { 1 } else { 0 };
        let poultry = if self.chance(0.8) { self.ri(3, 30) as u32 } else { 0 };
        let herd = [
            Herd { stock: pigs, sold: if pigs > 0 { self.ri(1, 8) as u32 } else { 0 } },
            Herd { stock: cattle, sold: if cattle > 0 && self.chance(0.5) { 1 } else { 0 } },
            Herd { stock: sheep, sold: if sheep > 0 { self.ri(1, 5) as u32 } else { 0 } },
            Herd { stock: horses, sold: 0 },
            Herd { stock: poultry, sold: if poultry > 0 { self.ri(0, 20) as u32 } else { 0 } },
        ];
        let herd_value: Fen = yuan(
            herd[0].sold as f64 * 1800.0
                + herd[1].sold as f64 * 9000.0
                + herd[2].sold as f64 * 900.0
                + herd[4].sold as f64 * 60.0,
        );
        let assets = self.appliances(kind, shape.planted, removed_car);

        // Living conditions.
        let first = self.conditions(year - 1, size, kind, relocated, None);
        let second = self.conditions(year, size, kind, relocated, Some(&first));
        let mut conditions_ids = BTreeMap::new();
        for c in [first, second] {
            let key = self.uuid();
            conditions_ids.insert(c.year, key);
            h.conditions.insert(key, c);
        }
        let latest_conditions = h.conditions[&conditions_ids[&year]].clone();

        // Monitoring plan (decided before income: closing a case by support needs income above the threshold).
        let anyone_can_work = able > 0;
        let monitoring_plan = if shape.planted {
            shape.monitoring
        } else if year >= 2021
            && matches!(kind, Kind::ExitedSupported | Kind::ExitedUnsupported | Kind::Ordinary)
            && self.chance(0.12)
        {
            Some(if anyone_can_work {
                self.weighted(&[
                    (MonPlan::ClosedBySupport, 45),
                    (MonPlan::Supporting, 30),
                    (MonPlan::ClosedNaturally, 10),
                    (MonPlan::Included, 15),
                ])
            } else {
                self.weighted(&[(MonPlan::Supporting, 60), (MonPlan::Included, 40)])
            })
        } else {
            None
        };

        // Income.
        let (lo, hi, cap) = match shape.income {
            Some((lo, hi, cap)) => (lo, hi, Some(cap)),
            None => match kind {
                Kind::ExitedSupported | Kind::ExitedUnsupported => (1.1, 1.9, None),
                Kind::NotExited | Kind::Returned => (0.65, 0.95, None),
                Kind::Removed => (1.3, 2.4, None),
                Kind::Ordinary => (1.25, 2.2, None),
            },
        };
        let floor = if cap.is_none() && (kind.is_exited() || monitoring_plan == Some(MonPlan::ClosedBySupport)) {
            Some(1.03)
        } else {
            None
        };
        let factor = self.rf(lo, hi);
        let family_planning = self.chance(0.08);
        let land_transfer = self.chance(0.15);
        let crop = self.pick(CROPS);
        let mut income_ids = BTreeMap::new();
        for y in [year - 1, year] {
            let f = (factor * self.rf(0.97, 1.03)).clamp(lo, hi);
            let wage_scale = if y == year { self.rf(0.92, 1.05) } else { self.rf(0.8, 1.0) };
            let income = self.income(
                y,
                &drafts,
                &latest_conditions,
                f,
                herd_value,
                wage_scale,
                family_planning,
                land_transfer,
                floor,
                cap,
                crop,
            );
            let key = self.uuid();
            income_ids.insert(y, key);
            h.incomes.insert(key, income);
        }
        // Some incomes carry the per-capita figure of the paper form; it is set to the computed one at the end.
        for income in h.incomes.values_mut() {
            if self.rng.random_bool(0.4) {
                income.declared_per_capita_fen = Some(0);
            }
        }

        // Members into the file.
        for d in &drafts {
            h.members.insert(d.id, d.member.clone());
        }

        // Visits, inspections and assessments.
        let visit_count = self.weighted(&[(1usize, 30), (2, 45), (3, 25)]);
        let mut offsets: Vec<i64> = Vec::new();
        while offsets.len() < visit_count {
            let d = self.rng.random_range(1..=700i64);
            if !offsets.contains(&d) {
                offsets.push(d);
            }
        }
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        let adults: Vec<&Draft> = drafts.iter().filter(reg).filter(|d| d.age >= 18).collect();
        let mut visits = Vec::new();
        for (n, offset) in offsets.iter().enumerate() {
            let date = today - Duration::days(*offset);
            let minutes = self.ri(0, 540) as i64;
            let local =
                date.and_time(NaiveTime::from_hms_opt(8, 30, 0).expect("a real time")) + Duration::minutes(minutes);
            let gps = Gps {
                lat: round6(home.lat + self.rf(-0.0002, 0.0002)),
                lon: round6(home.lon + self.rf(-0.0002, 0.0002)),
                accuracy_m: Some(self.ri(4, 25) as f64),
            };
            let recorder = self.team_member();
            let mut visitors = BTreeSet::new();
            visitors.insert(recorder.clone());
            if self.chance(0.4) {
                let other = self.team_member();
                visitors.insert(other);
            }
            if self.chance(0.5) {
                visitors.insert(helper_name.clone());
            }
            let interviewee = if self.chance(0.6) || adults.len() <= 1 {
                &head
            } else {
                adults[self.rng.random_range(0..adults.len())]
            };
            let purpose = if n == 0 && kind != Kind::Ordinary {
                "遍访建档立卡户".to_string()
            } else {
                self.pick(VISIT_PURPOSES).to_string()
            };
            let workers = drafts.iter().filter(reg).filter(|d| d.member.work.place.is_some()).count();
            let mut note =
                format!("入户见到{}（{}），", interviewee.member.name, relation_word(interviewee.relation()));
            if workers > 0 {
                note.push_str(&format!("家中{workers}人务工，收入稳定；"));
            } else {
                note.push_str("家中无人外出务工，以种养殖为主；");
            }
            note.push_str(&format!(
                "住房为{}结构，{}；",
                latest_conditions.structure.map_or("其他", HouseStructure::label),
                if latest_conditions.water_safe == Some(false) { "饮水困难" } else { "饮水安全" }
            ));
            note.push_str("家庭成员均已参加城乡居民基本医疗保险。");
            let visit_id = self.uuid();
            let visit = Visit {
                visited_at: china_to_utc(local),
                recorded_by: recorder.clone(),
                visitors,
                gps: Some(gps),
                interviewee: interviewee.member.name.clone(),
                interviewee_relation: interviewee.member.relation,
                purpose,
                note,
                photos: BTreeMap::new(),
            };
            h.visits.insert(visit_id, visit);

            let inspection_id = self.uuid();
            let inspection = self.inspection(
                visit_id,
                local,
                &recorder,
                gps,
                &drafts,
                &latest_conditions,
                &assets,
                &herd,
                away,
                relocated,
            );
            h.inspections.insert(inspection_id, inspection);
            let assessment = self.assessment(visit_id, local, &recorder, &drafts, &latest_conditions);
            let key = self.uuid();
            h.assessments.insert(key, assessment);

            // Photos: one of the visit, and often some of the 六看一问 items.
            let mut photos = vec![PhotoPlan {
                target: DemoPhotoTarget::Visit(visit_id),
                photo_id: self.uuid(),
                seed: self.rng.random(),
                minutes_after: 2,
                orientation: if self.chance(0.1) { 6 } else { 1 },
                caption: format!("{}走访{}户", date.format("%Y年%-m月%-d日"), head_name),
            }];
            let items = [
                (InspectionItem::Housing, 0.4, "房屋外景", 8),
                (InspectionItem::Food, 0.15, "灶台和存粮", 12),
                (InspectionItem::Livestock, if pigs + cattle > 0 { 0.2 } else { 0.0 }, "圈舍", 20),
                (InspectionItem::Appliances, 0.05, "家中电器", 5),
            ];
            for (item, p, what, minutes_after) in items {
                if self.chance(p) {
                    photos.push(PhotoPlan {
                        target: DemoPhotoTarget::Inspection(inspection_id, item),
                        photo_id: self.uuid(),
                        seed: self.rng.random(),
                        minutes_after,
                        orientation: if self.chance(0.1) { 6 } else { 1 },
                        caption: format!("{}：{what}", item.label()),
                    });
                }
            }
            visits.push(VisitMeta { visit_id, inspection_id, local, gps, photos, no_photo: false, no_gps: false });
        }

        // Workflow.
        let team_leader = self.team[0].clone();
        let mut events: Vec<WorkflowEvent> = Vec::new();
        let event = |step, date, done_by: &str, signed: &[&str], note: &str| WorkflowEvent {
            step: Some(step),
            date: Some(date),
            done_by: done_by.to_string(),
            signed_by: signed.iter().map(|s| s.to_string()).collect(),
            member_id: None,
            note: note.to_string(),
        };
        if kind != Kind::Ordinary {
            let y = identified;
            let steps = [
                (WorkflowStep::Notification, (3, 1), (3, 10), "告知识别标准、程序和异议权利"),
                (WorkflowStep::FieldSurvey, (3, 11), (3, 25), "入户调查，填写农户信息采集表"),
                (WorkflowStep::DataReview, (3, 26), (4, 10), "与公安、不动产、车辆、工商等信息比对，无异常"),
                (WorkflowStep::PublicAppraisal, (4, 11), (4, 25), "村民代表大会评议通过"),
                (WorkflowStep::FirstNotice, (4, 26), (5, 5), "村内公示7天，无异议"),
                (WorkflowStep::Announcement, (6, 1), (6, 20), "县级审定后公告"),
            ];
            for (step, from, to, note) in steps {
                let date = self.day_in(y, from, to);
                let signer = if step == WorkflowStep::FieldSurvey { head_name.as_str() } else { team_leader.as_str() };
                events.push(event(step, date, &team_leader, &[signer], note));
            }
            if matches!(kind, Kind::ExitedSupported | Kind::ExitedUnsupported | Kind::Returned) {
                let date = self.day_in(exit_year, (10, 1), (11, 30));
                events.push(event(
                    WorkflowStep::Exited,
                    date,
                    &team_leader,
                    &[&team_leader, &head_name],
                    "经评议、公示，脱贫退出",
                ));
            }
            if kind == Kind::Removed {
                let date = self.day_in(year, (9, 1), (10, 31));
                events.push(event(
                    WorkflowStep::Removed,
                    date,
                    &team_leader,
                    &[&team_leader],
                    "比对发现家庭成员为财政供养人员，经评议剔除",
                ));
            }
        }
        let survey = self.day_in(year, (9, 1), (9, 30));
        events.push(event(WorkflowStep::FieldSurvey, survey, &team_leader, &[&head_name], "年度动态管理入户核实"));
        let review = self.day_in(year, (10, 1), (10, 20));
        events.push(event(WorkflowStep::DataReview, review, &team_leader, &[&team_leader], "年度信息数据复核"));
        for d in &drafts {
            if !d.registered() {
                let mut e = event(
                    WorkflowStep::MemberRemoved,
                    d.member.status_date.unwrap_or(survey),
                    &team_leader,
                    &[&team_leader],
                    &format!("{}{}，减少家庭成员", d.member.name, d.member.status.map_or("", MemberStatus::label)),
                );
                e.member_id = Some(d.id);
                events.push(e);
            } else if d.age == 0 {
                let mut e = event(
                    WorkflowStep::MemberAdded,
                    d.birth.max(today - Duration::days(300)).min(today),
                    &team_leader,
                    &[&team_leader],
                    &format!("新生儿{}，增加家庭成员", d.member.name),
                );
                e.member_id = Some(d.id);
                events.push(e);
            }
        }
        for e in events {
            let key = self.uuid();
            h.workflow.insert(key, e);
        }

        // Monitoring.
        if let Some(plan) = monitoring_plan {
            let case = self.monitoring_case(plan, kind, &drafts, &team_leader);
            let key = self.uuid();
            h.monitoring.insert(key, case);
        }

        // A phone call now and then (a contact, not a visit).
        if self.chance(0.3) {
            let at = today - Duration::days(self.rng.random_range(3..200));
            let local = at.and_time(NaiveTime::from_hms_opt(19, 0, 0).expect("a real time"))
                + Duration::minutes(self.ri(0, 120) as i64);
            let recorder = self.team_member();
            let key = self.uuid();
            h.contacts.insert(
                key,
                Contact {
                    at: china_to_utc(local),
                    recorded_by: recorder,
                    with_whom: head_name.clone(),
                    note: "电话了解外出务工人员就业和返乡情况".into(),
                },
            );
        }

        h.note = match (kind, away) {
            (_, true) => "全家常年在外务工，房屋由亲戚照看".into(),
            (Kind::Removed, _) => "已剔除，保留档案备查".into(),
            (Kind::Ordinary, _) => "普通农户，纳入防返贫动态监测排查范围".into(),
            _ => String::new(),
        };

        Build { household: h, ages, visits, incomes: income_ids, conditions: conditions_ids }
    }

    fn appliances(&mut self, kind: Kind, planted: bool, removed_car: bool) -> AppliancesCheck {
        let mut a = AppliancesCheck {
            tv: self.chance(0.95),
            fridge: self.chance(0.7),
            washing_machine: self.chance(0.55),
            air_conditioner: self.chance(0.03),
            computer: self.chance(0.08),
            motorbikes: self.weighted(&[(0u32, 40), (1, 45), (2, 15)]),
            tricycles: if self.chance(0.25) { 1 } else { 0 },
            tractors: if self.chance(0.2) { 1 } else { 0 },
            ..AppliancesCheck::default()
        };
        if removed_car {
            a.car = Car { owned: true, price_fen: yuan(85_000.0), commercial: false };
        } else if self.chance(0.07) {
            a.car = Car { owned: true, price_fen: yuan(self.ri(12, 28) as f64 * 1000.0), commercial: false };
        } else if !planted && kind != Kind::Ordinary && self.chance(0.01) {
            // A passenger van used to earn a living: the car rule's exception applies.
            a.car = Car { owned: true, price_fen: yuan(self.ri(40, 65) as f64 * 1000.0), commercial: true };
        }
        a
    }

    fn conditions(
        &mut self,
        year: i32,
        size: usize,
        kind: Kind,
        relocated: bool,
        base: Option<&LivingConditions>,
    ) -> LivingConditions {
        if let Some(base) = base {
            let mut c = base.clone();
            c.year = year;
            if !c.sanitary_toilet && self.chance(0.3) {
                c.sanitary_toilet = true;
                c.note = "新建卫生厕所".into();
            } else {
                c.note = String::new();
            }
            return c;
        }
        let cultivated = round1((size as f64 * self.rf(0.8, 2.5)).max(0.5));
        let (structure, area, build_year) = if relocated {
            let structure =
                if self.chance(0.5) { HouseStructure::BrickConcrete } else { HouseStructure::ReinforcedConcrete };
            (structure, (25.0 * size as f64).max(50.0), self.ri(2018, 2019).min(year))
        } else {
            let structure = self.weighted(&[
                (HouseStructure::BrickConcrete, 45),
                (HouseStructure::BrickWood, 25),
                (HouseStructure::ReinforcedConcrete, 10),
                (HouseStructure::EarthWood, 20),
            ]);
            (structure, self.ri(60, 200) as f64, self.ri(1985, year))
        };
        let mut c = LivingConditions {
            year,
            cultivated_mu: cultivated,
            forest_mu: round1(self.rf(0.0, 20.0)),
            irrigated_mu: round1(cultivated * self.rf(0.2, 0.8)),
            house_area_m2: area,
            structure: Some(structure),
            build_year: Some(build_year),
            water_safe: Some(true),
            electricity: true,
            road: Some(self.weighted(&[(RoadType::Cement, 70), (RoadType::Gravel, 20), (RoadType::Earth, 10)])),
            road_distance_km: round1(self.rf(0.0, 3.0)),
            fuel: Some(self.weighted(&[
                (Fuel::Firewood, 40),
                (Fuel::Electricity, 35),
                (Fuel::Gas, 20),
                (Fuel::Biogas, 5),
            ])),
            sanitary_toilet: self.chance(0.8),
            cooperative: self.chance(0.45),
            ..LivingConditions::default()
        };
        if relocated {
            c.note = "易地扶贫搬迁，集中安置".into();
        }
        let poor_now = matches!(kind, Kind::NotExited | Kind::Returned);
        if structure == HouseStructure::EarthWood {
            if poor_now && self.chance(0.5) {
                c.dangerous = true;
                c.danger_grade = Some(self.weighted(&[(DangerGrade::C, 70), (DangerGrade::D, 30)]));
                c.note = "土木结构危房，已列入改造计划".into();
            } else if kind != Kind::Ordinary && self.chance(0.6) {
                c.danger_grade = Some(self.weighted(&[(DangerGrade::C, 70), (DangerGrade::D, 30)]));
                c.renovated_year = Some(self.ri(2016, 2019).min(year));
                c.note = "原为危房，已完成农村危房改造".into();
            } else {
                c.danger_grade = Some(DangerGrade::B);
            }
        } else if self.chance(0.3) {
            c.danger_grade = Some(DangerGrade::A);
        }
        if poor_now && self.chance(0.2) {
            c.water_safe = Some(false);
        }
        c
    }

    #[allow(clippy::too_many_arguments)]
    fn income(
        &mut self,
        year: i32,
        drafts: &[Draft],
        conditions: &LivingConditions,
        factor: f64,
        herd_value: Fen,
        wage_scale: f64,
        family_planning: bool,
        land_transfer: bool,
        floor: Option<f64>,
        cap: Option<f64>,
        crop: &str,
    ) -> Income {
        let line = self.line(year);
        let members: Vec<&Draft> = drafts.iter().filter(|d| d.registered()).collect();
        let size = members.len().max(1) as Fen;
        let target = (line as f64 * factor) as Fen * size;
        let years_ago = self.year - year;
        let older = |d: &&&Draft| d.age - years_ago >= 60;
        let mut t = TransferIncome::default();
        for d in &members {
            if d.member.welfare.dibao {
                t.dibao_fen += yuan(self.rf(2400.0, 4800.0));
            }
            if d.member.welfare.tekun {
                t.tekun_fen += yuan(self.rf(6000.0, 7800.0));
            }
        }
        let elders = members.iter().filter(older).count();
        for _ in 0..elders {
            t.pension_fen += yuan(self.rf(1300.0, 1800.0));
        }
        t.eco_compensation_fen = yuan(conditions.forest_mu * 15.5);
        if family_planning {
            t.family_planning_fen = yuan(960.0);
        }
        t.other_fen = yuan(conditions.cultivated_mu * self.rf(70.0, 110.0));
        let mut p = PropertyIncome::default();
        if conditions.cooperative {
            p.dividend_fen = yuan(self.rf(200.0, 900.0));
        }
        if land_transfer {
            p.land_transfer_fen = yuan(self.rf(500.0, 3000.0));
        }
        let wage_natural: Fen =
            members.iter().map(|d| d.member.work.monthly_income_fen * Fen::from(d.member.work.months)).sum::<Fen>();
        let wage_natural = yuan(wage_natural as f64 * wage_scale / 100.0);
        let transfers =
            t.dibao_fen + t.tekun_fen + t.pension_fen + t.eco_compensation_fen + t.family_planning_fen + t.other_fen;
        let property = p.dividend_fen + p.land_transfer_fen + p.other_fen;
        let fixed = transfers + property;
        let min_business = 30_000 * size;
        let room = (target as f64 * 1.15) as Fen - fixed - min_business;
        let wage = (wage_natural.min(room.max(0)) / 100) * 100;
        let business_net = (target - fixed - wage).max(min_business);
        let ratio = self.rf(0.25, 0.4);
        let gross = business_net as f64 / (1.0 - ratio);
        let breeding = (herd_value as f64).min(gross * 0.6);
        let forestry = if conditions.forest_mu > 5.0 { gross * self.rf(0.05, 0.15) } else { 0.0 };
        let planting = gross - breeding - forestry;
        let mut income = Income {
            year,
            wage_fen: wage,
            business: BusinessIncome {
                planting_fen: yuan(planting / 100.0),
                breeding_fen: yuan(breeding / 100.0),
                forestry_fen: yuan(forestry / 100.0),
                other_fen: 0,
            },
            property: p,
            transfer: t,
            business_expense_fen: yuan((gross - business_net as f64) / 100.0).max(100),
            declared_per_capita_fen: None,
            note: String::new(),
        };
        // Bring the per-capita figure inside the bounds the household's status asks for.
        let members_n = members.len();
        if let Some(floor) = floor {
            let least = (line as f64 * floor) as Fen;
            let pc = income.per_capita_fen(members_n).unwrap_or(0);
            if pc < least {
                income.business.planting_fen += yuan(((least - pc) * size) as f64 / 100.0 + 1.0);
            }
        }
        if let Some(cap) = cap {
            let most = (line as f64 * cap) as Fen * size - size * 100;
            let mut excess = income.net_fen() - most;
            if excess > 0 {
                let cut = excess.min(income.business.planting_fen - 10_000).max(0);
                income.business.planting_fen -= cut;
                excess -= cut;
            }
            if excess > 0 {
                let cut = excess.min(income.wage_fen);
                income.wage_fen -= cut;
                excess -= cut;
            }
            if excess > 0 {
                let cut = excess.min(income.property.land_transfer_fen);
                income.property.land_transfer_fen -= cut;
            }
        }
        let mut note = format!("种植{crop}等");
        if herd_value > 0 {
            note.push_str("，出售生猪等牲畜");
        }
        if income.wage_fen > 0 {
            note.push_str("，家庭成员务工");
        }
        income.note = note;
        income
    }

    #[allow(clippy::too_many_arguments)]
    fn inspection(
        &mut self,
        visit_id: Uuid,
        local: NaiveDateTime,
        recorder: &str,
        gps: Gps,
        drafts: &[Draft],
        conditions: &LivingConditions,
        assets: &AppliancesCheck,
        herd: &[Herd; 5],
        away: bool,
        relocated: bool,
    ) -> Inspection {
        let start = local + Duration::minutes(3);
        let record = |g: &mut Gen<'_>, minutes: i64, rating: Rating, note: String| ItemRecord {
            rating: Some(rating),
            note,
            photos: BTreeMap::new(),
            recorded_at: Some(china_to_utc(start + Duration::minutes(minutes))),
            gps: Some(Gps {
                lat: round6(gps.lat + g.rf(-0.00005, 0.00005)),
                lon: round6(gps.lon + g.rf(-0.00005, 0.00005)),
                accuracy_m: gps.accuracy_m,
            }),
        };
        let registered: Vec<&Draft> = drafts.iter().filter(|d| d.registered()).collect();

        // 入户看电器.
        let mut appliances = assets.clone();
        let mut seen = Vec::new();
        for (has, what) in [
            (appliances.tv, "电视"),
            (appliances.fridge, "冰箱"),
            (appliances.washing_machine, "洗衣机"),
            (appliances.air_conditioner, "空调"),
            (appliances.computer, "电脑"),
        ] {
            if has {
                seen.push(what.to_string());
            }
        }
        if appliances.motorbikes > 0 {
            seen.push(format!("摩托车{}辆", appliances.motorbikes));
        }
        if appliances.tricycles > 0 {
            seen.push("农用三轮车1辆".into());
        }
        if appliances.tractors > 0 {
            seen.push("微耕机1台".into());
        }
        if appliances.car.owned {
            let what = if appliances.car.commercial { "营运面包车" } else { "二手微型车" };
            seen.push(format!("{what}1辆（约{}元）", appliances.car.price_fen / 100));
        }
        let rich = appliances.fridge && appliances.washing_machine;
        let note = if seen.is_empty() {
            "家中无大件电器".to_string()
        } else {
            format!("家中有{}", seen.join("、"))
        };
        appliances.record = record(self, 0, if rich { Rating::Good } else { Rating::Fair }, note);

        // 揭锅看荤素.
        let meat = self.ri(2, 6) as u32;
        let grain = self.ri(10, 80) as f64 * 10.0;
        let food_note =
            format!("锅里有米饭、青菜{}，存粮约{}公斤，有食用油", if meat >= 3 { "和腊肉" } else { "" }, grain);
        let food = FoodCheck {
            record: record(self, 4, if meat >= 3 { Rating::Good } else { Rating::Fair }, food_note),
            staple_enough: Some(true),
            meat_eggs_per_week: meat,
            stored_grain_kg: grain,
            cooking_oil: Some(true),
        };

        // 里外看房屋.
        let safe_house = !(matches!(conditions.danger_grade, Some(DangerGrade::C | DangerGrade::D))
            && conditions.renovated_year.is_none());
        let structure = conditions.structure.map_or("其他", HouseStructure::label);
        let housing_note = format!(
            "{}结构，{}平方米，{}年建{}",
            structure,
            conditions.house_area_m2,
            conditions.build_year.unwrap_or(2000),
            if safe_house {
                if conditions.renovated_year.is_some() { "，已完成危房改造" } else { "，住房安全" }
            } else {
                "，墙体开裂，属危房"
            }
        );
        let housing = HousingCheck {
            record: record(self, 8, if safe_house { Rating::Good } else { Rating::Poor }, housing_note),
            structure: conditions.structure,
            rooms: (conditions.house_area_m2 / 25.0).round().clamp(2.0, 9.0) as u32,
            area_m2: conditions.house_area_m2,
            build_year: conditions.build_year,
            danger_grade: conditions.danger_grade.filter(|_| !safe_house),
            decorated: self.chance(0.3),
            toilet: conditions.sanitary_toilet,
            kitchen: true,
            water_point: conditions.water_safe != Some(false),
            // Relocation housing in town: the town-property rule's exception applies.
            town_property: relocated,
        };

        // 抬头看气色.
        let ill: Vec<String> =
            registered.iter().filter(|d| d.ill()).map(|d| format!("{}患{}", d.member.name, d.member.disease)).collect();
        let disabled: Vec<String> = registered
            .iter()
            .filter(|d| d.disabled())
            .map(|d| {
                format!(
                    "{}{}残疾{}级",
                    d.member.name,
                    d.member.disability_category,
                    d.member.disability_grade.unwrap_or(4)
                )
            })
            .collect();
        let able = registered.iter().filter(|d| d.can_work()).count() as u32;
        let mut health_note = ill.iter().chain(&disabled).cloned().collect::<Vec<_>>().join("；");
        if health_note.is_empty() {
            health_note = "家庭成员气色较好，无长期服药".into();
        } else {
            health_note.push_str("，已签约家庭医生");
        }
        let health = HealthCheck {
            record: record(
                self,
                12,
                if ill.is_empty() && disabled.is_empty() { Rating::Good } else { Rating::Fair },
                format!("{health_note}；有劳动能力{able}人"),
            ),
            long_term_medicine: !ill.is_empty(),
            disability_seen: !disabled.is_empty(),
            able_to_work: able,
        };

        // 面对看穿着.
        let clothing = ClothingCheck {
            record: record(self, 15, Rating::Good, "衣着整洁，四季衣物齐全，冬季被褥充足".into()),
            seasonal_clothes: Some(true),
            winter_bedding: Some(true),
        };

        // 圈舍看猪牛.
        let vary = |g: &mut Gen<'_>, h: &Herd| Herd {
            stock: if h.stock > 0 { (h.stock as i32 + g.ri(-1, 1)).max(1) as u32 } else { 0 },
            sold: h.sold,
        };
        let pigs = vary(self, &herd[0]);
        let cattle = vary(self, &herd[1]);
        let sheep = vary(self, &herd[2]);
        let horses = herd[3].clone();
        let poultry = vary(self, &herd[4]);
        let mut stock = Vec::new();
        for (n, what) in
            [(pigs.stock, "猪"), (cattle.stock, "牛"), (sheep.stock, "羊"), (horses.stock, "马"), (poultry.stock, "鸡")]
        {
            if n > 0 {
                stock.push(format!("{what}{n}{}", if what == "鸡" { "只" } else { "头" }));
            }
        }
        let livestock_note =
            if stock.is_empty() { "无牲畜存栏".to_string() } else { format!("存栏{}", stock.join("、")) };
        let livestock = LivestockCheck {
            record: record(self, 20, if stock.is_empty() { Rating::Fair } else { Rating::Good }, livestock_note),
            pens_note: if pigs.stock + cattle.stock > 0 {
                "圈舍干净，人畜分离".into()
            } else {
                "圈舍闲置".into()
            },
            pigs,
            cattle,
            sheep,
            horses_donkeys: horses,
            poultry,
        };

        // 出门问邻舍.
        let mut statements = BTreeMap::new();
        let count = self.ri(1, 2);
        for i in 0..count {
            let eth = self.weighted(ETHNICITIES);
            let birth_year = self.ri(1950, 1990);
            let sex = if self.chance(0.6) { Sex::Male } else { Sex::Female };
            let name = self.full_name(Self::surnames_for(eth), sex, birth_year);
            let relation = if i == 0 { "邻居" } else { self.pick(&["村民小组长", "邻居", "村医"]) };
            let note = if away {
                "一家人常年在昆明务工居住，过年才回来".to_string()
            } else {
                self.pick(&[
                    "该户常年在家居住，为人老实，家里没有车和城里的房子",
                    "儿女在外打工，每月会寄钱回来，老人身体还可以",
                    "家里主要靠种烤烟和养猪，没听说有其他收入",
                    "一家人都在村里住，孩子在镇上读书",
                ])
                .to_string()
            };
            let key = self.uuid();
            statements.insert(key, NeighbourStatement { name, relation: relation.into(), note });
        }
        let neighbours = NeighboursCheck {
            record: record(self, 30, Rating::Good, "走访邻居，反映情况与户内调查一致".into()),
            statements,
            says_lives_elsewhere: away,
            says_hidden_assets: false,
            says_split_to_qualify: false,
        };

        Inspection {
            visit_id: Some(visit_id),
            inspected_at: china_to_utc(start),
            inspected_by: recorder.to_string(),
            items: InspectionItems { appliances, food, housing, health, clothing, livestock, neighbours },
        }
    }

    fn assessment(
        &mut self,
        visit_id: Uuid,
        local: NaiveDateTime,
        recorder: &str,
        drafts: &[Draft],
        conditions: &LivingConditions,
    ) -> Assessment {
        let registered: Vec<&Draft> = drafts.iter().filter(|d| d.registered()).collect();
        let school_age: Vec<&&Draft> = registered.iter().filter(|d| (6..=15).contains(&d.age)).collect();
        let out_of_school = school_age.iter().filter(|d| !d.in_school()).count();
        let insured = registered.iter().all(|d| d.member.insurance.basic_medical);
        let safe_house = !(matches!(conditions.danger_grade, Some(DangerGrade::C | DangerGrade::D))
            && conditions.renovated_year.is_none())
            && conditions.house_area_m2 > 0.0;
        let verdict = |met: bool, note: String| Verdict { met: Some(met), note };
        Assessment {
            visit_id: Some(visit_id),
            assessed_at: china_to_utc(local + Duration::minutes(40)),
            assessed_by: recorder.to_string(),
            food: verdict(true, "揭锅看荤素：主粮充足，有肉蛋，存粮够吃".into()),
            clothing: verdict(true, "面对看穿着：四季衣物、被褥齐全".into()),
            education: if school_age.is_empty() {
                verdict(true, "家中无义务教育阶段适龄儿童".into())
            } else if out_of_school == 0 {
                verdict(true, format!("义务教育阶段适龄儿童{}人均在校", school_age.len()))
            } else {
                verdict(false, format!("义务教育阶段适龄儿童{out_of_school}人未在校"))
            },
            medical: if insured {
                verdict(true, "抬头看气色：家庭成员均参加城乡居民基本医疗保险".into())
            } else {
                verdict(false, "有家庭成员未参加城乡居民基本医疗保险".into())
            },
            housing: verdict(
                safe_house,
                format!(
                    "里外看房屋：{}结构{}",
                    conditions.structure.map_or("其他", HouseStructure::label),
                    if safe_house { "，住房安全" } else { "，属危房" }
                ),
            ),
            water: verdict(
                conditions.water_safe != Some(false),
                if conditions.water_safe != Some(false) {
                    "自来水入户，水质水量达标".into()
                } else {
                    "季节性缺水，需到水井挑水".into()
                },
            ),
        }
    }

    fn monitoring_case(&mut self, plan: MonPlan, kind: Kind, drafts: &[Draft], leader: &str) -> MonitoringCase {
        let year = self.year;
        let registered: Vec<&Draft> = drafts.iter().filter(|d| d.registered()).collect();
        let risk = if registered.iter().any(|d| d.ill()) {
            MonitoringRisk::Illness
        } else if registered.iter().any(|d| d.disabled()) {
            MonitoringRisk::Disability
        } else if registered.iter().any(|d| d.in_school() && d.age >= 16) {
            MonitoringRisk::Schooling
        } else if !registered.iter().any(|d| d.can_work()) {
            MonitoringRisk::LackOfLabour
        } else {
            self.weighted(&[
                (MonitoringRisk::UnstableWork, 50),
                (MonitoringRisk::IndustryFailure, 35),
                (MonitoringRisk::Disaster, 15),
            ])
        };
        let category = match kind {
            Kind::Ordinary => {
                if self.chance(0.8) {
                    MonitoringCategory::Marginal
                } else {
                    MonitoringCategory::SuddenHardship
                }
            }
            _ => MonitoringCategory::UnstableExited,
        };
        let start = self.day_in(year, (3, 1), (5, 31));
        let mut changes = BTreeMap::new();
        let mut states = vec![
            (MonitoringState::Lead, 0, "农户自主申报"),
            (MonitoringState::Verifying, 7, "入户核查"),
            (MonitoringState::Included, 20, "经评议纳入监测对象"),
        ];
        if plan != MonPlan::Included {
            states.push((MonitoringState::Supporting, 30, "制定帮扶措施"));
        }
        match plan {
            MonPlan::ClosedBySupport => {
                states.push((MonitoringState::RemovedBySupport, 240, "帮扶措施落实，收入稳定高于监测标准，风险消除"))
            }
            MonPlan::ClosedNaturally => states.push((MonitoringState::RemovedNaturally, 240, "风险自然消除")),
            _ => {}
        }
        let state = states.last().map(|s| s.0);
        for (state, days, note) in states {
            let key = self.uuid();
            changes.insert(
                key,
                MonitoringStateChange {
                    state: Some(state),
                    date: Some((start + Duration::days(days)).min(self.today - Duration::days(1))),
                    by: leader.to_string(),
                    note: note.into(),
                },
            );
        }
        let (what, detail) = match risk {
            MonitoringRisk::Illness => ("医疗救助", "落实大病保险和医疗救助报销"),
            MonitoringRisk::Disability => ("残疾人帮扶", "落实残疾人两项补贴"),
            MonitoringRisk::Schooling => ("教育帮扶", "落实雨露计划职业教育补助"),
            MonitoringRisk::LackOfLabour => ("兜底保障", "申请纳入低保"),
            MonitoringRisk::UnstableWork => ("就业帮扶", "推荐到蒙自经济技术开发区企业务工"),
            MonitoringRisk::IndustryFailure => ("产业帮扶", "发放仔猪5头和饲料补助"),
            _ => ("临时救助", "发放临时救助金"),
        };
        let mut measures = BTreeMap::new();
        let carried = match plan {
            MonPlan::ClosedBySupport | MonPlan::Supporting => {
                Some((start + Duration::days(35)).min(self.today - Duration::days(1)))
            }
            _ => None,
        };
        let key = self.uuid();
        measures.insert(
            key,
            Measure {
                description: what.into(),
                carried_out: carried,
                responsible: leader.to_string(),
                note: detail.into(),
            },
        );
        if plan != MonPlan::ClosedNaturally && self.chance(0.5) {
            let key = self.uuid();
            measures.insert(
                key,
                Measure {
                    description: "技能培训".into(),
                    carried_out: if plan == MonPlan::ClosedBySupport { carried } else { None },
                    responsible: leader.to_string(),
                    note: "参加种养殖实用技术培训".into(),
                },
            );
        }
        MonitoringCase {
            category: Some(category),
            risks: BTreeSet::from([risk]),
            state,
            year,
            changes,
            measures,
            note: format!("{}风险", risk.label()),
        }
    }

    // ----- photos -----

    fn emit_photos(&mut self, build: &mut Build) {
        let (width, height) = self.opts.photo_size;
        let household_id = build.household.id;
        for meta in &build.visits {
            if meta.no_photo {
                continue;
            }
            for plan in &meta.photos {
                let local = meta.local + Duration::minutes(plan.minutes_after);
                let gps = (!meta.no_gps).then_some(Gps { lat: meta.gps.lat, lon: meta.gps.lon, accuracy_m: None });
                if self.opts.photos {
                    let exif = CameraExif {
                        orientation: plan.orientation,
                        taken_at: Some(local),
                        gps: gps.map(|g| GpsFix { lat: g.lat, lon: g.lon }),
                    };
                    let jpeg = camera_jpeg(width, height, plan.seed, &exif);
                    self.photos.push(DemoPhoto {
                        household: household_id,
                        target: plan.target,
                        photo_id: plan.photo_id,
                        jpeg,
                        caption: plan.caption.clone(),
                        taken_at: china_to_utc(local),
                    });
                } else if let DemoPhotoTarget::Visit(visit_id) = plan.target
                    && let Some(visit) = build.household.visits.get_mut(&visit_id)
                {
                    // A placeholder: the bytes are not made, so the hash is of a fixed text, not of a picture.
                    let (w, h) = if plan.orientation == 6 { (height, width) } else { (width, height) };
                    visit.photos.insert(
                        plan.photo_id,
                        PhotoRef {
                            sha256: sha256_hex(format!("hudang-demo-photo:{}", plan.photo_id).as_bytes()),
                            mime: MIME_JPEG.into(),
                            bytes: u64::from(w) * u64::from(h) / 5,
                            width: w,
                            height: h,
                            taken_at: Some(local),
                            gps,
                            caption: plan.caption.clone(),
                        },
                    );
                }
            }
        }
    }

    // ----- planting -----

    fn pick_member(&mut self, drafts: &[Draft], pred: impl Fn(&Draft) -> bool) -> Option<usize> {
        let candidates: Vec<usize> =
            (0..drafts.len()).filter(|&i| drafts[i].registered() && pred(&drafts[i])).collect();
        if candidates.is_empty() { None } else { Some(candidates[self.rng.random_range(0..candidates.len())]) }
    }

    fn plant_pre(&mut self, slot: &Slot, drafts: &mut Vec<Draft>) -> Option<String> {
        let who = |d: &Draft| format!("{}“{}”", relation_word(d.relation()), d.member.name);
        let resident = |d: &Draft| d.member.id_type == Some(IdType::ResidentId);
        let kind = |d: &Draft| if resident(d) { "身份证号码" } else { "残疾人证号码" };
        if let Some(condition) = &slot.condition {
            return match condition {
                ExclusionCondition::StatePayroll => {
                    let i = self
                        .pick_member(drafts, |d| (22..=60).contains(&d.age) && d.relation() != Relation::Head)
                        .or_else(|| self.pick_member(drafts, |d| (22..=60).contains(&d.age)))?;
                    drafts[i].member.state_payroll = true;
                    drafts[i].member.note = "在芷村镇中心学校任在编教师".into();
                    Some(format!("{}为事业单位在编人员（财政供养），不应纳入", who(&drafts[i])))
                }
                ExclusionCondition::VillageCadre => {
                    let i = self.pick_member(drafts, |d| (22..=60).contains(&d.age))?;
                    drafts[i].member.village_cadre = true;
                    drafts[i].member.note = "现任村民小组长".into();
                    Some(format!("{}为现任村干部（村民小组长），需重点核查", who(&drafts[i])))
                }
                _ => None,
            };
        }
        match slot.check_id.as_str() {
            "id.missing" => {
                let i = self.pick_member(drafts, |d| d.relation() != Relation::Head)?;
                drafts[i].member.id_number.clear();
                Some(format!("{}的证件号码未填写", who(&drafts[i])))
            }
            "id.format" => {
                let i = self.pick_member(drafts, |d| d.relation() != Relation::Head)?;
                let d = &mut drafts[i];
                if resident(d) {
                    d.member.id_number.truncate(17);
                    Some(format!("{}的身份证号码少录一位（只有17位）", who(d)))
                } else {
                    d.member.id_number.truncate(19);
                    Some(format!("{}的残疾人证号码少录一位（只有19位）", who(d)))
                }
            }
            "id.birth_date" => {
                let i = self.pick_member(drafts, |_| true)?;
                let number = drafts[i].member.id_number.clone();
                let first17 = format!("{}13{}", &number[..10], &number[12..17]);
                let check = check_char(&first17)?;
                drafts[i].member.id_number = format!("{first17}{check}{}", &number[18..]);
                Some(format!("{}的{}中出生月份录成了13月", who(&drafts[i]), kind(&drafts[i])))
            }
            "id.check_digit" => {
                let i = self.pick_member(drafts, |_| true)?;
                let number = drafts[i].member.id_number.clone();
                let last = number[17..18].chars().next()?;
                let wrong = if last == '9' {
                    '7'
                } else if last == 'X' {
                    '0'
                } else {
                    '9'
                };
                drafts[i].member.id_number = format!("{}{wrong}{}", &number[..17], &number[18..]);
                Some(format!("{}的{}第18位（校验位）录错", who(&drafts[i]), kind(&drafts[i])))
            }
            "id.sex_parity" => {
                let i = self.pick_member(drafts, |_| true)?;
                let sex = drafts[i].member.sex?;
                let other = if sex == Sex::Male { Sex::Female } else { Sex::Male };
                let mut d = drafts[i].clone();
                self.renumber(&mut d, other);
                drafts[i] = d;
                Some(format!("{}登记为{}，{}第17位却表示{}", who(&drafts[i]), sex, kind(&drafts[i]), other))
            }
            "id.duplicate" => {
                if slot.role != Role::DupCopy {
                    return None;
                }
                let (source_household, source_head, source) = self.dup_source.clone()?;
                let husband = drafts
                    .iter()
                    .find(|d| d.registered() && d.relation() == Relation::Son && (22..=40).contains(&d.age))?;
                let husband_name = husband.member.name.clone();
                let mut wife = source.clone();
                wife.id = self.uuid();
                wife.member.relation = Some(Relation::DaughterInLaw);
                wife.member.welfare = Welfare::default();
                wife.member.note = format!("嫁给{husband_name}后随夫生活");
                let name = wife.member.name.clone();
                drafts.push(wife);
                self.planted.push(PlantedDefect {
                    household: source_household,
                    check_id: "id.duplicate".into(),
                    description: format!(
                        "之女“{name}”已出嫁，但未在本户注销，与另一户（户主{}）重复登记",
                        drafts[0].member.name
                    ),
                });
                Some(format!("之儿媳“{name}”嫁入本户，但娘家（户主{source_head}）未注销，同一身份证号码登记在两户"))
            }
            "structure.head_count" => {
                let i = self.pick_member(drafts, |d| d.relation() == Relation::Spouse)?;
                drafts[i].member.relation = Some(Relation::Head);
                Some(format!("配偶“{}”也被登记为户主，一户有两名户主", drafts[i].member.name))
            }
            "structure.spouse_sex" => {
                let i = self.pick_member(drafts, |d| d.relation() == Relation::Spouse)?;
                let head_sex = drafts[0].member.sex?;
                let mut d = drafts[i].clone();
                d.member.sex = Some(head_sex);
                self.renumber(&mut d, head_sex);
                drafts[i] = d;
                Some(format!("配偶“{}”的性别与户主相同（均为{head_sex}）", drafts[i].member.name))
            }
            "structure.relation_sex" => {
                let i = self.pick_member(drafts, |d| {
                    matches!(
                        d.relation(),
                        Relation::Son | Relation::Daughter | Relation::Grandson | Relation::Granddaughter
                    )
                })?;
                let old = drafts[i].relation();
                let new = match old {
                    Relation::Son => Relation::Daughter,
                    Relation::Daughter => Relation::Son,
                    Relation::Grandson => Relation::Granddaughter,
                    _ => Relation::Grandson,
                };
                drafts[i].member.relation = Some(new);
                let sex = drafts[i].member.sex.map_or("", Sex::label);
                Some(format!("{}“{}”（{}）的与户主关系录成了“{}”", old, drafts[i].member.name, sex, new))
            }
            "age.labour_under_16" => {
                let i = self.pick_member(drafts, |d| (10..=15).contains(&d.age))?;
                drafts[i].member.labour = Some(LabourSkill::Weak);
                Some(format!("{}{}岁，劳动技能却登记为弱劳动力", who(&drafts[i]), drafts[i].age))
            }
            "age.adult_no_labour" => {
                let i = self.pick_member(drafts, |d| (18..=58).contains(&d.age) && d.healthy() && !d.in_school())?;
                drafts[i].member.labour = Some(LabourSkill::Lost);
                Some(format!("{}{}岁、身体健康，劳动技能却登记为丧失劳动力", who(&drafts[i]), drafts[i].age))
            }
            "age.compulsory_school" | "exit.child_out_of_school" => {
                let i = self.pick_member(drafts, |d| {
                    (6..=15).contains(&d.age)
                        && matches!(
                            d.relation(),
                            Relation::Son | Relation::Daughter | Relation::Grandson | Relation::Granddaughter
                        )
                })?;
                drafts[i].member.school = Some(SchoolStatus::NotInSchool);
                drafts[i].member.note = "辍学在家".into();
                Some(format!("{}{}岁，处于义务教育阶段却辍学在家", who(&drafts[i]), drafts[i].age))
            }
            "age.primary_over_20" => {
                let i = self.pick_member(drafts, |d| (21..=45).contains(&d.age))?;
                drafts[i].member.school = Some(SchoolStatus::Primary);
                Some(format!("{}{}岁，在校生状况却登记为小学", who(&drafts[i]), drafts[i].age))
            }
            "age.high_school_under_14" => {
                let i = self.pick_member(drafts, |d| (6..=13).contains(&d.age))?;
                drafts[i].member.school = Some(SchoolStatus::HighSchool1);
                Some(format!("{}{}岁，在校生状况却登记为高中一年级", who(&drafts[i]), drafts[i].age))
            }
            "age.work_under_16" => {
                let i = self.pick_member(drafts, |d| (14..=15).contains(&d.age))?;
                drafts[i].member.work = Work {
                    place: Some(WorkPlace::Province),
                    months: 2,
                    employer: "昆明市某餐馆（暑期）".into(),
                    monthly_income_fen: 150_000,
                };
                Some(format!("{}{}岁，未满16周岁却登记了外出务工", who(&drafts[i]), drafts[i].age))
            }
            "member.work_months" => {
                let i = self.pick_member(drafts, |d| d.member.work.place.is_some())?;
                drafts[i].member.work.months = 13;
                Some(format!("{}的务工时间录成了13个月", who(&drafts[i])))
            }
            "member.health_details" => {
                let i = self.pick_member(drafts, |d| (35..=75).contains(&d.age) && d.healthy() && !d.in_school())?;
                drafts[i].member.health = BTreeSet::from([Health::Chronic]);
                drafts[i].member.disease.clear();
                Some(format!("{}登记为长期慢性病，但未填写疾病名称", who(&drafts[i])))
            }
            "member.phone" => {
                let i = self.pick_member(drafts, |d| (18..=70).contains(&d.age))?;
                let mut phone = self.mobile();
                phone.pop();
                drafts[i].member.phone = phone;
                Some(format!("{}的联系电话只有10位", who(&drafts[i])))
            }
            "welfare.tekun_labour" => {
                let i = self.pick_member(drafts, |d| (16..=60).contains(&d.age))?;
                drafts[i].member.labour = Some(LabourSkill::Weak);
                Some(format!(
                    "特困供养户的{}{}岁，劳动技能登记为弱劳动力（有劳动能力）",
                    who(&drafts[i]),
                    drafts[i].age
                ))
            }
            "exit.no_medical_insurance" => {
                let i = self.pick_member(drafts, |_| true)?;
                drafts[i].member.insurance.basic_medical = false;
                drafts[i].member.insurance.serious_illness = false;
                Some(format!("已脱贫户的{}未参加城乡居民基本医疗保险", who(&drafts[i])))
            }
            _ => None,
        }
    }

    fn plant_post(&mut self, slot: &Slot, b: &mut Build) -> Option<String> {
        let year = self.year;
        let today = self.today;
        let h = &mut b.household;
        let latest_income = b.incomes.get(&year).copied();
        let latest_conditions = b.conditions.get(&year).copied();
        let latest_inspection = h.latest_inspection().map(|(id, _)| *id);
        if let Some(condition) = &slot.condition {
            let inspection = latest_inspection.and_then(|id| h.inspections.get_mut(&id));
            return match condition {
                ExclusionCondition::TownProperty => {
                    let i = inspection?;
                    i.items.housing.town_property = true;
                    i.items.housing.record.note.push_str("；另在蒙自市区购有商品房一套");
                    Some("六看一问发现该户在蒙自市区购有商品房".into())
                }
                ExclusionCondition::CarOver { price_fen } => {
                    let i = inspection?;
                    let price = price_fen + yuan(self.rng.random_range(20..60) as f64 * 1000.0);
                    i.items.appliances.car = Car { owned: true, price_fen: price, commercial: false };
                    i.items.appliances.record.note.push_str(&format!("；院内停有小轿车一辆，约{}元", price / 100));
                    Some(format!("六看一问发现该户有价值约{}元的自用小轿车", price / 100))
                }
                ExclusionCondition::ConstructionMachinery => {
                    let i = inspection?;
                    i.items.appliances.construction_machinery = true;
                    i.items.appliances.record.note.push_str("；有挖掘机一台");
                    Some("六看一问发现该户有挖掘机".into())
                }
                ExclusionCondition::LargeFarmVehicle => {
                    let i = inspection?;
                    i.items.appliances.large_farm_vehicle = true;
                    i.items.appliances.record.note.push_str("；有大型拖拉机一台");
                    Some("六看一问发现该户有大型农用车".into())
                }
                ExclusionCondition::RegisteredBusiness => {
                    h.business.registered_business = true;
                    Some("该户在集镇经营登记注册的农资店，正常营业".into())
                }
                ExclusionCondition::EmploysOthers => {
                    h.business.employs_others = true;
                    Some("该户长期雇用3名村民种植烤烟".into())
                }
                ExclusionCondition::SplitToQualify => {
                    let i = inspection?;
                    i.items.neighbours.says_split_to_qualify = true;
                    i.items.neighbours.record.note = "邻居反映该户为享受政策与父母分户".into();
                    h.flags.split_off = true;
                    h.flags.split_date = Some(ymd(year.min(2016), 3, 1));
                    h.flags.split_reason = "与父母分户另立".into();
                    Some("邻居反映该户是为享受扶贫政策而与父母分户".into())
                }
                ExclusionCondition::RegisteredAbsent => {
                    h.flags.registered_absent = true;
                    h.flags.separated_residence = true;
                    Some("户口在本村，但全家已多年不在本村居住（空挂户）".into())
                }
                _ => None,
            };
        }
        match slot.check_id.as_str() {
            "structure.head_reference" => {
                let head = h.head_member_id?;
                let other = h
                    .members
                    .iter()
                    .find(|(id, m)| **id != head && m.is_registered())
                    .map(|(id, m)| (*id, m.name.clone()))?;
                h.head_member_id = Some(other.0);
                Some(format!("户主字段指向了“{}”，而不是与户主关系为户主的成员", other.1))
            }
            "structure.helper" => {
                let end = today - Duration::days(self.rng.random_range(15..200));
                for pairing in h.helpers.values_mut() {
                    if pairing.end.is_none_or(|e| e >= end) {
                        pairing.end = Some(end);
                    }
                    if pairing.start.is_some_and(|s| s > end) {
                        pairing.start = Some(end - Duration::days(365));
                    }
                }
                Some(format!("帮扶责任人已于{}调离，未重新结对", end.format("%Y年%-m月%-d日")))
            }
            "household.phone" => {
                h.phone = format!("0873-37{:05}", self.rng.random_range(0..100_000));
                Some("户联系电话填的是座机号码，不是11位手机号码".into())
            }
            "household.split_details" => {
                h.flags.split_off = true;
                h.flags.split_date = Some(ymd(2012.min(year), 5, 10));
                h.flags.split_reason.clear();
                Some("标记为分户，但未填写分户原因".into())
            }
            "cause.illness" | "cause.disability" | "cause.schooling" => {
                let cause = match slot.check_id.as_str() {
                    "cause.illness" => PovertyCause::Illness,
                    "cause.disability" => PovertyCause::Disability,
                    _ => PovertyCause::Schooling,
                };
                h.main_cause = Some(cause);
                h.other_causes.remove(&cause);
                let fact = match cause {
                    PovertyCause::Illness => "家中无人患慢性病或大病",
                    PovertyCause::Disability => "家中无残疾人",
                    _ => "家中无在校生",
                };
                Some(format!("主要致贫原因为“{cause}”，但{fact}"))
            }
            "cause.other_causes" => {
                let main = h.main_cause?;
                h.other_causes.insert(main);
                Some(format!("其他致贫原因中重复填写了主要致贫原因“{main}”"))
            }
            "welfare.dibao_member" => {
                for m in h.members.values_mut() {
                    m.welfare.dibao = false;
                }
                Some("低保户，但没有家庭成员登记享受低保".into())
            }
            "welfare.dibao_amount" => {
                let income = h.incomes.get_mut(&latest_income?)?;
                income.transfer.other_fen += income.transfer.dibao_fen;
                income.transfer.dibao_fen = 0;
                Some(format!("{year}年低保金误录入“其他转移性收入”，低保金为0"))
            }
            "income.duplicate_year" => {
                let oldest = *b.incomes.keys().next()?;
                let mut copy = h.incomes.get(&b.incomes[&oldest])?.clone();
                copy.wage_fen = (copy.wage_fen * 9 / 10 / 100) * 100;
                copy.note = "另一台设备离线补录".into();
                let key = self.uuid();
                h.incomes.insert(key, copy);
                Some(format!("{oldest}年收入有两条记录（两人离线各录了一条）"))
            }
            "conditions.duplicate_year" => {
                let oldest = *b.conditions.keys().next()?;
                let mut copy = h.conditions.get(&b.conditions[&oldest])?.clone();
                copy.house_area_m2 = (copy.house_area_m2 - 10.0).max(30.0);
                copy.note = "另一台设备离线补录".into();
                let key = self.uuid();
                h.conditions.insert(key, copy);
                Some(format!("{oldest}年生活条件有两条记录（两人离线各录了一条）"))
            }
            "income.business_expense" => {
                let income = h.incomes.get_mut(&latest_income?)?;
                income.business_expense_fen = 0;
                Some(format!("{year}年有生产经营性收入，但生产经营性支出填为0"))
            }
            "income.wage_worker" => {
                let income = h.incomes.get_mut(&latest_income?)?;
                if income.wage_fen <= 0 {
                    let shift = (income.business.planting_fen / 2 / 100) * 100;
                    income.business.planting_fen -= shift;
                    income.wage_fen += shift;
                }
                for m in h.members.values_mut() {
                    m.work = Work::default();
                    m.welfare.public_welfare_job = false;
                }
                Some(format!("{year}年有工资性收入，但家庭成员的务工信息未录入"))
            }
            "income.per_capita_range" => {
                let income = h.incomes.get_mut(&latest_income?)?;
                let size = h.members.values().filter(|m| m.is_registered()).count() as Fen;
                income.business_expense_fen += income.net_fen() + size * 50_000;
                Some(format!("{year}年养殖亏损，生产经营性支出大于全部收入，人均纯收入为负数"))
            }
            "land.per_person" => {
                let c = h.conditions.get_mut(&latest_conditions?)?;
                c.cultivated_mu = f64::from(self.ri(56, 90));
                c.irrigated_mu = round1(c.cultivated_mu * 0.3);
                Some(format!(
                    "{year}年耕地面积录为{}亩（疑为{}亩漏了小数点），人均超过50亩",
                    c.cultivated_mu,
                    c.cultivated_mu / 10.0
                ))
            }
            "land.per_household" => {
                let size = h.members.values().filter(|m| m.is_registered()).count() as i32;
                let c = h.conditions.get_mut(&latest_conditions?)?;
                c.cultivated_mu = f64::from(self.ri(105, (50 * size).min(150)));
                c.irrigated_mu = round1(c.cultivated_mu * 0.3);
                Some(format!("{year}年耕地面积录为{}亩，超过每户100亩", c.cultivated_mu))
            }
            "exit.dangerous_house" => {
                let c = h.conditions.get_mut(&latest_conditions?)?;
                c.dangerous = true;
                c.danger_grade = Some(DangerGrade::C);
                c.renovated_year = None;
                Some(format!("已脱贫户{year}年住房为C级危房且未改造"))
            }
            "exit.no_house" => {
                let c = h.conditions.get_mut(&latest_conditions?)?;
                c.house_area_m2 = 0.0;
                Some(format!("已脱贫户{year}年住房面积填为0"))
            }
            "exit.unsafe_water" => {
                if year < 2019 {
                    return None;
                }
                let c = h.conditions.get_mut(&latest_conditions?)?;
                c.water_safe = Some(false);
                Some(format!("已脱贫户{year}年饮水登记为困难"))
            }
            "exit.income_below_line" => {
                let per_capita = h.per_capita_fen(year)?;
                let (_, line) = self.policy.line_for(year)?;
                (per_capita < line && per_capita > 0).then(|| {
                    format!(
                        "已脱贫户{year}年人均纯收入{}元，低于当年标准{}元",
                        hudang_domain::income::yuan(per_capita),
                        hudang_domain::income::yuan(line)
                    )
                })
            }
            "visit.no_photo" | "visit.no_gps" | "visit.no_interviewee" => {
                let meta = b.visits.first_mut()?;
                let visit = h.visits.get_mut(&meta.visit_id)?;
                let day = meta.local.format("%Y年%-m月%-d日");
                match slot.check_id.as_str() {
                    "visit.no_photo" => {
                        meta.no_photo = true;
                        Some(format!("{day}的走访没有照片"))
                    }
                    "visit.no_gps" => {
                        meta.no_gps = true;
                        visit.gps = None;
                        if let Some(inspection) = h.inspections.get_mut(&meta.inspection_id) {
                            for item in InspectionItem::ALL {
                                inspection.items.record_mut(*item).gps = None;
                            }
                        }
                        Some(format!("{day}的走访未开启定位，走访和照片都没有位置"))
                    }
                    _ => {
                        visit.interviewee.clear();
                        visit.interviewee_relation = None;
                        Some(format!("{day}的走访没有填写受访人"))
                    }
                }
            }
            "monitoring.closed_without_measure" => {
                let case = h.monitoring.values_mut().next()?;
                for measure in case.measures.values_mut() {
                    measure.carried_out = None;
                }
                Some(format!("{year}年监测户标记为帮扶消除风险，但帮扶措施都未落实"))
            }
            "monitoring.closed_below_threshold" => {
                let per_capita = h.per_capita_fen(year)?;
                let (_, line) = self.policy.line_for(year)?;
                (per_capita <= line).then(|| {
                    format!(
                        "{year}年监测户标记为帮扶消除风险，但人均纯收入{}元未高于监测标准{}元",
                        hudang_domain::income::yuan(per_capita),
                        hudang_domain::income::yuan(line)
                    )
                })
            }
            "monitoring.closed_no_labour" => {
                h.monitoring.values().next()?;
                Some(format!("{year}年监测户家中无人有劳动能力，却标记为风险消除"))
            }
            _ => None,
        }
    }

    fn plant_final(&mut self, slot: &Slot, b: &mut Build) -> Option<String> {
        match slot.check_id.as_str() {
            "income.per_capita_mismatch" => {
                let year = self.year;
                let size = b.household.size();
                let income = b.household.incomes.get_mut(b.incomes.get(&year)?)?;
                let computed = income.per_capita_fen(size)?;
                let declared = computed + yuan(self.ri(600, 1500) as f64);
                income.declared_per_capita_fen = Some(declared);
                Some(format!(
                    "{year}年纸质档案填报的人均纯收入{}元，与按收入和家庭人口计算的{}元不符",
                    hudang_domain::income::yuan(declared),
                    hudang_domain::income::yuan(computed)
                ))
            }
            _ => None,
        }
    }
}

/// Sets every declared per-capita figure to the one computed from the record and the current household size.
fn fix_declared(h: &mut Household) {
    let size = h.size();
    for income in h.incomes.values_mut() {
        if income.declared_per_capita_fen.is_some() {
            income.declared_per_capita_fen = income.per_capita_fen(size);
        }
    }
}

fn satisfies(need: Need, drafts: &[Draft]) -> bool {
    let mut registered = drafts.iter().filter(|d| d.registered());
    match need {
        Need::Spouse => registered.any(|d| d.relation() == Relation::Spouse),
        Need::Child(lo, hi) => registered.any(|d| {
            matches!(d.relation(), Relation::Son | Relation::Daughter | Relation::Grandson | Relation::Granddaughter)
                && (lo..=hi).contains(&d.age)
        }),
        Need::Daughter(lo, hi) => registered.any(|d| d.relation() == Relation::Daughter && (lo..=hi).contains(&d.age)),
        Need::UnmarriedSon(lo, hi) => {
            !drafts.iter().any(|d| d.relation() == Relation::DaughterInLaw)
                && registered.any(|d| d.relation() == Relation::Son && (lo..=hi).contains(&d.age))
        }
        Need::Adult(lo, hi) => registered.any(|d| (lo..=hi).contains(&d.age)),
        Need::HealthyAdult(lo, hi) => registered.any(|d| (lo..=hi).contains(&d.age) && d.healthy() && !d.in_school()),
        Need::Worker => registered.any(|d| d.member.work.place.is_some()),
        Need::NoStudents => !registered.any(|d| d.in_school()),
        Need::AnyoneCanWork => registered.any(|d| d.can_work()),
        Need::Size(lo, hi) => (lo..=hi).contains(&registered.count()),
        Need::MaxSize(most) => registered.count() <= most,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hudang_domain::checks::check_household;
    use std::collections::BTreeSet as Set;

    fn options(seed: u64, households: usize, photos: bool) -> DemoOptions {
        DemoOptions {
            seed,
            households,
            today: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            photos,
            photo_size: (48, 36),
        }
    }

    /// Every (household, check id) the checks report on the village.
    fn findings(village: &DemoVillage, today: NaiveDate) -> Set<(Uuid, String)> {
        let policy = Policy::builtin();
        let holders = id_holders(&village.households);
        let ctx = CheckContext { today, policy: &policy, id_holders: &holders };
        let mut out = Set::new();
        for h in &village.households {
            for f in check_household(h, &ctx) {
                out.insert((h.id, f.check_id));
            }
        }
        out
    }

    fn planted(village: &DemoVillage) -> Set<(Uuid, String)> {
        village.planted.iter().map(|p| (p.household, p.check_id.clone())).collect()
    }

    fn all_check_ids() -> Set<String> {
        let policy = Policy::builtin();
        CHECKS
            .iter()
            .map(|d| d.id.to_string())
            .chain(policy.exclusion_rules.iter().map(|r| exclusion_check_id(&r.id)))
            .collect()
    }

    fn explain(village: &DemoVillage, today: NaiveDate) -> String {
        let policy = Policy::builtin();
        let holders = id_holders(&village.households);
        let ctx = CheckContext { today, policy: &policy, id_holders: &holders };
        let planted = planted(village);
        let mut out = String::new();
        for h in &village.households {
            for f in check_household(h, &ctx) {
                if !planted.contains(&(h.id, f.check_id.clone())) {
                    out.push_str(&format!("unexpected {} {}: {}\n", h.id, f.check_id, f.message));
                }
            }
        }
        let found = findings(village, today);
        for p in &village.planted {
            if !found.contains(&(p.household, p.check_id.clone())) {
                out.push_str(&format!("missing {} {}: {}\n", p.household, p.check_id, p.description));
            }
        }
        out
    }

    #[test]
    fn same_seed_same_village() {
        let a = generate(&options(7, 90, false));
        let b = generate(&options(7, 90, false));
        assert_eq!(serde_json::to_string(&a.households).unwrap(), serde_json::to_string(&b.households).unwrap());
        assert_eq!(serde_json::to_string(&a.planted).unwrap(), serde_json::to_string(&b.planted).unwrap());
        let a = generate(&options(7, 12, true));
        let b = generate(&options(7, 12, true));
        assert_eq!(a, b);
    }

    #[test]
    fn different_seed_different_village() {
        let a = generate(&options(1, 40, false));
        let b = generate(&options(2, 40, false));
        assert_ne!(serde_json::to_string(&a.households).unwrap(), serde_json::to_string(&b.households).unwrap());
        assert_ne!(a.households[0].id, b.households[0].id);
    }

    #[test]
    fn checks_find_exactly_the_planted_defects() {
        for seed in [2017, 1, 99] {
            let opts = DemoOptions { photos: false, seed, ..DemoOptions::default() };
            let village = generate(&opts);
            assert_eq!(village.households.len(), 120);
            let report = explain(&village, opts.today);
            assert!(report.is_empty(), "seed {seed}:\n{report}");
            assert_eq!(findings(&village, opts.today), planted(&village));
            // Every check is planted, in distinct households (two for the duplicate).
            let planted_ids: Set<String> = village.planted.iter().map(|p| p.check_id.clone()).collect();
            assert_eq!(planted_ids, all_check_ids(), "seed {seed}");
            assert!(unplantable_checks().is_empty());
            let households: Set<Uuid> = village.planted.iter().map(|p| p.household).collect();
            assert_eq!(households.len(), village.planted.len());
            assert_eq!(village.planted.iter().filter(|p| p.check_id == "id.duplicate").count(), 2);
        }
    }

    #[test]
    fn larger_villages_stay_clean_outside_the_planted_households() {
        for (seed, n, today) in [(5, 700, (2025, 6, 30)), (6, 300, (2024, 1, 1)), (8, 300, (2022, 2, 28))] {
            let today = NaiveDate::from_ymd_opt(today.0, today.1, today.2).unwrap();
            let opts = DemoOptions { today, ..options(seed, n, false) };
            let village = generate(&opts);
            let report = explain(&village, today);
            assert!(report.is_empty(), "seed {seed}:\n{report}");
        }
    }

    #[test]
    fn small_villages_plant_what_fits() {
        let opts = options(3, 20, false);
        let village = generate(&opts);
        assert_eq!(village.households.len(), 20);
        assert!(village.planted.len() <= 20 && village.planted.len() >= 18);
        assert_eq!(explain(&village, opts.today), "");
        let empty = generate(&options(3, 0, false));
        assert!(empty.households.is_empty() && empty.planted.is_empty());
    }

    #[test]
    fn village_is_realistic() {
        let opts = options(11, 400, false);
        let village = generate(&opts);
        let policy = Policy::builtin();
        let planted: Set<Uuid> = village.planted.iter().map(|p| p.household).collect();
        let groups: Set<&str> = village.households.iter().map(|h| h.area.group.as_str()).collect();
        assert!((6..=8).contains(&groups.len()));
        let mut numbers = HashSet::new();
        let mut statuses = Set::new();
        for h in &village.households {
            assert!((1..=7).contains(&h.size()), "size {}", h.size());
            assert!(!h.visits.is_empty() && h.visits.len() <= 3);
            assert_eq!(h.inspections.len(), h.visits.len());
            assert_eq!(h.assessments.len(), h.visits.len());
            assert!(h.incomes.len() >= 2 && h.conditions.len() >= 2);
            statuses.insert(format!("{:?}/{:?}", h.status, h.household_type));
            for visit in h.visits.values() {
                if let Some(gps) = visit.gps {
                    assert!((gps.lat - 23.37).abs() < 0.03 && (gps.lon - 103.38).abs() < 0.03);
                }
            }
            for inspection in h.inspections.values() {
                for item in InspectionItem::ALL {
                    let record = inspection.items.record(*item);
                    assert!(record.rating.is_some() && !record.note.is_empty() && record.recorded_at.is_some());
                }
            }
            if planted.contains(&h.id) {
                continue;
            }
            for m in h.members.values() {
                assert!(numbers.insert(m.id_number[..18].to_string()), "duplicate number");
            }
            let pc = h.per_capita_fen(opts.today.year() - 1).unwrap();
            assert!((300_000..=2_500_000).contains(&pc), "per capita {pc}");
            if h.status.is_some_and(PovertyStatus::is_exited) {
                assert!(pc >= policy.line_for(opts.today.year() - 1).unwrap().1);
            }
        }
        assert!(statuses.len() >= 5, "{statuses:?}");
        let names: String = village.households.iter().map(|h| h.head_name().to_string()).collect();
        assert!(names.contains('曾') || names.contains('单'));
    }

    #[test]
    fn village_round_trips_through_json() {
        let village = generate(&options(4, 80, false));
        let json = serde_json::to_string(&village.households).unwrap();
        let back: Vec<Household> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, village.households);
        let small = generate(&options(4, 6, true));
        let json = serde_json::to_string(&small).unwrap();
        let back: DemoVillage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, small);
    }

    #[test]
    fn photos_mode_only_changes_photo_references() {
        let with = generate(&options(9, 70, true));
        let without = generate(&options(9, 70, false));
        assert_eq!(with.planted, without.planted);
        assert!(with.households.iter().all(|h| h.photo_refs().is_empty()));
        let mut stripped = without.households.clone();
        for h in &mut stripped {
            for v in h.visits.values_mut() {
                v.photos.clear();
            }
        }
        assert_eq!(stripped, with.households);
        let per_household = with.photos.len() as f64 / 70.0;
        assert!((2.0..=4.5).contains(&per_household), "{per_household}");
    }

    /// Ingesting the photos as the store does (prepare, then reference) leaves exactly the planted findings.
    #[test]
    fn ingested_photos_satisfy_the_visit_checks() {
        let opts = options(12, 70, true);
        let mut village = generate(&opts);
        let by_id: HashMap<Uuid, usize> = village.households.iter().enumerate().map(|(i, h)| (h.id, i)).collect();
        for photo in &village.photos {
            let prepared = hudang_media::prepare_photo(&photo.jpeg, &hudang_media::PhotoOptions::default()).unwrap();
            let meta = prepared.meta;
            let reference = PhotoRef {
                sha256: meta.sha256,
                mime: meta.mime,
                bytes: meta.bytes,
                width: meta.width,
                height: meta.height,
                taken_at: meta.taken_at,
                gps: meta.gps.map(|g| Gps { lat: g.lat, lon: g.lon, accuracy_m: None }),
                caption: photo.caption.clone(),
            };
            assert_eq!(reference.taken_at.map(china_to_utc), Some(photo.taken_at));
            let h = &mut village.households[by_id[&photo.household]];
            match photo.target {
                DemoPhotoTarget::Visit(v) => {
                    h.visits.get_mut(&v).unwrap().photos.insert(photo.photo_id, reference);
                }
                DemoPhotoTarget::Inspection(i, item) => {
                    h.inspections.get_mut(&i).unwrap().items.record_mut(item).photos.insert(photo.photo_id, reference);
                }
            }
        }
        assert_eq!(explain(&village, opts.today), "");
    }

    #[test]
    #[ignore = "slow; run with --release -- --ignored"]
    fn many_seeds_plant_exactly() {
        let days = [(2025, 6, 30), (2023, 1, 1), (2026, 2, 28), (2024, 2, 29), (2021, 12, 31)];
        for seed in 0..400u64 {
            let (y, m, d) = days[seed as usize % days.len()];
            let today = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let opts = DemoOptions { today, ..options(seed, 61 + (seed as usize * 7) % 200, false) };
            let village = generate(&opts);
            let report = explain(&village, today);
            assert!(report.is_empty(), "seed {seed} today {today}:\n{report}");
            let planted_ids: Set<String> = village.planted.iter().map(|p| p.check_id.clone()).collect();
            assert_eq!(planted_ids, all_check_ids(), "seed {seed} today {today}");
        }
    }

    #[test]
    #[ignore = "timing; run with --release -- --ignored"]
    fn ten_thousand_households_are_quick() {
        let opts = options(2025, 10_000, false);
        let start = std::time::Instant::now();
        let village = generate(&opts);
        let elapsed = start.elapsed();
        let members: usize = village.households.iter().map(|h| h.members.len()).sum();
        let json = serde_json::to_string(&village.households).unwrap();
        eprintln!("generate 10,000 households ({members} members, {} MB JSON): {:?}", json.len() / 1_000_000, elapsed);
        let start = std::time::Instant::now();
        let report = explain(&village, opts.today);
        eprintln!("check 10,000 households: {:?}", start.elapsed());
        assert!(report.is_empty(), "{report}");
        assert!(elapsed.as_secs_f64() < 3.0);
        let start = std::time::Instant::now();
        let village = generate(&DemoOptions { seed: 2025, ..DemoOptions::default() });
        let bytes: usize = village.photos.iter().map(|p| p.jpeg.len()).sum();
        eprintln!(
            "generate the default village (120 households, {} photos {:?}, {} KB): {:?}",
            village.photos.len(),
            DemoOptions::default().photo_size,
            bytes / 1000,
            start.elapsed()
        );
    }
}
