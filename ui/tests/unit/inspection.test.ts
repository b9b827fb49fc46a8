import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Household, Visit } from '../../src/api'
import { freshInspection } from './panelFixture'
import {
  INSPECTION_ITEMS,
  doneCount,
  draftOf,
  fieldSections,
  fieldVisible,
  freshId,
  fromUi,
  inspectionsNewestFirst,
  isDirty,
  itemChanges,
  latestVisitOn,
  localDate,
  ratingSummary,
  readPath,
  toUi,
  triLabel,
  triValue,
  type FieldSpec,
} from '../../src/inspection'

const spec = (key: string) => INSPECTION_ITEMS.find((s) => s.key === key)!

describe('the checklist table', () => {
  it('has the seven items in order with the labels the steps and photo targets use', () => {
    expect(INSPECTION_ITEMS.map((s) => s.label)).toEqual(['看家电', '看锅里', '里外看房屋', '看人', '看穿着', '看圈舍', '问邻居'])
    expect(INSPECTION_ITEMS.map((s) => s.key)).toEqual(['appliances', 'food', 'housing', 'health', 'clothing', 'livestock', 'neighbours'])
  })

  it('names only fields that exist in the Rust structs', () => {
    // The table is checked against crates/domain/src/household.rs itself, so a renamed Rust field fails here
    // rather than as a refused save in the field.
    // Vitest runs from ui/, the repository root is one up.
    const source = readFileSync(resolve(process.cwd(), '../crates/domain/src/household.rs'), 'utf8')
    const fieldsOf = (struct: string) => {
      const body = new RegExp(`pub struct ${struct} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? ''
      return new Set(Array.from(body.matchAll(/pub (\w+):/g), (m) => m[1]))
    }
    const structs: Record<string, string> = {
      appliances: 'AppliancesCheck',
      food: 'FoodCheck',
      housing: 'HousingCheck',
      health: 'HealthCheck',
      clothing: 'ClothingCheck',
      livestock: 'LivestockCheck',
      neighbours: 'NeighboursCheck',
    }
    const nested: Record<string, string> = { car: 'Car', pigs: 'Herd', cattle: 'Herd', sheep: 'Herd', horses_donkeys: 'Herd', poultry: 'Herd' }
    for (const item of INSPECTION_ITEMS) {
      const own = fieldsOf(structs[item.key])
      expect(own.size, item.key).toBeGreaterThan(0)
      for (const field of item.fields) {
        const [first, second] = field.path.split('/')
        expect(own.has(first), `${item.key}/${field.path}`).toBe(true)
        if (second) expect(fieldsOf(nested[first]).has(second), `${item.key}/${field.path}`).toBe(true)
      }
    }
    const recordFields = fieldsOf('ItemRecord')
    for (const name of ['rating', 'note', 'photos', 'recorded_at', 'gps']) expect(recordFields.has(name)).toBe(true)
    const statement = fieldsOf('NeighbourStatement')
    for (const name of ['name', 'relation', 'note']) expect(statement.has(name)).toBe(true)
  })

  it('gathers grouped fields under one heading', () => {
    const sections = fieldSections(spec('appliances'))
    expect(sections.map((s) => s.title)).toEqual(['家用电器', '车辆', '汽车', '大型机械'])
    expect(sections[0].fields).toHaveLength(5)
    expect(fieldSections(spec('food')).every((s) => s.title === null && s.fields.length === 1)).toBe(true)
  })
})

describe('tri-state answers', () => {
  it('maps Option<bool> to 是/否/未填 and back', () => {
    expect(triLabel(true)).toBe('是')
    expect(triLabel(false)).toBe('否')
    expect(triLabel(null)).toBe('未填')
    expect(triLabel(undefined)).toBe('未填')
    for (const value of [true, false, null]) expect(triValue(triLabel(value))).toBe(value)
  })
})

describe('form values', () => {
  const field = (kind: FieldSpec['kind'], label = '字段'): FieldSpec => ({ path: 'x', label, kind })

  it('shows stored values in the form', () => {
    expect(toUi('bool', true)).toBe(true)
    expect(toUi('bool', undefined)).toBe(false)
    expect(toUi('tri', null)).toBeNull()
    expect(toUi('count', 3)).toBe(3)
    expect(toUi('decimal', 0)).toBe('')
    expect(toUi('decimal', 12.5)).toBe('12.5')
    expect(toUi('year', null)).toBe('')
    expect(toUi('year', 2012)).toBe('2012')
    expect(toUi('yuan', 4500000)).toBe('45000.00')
    expect(toUi('yuan', 0)).toBe('')
    expect(toUi('choice', '砖混')).toBe('砖混')
    expect(toUi('choice', '')).toBeNull()
  })

  it('reads what the worker typed, including full-width digits', () => {
    expect(fromUi(field('decimal'), '１２．５')).toEqual({ ok: true, value: 12.5 })
    expect(fromUi(field('decimal'), '')).toEqual({ ok: true, value: 0 })
    expect(fromUi(field('year'), '２０１２')).toEqual({ ok: true, value: 2012 })
    expect(fromUi(field('year'), '')).toEqual({ ok: true, value: null })
    expect(fromUi(field('yuan'), '45,000')).toEqual({ ok: true, value: 4500000 })
    expect(fromUi(field('yuan'), '')).toEqual({ ok: true, value: 0 })
    expect(fromUi(field('count'), 4)).toEqual({ ok: true, value: 4 })
    expect(fromUi(field('tri'), false)).toEqual({ ok: true, value: false })
  })

  it('refuses nonsense and names the field', () => {
    expect(fromUi(field('decimal', '存粮'), '很多')).toEqual({ ok: false, error: '存粮应为不小于 0 的数字' })
    expect(fromUi(field('year', '建房年份'), '85')).toEqual({ ok: false, error: '建房年份应为四位年份，如 2015' })
    expect(fromUi(field('yuan', '汽车价格'), '三万')).toEqual({ ok: false, error: '汽车价格不是有效的金额' })
    expect(fromUi(field('count', '房间数'), Number.NaN)).toEqual({ ok: false, error: '房间数应为不小于 0 的整数' })
    expect(fromUi(field('count', '房间数'), -1).ok).toBe(false)
  })

  it('reads nested paths', () => {
    expect(readPath({ car: { owned: true } }, 'car/owned')).toBe(true)
    expect(readPath({ car: null }, 'car/owned')).toBeUndefined()
  })
})

describe('the changes of one item', () => {
  it('writes nothing for an untouched item', () => {
    const inspection = freshInspection()
    for (const item of INSPECTION_ITEMS) {
      const draft = draftOf(inspection, item)
      expect(itemChanges(inspection, item, draft), item.key).toEqual({ fields: [], errors: [] })
      expect(isDirty(inspection, item, draft)).toBe(false)
    }
  })

  it('writes only the changed fields, as paths relative to the item', () => {
    const inspection = freshInspection()
    const appliances = spec('appliances')
    const draft = draftOf(inspection, appliances)
    draft.values.tv = true
    draft.values.motorbikes = 2
    draft.values['car/owned'] = true
    draft.values['car/price_fen'] = '45000'
    draft.rating = '一般'
    draft.note = '有一辆面包车'
    expect(itemChanges(inspection, appliances, draft)).toEqual({
      fields: [
        ['tv', true],
        ['motorbikes', 2],
        ['car/owned', true],
        ['car/price_fen', 4500000],
        ['record/rating', '一般'],
        ['record/note', '有一辆面包车'],
      ],
      errors: [],
    })
  })

  it('keeps a stored car price when the car is unticked, rather than wiping it', () => {
    const inspection = freshInspection()
    inspection.items.appliances.car = { owned: true, price_fen: 3000000, commercial: true }
    const appliances = spec('appliances')
    const draft = draftOf(inspection, appliances)
    expect(draft.values['car/price_fen']).toBe('30000.00')
    draft.values['car/owned'] = false
    expect(fieldVisible(appliances.fields.find((f) => f.path === 'car/price_fen')!, draft)).toBe(false)
    expect(itemChanges(inspection, appliances, draft).fields).toEqual([['car/owned', false]])
  })

  it('writes tri-state, herd counts and choices with their JSON types', () => {
    const inspection = freshInspection()
    const food = draftOf(inspection, spec('food'))
    food.values.staple_enough = false
    food.values.stored_grain_kg = '150'
    expect(itemChanges(inspection, spec('food'), food).fields).toEqual([
      ['staple_enough', false],
      ['stored_grain_kg', 150],
    ])
    const livestock = draftOf(inspection, spec('livestock'))
    livestock.values['pigs/stock'] = 3
    livestock.values['poultry/sold'] = 20
    expect(itemChanges(inspection, spec('livestock'), livestock).fields).toEqual([
      ['pigs/stock', 3],
      ['poultry/sold', 20],
    ])
    const housing = draftOf(inspection, spec('housing'))
    housing.values.structure = '土木'
    housing.values.danger_grade = 'C级'
    housing.values.build_year = '1985'
    expect(itemChanges(inspection, spec('housing'), housing).fields).toEqual([
      ['structure', '土木'],
      ['danger_grade', 'C级'],
      ['build_year', 1985],
    ])
  })

  it('reports unreadable fields instead of saving them', () => {
    const inspection = freshInspection()
    const draft = draftOf(inspection, spec('housing'))
    draft.values.area_m2 = '六十'
    draft.rating = '差'
    const changes = itemChanges(inspection, spec('housing'), draft)
    expect(changes.errors).toEqual(['住房面积应为不小于 0 的数字'])
    expect(changes.fields).toEqual([['record/rating', '差']])
    expect(isDirty(inspection, spec('housing'), draft)).toBe(true)
  })

  it('writes each new neighbour statement as a whole object under its own id', () => {
    const inspection = freshInspection()
    const draft = draftOf(inspection, spec('neighbours'))
    draft.statements['0b7c3a8e-1111-4222-8333-444455556666'] = { name: ' 王芳 ', relation: '邻居', note: '常年在昆明打工' }
    draft.values.says_lives_elsewhere = true
    expect(itemChanges(inspection, spec('neighbours'), draft).fields).toEqual([
      ['says_lives_elsewhere', true],
      ['statements/0b7c3a8e-1111-4222-8333-444455556666', { name: '王芳', relation: '邻居', note: '常年在昆明打工' }],
    ])
  })

  it('treats a missing item (a record from an older app) as defaults', () => {
    const inspection = freshInspection()
    delete (inspection.items as Record<string, unknown>).clothing
    const draft = draftOf(inspection, spec('clothing'))
    expect(draft.values).toEqual({ seasonal_clothes: null, winter_bedding: null })
    expect(itemChanges(inspection, spec('clothing'), draft).fields).toEqual([])
    expect(draftOf(undefined, spec('food')).rating).toBeNull()
  })
})

describe('summaries', () => {
  it('counts an item as done when it has a rating', () => {
    const inspection = freshInspection()
    expect(doneCount(inspection)).toBe(0)
    expect(ratingSummary(inspection)).toBe('未评 7')
    inspection.items.food.record.rating = '好'
    inspection.items.housing.record.rating = '差'
    inspection.items.health.record.rating = '好'
    inspection.items.neighbours.record.note = '只写了备注'
    expect(doneCount(inspection)).toBe(3)
    expect(ratingSummary(inspection)).toBe('好 2 · 差 1 · 未评 4')
    expect(doneCount(undefined)).toBe(0)
  })

  it('lists inspections newest first', () => {
    const a = freshInspection()
    const b = { ...freshInspection(), inspected_at: '2026-12-01T06:00:00Z' }
    const household = { inspections: { a, b } } as unknown as Household
    expect(inspectionsNewestFirst(household).map((x) => x.id)).toEqual(['b', 'a'])
  })

  it('finds the latest visit of a local day', () => {
    const visit = (at: Date): Visit => ({
      visited_at: at.toISOString(),
      recorded_by: '李明',
      visitors: [],
      gps: null,
      interviewee: '',
      interviewee_relation: null,
      purpose: '',
      note: '',
      photos: {},
    })
    const morning = new Date(2026, 10, 23, 9, 0)
    const afternoon = new Date(2026, 10, 23, 15, 30)
    const yesterday = new Date(2026, 10, 22, 16, 0)
    const visits = { m: visit(morning), a: visit(afternoon), y: visit(yesterday) }
    expect(localDate(morning)).toBe('2026-11-23')
    expect(latestVisitOn(visits, '2026-11-23')).toBe('a')
    expect(latestVisitOn(visits, '2026-11-22')).toBe('y')
    expect(latestVisitOn(visits, '2026-11-24')).toBeNull()
    expect(latestVisitOn(undefined, '2026-11-24')).toBeNull()
  })

  it('makes fresh version-4 UUIDs', () => {
    const id = freshId()
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(freshId()).not.toBe(id)
  })
})

describe('photo targets', () => {
  it('name each item by the domain label the device parses (InspectionItem)', () => {
    const source = readFileSync(resolve(process.cwd(), '../crates/domain/src/codes.rs'), 'utf8')
    const block = /InspectionItem \("六看一问项目"\) \{([\s\S]*?)\}/.exec(source)?.[1] ?? ''
    const labels = Array.from(block.matchAll(/=> "([^"]+)"/g), (m) => m[1])
    expect(INSPECTION_ITEMS.map((s) => s.title)).toEqual(labels)
  })
})
