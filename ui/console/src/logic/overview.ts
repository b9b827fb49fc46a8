// The overview's arithmetic: 遍访 coverage, the status columns, and the chart series, kept apart from the screen so
// the figures team leaders are measured on are tested.
import type { VillageOverview, VillageTotals } from '../api'

/** How the overview names households whose status is not filled in (the server sends the empty label). */
export const NO_STATUS_LABEL = '未填'

export function statusLabel(status: string): string {
  return status === '' ? NO_STATUS_LABEL : status
}

/**
 * 遍访 coverage in percent, one decimal, rounded DOWN: the target is every household, so 99.96% must not read as
 * 100% while one household is still unvisited. A village without households counts as 0%.
 */
export function coveragePercent(visited: number, households: number): number {
  if (households <= 0) return 0
  const tenths = Math.floor((Math.min(visited, households) * 1000) / households)
  return tenths / 10
}

/** The status labels present anywhere in the overview, in a stable order: the usual ones first, then others, 未填 last. */
export function statusColumns(rows: Pick<VillageTotals, 'by_status'>[]): string[] {
  const usual = ['未脱贫', '已脱贫(享受政策)', '已脱贫(不再享受政策)', '返贫', '剔除']
  const present = new Set<string>()
  for (const row of rows) for (const [status, count] of Object.entries(row.by_status)) if (count > 0) present.add(status)
  const ordered = usual.filter((s) => present.has(s))
  const others = [...present].filter((s) => !usual.includes(s) && s !== '').sort((a, b) => a.localeCompare(b, 'zh-CN'))
  return [...ordered, ...others, ...(present.has('') ? [''] : [])]
}

export interface TownshipGroup {
  township: string
  villages: VillageOverview[]
}

/** Villages grouped by township, keeping the server's order (by township, then village name). */
export function byTownship(villages: VillageOverview[]): TownshipGroup[] {
  const groups: TownshipGroup[] = []
  for (const village of villages) {
    const last = groups[groups.length - 1]
    if (last && last.township === village.township) last.villages.push(village)
    else groups.push({ township: village.township, villages: [village] })
  }
  return groups
}

export interface StackedSeries {
  /** Category axis: village names (with the township when two townships share a village name). */
  categories: string[]
  series: { name: string; data: number[] }[]
}

/** Village labels for chart axes: the bare name unless another township has a village of the same name. */
export function villageLabels(villages: Pick<VillageOverview, 'township' | 'name'>[]): string[] {
  const counts = new Map<string, number>()
  for (const v of villages) counts.set(v.name, (counts.get(v.name) ?? 0) + 1)
  return villages.map((v) => ((counts.get(v.name) ?? 0) > 1 ? `${v.township}/${v.name}` : v.name))
}

/** Households by status per village, one series per status, for the stacked bar chart. */
export function statusSeries(villages: VillageOverview[]): StackedSeries {
  const columns = statusColumns(villages)
  return {
    categories: villageLabels(villages),
    series: columns.map((status) => ({ name: statusLabel(status), data: villages.map((v) => v.by_status[status] ?? 0) })),
  }
}

/** 遍访 coverage per village, for the coverage bar chart. */
export function coverageSeries(villages: VillageOverview[]): { categories: string[]; data: number[] } {
  return { categories: villageLabels(villages), data: villages.map((v) => coveragePercent(v.visited, v.households)) }
}

/** A count as a clerk reads it, with thousands separators: 100000 → "100,000". */
export function formatCount(n: number): string {
  return n.toLocaleString('zh-CN')
}
