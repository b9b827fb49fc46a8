//! The list of built-in checks with their default severities, and how policy changes a severity.
//!
//! The order of [`CHECKS`] is the order findings are reported in, so that the household file reads from top to
//! bottom: identity, structure, members, causes, welfare, income, land, exit standards, visits, monitoring.
//! Exclusion rules are not listed here because their content is policy data; they are reported after every
//! built-in check, in the order of the policy file.

use crate::codes::{ExclusionEffect, Severity};
use crate::policy::Policy;

/// The prefix of the check id of an exclusion rule: rule `car` is reported as `exclusion.car`.
pub const EXCLUSION_PREFIX: &str = "exclusion.";

/// One built-in check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDef {
    /// Stable id, e.g. `id.check_digit`; policy files and check notes refer to it.
    pub id: &'static str,
    /// Severity unless the policy overrides it: an error blocks signing, a warning needs a note.
    pub severity: Severity,
    /// The field concerned, in Chinese as printed on the form.
    pub field: &'static str,
    /// The rule in one Chinese sentence.
    pub title: &'static str,
}

const fn error(id: &'static str, field: &'static str, title: &'static str) -> CheckDef {
    CheckDef { id, severity: Severity::Error, field, title }
}

const fn warning(id: &'static str, field: &'static str, title: &'static str) -> CheckDef {
    CheckDef { id, severity: Severity::Warning, field, title }
}

/// Every built-in check, in reporting order.
///
/// Warnings are kept for facts that can be true of a real household and only need explaining (a 15-year-old who
/// left school, an old paper per-capita figure computed with a different household size, two offline records for
/// one year); everything that makes the record self-contradictory is an error.
pub const CHECKS: &[CheckDef] = &[
    // 身份证号码 (GB 11643), also the 18-character part of a 残疾人证 number.
    error("id.missing", "证件号码", "在册成员必须填写证件号码"),
    error("id.format", "证件号码", "身份证号码为18位（前17位为数字，末位为数字或X）；残疾人证号码为20位或22位"),
    error("id.birth_date", "证件号码", "证件号码中的出生日期必须是真实日期，且不晚于检查当天"),
    error("id.check_digit", "证件号码", "身份证号码第18位必须符合GB 11643校验规则"),
    error("id.sex_parity", "性别", "身份证号码第17位的奇偶必须与性别一致（奇数为男，偶数为女）"),
    error("id.duplicate", "证件号码", "同一证件号码在全县只能登记一次"),
    // 家庭结构.
    error("structure.head_count", "与户主关系", "每户有且只有一名在册成员的与户主关系为“户主”"),
    error("structure.head_reference", "户主", "户主必须指向与户主关系为“户主”的成员"),
    error("structure.spouse_sex", "性别", "户主与配偶性别不同"),
    error("structure.relation_sex", "性别", "与户主关系必须与性别一致（如之子为男、之女为女）"),
    error("structure.helper", "帮扶责任人", "每户都有在帮扶期内的帮扶责任人"),
    // 年龄与上学、劳动、务工.
    error("age.labour_under_16", "劳动技能", "未满16周岁的成员应为无劳动力"),
    error("age.adult_no_labour", "劳动技能", "16至60周岁、健康且非在校生的成员不应为无劳动力或丧失劳动力"),
    warning("age.compulsory_school", "在校生状况", "6至15周岁的成员应当在校（义务教育）"),
    error("age.primary_over_20", "在校生状况", "小学在校生不应超过20周岁"),
    error("age.high_school_under_14", "在校生状况", "高中在校生不应未满14周岁"),
    error("age.work_under_16", "务工地点", "未满16周岁的成员不应外出务工"),
    // 成员的其他字段.
    error("member.work_months", "务工时间", "务工时间为0至12个月"),
    warning("member.health_details", "健康状况", "患病须填写疾病名称；残疾须填写残疾类别和1至4级的等级"),
    error("member.phone", "联系电话", "成员联系电话如填写，须为1开头的11位手机号码"),
    // 户的其他字段.
    error("household.phone", "联系电话", "户联系电话如填写，须为1开头的11位手机号码"),
    warning("household.split_details", "分户", "分户须填写分户日期和原因"),
    // 致贫原因与事实.
    error("cause.illness", "致贫原因", "致贫原因为因病的，须有在册成员患长期慢性病或大病"),
    error("cause.disability", "致贫原因", "致贫原因为因残的，须有在册残疾成员"),
    error("cause.schooling", "致贫原因", "致贫原因为因学的，须有在册在校生"),
    error("cause.other_causes", "其他致贫原因", "其他致贫原因最多两项，且不得与主要致贫原因相同"),
    // 低保与特困供养.
    error("welfare.dibao_member", "享受低保", "低保户须有在册成员享受低保"),
    error("welfare.dibao_amount", "低保金", "低保户最近一年的低保金须大于0"),
    error("welfare.tekun_labour", "劳动技能", "特困供养户不应有16至60周岁且有劳动能力的在册成员"),
    // 收入.
    warning("income.duplicate_year", "收入年份", "同一年份只应有一条收入记录"),
    warning("income.business_expense", "生产经营性支出", "有生产经营性收入的，应有生产经营性支出"),
    error("income.wage_worker", "工资性收入", "有工资性收入的，须有在册成员务工"),
    warning("income.per_capita_range", "年人均纯收入", "年人均纯收入应大于0且不超过政策规定的上限"),
    warning("income.per_capita_mismatch", "年人均纯收入", "填报的年人均纯收入应与按收入和家庭人口数计算的结果一致"),
    // 生活条件与耕地.
    warning("conditions.duplicate_year", "生活条件年份", "同一年份只应有一条生活条件记录"),
    warning("land.per_person", "耕地面积", "人均耕地面积不应超过政策规定的上限"),
    warning("land.per_household", "耕地面积", "户耕地面积不应超过政策规定的上限"),
    // 已脱贫户的两不愁三保障.
    error("exit.dangerous_house", "危房等级", "已脱贫户不应住在未改造的C级或D级危房"),
    error("exit.no_house", "住房面积", "已脱贫户须有住房（住房面积不为0）"),
    error("exit.unsafe_water", "饮水安全", "已脱贫户饮水须安全（2019年起）"),
    error("exit.child_out_of_school", "在校生状况", "已脱贫户的6至15周岁成员须在校（义务教育有保障）"),
    error("exit.no_medical_insurance", "基本医疗保险", "已脱贫户的在册成员须参加城乡居民基本医疗保险"),
    error("exit.income_below_line", "年人均纯收入", "已脱贫户最近一年的年人均纯收入不应低于当年标准"),
    // 走访.
    error("visit.no_photo", "走访照片", "走访须有至少一张当场拍摄的照片"),
    warning("visit.no_gps", "走访位置", "走访须有设备定位"),
    warning("visit.no_interviewee", "受访人", "走访须记录当面交谈的成年人"),
    // 防返贫动态监测.
    error("monitoring.closed_without_measure", "帮扶措施", "帮扶消除风险的，须至少有一项已落实的帮扶措施"),
    error("monitoring.closed_below_threshold", "年人均纯收入", "帮扶消除风险的，当年人均纯收入须高于当年监测标准"),
    error("monitoring.closed_no_labour", "监测状态", "家中无人有劳动能力的监测户不得消除风险"),
];

/// The built-in check with this id; exclusion rules are not built in and give `None`.
pub fn check_def(id: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|def| def.id == id)
}

/// The check id under which an exclusion rule is reported.
pub fn exclusion_check_id(rule_id: &str) -> String {
    format!("{EXCLUSION_PREFIX}{rule_id}")
}

/// The default severity of an exclusion rule: a rule that excludes (不得纳入) or removes (予以剔除) a household is an
/// error, because signing such a record would certify a household the policy forbids; a rule that only asks for
/// close review (重点核查) is a warning, because the reviewer's note is exactly what the rule asks for.
pub fn exclusion_severity(effect: ExclusionEffect) -> Severity {
    match effect {
        ExclusionEffect::Exclude | ExclusionEffect::Remove => Severity::Error,
        ExclusionEffect::Review => Severity::Warning,
    }
}

/// The severity a check has under a policy: the policy's override if it names the check, else the default of the
/// built-in check or of the exclusion rule. An id that is neither counts as an error, so a misspelt id in a caller can
/// never let a problem through as a mere warning.
pub fn severity_of(id: &str, policy: &Policy) -> Severity {
    if let Some(severity) = policy.check_severities.get(id) {
        return *severity;
    }
    if let Some(def) = check_def(id) {
        return def.severity;
    }
    id.strip_prefix(EXCLUSION_PREFIX)
        .and_then(|rule_id| policy.exclusion_rules.iter().find(|rule| rule.id == rule_id))
        .map_or(Severity::Error, |rule| exclusion_severity(rule.effect))
}
