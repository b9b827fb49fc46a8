// 六看一问: the seven items, the fields each records, and the rules that turn what the worker typed into the
// document paths of one setFields call. The form is drawn from the table below, so a field is added in one place.
// Field paths are relative to `inspections/<id>/items/<key>/` and mirror the Rust structs in
// crates/domain/src/household.rs (AppliancesCheck, FoodCheck, HousingCheck, HealthCheck, ClothingCheck,
// LivestockCheck, NeighboursCheck).
import type { Household, Inspection, InspectionItemLabel, ItemRecord, Visit } from './api'
import { formatYuan, parseYuan } from './format'

/** How a field is entered and what JSON it holds. */
export type FieldKind =
  /** bool, shown as a tile that is on or off. */
  | 'bool'
  /** Option<bool>, shown as 是 / 否 / 未填. */
  | 'tri'
  /** u32 count, shown with − and + buttons. */
  | 'count'
  /** f64 measure (kg, m²), typed; empty means 0. */
  | 'decimal'
  /** Option<i32> year, typed; empty means not recorded. */
  | 'year'
  /** Option<code> from a short list, shown as chips; tapping the chosen chip again clears it. */
  | 'choice'
  /** Money in fen, typed in yuan. */
  | 'yuan'
  /** Free text. */
  | 'text'

export interface FieldSpec {
  path: string
  label: string
  kind: FieldKind
  unit?: string
  /** For 'choice': the values, as stored. */
  choices?: readonly string[]
  /** For 'choice': what "nothing chosen" means here (e.g. 不是危房). */
  noneLabel?: string
  /** Shown only when another bool field of the item is on (the car's price only when a car is owned). */
  when?: string
  /** Fields sharing a group are laid out together under this heading. */
  group?: string
}

export interface ItemSpec {
  /** The short label used on the step bar and in tests (data-item). */
  label: string
  /** The key under inspection.items. */
  key: string
  /** The item's name in the domain (InspectionItem's label), as the checklist prints it and photo targets name it. */
  title: InspectionItemLabel
  /** What to look at, one line for the worker. */
  hint: string
  fields: FieldSpec[]
}

const HOUSE_STRUCTURES = ['钢筋混凝土', '砖混', '砖木', '土木', '竹草', '窑洞', '其他'] as const
const DANGER_GRADES = ['A级', 'B级', 'C级', 'D级'] as const

function herd(path: string, label: string, unit: string): FieldSpec[] {
  return [
    { path: `${path}/stock`, label: `${label}存栏`, kind: 'count', unit, group: label },
    { path: `${path}/sold`, label: `${label}今年出栏`, kind: 'count', unit, group: label },
  ]
}

/** The seven items in checklist order. */
export const INSPECTION_ITEMS: readonly ItemSpec[] = [
  {
    label: '看家电',
    key: 'appliances',
    title: '入户看电器',
    hint: '看家里有哪些电器和车辆；汽车要问价格、是自用还是营运。',
    fields: [
      { path: 'tv', label: '电视', kind: 'bool', group: '家用电器' },
      { path: 'fridge', label: '冰箱', kind: 'bool', group: '家用电器' },
      { path: 'washing_machine', label: '洗衣机', kind: 'bool', group: '家用电器' },
      { path: 'air_conditioner', label: '空调', kind: 'bool', group: '家用电器' },
      { path: 'computer', label: '电脑', kind: 'bool', group: '家用电器' },
      { path: 'motorbikes', label: '摩托车', kind: 'count', unit: '辆', group: '车辆' },
      { path: 'tricycles', label: '三轮车', kind: 'count', unit: '辆', group: '车辆' },
      { path: 'tractors', label: '拖拉机', kind: 'count', unit: '台', group: '车辆' },
      { path: 'car/owned', label: '有汽车', kind: 'bool', group: '汽车' },
      { path: 'car/price_fen', label: '汽车价格', kind: 'yuan', unit: '元', when: 'car/owned', group: '汽车' },
      { path: 'car/commercial', label: '营运车辆', kind: 'bool', when: 'car/owned', group: '汽车' },
      { path: 'construction_machinery', label: '工程机械', kind: 'bool', group: '大型机械' },
      { path: 'large_farm_vehicle', label: '大型农用车', kind: 'bool', group: '大型机械' },
    ],
  },
  {
    label: '看锅里',
    key: 'food',
    title: '揭锅看荤素',
    hint: '看锅里、看粮仓：主粮够不够吃，一周吃几次肉蛋，有没有食用油。',
    fields: [
      { path: 'staple_enough', label: '主粮够吃', kind: 'tri' },
      { path: 'cooking_oil', label: '有食用油', kind: 'tri' },
      { path: 'meat_eggs_per_week', label: '每周吃肉蛋', kind: 'count', unit: '次' },
      { path: 'stored_grain_kg', label: '存粮', kind: 'decimal', unit: '公斤' },
    ],
  },
  {
    label: '里外看房屋',
    key: 'housing',
    title: '里外看房屋',
    hint: '看房屋结构、间数、面积、建房年份、是否危房，厕所、厨房、水源；问城里有没有房产商铺。',
    fields: [
      { path: 'structure', label: '房屋结构', kind: 'choice', choices: HOUSE_STRUCTURES, noneLabel: '未填' },
      { path: 'danger_grade', label: '危房等级', kind: 'choice', choices: DANGER_GRADES, noneLabel: '不是危房' },
      { path: 'rooms', label: '房间数', kind: 'count', unit: '间' },
      { path: 'area_m2', label: '住房面积', kind: 'decimal', unit: '平方米' },
      { path: 'build_year', label: '建房年份', kind: 'year', unit: '年' },
      { path: 'decorated', label: '室内装修', kind: 'bool', group: '房屋设施' },
      { path: 'toilet', label: '有厕所', kind: 'bool', group: '房屋设施' },
      { path: 'kitchen', label: '有独立厨房', kind: 'bool', group: '房屋设施' },
      { path: 'water_point', label: '水源到户', kind: 'bool', group: '房屋设施' },
      { path: 'town_property', label: '城镇有房产或商铺', kind: 'bool', group: '其他房产' },
    ],
  },
  {
    label: '看人',
    key: 'health',
    title: '抬头看气色',
    hint: '看家里人的气色和劳动能力：有没有长期吃药的，有没有残疾的，几个人能干活。',
    fields: [
      { path: 'long_term_medicine', label: '有人长期服药', kind: 'bool', group: '健康' },
      { path: 'disability_seen', label: '看到有人残疾', kind: 'bool', group: '健康' },
      { path: 'able_to_work', label: '能劳动的人数', kind: 'count', unit: '人' },
    ],
  },
  {
    label: '看穿着',
    key: 'clothing',
    title: '面对看穿着',
    hint: '看穿的衣服合不合季节，冬天的被褥够不够。',
    fields: [
      { path: 'seasonal_clothes', label: '有应季衣服', kind: 'tri' },
      { path: 'winter_bedding', label: '冬季被褥够用', kind: 'tri' },
    ],
  },
  {
    label: '看圈舍',
    key: 'livestock',
    title: '圈舍看猪牛',
    hint: '看圈舍里现有多少牲畜家禽，问今年卖了多少。',
    fields: [
      ...herd('pigs', '猪', '头'),
      ...herd('cattle', '牛', '头'),
      ...herd('sheep', '羊', '只'),
      ...herd('horses_donkeys', '马/驴', '匹'),
      ...herd('poultry', '家禽', '只'),
      { path: 'pens_note', label: '圈舍情况', kind: 'text' },
    ],
  },
  {
    label: '问邻居',
    key: 'neighbours',
    title: '出门问邻舍',
    hint: '问一两户邻居或村民小组长：是否常住、在哪务工、有没有别的资产、子女是否赡养。',
    fields: [
      { path: 'says_lives_elsewhere', label: '邻居说常住在外（人户分离）', kind: 'bool', group: '邻居反映' },
      { path: 'says_hidden_assets', label: '邻居说有未申报的资产', kind: 'bool', group: '邻居反映' },
      { path: 'says_split_to_qualify', label: '邻居说为评上而分户', kind: 'bool', group: '邻居反映' },
    ],
  },
]

export const RATINGS = ['好', '一般', '差'] as const
export type Rating = (typeof RATINGS)[number]

/** Reads a value at a '/'-separated path inside an object; undefined when any step is missing. */
export function readPath(source: unknown, path: string): unknown {
  let value: unknown = source
  for (const part of path.split('/')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

// ---- Tri-state (Option<bool>) ----

export type TriLabel = '是' | '否' | '未填'

export function triLabel(value: boolean | null | undefined): TriLabel {
  return value === true ? '是' : value === false ? '否' : '未填'
}

export function triValue(label: TriLabel): boolean | null {
  return label === '是' ? true : label === '否' ? false : null
}

// ---- What the form holds for each kind, and back ----

/** The value an input shows: booleans and counts as themselves, typed numbers and money as text. */
export type UiValue = boolean | number | string | null

export function toUi(kind: FieldKind, value: unknown): UiValue {
  switch (kind) {
    case 'bool':
      return value === true
    case 'tri':
      return typeof value === 'boolean' ? value : null
    case 'count':
      return typeof value === 'number' && Number.isFinite(value) ? value : 0
    case 'decimal':
      return typeof value === 'number' && value !== 0 ? String(value) : ''
    case 'year':
      return typeof value === 'number' ? String(value) : ''
    case 'choice':
      return typeof value === 'string' && value !== '' ? value : null
    case 'yuan':
      return typeof value === 'number' && value !== 0 ? formatYuan(value) : ''
    case 'text':
      return typeof value === 'string' ? value : ''
  }
}

/** Full-width digits and the Chinese full stop, as a Chinese input method types them, made plain. */
function normaliseNumber(text: string): string {
  return text
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/\s/g, '')
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string }

/** What the form holds -> the JSON the document stores, or why it cannot be stored (naming the field). */
export function fromUi(field: FieldSpec, ui: UiValue): Parsed {
  switch (field.kind) {
    case 'bool':
      return { ok: true, value: ui === true }
    case 'tri':
      return { ok: true, value: typeof ui === 'boolean' ? ui : null }
    case 'count': {
      const n = typeof ui === 'number' ? ui : Number(normaliseNumber(String(ui ?? '')))
      if (!Number.isInteger(n) || n < 0) return { ok: false, error: `${field.label}应为不小于 0 的整数` }
      return { ok: true, value: n }
    }
    case 'decimal': {
      const text = normaliseNumber(String(ui ?? ''))
      if (text === '') return { ok: true, value: 0 }
      const n = Number(text)
      if (!Number.isFinite(n) || n < 0) return { ok: false, error: `${field.label}应为不小于 0 的数字` }
      return { ok: true, value: n }
    }
    case 'year': {
      const text = normaliseNumber(String(ui ?? ''))
      if (text === '') return { ok: true, value: null }
      const n = Number(text)
      if (!Number.isInteger(n) || n < 1900 || n > 2100) return { ok: false, error: `${field.label}应为四位年份，如 2015` }
      return { ok: true, value: n }
    }
    case 'choice':
      return { ok: true, value: typeof ui === 'string' && ui !== '' ? ui : null }
    case 'yuan': {
      const fen = parseYuan(String(ui ?? ''))
      if (fen === undefined || (fen !== null && fen < 0)) return { ok: false, error: `${field.label}不是有效的金额` }
      return { ok: true, value: fen ?? 0 }
    }
    case 'text':
      return { ok: true, value: typeof ui === 'string' ? ui : '' }
  }
}

/** Structural equality of JSON values, for telling which fields the worker changed. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ak = Object.keys(a as object)
  const bk = Object.keys(b as object)
  if (ak.length !== bk.length) return false
  return ak.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

// ---- The draft of one item ----

export interface NeighbourStatement {
  name: string
  relation: string
  note: string
}

/** What the form of one item holds until 保存本项. */
export interface ItemDraft {
  values: Record<string, UiValue>
  rating: Rating | null
  note: string
  /** Neighbour statements added on this device and not yet saved, keyed by the id they will be saved under. */
  statements: Record<string, NeighbourStatement>
}

export function itemOf(inspection: Inspection | undefined, spec: ItemSpec): Record<string, unknown> & { record: ItemRecord } {
  const item = inspection?.items?.[spec.key]
  const record: ItemRecord = item?.record ?? { rating: null, note: '', photos: {}, recorded_at: null, gps: null }
  return { ...(item ?? {}), record }
}

export function draftOf(inspection: Inspection | undefined, spec: ItemSpec): ItemDraft {
  const item = itemOf(inspection, spec)
  const values: Record<string, UiValue> = {}
  for (const field of spec.fields) values[field.path] = toUi(field.kind, readPath(item, field.path))
  return { values, rating: (item.record.rating as Rating | null) ?? null, note: item.record.note ?? '', statements: {} }
}

/** Whether a field is shown (and saved): a dependent field only while the field it depends on is on. */
export function fieldVisible(field: FieldSpec, draft: ItemDraft): boolean {
  return !field.when || draft.values[field.when] === true
}

export interface ItemChanges {
  /** [path relative to the item, value], in form order. */
  fields: [string, unknown][]
  /** Fields that could not be read, each naming the field. */
  errors: string[]
}

/** The fields of the draft that differ from the stored item, as relative paths ready for setFields. */
export function itemChanges(inspection: Inspection | undefined, spec: ItemSpec, draft: ItemDraft): ItemChanges {
  const item = itemOf(inspection, spec)
  const fields: [string, unknown][] = []
  const errors: string[] = []
  for (const field of spec.fields) {
    // A hidden dependent field keeps its stored value: unticking "有汽车" must not wipe a price typed earlier
    // by someone else, only say that there is no car.
    if (!fieldVisible(field, draft)) continue
    const parsed = fromUi(field, draft.values[field.path])
    if (!parsed.ok) {
      errors.push(parsed.error)
      continue
    }
    const stored = readPath(item, field.path)
    const normalised = stored === undefined ? fromUi(field, toUi(field.kind, stored)) : { ok: true, value: stored }
    if (!normalised.ok || !sameJson(parsed.value, normalised.value)) fields.push([field.path, parsed.value])
  }
  if (draft.rating !== (item.record.rating ?? null)) fields.push(['record/rating', draft.rating])
  if (draft.note !== (item.record.note ?? '')) fields.push(['record/note', draft.note])
  for (const [id, statement] of Object.entries(draft.statements)) {
    fields.push([`statements/${id}`, { name: statement.name.trim(), relation: statement.relation.trim(), note: statement.note.trim() }])
  }
  return { fields, errors }
}

/** Whether the worker has touched the item since it was last saved. */
export function isDirty(inspection: Inspection | undefined, spec: ItemSpec, draft: ItemDraft): boolean {
  const changes = itemChanges(inspection, spec, draft)
  return changes.fields.length > 0 || changes.errors.length > 0
}

// ---- Summaries ----

/** An item is done when it has a rating. */
export function isItemDone(inspection: Inspection | undefined, spec: ItemSpec): boolean {
  return !!itemOf(inspection, spec).record.rating
}

export function doneCount(inspection: Inspection | undefined): number {
  return INSPECTION_ITEMS.filter((spec) => isItemDone(inspection, spec)).length
}

/** "好 3 · 一般 2 · 差 1 · 未评 1", leaving out zero counts. */
export function ratingSummary(inspection: Inspection | undefined): string {
  const counts: Record<string, number> = { 好: 0, 一般: 0, 差: 0, 未评: 0 }
  for (const spec of INSPECTION_ITEMS) {
    const rating = itemOf(inspection, spec).record.rating
    counts[rating ?? '未评'] += 1
  }
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label} ${n}`)
    .join(' · ')
}

/** Inspections newest first. */
export function inspectionsNewestFirst(household: Household): { id: string; inspection: Inspection }[] {
  return Object.entries(household.inspections ?? {})
    .map(([id, inspection]) => ({ id, inspection }))
    .sort((a, b) => (a.inspection.inspected_at < b.inspection.inspected_at ? 1 : a.inspection.inspected_at > b.inspection.inspected_at ? -1 : 0))
}

/** A local calendar date as YYYY-MM-DD, for "today" comparisons in the device's zone. */
export function localDate(at: Date): string {
  const pad = (n: number) => n.toString().padStart(2, '0')
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`
}

/** The latest visit made on the given local day, to link a new inspection or assessment to; null when none. */
export function latestVisitOn(visits: Record<string, Visit> | undefined, day: string): string | null {
  let best: { id: string; at: number } | null = null
  for (const [id, visit] of Object.entries(visits ?? {})) {
    const at = new Date(visit.visited_at)
    if (Number.isNaN(at.getTime()) || localDate(at) !== day) continue
    if (!best || at.getTime() > best.at) best = { id, at: at.getTime() }
  }
  return best?.id ?? null
}

/**
 * A fresh UUID (v4) for a new map entry such as a neighbour's statement. crypto.randomUUID is missing from older
 * WebKit web views, so the fallback builds one from crypto.getRandomValues.
 */
export function freshId(): string {
  const c: Crypto | undefined = typeof crypto !== 'undefined' ? crypto : undefined
  if (c && typeof c.randomUUID === 'function') return c.randomUUID()
  const bytes = new Uint8Array(16)
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes)
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256)
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export interface FieldSection {
  /** The heading over the fields, or null for a field that stands alone. */
  title: string | null
  fields: FieldSpec[]
}

/** Consecutive fields of the same group, gathered under one heading, in form order. */
export function fieldSections(spec: ItemSpec): FieldSection[] {
  const sections: FieldSection[] = []
  for (const field of spec.fields) {
    const title = field.group ?? null
    const last = sections[sections.length - 1]
    if (last && title !== null && last.title === title) last.fields.push(field)
    else sections.push({ title, fields: [field] })
  }
  return sections
}
