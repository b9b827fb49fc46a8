//! The household file (一户一档): every record the work team keeps about one household.
//!
//! Shape rules that the document layer relies on (see `ARCHITECTURE.md`):
//! - every collection that grows after creation is a `BTreeMap<Uuid, _>` keyed by a fresh id, never a list;
//! - nested structs are always present (never `Option<Struct>`), so their containers exist from creation;
//! - multi-valued code fields are `BTreeSet`s;
//! - free text that two people may extend at once is a field named `note` or ending in `_note`.
//!
//! Every struct is `#[serde(default)]` so a record written by a newer app, or missing a field an older app never wrote, still reads.

use crate::codes::*;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Money in integer fen (分). One yuan is 100 fen.
pub type Fen = i64;

/// A position from the device's GPS.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Gps {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
    /// Accuracy in metres, when the device reports one.
    pub accuracy_m: Option<f64>,
}

/// A reference to a photo or signature image; the bytes live in the content-addressed store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PhotoRef {
    /// Lowercase hex sha256 of the stored bytes.
    pub sha256: String,
    /// MIME type of the stored bytes.
    pub mime: String,
    /// Size of the stored bytes.
    pub bytes: u64,
    /// Width in pixels after orientation.
    pub width: u32,
    /// Height in pixels after orientation.
    pub height: u32,
    /// When the camera says it was taken (local time as written by the camera).
    pub taken_at: Option<NaiveDateTime>,
    /// Where the camera says it was taken.
    pub gps: Option<Gps>,
    /// A caption typed by the worker.
    pub caption: String,
}

/// Where a household sits in the administrative tree.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Area {
    /// 县.
    pub county: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub village: String,
    /// 村民小组.
    pub group: String,
}

/// Household flags.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseholdFlags {
    /// 人户分离: registered here, living elsewhere.
    pub separated_residence: bool,
    /// 分户: split off from another household.
    pub split_off: bool,
    /// Date of the split.
    pub split_date: Option<NaiveDate>,
    /// Reason given for the split.
    pub split_reason: String,
    /// 易地扶贫搬迁户.
    pub relocated: bool,
    /// 军烈属.
    pub military_family: bool,
    /// 空挂户: registered but nobody lives here.
    pub registered_absent: bool,
}

/// Facts about a family business that the exclusion rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BusinessFacts {
    /// Runs a registered, operating business.
    pub registered_business: bool,
    /// Employs others long term.
    pub employs_others: bool,
}

/// One change of poverty status, with its year.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StatusChange {
    /// The new status.
    pub status: Option<PovertyStatus>,
    /// The year it took effect.
    pub year: i32,
    /// Why.
    pub note: String,
}

/// A pairing with a 帮扶责任人.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HelperPairing {
    /// The helper's name.
    pub name: String,
    /// The helper's work unit.
    pub unit: String,
    /// The helper's phone.
    pub phone: String,
    /// First day of the pairing.
    pub start: Option<NaiveDate>,
    /// Last day of the pairing; none while it lasts.
    pub end: Option<NaiveDate>,
}

/// 务工: migrant or local work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Work {
    /// Where; none when the member does not work away from the farm.
    pub place: Option<WorkPlace>,
    /// Months worked this year (0-12).
    pub months: u8,
    /// Employer.
    pub employer: String,
    /// Monthly income in fen.
    pub monthly_income_fen: Fen,
}

/// Insurance cover.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Insurance {
    /// 城乡居民基本医疗保险.
    pub basic_medical: bool,
    /// 大病保险.
    pub serious_illness: bool,
    /// 城乡居民基本养老保险.
    pub pension: bool,
}

/// Welfare received by a member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Welfare {
    /// 享受低保.
    pub dibao: bool,
    /// 特困供养.
    pub tekun: bool,
    /// 公益性岗位.
    pub public_welfare_job: bool,
}

/// A member of the household (家庭成员), keyed by a stable UUID in [`Household::members`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Member {
    /// 姓名.
    pub name: String,
    /// 性别.
    pub sex: Option<Sex>,
    /// 民族, as a GB 3304 code such as "01" (汉族).
    pub ethnicity: String,
    /// 证件类型.
    pub id_type: Option<IdType>,
    /// 证件号码.
    pub id_number: String,
    /// 与户主关系.
    pub relation: Option<Relation>,
    /// 联系电话.
    pub phone: String,
    /// 文化程度.
    pub education: Option<Education>,
    /// 在校生状况.
    pub school: Option<SchoolStatus>,
    /// 健康状况 (several may apply).
    pub health: BTreeSet<Health>,
    /// Name of the chronic or serious disease.
    pub disease: String,
    /// Disability category (视力, 听力, 言语, 肢体, 智力, 精神, 多重).
    pub disability_category: String,
    /// Disability grade 1-4.
    pub disability_grade: Option<u8>,
    /// 劳动技能.
    pub labour: Option<LabourSkill>,
    /// 务工.
    pub work: Work,
    /// Insurance cover.
    pub insurance: Insurance,
    /// Welfare received.
    pub welfare: Welfare,
    /// On the state payroll or a public servant (an exclusion condition).
    pub state_payroll: bool,
    /// A serving village cadre.
    pub village_cadre: bool,
    /// 人员状态.
    pub status: Option<MemberStatus>,
    /// When the status last changed.
    pub status_date: Option<NaiveDate>,
    /// Free notes.
    pub note: String,
}

impl Member {
    /// Whether the member still counts in the household (在册, or no status recorded yet).
    pub fn is_registered(&self) -> bool {
        matches!(self.status, None | Some(MemberStatus::Registered))
    }
}

/// Living conditions for one year (one record per year, keyed by a fresh UUID; `year` says which).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LivingConditions {
    /// The year described.
    pub year: i32,
    /// 耕地 in 亩.
    pub cultivated_mu: f64,
    /// 林地 in 亩.
    pub forest_mu: f64,
    /// 有效灌溉 area in 亩.
    pub irrigated_mu: f64,
    /// 住房面积 in m² (0 = no house).
    pub house_area_m2: f64,
    /// 房屋结构.
    pub structure: Option<HouseStructure>,
    /// 建房年份.
    pub build_year: Option<i32>,
    /// 是否危房.
    pub dangerous: bool,
    /// 危房等级.
    pub danger_grade: Option<DangerGrade>,
    /// Year the dangerous house was renovated, if it was.
    pub renovated_year: Option<i32>,
    /// 饮水安全 (true) or 饮水困难 (false).
    pub water_safe: Option<bool>,
    /// 生活用电.
    pub electricity: bool,
    /// 入户路.
    pub road: Option<RoadType>,
    /// Distance to the main road in km.
    pub road_distance_km: f64,
    /// 主要燃料.
    pub fuel: Option<Fuel>,
    /// 卫生厕所.
    pub sanitary_toilet: bool,
    /// Member of a 合作社.
    pub cooperative: bool,
    /// Free notes.
    pub note: String,
}

/// 生产经营性收入 by source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BusinessIncome {
    /// 种植.
    pub planting_fen: Fen,
    /// 养殖.
    pub breeding_fen: Fen,
    /// 林果.
    pub forestry_fen: Fen,
    /// 其他.
    pub other_fen: Fen,
}

/// 财产性收入 by source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PropertyIncome {
    /// 分红.
    pub dividend_fen: Fen,
    /// 土地流转.
    pub land_transfer_fen: Fen,
    /// 其他.
    pub other_fen: Fen,
}

/// 转移性收入 by source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TransferIncome {
    /// 计划生育金.
    pub family_planning_fen: Fen,
    /// 低保金.
    pub dibao_fen: Fen,
    /// 特困供养金.
    pub tekun_fen: Fen,
    /// 养老保险金.
    pub pension_fen: Fen,
    /// 生态补偿金.
    pub eco_compensation_fen: Fen,
    /// 其他.
    pub other_fen: Fen,
}

/// Income for one year (one record per year, keyed by a fresh UUID; `year` says which).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Income {
    /// The year described.
    pub year: i32,
    /// 工资性收入.
    pub wage_fen: Fen,
    /// 生产经营性收入.
    pub business: BusinessIncome,
    /// 财产性收入.
    pub property: PropertyIncome,
    /// 转移性收入.
    pub transfer: TransferIncome,
    /// 生产经营性支出.
    pub business_expense_fen: Fen,
    /// A per-capita figure stated on an older paper form, kept to compare with the computed one.
    pub declared_per_capita_fen: Option<Fen>,
    /// Free notes.
    pub note: String,
}

/// A visit (走访): only an in-person visit with position, time and a photo counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Visit {
    /// When the visit happened.
    pub visited_at: DateTime<Utc>,
    /// The user who recorded it.
    pub recorded_by: String,
    /// Everyone from the team who went.
    pub visitors: BTreeSet<String>,
    /// The device's position during the visit.
    pub gps: Option<Gps>,
    /// The adult spoken to.
    pub interviewee: String,
    /// The interviewee's relation to the household head.
    pub interviewee_relation: Option<Relation>,
    /// Purpose of the visit.
    pub purpose: String,
    /// What was found.
    pub note: String,
    /// Photos taken during the visit.
    pub photos: BTreeMap<Uuid, PhotoRef>,
}

/// A phone call: stored as a contact, never counted as a visit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// When.
    pub at: DateTime<Utc>,
    /// The user who called.
    pub recorded_by: String,
    /// Whom they spoke to.
    pub with_whom: String,
    /// What was said.
    pub note: String,
}

/// What every 六看一问 item records besides its own fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemRecord {
    /// The worker's rating.
    pub rating: Option<Rating>,
    /// The worker's note.
    pub note: String,
    /// Photos as evidence.
    pub photos: BTreeMap<Uuid, PhotoRef>,
    /// When the item was recorded.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Where it was recorded.
    pub gps: Option<Gps>,
}

/// A car seen at the household.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Car {
    /// Whether the household owns a car.
    pub owned: bool,
    /// Its price (or estimated value) in fen.
    pub price_fen: Fen,
    /// Used commercially (e.g. a passenger van) rather than for own use.
    pub commercial: bool,
}

/// 入户看电器.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppliancesCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// 电视.
    pub tv: bool,
    /// 冰箱.
    pub fridge: bool,
    /// 洗衣机.
    pub washing_machine: bool,
    /// 空调.
    pub air_conditioner: bool,
    /// 电脑.
    pub computer: bool,
    /// 摩托车 count.
    pub motorbikes: u32,
    /// 三轮车 count.
    pub tricycles: u32,
    /// 拖拉机 count (small farm tractors).
    pub tractors: u32,
    /// 汽车.
    pub car: Car,
    /// 工程机械.
    pub construction_machinery: bool,
    /// 大型农用车.
    pub large_farm_vehicle: bool,
}

/// 揭锅看荤素.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FoodCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// Enough staple food.
    pub staple_enough: Option<bool>,
    /// Meat or eggs, times a week.
    pub meat_eggs_per_week: u32,
    /// Stored grain in kg.
    pub stored_grain_kg: f64,
    /// Cooking oil at home.
    pub cooking_oil: Option<bool>,
}

/// 里外看房屋.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HousingCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// 房屋结构.
    pub structure: Option<HouseStructure>,
    /// Number of rooms.
    pub rooms: u32,
    /// Area in m².
    pub area_m2: f64,
    /// 建房年份.
    pub build_year: Option<i32>,
    /// 危房等级, if the house is dangerous.
    pub danger_grade: Option<DangerGrade>,
    /// Decorated inside.
    pub decorated: bool,
    /// Has a toilet.
    pub toilet: bool,
    /// Has a separate kitchen.
    pub kitchen: bool,
    /// Water point at the house.
    pub water_point: bool,
    /// Owns a flat or shop in town (an exclusion condition).
    pub town_property: bool,
}

/// 抬头看气色.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// Someone takes medicine long term.
    pub long_term_medicine: bool,
    /// Someone seen with a disability.
    pub disability_seen: bool,
    /// Number of members seen able to work.
    pub able_to_work: u32,
}

/// 面对看穿着.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClothingCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// Clothes fit for the season.
    pub seasonal_clothes: Option<bool>,
    /// Enough winter bedding.
    pub winter_bedding: Option<bool>,
}

/// Head counted for one kind of livestock: a scalar, never an Automerge counter (two people counting the same pigs must not add up).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Herd {
    /// In stock now.
    pub stock: u32,
    /// Sold this year.
    pub sold: u32,
}

/// 圈舍看猪牛.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LivestockCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// 猪.
    pub pigs: Herd,
    /// 牛.
    pub cattle: Herd,
    /// 羊.
    pub sheep: Herd,
    /// 马/驴.
    pub horses_donkeys: Herd,
    /// 家禽.
    pub poultry: Herd,
    /// State of the pens.
    pub pens_note: String,
}

/// What one neighbour said.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NeighbourStatement {
    /// The neighbour's name.
    pub name: String,
    /// Relation to the household (邻居, 村民小组长, ...).
    pub relation: String,
    /// What they said about residence, work, assets, children supporting parents.
    pub note: String,
}

/// 出门问邻舍.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NeighboursCheck {
    /// Common item fields.
    pub record: ItemRecord,
    /// Statements, keyed by a fresh id.
    pub statements: BTreeMap<Uuid, NeighbourStatement>,
    /// Neighbours say the family lives elsewhere (人户分离).
    pub says_lives_elsewhere: bool,
    /// Neighbours mention hidden assets.
    pub says_hidden_assets: bool,
    /// Neighbours say the household split off to qualify (分户).
    pub says_split_to_qualify: bool,
}

/// The seven items of one 六看一问 inspection.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InspectionItems {
    /// 入户看电器.
    pub appliances: AppliancesCheck,
    /// 揭锅看荤素.
    pub food: FoodCheck,
    /// 里外看房屋.
    pub housing: HousingCheck,
    /// 抬头看气色.
    pub health: HealthCheck,
    /// 面对看穿着.
    pub clothing: ClothingCheck,
    /// 圈舍看猪牛.
    pub livestock: LivestockCheck,
    /// 出门问邻舍.
    pub neighbours: NeighboursCheck,
}

impl InspectionItems {
    /// The common record of one item.
    pub fn record(&self, item: InspectionItem) -> &ItemRecord {
        match item {
            InspectionItem::Appliances => &self.appliances.record,
            InspectionItem::Food => &self.food.record,
            InspectionItem::Housing => &self.housing.record,
            InspectionItem::Health => &self.health.record,
            InspectionItem::Clothing => &self.clothing.record,
            InspectionItem::Livestock => &self.livestock.record,
            InspectionItem::Neighbours => &self.neighbours.record,
        }
    }

    /// The common record of one item, for editing.
    pub fn record_mut(&mut self, item: InspectionItem) -> &mut ItemRecord {
        match item {
            InspectionItem::Appliances => &mut self.appliances.record,
            InspectionItem::Food => &mut self.food.record,
            InspectionItem::Housing => &mut self.housing.record,
            InspectionItem::Health => &mut self.health.record,
            InspectionItem::Clothing => &mut self.clothing.record,
            InspectionItem::Livestock => &mut self.livestock.record,
            InspectionItem::Neighbours => &mut self.neighbours.record,
        }
    }

    /// The document key of one item.
    pub fn key(item: InspectionItem) -> &'static str {
        match item {
            InspectionItem::Appliances => "appliances",
            InspectionItem::Food => "food",
            InspectionItem::Housing => "housing",
            InspectionItem::Health => "health",
            InspectionItem::Clothing => "clothing",
            InspectionItem::Livestock => "livestock",
            InspectionItem::Neighbours => "neighbours",
        }
    }
}

/// One 六看一问 inspection, made during a visit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Inspection {
    /// The visit it belongs to.
    pub visit_id: Option<Uuid>,
    /// When the inspection started.
    pub inspected_at: DateTime<Utc>,
    /// The user who inspected.
    pub inspected_by: String,
    /// The seven items.
    pub items: InspectionItems,
}

/// One standard's verdict in an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Verdict {
    /// Met (true), not met (false) or not assessed (none).
    pub met: Option<bool>,
    /// Evidence: which checklist items and photos support the verdict.
    pub note: String,
}

/// A 两不愁三保障 assessment, per household per visit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Assessment {
    /// The visit it belongs to.
    pub visit_id: Option<Uuid>,
    /// When it was made.
    pub assessed_at: DateTime<Utc>,
    /// The user who made it.
    pub assessed_by: String,
    /// 不愁吃.
    pub food: Verdict,
    /// 不愁穿.
    pub clothing: Verdict,
    /// 义务教育有保障.
    pub education: Verdict,
    /// 基本医疗有保障.
    pub medical: Verdict,
    /// 住房安全有保障.
    pub housing: Verdict,
    /// 饮水安全有保障.
    pub water: Verdict,
}

impl Assessment {
    /// The verdict for one standard.
    pub fn verdict(&self, item: AssuranceItem) -> &Verdict {
        match item {
            AssuranceItem::Food => &self.food,
            AssuranceItem::Clothing => &self.clothing,
            AssuranceItem::Education => &self.education,
            AssuranceItem::Medical => &self.medical,
            AssuranceItem::Housing => &self.housing,
            AssuranceItem::Water => &self.water,
        }
    }
}

/// A step of 六步法, a notice, or a 动态管理 event, with who did it and who signed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkflowEvent {
    /// Which step or event.
    pub step: Option<WorkflowStep>,
    /// The date it happened.
    pub date: Option<NaiveDate>,
    /// Who did it.
    pub done_by: String,
    /// Who signed for it.
    pub signed_by: BTreeSet<String>,
    /// The member concerned (member added or removed), if any.
    pub member_id: Option<Uuid>,
    /// Details, objections and outcomes.
    pub note: String,
}

/// A support measure in a monitoring case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Measure {
    /// What was done (产业帮扶, 就业帮扶, 医疗救助, ...).
    pub description: String,
    /// When it was carried out; none while only planned.
    pub carried_out: Option<NaiveDate>,
    /// Who is responsible.
    pub responsible: String,
    /// Details.
    pub note: String,
}

/// One state change of a monitoring case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitoringStateChange {
    /// The new state.
    pub state: Option<MonitoringState>,
    /// When.
    pub date: Option<NaiveDate>,
    /// Who decided.
    pub by: String,
    /// Why.
    pub note: String,
}

/// A 防返贫动态监测 case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitoringCase {
    /// The kind of monitored household.
    pub category: Option<MonitoringCategory>,
    /// Risks identified.
    pub risks: BTreeSet<MonitoringRisk>,
    /// Current state.
    pub state: Option<MonitoringState>,
    /// The year whose threshold applies.
    pub year: i32,
    /// State history, keyed by a fresh id.
    pub changes: BTreeMap<Uuid, MonitoringStateChange>,
    /// Support measures, keyed by a fresh id.
    pub measures: BTreeMap<Uuid, Measure>,
    /// Details.
    pub note: String,
}

/// A signature drawn on screen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Signature {
    /// Who signs: the surveyor or the household head.
    pub role: Option<SignerRole>,
    /// The signer's name.
    pub name: String,
    /// The app user who collected the signature.
    pub collected_by: String,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The drawn signature.
    pub image: PhotoRef,
    /// The document heads the signature covers (hex change hashes).
    pub covers_heads: BTreeSet<String>,
}

/// A note acknowledging a warning before signing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckNote {
    /// The check acknowledged.
    pub check_id: String,
    /// The field path it concerned.
    pub path: String,
    /// Who wrote the note.
    pub by: String,
    /// Why the warning is acceptable.
    pub note: String,
}

/// The household file (一户一档). `id` never changes; the household document is keyed by it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Household {
    /// Local UUID, made when the household is first created; never changes.
    pub id: Uuid,
    /// National household number, when known.
    pub national_number: String,
    /// The member who is 户主.
    pub head_member_id: Option<Uuid>,
    /// Administrative area.
    pub area: Area,
    /// Address.
    pub address: String,
    /// 联系电话 (11-digit mobile).
    pub phone: String,
    /// 识别标准.
    pub standard: Option<IdentificationStandard>,
    /// 贫困户属性.
    pub attribute: Option<PovertyAttribute>,
    /// 户类型 (2021 on).
    pub household_type: Option<HouseholdType>,
    /// 主要致贫原因.
    pub main_cause: Option<PovertyCause>,
    /// 其他致贫原因 (up to 2, each different from the main one).
    pub other_causes: BTreeSet<PovertyCause>,
    /// Current status.
    pub status: Option<PovertyStatus>,
    /// Status history with the year of each change.
    pub status_changes: BTreeMap<Uuid, StatusChange>,
    /// Pairings with helpers.
    pub helpers: BTreeMap<Uuid, HelperPairing>,
    /// Flags.
    pub flags: HouseholdFlags,
    /// Business facts for the exclusion rules.
    pub business: BusinessFacts,
    /// Members, keyed by stable UUID.
    pub members: BTreeMap<Uuid, Member>,
    /// Living conditions, one per year.
    pub conditions: BTreeMap<Uuid, LivingConditions>,
    /// Income, one per year.
    pub incomes: BTreeMap<Uuid, Income>,
    /// Visits.
    pub visits: BTreeMap<Uuid, Visit>,
    /// Phone contacts (not visits).
    pub contacts: BTreeMap<Uuid, Contact>,
    /// 六看一问 inspections.
    pub inspections: BTreeMap<Uuid, Inspection>,
    /// 两不愁三保障 assessments.
    pub assessments: BTreeMap<Uuid, Assessment>,
    /// 六步法 and 动态管理 events.
    pub workflow: BTreeMap<Uuid, WorkflowEvent>,
    /// 防返贫 monitoring cases.
    pub monitoring: BTreeMap<Uuid, MonitoringCase>,
    /// Signatures.
    pub signatures: BTreeMap<Uuid, Signature>,
    /// Notes acknowledging warnings.
    pub check_notes: BTreeMap<Uuid, CheckNote>,
    /// Free notes about the household.
    pub note: String,
    /// Set when county staff merged this file into another household's file (the two were one family registered
    /// twice). The merged file is kept whole with its history, but it is closed: its members hold no ID numbers for
    /// the duplicate check and the data checks do not run on it. Absent (not null) while unmerged, so a device's
    /// write never touches the key and cannot race the merge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
}

/// What [`Household::absorb`] took from the other file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Absorbed {
    /// Members added (people not already in the file by ID number, or by name when they have none).
    pub members_added: usize,
    /// Entries of the other collections added (conditions, incomes, visits, contacts, inspections, ...).
    pub entries_added: usize,
    /// Labels of the fields that were blank here and were filled from the other file.
    pub fields_filled: Vec<String>,
}

impl Household {
    /// A new, empty household file with the given id.
    pub fn new(id: Uuid) -> Self {
        Household { id, ..Default::default() }
    }

    /// The 户主, if the head reference points at a member.
    pub fn head(&self) -> Option<&Member> {
        self.head_member_id.and_then(|id| self.members.get(&id))
    }

    /// The 户主's name, or an empty string.
    pub fn head_name(&self) -> &str {
        self.head().map(|m| m.name.as_str()).unwrap_or("")
    }

    /// Members whose ID numbers count in the county-wide duplicate check: the registered ones, and none at all once
    /// the file has been merged into another.
    pub fn id_holding_members(&self) -> impl Iterator<Item = (&Uuid, &Member)> {
        self.registered_members().filter(|_| self.merged_into.is_none())
    }

    /// Takes into this file what the other file of the same family holds and this one lacks, for a merge of
    /// duplicates: its other members, every entry of its collections not already here (by key), and its values
    /// for fields left blank here. Nothing here is overwritten. Signatures and check notes stay with the file they
    /// were made on, since they vouch for that file's contents.
    pub fn absorb(&mut self, other: &Household) -> Absorbed {
        let mut absorbed = Absorbed::default();
        // Who in this file each of the other file's members is: the same person (by ID number, or by name when
        // there is none) keeps this file's member, so references to them are rewritten to it.
        let by_number: BTreeMap<String, Uuid> = self
            .members
            .iter()
            .filter_map(|(id, m)| crate::idcard::index_key(&m.id_number).map(|n| (n, *id)))
            .collect();
        let by_name: BTreeMap<String, Uuid> =
            self.members.iter().map(|(id, m)| (m.name.trim().to_string(), *id)).collect();
        let mut same_as: BTreeMap<Uuid, Uuid> = BTreeMap::new();
        for (id, member) in &other.members {
            let here = match crate::idcard::index_key(&member.id_number) {
                Some(number) => by_number.get(&number),
                None => by_name.get(member.name.trim()),
            };
            match here {
                Some(here) => {
                    same_as.insert(*id, *here);
                }
                None if !self.members.contains_key(id) => {
                    self.members.insert(*id, member.clone());
                    absorbed.members_added += 1;
                }
                None => {}
            }
        }
        fn add_missing<T: Clone>(mine: &mut BTreeMap<Uuid, T>, theirs: &BTreeMap<Uuid, T>) -> usize {
            let before = mine.len();
            for (id, entry) in theirs {
                mine.entry(*id).or_insert_with(|| entry.clone());
            }
            mine.len() - before
        }
        absorbed.entries_added += add_missing(&mut self.conditions, &other.conditions);
        absorbed.entries_added += add_missing(&mut self.incomes, &other.incomes);
        absorbed.entries_added += add_missing(&mut self.visits, &other.visits);
        absorbed.entries_added += add_missing(&mut self.contacts, &other.contacts);
        absorbed.entries_added += add_missing(&mut self.inspections, &other.inspections);
        absorbed.entries_added += add_missing(&mut self.assessments, &other.assessments);
        let mut workflow = other.workflow.clone();
        for event in workflow.values_mut() {
            if let Some(member) = event.member_id.and_then(|m| same_as.get(&m)) {
                event.member_id = Some(*member);
            }
        }
        absorbed.entries_added += add_missing(&mut self.workflow, &workflow);
        absorbed.entries_added += add_missing(&mut self.monitoring, &other.monitoring);
        absorbed.entries_added += add_missing(&mut self.helpers, &other.helpers);
        absorbed.entries_added += add_missing(&mut self.status_changes, &other.status_changes);

        let mut fill = |label: &str, blank: bool| {
            if blank {
                absorbed.fields_filled.push(label.to_string());
            }
            blank
        };
        if fill("户编号", self.national_number.trim().is_empty() && !other.national_number.trim().is_empty()) {
            self.national_number = other.national_number.clone();
        }
        if fill("住址", self.address.trim().is_empty() && !other.address.trim().is_empty()) {
            self.address = other.address.clone();
        }
        if fill("联系电话", self.phone.trim().is_empty() && !other.phone.trim().is_empty()) {
            self.phone = other.phone.clone();
        }
        if fill("识别标准", self.standard.is_none() && other.standard.is_some()) {
            self.standard = other.standard;
        }
        if fill("贫困户属性", self.attribute.is_none() && other.attribute.is_some()) {
            self.attribute = other.attribute;
        }
        if fill("户类型", self.household_type.is_none() && other.household_type.is_some()) {
            self.household_type = other.household_type;
        }
        if fill("主要致贫原因", self.main_cause.is_none() && other.main_cause.is_some()) {
            self.main_cause = other.main_cause;
        }
        if fill("贫困状态", self.status.is_none() && other.status.is_some()) {
            self.status = other.status;
        }
        if fill("其他致贫原因", self.other_causes.is_empty() && !other.other_causes.is_empty()) {
            self.other_causes = other.other_causes.clone();
        }
        if fill("村民小组", self.area.group.trim().is_empty() && !other.area.group.trim().is_empty()) {
            self.area.group = other.area.group.clone();
        }
        if fill("备注", self.note.trim().is_empty() && !other.note.trim().is_empty()) {
            self.note = other.note.clone();
        }
        let head_known = self.head_member_id.is_some_and(|id| self.members.contains_key(&id));
        let other_head_here = other
            .head_member_id
            .map(|id| same_as.get(&id).copied().unwrap_or(id))
            .filter(|id| self.members.contains_key(id));
        if fill("户主", !head_known && other_head_here.is_some()) {
            self.head_member_id = other_head_here;
        }
        absorbed
    }

    /// Members still in the household (在册).
    pub fn registered_members(&self) -> impl Iterator<Item = (&Uuid, &Member)> {
        self.members.iter().filter(|(_, m)| m.is_registered())
    }

    /// 家庭人口数: members still in the household.
    pub fn size(&self) -> usize {
        self.registered_members().count()
    }

    /// The living-conditions record for a year (the first one, if two were made for the same year).
    pub fn conditions_for(&self, year: i32) -> Option<&LivingConditions> {
        self.conditions.values().find(|c| c.year == year)
    }

    /// The income record for a year (the first one, if two were made for the same year).
    pub fn income_for(&self, year: i32) -> Option<&Income> {
        self.incomes.values().find(|c| c.year == year)
    }

    /// The most recent living-conditions record.
    pub fn latest_conditions(&self) -> Option<&LivingConditions> {
        self.conditions.values().max_by_key(|c| c.year)
    }

    /// The most recent income record.
    pub fn latest_income(&self) -> Option<&Income> {
        self.incomes.values().max_by_key(|c| c.year)
    }

    /// The most recent inspection.
    pub fn latest_inspection(&self) -> Option<(&Uuid, &Inspection)> {
        self.inspections.iter().max_by_key(|(_, i)| i.inspected_at)
    }

    /// The most recent assessment.
    pub fn latest_assessment(&self) -> Option<(&Uuid, &Assessment)> {
        self.assessments.iter().max_by_key(|(_, a)| a.assessed_at)
    }

    /// Helper pairings active on a day.
    pub fn active_helpers(&self, on: NaiveDate) -> impl Iterator<Item = &HelperPairing> {
        self.helpers.values().filter(move |p| p.start.is_none_or(|s| s <= on) && p.end.is_none_or(|e| e >= on))
    }

    /// Every photo reference in the file, with the document path of its containing map entry.
    pub fn photo_refs(&self) -> Vec<(String, &PhotoRef)> {
        let mut out = Vec::new();
        for (vid, visit) in &self.visits {
            for (pid, p) in &visit.photos {
                out.push((format!("visits/{vid}/photos/{pid}"), p));
            }
        }
        for (iid, insp) in &self.inspections {
            for item in InspectionItem::ALL {
                for (pid, p) in &insp.items.record(*item).photos {
                    let key = InspectionItems::key(*item);
                    out.push((format!("inspections/{iid}/items/{key}/record/photos/{pid}"), p));
                }
            }
        }
        for (sid, sig) in &self.signatures {
            if !sig.image.sha256.is_empty() {
                out.push((format!("signatures/{sid}/image"), &sig.image));
            }
        }
        out
    }

    /// Whether a signature of the given role exists.
    pub fn is_signed_by(&self, role: SignerRole) -> bool {
        self.signatures.values().any(|s| s.role == Some(role))
    }
}
