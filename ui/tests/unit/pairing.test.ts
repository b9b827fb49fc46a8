import { describe, expect, it } from 'vitest'
import {
  canEndPairing,
  helperPeriod,
  isActivePairing,
  pairingRows,
  pairingState,
  readHelperForm,
  statusChangeText,
  statusHistory,
  type HelperPairing,
} from '../../src/pairing'

const pairing = (start: string | null, end: string | null, name = '刘建国'): HelperPairing => ({
  name,
  unit: '蒙自市农业农村局',
  phone: '13700000000',
  start,
  end,
})

describe('helper pairings', () => {
  it('counts a pairing as active from its start day through its end day', () => {
    const today = '2026-11-23'
    expect(isActivePairing(pairing('2024-01-01', null), today)).toBe(true)
    expect(isActivePairing(pairing('2026-11-23', null), today)).toBe(true)
    expect(isActivePairing(pairing('2026-11-24', null), today)).toBe(false)
    expect(isActivePairing(pairing('2024-01-01', '2026-11-23'), today)).toBe(true)
    expect(isActivePairing(pairing('2024-01-01', '2026-11-22'), today)).toBe(false)
  })

  it('leaves a missing start or end open, as the domain does', () => {
    expect(isActivePairing(pairing(null, null), '2026-11-23')).toBe(true)
    expect(isActivePairing(pairing(null, '2020-01-01'), '2026-11-23')).toBe(false)
  })

  it('tells ended pairings from those still to come', () => {
    expect(pairingState(pairing('2027-01-01', null), '2026-11-23')).toBe('upcoming')
    expect(pairingState(pairing('2020-01-01', '2021-12-31'), '2026-11-23')).toBe('ended')
    expect(pairingState(pairing('2020-01-01', null), '2026-11-23')).toBe('active')
  })

  it('offers 结束帮扶 only where it would change the end', () => {
    expect(canEndPairing(pairing('2024-01-01', null), '2026-11-23')).toBe(true)
    expect(canEndPairing(pairing('2024-01-01', '2027-06-30'), '2026-11-23')).toBe(true)
    expect(canEndPairing(pairing('2024-01-01', '2026-11-23'), '2026-11-23')).toBe(false)
    expect(canEndPairing(pairing('2020-01-01', '2021-12-31'), '2026-11-23')).toBe(false)
    expect(canEndPairing(pairing('2027-01-01', null), '2026-11-23')).toBe(false)
  })

  it('writes the period as the paper file does', () => {
    expect(helperPeriod(pairing('2024-01-01', null))).toBe('2024-01-01 至今')
    expect(helperPeriod(pairing('2024-01-01', '2025-06-30'))).toBe('2024-01-01 至 2025-06-30')
    expect(helperPeriod(pairing(null, null))).toBe('开始日期未填 至今')
  })

  it('lists active pairings first, latest start first, and keeps ended ones', () => {
    const rows = pairingRows(
      {
        a: pairing('2020-01-01', '2021-12-31', '甲'),
        b: pairing('2022-01-01', null, '乙'),
        c: pairing('2025-03-01', null, '丙'),
        d: pairing('2027-01-01', null, '丁'),
      },
      '2026-11-23',
    )
    expect(rows.map((r) => [r.id, r.state])).toEqual([
      ['c', 'active'],
      ['b', 'active'],
      ['d', 'upcoming'],
      ['a', 'ended'],
    ])
    expect(rows[0].period).toBe('2025-03-01 至今')
    expect(rows[0].canEnd).toBe(true)
    expect(pairingRows(undefined, '2026-11-23')).toEqual([])
  })
})

describe('the pairing form', () => {
  const input = { name: ' 刘建国 ', unit: ' 县农业农村局 ', phone: '13700000000 ', start: '2026-11-23', end: '' }

  it('trims the text and stores an empty end as none', () => {
    expect(readHelperForm(input)).toEqual({
      ok: true,
      value: { name: '刘建国', unit: '县农业农村局', phone: '13700000000', start: '2026-11-23', end: null },
    })
    expect(readHelperForm({ ...input, start: '' })).toMatchObject({ ok: true, value: { start: null } })
  })

  it('asks for a name and a sensible period', () => {
    expect(readHelperForm({ ...input, name: '  ' })).toEqual({ ok: false, message: '请填写帮扶责任人姓名' })
    expect(readHelperForm({ ...input, end: '2026-01-01' })).toEqual({ ok: false, message: '结束日期不能早于开始日期' })
    expect(readHelperForm({ ...input, start: '2026/11/23' })).toMatchObject({ ok: false })
  })
})

describe('status history', () => {
  it('shows the latest year first, one line each', () => {
    const rows = statusHistory({
      x: { status: '未脱贫', year: 2016, note: '' },
      y: { status: '已脱贫', year: 2019, note: '产业帮扶后脱贫' },
    })
    expect(rows.map(statusChangeText)).toEqual(['2019 年 已脱贫（产业帮扶后脱贫）', '2016 年 未脱贫'])
    expect(statusHistory(undefined)).toEqual([])
  })
})
