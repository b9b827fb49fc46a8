// A household as the Rust domain serialises it, small enough to read, for mounting the panels in tests.
import type { Household, HouseholdView, Inspection, ItemRecord } from '../../src/api'

export const record = (rating: ItemRecord['rating'] = null): ItemRecord => ({
  rating,
  note: '',
  photos: {},
  recorded_at: null,
  gps: null,
})

/** An inspection as a fresh one is serialised: every item present with its defaults. */
export function freshInspection(at = '2026-11-23T06:00:00Z'): Inspection {
  const herd = () => ({ stock: 0, sold: 0 })
  return {
    visit_id: null,
    inspected_at: at,
    inspected_by: '李明',
    items: {
      appliances: {
        record: record(),
        tv: false,
        fridge: false,
        washing_machine: false,
        air_conditioner: false,
        computer: false,
        motorbikes: 0,
        tricycles: 0,
        tractors: 0,
        car: { owned: false, price_fen: 0, commercial: false },
        construction_machinery: false,
        large_farm_vehicle: false,
      },
      food: { record: record(), staple_enough: null, meat_eggs_per_week: 0, stored_grain_kg: 0, cooking_oil: null },
      housing: {
        record: record(),
        structure: null,
        rooms: 0,
        area_m2: 0,
        build_year: null,
        danger_grade: null,
        decorated: false,
        toilet: false,
        kitchen: false,
        water_point: false,
        town_property: false,
      },
      health: { record: record(), long_term_medicine: false, disability_seen: false, able_to_work: 0 },
      clothing: { record: record(), seasonal_clothes: null, winter_bedding: null },
      livestock: {
        record: record(),
        pigs: herd(),
        cattle: herd(),
        sheep: herd(),
        horses_donkeys: herd(),
        poultry: herd(),
        pens_note: '',
      },
      neighbours: {
        record: record(),
        statements: {},
        says_lives_elsewhere: false,
        says_hidden_assets: false,
        says_split_to_qualify: false,
      },
    },
  }
}

export function household(): Household {
  return {
    id: 'h1',
    national_number: '',
    head_member_id: 'm1',
    area: { county: '蒙自市', township: '芷村镇', village: '芷村', group: '一组' },
    address: '',
    phone: '',
    standard: null,
    attribute: null,
    household_type: null,
    main_cause: null,
    other_causes: [],
    status: null,
    members: {
      m1: {
        name: '张三',
        sex: '男',
        ethnicity: '01',
        id_type: '身份证',
        id_number: '53252219800101001X',
        relation: '户主',
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
      },
    },
    conditions: {},
    incomes: {},
    visits: {},
    contacts: {},
    inspections: {},
    assessments: {},
    signatures: {},
    note: '',
  }
}

export function viewOf(h: Household, extra: Partial<HouseholdView> = {}): HouseholdView {
  return { household: h, findings: [], blockers: [], conflicts: [], size: 1, ...extra }
}

/** A deep copy, so a test can make "the next view" without touching the one on screen. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
