//! Data checks (逻辑关系清): every rule a record must satisfy before it is signed.
//!
//! Each check has a stable id, a default severity (an error blocks signing; a warning needs a note), the field it
//! concerns and a Chinese message naming that field. The built-in checks are listed in [`CHECKS`]; exclusion rules
//! come from the policy file and are reported as `exclusion.<rule id>` (see [`exclusion_severity`]). A policy may
//! override any severity (`check_severities`) and switch any check off (`disabled_checks`).
//!
//! Which members a check looks at: rules about the household as it is now (structure, age, causes, welfare, income,
//! exit standards, exclusion) look only at registered (在册) members, because a member who died or married out no
//! longer counts; the validity of a non-empty ID number is checked for every member, because a wrong number stays
//! wrong after the person leaves and is still exported.
//!
//! Output is deterministic: findings follow the order of [`CHECKS`], then the order of the policy's exclusion rules,
//! and within one check the document path.

mod causes;
mod exclusion;
mod exit;
mod identity;
mod income;
mod members;
mod monitoring;
mod registry;
mod structure;
mod visits;

pub use registry::{
    CHECKS, CheckDef, EXCLUSION_PREFIX, check_def, exclusion_check_id, exclusion_severity, severity_of,
};

use crate::codes::{IdType, LabourSkill, Severity};
use crate::household::{Household, Income, LivingConditions, Member};
use crate::idcard::{IdNumber, IdNumberError, age_on, parse_disability_card, parse_id_number};
use crate::policy::{ExclusionRule, Policy};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a check needs besides the household: the day, the policy, and which households hold each ID number.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    /// The day the check runs (ages and active pairings are computed for it).
    pub today: NaiveDate,
    /// The policy tables.
    pub policy: &'a Policy,
    /// Every ID number (normalised, upper-case X) known in the store or county, with the households holding it.
    /// Only registered (在册) members should be listed: a member who married out of one household and into another
    /// legitimately appears in both files, once as departed. The household being checked may appear in its own lists.
    pub id_holders: &'a HashMap<String, Vec<Uuid>>,
}

/// One problem found in one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable check id, e.g. `id.check_digit`.
    pub check_id: String,
    /// Error (blocks signing) or warning (needs a note).
    pub severity: Severity,
    /// Document path of the field concerned, e.g. `members/<uuid>/id_number`.
    pub path: String,
    /// The member concerned, if the finding is about one member.
    pub member_id: Option<Uuid>,
    /// Message in Chinese naming the field.
    pub message: String,
}

/// Runs every enabled check on one household.
pub fn check_household(household: &Household, ctx: &CheckContext<'_>) -> Vec<Finding> {
    // A file merged into another is closed: what it said now lives in the household that absorbed it.
    if household.merged_into.is_some() {
        return Vec::new();
    }
    let facts = Facts::gather(household, *ctx);
    let mut findings = Findings::new(ctx.policy);
    identity::check(&facts, &mut findings);
    structure::check(&facts, &mut findings);
    members::check(&facts, &mut findings);
    causes::check(&facts, &mut findings);
    income::check(&facts, &mut findings);
    exit::check(&facts, &mut findings);
    visits::check(&facts, &mut findings);
    monitoring::check(&facts, &mut findings);
    exclusion::check(&facts, &mut findings);
    findings.finish()
}

/// The findings that stop a record from being signed: every error, and every warning that no check note explains.
///
/// A note explains a warning when it names the same check and the same path and says something (a blank note is not
/// an explanation). Errors cannot be explained away: the record must be corrected.
pub fn signing_blockers<'a>(household: &Household, findings: &'a [Finding]) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|finding| match finding.severity {
            Severity::Error => true,
            Severity::Warning => !household.check_notes.values().any(|note| {
                note.check_id == finding.check_id && note.path == finding.path && !note.note.trim().is_empty()
            }),
        })
        .collect()
}

/// Facts about a household that several checks need, worked out once.
struct Facts<'a> {
    household: &'a Household,
    ctx: CheckContext<'a>,
    /// The parsed ID number of every member who has one; a birth date after today counts as an invalid birth date.
    ids: BTreeMap<Uuid, Result<IdNumber, IdNumberError>>,
    /// Age on `ctx.today` of every member whose ID number is valid; rules about age skip the others.
    ages: BTreeMap<Uuid, i32>,
    /// 家庭人口数.
    size: usize,
    /// The income record of the latest year (the one [`Household::income_for`] uses if that year has two).
    latest_income: Option<(&'a Uuid, &'a Income)>,
    /// The living-conditions record of the latest year, chosen the same way.
    latest_conditions: Option<(&'a Uuid, &'a LivingConditions)>,
}

impl<'a> Facts<'a> {
    fn gather(household: &'a Household, ctx: CheckContext<'a>) -> Facts<'a> {
        let mut ids = BTreeMap::new();
        let mut ages = BTreeMap::new();
        for (id, member) in &household.members {
            if member.id_number.trim().is_empty() {
                continue;
            }
            let parsed = parse_member_id(member).and_then(|parsed| {
                if parsed.birth_date > ctx.today { Err(IdNumberError::BirthDate) } else { Ok(parsed) }
            });
            if let Ok(parsed) = &parsed {
                ages.insert(*id, age_on(parsed.birth_date, ctx.today));
            }
            ids.insert(*id, parsed);
        }
        Facts {
            household,
            ctx,
            ids,
            ages,
            size: household.size(),
            latest_income: latest_of_year(&household.incomes, |income| income.year),
            latest_conditions: latest_of_year(&household.conditions, |conditions| conditions.year),
        }
    }

    fn policy(&self) -> &'a Policy {
        self.ctx.policy
    }

    fn registered(&self) -> impl Iterator<Item = (&'a Uuid, &'a Member)> + use<'a> {
        self.household.registered_members()
    }

    /// Whether the household is marked as having exited poverty, so the 两不愁三保障 contradictions apply.
    fn is_exited(&self) -> bool {
        self.household.status.is_some_and(|status| status.is_exited())
    }

    /// Whether any registered member's labour skill says they can work.
    fn anyone_can_work(&self) -> bool {
        self.registered().any(|(_, member)| can_work(member))
    }
}

/// The record of the latest year, taking the first in key order when a year has two, as `Household::income_for` does.
fn latest_of_year<T>(records: &BTreeMap<Uuid, T>, year: impl Fn(&T) -> i32) -> Option<(&Uuid, &T)> {
    let latest = records.values().map(&year).max()?;
    records.iter().find(|(_, record)| year(record) == latest)
}

/// Parses a member's number by the rules of its document type; a number with no type recorded is read as a 身份证.
fn parse_member_id(member: &Member) -> Result<IdNumber, IdNumberError> {
    match member.id_type {
        Some(IdType::DisabilityCard) => parse_disability_card(&member.id_number),
        Some(IdType::ResidentId) | None => parse_id_number(&member.id_number),
    }
}

/// How a member is named in messages.
fn who(member: &Member) -> String {
    let name = member.name.trim();
    if name.is_empty() { "未填姓名的成员".to_string() } else { format!("成员“{name}”") }
}

/// Whether a member is enrolled in any school.
fn in_school(member: &Member) -> bool {
    member.school.is_some_and(|school| school.is_student())
}

/// Whether a member's labour skill says they can work.
fn can_work(member: &Member) -> bool {
    member.labour.is_some_and(LabourSkill::can_work)
}

/// Whether a phone number is an 11-digit mainland mobile number (surrounding spaces are forgiven).
fn is_mobile(phone: &str) -> bool {
    let phone = phone.trim();
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// Collects findings, drops those of disabled checks, applies policy severities and sorts them.
struct Findings<'p> {
    policy: &'p Policy,
    rows: Vec<(usize, Finding)>,
}

impl<'p> Findings<'p> {
    fn new(policy: &'p Policy) -> Self {
        Findings { policy, rows: Vec::new() }
    }

    fn enabled(&self, check_id: &str) -> bool {
        self.policy.is_enabled(check_id)
    }

    /// Records a finding of a built-in check.
    fn add(&mut self, check_id: &'static str, path: String, member_id: Option<Uuid>, message: String) {
        let order = CHECKS.iter().position(|def| def.id == check_id);
        debug_assert!(order.is_some(), "check {check_id} is not listed in CHECKS");
        self.push(order.unwrap_or(usize::MAX), check_id.to_string(), path, member_id, message);
    }

    /// Records a finding of the policy's exclusion rule at `index`.
    fn add_exclusion(
        &mut self,
        index: usize,
        rule: &ExclusionRule,
        path: String,
        member_id: Option<Uuid>,
        message: String,
    ) {
        self.push(CHECKS.len() + index, exclusion_check_id(&rule.id), path, member_id, message);
    }

    fn push(&mut self, order: usize, check_id: String, path: String, member_id: Option<Uuid>, message: String) {
        if !self.enabled(&check_id) {
            return;
        }
        let severity = severity_of(&check_id, self.policy);
        self.rows.push((order, Finding { check_id, severity, path, member_id, message }));
    }

    fn finish(mut self) -> Vec<Finding> {
        // A stable sort keeps the order in which one check found several problems on the same path.
        self.rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)));
        self.rows.into_iter().map(|(_, finding)| finding).collect()
    }
}

/// Every ID number held by a registered member of the given households, with the households holding it: what
/// [`CheckContext::id_holders`] expects. Members who left (died, married out) do not count, so a daughter who
/// married out and is registered in her husband's household is not a duplicate.
pub fn id_holders<'a>(households: impl IntoIterator<Item = &'a Household>) -> HashMap<String, Vec<Uuid>> {
    let mut holders: HashMap<String, Vec<Uuid>> = HashMap::new();
    for household in households {
        for (_, member) in household.id_holding_members() {
            if let Some(key) = crate::idcard::index_key(&member.id_number) {
                let list = holders.entry(key).or_default();
                if !list.contains(&household.id) {
                    list.push(household.id);
                }
            }
        }
    }
    for list in holders.values_mut() {
        list.sort();
    }
    holders
}
