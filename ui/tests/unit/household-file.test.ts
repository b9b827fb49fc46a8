import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { h } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import type { HouseholdView } from '../../src/api/types'

const HEAD = '11111111-1111-4111-8111-111111111111'

function member(name: string, relation: string, sex: string) {
  return {
    name, sex, ethnicity: '01', id_type: '身份证', id_number: '', relation, phone: '', education: null, school: null,
    health: [], disease: '', disability_category: '', disability_grade: null, labour: null,
    work: { place: null, months: 0, employer: '', monthly_income_fen: 0 },
    insurance: { basic_medical: false, serious_illness: false, pension: false },
    welfare: { dibao: false, tekun: false, public_welfare_job: false },
    state_payroll: false, village_cadre: false, status: '在册', status_date: null, note: '',
  }
}

function view(): HouseholdView {
  return {
    household: {
      id: 'h1', national_number: '', head_member_id: HEAD,
      area: { county: '蒙自市', township: '芷村镇', village: '芷村', group: '一组' },
      address: '芷村一组1号', phone: '13900000000', standard: null, attribute: '一般贫困户', household_type: null,
      main_cause: '因病', other_causes: [], status: '未脱贫',
      flags: { separated_residence: false, relocated: false, military_family: false, registered_absent: false },
      members: { [HEAD]: member('张三', '户主', '男') },
      conditions: {}, incomes: {}, visits: {}, contacts: {}, inspections: {}, assessments: {}, signatures: {}, note: '',
    },
    findings: [{ check_id: 'phone', severity: '警告', path: 'phone', member_id: null, message: '联系电话需要核实' }],
    blockers: [],
    conflicts: [],
    size: 1,
  } as unknown as HouseholdView
}

const api = {
  household: vi.fn(),
  codeLists: vi.fn(),
  setFields: vi.fn(),
  addEntry: vi.fn(),
  incomePreview: vi.fn(),
  history: vi.fn(),
  conflicts: vi.fn(),
  appState: vi.fn(),
}
vi.mock('../../src/api', async (original) => ({ ...(await original<typeof import('../../src/api')>()), api }))

const { default: HouseholdFile } = await import('../../src/views/HouseholdFile.vue')

async function mountFile(tab = 'basic') {
  // Mounted through a router view, as in the app, so its route guards have a route to guard.
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/households/:id', component: HouseholdFile, props: true },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  })
  await router.push(`/households/h1?tab=${tab}`)
  const app = mount({ render: () => h(RouterView) }, { global: { plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return { file: app, router }
}

describe('HouseholdFile', () => {
  beforeEach(() => {
    for (const fn of Object.values(api)) fn.mockReset()
    api.household.mockResolvedValue(view())
    api.codeLists.mockResolvedValue({
      lists: { 与户主关系: ['户主', '配偶', '之子', '之女'], 性别: ['男', '女'], 人员状态: ['在册', '迁出'], 致贫原因: ['因病', '因学'] },
      inspection_items: [], assurance_items: [], ethnic_groups: [{ code: '01', name: '汉族' }],
    })
    api.incomePreview.mockResolvedValue({ net_fen: 1200000, per_capita_fen: 1200000, size: 1, line_fen: 660000, line_kind: '防返贫监测标准', below_line: false })
    document.body.innerHTML = ''
  })

  it('puts the test ids on the elements a driver types into and clicks', async () => {
    const { file } = await mountFile()
    expect(file.get('[data-testid="file-title"]').text()).toBe('张三')
    expect(file.get('[data-testid="field-phone"]').element.tagName).toBe('INPUT')
    expect(file.get('[data-testid="field-address"]').element.tagName).toBe('INPUT')
    expect(file.get('[data-testid="save-basic"]').element.tagName).toBe('BUTTON')
    expect(file.findAll('[data-testid="member-row"]')).toHaveLength(1)
    expect(file.text()).toContain('联系电话需要核实')
    file.unmount()
  })

  it('saves only the fields that changed', async () => {
    const { file } = await mountFile()
    api.setFields.mockResolvedValue(view())
    await file.get('[data-testid="field-phone"]').setValue('13712345678')
    await file.get('form').trigger('submit')
    await flushPromises()
    expect(api.setFields).toHaveBeenCalledWith('h1', [['phone', '13712345678']])
    file.unmount()
  })

  it('adds a member through the editor', async () => {
    const { file } = await mountFile()
    const added = view()
    api.addEntry.mockResolvedValue({ entry_id: 'm2', view: added })
    await file.get('[data-testid="add-member"]').trigger('click')
    await flushPromises()
    const body = document.body
    const name = body.querySelector<HTMLInputElement>('[data-testid="member-name"]')!
    const relation = body.querySelector<HTMLSelectElement>('[data-testid="member-relation"]')!
    const sex = body.querySelector<HTMLSelectElement>('[data-testid="member-sex"]')!
    expect([name.tagName, relation.tagName, sex.tagName]).toEqual(['INPUT', 'SELECT', 'SELECT'])
    name.value = '张小红'
    name.dispatchEvent(new Event('input'))
    relation.value = '之女'
    relation.dispatchEvent(new Event('change'))
    sex.value = '女'
    sex.dispatchEvent(new Event('change'))
    body.querySelector<HTMLButtonElement>('[data-testid="member-save"]')!.click()
    await flushPromises()
    expect(api.addEntry).toHaveBeenCalledTimes(1)
    const [id, collection, value] = api.addEntry.mock.calls[0]
    expect([id, collection]).toEqual(['h1', 'members'])
    expect(value).toMatchObject({ name: '张小红', relation: '之女', sex: '女', status: '在册', ethnicity: '01' })
    file.unmount()
  })

  it('fills the leaving date only when the worker changes the status', async () => {
    const moved = view()
    moved.household.members['22222222-2222-4222-8222-222222222222'] = { ...member('张四', '之子', '男'), status: '迁出' }
    api.household.mockResolvedValue(moved)
    api.setFields.mockResolvedValue(moved)
    const { file } = await mountFile()
    const rows = file.findAll('[data-testid="member-row"]')
    await rows[0].trigger('click')
    await flushPromises()
    document.body.querySelector<HTMLButtonElement>('.member-editor-head button')!.click()
    await flushPromises()
    await rows[1].trigger('click')
    await flushPromises()
    const date = document.body.querySelector<HTMLInputElement>('input[type="date"]')!
    expect(date.value).toBe('')
    const status = Array.from(document.body.querySelectorAll<HTMLSelectElement>('.member-popup select')).find((s) =>
      Array.from(s.options).some((o) => o.value === '迁出'),
    )!
    status.value = '在册'
    status.dispatchEvent(new Event('change'))
    await flushPromises()
    status.value = '迁出'
    status.dispatchEvent(new Event('change'))
    await flushPromises()
    expect(document.body.querySelector<HTMLInputElement>('input[type="date"]')!.value).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    file.unmount()
  })

  it('asks the device for the per-capita income as the worker types', async () => {
    vi.useFakeTimers()
    const { file } = await mountFile('income')
    await vi.advanceTimersByTimeAsync(200)
    await flushPromises()
    expect(api.incomePreview).toHaveBeenCalled()
    await file.get('[data-testid="income-wage"]').setValue('12000')
    await vi.advanceTimersByTimeAsync(200)
    await flushPromises()
    const calls = api.incomePreview.mock.calls
    const last = calls[calls.length - 1]
    expect(last[1]).toMatchObject({ wage_fen: 1200000 })
    expect(file.get('[data-testid="income-per-capita"]').text()).toBe('12000.00')
    expect(file.text()).toContain('高于防返贫监测标准')
    vi.useRealTimers()
    file.unmount()
  })
})
