//! Household structure (户主, 配偶, relations against sex, helper pairing) and the household's own fields.

use super::{Facts, Findings, is_mobile, who};
use crate::codes::Relation;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    let heads: Vec<_> = facts.registered().filter(|(_, member)| member.relation == Some(Relation::Head)).collect();
    match heads.as_slice() {
        [] => out.add(
            "structure.head_count",
            "members".to_string(),
            None,
            "户内没有与户主关系为“户主”的在册成员".to_string(),
        ),
        [(head_id, head)] => {
            if household.head_member_id != Some(**head_id) {
                out.add(
                    "structure.head_reference",
                    "head_member_id".to_string(),
                    None,
                    format!("户主应指向与户主关系为“户主”的{}", who(head)),
                );
            }
            if let Some(head_sex) = head.sex {
                for (id, member) in facts.registered() {
                    if member.relation == Some(Relation::Spouse) && member.sex == Some(head_sex) {
                        out.add(
                            "structure.spouse_sex",
                            format!("members/{id}/sex"),
                            Some(*id),
                            format!(
                                "配偶“{}”的性别与户主“{}”相同（均为“{head_sex}”）",
                                member.name.trim(),
                                head.name.trim()
                            ),
                        );
                    }
                }
            }
        }
        // With several heads the reference and the spouse's sex cannot be judged; the count is the one defect to fix.
        several => {
            let names: Vec<String> = several.iter().map(|(_, member)| who(member)).collect();
            out.add(
                "structure.head_count",
                "members".to_string(),
                None,
                format!("户内有{}名在册成员的与户主关系为“户主”（{}），应当只有一名", several.len(), names.join("、")),
            );
        }
    }

    for (id, member) in facts.registered() {
        if let (Some(relation), Some(sex)) = (member.relation, member.sex)
            && let Some(implied) = relation.implied_sex()
            && implied != sex
        {
            out.add(
                "structure.relation_sex",
                format!("members/{id}/sex"),
                Some(*id),
                format!("{}的与户主关系为“{relation}”，性别应为“{implied}”，登记为“{sex}”", who(member)),
            );
        }
    }

    if household.active_helpers(facts.ctx.today).next().is_none() {
        let today = facts.ctx.today.format("%Y-%m-%d");
        out.add("structure.helper", "helpers".to_string(), None, format!("该户在{today}没有在帮扶期内的帮扶责任人"));
    }

    if !household.phone.trim().is_empty() && !is_mobile(&household.phone) {
        out.add(
            "household.phone",
            "phone".to_string(),
            None,
            format!("户联系电话“{}”不是1开头的11位手机号码", household.phone.trim()),
        );
    }

    let flags = &household.flags;
    if flags.split_off {
        let mut missing = Vec::new();
        if flags.split_date.is_none() {
            missing.push(("flags/split_date", "分户日期"));
        }
        if flags.split_reason.trim().is_empty() {
            missing.push(("flags/split_reason", "分户原因"));
        }
        for (path, field) in missing {
            out.add("household.split_details", path.to_string(), None, format!("该户标记为分户，但未填写{field}"));
        }
    }
}
