import { describe, expect, it } from 'vitest'
import type { Household, Income, Member } from '../../src/api/types'
import { INSPECTION_ITEMS } from '../../src/inspection'
import { birthDateFromIdNumber, coverText, healthText, itemFacts, neighbourStatements, workText } from '../../console/src/logic/fileView'
import { byYearDesc, flagLabels, historyNewestFirst, householdSize, incomeTotals, isRegistered, orderedMembers } from '../../console/src/logic/household'

function member(name: string, extra: Partial<Member> = {}): Member {
  return {
    name, sex: '男', ethnicity: '汉族', id_type: '身份证', id_number: '', relation: null, phone: '', education: null, school: null,
    health: [], disease: '', disability_category: '', disability_grade: null, labour: null,
    work: { place: null, months: 0, employer: '', monthly_income_fen: 0 },
    insurance: { basic_medical: false, serious_illness: false, pension: false },
    welfare: { dibao: false, tekun: false, public_welfare_job: false },
    state_payroll: false, village_cadre: false, status: null, status_date: null, note: '', ...extra,
  }
}

const income: Income = {
  year: 2025,
  wage_fen: 1_000_000,
  business: { planting_fen: 200_000, breeding_fen: 100_000, forestry_fen: 0, other_fen: 0 },
  property: { dividend_fen: 5_000, land_transfer_fen: 0, other_fen: 0 },
  transfer: { family_planning_fen: 0, dibao_fen: 300_000, tekun_fen: 0, pension_fen: 0, eco_compensation_fen: 0, other_fen: 1 },
  business_expense_fen: 50_000,
  declared_per_capita_fen: null,
  note: '',
}

describe('members', () => {
  const household = {
    head_member_id: 'h',
    members: {
      a: member('王五', { status: '婚出' }),
      b: member('李四', { status: '在册' }),
      h: member('张三', { relation: '户主' }),
      c: member('阿大'),
    },
  } as unknown as Household

  it('counts registered members like Member::is_registered', () => {
    expect(isRegistered({ status: null })).toBe(true)
    expect(isRegistered({ status: '在册' })).toBe(true)
    expect(isRegistered({ status: '死亡' })).toBe(false)
    expect(householdSize(household)).toBe(3)
  })

  it('lists the head first, then registered members, then those who left', () => {
    expect(orderedMembers(household).map((m) => m.member.name)).toEqual(['张三', '阿大', '李四', '王五'])
  })

  it('reads birth dates from ID numbers', () => {
    expect(birthDateFromIdNumber('53252219800501123X')).toBe('1980-05-01')
    expect(birthDateFromIdNumber('532522198013011234')).toBe('')
    expect(birthDateFromIdNumber('')).toBe('')
  })

  it('describes health, work and cover', () => {
    expect(healthText(member('a', { health: ['残疾'], disability_category: '肢体', disability_grade: 3 }))).toBe('残疾（肢体 3级）')
    expect(healthText(member('a'))).toBe('—')
    expect(workText(member('a', { work: { place: '省外', months: 10, employer: '某厂', monthly_income_fen: 350_000 } }))).toBe('省外 10 个月，某厂，月收入 3500.00 元')
    expect(workText(member('a'))).toBe('—')
    expect(coverText(member('a', { insurance: { basic_medical: true, serious_illness: false, pension: true }, welfare: { dibao: true, tekun: false, public_welfare_job: false } }))).toBe('基本医疗保险、养老保险、低保')
  })
})

describe('income', () => {
  it('adds up the year as the 年人均纯收入 formula does, in whole fen', () => {
    expect(incomeTotals(income, 3)).toEqual({
      business_fen: 300_000,
      property_fen: 5_000,
      transfer_fen: 300_001,
      net_fen: 1_555_001,
      per_capita_fen: 518_333,
    })
    expect(incomeTotals(income, 0).per_capita_fen).toBeNull()
  })

  it('orders yearly records newest first', () => {
    expect(byYearDesc({ a: { year: 2023 }, b: { year: 2025 }, c: { year: 2024 } }).map((r) => r.id)).toEqual(['b', 'c', 'a'])
  })
})

describe('the rest of the file', () => {
  it('names set flags', () => {
    const household = { flags: { separated_residence: true, relocated: true }, business: { employs_others: true } } as unknown as Household
    expect(flagLabels(household)).toEqual(['人户分离', '易地扶贫搬迁户', '长期雇工'])
  })

  it('shows history newest first without changing what the server sent', () => {
    const history = [{ change: '1' }, { change: '2' }] as never[]
    expect(historyNewestFirst(history).map((h: { change: string }) => h.change)).toEqual(['2', '1'])
    expect((history as { change: string }[])[0].change).toBe('1')
  })

  it('lists what an inspection item recorded, leaving out unticked boxes and zeros', () => {
    const appliances = INSPECTION_ITEMS.find((s) => s.key === 'appliances')!
    const item = { tv: true, fridge: false, motorbikes: 2, tricycles: 0, car: { owned: true, price_fen: 3_500_000, commercial: false } }
    expect(itemFacts(item, appliances)).toEqual(['电视', '摩托车 2 辆', '有汽车', '汽车价格 35000.00 元'])
    // The car's price only counts while a car is owned.
    expect(itemFacts({ car: { owned: false, price_fen: 100 } }, appliances)).toEqual([])
    const food = INSPECTION_ITEMS.find((s) => s.key === 'food')!
    expect(itemFacts({ staple_enough: false, cooking_oil: null, stored_grain_kg: 150.5 }, food)).toEqual(['主粮够吃：否', '存粮 150.5 公斤'])
  })

  it('lists neighbours’ statements', () => {
    expect(neighbourStatements({ statements: { x: { name: '王五', relation: '邻居', note: '常年在家' } } })).toEqual(['王五（邻居）：常年在家'])
    expect(neighbourStatements({})).toEqual([])
  })
})
