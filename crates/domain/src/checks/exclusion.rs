//! Exclusion rules (e.g. "十类不准纳入") from the policy file, with their exceptions.
//!
//! Facts come from the household's flags and business facts, its registered members, and the latest 六看一问
//! inspection only: an older inspection describes a car that may since have been sold, and the latest look is what
//! the worker signs for.

use super::{Facts, Findings, who};
use crate::codes::PovertyStatus;
use crate::household::{Inspection, Member};
use crate::income::yuan;
use crate::policy::{ExclusionCondition, ExclusionException, ExclusionRule};
use uuid::Uuid;

/// One fact that meets a rule's condition.
struct Hit {
    path: String,
    member_id: Option<Uuid>,
    subject: String,
}

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    // A household already removed (剔除) has had the rule applied; repeating it would only block its file.
    if facts.household.status == Some(PovertyStatus::Removed) {
        return;
    }
    let inspection = facts.household.latest_inspection();
    for (index, rule) in facts.policy().exclusion_rules.iter().enumerate() {
        if exempt(facts, inspection, rule) {
            continue;
        }
        for hit in hits(facts, inspection, &rule.condition) {
            let message = format!("{}，符合排除规则“{}”（{}）", hit.subject, rule.title, rule.effect);
            out.add_exclusion(index, rule, hit.path, hit.member_id, message);
        }
    }
}

/// Whether one of the rule's exceptions holds for this household.
fn exempt(facts: &Facts<'_>, inspection: Option<(&Uuid, &Inspection)>, rule: &ExclusionRule) -> bool {
    rule.exceptions.iter().any(|exception| match exception {
        ExclusionException::Relocated => facts.household.flags.relocated,
        ExclusionException::CommercialCar => {
            inspection.is_some_and(|(_, inspection)| inspection.items.appliances.car.commercial)
        }
    })
}

fn hits(facts: &Facts<'_>, inspection: Option<(&Uuid, &Inspection)>, condition: &ExclusionCondition) -> Vec<Hit> {
    let household = facts.household;
    let household_hit = |holds: bool, path: &str, subject: &str| {
        if holds { vec![Hit { path: path.to_string(), member_id: None, subject: subject.to_string() }] } else { vec![] }
    };
    let inspection_hit = |holds: fn(&Inspection) -> bool, item_path: &str, subject: &str| match inspection {
        Some((id, inspection)) if holds(inspection) => {
            vec![Hit {
                path: format!("inspections/{id}/items/{item_path}"),
                member_id: None,
                subject: subject.to_string(),
            }]
        }
        _ => vec![],
    };
    let member_hits = |holds: fn(&Member) -> bool, field: &str, what: &str| {
        facts
            .registered()
            .filter(|(_, member)| holds(member))
            .map(|(id, member)| Hit {
                path: format!("members/{id}/{field}"),
                member_id: Some(*id),
                subject: format!("{}{what}", who(member)),
            })
            .collect()
    };

    match condition {
        ExclusionCondition::StatePayroll => member_hits(|m| m.state_payroll, "state_payroll", "为财政供养人员"),
        ExclusionCondition::VillageCadre => member_hits(|m| m.village_cadre, "village_cadre", "为现任村干部"),
        ExclusionCondition::TownProperty => inspection_hit(
            |i| i.items.housing.town_property,
            "housing/town_property",
            "六看一问记录该户在城镇有商品房或门面房",
        ),
        ExclusionCondition::CarOver { price_fen } => match inspection {
            Some((id, inspection))
                if inspection.items.appliances.car.owned && inspection.items.appliances.car.price_fen > *price_fen =>
            {
                vec![Hit {
                    path: format!("inspections/{id}/items/appliances/car/price_fen"),
                    member_id: None,
                    subject: format!(
                        "六看一问记录该户有价值{}元的汽车（超过{}元）",
                        yuan(inspection.items.appliances.car.price_fen),
                        yuan(*price_fen)
                    ),
                }]
            }
            _ => vec![],
        },
        ExclusionCondition::ConstructionMachinery => inspection_hit(
            |i| i.items.appliances.construction_machinery,
            "appliances/construction_machinery",
            "六看一问记录该户有工程机械",
        ),
        ExclusionCondition::LargeFarmVehicle => inspection_hit(
            |i| i.items.appliances.large_farm_vehicle,
            "appliances/large_farm_vehicle",
            "六看一问记录该户有大型农用车",
        ),
        // The 分户 flag alone records a fact, not a motive, and most splits (a son marrying) are legitimate; what the
        // file holds about the motive is the neighbours' statement, so that is what meets "split off to qualify".
        ExclusionCondition::SplitToQualify => inspection_hit(
            |i| i.items.neighbours.says_split_to_qualify,
            "neighbours/says_split_to_qualify",
            "邻居反映该户为享受政策而分户",
        ),
        ExclusionCondition::RegisteredBusiness => household_hit(
            household.business.registered_business,
            "business/registered_business",
            "该户经营登记注册且正常经营的经济实体",
        ),
        ExclusionCondition::EmploysOthers => {
            household_hit(household.business.employs_others, "business/employs_others", "该户长期雇佣他人")
        }
        ExclusionCondition::RegisteredAbsent => household_hit(
            household.flags.registered_absent,
            "flags/registered_absent",
            "该户为空挂户（户口在本村、本人不在本村居住）",
        ),
    }
}
