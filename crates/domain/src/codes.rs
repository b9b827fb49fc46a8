//! National code lists, as closed enums whose serialised form is the Chinese term the users say.
//!
//! Lists that differ by province or year (poverty lines, exclusion rules, 民族 codes) are not here:
//! they are policy data loaded from `fixtures/policy/` (see [`crate::policy`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not on a code list; carries the list's name and the text that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{value}”不是有效的{list}")]
pub struct UnknownCode {
    /// The Chinese name of the code list.
    pub list: &'static str,
    /// The text that matched no entry.
    pub value: String,
}

macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident ($list:literal) { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = $label]
                #[serde(rename = $label)]
                $variant,
            )+
        }

        impl $name {
            /// Every entry, in the order the official form lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The Chinese name of this code list.
            pub const LIST_NAME: &'static str = $list;

            /// The Chinese term, as printed on forms and stored in documents.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|code| code.label() == s.trim())
                    .ok_or_else(|| UnknownCode { list: $list, value: s.to_string() })
            }
        }
    };
}

code_list! {
    /// 性别.
    Sex ("性别") { Male => "男", Female => "女" }
}

code_list! {
    /// 识别标准: which poverty standard the household was identified under.
    IdentificationStandard ("识别标准") { National => "国家标准", Provincial => "省定标准", Municipal => "市定标准" }
}

code_list! {
    /// 贫困户属性 and the 脱贫 counterparts.
    PovertyAttribute ("贫困户属性") {
        General => "一般贫困户",
        Dibao => "低保贫困户",
        Tekun => "特困供养贫困户",
        ExitedGeneral => "脱贫户",
        ExitedDibao => "低保脱贫户",
        ExitedTekun => "特困供养脱贫户",
    }
}

impl PovertyAttribute {
    /// Whether the attribute is one of the 低保 pair.
    pub fn is_dibao(self) -> bool {
        matches!(self, Self::Dibao | Self::ExitedDibao)
    }
    /// Whether the attribute is one of the 特困供养 (五保) pair.
    pub fn is_tekun(self) -> bool {
        matches!(self, Self::Tekun | Self::ExitedTekun)
    }
}

code_list! {
    /// 户类型 (from 2021).
    HouseholdType ("户类型") { Exited => "脱贫户", Ordinary => "普通农户" }
}

code_list! {
    /// 致贫原因.
    PovertyCause ("致贫原因") {
        Illness => "因病",
        Disability => "因残",
        Schooling => "因学",
        Disaster => "因灾",
        LackOfLand => "缺土地",
        LackOfWater => "缺水",
        LackOfSkills => "缺技术",
        LackOfLabour => "缺劳力",
        LackOfCapital => "缺资金",
        PoorTransport => "交通条件落后",
        LackOfDrive => "自身发展动力不足",
        Marriage => "因婚",
        Funeral => "因丧",
        Other => "其他",
    }
}

code_list! {
    /// 贫困状态 of a household.
    PovertyStatus ("贫困状态") {
        NotExited => "未脱贫",
        ExitedSupported => "已脱贫(享受政策)",
        ExitedUnsupported => "已脱贫(不再享受政策)",
        Returned => "返贫",
        Removed => "剔除",
    }
}

impl PovertyStatus {
    /// Whether the household is counted as having exited poverty (the 两不愁三保障 contradictions apply).
    pub fn is_exited(self) -> bool {
        matches!(self, Self::ExitedSupported | Self::ExitedUnsupported)
    }
}

code_list! {
    /// 证件类型.
    IdType ("证件类型") { ResidentId => "身份证", DisabilityCard => "残疾人证" }
}

code_list! {
    /// 与户主关系.
    Relation ("与户主关系") {
        Head => "户主",
        Spouse => "配偶",
        Son => "之子",
        Daughter => "之女",
        DaughterInLaw => "之儿媳",
        SonInLaw => "之女婿",
        Grandson => "之孙子",
        Granddaughter => "之孙女",
        DaughtersSon => "之外孙子",
        DaughtersDaughter => "之外孙女",
        Father => "之父",
        Mother => "之母",
        FatherInLaw => "之岳父",
        MotherInLaw => "之岳母",
        HusbandsFather => "之公公",
        HusbandsMother => "之婆婆",
        Grandfather => "之祖父",
        Grandmother => "之祖母",
        MaternalGrandfather => "之外祖父",
        MaternalGrandmother => "之外祖母",
        Other => "其他",
    }
}

impl Relation {
    /// The sex the relation implies, if it implies one (之子 is male, 之女 female, 配偶 either).
    pub fn implied_sex(self) -> Option<Sex> {
        use Relation::*;
        match self {
            Son | SonInLaw | Grandson | DaughtersSon | Father | FatherInLaw | HusbandsFather | Grandfather
            | MaternalGrandfather => Some(Sex::Male),
            Daughter | DaughterInLaw | Granddaughter | DaughtersDaughter | Mother | MotherInLaw | HusbandsMother
            | Grandmother | MaternalGrandmother => Some(Sex::Female),
            Head | Spouse | Other => None,
        }
    }
}

code_list! {
    /// 文化程度.
    Education ("文化程度") {
        Illiterate => "文盲或半文盲",
        Primary => "小学",
        JuniorHigh => "初中",
        SeniorHigh => "高中",
        College => "大专及以上",
        Preschool => "学龄前儿童",
    }
}

code_list! {
    /// 在校生状况.
    SchoolStatus ("在校生状况") {
        NotInSchool => "非在校生",
        Preschool => "学前教育",
        Primary => "小学",
        Grade7 => "七年级",
        Grade8 => "八年级",
        Grade9 => "九年级",
        HighSchool1 => "高中一年级",
        HighSchool2 => "高中二年级",
        HighSchool3 => "高中三年级",
        Vocational1 => "中职一年级",
        Vocational2 => "中职二年级",
        Vocational3 => "中职三年级",
        HigherVocational1 => "高职一年级",
        HigherVocational2 => "高职二年级",
        HigherVocational3 => "高职三年级",
        College => "大专及以上",
    }
}

impl SchoolStatus {
    /// Whether the member is enrolled in any school (a student).
    pub fn is_student(self) -> bool {
        !matches!(self, Self::NotInSchool)
    }
    /// Whether the member is in senior high school (高中).
    pub fn is_senior_high(self) -> bool {
        matches!(self, Self::HighSchool1 | Self::HighSchool2 | Self::HighSchool3)
    }
}

code_list! {
    /// 健康状况 (a member may have several).
    Health ("健康状况") { Healthy => "健康", Chronic => "长期慢性病", Serious => "患有大病", Disabled => "残疾" }
}

code_list! {
    /// 劳动技能.
    LabourSkill ("劳动技能") {
        Ordinary => "普通劳动力",
        Skilled => "技能劳动力",
        Weak => "弱劳动力或半劳动力",
        Lost => "丧失劳动力",
        None => "无劳动力",
    }
}

impl LabourSkill {
    /// Whether the member can work (ordinary, skilled, or weak labour).
    pub fn can_work(self) -> bool {
        matches!(self, Self::Ordinary | Self::Skilled | Self::Weak)
    }
}

code_list! {
    /// 务工地点.
    WorkPlace ("务工地点") { Township => "乡镇内", County => "县内", Province => "省内", OutOfProvince => "省外" }
}

code_list! {
    /// 人员状态: 在册, or why the member left the household.
    MemberStatus ("人员状态") {
        Registered => "在册",
        Died => "死亡",
        MarriedOut => "婚出",
        MovedOut => "迁出",
        Imprisoned => "服刑",
        Missing => "失踪",
        Army => "参军",
        StatePayroll => "财政供养",
    }
}

code_list! {
    /// 房屋结构.
    HouseStructure ("房屋结构") {
        ReinforcedConcrete => "钢筋混凝土",
        BrickConcrete => "砖混",
        BrickWood => "砖木",
        EarthWood => "土木",
        BambooThatch => "竹草",
        CaveDwelling => "窑洞",
        Other => "其他",
    }
}

code_list! {
    /// 危房等级 (C = partly unsafe, D = wholly unsafe).
    DangerGrade ("危房等级") { A => "A级", B => "B级", C => "C级", D => "D级" }
}

code_list! {
    /// 入户路.
    RoadType ("入户路类型") { Earth => "泥土路", Gravel => "砂石路", Cement => "水泥路", Asphalt => "沥青路" }
}

code_list! {
    /// 主要燃料.
    Fuel ("主要燃料") { Firewood => "柴草", Coal => "煤炭", Electricity => "电", Gas => "液化气", Biogas => "沼气", Other => "其他" }
}

code_list! {
    /// A rating given to one 六看一问 item.
    Rating ("评价") { Good => "好", Fair => "一般", Poor => "差" }
}

code_list! {
    /// The seven items of 六看一问.
    InspectionItem ("六看一问项目") {
        Appliances => "入户看电器",
        Food => "揭锅看荤素",
        Housing => "里外看房屋",
        Health => "抬头看气色",
        Clothing => "面对看穿着",
        Livestock => "圈舍看猪牛",
        Neighbours => "出门问邻舍",
    }
}

code_list! {
    /// The standards of 两不愁三保障 (plus 饮水安全 since 2019).
    AssuranceItem ("两不愁三保障") {
        Food => "不愁吃",
        Clothing => "不愁穿",
        Education => "义务教育有保障",
        Medical => "基本医疗有保障",
        Housing => "住房安全有保障",
        Water => "饮水安全有保障",
    }
}

code_list! {
    /// Steps of 六步法 and its notices, and the events of 动态管理.
    WorkflowStep ("工作流程") {
        PovertyAnalysis => "贫情分析",
        FieldSurvey => "实地调查",
        DataReview => "信息数据复核",
        Proposal => "提出初步方案",
        PublicAppraisal => "公开评议",
        Approval => "逐级审定",
        Notification => "一告知",
        FirstNotice => "第一次公示",
        SecondNotice => "第二次公示",
        Announcement => "公告",
        Objection => "公示异议",
        NewlyIdentified => "新识别",
        Returned => "返贫",
        Exited => "脱贫",
        Removed => "剔除",
        WrongExitReinstated => "错退纠正",
        MemberAdded => "成员增加",
        MemberRemoved => "成员减少",
    }
}

code_list! {
    /// 防返贫动态监测 categories.
    MonitoringCategory ("监测对象类型") {
        UnstableExited => "脱贫不稳定户",
        Marginal => "边缘易致贫户",
        SuddenHardship => "突发严重困难户",
    }
}

code_list! {
    /// 防返贫 risks.
    MonitoringRisk ("风险类型") {
        Illness => "因病",
        Disability => "因残",
        Schooling => "因学",
        Disaster => "因灾",
        Accident => "因意外事故",
        IndustryFailure => "因产业失败",
        UnstableWork => "因务工就业不稳",
        LackOfLabour => "缺劳动力",
        Housing => "住房",
        Water => "饮水",
        Other => "其他",
    }
}

code_list! {
    /// States of a monitoring case.
    MonitoringState ("监测状态") {
        Lead => "线索",
        Verifying => "核查",
        Included => "纳入",
        Supporting => "帮扶",
        RemovedBySupport => "风险消除(帮扶消除)",
        RemovedNaturally => "风险消除(自然消除)",
        Reopened => "风险返回",
    }
}

impl MonitoringState {
    /// Whether the case is closed (risk removed).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::RemovedBySupport | Self::RemovedNaturally)
    }
}

code_list! {
    /// Who signs a record.
    SignerRole ("签字人") { Surveyor => "调查人", HouseholdHead => "户主" }
}

code_list! {
    /// Severity of a data-check finding: an error blocks signing, a warning needs a note.
    Severity ("严重程度") { Error => "错误", Warning => "警告" }
}

code_list! {
    /// What an exclusion rule does to a household that meets it.
    ExclusionEffect ("处理方式") { Exclude => "不得纳入", Review => "重点核查", Remove => "予以剔除" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_through_serde_and_from_str() {
        for relation in Relation::ALL {
            let json = serde_json::to_string(relation).unwrap();
            assert_eq!(json, format!("\"{}\"", relation.label()));
            assert_eq!(&serde_json::from_str::<Relation>(&json).unwrap(), relation);
            assert_eq!(relation.label().parse::<Relation>().unwrap(), *relation);
        }
        let err = "表哥".parse::<Relation>().unwrap_err();
        assert_eq!(err.to_string(), "“表哥”不是有效的与户主关系");
    }

    #[test]
    fn relation_implies_sex() {
        assert_eq!(Relation::Son.implied_sex(), Some(Sex::Male));
        assert_eq!(Relation::MotherInLaw.implied_sex(), Some(Sex::Female));
        assert_eq!(Relation::Spouse.implied_sex(), None);
    }
}
