// Times as clerks read them: absolute in the office PC's zone (formatDateTime of the field app), and relative
// ("3 天前") so a stale village stands out in a long table.
import { formatDateTime } from '../../../src/format'

export { formatDateTime }

/** A village or device not heard from in this many days is highlighted. */
export const STALE_AFTER_DAYS = 7

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export type Staleness = 'never' | 'stale' | 'fresh'

/** Whether a last-sync time is missing, older than STALE_AFTER_DAYS, or recent. */
export function staleness(lastSync: string | null | undefined, now: Date): Staleness {
  if (!lastSync) return 'never'
  const at = new Date(lastSync).getTime()
  if (Number.isNaN(at)) return 'never'
  return now.getTime() - at > STALE_AFTER_DAYS * DAY ? 'stale' : 'fresh'
}

/** "刚刚", "5 分钟前", "3 小时前", "12 天前"; "从未同步" when there is no time. A clock ahead of the server reads 刚刚. */
export function relativeTime(iso: string | null | undefined, now: Date, never = '从未同步'): string {
  if (!iso) return never
  const at = new Date(iso).getTime()
  if (Number.isNaN(at)) return iso
  const ago = now.getTime() - at
  if (ago < MINUTE) return '刚刚'
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} 分钟前`
  if (ago < DAY) return `${Math.floor(ago / HOUR)} 小时前`
  return `${Math.floor(ago / DAY)} 天前`
}

/** This month as the overview's month picker holds it, 'YYYY-MM', in the office PC's zone. */
export function currentMonth(now: Date): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
}
