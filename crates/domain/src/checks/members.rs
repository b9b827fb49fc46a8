//! Per-member checks: age against school, labour and work, and the member's own fields.

use super::{Facts, Findings, in_school, is_mobile, who};
use crate::codes::{Health, LabourSkill, SchoolStatus};
use crate::household::Member;
use uuid::Uuid;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    for (id, member) in facts.registered() {
        if let Some(age) = facts.ages.get(id) {
            age_rules(facts, out, *id, member, *age);
        }
        own_fields(out, *id, member);
    }
}

fn age_rules(facts: &Facts<'_>, out: &mut Findings<'_>, id: Uuid, member: &Member, age: i32) {
    let name = who(member);
    if age < 16
        && let Some(labour) = member.labour
        && labour != LabourSkill::None
    {
        out.add(
            "age.labour_under_16",
            format!("members/{id}/labour"),
            Some(id),
            format!("{name}{age}岁，未满16周岁，劳动技能应为“无劳动力”，登记为“{labour}”"),
        );
    }

    // Health counts as healthy when it says only 健康 or nothing at all: an unrecorded illness cannot excuse the
    // contradiction, it is one more thing to record.
    let healthy = member.health.iter().all(|health| *health == Health::Healthy);
    if (16..=60).contains(&age)
        && healthy
        && !in_school(member)
        && let Some(labour @ (LabourSkill::None | LabourSkill::Lost)) = member.labour
    {
        out.add(
            "age.adult_no_labour",
            format!("members/{id}/labour"),
            Some(id),
            format!("{name}{age}岁、健康且不在校，劳动技能不应为“{labour}”"),
        );
    }

    // On a household marked 脱贫 the same fact is the stronger `exit.child_out_of_school` error; reporting both would
    // ask the worker to fix one thing twice. If a county switches the exit check off, the warning comes back.
    let reported_as_exit = facts.is_exited() && out.enabled("exit.child_out_of_school");
    if (6..=15).contains(&age) && !in_school(member) && !reported_as_exit {
        out.add(
            "age.compulsory_school",
            format!("members/{id}/school"),
            Some(id),
            format!("{name}{age}岁，处于义务教育年龄，但在校生状况为“{}”", school_label(member)),
        );
    }

    if member.school == Some(SchoolStatus::Primary) && age > 20 {
        out.add(
            "age.primary_over_20",
            format!("members/{id}/school"),
            Some(id),
            format!("{name}{age}岁，在校生状况不应为“小学”（小学在校生不超过20周岁）"),
        );
    }

    if let Some(school) = member.school
        && school.is_senior_high()
        && age < 14
    {
        out.add(
            "age.high_school_under_14",
            format!("members/{id}/school"),
            Some(id),
            format!("{name}{age}岁，在校生状况不应为“{school}”（高中在校生不小于14周岁）"),
        );
    }

    if let Some(place) = member.work.place
        && age < 16
    {
        out.add(
            "age.work_under_16",
            format!("members/{id}/work/place"),
            Some(id),
            format!("{name}{age}岁，未满16周岁，不应登记务工地点“{place}”"),
        );
    }
}

fn own_fields(out: &mut Findings<'_>, id: Uuid, member: &Member) {
    let name = who(member);
    if member.work.months > 12 {
        out.add(
            "member.work_months",
            format!("members/{id}/work/months"),
            Some(id),
            format!("{name}的务工时间为{}个月，应为0至12个月", member.work.months),
        );
    }

    let ill = member.health.contains(&Health::Chronic) || member.health.contains(&Health::Serious);
    if ill && member.disease.trim().is_empty() {
        out.add(
            "member.health_details",
            format!("members/{id}/disease"),
            Some(id),
            format!("{name}患有长期慢性病或大病，但未填写疾病名称"),
        );
    }
    if member.health.contains(&Health::Disabled) {
        if member.disability_category.trim().is_empty() {
            out.add(
                "member.health_details",
                format!("members/{id}/disability_category"),
                Some(id),
                format!("{name}为残疾，但未填写残疾类别"),
            );
        }
        if !member.disability_grade.is_some_and(|grade| (1..=4).contains(&grade)) {
            out.add(
                "member.health_details",
                format!("members/{id}/disability_grade"),
                Some(id),
                format!("{name}为残疾，残疾等级应为1至4级"),
            );
        }
    }

    if !member.phone.trim().is_empty() && !is_mobile(&member.phone) {
        out.add(
            "member.phone",
            format!("members/{id}/phone"),
            Some(id),
            format!("{name}的联系电话“{}”不是1开头的11位手机号码", member.phone.trim()),
        );
    }
}

/// The school status as the form prints it, or “未填写”.
pub(super) fn school_label(member: &Member) -> &'static str {
    member.school.map_or("未填写", SchoolStatus::label)
}
