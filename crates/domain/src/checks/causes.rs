//! Causes of poverty (致贫原因) and welfare (低保, 特困供养) against the facts recorded about the members.

use super::{Facts, Findings, can_work, in_school, who};
use crate::codes::{Health, IdType, PovertyCause};
use crate::income::yuan;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    causes(facts, out);
    welfare(facts, out);
}

fn causes(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    let main = household.main_cause;
    let has_cause = |cause| main == Some(cause) || household.other_causes.contains(&cause);
    // The finding points at the field that names the cause, so the worker knows which of the two to look at.
    let cause_path = |cause| if main == Some(cause) { "main_cause" } else { "other_causes" }.to_string();

    let anyone_ill = facts
        .registered()
        .any(|(_, member)| member.health.contains(&Health::Chronic) || member.health.contains(&Health::Serious));
    if has_cause(PovertyCause::Illness) && !anyone_ill {
        out.add(
            "cause.illness",
            cause_path(PovertyCause::Illness),
            None,
            "致贫原因为“因病”，但没有在册成员的健康状况为“长期慢性病”或“患有大病”".to_string(),
        );
    }

    // A 残疾人证 is itself proof of disability, even where the health field was left unticked.
    let anyone_disabled = facts
        .registered()
        .any(|(_, member)| member.health.contains(&Health::Disabled) || member.id_type == Some(IdType::DisabilityCard));
    if has_cause(PovertyCause::Disability) && !anyone_disabled {
        out.add(
            "cause.disability",
            cause_path(PovertyCause::Disability),
            None,
            "致贫原因为“因残”，但没有在册成员的健康状况为“残疾”".to_string(),
        );
    }

    if has_cause(PovertyCause::Schooling) && !facts.registered().any(|(_, member)| in_school(member)) {
        out.add(
            "cause.schooling",
            cause_path(PovertyCause::Schooling),
            None,
            "致贫原因为“因学”，但没有在册成员是在校生".to_string(),
        );
    }

    let mut problems = Vec::new();
    if household.other_causes.len() > 2 {
        problems.push(format!("填写了{}项，最多两项", household.other_causes.len()));
    }
    if let Some(main) = main
        && household.other_causes.contains(&main)
    {
        problems.push(format!("“{main}”与主要致贫原因相同"));
    }
    if !problems.is_empty() {
        out.add("cause.other_causes", "other_causes".to_string(), None, format!("其他致贫原因{}", problems.join("；")));
    }
}

fn welfare(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    let Some(attribute) = household.attribute else {
        return;
    };

    if attribute.is_dibao() {
        if !facts.registered().any(|(_, member)| member.welfare.dibao) {
            out.add(
                "welfare.dibao_member",
                "attribute".to_string(),
                None,
                format!("贫困户属性为“{attribute}”，但没有在册成员享受低保"),
            );
        }
        match facts.latest_income {
            Some((id, income)) if income.transfer.dibao_fen <= 0 => out.add(
                "welfare.dibao_amount",
                format!("incomes/{id}/transfer/dibao_fen"),
                None,
                format!(
                    "贫困户属性为“{attribute}”，但{}年转移性收入中的低保金为{}元，应大于0",
                    income.year,
                    yuan(income.transfer.dibao_fen)
                ),
            ),
            Some(_) => {}
            None => out.add(
                "welfare.dibao_amount",
                "incomes".to_string(),
                None,
                format!("贫困户属性为“{attribute}”，但没有收入记录，无法核实低保金"),
            ),
        }
    }

    if attribute.is_tekun() {
        for (id, member) in facts.registered() {
            if let Some(age) = facts.ages.get(id)
                && (16..=60).contains(age)
                && can_work(member)
                && let Some(labour) = member.labour
            {
                out.add(
                    "welfare.tekun_labour",
                    format!("members/{id}/labour"),
                    Some(*id),
                    format!("贫困户属性为“{attribute}”，但{}{age}岁，劳动技能为“{labour}”", who(member)),
                );
            }
        }
    }
}
