//! Policy tables that differ by province or year, loaded from data (`fixtures/policy/policy.json`), never written in code.

use crate::codes::{ExclusionEffect, Severity};
use crate::household::Fen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The policy shipped with the app; a county may load its own file instead.
pub const BUILTIN_POLICY_JSON: &str = include_str!("../../../fixtures/policy/policy.json");

/// A policy file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The JSON is malformed or a field has the wrong type.
    #[error("政策文件格式错误：{0}")]
    Malformed(#[from] serde_json::Error),
    /// The JSON parsed but says something impossible.
    #[error("政策文件内容无效：{0}")]
    Invalid(String),
}

/// An amount that applies from a year, with where the figure comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearAmount {
    /// The year.
    pub year: i32,
    /// Per person per year, in fen.
    pub fen: Fen,
    /// Where the figure comes from.
    #[serde(default)]
    pub source: String,
}

/// Which income line applies to a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    /// 贫困线 (to 2020).
    #[serde(rename = "贫困线")]
    PovertyLine,
    /// 防返贫监测标准 (from 2021).
    #[serde(rename = "防返贫监测标准")]
    MonitoringThreshold,
}

/// A condition an exclusion rule tests; parameters come from the policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExclusionCondition {
    /// A registered member is a public servant or on the state payroll.
    StatePayroll,
    /// The household owns a flat or shop in town.
    TownProperty,
    /// The household owns a car worth more than `price_fen`.
    CarOver {
        /// Threshold in fen.
        price_fen: Fen,
    },
    /// The household owns construction machinery.
    ConstructionMachinery,
    /// The household owns a large farm vehicle.
    LargeFarmVehicle,
    /// The household runs a registered, operating business.
    RegisteredBusiness,
    /// The household employs others long term.
    EmploysOthers,
    /// A registered member is a serving village cadre.
    VillageCadre,
    /// The household split off (分户) to qualify.
    SplitToQualify,
    /// Registered but nobody lives here (空挂户).
    RegisteredAbsent,
}

/// A circumstance that exempts a household from an exclusion rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionException {
    /// 易地扶贫搬迁户: relocation housing in town does not count as town property.
    Relocated,
    /// The car is used commercially to earn a living.
    CommercialCar,
}

/// One exclusion rule (e.g. from a province's "十类不准纳入").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionRule {
    /// Stable id, used as the check id (`exclusion.<id>`).
    pub id: String,
    /// The rule as printed, in Chinese.
    pub title: String,
    /// What it tests.
    pub condition: ExclusionCondition,
    /// What exempts a household.
    #[serde(default)]
    pub exceptions: Vec<ExclusionException>,
    /// What happens to a household that meets it.
    pub effect: ExclusionEffect,
    /// Where the rule comes from.
    #[serde(default)]
    pub source: String,
}

/// A GB 3304 民族 entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EthnicGroup {
    /// Two-digit code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Numeric limits used by the data checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// More 耕地 per person than this is flagged.
    pub max_cultivated_mu_per_person: f64,
    /// More 耕地 per household than this is flagged.
    pub max_cultivated_mu_per_household: f64,
    /// A per-capita income above this is flagged.
    pub max_per_capita_fen: Fen,
    /// Tolerated difference between a declared and the computed per-capita income.
    pub per_capita_tolerance_fen: Fen,
}

/// The policy tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Which province or county and year the file describes, and its sources.
    pub name: String,
    /// 贫困线 by year (to 2020).
    pub poverty_lines: Vec<YearAmount>,
    /// 防返贫监测标准 by year (from 2021).
    pub monitoring_thresholds: Vec<YearAmount>,
    /// Exclusion rules.
    pub exclusion_rules: Vec<ExclusionRule>,
    /// Severity overrides by check id; checks not listed keep their default.
    #[serde(default)]
    pub check_severities: BTreeMap<String, Severity>,
    /// Checks a county has switched off.
    #[serde(default)]
    pub disabled_checks: Vec<String>,
    /// Weights of the 六看一问 items when a county scores them, by item name.
    #[serde(default)]
    pub inspection_weights: BTreeMap<String, u32>,
    /// Where the weights come from (they are set by each county and not confirmed).
    #[serde(default)]
    pub inspection_weights_source: String,
    /// GB 3304 民族 codes.
    pub ethnic_groups: Vec<EthnicGroup>,
    /// Numeric limits.
    pub limits: Limits,
}

impl Policy {
    /// Parses and validates a policy file.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy shipped with the app.
    pub fn builtin() -> Policy {
        Policy::from_json(BUILTIN_POLICY_JSON).expect("the shipped policy file is valid")
    }

    fn validate(&self) -> Result<(), PolicyError> {
        for table in [&self.poverty_lines, &self.monitoring_thresholds] {
            if table.iter().any(|a| a.fen <= 0) {
                return Err(PolicyError::Invalid("收入标准必须大于零".into()));
            }
            let mut years: Vec<i32> = table.iter().map(|a| a.year).collect();
            years.sort_unstable();
            if years.windows(2).any(|w| w[0] == w[1]) {
                return Err(PolicyError::Invalid("同一年份出现了两个收入标准".into()));
            }
        }
        let mut ids: Vec<&str> = self.exclusion_rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(PolicyError::Invalid("排除规则编号重复".into()));
        }
        Ok(())
    }

    /// The income line for a year: the poverty line to 2020, the monitoring threshold from 2021.
    /// A year missing from the table uses the latest earlier year of the same kind.
    pub fn line_for(&self, year: i32) -> Option<(LineKind, Fen)> {
        let (kind, table) = if year <= 2020 {
            (LineKind::PovertyLine, &self.poverty_lines)
        } else {
            (LineKind::MonitoringThreshold, &self.monitoring_thresholds)
        };
        table.iter().filter(|a| a.year <= year).max_by_key(|a| a.year).map(|a| (kind, a.fen))
    }

    /// The 民族 name for a GB 3304 code.
    pub fn ethnic_name(&self, code: &str) -> Option<&str> {
        self.ethnic_groups.iter().find(|g| g.code == code).map(|g| g.name.as_str())
    }

    /// Whether a check is switched on.
    pub fn is_enabled(&self, check_id: &str) -> bool {
        !self.disabled_checks.iter().any(|c| c == check_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_loads_and_answers_lines() {
        let policy = Policy::builtin();
        assert_eq!(policy.line_for(2016), Some((LineKind::PovertyLine, 295_200)));
        assert_eq!(policy.line_for(2021), Some((LineKind::MonitoringThreshold, 600_000)));
        assert!(policy.line_for(1990).is_none());
        assert_eq!(policy.ethnic_name("01"), Some("汉族"));
        assert_eq!(policy.ethnic_name("02"), Some("蒙古族"));
        assert_eq!(policy.ethnic_groups.len(), 56);
    }

    #[test]
    fn malformed_and_invalid_policies_are_refused() {
        assert!(matches!(Policy::from_json("{"), Err(PolicyError::Malformed(_))));
        let mut value: serde_json::Value = serde_json::from_str(BUILTIN_POLICY_JSON).unwrap();
        value["poverty_lines"][0]["fen"] = serde_json::json!(-1);
        let err = Policy::from_json(&value.to_string()).unwrap_err();
        assert_eq!(err.to_string(), "政策文件内容无效：收入标准必须大于零");
    }
}
