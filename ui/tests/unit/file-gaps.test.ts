// The 帮扶责任人 section, the 贫困状态 history, notes on warnings and enrolling from the sync page, mounted against a
// fake device: the data-testids the end-to-end tests use are on the right elements, each save sends what the Rust
// side expects, and a failed save keeps what the worker typed.
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import type { AppState, Finding, HouseholdView } from '../../src/api'
import { clone, household, viewOf } from './panelFixture'

const { confirmDialog } = vi.hoisted(() => ({ confirmDialog: vi.fn() }))
vi.mock('vant', async (importOriginal) => ({
  ...(await importOriginal<typeof import('vant')>()),
  showConfirmDialog: confirmDialog,
  showFailToast: vi.fn(),
  showSuccessToast: vi.fn(),
  showToast: vi.fn(),
}))

vi.mock('../../src/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/api')>()
  return {
    ...actual,
    api: {
      appState: vi.fn(),
      codeLists: vi.fn(),
      household: vi.fn(),
      setFields: vi.fn(),
      addEntry: vi.fn(),
      incomePreview: vi.fn(),
      history: vi.fn(),
      conflicts: vi.fn(),
      photoUrl: vi.fn(),
      sign: vi.fn(),
      enrol: vi.fn(),
      sync: vi.fn(),
      exportBundle: vi.fn(),
      importBundle: vi.fn(),
    },
  }
})

const { api } = await import('../../src/api')
const { session } = await import('../../src/router')
const HouseholdFile = (await import('../../src/views/HouseholdFile.vue')).default
const SignPanel = (await import('../../src/components/SignPanel.vue')).default
const SyncPage = (await import('../../src/views/SyncPage.vue')).default

const mocked = api as unknown as Record<string, Mock<(...args: any[]) => any>>
const byTestId = (id: string) => `[data-testid="${id}"]`
const TODAY = '2026-11-23'

const state: AppState = {
  initialised: true,
  data_dir: '/data',
  device_id: 'dev-1',
  device_name: '芷村平板1',
  user: '李明',
  enrolled: true,
  server_url: 'https://county.example',
  role: 'worker',
  villages: [],
  default_server: 'https://county.example',
  default_export_dir: '/home/li/Documents',
  today: TODAY,
  household_count: 12,
}

const lists = {
  lists: {
    与户主关系: ['户主', '配偶'],
    性别: ['男', '女'],
    人员状态: ['在册', '迁出'],
    贫困状态: ['未脱贫', '已脱贫'],
    务工地点: ['县内', '省内县外', '省外'],
  },
  inspection_items: [],
  assurance_items: [],
  ethnic_groups: [{ code: '01', name: '汉族' }],
}

function fileView(extra: Record<string, unknown> = {}): HouseholdView {
  const flags = { separated_residence: false, relocated: false, military_family: false, registered_absent: false }
  const hh = { ...household(), status: '未脱贫', flags, helpers: {}, status_changes: {}, check_notes: {}, ...extra }
  return viewOf(hh as never)
}

async function mountFile() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/households/:id', component: HouseholdFile, props: true },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  })
  await router.push('/households/h1?tab=basic')
  const wrapper = mount({ render: () => h(RouterView) }, { global: { plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

beforeEach(() => {
  for (const [name, fn] of Object.entries(mocked)) if (name !== 'codeLists') fn.mockReset()
  mocked.codeLists.mockResolvedValue(lists)
  mocked.appState.mockResolvedValue(state)
  mocked.photoUrl.mockResolvedValue('data:image/png;base64,AAAA')
  confirmDialog.mockReset()
  confirmDialog.mockResolvedValue('confirm')
  session.state = state
})

afterEach(() => {
  document.body.innerHTML = ''
  session.state = null
})

describe('帮扶责任人', () => {
  it('adds a pairing starting today and lists it with its period', async () => {
    mocked.household.mockResolvedValue(fileView())
    const { wrapper } = await mountFile()
    expect(wrapper.findAll(byTestId('helper-row'))).toHaveLength(0)
    await wrapper.get(byTestId('add-helper')).trigger('click')
    const start = wrapper.get(byTestId('helper-start')).element as HTMLInputElement
    expect([start.tagName, start.type, start.value]).toEqual(['INPUT', 'date', TODAY])
    await wrapper.get(byTestId('helper-name')).setValue('刘建国')
    await wrapper.get(byTestId('helper-unit')).setValue('蒙自市农业农村局')
    await wrapper.get(byTestId('helper-phone')).setValue('13700000000')

    const added = fileView({
      helpers: { p1: { name: '刘建国', unit: '蒙自市农业农村局', phone: '13700000000', start: TODAY, end: null } },
    })
    mocked.addEntry.mockResolvedValue({ entry_id: 'p1', view: added })
    await wrapper.get(byTestId('helper-save')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'helpers', {
      name: '刘建国',
      unit: '蒙自市农业农村局',
      phone: '13700000000',
      start: TODAY,
      end: null,
    })
    const rows = wrapper.findAll(byTestId('helper-row'))
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain(`${TODAY} 至今`)
    expect(wrapper.find(byTestId('helper-save')).exists()).toBe(false)
    wrapper.unmount()
  })

  it('keeps the form and what was typed when the save fails', async () => {
    mocked.household.mockResolvedValue(fileView())
    const { wrapper } = await mountFile()
    await wrapper.get(byTestId('add-helper')).trigger('click')
    await wrapper.get(byTestId('helper-name')).setValue('刘建国')
    mocked.addEntry.mockRejectedValue({ code: 'store.io', message: '磁盘已满' })
    await wrapper.get(byTestId('helper-save')).trigger('click')
    await flushPromises()
    expect((wrapper.get(byTestId('helper-name')).element as HTMLInputElement).value).toBe('刘建国')
    expect(wrapper.text()).toContain('磁盘已满')
    wrapper.unmount()
  })

  it('ends an active pairing today', async () => {
    const helpers = { p1: { name: '刘建国', unit: '', phone: '', start: '2024-01-01', end: null } }
    mocked.household.mockResolvedValue(fileView({ helpers }))
    const { wrapper } = await mountFile()
    expect(wrapper.get(byTestId('helper-row')).text()).toContain('2024-01-01 至今')
    mocked.setFields.mockResolvedValue(fileView({ helpers: { p1: { ...helpers.p1, end: '2025-06-30' } } }))
    await wrapper.get(byTestId('helper-end-now')).trigger('click')
    await flushPromises()
    expect(mocked.setFields).toHaveBeenCalledWith('h1', [['helpers/p1/end', TODAY]])
    expect(wrapper.get(byTestId('helper-row')).text()).toContain('已结束')
    expect(wrapper.find(byTestId('helper-end-now')).exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('贫困状态', () => {
  const statusSelect = () =>
    Array.from(document.body.querySelectorAll<HTMLSelectElement>('select')).find((s) =>
      Array.from(s.options).some((o) => o.value === '已脱贫'),
    )!

  it('records a change of status with its year after the status is saved, and shows the history', async () => {
    mocked.household.mockResolvedValue(
      fileView({ status_changes: { c1: { status: '未脱贫', year: 2016, note: '' } } }),
    )
    const { wrapper } = await mountFile()
    expect(wrapper.get(byTestId('status-history')).text()).toContain('2016 年 未脱贫')
    const select = statusSelect()
    select.value = '已脱贫'
    select.dispatchEvent(new Event('change'))
    mocked.setFields.mockResolvedValue(
      fileView({ status: '已脱贫', status_changes: { c1: { status: '未脱贫', year: 2016, note: '' } } }),
    )
    const recorded = fileView({
      status: '已脱贫',
      status_changes: { c1: { status: '未脱贫', year: 2016, note: '' }, c2: { status: '已脱贫', year: 2026, note: '' } },
    })
    mocked.addEntry.mockResolvedValue({ entry_id: 'c2', view: recorded })
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(mocked.setFields).toHaveBeenCalledWith('h1', [['status', '已脱贫']])
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'status_changes', { status: '已脱贫', year: 2026, note: '' })
    expect(mocked.setFields.mock.invocationCallOrder[0]).toBeLessThan(mocked.addEntry.mock.invocationCallOrder[0])
    expect(wrapper.get(byTestId('status-history')).findAll('li').map((li) => li.text())).toEqual([
      '2026 年 已脱贫',
      '2016 年 未脱贫',
    ])
    wrapper.unmount()
  })

  it('adds no history line when other fields change, and offers to record it again if it fails', async () => {
    mocked.household.mockResolvedValue(fileView())
    const { wrapper } = await mountFile()
    mocked.setFields.mockResolvedValue(fileView({ phone: '13712345678' }))
    await wrapper.get(byTestId('field-phone')).setValue('13712345678')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(mocked.addEntry).not.toHaveBeenCalled()

    const select = statusSelect()
    select.value = '已脱贫'
    select.dispatchEvent(new Event('change'))
    mocked.setFields.mockResolvedValue(fileView({ status: '已脱贫' }))
    mocked.addEntry.mockRejectedValueOnce({ code: 'store.io', message: '磁盘已满' })
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('磁盘已满')
    mocked.addEntry.mockResolvedValue({
      entry_id: 'c1',
      view: fileView({ status: '已脱贫', status_changes: { c1: { status: '已脱贫', year: 2026, note: '' } } }),
    })
    await wrapper.get(byTestId('status-change-retry')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenLastCalledWith('h1', 'status_changes', { status: '已脱贫', year: 2026, note: '' })
    expect(wrapper.find(byTestId('status-change-retry')).exists()).toBe(false)
    wrapper.unmount()
  })

  it('puts the work test ids on the member editor controls', async () => {
    mocked.household.mockResolvedValue(fileView())
    const { wrapper } = await mountFile()
    await wrapper.get(byTestId('member-row')).trigger('click')
    await flushPromises()
    expect(document.body.querySelector(byTestId('member-work-place'))!.tagName).toBe('SELECT')
    expect(document.body.querySelector(byTestId('member-work-months'))!.tagName).toBe('INPUT')
    wrapper.unmount()
  })
})

describe('SignPanel notes and corrections', () => {
  function host(initial: HouseholdView) {
    const view = ref(initial)
    const goto = vi.fn()
    const Host = defineComponent({
      setup: () => () =>
        h(SignPanel, { view: view.value, onUpdate: (next: HouseholdView) => (view.value = next), onGoto: goto }),
    })
    return { wrapper: mount(Host, { attachTo: document.body }), goto }
  }
  const error: Finding = {
    check_id: 'id.check_digit',
    severity: '错误',
    path: 'members/m1/id_number',
    member_id: 'm1',
    message: '身份证号码校验位不对',
  }
  const warning: Finding = { check_id: 'phone', severity: '警告', path: 'phone', member_id: null, message: '联系电话需要核实' }

  it('saves a note on a warning and shows it as 已说明 once the domain stops counting it', async () => {
    const before = viewOf(household(), { findings: [warning], blockers: [warning] })
    const { wrapper } = host(before)
    await flushPromises()
    expect(wrapper.get(byTestId('sign-submit-surveyor')).attributes('disabled')).toBeDefined()
    expect(wrapper.text()).toContain('1 个警告没有填写说明')
    const after = clone(before)
    after.household.check_notes = { n1: { check_id: 'phone', path: 'phone', by: '李明', note: '已入户核实' } }
    after.blockers = []
    mocked.addEntry.mockResolvedValue({ entry_id: 'n1', view: after })
    await wrapper.get(byTestId('warning-note')).setValue(' 已入户核实 ')
    await wrapper.get(byTestId('warning-note-save')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).toHaveBeenCalledWith('h1', 'check_notes', { check_id: 'phone', path: 'phone', note: '已入户核实' })
    const finding = wrapper.get(byTestId('finding'))
    expect(finding.text()).toContain('已说明')
    expect(finding.text()).toContain('已入户核实')
    expect(finding.find(byTestId('warning-note')).exists()).toBe(false)
    expect(wrapper.get(byTestId('sign-submit-surveyor')).attributes('disabled')).toBeUndefined()
    wrapper.unmount()
  })

  it('keeps the note when saving fails, and refuses an empty one', async () => {
    const { wrapper } = host(viewOf(household(), { findings: [warning], blockers: [warning] }))
    await flushPromises()
    await wrapper.get(byTestId('warning-note-save')).trigger('click')
    await flushPromises()
    expect(mocked.addEntry).not.toHaveBeenCalled()
    mocked.addEntry.mockRejectedValue({ code: 'store.io', message: '磁盘已满' })
    await wrapper.get(byTestId('warning-note')).setValue('已入户核实')
    await wrapper.get(byTestId('warning-note-save')).trigger('click')
    await flushPromises()
    expect((wrapper.get(byTestId('warning-note')).element as HTMLInputElement).value).toBe('已入户核实')
    expect(wrapper.text()).toContain('磁盘已满')
    wrapper.unmount()
  })

  it('sends the worker to the member for an error, and offers no note for it', async () => {
    const { wrapper, goto } = host(viewOf(household(), { findings: [error], blockers: [error] }))
    await flushPromises()
    expect(wrapper.text()).toContain('请到相应页面改正')
    expect(wrapper.find(byTestId('warning-note')).exists()).toBe(false)
    await wrapper.get(byTestId('finding-fix')).trigger('click')
    expect(goto).toHaveBeenCalledWith({ tab: 'basic', memberId: 'm1' })
    wrapper.unmount()
  })
})

describe('SyncPage enrolment', () => {
  const unenrolled = { ...state, enrolled: false, server_url: null, role: null }
  const mountSync = () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:rest(.*)*', component: { render: () => null } }] })
    return mount(SyncPage, { global: { plugins: [router] }, attachTo: document.body })
  }

  it('enrols a device that has a store, then offers to sync', async () => {
    mocked.appState.mockResolvedValue(unenrolled)
    const wrapper = mountSync()
    await flushPromises()
    expect(wrapper.find(byTestId('sync-start')).exists()).toBe(false)
    expect((wrapper.get(byTestId('sync-enrol-server')).element as HTMLInputElement).value).toBe('https://county.example')
    await wrapper.get(byTestId('sync-enrol-code')).setValue('ABCD-1234')
    mocked.enrol.mockResolvedValue({ ...state, user: '王队长' })
    await wrapper.get(byTestId('sync-enrol-submit')).trigger('click')
    await flushPromises()
    expect(mocked.enrol).toHaveBeenCalledWith('https://county.example', 'ABCD-1234', '芷村平板1')
    expect(wrapper.find(byTestId('sync-start')).exists()).toBe(true)
    expect(wrapper.text()).toContain('王队长')
    await vi.waitFor(() => expect(session.state?.enrolled).toBe(true))
    wrapper.unmount()
  })

  it('keeps the form and says why when enrolment fails', async () => {
    mocked.appState.mockResolvedValue(unenrolled)
    const wrapper = mountSync()
    await flushPromises()
    await wrapper.get(byTestId('sync-enrol-code')).setValue('WRONG')
    mocked.enrol.mockRejectedValue({ code: 'enrol.code', message: '登记码无效或已用过' })
    await wrapper.get(byTestId('sync-enrol-submit')).trigger('click')
    await flushPromises()
    expect(wrapper.get(byTestId('sync-enrol-error')).text()).toContain('登记码无效或已用过')
    expect((wrapper.get(byTestId('sync-enrol-code')).element as HTMLInputElement).value).toBe('WRONG')
    expect(wrapper.find(byTestId('sync-start')).exists()).toBe(false)
    wrapper.unmount()
  })
})
