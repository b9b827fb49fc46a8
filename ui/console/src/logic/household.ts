// Reading a household file for the console's read-only view and its print: who is still in the household, what each
// year's income adds up to, what the flags say. The domain (crates/domain) decides these on the server; the console
// only lays out what the document holds, so the sums here follow income.rs (fen arithmetic, registered members).
import type { HistoryEntry, Household, Income, Member } from '../../../src/api/types'
import { type HelperPairing, type StatusChange, statusHistory } from '../../../src/pairing'

export type { HelperPairing, StatusChange }

/** 在册: a member whose status is empty or 在册 (like Member::is_registered). */
export function isRegistered(member: Pick<Member, 'status'>): boolean {
  return member.status === null || member.status === undefined || member.status === '' || member.status === '在册'
}

/** Members with their ids: the 户主 first, then those still registered, then those who left; by name within each. */
export function orderedMembers(household: Pick<Household, 'members' | 'head_member_id'>): { id: string; member: Member }[] {
  const rank = (id: string, member: Member) => (id === household.head_member_id ? 0 : isRegistered(member) ? 1 : 2)
  return Object.entries(household.members ?? {})
    .map(([id, member]) => ({ id, member }))
    .sort((a, b) => rank(a.id, a.member) - rank(b.id, b.member) || a.member.name.localeCompare(b.member.name, 'zh-CN'))
}

/** 家庭人口数: members still in the household. */
export function householdSize(household: Pick<Household, 'members'>): number {
  return Object.values(household.members ?? {}).filter(isRegistered).length
}

export interface IncomeTotals {
  business_fen: number
  property_fen: number
  transfer_fen: number
  /** 工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出. */
  net_fen: number
  /** net ÷ 家庭人口数, truncated to whole fen; null when nobody is registered. */
  per_capita_fen: number | null
}

const sum = (values: (number | undefined)[]) => values.reduce<number>((total, v) => total + (v ?? 0), 0)

/** The year's totals as the 年人均纯收入 formula has them. */
export function incomeTotals(income: Income, size: number): IncomeTotals {
  const business_fen = sum(Object.values(income.business ?? {}))
  const property_fen = sum(Object.values(income.property ?? {}))
  const transfer_fen = sum(Object.values(income.transfer ?? {}))
  const net_fen = (income.wage_fen ?? 0) + business_fen + property_fen + transfer_fen - (income.business_expense_fen ?? 0)
  return { business_fen, property_fen, transfer_fen, net_fen, per_capita_fen: size > 0 ? Math.trunc(net_fen / size) : null }
}

/** Yearly records (conditions, incomes) newest year first. */
export function byYearDesc<T extends { year: number }>(records: Record<string, T> | undefined): { id: string; record: T }[] {
  return Object.entries(records ?? {})
    .map(([id, record]) => ({ id, record }))
    .sort((a, b) => b.record.year - a.record.year)
}

/** Entries of a map sorted by one time field, newest first (visits, signatures, assessments). */
export function newestFirst<T>(records: Record<string, T> | undefined, at: (record: T) => string): { id: string; record: T }[] {
  return Object.entries(records ?? {})
    .map(([id, record]) => ({ id, record }))
    .sort((a, b) => (at(a.record) < at(b.record) ? 1 : at(a.record) > at(b.record) ? -1 : 0))
}

/** The history the server sends oldest first, shown newest first. */
export function historyNewestFirst(history: HistoryEntry[]): HistoryEntry[] {
  return [...history].reverse()
}

/** HouseholdFlags and BusinessFacts that are set, by their Chinese names. */
export function flagLabels(household: Household): string[] {
  const flags = (household.flags ?? {}) as Record<string, unknown>
  const business = (household.business ?? {}) as Record<string, unknown>
  const labels: string[] = []
  if (flags.separated_residence) labels.push('人户分离')
  if (flags.split_off) labels.push('分户')
  if (flags.relocated) labels.push('易地扶贫搬迁户')
  if (flags.military_family) labels.push('军烈属')
  if (flags.registered_absent) labels.push('空挂户')
  if (business.registered_business) labels.push('有登记经营的企业')
  if (business.employs_others) labels.push('长期雇工')
  return labels
}

/** A typed view of the maps the field app's Household type leaves open (helpers, status_changes). */
export function helpersOf(household: Household): { id: string; helper: HelperPairing }[] {
  const helpers = (household.helpers ?? {}) as Record<string, HelperPairing>
  return Object.entries(helpers)
    .map(([id, helper]) => ({ id, helper }))
    .sort((a, b) => ((a.helper.start ?? '') < (b.helper.start ?? '') ? 1 : -1))
}

export function statusChangesOf(household: Household): StatusChange[] {
  return statusHistory(household.status_changes as Record<string, StatusChange> | undefined)
}

/** "是"/"否"/"未填" for Option<bool>. */
export function yesNo(value: boolean | null | undefined): string {
  return value === true ? '是' : value === false ? '否' : '未填'
}

/** A label or a dash for empty optional codes and text, so an empty cell reads as "not recorded". */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : String(value)
}

/** What a history entry's action means, for the 修改历史 list; an action this build does not know is shown as sent. */
const ACTION_LABELS: Record<string, string> = {
  create: '建档',
  edit: '修改',
  resolve: '解决冲突',
  merge: '合并档案',
  sign: '签字',
  import: '导入',
  demo: '演示数据',
}

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action
}
