// The shapes that cross the IPC boundary between the UI and the Rust shell (src-tauri -> crates/field).
// Field names follow the Rust side exactly: households are the domain's serde JSON (snake_case, code values are
// the Chinese terms such as "男" or "户主"), and the app's own DTOs are snake_case too. Money is always integer fen.

/** An error from any command: a stable code to branch on, and a Chinese message to show. */
export interface AppError {
  code: string
  message: string
}

/** What the app knows about this device at start. */
export interface AppState {
  /** A device store exists in the data directory. */
  initialised: boolean
  data_dir: string
  device_id: string | null
  device_name: string | null
  /** The worker this device records changes as. */
  user: string | null
  /** Enrolled with a county server (has a token). */
  enrolled: boolean
  server_url: string | null
  /** Role label on the server, e.g. "worker"/"team_leader"; null when not enrolled. */
  role: string | null
  /** Villages of the enrolment area, "乡镇/村" keys. */
  villages: string[]
  /** A server address given on the command line or in the environment, to prefill the enrol form. */
  default_server: string | null
  /** Where a bundle export goes unless the worker types another path. */
  default_export_dir: string
  /** Today's date on this device, YYYY-MM-DD. */
  today: string
  household_count: number
}

/** One row of the household list; `search` is the lower-case text the list filter matches against
 * (names, pinyin initials and full pinyin, ID numbers, phone, village, group). */
export interface HouseholdRow {
  id: string
  head_name: string
  township: string
  village: string
  group: string
  phone: string
  status: string
  attribute: string
  member_count: number
  signed: boolean
  errors: number
  warnings: number
  conflicts: number
  search: string
}

export type Severity = '错误' | '警告'

export interface Finding {
  check_id: string
  severity: Severity
  path: string
  member_id: string | null
  message: string
}

export interface Provenance {
  user: string
  device: string
  at: string
  action: string
}

export interface Candidate {
  /** The value as JSON (objects in full). */
  value: unknown
  /** Who wrote it, on which device, when. */
  provenance: Provenance
  /** The change that wrote it (hex). */
  change: string
}

export interface FieldConflict {
  path: string
  label: string
  candidates: Candidate[]
}

export interface ConflictRow {
  household_id: string
  head_name: string
  village: string
  group: string
  conflict: FieldConflict
}

export interface FieldChange {
  path: string
  label: string
  value: unknown | null
}

export interface HistoryEntry {
  change: string
  provenance: Provenance
  fields: FieldChange[]
}

/** Everything the household screens show for one household. */
export interface HouseholdView {
  /** The household as the domain serialises it (see Household below). */
  household: Household
  findings: Finding[]
  /** Findings that block signing now. */
  blockers: Finding[]
  conflicts: FieldConflict[]
  /** Registered members counted for per-capita income. */
  size: number
}

/** Per-capita net income of a draft income record, computed by the domain rules as the worker types. */
export interface IncomePreview {
  net_fen: number
  per_capita_fen: number | null
  size: number
  /** The poverty or monitoring line for the year, if the policy table has one. */
  line_fen: number | null
  line_kind: string | null
  below_line: boolean | null
}

export type PhotoTarget =
  | { kind: 'visit'; visit_id: string }
  | { kind: 'inspection'; inspection_id: string; item: InspectionItemLabel }

/** The seven items of 六看一问 as the domain names them (codeLists().inspection_items gives them in order with keys). */
export type InspectionItemLabel = '入户看电器' | '揭锅看荤素' | '里外看房屋' | '抬头看气色' | '面对看穿着' | '圈舍看猪牛' | '出门问邻舍'

/** Code lists for selects, by the domain's list names (e.g. "性别", "与户主关系"), plus display tables. */
export interface CodeLists {
  lists: Record<string, string[]>
  /** InspectionItem label -> key under inspection.items (e.g. "入户看电器" -> "appliances"), in checklist order. */
  inspection_items: { label: InspectionItemLabel; key: string }[]
  /** 两不愁三保障: label -> key under an assessment (e.g. "不愁吃" -> "food"), in order. */
  assurance_items: { label: string; key: string }[]
  /** 民族 codes from the policy table: code -> name. */
  ethnic_groups: { code: string; name: string }[]
}

export type SyncProgress =
  | { step: 'pushing'; done: number; total: number }
  | { step: 'uploading_photos'; done: number; total: number }
  | { step: 'pulling'; changes: number }
  | { step: 'downloading_photos'; done: number; total: number }

/** A plain account of one sync; `error` says why it stopped early, if it did (what was done before stays done). */
export interface SyncReport {
  summary: SyncSummary
  error: AppError | null
  /** The account in sentences, Chinese, one per line, ready to show. */
  lines: string[]
}

export interface SyncSummary {
  households_sent: number
  changes_sent: number
  changes_accepted: number
  photos_sent: number
  households_received: number
  households_new: number
  changes_received: number
  photos_received: number
  /** Photos referenced here that the server does not have yet. */
  photos_unavailable: number
  conflicts_open: number
  bytes_sent: number
  bytes_received: number
  retries: number
}

export interface BundleExport {
  path: string
  households: number
  changes: number
  photos: number
  bytes: number
}

export interface BundleImport {
  /** The account in sentences, Chinese. */
  lines: string[]
}

/** The fields asked for when registering a new household. */
export interface NewHousehold {
  head_name: string
  head_id_number: string
  township: string
  village: string
  group: string
  address: string
  phone: string
}

// ---- The household document (domain JSON). Only what the UI reads or writes is typed; everything is present. ----

export interface PhotoRef {
  sha256: string
  mime: string
  bytes: number
  width: number
  height: number
  taken_at: string | null
  gps: Gps | null
  caption: string
}

export interface Gps {
  lat: number
  lon: number
  accuracy_m: number | null
}

export interface Member {
  name: string
  sex: string | null
  ethnicity: string
  id_type: string | null
  id_number: string
  relation: string | null
  phone: string
  education: string | null
  school: string | null
  health: string[]
  disease: string
  disability_category: string
  disability_grade: number | null
  labour: string | null
  work: { place: string | null; months: number; employer: string; monthly_income_fen: number }
  insurance: { basic_medical: boolean; serious_illness: boolean; pension: boolean }
  welfare: { dibao: boolean; tekun: boolean; public_welfare_job: boolean }
  state_payroll: boolean
  village_cadre: boolean
  status: string | null
  status_date: string | null
  note: string
}

export interface LivingConditions {
  year: number
  cultivated_mu: number
  forest_mu: number
  irrigated_mu: number
  house_area_m2: number
  structure: string | null
  build_year: number | null
  dangerous: boolean
  danger_grade: string | null
  renovated_year: number | null
  water_safe: boolean | null
  electricity: boolean
  road: string | null
  road_distance_km: number
  fuel: string | null
  sanitary_toilet: boolean
  cooperative: boolean
  note: string
}

export interface Income {
  year: number
  wage_fen: number
  business: { planting_fen: number; breeding_fen: number; forestry_fen: number; other_fen: number }
  property: { dividend_fen: number; land_transfer_fen: number; other_fen: number }
  transfer: {
    family_planning_fen: number
    dibao_fen: number
    tekun_fen: number
    pension_fen: number
    eco_compensation_fen: number
    other_fen: number
  }
  business_expense_fen: number
  declared_per_capita_fen: number | null
  note: string
}

export interface Visit {
  visited_at: string
  recorded_by: string
  visitors: string[]
  gps: Gps | null
  interviewee: string
  interviewee_relation: string | null
  purpose: string
  note: string
  photos: Record<string, PhotoRef>
}

export interface Contact {
  at: string
  recorded_by: string
  with_whom: string
  note: string
}

export interface ItemRecord {
  rating: '好' | '一般' | '差' | null
  note: string
  photos: Record<string, PhotoRef>
  recorded_at: string | null
  gps: Gps | null
}

export interface Inspection {
  visit_id: string | null
  inspected_at: string
  inspected_by: string
  /** Keys: appliances, food, housing, health, clothing, livestock, neighbours; each has `record` plus its own fields. */
  items: Record<string, { record: ItemRecord; [field: string]: unknown }>
}

export interface Verdict {
  met: boolean | null
  note: string
}

export interface Assessment {
  visit_id: string | null
  assessed_at: string
  assessed_by: string
  food: Verdict
  clothing: Verdict
  education: Verdict
  medical: Verdict
  housing: Verdict
  water: Verdict
}

export interface Signature {
  role: '调查人' | '户主' | null
  name: string
  collected_by: string
  signed_at: string
  image: PhotoRef
  covers_heads: string[]
}

export interface Household {
  id: string
  national_number: string
  head_member_id: string | null
  area: { county: string; township: string; village: string; group: string }
  address: string
  phone: string
  standard: string | null
  attribute: string | null
  household_type: string | null
  main_cause: string | null
  other_causes: string[]
  status: string | null
  /** Set when the county merged this file into another household's (a family registered twice). */
  merged_into?: string | null
  members: Record<string, Member>
  conditions: Record<string, LivingConditions>
  incomes: Record<string, Income>
  visits: Record<string, Visit>
  contacts: Record<string, Contact>
  inspections: Record<string, Inspection>
  assessments: Record<string, Assessment>
  signatures: Record<string, Signature>
  note: string
  [other: string]: unknown
}

/** Collections that grow by adding an entry under a fresh id. */
export type Collection =
  | 'members'
  | 'conditions'
  | 'incomes'
  | 'visits'
  | 'contacts'
  | 'inspections'
  | 'assessments'
  /** 帮扶责任人: {name, unit, phone, start, end} (dates YYYY-MM-DD). */
  | 'helpers'
  /** 贫困状态 changes: {status, year, note}; add one whenever `status` is changed. */
  | 'status_changes'
  /** A note on a data-check warning: {check_id, path, note}; `by` is filled with the device user. */
  | 'check_notes'
