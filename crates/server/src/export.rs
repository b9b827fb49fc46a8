//! xlsx exports for the county console: households, members, 六看一问 inspections and check findings, with
//! Chinese headers, written row by row as the database yields them.
//!
//! Worksheets are in rust_xlsxwriter's constant-memory mode: each row goes to a temporary file as soon as it is
//! written, so memory does not grow with the county. The finished workbook is written to any `Write` (the HTTP
//! layer passes one that streams into the response). Every cell that looks like a number but is not one (ID
//! numbers, phone numbers, household ids) is written as text, so Excel and WPS do not turn an ID number into
//! 5.32503E+17.

use crate::error::{Result, ServerError};
use crate::storage::{self, Area, FindingRow, HouseholdRow, Storage};
use chrono::{DateTime, FixedOffset, Utc};
use hudang_domain::{Inspection, InspectionItem, Member};
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, XlsxError};
use std::io::Write;

/// The most data rows on one sheet (Excel's limit less the header); more go on a continuation sheet.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// One row per household.
    Households,
    /// One row per member.
    Members,
    /// One row per 六看一问 inspection.
    Inspections,
    /// One row per check finding.
    Findings,
}

impl ExportKind {
    /// Every kind.
    pub const ALL: [ExportKind; 4] =
        [ExportKind::Households, ExportKind::Members, ExportKind::Inspections, ExportKind::Findings];

    /// The kind named in a URL (`households`, `members`, `inspections`, `findings`).
    pub fn from_code(code: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Its name in URLs.
    pub fn code(self) -> &'static str {
        match self {
            ExportKind::Households => "households",
            ExportKind::Members => "members",
            ExportKind::Inspections => "inspections",
            ExportKind::Findings => "findings",
        }
    }

    /// Its name for people, also the sheet name.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Households => "农户",
            ExportKind::Members => "家庭成员",
            ExportKind::Inspections => "六看一问",
            ExportKind::Findings => "核查结果",
        }
    }

    /// The header row.
    pub fn headers(self) -> Vec<String> {
        let fixed: &[&str] = match self {
            ExportKind::Households => &[
                "县",
                "乡镇",
                "行政村",
                "村民小组",
                "户主姓名",
                "户主身份证号",
                "家庭人口",
                "住址",
                "联系电话",
                "识别标准",
                "贫困户属性",
                "户类型",
                "主要致贫原因",
                "贫困状态",
                "全国户编号",
                "已签字",
                "错误数",
                "警告数",
                "冲突数",
                "户编号",
            ],
            ExportKind::Members => &[
                "乡镇",
                "行政村",
                "村民小组",
                "户主姓名",
                "户编号",
                "姓名",
                "与户主关系",
                "性别",
                "民族",
                "证件类型",
                "证件号码",
                "联系电话",
                "文化程度",
                "在校情况",
                "健康状况",
                "疾病名称",
                "残疾类别",
                "残疾等级",
                "劳动技能",
                "务工地点",
                "务工月数",
                "务工月收入（元）",
                "基本医疗保险",
                "大病保险",
                "养老保险",
                "低保",
                "特困供养",
                "公益岗位",
                "财政供养",
                "村干部",
                "成员状态",
            ],
            ExportKind::Inspections => &["乡镇", "行政村", "村民小组", "户主姓名", "户编号", "检查时间", "检查人"],
            ExportKind::Findings => {
                &["乡镇", "行政村", "村民小组", "户主姓名", "户编号", "严重程度", "核查项", "说明", "字段"]
            }
        };
        let mut headers: Vec<String> = fixed.iter().map(|h| h.to_string()).collect();
        if self == ExportKind::Inspections {
            for item in InspectionItem::ALL {
                let label = item.label();
                headers.extend([format!("{label}·评价"), format!("{label}·说明"), format!("{label}·照片数")]);
            }
        }
        headers
    }
}

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as text whatever it looks like.
    Text(String),
    /// A count.
    Count(u64),
    /// Money in fen, shown in yuan with two decimals.
    Fen(i64),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn yes_no(value: bool) -> Cell {
    text(if value { "是" } else { "否" })
}

fn label_or_blank<T: Copy>(value: Option<T>, label: impl Fn(T) -> &'static str) -> Cell {
    text(value.map(label).unwrap_or(""))
}

fn china_time(at: DateTime<Utc>) -> String {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&china).format("%Y-%m-%d %H:%M").to_string()
}

fn household_cells(row: &HouseholdRow) -> Vec<Cell> {
    vec![
        text(&row.county),
        text(&row.township),
        text(&row.village),
        text(&row.group),
        text(&row.head_name),
        text(&row.head_id_number),
        Cell::Count(row.member_count.into()),
        text(&row.address),
        text(&row.phone),
        text(&row.standard),
        text(&row.attribute),
        text(&row.household_type),
        text(&row.main_cause),
        text(&row.status),
        text(&row.national_number),
        yes_no(row.signed),
        Cell::Count(row.errors.into()),
        Cell::Count(row.warnings.into()),
        Cell::Count(row.conflicts.into()),
        text(row.id.to_string()),
    ]
}

fn place_cells(row: &HouseholdRow) -> Vec<Cell> {
    vec![text(&row.township), text(&row.village), text(&row.group), text(&row.head_name), text(row.id.to_string())]
}

fn member_cells(row: &HouseholdRow, m: &Member) -> Vec<Cell> {
    let mut cells = place_cells(row);
    let health: Vec<&str> = m.health.iter().map(|h| h.label()).collect();
    cells.extend([
        text(&m.name),
        label_or_blank(m.relation, |r| r.label()),
        label_or_blank(m.sex, |s| s.label()),
        text(&m.ethnicity),
        label_or_blank(m.id_type, |t| t.label()),
        text(&m.id_number),
        text(&m.phone),
        label_or_blank(m.education, |e| e.label()),
        label_or_blank(m.school, |s| s.label()),
        text(health.join("、")),
        text(&m.disease),
        text(&m.disability_category),
        text(m.disability_grade.map(|g| g.to_string()).unwrap_or_default()),
        label_or_blank(m.labour, |l| l.label()),
        label_or_blank(m.work.place, |p| p.label()),
        Cell::Count(m.work.months.into()),
        Cell::Fen(m.work.monthly_income_fen),
        yes_no(m.insurance.basic_medical),
        yes_no(m.insurance.serious_illness),
        yes_no(m.insurance.pension),
        yes_no(m.welfare.dibao),
        yes_no(m.welfare.tekun),
        yes_no(m.welfare.public_welfare_job),
        yes_no(m.state_payroll),
        yes_no(m.village_cadre),
        text(m.status.map(|s| s.label()).unwrap_or("在册")),
    ]);
    cells
}

fn inspection_cells(row: &HouseholdRow, inspection: &Inspection) -> Vec<Cell> {
    let mut cells = place_cells(row);
    cells.extend([text(china_time(inspection.inspected_at)), text(&inspection.inspected_by)]);
    for item in InspectionItem::ALL {
        let record = inspection.items.record(*item);
        cells.extend([
            label_or_blank(record.rating, |r| r.label()),
            text(&record.note),
            Cell::Count(record.photos.len() as u64),
        ]);
    }
    cells
}

fn finding_cells(row: &FindingRow) -> Vec<Cell> {
    let (township, village) = row.village_key.split_once('/').unwrap_or((row.village_key.as_str(), ""));
    vec![
        text(township),
        text(village),
        text(&row.group),
        text(&row.head_name),
        text(row.household.to_string()),
        text(row.severity.label()),
        text(crate::console::check_label(&row.check)),
        text(&row.message),
        text(&row.path),
    ]
}

fn xlsx_error(error: XlsxError) -> ServerError {
    match error {
        XlsxError::IoError(e) => ServerError::Io(e),
        other => ServerError::Database(format!("生成表格出错：{other}")),
    }
}

/// Writes rows onto constant-memory sheets, starting a continuation sheet (with the header again) when one is full.
struct SheetWriter<'a> {
    workbook: &'a mut Workbook,
    kind: ExportKind,
    headers: Vec<String>,
    header_format: Format,
    money_format: Format,
    sheet: usize,
    sheets: usize,
    row: RowNum,
    rows: u64,
}

impl<'a> SheetWriter<'a> {
    fn new(workbook: &'a mut Workbook, kind: ExportKind) -> Result<Self> {
        let mut writer = SheetWriter {
            workbook,
            kind,
            headers: kind.headers(),
            header_format: Format::new().set_bold().set_background_color(0xDDEBF7),
            money_format: Format::new().set_num_format("0.00"),
            sheet: 0,
            sheets: 0,
            row: 0,
            rows: 0,
        };
        writer.start_sheet()?;
        Ok(writer)
    }

    fn start_sheet(&mut self) -> Result<()> {
        let name = match self.sheets {
            0 => self.kind.label().to_string(),
            n => format!("{}（{}）", self.kind.label(), n + 1),
        };
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name(name).map_err(xlsx_error)?;
        for (col, header) in self.headers.iter().enumerate() {
            // Chinese characters are about two columns wide; ID numbers and ids need more.
            let width = match header.as_str() {
                "户编号" => 38.0,
                h if h.contains("身份证") || h.contains("证件号码") => 22.0,
                h if h.contains("说明") => 30.0,
                h => (h.chars().count() as f64 * 2.2 + 2.0).max(8.0),
            };
            sheet.set_column_width(col as ColNum, width).map_err(xlsx_error)?;
            sheet.write_string_with_format(0, col as ColNum, header, &self.header_format).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        self.sheet = self.workbook.worksheets().len() - 1;
        self.sheets += 1;
        self.row = 1;
        Ok(())
    }

    fn write(&mut self, cells: &[Cell]) -> Result<()> {
        if self.row > ROWS_PER_SHEET {
            self.start_sheet()?;
        }
        let sheet = self.workbook.worksheet_from_index(self.sheet).map_err(xlsx_error)?;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as ColNum;
            match cell {
                Cell::Text(value) if value.is_empty() => {}
                Cell::Text(value) => {
                    sheet.write_string(self.row, col, value).map_err(xlsx_error)?;
                }
                Cell::Count(n) => {
                    sheet.write_number(self.row, col, *n as f64).map_err(xlsx_error)?;
                }
                Cell::Fen(fen) => {
                    sheet
                        .write_number_with_format(self.row, col, *fen as f64 / 100.0, &self.money_format)
                        .map_err(xlsx_error)?;
                }
            }
        }
        self.row += 1;
        self.rows += 1;
        Ok(())
    }
}

/// Writes one export of the area (narrowed to one village if given) as an xlsx workbook to `out`; returns the
/// number of data rows. Rows are read in one read transaction, so the file is one consistent picture.
pub fn write_xlsx(
    storage: &dyn Storage,
    kind: ExportKind,
    area: &Area,
    village_key: Option<&str>,
    out: impl Write + Send,
) -> Result<u64> {
    let mut workbook = Workbook::new();
    let rows = {
        let mut sheet = SheetWriter::new(&mut workbook, kind)?;
        storage::read(storage, |r| match kind {
            ExportKind::Households => {
                r.each_household(area, village_key, &mut |row| sheet.write(&household_cells(row)))
            }
            ExportKind::Members => r.each_member(area, village_key, &mut |row, m| sheet.write(&member_cells(row, m))),
            ExportKind::Inspections => {
                r.each_inspection(area, village_key, &mut |row, i| sheet.write(&inspection_cells(row, i)))
            }
            ExportKind::Findings => r.each_finding(area, village_key, &mut |f| sheet.write(&finding_cells(f))),
        })?;
        sheet.rows
    };
    workbook.save_to_writer(out).map_err(xlsx_error)?;
    Ok(rows)
}

/// The file name offered for a download, e.g. `户档-农户-芷村镇芷村村-2026-11-23.xlsx`.
pub fn file_name(kind: ExportKind, village_key: Option<&str>, today: chrono::NaiveDate) -> String {
    let place = village_key.map(|k| k.replace('/', "")).unwrap_or_else(|| "全部".into());
    format!("户档-{}-{}-{}.xlsx", kind.label(), place, today.format("%Y-%m-%d"))
}
