import { describe, expect, it } from 'vitest'
import type { ConflictItem, VillageOverview } from '../../console/src/api'
import { bulkResolveItems, candidateAuthor, conflictKey, outcomeSummary } from '../../console/src/logic/conflicts'
import { byTownship, coveragePercent, coverageSeries, formatCount, statusColumns, statusSeries, villageLabels } from '../../console/src/logic/overview'
import { filterQuery, pageOffset, queryPage, queryText } from '../../console/src/logic/paging'
import { creatableRoles, passwordLongEnough, passwordProblem, roleLabel } from '../../console/src/logic/roles'
import { currentMonth, relativeTime, staleness } from '../../console/src/logic/time'

describe('遍访 coverage', () => {
  it('is the share of households visited, one decimal, never rounded up to 100%', () => {
    expect(coveragePercent(0, 0)).toBe(0)
    expect(coveragePercent(50, 200)).toBe(25)
    expect(coveragePercent(1, 3)).toBe(33.3)
    expect(coveragePercent(2, 3)).toBe(66.6)
    expect(coveragePercent(9999, 10000)).toBe(99.9)
    expect(coveragePercent(10000, 10000)).toBe(100)
    expect(coveragePercent(12, 10)).toBe(100)
  })
})

function village(township: string, name: string, by_status: Record<string, number>, visited = 0): VillageOverview {
  const households = Object.values(by_status).reduce((a, b) => a + b, 0)
  return {
    code: name, township, name, key: `${township}/${name}`, households, by_status, visited, signed: 0,
    households_with_errors: 0, errors: 0, warnings: 0, conflicts: 0, last_sync: null, teams: [],
  }
}

describe('overview tables and charts', () => {
  const villages = [
    village('芷村镇', '芷村', { 未脱贫: 3, '': 1 }, 2),
    village('芷村镇', '查尼皮', { '已脱贫(享受政策)': 2, 其他状态: 1 }, 3),
    village('草坝镇', '芷村', { 未脱贫: 1 }, 0),
  ]

  it('orders status columns: usual ones, others, 未填 last; zero counts left out', () => {
    expect(statusColumns([...villages, village('x', 'y', { 返贫: 0 })])).toEqual(['未脱贫', '已脱贫(享受政策)', '其他状态', ''])
  })

  it('groups villages by township keeping the server’s order', () => {
    expect(byTownship(villages).map((g) => [g.township, g.villages.map((v) => v.name)])).toEqual([
      ['芷村镇', ['芷村', '查尼皮']],
      ['草坝镇', ['芷村']],
    ])
  })

  it('names a village by its township only when the name repeats', () => {
    expect(villageLabels(villages)).toEqual(['芷村镇/芷村', '查尼皮', '草坝镇/芷村'])
  })

  it('builds one stacked series per status and coverage per village', () => {
    const { series } = statusSeries(villages)
    expect(series.map((s) => s.name)).toEqual(['未脱贫', '已脱贫(享受政策)', '其他状态', '未填'])
    expect(series[0].data).toEqual([3, 0, 1])
    expect(coverageSeries(villages).data).toEqual([50, 100, 0])
  })
})

describe('last sync', () => {
  const now = new Date('2026-03-20T12:00:00Z')

  it('is never, stale after 7 days, or fresh', () => {
    expect(staleness(null, now)).toBe('never')
    expect(staleness('not a time', now)).toBe('never')
    expect(staleness('2026-03-13T11:59:00Z', now)).toBe('stale')
    expect(staleness('2026-03-13T12:00:00Z', now)).toBe('fresh')
    expect(staleness('2026-03-20T11:00:00Z', now)).toBe('fresh')
  })

  it('reads relative to now', () => {
    expect(relativeTime(null, now)).toBe('从未同步')
    expect(relativeTime(null, now, '从未联系')).toBe('从未联系')
    expect(relativeTime('2026-03-20T11:59:40Z', now)).toBe('刚刚')
    expect(relativeTime('2026-03-20T12:00:30Z', now)).toBe('刚刚')
    expect(relativeTime('2026-03-20T11:55:00Z', now)).toBe('5 分钟前')
    expect(relativeTime('2026-03-20T09:00:00Z', now)).toBe('3 小时前')
    expect(relativeTime('2026-03-08T12:00:00Z', now)).toBe('12 天前')
  })

  it('defaults the month picker to this month', () => {
    expect(currentMonth(new Date(2026, 0, 31, 23, 0))).toBe('2026-01')
    expect(currentMonth(new Date(2026, 10, 1))).toBe('2026-11')
  })
})

function conflict(household: string, path: string, values: unknown[]): ConflictItem {
  return {
    household, path, label: `字段${path}`, village_key: '芷村镇/芷村', head_name: `户主${household}`, group: '一组', status: '', member_count: 2,
    candidates: values.map((value, i) => ({ value, user: `用户${i}`, device: 'd', at: '2026-03-01T00:00:00Z', change: 'c' })),
  }
}

describe('bulk resolve', () => {
  const rows = [conflict('h1', 'phone', ['1', '2']), conflict('h2', 'members/m1/name', ['张三', '张叁']), conflict('h3', 'incomes/i/wage_fen', [100, 200])]

  it('refuses when nothing is ticked', () => {
    expect(bulkResolveItems(rows, new Set(), new Map())).toEqual({ ok: false, message: '请先勾选要解决的冲突。' })
  })

  it('refuses ticked rows without a chosen value, naming them', () => {
    const selected = new Set(rows.map(conflictKey))
    const result = bulkResolveItems(rows, selected, new Map([[conflictKey(rows[0]), 1]]))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.message).toContain('户主h2·字段members/m1/name')
      expect(result.message).toContain('户主h3')
      expect(result.message).not.toContain('户主h1')
    }
  })

  it('refuses an index outside the candidates', () => {
    const result = bulkResolveItems(rows, new Set([conflictKey(rows[0])]), new Map([[conflictKey(rows[0]), 5]]))
    expect(result.ok).toBe(false)
  })

  it('sends every ticked row with its chosen value, in queue order; unticked choices are ignored', () => {
    const selected = new Set([conflictKey(rows[2]), conflictKey(rows[0])])
    const choices = new Map([[conflictKey(rows[0]), 1], [conflictKey(rows[1]), 0], [conflictKey(rows[2]), 0]])
    expect(bulkResolveItems(rows, selected, choices)).toEqual({
      ok: true,
      items: [
        { household: 'h1', path: 'phone', value: '2' },
        { household: 'h3', path: 'incomes/i/wage_fen', value: 100 },
      ],
    })
  })

  it('reads who wrote a candidate, flat or nested', () => {
    expect(candidateAuthor({ value: 1, user: '张三', at: 'T' })).toEqual({ user: '张三', at: 'T' })
    expect(candidateAuthor({ value: 1, provenance: { user: '李四', device: 'd', at: 'U' } })).toEqual({ user: '李四', at: 'U' })
  })

  it('sums up outcomes', () => {
    expect(outcomeSummary([{ ok: true }, { ok: true }])).toBe('已解决 2 条冲突。')
    expect(outcomeSummary([{ ok: true }, { ok: false }])).toBe('已解决 1 条，1 条未能解决。')
    expect(outcomeSummary([{ ok: false }])).toBe('1 条冲突未能解决。')
  })
})

describe('paging and URL filters', () => {
  it('turns pages into offsets', () => {
    expect(pageOffset(1)).toBe(0)
    expect(pageOffset(3)).toBe(200)
    expect(pageOffset(0)).toBe(0)
  })

  it('reads and writes filters in the route query', () => {
    expect(queryText({ village: '镇/村', q: ['a', 'b'] }, 'village')).toBe('镇/村')
    expect(queryText({ q: ['a', 'b'] }, 'q')).toBe('')
    expect(queryPage({ page: '4' })).toBe(4)
    expect(queryPage({ page: '-1' })).toBe(1)
    expect(queryPage({ page: 'x' })).toBe(1)
    expect(filterQuery({ village: '', q: '张', page: 1 })).toEqual({ q: '张' })
    expect(filterQuery({ village: '镇/村', page: 3 })).toEqual({ village: '镇/村', page: '3' })
  })
})

describe('roles', () => {
  it('names roles and limits who creates whom', () => {
    expect(roleLabel('team_leader')).toBe('工作队长')
    expect(creatableRoles('county_staff')).toEqual(['worker', 'team_leader'])
    expect(creatableRoles('admin')).toContain('admin')
  })
})

describe('console passwords', () => {
  it('counts characters as the server does, so eight Chinese characters are enough', () => {
    expect(passwordLongEnough('一二三四五六七八')).toBe(true)
    expect(passwordLongEnough('一二三四五六七')).toBe(false)
    expect(passwordLongEnough('😀😀😀😀')).toBe(false)
  })

  it('names what is wrong with a new password typed twice', () => {
    expect(passwordProblem('short', 'short')).toBe('新密码至少 8 个字符')
    expect(passwordProblem('long enough', 'long enougH')).toBe('两次输入的新密码不一致')
    expect(passwordProblem('long enough', 'long enough')).toBeNull()
  })
})

describe('counts', () => {
  it('are shown with thousands separators', () => {
    expect(formatCount(100000)).toBe('100,000')
    expect(formatCount(206666)).toBe('206,666')
    expect(formatCount(0)).toBe('0')
  })
})
