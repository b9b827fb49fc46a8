//! Chinese labels for document paths, so conflicts, history and check findings name fields as the users do.

use crate::household::Household;
use uuid::Uuid;

/// The Chinese name of one document key; unknown keys (from a newer app) are shown as they are.
pub fn key_label(key: &str) -> &str {
    match key {
        "id" => "户编号(本地)",
        "national_number" => "全国户编号",
        "head_member_id" => "户主",
        "area" => "所属地区",
        "county" => "县",
        "township" => "乡镇",
        "village" => "行政村",
        "group" => "村民小组",
        "address" => "住址",
        "phone" => "联系电话",
        "standard" => "识别标准",
        "attribute" => "贫困户属性",
        "household_type" => "户类型",
        "main_cause" => "主要致贫原因",
        "other_causes" => "其他致贫原因",
        "status" => "状态",
        "status_changes" => "状态变更",
        "helpers" => "帮扶责任人",
        "flags" => "户标识",
        "separated_residence" => "人户分离",
        "split_off" => "分户",
        "split_date" => "分户日期",
        "split_reason" => "分户原因",
        "relocated" => "易地扶贫搬迁户",
        "military_family" => "军烈属",
        "registered_absent" => "空挂户",
        "business" => "生产经营",
        "registered_business" => "经营实体",
        "employs_others" => "长期雇工",
        "members" => "家庭成员",
        "name" => "姓名",
        "sex" => "性别",
        "ethnicity" => "民族",
        "id_type" => "证件类型",
        "id_number" => "证件号码",
        "relation" => "与户主关系",
        "education" => "文化程度",
        "school" => "在校生状况",
        "health" => "健康状况",
        "disease" => "疾病名称",
        "disability_category" => "残疾类别",
        "disability_grade" => "残疾等级",
        "labour" => "劳动技能",
        "work" => "务工",
        "place" => "务工地点",
        "months" => "务工时间(月)",
        "employer" => "务工单位",
        "monthly_income_fen" => "月收入",
        "insurance" => "保险",
        "basic_medical" => "城乡居民基本医疗保险",
        "serious_illness" => "大病保险",
        "pension" => "城乡居民基本养老保险",
        "welfare" => "社会保障",
        "dibao" => "享受低保",
        "tekun" => "特困供养",
        "public_welfare_job" => "公益性岗位",
        "state_payroll" => "财政供养人员",
        "village_cadre" => "现任村干部",
        "status_date" => "状态变更日期",
        "conditions" => "生活条件",
        "year" => "年度",
        "cultivated_mu" => "耕地面积(亩)",
        "forest_mu" => "林地面积(亩)",
        "irrigated_mu" => "有效灌溉面积(亩)",
        "house_area_m2" => "住房面积(m²)",
        "structure" => "房屋结构",
        "build_year" => "建房年份",
        "dangerous" => "是否危房",
        "danger_grade" => "危房等级",
        "renovated_year" => "危房改造年份",
        "water_safe" => "饮水安全",
        "electricity" => "生活用电",
        "road" => "入户路",
        "road_distance_km" => "距主干道(公里)",
        "fuel" => "主要燃料",
        "sanitary_toilet" => "卫生厕所",
        "cooperative" => "加入合作社",
        "incomes" => "收入",
        "wage_fen" => "工资性收入",
        "planting_fen" => "种植收入",
        "breeding_fen" => "养殖收入",
        "forestry_fen" => "林果收入",
        "property" => "财产性收入",
        "dividend_fen" => "分红收入",
        "land_transfer_fen" => "土地流转收入",
        "transfer" => "转移性收入",
        "family_planning_fen" => "计划生育金",
        "dibao_fen" => "低保金",
        "tekun_fen" => "特困供养金",
        "pension_fen" => "养老保险金",
        "eco_compensation_fen" => "生态补偿金",
        "other_fen" => "其他收入",
        "business_expense_fen" => "生产经营性支出",
        "declared_per_capita_fen" => "填报人均纯收入",
        "visits" => "走访",
        "visited_at" => "走访时间",
        "recorded_by" => "记录人",
        "visitors" => "走访人员",
        "gps" => "位置",
        "interviewee" => "受访人",
        "interviewee_relation" => "受访人关系",
        "purpose" => "走访目的",
        "photos" => "照片",
        "contacts" => "电话联系",
        "at" => "时间",
        "with_whom" => "联系对象",
        "inspections" => "六看一问",
        "visit_id" => "所属走访",
        "inspected_at" => "检查时间",
        "inspected_by" => "检查人",
        "items" => "检查项目",
        "record" => "记录",
        "rating" => "评价",
        "recorded_at" => "记录时间",
        "appliances" => "入户看电器",
        "tv" => "电视",
        "fridge" => "冰箱",
        "washing_machine" => "洗衣机",
        "air_conditioner" => "空调",
        "computer" => "电脑",
        "motorbikes" => "摩托车",
        "tricycles" => "三轮车",
        "tractors" => "拖拉机",
        "car" => "汽车",
        "owned" => "拥有",
        "price_fen" => "价格",
        "commercial" => "营运",
        "construction_machinery" => "工程机械",
        "large_farm_vehicle" => "大型农用车",
        "food" => "揭锅看荤素",
        "staple_enough" => "主粮充足",
        "meat_eggs_per_week" => "每周吃肉蛋次数",
        "stored_grain_kg" => "存粮(公斤)",
        "cooking_oil" => "有食用油",
        "housing" => "里外看房屋",
        "rooms" => "房间数",
        "area_m2" => "面积(m²)",
        "decorated" => "装修",
        "toilet" => "厕所",
        "kitchen" => "厨房",
        "water_point" => "入户水源",
        "town_property" => "城镇房产",
        "long_term_medicine" => "长期服药",
        "disability_seen" => "有残疾",
        "able_to_work" => "有劳动能力人数",
        "clothing" => "面对看穿着",
        "seasonal_clothes" => "四季衣物",
        "winter_bedding" => "过冬被褥",
        "livestock" => "圈舍看猪牛",
        "pigs" => "猪",
        "cattle" => "牛",
        "sheep" => "羊",
        "horses_donkeys" => "马驴",
        "poultry" => "家禽",
        "stock" => "存栏",
        "sold" => "出栏",
        "pens_note" => "圈舍情况",
        "neighbours" => "出门问邻舍",
        "statements" => "邻居说法",
        "says_lives_elsewhere" => "反映人户分离",
        "says_hidden_assets" => "反映隐瞒财产",
        "says_split_to_qualify" => "反映分户",
        "assessments" => "两不愁三保障",
        "assessed_at" => "评估时间",
        "assessed_by" => "评估人",
        "medical" => "基本医疗有保障",
        "water" => "饮水安全有保障",
        "met" => "达标",
        "workflow" => "工作流程",
        "step" => "环节",
        "date" => "日期",
        "done_by" => "经办人",
        "signed_by" => "签字人",
        "member_id" => "相关成员",
        "monitoring" => "防返贫监测",
        "category" => "监测类型",
        "risks" => "风险类型",
        "state" => "监测状态",
        "changes" => "状态记录",
        "measures" => "帮扶措施",
        "description" => "措施内容",
        "carried_out" => "落实日期",
        "responsible" => "责任人",
        "by" => "经办人",
        "signatures" => "签字",
        "role" => "签字人身份",
        "collected_by" => "采集人",
        "signed_at" => "签字时间",
        "image" => "签名图片",
        "covers_heads" => "签字版本",
        "check_notes" => "核查说明",
        "check_id" => "检查项",
        "path" => "字段",
        "note" => "备注",
        "caption" => "照片说明",
        "sha256" => "照片指纹",
        other => other,
    }
}

/// Names an entry of a UUID-keyed collection, using the household for context when it has it.
fn entry_label(collection: &str, id: &str, household: Option<&Household>) -> String {
    let uuid = Uuid::parse_str(id).ok();
    let found = household.zip(uuid);
    match collection {
        "members" => match found.and_then(|(h, id)| h.members.get(&id)) {
            Some(m) if !m.name.is_empty() => format!("成员“{}”", m.name),
            _ => "成员".to_string(),
        },
        "conditions" => match found.and_then(|(h, id)| h.conditions.get(&id)) {
            Some(c) => format!("{}年生活条件", c.year),
            None => "生活条件".to_string(),
        },
        "incomes" => match found.and_then(|(h, id)| h.incomes.get(&id)) {
            Some(c) => format!("{}年收入", c.year),
            None => "收入".to_string(),
        },
        "visits" => match found.and_then(|(h, id)| h.visits.get(&id)) {
            Some(v) => format!("{}走访", v.visited_at.format("%Y-%m-%d")),
            None => "走访".to_string(),
        },
        "inspections" => match found.and_then(|(h, id)| h.inspections.get(&id)) {
            Some(i) => format!("{}六看一问", i.inspected_at.format("%Y-%m-%d")),
            None => "六看一问".to_string(),
        },
        "assessments" => match found.and_then(|(h, id)| h.assessments.get(&id)) {
            Some(a) => format!("{}两不愁三保障评估", a.assessed_at.format("%Y-%m-%d")),
            None => "两不愁三保障评估".to_string(),
        },
        other => key_label(other).to_string(),
    }
}

/// The Chinese label of a `/`-separated document path, e.g. `members/<id>/name` → `成员“张三” · 姓名`.
pub fn field_label(path: &str, household: Option<&Household>) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let segment = segments[i];
        let next_is_id = segments.get(i + 1).is_some_and(|s| Uuid::parse_str(s).is_ok());
        if next_is_id {
            // Only the top-level collections have household context; nested ones (photos, measures) are named by kind.
            let context = if i == 0 { household } else { None };
            parts.push(entry_label(segment, segments[i + 1], context));
            i += 2;
            continue;
        }
        // Wrapper maps add nothing a person needs to read.
        if segment != "record" && segment != "items" {
            parts.push(key_label(segment).to_string());
        }
        i += 1;
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::household::Member;

    #[test]
    fn paths_read_as_people_name_fields() {
        let mut h = Household::new(Uuid::from_u128(1));
        let member = Uuid::from_u128(2);
        h.members.insert(member, Member { name: "张三".into(), ..Default::default() });
        assert_eq!(field_label(&format!("members/{member}/name"), Some(&h)), "成员“张三” · 姓名");
        assert_eq!(
            field_label(&format!("members/{member}/insurance/basic_medical"), None),
            "成员 · 保险 · 城乡居民基本医疗保险"
        );
        assert_eq!(field_label("other_causes/因病", None), "其他致贫原因 · 因病");
        let insp = Uuid::from_u128(3);
        assert_eq!(
            field_label(&format!("inspections/{insp}/items/livestock/pigs/stock"), None),
            "六看一问 · 圈舍看猪牛 · 猪 · 存栏"
        );
        assert_eq!(field_label("future_field", None), "future_field");
    }
}
