import { describe, expect, it } from 'vitest'
import type { Assessment, Household, Member } from '../../src/api'
import {
  STANDARDS,
  ageFromIdNumber,
  assessmentChanges,
  draftOfAssessment,
  evidence,
  verdictLabel,
  verdictSummary,
} from '../../src/assessment'

const verdict = (met: boolean | null, note = '') => ({ met, note })

function assessment(): Assessment {
  return {
    visit_id: null,
    assessed_at: '2026-11-23T06:00:00Z',
    assessed_by: '李明',
    food: verdict(true, '锅里有肉'),
    clothing: verdict(null),
    education: verdict(null),
    medical: verdict(false),
    housing: verdict(null),
    water: verdict(null),
  }
}

function member(partial: Partial<Member>): Member {
  return {
    name: '',
    sex: null,
    ethnicity: '01',
    id_type: null,
    id_number: '',
    relation: null,
    phone: '',
    education: null,
    school: null,
    health: [],
    disease: '',
    disability_category: '',
    disability_grade: null,
    labour: null,
    work: { place: null, months: 0, employer: '', monthly_income_fen: 0 },
    insurance: { basic_medical: true, serious_illness: false, pension: false },
    welfare: { dibao: false, tekun: false, public_welfare_job: false },
    state_payroll: false,
    village_cadre: false,
    status: '在册',
    status_date: null,
    note: '',
    ...partial,
  }
}

describe('两不愁三保障 verdicts', () => {
  it('lists the six standards under the Rust keys', () => {
    expect(STANDARDS.map((s) => s.key)).toEqual(['food', 'clothing', 'education', 'medical', 'housing', 'water'])
  })

  it('labels verdicts', () => {
    expect(verdictLabel(true)).toBe('达标')
    expect(verdictLabel(false)).toBe('未达标')
    expect(verdictLabel(null)).toBe('未评')
    expect(verdictSummary(assessment())).toBe('达标 1 · 未达标 1 · 未评 4')
  })

  it('saves only changed verdicts and notes, by document path', () => {
    const stored = assessment()
    const draft = draftOfAssessment(stored)
    expect(assessmentChanges('a1', stored, draft)).toEqual([])
    draft.water.met = true
    draft.medical.met = null
    draft.food.note = '锅里有肉，粮仓满'
    expect(assessmentChanges('a1', stored, draft)).toEqual([
      ['assessments/a1/food/note', '锅里有肉，粮仓满'],
      ['assessments/a1/medical/met', null],
      ['assessments/a1/water/met', true],
    ])
  })

  it('starts a missing assessment as all 未评', () => {
    const draft = draftOfAssessment(undefined)
    expect(Object.values(draft).every((v) => v.met === null && v.note === '')).toBe(true)
  })
})

describe('evidence from the file', () => {
  const today = new Date(2026, 10, 23)

  it('computes age from the birth date in an ID number', () => {
    expect(ageFromIdNumber('53252219800101001X', today)).toBe(46)
    expect(ageFromIdNumber('532522201611240011', today)).toBe(9)
    expect(ageFromIdNumber('532522201611230011', today)).toBe(10)
    expect(ageFromIdNumber('5325221980', today)).toBeNull()
    expect(ageFromIdNumber('532522198013010011', today)).toBeNull()
  })

  it('names school-age children out of school and uninsured members', () => {
    const household = {
      members: {
        a: member({ name: '张三', id_number: '53252219800101001X' }),
        b: member({ name: '张小明', id_number: '532522201503010011', school: '非在校生' }),
        c: member({ name: '张小红', id_number: '532522201409010022', school: '七年级', insurance: { basic_medical: false, serious_illness: false, pension: false } }),
        d: member({ name: '张老', status: '死亡', insurance: { basic_medical: false, serious_illness: false, pension: false } }),
      },
      conditions: {
        x: { year: 2025, dangerous: true, danger_grade: 'C级', renovated_year: null, water_safe: false, house_area_m2: 60 },
      },
      inspections: {},
    } as unknown as Household
    expect(evidence(household, 'education', today)).toEqual([
      '义务教育阶段在校：张小红（七年级）',
      '6至15岁未登记在校：张小明',
    ])
    expect(evidence(household, 'medical', today)).toEqual(['未参加基本医疗保险：张小红'])
    expect(evidence(household, 'housing', today)).toEqual(['2025年登记为危房（C级），未登记改造'])
    expect(evidence(household, 'water', today)).toEqual(['2025年登记：饮水困难'])
    expect(evidence(household, 'food', today)).toEqual([])
  })
})
