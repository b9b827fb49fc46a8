// 帮扶责任人 pairings and the 贫困状态 history as the household file shows them. The domain (household.rs) keeps both
// as maps keyed by a fresh id; these functions turn them into rows and read the small pairing form. Dates are the
// domain's NaiveDate as JSON, "YYYY-MM-DD", which compare correctly as plain strings.

/** One pairing as the domain serialises `HelperPairing`. */
export interface HelperPairing {
  name: string
  unit: string
  phone: string
  start: string | null
  end: string | null
}

/** One entry of the status history as the domain serialises `StatusChange`. */
export interface StatusChange {
  status: string | null
  year: number
  note: string
}

/** Where a pairing stands on a given day. */
export type PairingState = 'active' | 'upcoming' | 'ended'

/**
 * Whether a pairing is in its period on `today`: started on or before it, and not yet ended (the end day itself
 * still counts). A missing start or end leaves that side open, exactly as `Household::active_helpers` decides, so
 * the screen and the `structure.helper` check never disagree about a household.
 */
export function isActivePairing(pairing: Pick<HelperPairing, 'start' | 'end'>, today: string): boolean {
  return (!pairing.start || pairing.start <= today) && (!pairing.end || pairing.end >= today)
}

export function pairingState(pairing: Pick<HelperPairing, 'start' | 'end'>, today: string): PairingState {
  if (isActivePairing(pairing, today)) return 'active'
  return pairing.start && pairing.start > today ? 'upcoming' : 'ended'
}

/**
 * Whether 结束帮扶 would change anything: only a pairing in its period whose recorded end is not already today or
 * earlier. A pairing ended today still counts as active until the day is over, and offering to end it again would
 * only confuse.
 */
export function canEndPairing(pairing: Pick<HelperPairing, 'start' | 'end'>, today: string): boolean {
  return isActivePairing(pairing, today) && (!pairing.end || pairing.end > today)
}

/** The period as the paper file writes it: "2024-01-01 至今", or "2024-01-01 至 2025-06-30" once it has an end. */
export function helperPeriod(pairing: Pick<HelperPairing, 'start' | 'end'>): string {
  const start = pairing.start || '开始日期未填'
  return pairing.end ? `${start} 至 ${pairing.end}` : `${start} 至今`
}

export interface PairingRow {
  id: string
  pairing: HelperPairing
  state: PairingState
  period: string
  canEnd: boolean
}

const STATE_ORDER: Record<PairingState, number> = { active: 0, upcoming: 1, ended: 2 }

/**
 * The household's pairings for the list: those in their period first, then those still to come, then the ended
 * ones; within each, the latest start first. Ended pairings stay listed because the file must show who helped when.
 */
export function pairingRows(helpers: Record<string, HelperPairing> | null | undefined, today: string): PairingRow[] {
  return Object.entries(helpers ?? {})
    .map(([id, pairing]) => ({
      id,
      pairing,
      state: pairingState(pairing, today),
      period: helperPeriod(pairing),
      canEnd: canEndPairing(pairing, today),
    }))
    .sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        (b.pairing.start ?? '').localeCompare(a.pairing.start ?? '') ||
        a.pairing.name.localeCompare(b.pairing.name, 'zh-CN'),
    )
}

/** The status history, latest year first. Entries of the same year keep the map's order, which is all we know. */
export function statusHistory(changes: Record<string, StatusChange> | null | undefined): StatusChange[] {
  return Object.values(changes ?? {})
    .map((change, index) => ({ change, index }))
    .sort((a, b) => b.change.year - a.change.year || a.index - b.index)
    .map(({ change }) => change)
}

/** One line of the status history: "2024 年 已脱贫（说明）". */
export function statusChangeText(change: StatusChange): string {
  const note = change.note.trim()
  return `${change.year} 年 ${change.status ?? '（未填）'}${note ? `（${note}）` : ''}`
}

/** What the worker typed into the 新增帮扶责任人 form. */
export interface HelperInput {
  name: string
  unit: string
  phone: string
  start: string
  end: string
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

/**
 * The form as the value `addEntry(id, 'helpers', …)` takes, or what to correct first. Only the name is required:
 * a helper's unit or phone is sometimes learnt later, and an empty start is allowed by the domain.
 */
export function readHelperForm(input: HelperInput): { ok: true; value: HelperPairing } | { ok: false; message: string } {
  const name = input.name.trim()
  const start = input.start.trim()
  const end = input.end.trim()
  if (name === '') return { ok: false, message: '请填写帮扶责任人姓名' }
  if (start !== '' && !DATE.test(start)) return { ok: false, message: '开始日期应为“年-月-日”' }
  if (end !== '' && !DATE.test(end)) return { ok: false, message: '结束日期应为“年-月-日”' }
  if (start !== '' && end !== '' && end < start) return { ok: false, message: '结束日期不能早于开始日期' }
  return {
    ok: true,
    value: { name, unit: input.unit.trim(), phone: input.phone.trim(), start: start || null, end: end || null },
  }
}
