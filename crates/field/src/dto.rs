//! The shapes the field app's actions return; `ui/src/api/types.ts` mirrors them field for field.

use hudang_domain::codes::*;
use hudang_domain::{Finding, Policy};
use hudang_record::FieldConflict;
use hudang_store::HouseholdSummary;
use hudang_sync::SyncSummary;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::ErrorDto;

/// What the first screen needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppState {
    /// A device store exists.
    pub initialised: bool,
    /// The data directory.
    pub data_dir: String,
    /// This install's id.
    pub device_id: Option<String>,
    /// A short name for this device.
    pub device_name: Option<String>,
    /// The worker changes are recorded as.
    pub user: Option<String>,
    /// Enrolled with a county server.
    pub enrolled: bool,
    /// The county server.
    pub server_url: Option<String>,
    /// The role code on the server.
    pub role: Option<String>,
    /// The enrolment area, `乡镇/村` keys.
    pub villages: Vec<String>,
    /// A server address from the command line or environment, to prefill the enrolment form.
    pub default_server: Option<String>,
    /// Where bundle exports go unless the worker types another path.
    pub default_export_dir: String,
    /// Today on this device, `YYYY-MM-DD`.
    pub today: String,
    /// Households on this device.
    pub household_count: usize,
}

/// One row of the household list: the store's summary and the text the list filter matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdRow {
    /// Id, 户主, place, status, counts of findings and conflicts.
    #[serde(flatten)]
    pub summary: HouseholdSummary,
    /// Lower-case text the list filter matches (names, pinyin, ID numbers, phones, places), parts separated by `|`.
    pub search: String,
}

/// Everything the household screens show for one household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdView {
    /// The household as the domain serialises it.
    pub household: Json,
    /// Data-check findings.
    pub findings: Vec<Finding>,
    /// Findings that block signing now.
    pub blockers: Vec<Finding>,
    /// Open conflicts.
    pub conflicts: Vec<FieldConflict>,
    /// Registered members, the divisor of per-capita income.
    pub size: usize,
}

/// The fields asked for when registering a household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewHousehold {
    /// 户主姓名.
    pub head_name: String,
    /// 户主身份证号.
    pub head_id_number: String,
    /// 县.
    pub county: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub village: String,
    /// 村民小组.
    pub group: String,
    /// 住址.
    pub address: String,
    /// 联系电话.
    pub phone: String,
}

/// A household's growing collections, each a map keyed by a fresh id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// 家庭成员.
    Members,
    /// 家庭状况 by year.
    Conditions,
    /// 收入 by year.
    Incomes,
    /// 走访.
    Visits,
    /// 电话联系.
    Contacts,
    /// 六看一问.
    Inspections,
    /// 两不愁三保障.
    Assessments,
    /// 帮扶责任人 pairings.
    Helpers,
    /// 贫困状态 changes with their year.
    StatusChanges,
    /// A worker's note on a data-check warning.
    CheckNotes,
}

impl Collection {
    /// The key under the household.
    pub fn key(self) -> &'static str {
        match self {
            Collection::Members => "members",
            Collection::Conditions => "conditions",
            Collection::Incomes => "incomes",
            Collection::Visits => "visits",
            Collection::Contacts => "contacts",
            Collection::Inspections => "inspections",
            Collection::Assessments => "assessments",
            Collection::Helpers => "helpers",
            Collection::StatusChanges => "status_changes",
            Collection::CheckNotes => "check_notes",
        }
    }

    /// The history's action name for adding to it.
    pub fn action(self) -> &'static str {
        match self {
            Collection::Members => "member.add",
            Collection::Conditions => "conditions.add",
            Collection::Incomes => "income.add",
            Collection::Visits => "visit.add",
            Collection::Contacts => "contact.add",
            Collection::Inspections => "inspection.add",
            Collection::Assessments => "assessment.add",
            Collection::Helpers => "helper.add",
            Collection::StatusChanges => "status.add",
            Collection::CheckNotes => "check_note.add",
        }
    }

    /// What people call one entry.
    pub fn label(self) -> &'static str {
        match self {
            Collection::Members => "家庭成员",
            Collection::Conditions => "家庭状况",
            Collection::Incomes => "收入",
            Collection::Visits => "走访记录",
            Collection::Contacts => "电话联系",
            Collection::Inspections => "六看一问",
            Collection::Assessments => "两不愁三保障评估",
            Collection::Helpers => "帮扶责任人",
            Collection::StatusChanges => "贫困状态变更",
            Collection::CheckNotes => "核查说明",
        }
    }
}

/// Where a photo belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhotoTargetDto {
    /// A visit's photos.
    Visit {
        /// The visit.
        visit_id: Uuid,
    },
    /// A 六看一问 item's photos.
    Inspection {
        /// The inspection.
        inspection_id: Uuid,
        /// The item's label, e.g. 看家电.
        item: String,
    },
}

/// Per-capita net income of a draft, with the year's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomePreview {
    /// 家庭纯收入.
    pub net_fen: i64,
    /// 人均纯收入; none for a household with no registered member.
    pub per_capita_fen: Option<i64>,
    /// Registered members.
    pub size: usize,
    /// The year's line.
    pub line_fen: Option<i64>,
    /// Which line (贫困线 to 2020, 防返贫监测标准 after).
    pub line_kind: Option<String>,
    /// Per-capita income is below the line.
    pub below_line: Option<bool>,
}

/// An open conflict with its household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRow {
    /// The household.
    pub household_id: Uuid,
    /// 户主.
    pub head_name: String,
    /// 行政村.
    pub village: String,
    /// 村民小组.
    pub group: String,
    /// The disputed field with every value.
    pub conflict: FieldConflict,
}

/// A plain account of one sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The figures.
    pub summary: SyncSummary,
    /// Why it stopped early, if it did (what was done before stays done).
    pub error: Option<ErrorDto>,
    /// The account in Chinese sentences.
    pub lines: Vec<String>,
}

/// What a bundle export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleExport {
    /// The file.
    pub path: String,
    /// Households in it.
    pub households: usize,
    /// Changes in it.
    pub changes: usize,
    /// Photos in it.
    pub photos: usize,
    /// File size.
    pub bytes: u64,
}

/// What a bundle import did, in Chinese sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleImportDto {
    /// The account.
    pub lines: Vec<String>,
}

/// One 六看一问 item: its label and its key under an inspection's `items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemKey {
    /// The label, e.g. 看家电.
    pub label: String,
    /// The key, e.g. `appliances`.
    pub key: String,
}

/// A 民族 code and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EthnicDto {
    /// GB 3304 code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// The code lists the forms offer, by their Chinese names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLists {
    /// List name -> labels in form order.
    pub lists: std::collections::BTreeMap<String, Vec<String>>,
    /// 六看一问 in checklist order.
    pub inspection_items: Vec<ItemKey>,
    /// 两不愁三保障 in order.
    pub assurance_items: Vec<ItemKey>,
    /// 民族 table.
    pub ethnic_groups: Vec<EthnicDto>,
}

fn labels<T: Copy + std::fmt::Display>(all: &[T]) -> Vec<String> {
    all.iter().map(|c| c.to_string()).collect()
}

impl CodeLists {
    pub(crate) fn new(policy: &Policy) -> CodeLists {
        let mut lists = std::collections::BTreeMap::new();
        macro_rules! add {
            ($($t:ty),+) => { $( lists.insert(<$t>::LIST_NAME.to_string(), labels(<$t>::ALL)); )+ };
        }
        add!(
            Sex,
            IdentificationStandard,
            PovertyAttribute,
            HouseholdType,
            PovertyCause,
            PovertyStatus,
            IdType,
            Relation,
            Education,
            SchoolStatus,
            Health,
            LabourSkill,
            WorkPlace,
            MemberStatus,
            HouseStructure,
            DangerGrade,
            RoadType,
            Fuel,
            Rating,
            InspectionItem,
            AssuranceItem,
            SignerRole,
            Severity
        );
        let inspection_items = InspectionItem::ALL
            .iter()
            .map(|item| ItemKey {
                label: item.label().to_string(),
                key: hudang_domain::InspectionItems::key(*item).to_string(),
            })
            .collect();
        let assurance_items = AssuranceItem::ALL
            .iter()
            .map(|item| ItemKey { label: item.label().to_string(), key: assurance_key(*item).to_string() })
            .collect();
        let ethnic_groups =
            policy.ethnic_groups.iter().map(|g| EthnicDto { code: g.code.clone(), name: g.name.clone() }).collect();
        CodeLists { lists, inspection_items, assurance_items, ethnic_groups }
    }
}

fn assurance_key(item: AssuranceItem) -> &'static str {
    match item {
        AssuranceItem::Food => "food",
        AssuranceItem::Clothing => "clothing",
        AssuranceItem::Education => "education",
        AssuranceItem::Medical => "medical",
        AssuranceItem::Housing => "housing",
        AssuranceItem::Water => "water",
    }
}
