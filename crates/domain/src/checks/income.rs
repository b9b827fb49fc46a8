//! Yearly records: one per year, income against the members, per-capita income, and land.

use super::{Facts, Findings};
use crate::income::yuan;
use std::collections::BTreeMap;
use uuid::Uuid;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    duplicate_years(
        out,
        "income.duplicate_year",
        "incomes",
        "收入",
        household.incomes.iter().map(|(id, r)| (id, r.year)),
    );
    duplicate_years(
        out,
        "conditions.duplicate_year",
        "conditions",
        "生活条件",
        household.conditions.iter().map(|(id, r)| (id, r.year)),
    );
    latest_income(facts, out);
    land(facts, out);
}

/// Two records for one year happen when two workers each created one offline; both are kept by the merge.
/// The first in key order is the one every calculation uses, so each other one is reported on its own path.
fn duplicate_years<'a>(
    out: &mut Findings<'_>,
    check_id: &'static str,
    collection: &str,
    what: &str,
    records: impl Iterator<Item = (&'a Uuid, i32)>,
) {
    let mut by_year: BTreeMap<i32, Vec<&Uuid>> = BTreeMap::new();
    for (id, year) in records {
        by_year.entry(year).or_default().push(id);
    }
    for (year, ids) in by_year {
        let count = ids.len();
        for id in ids.into_iter().skip(1) {
            out.add(
                check_id,
                format!("{collection}/{id}"),
                None,
                format!("{year}年有{count}条{what}记录（可能是两人离线各建了一条），计算只使用其中一条，请核对后合并"),
            );
        }
    }
}

fn latest_income(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let Some((id, income)) = facts.latest_income else {
        return;
    };
    let year = income.year;

    if income.business_total_fen() > 0 && income.business_expense_fen <= 0 {
        out.add(
            "income.business_expense",
            format!("incomes/{id}/business_expense_fen"),
            None,
            format!(
                "{year}年有生产经营性收入{}元，但生产经营性支出为{}元",
                yuan(income.business_total_fen()),
                yuan(income.business_expense_fen)
            ),
        );
    }

    let anyone_works = facts.registered().any(|(_, member)| member.work.place.is_some() || member.work.months > 0);
    if income.wage_fen > 0 && !anyone_works {
        out.add(
            "income.wage_worker",
            format!("incomes/{id}/wage_fen"),
            None,
            format!("{year}年有工资性收入{}元，但没有在册成员登记务工地点或务工时间", yuan(income.wage_fen)),
        );
    }

    // Without a registered member there is no per-capita figure; the missing 户主 is reported by the structure checks.
    let Some(per_capita) = income.per_capita_fen(facts.size) else {
        return;
    };
    let limits = &facts.policy().limits;
    if per_capita <= 0 {
        out.add(
            "income.per_capita_range",
            format!("incomes/{id}"),
            None,
            format!("{year}年人均纯收入为{}元，应大于0", yuan(per_capita)),
        );
    } else if per_capita > limits.max_per_capita_fen {
        out.add(
            "income.per_capita_range",
            format!("incomes/{id}"),
            None,
            format!("{year}年人均纯收入为{}元，超过上限{}元", yuan(per_capita), yuan(limits.max_per_capita_fen)),
        );
    }

    if let Some(declared) = income.declared_per_capita_fen
        && (declared - per_capita).abs() > limits.per_capita_tolerance_fen
    {
        out.add(
            "income.per_capita_mismatch",
            format!("incomes/{id}/declared_per_capita_fen"),
            None,
            format!(
                "{year}年填报的人均纯收入{}元，与按收入和{}人计算的{}元不一致",
                yuan(declared),
                facts.size,
                yuan(per_capita)
            ),
        );
    }
}

fn land(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let Some((id, conditions)) = facts.latest_conditions else {
        return;
    };
    let limits = &facts.policy().limits;
    let cultivated = conditions.cultivated_mu;
    let path = format!("conditions/{id}/cultivated_mu");
    if facts.size > 0 {
        let per_person = cultivated / facts.size as f64;
        if per_person > limits.max_cultivated_mu_per_person {
            out.add(
                "land.per_person",
                path.clone(),
                None,
                format!(
                    "{}年耕地{cultivated:.1}亩、{}人，人均{per_person:.1}亩，超过{}亩",
                    conditions.year, facts.size, limits.max_cultivated_mu_per_person
                ),
            );
        }
    }
    if cultivated > limits.max_cultivated_mu_per_household {
        out.add(
            "land.per_household",
            path,
            None,
            format!("{}年耕地{cultivated:.1}亩，超过每户{}亩", conditions.year, limits.max_cultivated_mu_per_household),
        );
    }
}
