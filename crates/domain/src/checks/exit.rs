//! 两不愁三保障 contradictions: facts that deny a household marked 脱贫 meets the exit standard.

use super::members::school_label;
use super::{Facts, Findings, in_school, who};
use crate::codes::DangerGrade;
use crate::income::yuan;
use crate::policy::LineKind;

/// The year 饮水安全 joined the exit standard; earlier records were judged without it.
const WATER_STANDARD_FROM: i32 = 2019;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    if !facts.is_exited() {
        return;
    }
    let status = facts.household.status.map_or("", |status| status.label());

    if let Some((id, conditions)) = facts.latest_conditions {
        let year = conditions.year;
        if let Some(grade @ (DangerGrade::C | DangerGrade::D)) = conditions.danger_grade
            && conditions.renovated_year.is_none()
        {
            out.add(
                "exit.dangerous_house",
                format!("conditions/{id}/danger_grade"),
                None,
                format!("该户为“{status}”，但{year}年住房为{grade}危房且未改造（住房安全无保障）"),
            );
        }
        if conditions.house_area_m2 <= 0.0 {
            out.add(
                "exit.no_house",
                format!("conditions/{id}/house_area_m2"),
                None,
                format!("该户为“{status}”，但{year}年住房面积为0（无房，住房安全无保障）"),
            );
        }
        if conditions.water_safe == Some(false) && year >= WATER_STANDARD_FROM {
            out.add(
                "exit.unsafe_water",
                format!("conditions/{id}/water_safe"),
                None,
                format!("该户为“{status}”，但{year}年饮水困难（饮水安全无保障）"),
            );
        }
    }

    for (id, member) in facts.registered() {
        if let Some(age) = facts.ages.get(id)
            && (6..=15).contains(age)
            && !in_school(member)
        {
            out.add(
                "exit.child_out_of_school",
                format!("members/{id}/school"),
                Some(*id),
                format!(
                    "该户为“{status}”，但{}{age}岁，在校生状况为“{}”（义务教育无保障）",
                    who(member),
                    school_label(member)
                ),
            );
        }
        if !member.insurance.basic_medical {
            out.add(
                "exit.no_medical_insurance",
                format!("members/{id}/insurance/basic_medical"),
                Some(*id),
                format!("该户为“{status}”，但{}未参加城乡居民基本医疗保险（基本医疗无保障）", who(member)),
            );
        }
    }

    if let Some((id, income)) = facts.latest_income
        && let Some(per_capita) = income.per_capita_fen(facts.size)
        && let Some((kind, line)) = facts.policy().line_for(income.year)
        && per_capita < line
    {
        out.add(
            "exit.income_below_line",
            format!("incomes/{id}"),
            None,
            format!(
                "该户为“{status}”，但{}年人均纯收入{}元，低于当年{}{}元",
                income.year,
                yuan(per_capita),
                line_name(kind),
                yuan(line)
            ),
        );
    }
}

/// The Chinese name of an income line.
pub(super) fn line_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::PovertyLine => "贫困线",
        LineKind::MonitoringThreshold => "防返贫监测标准",
    }
}
