import { describe, expect, it } from 'vitest'
import type { HouseholdRow } from '../../src/api/types'
import {
  NO_STATUS,
  chineseNumber,
  compareGroups,
  distinctValues,
  emptyFilter,
  filterRows,
  groupOptions,
  leadingNumber,
  mostCommon,
  rowBadges,
  searchWords,
  sortRows,
  statusOptions,
  totals,
} from '../../src/list'

function row(over: Partial<HouseholdRow>): HouseholdRow {
  const base: HouseholdRow = {
    id: 'h',
    head_name: '张三',
    township: '芷村镇',
    village: '芷村',
    group: '一组',
    phone: '13912345678',
    status: '已脱贫(享受政策)',
    attribute: '一般贫困户',
    member_count: 4,
    signed: true,
    errors: 0,
    warnings: 0,
    conflicts: 0,
    search: '',
  }
  const r = { ...base, ...over }
  if (!over.search) r.search = `${r.head_name} zs zhangsan 532503198001010011 ${r.phone} ${r.village} ${r.group}`.toLowerCase()
  return r
}

const SURNAMES = ['张', '李', '王', '杨', '赵', '普', '白', '马', '陈', '刘']
const GIVEN = ['建国', '秀英', '小明', '桂芳', '文华', '志强', '丽', '海', '春梅', '学军']
const INITIALS: Record<string, string> = { 张: 'z', 李: 'l', 王: 'w', 杨: 'y', 赵: 'z', 普: 'p', 白: 'b', 马: 'm', 陈: 'c', 刘: 'l' }
const GROUPS = ['一组', '二组', '三组', '四组', '五组', '六组', '七组', '八组', '九组', '十组', '十一组', '十二组']
const STATUSES = ['未脱贫', '已脱贫(享受政策)', '已脱贫(不再享受政策)', '返贫', '']

/** A deterministic village-sized county: the same 10,000 rows on every run. */
function manyRows(n: number): HouseholdRow[] {
  let seed = 42
  // The low bits of this generator cycle quickly, so only its high bits are used.
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed >>> 12
  }
  const rows: HouseholdRow[] = []
  for (let i = 0; i < n; i++) {
    const surname = SURNAMES[next() % SURNAMES.length]
    const given = GIVEN[next() % GIVEN.length]
    const village = `村${(i % 20) + 1}`
    const group = GROUPS[next() % GROUPS.length]
    const id = `5325031980${String(i).padStart(6, '0')}1`
    const phone = `139${String(next() % 100000000).padStart(8, '0')}`
    rows.push({
      id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      head_name: surname + given,
      township: '芷村镇',
      village,
      group,
      phone,
      status: STATUSES[next() % STATUSES.length],
      attribute: '一般贫困户',
      member_count: 1 + (next() % 6),
      signed: next() % 3 !== 0,
      errors: next() % 7 === 0 ? 1 + (next() % 3) : 0,
      warnings: next() % 4 === 0 ? 1 : 0,
      conflicts: next() % 50 === 0 ? 1 : 0,
      search: `${surname}${given} ${INITIALS[surname]}x ${id} ${phone} ${village} ${group}`.toLowerCase(),
    })
  }
  return rows
}

describe('search', () => {
  const rows = [
    row({ id: 'a', head_name: '张三', search: '张三 zs zhangsan 532503198001010011 13912345678 芷村 一组' }),
    row({ id: 'b', head_name: '李四', search: '李四 ls lisi 53250319900202002x 13800000000 芷村 三组' }),
  ]

  it('matches names, pinyin initials, ID numbers and phones', () => {
    const find = (query: string) => filterRows(rows, { ...emptyFilter(), query }).map((r) => r.id)
    expect(find('张')).toEqual(['a'])
    expect(find('zs')).toEqual(['a'])
    expect(find('ZS')).toEqual(['a'])
    expect(find('  lisi ')).toEqual(['b'])
    expect(find('53250319900202002X')).toEqual(['b'])
    expect(find('1391234')).toEqual(['a'])
    expect(find('')).toEqual(['a', 'b'])
    expect(find('王')).toEqual([])
  })

  it('reads full-width digits and requires every word', () => {
    const find = (query: string) => filterRows(rows, { ...emptyFilter(), query }).map((r) => r.id)
    expect(find('１３９１２')).toEqual(['a'])
    expect(find('芷村 三组')).toEqual(['b'])
    expect(find('芷村\u3000一组')).toEqual(['a'])
    expect(searchWords('  ZS  一组 ')).toEqual(['zs', '一组'])
  })
})

describe('filters', () => {
  const rows = [
    row({ id: 'a', group: '一组', status: '未脱贫', signed: false }),
    row({ id: 'b', group: '二组', status: '未脱贫', errors: 2 }),
    row({ id: 'c', group: '一组', status: '', conflicts: 1, warnings: 3 }),
    row({ id: 'd', village: '红寨', group: '一组', status: '返贫' }),
  ]
  const ids = (over: Partial<ReturnType<typeof emptyFilter>>) => filterRows(rows, { ...emptyFilter(), ...over }).map((r) => r.id)

  it('filters by group within its village', () => {
    expect(ids({ group: '芷村/一组' })).toEqual(['a', 'c'])
    expect(ids({ group: '红寨/一组' })).toEqual(['d'])
  })

  it('filters by status, including households without one', () => {
    expect(ids({ status: '未脱贫' })).toEqual(['a', 'b'])
    expect(ids({ status: NO_STATUS })).toEqual(['c'])
  })

  it('combines the chips', () => {
    expect(ids({ unsigned: true })).toEqual(['a'])
    expect(ids({ withErrors: true })).toEqual(['b'])
    expect(ids({ withConflicts: true })).toEqual(['c'])
    expect(ids({ withErrors: true, unsigned: true })).toEqual([])
  })

  it('offers groups in counting order and names the village only when there are several', () => {
    const options = groupOptions([
      row({ group: '十组' }),
      row({ group: '二组' }),
      row({ group: '一组' }),
      row({ group: '一组' }),
    ])
    expect(options.map((o) => [o.label, o.count])).toEqual([
      ['一组', 2],
      ['二组', 1],
      ['十组', 1],
    ])
    expect(groupOptions(rows).map((o) => o.label)).toEqual(['红寨 一组', '芷村 一组', '芷村 二组'])
  })

  it('offers statuses by frequency', () => {
    expect(statusOptions(rows).map((o) => [o.label, o.count])).toEqual([
      ['未脱贫', 2],
      ['返贫', 1],
      ['未填状态', 1],
    ])
  })

  it('counts what the header shows', () => {
    expect(totals(rows)).toEqual({ households: 4, unsigned: 1, withErrors: 1, withConflicts: 1, conflicts: 1 })
  })
})

describe('badges', () => {
  it('lists what needs attention, most pressing first', () => {
    expect(rowBadges({ signed: false, errors: 2, warnings: 1, conflicts: 3 })).toEqual([
      { kind: 'conflicts', text: '冲突 3' },
      { kind: 'errors', text: '错误 2' },
      { kind: 'unsigned', text: '未签字' },
      { kind: 'warnings', text: '警告 1' },
    ])
    expect(rowBadges({ signed: true, errors: 0, warnings: 0, conflicts: 0 })).toEqual([])
  })
})

describe('ordering', () => {
  it('reads numbers written in Chinese', () => {
    expect(chineseNumber('十')).toBe(10)
    expect(chineseNumber('十二')).toBe(12)
    expect(chineseNumber('二十')).toBe(20)
    expect(chineseNumber('一百零五')).toBe(105)
    expect(leadingNumber('第3组')).toBe(3)
    expect(leadingNumber('十一社')).toBe(11)
    expect(leadingNumber('大寨')).toBeNull()
  })

  it('orders groups as people count them', () => {
    const names = ['十组', '二组', '一组', '十一组', '三组', '大寨组']
    expect([...names].sort(compareGroups)).toEqual(['一组', '二组', '三组', '十组', '十一组', '大寨组'])
  })

  it('sorts rows by village, group, then 户主 by pinyin', () => {
    const sorted = sortRows([
      row({ id: '1', group: '二组', head_name: '张三' }),
      row({ id: '2', group: '一组', head_name: '张三' }),
      row({ id: '3', group: '一组', head_name: '白云' }),
      row({ id: '4', group: '十组', head_name: '安国' }),
    ])
    expect(sorted.map((r) => r.id)).toEqual(['3', '2', '1', '4'])
  })

  it('prefills from the most common values', () => {
    const rows = [row({ village: '芷村' }), row({ village: '红寨' }), row({ village: '芷村' }), row({ village: '' })]
    expect(mostCommon(rows, (r) => r.village)).toBe('芷村')
    expect(mostCommon([], (r) => r.village)).toBe('')
    expect(distinctValues(rows, (r) => r.village)).toEqual(['红寨', '芷村'])
  })
})

describe('10,000 households', () => {
  const rows = manyRows(10_000)

  it('filters in memory fast enough to run on every keystroke', () => {
    const queries = ['z', 'zx', '张', '张建', '532503198000', '139', '七组', 'nothing-matches']
    const started = performance.now()
    let kept = 0
    for (const query of queries) kept += filterRows(rows, { ...emptyFilter(), query }).length
    const perPass = (performance.now() - started) / queries.length
    console.log(`filter pass over ${rows.length} rows: ${perPass.toFixed(2)} ms on average (${queries.length} queries)`)
    expect(kept).toBeGreaterThan(0)
    expect(filterRows(rows, { ...emptyFilter(), query: 'nothing-matches' })).toEqual([])
  })

  it('filters with every criterion at once', () => {
    const started = performance.now()
    const filter = { ...emptyFilter(), query: 'z', group: '村3/七组', unsigned: true }
    const kept = filterRows(rows, filter)
    const byHand = rows.filter(
      (r) => r.search.includes('z') && r.village === '村3' && r.group === '七组' && !r.signed,
    )
    console.log(`combined filter over ${rows.length} rows: ${(performance.now() - started).toFixed(2)} ms, ${kept.length} kept`)
    expect(kept.length).toBeGreaterThan(0)
    expect(kept).toEqual(byHand)
  })

  it('sorts once on load', () => {
    const started = performance.now()
    const sorted = sortRows(rows)
    console.log(`sort of ${rows.length} rows: ${(performance.now() - started).toFixed(2)} ms`)
    expect(sorted).toHaveLength(rows.length)
    expect(new Set(sorted.map((r) => r.id)).size).toBe(rows.length)
    const started2 = performance.now()
    groupOptions(rows)
    statusOptions(rows)
    totals(rows)
    console.log(`filter choices and totals over ${rows.length} rows: ${(performance.now() - started2).toFixed(2)} ms`)
  })
})
