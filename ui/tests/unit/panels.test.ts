// The panels mounted against a fake device: the data-testids the end-to-end tests rely on are on the right
// elements, and each save sends the paths the Rust side expects.
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { defineComponent, h, ref, type Component } from 'vue'
import type { AppState, HouseholdView } from '../../src/api'
import { clone, freshInspection, household, viewOf } from './panelFixture'

// Toasts are spied on rather than looked for in the page: Vant keeps one toast element for the whole run.
const { push, failToast } = vi.hoisted(() => ({ push: vi.fn(), failToast: vi.fn() }))
vi.mock('vue-router', () => ({ useRouter: () => ({ push }) }))
vi.mock('vant', async (importOriginal) => ({ ...(await importOriginal<typeof import('vant')>()), showFailToast: failToast }))

vi.mock('../../src/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/api')>()
  return {
    ...actual,
    api: {
      appState: vi.fn(),
      codeLists: vi.fn(),
      addEntry: vi.fn(),
      setFields: vi.fn(),
      addPhoto: vi.fn(),
      photoUrl: vi.fn(async () => 'data:image/jpeg;base64,AAAA'),
      sign: vi.fn(),
      sync: vi.fn(),
      exportBundle: vi.fn(),
      importBundle: vi.fn(),
    },
  }
})

const { api } = await import('../../src/api')
const InspectionPanel = (await import('../../src/components/InspectionPanel.vue')).default
const AssessmentPanel = (await import('../../src/components/AssessmentPanel.vue')).default
const VisitsPanel = (await import('../../src/components/VisitsPanel.vue')).default
const SignPanel = (await import('../../src/components/SignPanel.vue')).default
const SyncPage = (await import('../../src/views/SyncPage.vue')).default
const PhotoStrip = (await import('../../src/components/PhotoStrip.vue')).default

const mocked = api as unknown as Record<string, Mock<(...args: any[]) => any>>

/** Mounts a panel the way the household file does: it holds the view and takes every `update`. */
function host(panel: Component, initial: HouseholdView) {
  const view = ref(initial)
  const Host = defineComponent({
    setup: () => () => h(panel, { view: view.value, onUpdate: (next: HouseholdView) => (view.value = next) }),
  })
  return { wrapper: mount(Host, { attachTo: document.body }), view }
}

const enrolledState: AppState = {
  initialised: true,
  data_dir: '/data',
  device_id: 'dev-1',
  device_name: '芷村平板1',
  user: '李明',
  enrolled: true,
  server_url: 'https://county.example',
  role: 'team_leader',
  villages: [],
  default_server: null,
  default_export_dir: '/home/li/Documents',
  today: '2026-11-23',
  household_count: 12,
}

const byTestId = (id: string) => `[data-testid="${id}"]`

beforeEach(() => {
  failToast.mockReset()
  for (const fn of Object.values(mocked)) fn.mockReset()
  mocked.photoUrl.mockResolvedValue('data:image/jpeg;base64,AAAA')
  mocked.codeLists.mockResolvedValue({ lists: { 与户主关系: ['户主', '配偶', '之子'] }, inspection_items: [], assurance_items: [], ethnic_groups: [] })
  mocked.appState.mockResolvedValue(enrolledState)
})

afterEach(() => {
  document.body.innerHTML = ''
})

describe('InspectionPanel', () => {
  it('starts an inspection, walks the steps and saves an item as one change', async () => {
    const start = viewOf(household())
    const created = clone(start)
    created.household.inspections.i1 = freshInspection()
    mocked.addEntry.mockResolvedValue({ entry_id: 'i1', view: created })
    const { wrapper } = host(InspectionPanel, start)

    await wrapper.get(byTestId('start-inspection')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'inspections', {})

    const steps = wrapper.findAll(byTestId('inspection-step'))
    expect(steps.map((s) => s.attributes('data-item'))).toEqual(['看家电', '看锅里', '里外看房屋', '看人', '看穿着', '看圈舍', '问邻居'])
    expect(wrapper.get(byTestId('inspection-done-count')).text()).toBe('已完成 0/7')
    expect(wrapper.get(byTestId('photo-input')).element.tagName).toBe('INPUT')
    expect(wrapper.get(byTestId('photo-input')).attributes('type')).toBe('file')

    // A photo goes to the item by the domain's label, which is what the device parses.
    mocked.addPhoto.mockResolvedValue(created)
    wrapper.findComponent(PhotoStrip).vm.$emit('add', [new File([new Uint8Array([0xff, 0xd8, 0xff])], 'a.jpg')])
    await flushPromises()
    expect(mocked.addPhoto).toHaveBeenCalledWith('h1', { kind: 'inspection', inspection_id: 'i1', item: '入户看电器' }, '/9j/', '')

    // 看家电: a TV, two motorbikes, a rating and a note.
    await wrapper.findAll('button.tile').find((b) => b.text().includes('电视'))!.trigger('click')
    await wrapper.get('[aria-label="摩托车加一"]').trigger('click')
    await wrapper.get('[aria-label="摩托车加一"]').trigger('click')
    await wrapper.get(byTestId('rating-一般')).trigger('click')
    const note = wrapper.get(byTestId('item-note'))
    expect(note.element.tagName).toBe('TEXTAREA')
    await note.setValue('有一台旧电视')

    const saved = clone(created)
    Object.assign(saved.household.inspections.i1.items.appliances, { tv: true, motorbikes: 2 })
    saved.household.inspections.i1.items.appliances.record.rating = '一般'
    saved.household.inspections.i1.items.appliances.record.note = '有一台旧电视'
    saved.household.inspections.i1.items.appliances.record.recorded_at = '2026-11-23T06:10:00Z'
    mocked.setFields.mockResolvedValue(saved)
    await wrapper.get(byTestId('item-save')).trigger('click')
    await flushPromises()

    expect(mocked.setFields).toHaveBeenCalledTimes(1)
    const [id, fields] = mocked.setFields.mock.calls[0] as [string, [string, unknown][]]
    expect(id).toBe('h1')
    const base = 'inspections/i1/items/appliances'
    expect(fields.slice(0, 4)).toEqual([
      [`${base}/tv`, true],
      [`${base}/motorbikes`, 2],
      [`${base}/record/rating`, '一般'],
      [`${base}/record/note`, '有一台旧电视'],
    ])
    expect(fields[4][0]).toBe(`${base}/record/recorded_at`)
    expect(Number.isNaN(Date.parse(fields[4][1] as string))).toBe(false)

    expect(wrapper.get(byTestId('inspection-done-count')).text()).toBe('已完成 1/7')
    expect(wrapper.get('.step.current').attributes('data-item')).toBe('看锅里')
    // The next item's tri-state questions are there, unanswered.
    expect(wrapper.findAll('.tri-button.on').map((b) => b.text())).toEqual(['未填', '未填'])
    wrapper.unmount()
  })

  it('adds a neighbour statement under a fresh id with the item save', async () => {
    const start = viewOf(household())
    start.household.inspections.i1 = freshInspection()
    const { wrapper } = host(InspectionPanel, start)
    await wrapper.get('.past-row').trigger('click')
    await wrapper.findAll(byTestId('inspection-step'))[6].trigger('click')
    const form = wrapper.get('.statement-form')
    await form.get('input[placeholder="被询问人的姓名"]').setValue('王芳')
    await form.get('textarea').setValue('常年在昆明打工')
    await form.findAll('button').find((b) => b.text().includes('添加这条说法'))!.trigger('click')
    await wrapper.get(byTestId('rating-好')).trigger('click')
    mocked.setFields.mockResolvedValue(start)
    await wrapper.get(byTestId('item-save')).trigger('click')
    await flushPromises()
    const fields = mocked.setFields.mock.calls[0][1] as [string, unknown][]
    const statement = fields.find(([path]) => path.includes('/statements/'))!
    expect(statement[0]).toMatch(/^inspections\/i1\/items\/neighbours\/statements\/[0-9a-f-]{36}$/)
    expect(statement[1]).toEqual({ name: '王芳', relation: '邻居', note: '常年在昆明打工' })
    wrapper.unmount()
  })
})

describe('AssessmentPanel', () => {
  it('creates an assessment and saves the chosen verdicts', async () => {
    const start = viewOf(household())
    const created = clone(start)
    const verdict = () => ({ met: null, note: '' })
    created.household.assessments.a1 = {
      visit_id: null,
      assessed_at: '2026-11-23T06:00:00Z',
      assessed_by: '李明',
      food: verdict(),
      clothing: verdict(),
      education: verdict(),
      medical: verdict(),
      housing: verdict(),
      water: verdict(),
    }
    mocked.addEntry.mockResolvedValue({ entry_id: 'a1', view: created })
    mocked.setFields.mockResolvedValue(created)
    const { wrapper } = host(AssessmentPanel, start)
    await wrapper.get(byTestId('start-assessment')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'assessments', {})
    for (const key of ['food', 'clothing', 'education', 'medical', 'housing', 'water']) {
      expect(wrapper.find(byTestId(`verdict-${key}-met`)).exists()).toBe(true)
      expect(wrapper.find(byTestId(`verdict-${key}-unmet`)).exists()).toBe(true)
    }
    await wrapper.get(byTestId('verdict-food-met')).trigger('click')
    await wrapper.get(byTestId('verdict-housing-unmet')).trigger('click')
    await wrapper.get(byTestId('save-assessment')).trigger('click')
    await flushPromises()
    expect(mocked.setFields).toHaveBeenCalledWith('h1', [
      ['assessments/a1/food/met', true],
      ['assessments/a1/housing/met', false],
    ])
    wrapper.unmount()
  })
})

describe('VisitsPanel', () => {
  it('records a visit with the head as interviewee, and a phone call as a contact', async () => {
    const start = viewOf(household())
    const withVisit = clone(start)
    withVisit.household.visits.v1 = {
      visited_at: '2026-11-23T06:00:00Z',
      recorded_by: '李明',
      visitors: ['李明'],
      gps: null,
      interviewee: '张三',
      interviewee_relation: '户主',
      purpose: '入户核查',
      note: '',
      photos: {},
    }
    mocked.addEntry.mockResolvedValueOnce({ entry_id: 'v1', view: withVisit })
    const { wrapper } = host(VisitsPanel, start)
    expect(wrapper.findAll(byTestId('visit-row'))).toHaveLength(0)

    await wrapper.get(byTestId('add-visit')).trigger('click')
    await flushPromises()
    const interviewee = wrapper.get(byTestId('visit-interviewee'))
    expect(interviewee.element.tagName).toBe('INPUT')
    expect((interviewee.element as HTMLInputElement).value).toBe('张三')
    await wrapper.findAll('.opt-chip').find((b) => b.text() === '入户核查')!.trigger('click')
    await wrapper.get(byTestId('visit-save')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'visits', {
      interviewee: '张三',
      interviewee_relation: '户主',
      purpose: '入户核查',
      note: '',
    })
    expect(wrapper.findAll(byTestId('visit-row'))).toHaveLength(1)
    expect(wrapper.get(byTestId('visit-row')).text()).toContain('无定位')

    const withContact = clone(withVisit)
    withContact.household.contacts.c1 = { at: '2026-11-23T08:00:00Z', recorded_by: '李明', with_whom: '张三', note: '约下周入户' }
    mocked.addEntry.mockResolvedValueOnce({ entry_id: 'c1', view: withContact })
    await wrapper.get(byTestId('add-contact')).trigger('click')
    await wrapper.get(byTestId('contact-note')).setValue('约下周入户')
    await wrapper.get(byTestId('contact-save')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenLastCalledWith('h1', 'contacts', { with_whom: '张三', note: '约下周入户' })
    expect(wrapper.get(byTestId('contact-row')).text()).toContain('不计为走访')
    // Newest first: the call made after the visit is listed above it.
    expect(wrapper.get('.timeline li').attributes('data-testid')).toBe('contact-row')
    wrapper.unmount()
  })
})

describe('SignPanel', () => {
  it('lists errors before warnings and disables signing while errors block it', async () => {
    const finding = (severity: '错误' | '警告', message: string) => ({ check_id: 'x', severity, path: '', member_id: null, message })
    const findings = [finding('警告', '人均纯收入偏高'), finding('错误', '身份证号码校验位不对')]
    const view = viewOf(household(), { findings, blockers: [findings[1]] })
    const { wrapper } = host(SignPanel, view)
    await flushPromises()
    expect(wrapper.findAll(byTestId('finding')).map((f) => f.attributes('data-severity'))).toEqual(['错误', '警告'])
    expect(wrapper.get(byTestId('sign-submit-surveyor')).attributes('disabled')).toBeDefined()
    expect(wrapper.get(byTestId('sign-submit-head')).attributes('disabled')).toBeDefined()
    expect(wrapper.text()).toContain('还有 1 个错误没有改正')
    wrapper.unmount()
  })

  it('fills the names, shows signatures and refuses an empty pad', async () => {
    const h1 = household()
    h1.signatures.s1 = {
      role: '调查人',
      name: '李明',
      collected_by: '李明',
      signed_at: '2026-11-23T06:00:00Z',
      image: { sha256: 'abc', mime: 'image/png', bytes: 10, width: 10, height: 10, taken_at: null, gps: null, caption: '' },
      covers_heads: [],
    }
    const { wrapper } = host(SignPanel, viewOf(h1))
    await flushPromises()
    expect((wrapper.get(byTestId('sign-name-surveyor')).element as HTMLInputElement).value).toBe('李明')
    expect((wrapper.get(byTestId('sign-name-head')).element as HTMLInputElement).value).toBe('张三')
    expect(wrapper.get(byTestId('sign-pad-surveyor')).element.tagName).toBe('CANVAS')
    expect(wrapper.get(byTestId('sign-pad-head')).element.tagName).toBe('CANVAS')
    expect(wrapper.find(byTestId('sign-clear-surveyor')).exists()).toBe(true)
    expect(wrapper.find(byTestId('sign-clear-head')).exists()).toBe(true)
    expect(wrapper.get(byTestId('signature')).attributes('data-role')).toBe('调查人')
    await wrapper.get(byTestId('sign-submit-head')).trigger('click')
    await flushPromises()
    expect(mocked.sign).not.toHaveBeenCalled()
    expect(failToast).toHaveBeenCalledWith('请先签字')
    wrapper.unmount()
  })
})

describe('SyncPage', () => {
  it('shows the step in words while syncing, then the account', async () => {
    mocked.sync.mockImplementation(async (onProgress: (p: unknown) => void) => {
      onProgress({ step: 'pushing', done: 2, total: 5 })
      return {
        summary: {},
        error: { code: 'sync.network', message: '网络中断' },
        lines: ['上传了 5 户的 12 条修改。', '下载了 3 条修改。'],
      }
    })
    const wrapper = mount(SyncPage, { attachTo: document.body })
    await flushPromises()
    expect((wrapper.get(byTestId('export-path')).element as HTMLInputElement).value).toBe(
      '/home/li/Documents/户档-芷村平板1-2026-11-23.hudang',
    )
    await wrapper.get(byTestId('sync-start')).trigger('click')
    await flushPromises()
    expect(wrapper.find(byTestId('sync-progress')).exists()).toBe(true)
    expect(wrapper.get(byTestId('sync-step')).text()).toBe('同步中断')
    expect(wrapper.get(byTestId('sync-report')).findAll('p').map((p) => p.text())).toEqual([
      '上传了 5 户的 12 条修改。',
      '下载了 3 条修改。',
    ])
    expect(wrapper.get(byTestId('sync-error')).text()).toContain('网络中断')
    expect(wrapper.get(byTestId('sync-error')).text()).toContain('可以再次同步')

    mocked.exportBundle.mockResolvedValue({ path: '/tmp/x.hudang', households: 2, changes: 9, photos: 1, bytes: 2048 })
    await wrapper.get(byTestId('export-submit')).trigger('click')
    await flushPromises()
    expect(mocked.exportBundle).toHaveBeenCalledWith('/home/li/Documents/户档-芷村平板1-2026-11-23.hudang', null)
    expect(wrapper.get(byTestId('export-result')).text()).toContain('已导出 2 户的 9 条修改和 1 张照片')
    expect(wrapper.get(byTestId('import-input')).attributes('accept')).toBe('.hudang')

    await wrapper.get(byTestId('nav-back')).trigger('click')
    expect(push).toHaveBeenCalledWith('/households')
    wrapper.unmount()
  })

  it('explains, and offers no sync button, when the device is not enrolled', async () => {
    mocked.appState.mockResolvedValue({ ...enrolledState, enrolled: false, server_url: null, role: null })
    const wrapper = mount(SyncPage)
    await flushPromises()
    expect(wrapper.find(byTestId('sync-start')).exists()).toBe(false)
    expect(wrapper.text()).toContain('还没有登记到县服务器')
    expect(wrapper.find(byTestId('export-submit')).exists()).toBe(true)
    wrapper.unmount()
  })
})
