// The household list's logic, kept free of Vue so it can be tested and timed on 10,000 rows.
// The device sends every row once; searching and filtering happen here in memory, so a keystroke costs no IPC.
import type { HouseholdRow } from './api/types'
import { normaliseDigits } from './format'

export interface ListFilter {
  /** What the worker typed in the search box. */
  query: string
  /** A group key from groupOptions (village and group), or '' for all. */
  group: string
  /** A status label, '' for all, or NO_STATUS for households without one. */
  status: string
  unsigned: boolean
  withErrors: boolean
  withConflicts: boolean
}

/** The status filter's value for households whose status is not recorded yet. */
export const NO_STATUS = '\u0000none'

export function emptyFilter(): ListFilter {
  return { query: '', group: '', status: '', unsigned: false, withErrors: false, withConflicts: false }
}

/**
 * The search words in a query. Each word must occur in a row's search text, so "zs 三组" finds 张三 in 三组;
 * a query without spaces is simply `search.includes(query.trim().toLowerCase())`. Full-width digits from a Chinese
 * input method are read as ASCII, because ID numbers and phones are stored in ASCII.
 */
export function searchWords(query: string): string[] {
  return normaliseDigits(query)
    .replace(/\u3000/g, ' ')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '')
}

/** The key that identifies a 村民小组: group names repeat across villages ("一组" in every village). */
export function groupKey(row: Pick<HouseholdRow, 'village' | 'group'>): string {
  return `${row.village}/${row.group}`
}

export function matches(row: HouseholdRow, words: string[], filter: ListFilter): boolean {
  if (filter.unsigned && row.signed) return false
  if (filter.withErrors && row.errors === 0) return false
  if (filter.withConflicts && row.conflicts === 0) return false
  if (filter.group && groupKey(row) !== filter.group) return false
  if (filter.status) {
    if (filter.status === NO_STATUS ? row.status !== '' : row.status !== filter.status) return false
  }
  for (const word of words) if (!row.search.includes(word)) return false
  return true
}

/** The rows a filter keeps, in the order given. */
export function filterRows(rows: HouseholdRow[], filter: ListFilter): HouseholdRow[] {
  const words = searchWords(filter.query)
  const out: HouseholdRow[] = []
  for (const row of rows) if (matches(row, words, filter)) out.push(row)
  return out
}

const CHINESE_DIGITS: Record<string, number> = {
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
}

/** Reads a number written in Chinese up to 999 ("十二" = 12, "二十" = 20, "一百零五" = 105). */
export function chineseNumber(text: string): number | null {
  if (text === '') return null
  let total = 0
  let digit: number | null = null
  for (const ch of text) {
    if (ch in CHINESE_DIGITS) {
      digit = CHINESE_DIGITS[ch]
    } else if (ch === '十' || ch === '百') {
      total += (digit ?? 1) * (ch === '十' ? 10 : 100)
      digit = null
    } else {
      return null
    }
  }
  return total + (digit ?? 0)
}

/** The first number in a name such as "三组", "第12组" or "十一社", or null when there is none. */
export function leadingNumber(name: string): number | null {
  const match = /(\d+)|([零〇一二两三四五六七八九十百]+)/.exec(name)
  if (!match) return null
  return match[1] !== undefined ? Number(match[1]) : chineseNumber(match[2])
}

const collator = new Intl.Collator('zh-CN', { numeric: true })

/** Orders places and people's names by pinyin (the zh-CN collation), digits as numbers. */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b)
}

/**
 * Orders 村民小组 names as people count them, "二组" before "十组", then by pinyin. Only group names are read as
 * numbers: a person called 张三 is not the third of anything.
 */
export function compareGroups(a: string, b: string): number {
  const na = leadingNumber(a)
  const nb = leadingNumber(b)
  if (na !== null && nb !== null && na !== nb) return na - nb
  if (na !== null && nb === null) return -1
  if (na === null && nb !== null) return 1
  return collator.compare(a, b)
}

/**
 * Rows in the order of the paper register: township, village, group (一组, 二组, …), then 户主 name by pinyin.
 * Returns a new array.
 */
export function sortRows(rows: HouseholdRow[]): HouseholdRow[] {
  // Names repeat across thousands of rows, so each distinct name's rank is computed once and rows compare integers.
  const rank = (values: string[], compare: (a: string, b: string) => number) => {
    const sorted = Array.from(new Set(values)).sort(compare)
    return new Map(sorted.map((v, i) => [v, i]))
  }
  const townships = rank(rows.map((r) => r.township), compareNames)
  const villages = rank(rows.map((r) => r.village), compareNames)
  const groups = rank(rows.map((r) => r.group), compareGroups)
  const names = rank(rows.map((r) => r.head_name), compareNames)
  const keyed = rows.map((row) => ({
    row,
    key: [townships.get(row.township)!, villages.get(row.village)!, groups.get(row.group)!, names.get(row.head_name)!],
  }))
  keyed.sort((a, b) => {
    for (let i = 0; i < 4; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i]
    return a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0
  })
  return keyed.map((k) => k.row)
}

export interface Option {
  value: string
  label: string
  count: number
}

/** The 村民小组 filter's choices. The village is named only when the rows span more than one village. */
export function groupOptions(rows: HouseholdRow[]): Option[] {
  const counts = new Map<string, { village: string; group: string; count: number }>()
  for (const row of rows) {
    const key = groupKey(row)
    const entry = counts.get(key)
    if (entry) entry.count++
    else counts.set(key, { village: row.village, group: row.group, count: 1 })
  }
  const villages = new Set(Array.from(counts.values(), (e) => e.village))
  return Array.from(counts, ([value, e]) => ({
    value,
    label: villages.size > 1 ? `${e.village} ${e.group || '（未分组）'}` : e.group || '（未分组）',
    count: e.count,
    village: e.village,
    group: e.group,
  }))
    .sort((a, b) => compareNames(a.village, b.village) || compareGroups(a.group, b.group))
    .map(({ value, label, count }) => ({ value, label, count }))
}

/** The 状态 filter's choices, most frequent first; households without a status are offered as 未填状态. */
export function statusOptions(rows: HouseholdRow[]): Option[] {
  const counts = new Map<string, number>()
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1)
  return Array.from(counts, ([status, count]) => ({
    value: status === '' ? NO_STATUS : status,
    label: status === '' ? '未填状态' : status,
    count,
  })).sort((a, b) => b.count - a.count || compareNames(a.label, b.label))
}

/** The value of a text column that most rows share ('' when there are no rows): used to prefill a new household. */
export function mostCommon(rows: HouseholdRow[], pick: (row: HouseholdRow) => string): string {
  const counts = new Map<string, number>()
  let best = ''
  let bestCount = 0
  for (const row of rows) {
    const value = pick(row)
    if (value === '') continue
    const count = (counts.get(value) ?? 0) + 1
    counts.set(value, count)
    if (count > bestCount) {
      best = value
      bestCount = count
    }
  }
  return best
}

/** Distinct non-empty values of a column, sorted, for the suggestions of a text box. */
export function distinctValues(
  rows: HouseholdRow[],
  pick: (row: HouseholdRow) => string,
  compare: (a: string, b: string) => number = compareNames,
): string[] {
  const set = new Set<string>()
  for (const row of rows) {
    const value = pick(row)
    if (value !== '') set.add(value)
  }
  return Array.from(set).sort(compare)
}

export interface Badge {
  kind: 'unsigned' | 'errors' | 'conflicts' | 'warnings'
  text: string
}

/** The badges a row shows, most pressing first: conflicts and errors block signing, then 未签字, then warnings. */
export function rowBadges(row: Pick<HouseholdRow, 'signed' | 'errors' | 'warnings' | 'conflicts'>): Badge[] {
  const badges: Badge[] = []
  if (row.conflicts > 0) badges.push({ kind: 'conflicts', text: `冲突 ${row.conflicts}` })
  if (row.errors > 0) badges.push({ kind: 'errors', text: `错误 ${row.errors}` })
  if (!row.signed) badges.push({ kind: 'unsigned', text: '未签字' })
  if (row.warnings > 0) badges.push({ kind: 'warnings', text: `警告 ${row.warnings}` })
  return badges
}

export interface Totals {
  households: number
  unsigned: number
  withErrors: number
  withConflicts: number
  /** Open conflicted fields over all households. */
  conflicts: number
}

export function totals(rows: HouseholdRow[]): Totals {
  const t: Totals = { households: rows.length, unsigned: 0, withErrors: 0, withConflicts: 0, conflicts: 0 }
  for (const row of rows) {
    if (!row.signed) t.unsigned++
    if (row.errors > 0) t.withErrors++
    if (row.conflicts > 0) t.withConflicts++
    t.conflicts += row.conflicts
  }
  return t
}
