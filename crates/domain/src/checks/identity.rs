//! ID number checks: presence, format, birth date, GB 11643 check digit, sex parity, duplicates.

use super::{Facts, Findings, who};
use crate::codes::IdType;
use crate::household::Member;
use crate::idcard::IdNumberError;
use std::collections::BTreeMap;
use uuid::Uuid;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    for (id, member) in &household.members {
        let path = format!("members/{id}/id_number");
        let kind = number_kind(member);
        match facts.ids.get(id) {
            None => {
                // Only a registered member must have a number: a member who died long ago may never have had one recorded.
                if member.is_registered() {
                    out.add("id.missing", path, Some(*id), format!("{}未填写证件号码", who(member)));
                }
            }
            Some(Err(IdNumberError::Format)) => {
                let rule = match member.id_type {
                    Some(IdType::DisabilityCard) => "应为20位或22位（18位身份证号码加残疾类别和等级）",
                    _ => "应为18位（前17位为数字，最后一位为数字或X）",
                };
                out.add("id.format", path, Some(*id), format!("{}的{kind}格式错误，{rule}", who(member)));
            }
            Some(Err(IdNumberError::BirthDate)) => {
                out.add("id.birth_date", path, Some(*id), format!("{}的{kind}中的出生日期无效", who(member)));
            }
            Some(Err(IdNumberError::CheckDigit)) => {
                out.add("id.check_digit", path, Some(*id), format!("{}的{kind}校验位错误", who(member)));
            }
            Some(Ok(parsed)) => {
                if let Some(sex) = member.sex
                    && sex != parsed.sex
                {
                    out.add(
                        "id.sex_parity",
                        format!("members/{id}/sex"),
                        Some(*id),
                        format!("{}的{kind}第17位表示性别为“{}”，与登记的性别“{}”不符", who(member), parsed.sex, sex),
                    );
                }
            }
        }
    }
    duplicates(facts, out);
}

/// The same number twice in this household, or on another household's registered member.
fn duplicates(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    let mut by_number: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for (id, _) in facts.registered() {
        if let Some(Ok(parsed)) = facts.ids.get(id) {
            by_number.entry(parsed.number.as_str()).or_default().push(*id);
        }
    }
    for (number, holders) in &by_number {
        for id in holders {
            let member = &household.members[id];
            let kind = number_kind(member);
            let message = if let Some(other) = holders.iter().find(|other| *other != id) {
                format!("{}的{kind}与本户{}重复", who(member), who(&household.members[other]))
            } else if facts
                .ctx
                .id_holders
                .get(*number)
                .is_some_and(|households| households.iter().any(|holder| *holder != household.id))
            {
                format!("{}的{kind}已登记在另一户，同一证件号码在全县只能登记一次", who(member))
            } else {
                continue;
            };
            out.add("id.duplicate", format!("members/{id}/id_number"), Some(*id), message);
        }
    }
}

/// The name of the member's number as the form prints it.
fn number_kind(member: &Member) -> &'static str {
    match member.id_type {
        Some(IdType::DisabilityCard) => "残疾人证号码",
        _ => "身份证号码",
    }
}
