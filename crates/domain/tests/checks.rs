//! Data checks: a fully valid household has no findings, and planting one defect in it reports exactly the check
//! that names that defect. The table of planted defects must cover every check, so a new check cannot be added
//! without a test.

use chrono::{DateTime, NaiveDate, Utc};
use hudang_domain::checks::{
    CHECKS, CheckContext, Finding, check_def, check_household, exclusion_check_id, severity_of, signing_blockers,
};
use hudang_domain::idcard::{check_char, make_id_number, parse_id_number};
use hudang_domain::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

const HOUSEHOLD: Uuid = Uuid::from_u128(0x1000);
const OTHER_HOUSEHOLD: Uuid = Uuid::from_u128(0x2000);
const HEAD: Uuid = Uuid::from_u128(0x11);
const WIFE: Uuid = Uuid::from_u128(0x12);
const SON: Uuid = Uuid::from_u128(0x13);
const MOTHER: Uuid = Uuid::from_u128(0x14);
const INCOME_2023: Uuid = Uuid::from_u128(0x23);
const INCOME_2024: Uuid = Uuid::from_u128(0x24);
const CONDITIONS_2024: Uuid = Uuid::from_u128(0x34);
const HELPER: Uuid = Uuid::from_u128(0x41);
const VISIT: Uuid = Uuid::from_u128(0x51);
const PHOTO: Uuid = Uuid::from_u128(0x52);
const INSPECTION: Uuid = Uuid::from_u128(0x61);
const CASE: Uuid = Uuid::from_u128(0x71);
const MEASURE: Uuid = Uuid::from_u128(0x72);
/// 蒙自市, where 六看一问 was invented.
const AREA: &str = "532503";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    date(y, m, d).and_hms_opt(2, 30, 0).unwrap().and_utc()
}

/// A valid ID number for a birth date whose 17th digit carries the given sex.
fn id_number(birth: NaiveDate, sex: Sex) -> String {
    make_id_number(AREA, birth, if sex == Sex::Male { 11 } else { 12 })
}

fn member(name: &str, sex: Sex, birth: NaiveDate, relation: Relation) -> Member {
    Member {
        name: name.to_string(),
        sex: Some(sex),
        ethnicity: "16".to_string(),
        id_type: Some(IdType::ResidentId),
        id_number: id_number(birth, sex),
        relation: Some(relation),
        health: BTreeSet::from([Health::Healthy]),
        labour: Some(LabourSkill::Ordinary),
        insurance: Insurance { basic_medical: true, serious_illness: true, pension: true },
        status: Some(MemberStatus::Registered),
        ..Default::default()
    }
}

/// A household, its policy and context, which a test case changes before running the checks.
struct Fixture {
    household: Household,
    policy: Policy,
    id_holders: HashMap<String, Vec<Uuid>>,
    today: NaiveDate,
}

impl Fixture {
    /// A 低保脱贫户 of four, exited and enjoying policy, visited and inspected, with a closed monitoring case:
    /// every check has something to look at and nothing to find.
    fn valid() -> Fixture {
        let mut h = Household::new(HOUSEHOLD);
        h.national_number = "5325030010010001".to_string();
        h.head_member_id = Some(HEAD);
        h.area =
            Area {
                county: "蒙自市".into(), township: "芷村镇".into(), village: "芷村村".into(), group: "一组".into()
            };
        h.address = "芷村镇芷村村一组12号".to_string();
        h.phone = "13812345678".to_string();
        h.standard = Some(IdentificationStandard::National);
        h.attribute = Some(PovertyAttribute::ExitedDibao);
        h.household_type = Some(HouseholdType::Exited);
        h.main_cause = Some(PovertyCause::Illness);
        h.other_causes = BTreeSet::from([PovertyCause::LackOfSkills]);
        h.status = Some(PovertyStatus::ExitedSupported);

        let mut head = member("张建国", Sex::Male, date(1980, 3, 15), Relation::Head);
        head.phone = "13812345678".to_string();
        head.education = Some(Education::JuniorHigh);
        head.school = Some(SchoolStatus::NotInSchool);
        head.work = Work {
            place: Some(WorkPlace::OutOfProvince),
            months: 10,
            employer: "昆明某建筑公司".into(),
            monthly_income_fen: 360_000,
        };

        let mut wife = member("李秀英", Sex::Female, date(1982, 7, 20), Relation::Spouse);
        wife.education = Some(Education::Primary);
        wife.school = Some(SchoolStatus::NotInSchool);
        wife.health = BTreeSet::from([Health::Chronic]);
        wife.disease = "高血压".to_string();
        wife.labour = Some(LabourSkill::Weak);
        wife.welfare.dibao = true;

        let mut son = member("张小明", Sex::Male, date(2013, 9, 1), Relation::Son);
        son.education = Some(Education::Primary);
        son.school = Some(SchoolStatus::Primary);
        son.labour = Some(LabourSkill::None);

        let mut mother = member("王桂花", Sex::Female, date(1953, 1, 10), Relation::Mother);
        mother.education = Some(Education::Illiterate);
        mother.school = Some(SchoolStatus::NotInSchool);
        mother.health = BTreeSet::from([Health::Chronic]);
        mother.disease = "风湿性关节炎".to_string();
        mother.labour = Some(LabourSkill::None);

        h.members = BTreeMap::from([(HEAD, head), (WIFE, wife), (SON, son), (MOTHER, mother)]);

        h.helpers.insert(
            HELPER,
            HelperPairing {
                name: "赵明".into(),
                unit: "蒙自市农业农村局".into(),
                phone: "13900001111".into(),
                start: Some(date(2021, 3, 1)),
                end: None,
            },
        );

        h.conditions.insert(
            CONDITIONS_2024,
            LivingConditions {
                year: 2024,
                cultivated_mu: 8.0,
                forest_mu: 5.0,
                irrigated_mu: 3.0,
                house_area_m2: 96.0,
                structure: Some(HouseStructure::BrickConcrete),
                build_year: Some(2018),
                water_safe: Some(true),
                electricity: true,
                road: Some(RoadType::Cement),
                road_distance_km: 0.5,
                fuel: Some(Fuel::Electricity),
                sanitary_toilet: true,
                ..Default::default()
            },
        );

        // Per capita 2024: (36000 + 6000 − 2000 + 2400 + 1200) ÷ 4 = 10900 yuan, above the 7000 line.
        let mut income_2024 =
            Income { year: 2024, wage_fen: 3_600_000, business_expense_fen: 200_000, ..Default::default() };
        income_2024.business.planting_fen = 600_000;
        income_2024.transfer.dibao_fen = 240_000;
        income_2024.transfer.pension_fen = 120_000;
        // Per capita 2023: (32000 + 5000 − 1500 + 2400 + 1200) ÷ 4 = 9775 yuan, above the 6600 threshold.
        let mut income_2023 =
            Income { year: 2023, wage_fen: 3_200_000, business_expense_fen: 150_000, ..Default::default() };
        income_2023.business.planting_fen = 500_000;
        income_2023.transfer.dibao_fen = 240_000;
        income_2023.transfer.pension_fen = 120_000;
        h.incomes = BTreeMap::from([(INCOME_2023, income_2023), (INCOME_2024, income_2024)]);

        let photo = PhotoRef {
            sha256: "ab".repeat(32),
            mime: "image/jpeg".into(),
            bytes: 250_000,
            width: 1600,
            height: 1200,
            ..Default::default()
        };
        h.visits.insert(
            VISIT,
            Visit {
                visited_at: at(2025, 5, 20),
                recorded_by: "zhao.ming".into(),
                visitors: BTreeSet::from(["赵明".to_string()]),
                gps: Some(Gps { lat: 23.37, lon: 103.38, accuracy_m: Some(8.0) }),
                interviewee: "张建国".into(),
                interviewee_relation: Some(Relation::Head),
                purpose: "季度走访".into(),
                note: "家中正常".into(),
                photos: BTreeMap::from([(PHOTO, photo)]),
            },
        );
        h.inspections.insert(
            INSPECTION,
            Inspection {
                visit_id: Some(VISIT),
                inspected_at: at(2025, 5, 20),
                inspected_by: "zhao.ming".into(),
                ..Default::default()
            },
        );

        let case = MonitoringCase {
            category: Some(MonitoringCategory::UnstableExited),
            risks: BTreeSet::from([MonitoringRisk::Illness]),
            state: Some(MonitoringState::RemovedBySupport),
            year: 2023,
            measures: BTreeMap::from([(
                MEASURE,
                Measure {
                    description: "医疗救助".into(),
                    carried_out: Some(date(2023, 6, 1)),
                    responsible: "赵明".into(),
                    note: String::new(),
                },
            )]),
            ..Default::default()
        };
        h.monitoring.insert(CASE, case);

        let mut id_holders: HashMap<String, Vec<Uuid>> = HashMap::new();
        for m in h.members.values() {
            id_holders.entry(m.id_number.clone()).or_default().push(HOUSEHOLD);
        }
        Fixture { household: h, policy: Policy::builtin(), id_holders, today: date(2025, 6, 1) }
    }

    fn run(&self) -> Vec<Finding> {
        let ctx = CheckContext { today: self.today, policy: &self.policy, id_holders: &self.id_holders };
        check_household(&self.household, &ctx)
    }

    fn member(&mut self, id: Uuid) -> &mut Member {
        self.household.members.get_mut(&id).unwrap()
    }

    fn income(&mut self, id: Uuid) -> &mut Income {
        self.household.incomes.get_mut(&id).unwrap()
    }

    fn conditions(&mut self) -> &mut LivingConditions {
        self.household.conditions.get_mut(&CONDITIONS_2024).unwrap()
    }

    fn visit(&mut self) -> &mut Visit {
        self.household.visits.get_mut(&VISIT).unwrap()
    }

    fn inspection(&mut self) -> &mut InspectionItems {
        &mut self.household.inspections.get_mut(&INSPECTION).unwrap().items
    }

    fn case(&mut self) -> &mut MonitoringCase {
        self.household.monitoring.get_mut(&CASE).unwrap()
    }
}

/// Changes a member's sex and gives them a number that agrees with it, so only the planted defect remains.
fn set_sex(m: &mut Member, sex: Sex) {
    let birth = parse_id_number(&m.id_number).unwrap().birth_date;
    m.sex = Some(sex);
    m.id_number = id_number(birth, sex);
}

fn ids(findings: &[Finding]) -> BTreeSet<&str> {
    findings.iter().map(|f| f.check_id.as_str()).collect()
}

type Mutation = fn(&mut Fixture);

/// One planted defect per row: (the only check expected to report, what to change in the valid fixture).
fn cases() -> Vec<(&'static str, Mutation)> {
    vec![
        // ID numbers.
        ("id.missing", |f| f.member(SON).id_number.clear()),
        ("id.format", |f| f.member(HEAD).id_number = "53250319800315".into()),
        ("id.format", |f| f.member(HEAD).id_number = "53250319800315001Y".into()),
        ("id.birth_date", |f| {
            let first17 = "53250319801332011";
            f.member(HEAD).id_number = format!("{first17}{}", check_char(first17).unwrap());
        }),
        ("id.birth_date", |f| f.member(SON).id_number = id_number(date(2026, 1, 1), Sex::Male)),
        ("id.check_digit", |f| {
            let m = f.member(HEAD);
            let wrong = if m.id_number.ends_with('0') { '1' } else { '0' };
            m.id_number.replace_range(17.., &wrong.to_string());
        }),
        ("id.sex_parity", |f| f.member(SON).id_number = id_number(date(2013, 9, 1), Sex::Female)),
        ("id.duplicate", |f| {
            let number = f.member(HEAD).id_number.clone();
            f.id_holders.insert(number, vec![HOUSEHOLD, OTHER_HOUSEHOLD]);
        }),
        ("id.duplicate", |f| f.member(MOTHER).id_number = f.household.members[&WIFE].id_number.clone()),
        // Structure.
        ("structure.head_count", |f| f.member(WIFE).relation = Some(Relation::Head)),
        ("structure.head_count", |f| f.member(HEAD).relation = Some(Relation::Other)),
        ("structure.head_reference", |f| f.household.head_member_id = Some(SON)),
        ("structure.head_reference", |f| f.household.head_member_id = None),
        ("structure.spouse_sex", |f| set_sex(f.member(WIFE), Sex::Male)),
        ("structure.relation_sex", |f| set_sex(f.member(SON), Sex::Female)),
        ("structure.helper", |f| f.household.helpers.get_mut(&HELPER).unwrap().end = Some(date(2024, 12, 31))),
        ("structure.helper", |f| f.household.helpers.clear()),
        // Age against school and work.
        ("age.labour_under_16", |f| f.member(SON).labour = Some(LabourSkill::Ordinary)),
        ("age.adult_no_labour", |f| f.member(HEAD).labour = Some(LabourSkill::Lost)),
        ("age.compulsory_school", |f| {
            // On a household not marked 脱贫 a child out of school is the warning, not the exit error.
            f.household.status = Some(PovertyStatus::NotExited);
            f.household.attribute = Some(PovertyAttribute::Dibao);
            f.member(SON).school = Some(SchoolStatus::NotInSchool);
        }),
        ("age.primary_over_20", |f| f.member(HEAD).school = Some(SchoolStatus::Primary)),
        ("age.high_school_under_14", |f| f.member(SON).school = Some(SchoolStatus::HighSchool1)),
        ("age.work_under_16", |f| f.member(SON).work.place = Some(WorkPlace::County)),
        // Members' own fields.
        ("member.work_months", |f| f.member(HEAD).work.months = 13),
        ("member.health_details", |f| f.member(MOTHER).disease.clear()),
        ("member.health_details", |f| {
            f.member(MOTHER).health.insert(Health::Disabled);
        }),
        ("member.phone", |f| f.member(HEAD).phone = "1381234567".into()),
        // The household's own fields.
        ("household.phone", |f| f.household.phone = "0873-3721234".into()),
        ("household.split_details", |f| f.household.flags.split_off = true),
        // Causes against facts.
        ("cause.illness", |f| {
            f.member(WIFE).health = BTreeSet::from([Health::Healthy]);
            f.member(MOTHER).health = BTreeSet::from([Health::Healthy]);
        }),
        ("cause.disability", |f| {
            f.household.other_causes.insert(PovertyCause::Disability);
        }),
        ("cause.schooling", |f| {
            f.household.other_causes.insert(PovertyCause::Schooling);
            f.member(SON).status = Some(MemberStatus::MovedOut);
        }),
        ("cause.other_causes", |f| {
            f.household.other_causes.insert(PovertyCause::Illness);
        }),
        ("cause.other_causes", |f| {
            f.household.other_causes.extend([PovertyCause::LackOfCapital, PovertyCause::PoorTransport]);
        }),
        // Welfare.
        ("welfare.dibao_member", |f| f.member(WIFE).welfare.dibao = false),
        ("welfare.dibao_amount", |f| f.income(INCOME_2024).transfer.dibao_fen = 0),
        ("welfare.tekun_labour", |f| f.household.attribute = Some(PovertyAttribute::ExitedTekun)),
        // Income.
        ("income.duplicate_year", |f| {
            let copy = f.household.incomes[&INCOME_2024].clone();
            f.household.incomes.insert(Uuid::from_u128(0x25), copy);
        }),
        ("income.business_expense", |f| f.income(INCOME_2024).business_expense_fen = 0),
        ("income.wage_worker", |f| f.member(HEAD).work = Work::default()),
        ("income.per_capita_range", |f| f.income(INCOME_2024).wage_fen = 500_000_000),
        ("income.per_capita_mismatch", |f| f.income(INCOME_2024).declared_per_capita_fen = Some(1_091_000)),
        // Conditions and land.
        ("conditions.duplicate_year", |f| {
            let copy = f.household.conditions[&CONDITIONS_2024].clone();
            f.household.conditions.insert(Uuid::from_u128(0x35), copy);
        }),
        ("land.per_person", |f| {
            // With four members, more than 50 亩 each is also more than 100 per household, so the per-person rule is
            // isolated by a county that sets a lower per-person limit.
            f.policy.limits.max_cultivated_mu_per_person = 1.0;
        }),
        ("land.per_household", |f| f.conditions().cultivated_mu = 150.0),
        // 两不愁三保障 on a household marked 脱贫.
        ("exit.dangerous_house", |f| {
            f.conditions().dangerous = true;
            f.conditions().danger_grade = Some(DangerGrade::D);
        }),
        ("exit.no_house", |f| f.conditions().house_area_m2 = 0.0),
        ("exit.unsafe_water", |f| f.conditions().water_safe = Some(false)),
        ("exit.child_out_of_school", |f| f.member(SON).school = Some(SchoolStatus::NotInSchool)),
        ("exit.child_out_of_school", |f| f.member(SON).school = None),
        ("exit.no_medical_insurance", |f| f.member(MOTHER).insurance.basic_medical = false),
        ("exit.income_below_line", |f| f.income(INCOME_2024).wage_fen = 0),
        // Visits.
        ("visit.no_photo", |f| f.visit().photos.clear()),
        ("visit.no_gps", |f| f.visit().gps = None),
        ("visit.no_gps", |f| f.visit().gps = Some(Gps::default())),
        ("visit.no_interviewee", |f| f.visit().interviewee.clear()),
        // Monitoring.
        ("monitoring.closed_without_measure", |f| f.case().measures.get_mut(&MEASURE).unwrap().carried_out = None),
        ("monitoring.closed_below_threshold", |f| f.income(INCOME_2023).wage_fen = 1_000_000),
        ("monitoring.closed_below_threshold", |f| {
            f.household.incomes.remove(&INCOME_2023);
        }),
        ("monitoring.closed_no_labour", |f| {
            let head = f.member(HEAD);
            head.health = BTreeSet::from([Health::Chronic]);
            head.disease = "腰椎间盘突出".into();
            head.labour = Some(LabourSkill::Lost);
            f.member(WIFE).labour = Some(LabourSkill::Lost);
        }),
        // Exclusion rules of the shipped policy.
        ("exclusion.state_payroll", |f| f.member(WIFE).state_payroll = true),
        ("exclusion.town_property", |f| f.inspection().housing.town_property = true),
        ("exclusion.car", |f| {
            f.inspection().appliances.car = Car { owned: true, price_fen: 5_000_000, commercial: false }
        }),
        ("exclusion.machinery", |f| f.inspection().appliances.construction_machinery = true),
        ("exclusion.large_farm_vehicle", |f| f.inspection().appliances.large_farm_vehicle = true),
        ("exclusion.business", |f| f.household.business.registered_business = true),
        ("exclusion.employer", |f| f.household.business.employs_others = true),
        ("exclusion.village_cadre", |f| f.member(HEAD).village_cadre = true),
        ("exclusion.split_household", |f| f.inspection().neighbours.says_split_to_qualify = true),
        ("exclusion.registered_absent", |f| f.household.flags.registered_absent = true),
    ]
}

#[test]
fn valid_household_has_no_findings() {
    let findings = Fixture::valid().run();
    assert!(findings.is_empty(), "unexpected findings: {findings:#?}");
}

#[test]
fn each_planted_defect_reports_exactly_its_check() {
    let mut failures = Vec::new();
    for (index, (expected, mutate)) in cases().into_iter().enumerate() {
        let mut fixture = Fixture::valid();
        mutate(&mut fixture);
        let findings = fixture.run();
        if ids(&findings) != BTreeSet::from([expected]) {
            failures.push(format!("case {index} ({expected}): got {findings:#?}"));
            continue;
        }
        for finding in &findings {
            assert_eq!(finding.severity, severity_of(expected, &fixture.policy), "{finding:?}");
            assert!(!finding.path.is_empty() && !finding.message.is_empty(), "{finding:?}");
            if let Some(member_id) = finding.member_id {
                assert!(finding.path.starts_with(&format!("members/{member_id}/")), "{finding:?}");
            }
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_check_has_a_planted_defect() {
    let covered: BTreeSet<&str> = cases().iter().map(|(id, _)| *id).collect();
    let policy = Policy::builtin();
    let mut known: BTreeSet<String> = CHECKS.iter().map(|def| def.id.to_string()).collect();
    assert_eq!(known.len(), CHECKS.len(), "check ids must be unique");
    known.extend(policy.exclusion_rules.iter().map(|rule| exclusion_check_id(&rule.id)));
    let missing: Vec<&String> = known.iter().filter(|id| !covered.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "checks without a test case: {missing:?}");
    let unknown: Vec<&&str> = covered.iter().filter(|id| !known.contains(**id)).collect();
    assert!(unknown.is_empty(), "test cases for unknown checks: {unknown:?}");
}

#[test]
fn registry_describes_every_check_in_chinese() {
    for def in CHECKS {
        assert_eq!(check_def(def.id), Some(def));
        assert!(!def.field.is_ascii() && !def.title.is_ascii(), "{def:?}");
    }
    assert_eq!(check_def("exclusion.car"), None);
    assert_eq!(check_def("no.such_check"), None);
}

#[test]
fn message_names_the_member_and_the_field() {
    let mut fixture = Fixture::valid();
    let m = fixture.member(HEAD);
    let wrong = if m.id_number.ends_with('0') { '1' } else { '0' };
    m.id_number.replace_range(17.., &wrong.to_string());
    let findings = fixture.run();
    assert_eq!(
        findings,
        vec![Finding {
            check_id: "id.check_digit".into(),
            severity: Severity::Error,
            path: format!("members/{HEAD}/id_number"),
            member_id: Some(HEAD),
            message: "成员“张建国”的身份证号码校验位错误".into(),
        }]
    );
}

#[test]
fn policy_overrides_severity_and_disables_checks() {
    let mut fixture = Fixture::valid();
    fixture.income(INCOME_2024).business_expense_fen = 0;
    assert_eq!(fixture.run()[0].severity, Severity::Warning);

    fixture.policy.check_severities.insert("income.business_expense".into(), Severity::Error);
    assert_eq!(severity_of("income.business_expense", &fixture.policy), Severity::Error);
    assert_eq!(fixture.run()[0].severity, Severity::Error);

    fixture.policy.disabled_checks.push("income.business_expense".into());
    assert!(fixture.run().is_empty());
}

#[test]
fn disabled_exclusion_rule_and_overridden_exclusion_severity() {
    let mut fixture = Fixture::valid();
    fixture.member(HEAD).village_cadre = true;
    assert_eq!(severity_of("exclusion.village_cadre", &fixture.policy), Severity::Warning);
    fixture.policy.check_severities.insert("exclusion.village_cadre".into(), Severity::Error);
    assert_eq!(fixture.run()[0].severity, Severity::Error);
    fixture.policy.disabled_checks.push("exclusion.village_cadre".into());
    assert!(fixture.run().is_empty());
}

#[test]
fn exclusion_severity_follows_the_rule_effect() {
    let policy = Policy::builtin();
    assert_eq!(severity_of("exclusion.car", &policy), Severity::Error); // 不得纳入
    assert_eq!(severity_of("exclusion.registered_absent", &policy), Severity::Error); // 予以剔除
    assert_eq!(severity_of("exclusion.large_farm_vehicle", &policy), Severity::Warning); // 重点核查
    assert_eq!(severity_of("exclusion.not_in_this_policy", &policy), Severity::Error);
}

#[test]
fn compulsory_school_warning_returns_when_the_exit_check_is_off() {
    let mut fixture = Fixture::valid();
    fixture.member(SON).school = Some(SchoolStatus::NotInSchool);
    assert_eq!(ids(&fixture.run()), BTreeSet::from(["exit.child_out_of_school"]));
    fixture.policy.disabled_checks.push("exit.child_out_of_school".into());
    assert_eq!(ids(&fixture.run()), BTreeSet::from(["age.compulsory_school"]));
}

#[test]
fn signing_is_blocked_by_errors_and_by_unexplained_warnings() {
    let mut fixture = Fixture::valid();
    fixture.income(INCOME_2024).business_expense_fen = 0; // a warning
    fixture.household.phone = "12345".into(); // an error
    let findings = fixture.run();
    assert_eq!(findings.len(), 2);
    let warning = findings.iter().find(|f| f.severity == Severity::Warning).unwrap().clone();
    let blocking = |household: &Household| -> Vec<String> {
        signing_blockers(household, &findings).iter().map(|f| f.check_id.clone()).collect()
    };
    assert_eq!(blocking(&fixture.household), ["household.phone", "income.business_expense"]);

    let note = |check_id: &str, path: &str, text: &str| CheckNote {
        check_id: check_id.into(),
        path: path.into(),
        by: "zhao.ming".into(),
        note: text.into(),
    };
    let notes = &mut fixture.household.check_notes;
    notes.insert(Uuid::from_u128(0x81), note(&warning.check_id, &warning.path, "   "));
    notes.insert(Uuid::from_u128(0x82), note(&warning.check_id, "incomes/other", "另一条记录"));
    notes.insert(Uuid::from_u128(0x83), note("household.phone", "phone", "户主只有固定电话"));
    assert_eq!(
        blocking(&fixture.household),
        ["household.phone", "income.business_expense"],
        "blank or misplaced notes"
    );

    fixture
        .household
        .check_notes
        .insert(Uuid::from_u128(0x84), note(&warning.check_id, &warning.path, "种植自家留种，当年无生产经营性支出"));
    assert_eq!(blocking(&fixture.household), ["household.phone"], "a note explains a warning, never an error");
}

#[test]
fn exclusion_exceptions_are_honoured() {
    let mut fixture = Fixture::valid();
    fixture.inspection().housing.town_property = true;
    fixture.household.flags.relocated = true;
    assert!(fixture.run().is_empty(), "relocation housing in town is not town property");

    let mut fixture = Fixture::valid();
    fixture.inspection().appliances.car = Car { owned: true, price_fen: 8_000_000, commercial: true };
    assert!(fixture.run().is_empty(), "a car used commercially to earn a living is exempt");

    let mut fixture = Fixture::valid();
    fixture.inspection().appliances.car = Car { owned: true, price_fen: 2_500_000, commercial: false };
    assert!(fixture.run().is_empty(), "a car under the threshold does not count");

    let mut fixture = Fixture::valid();
    fixture.household.flags.relocated = true;
    fixture.inspection().appliances.car = Car { owned: true, price_fen: 8_000_000, commercial: false };
    assert_eq!(ids(&fixture.run()), BTreeSet::from(["exclusion.car"]), "an exception exempts only its own rule");
}

#[test]
fn exclusion_looks_only_at_the_latest_inspection() {
    let mut fixture = Fixture::valid();
    let mut older = fixture.household.inspections[&INSPECTION].clone();
    older.inspected_at = at(2023, 4, 1);
    older.items.appliances.car = Car { owned: true, price_fen: 8_000_000, commercial: false };
    fixture.household.inspections.insert(Uuid::from_u128(0x60), older);
    assert!(fixture.run().is_empty(), "the car seen in 2023 has since gone");
}

#[test]
fn removed_household_is_not_excluded_again() {
    let mut fixture = Fixture::valid();
    fixture.household.status = Some(PovertyStatus::Removed);
    fixture.household.flags.registered_absent = true;
    assert!(fixture.run().is_empty());
}

#[test]
fn departed_members_are_not_counted_but_their_numbers_must_still_be_valid() {
    let mut fixture = Fixture::valid();
    // The mother died; her number was never recorded, and her old illness no longer supports 因病.
    let mother = fixture.member(MOTHER);
    mother.status = Some(MemberStatus::Died);
    mother.id_number.clear();
    assert!(fixture.run().is_empty(), "the wife's illness still supports 因病");

    // A daughter married out into another household, where she is registered now.
    let mut fixture = Fixture::valid();
    let mut daughter = member("张小红", Sex::Female, date(2000, 2, 2), Relation::Daughter);
    daughter.status = Some(MemberStatus::MarriedOut);
    fixture.id_holders.insert(daughter.id_number.clone(), vec![OTHER_HOUSEHOLD]);
    let daughter_id = Uuid::from_u128(0x15);
    fixture.household.members.insert(daughter_id, daughter);
    assert!(fixture.run().is_empty(), "{:#?}", fixture.run());

    fixture.member(daughter_id).id_number.replace_range(17.., "Y");
    assert_eq!(ids(&fixture.run()), BTreeSet::from(["id.format"]));
}

#[test]
fn duplicate_inside_the_household_is_reported_on_both_members() {
    let mut fixture = Fixture::valid();
    fixture.member(MOTHER).id_number = fixture.household.members[&WIFE].id_number.clone();
    let findings = fixture.run();
    let members: Vec<Option<Uuid>> = findings.iter().map(|f| f.member_id).collect();
    assert_eq!(members, [Some(WIFE), Some(MOTHER)]);
    assert!(findings[0].message.contains("王桂花") && findings[1].message.contains("李秀英"));
}

#[test]
fn disability_card_carries_an_id_number() {
    let mut fixture = Fixture::valid();
    let mother = fixture.member(MOTHER);
    mother.id_type = Some(IdType::DisabilityCard);
    mother.id_number = format!("{}42", mother.id_number);
    mother.health.insert(Health::Disabled);
    mother.disability_category = "肢体".into();
    mother.disability_grade = Some(2);
    fixture.household.other_causes.insert(PovertyCause::Disability);
    assert!(fixture.run().is_empty(), "{:#?}", fixture.run());

    fixture.member(MOTHER).id_number.push('1');
    let findings = fixture.run();
    assert_eq!(ids(&findings), BTreeSet::from(["id.format"]));
    assert!(findings[0].message.contains("残疾人证号码"), "{}", findings[0].message);
}

#[test]
fn zero_per_capita_is_out_of_range_and_below_the_line() {
    let mut fixture = Fixture::valid();
    let income = fixture.income(INCOME_2024);
    *income = Income { year: 2024, ..Default::default() };
    // Both are true and both need fixing: the figure is impossible, and it also denies the exit.
    let findings = fixture.run();
    assert_eq!(
        ids(&findings),
        BTreeSet::from(["exit.income_below_line", "income.per_capita_range", "welfare.dibao_amount"])
    );
}

#[test]
fn unsafe_water_joined_the_exit_standard_in_2019() {
    let mut fixture = Fixture::valid();
    fixture.conditions().year = 2018;
    fixture.conditions().water_safe = Some(false);
    assert!(fixture.run().is_empty());
}

#[test]
fn photo_position_stands_in_for_the_visit_position() {
    let mut fixture = Fixture::valid();
    let visit = fixture.visit();
    visit.gps = None;
    visit.photos.get_mut(&PHOTO).unwrap().gps = Some(Gps { lat: 23.37, lon: 103.38, accuracy_m: None });
    assert!(fixture.run().is_empty());
}

#[test]
fn findings_are_deterministic_and_in_registry_order() {
    let mut fixture = Fixture::valid();
    fixture.household.phone = "123".into();
    fixture.member(SON).labour = Some(LabourSkill::Ordinary);
    fixture.member(HEAD).id_number.clear();
    fixture.visit().photos.clear();
    fixture.member(WIFE).state_payroll = true;
    let findings = fixture.run();
    assert_eq!(findings, fixture.run());
    let order: Vec<&str> = findings.iter().map(|f| f.check_id.as_str()).collect();
    assert_eq!(
        order,
        ["id.missing", "age.labour_under_16", "household.phone", "visit.no_photo", "exclusion.state_payroll"]
    );
}
