// Mounted screens with a mocked fetch: the testids sit on the elements the end-to-end test drives, and the request
// bodies are exactly what docs/console-api.md says.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import { defineComponent } from 'vue'
import type { ConflictItem } from '../../console/src/api'
import ConflictsView from '../../console/src/views/ConflictsView.vue'
import DuplicatesView from '../../console/src/views/DuplicatesView.vue'
import LoginView from '../../console/src/views/LoginView.vue'
import { session } from '../../console/src/session'
import { mockFetch } from './fetchMock'

const Blank = defineComponent({ template: '<div />' })

async function routerAt(path: string, component: unknown, name: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', name: 'login', component: name === 'login' ? (component as never) : Blank },
      { path: '/conflicts', name: 'conflicts', component: name === 'conflicts' ? (component as never) : Blank },
      { path: '/duplicates', name: 'duplicates', component: name === 'duplicates' ? (component as never) : Blank },
      { path: '/overview', name: 'overview', component: Blank },
      { path: '/households/:id', name: 'household', component: Blank },
    ],
  })
  await router.push(path)
  await router.isReady()
  return router
}

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
  session.me = null
  session.checked = false
})

function conflict(household: string, path: string, values: unknown[], users: string[]): ConflictItem {
  return {
    household, path, label: path === 'phone' ? '联系电话' : '工资性收入', village_key: '芷村镇/芷村', head_name: `户主${household}`, group: '一组',
    status: '未脱贫', member_count: 3,
    candidates: values.map((value, i) => ({ value, user: users[i], device: 'dev', at: '2026-03-01T02:00:00Z', change: `c${i}` })),
  }
}

describe('冲突', () => {
  const rows = [conflict('h1', 'phone', ['13900000001', '13900000002'], ['张三', '李四']), conflict('h2', 'incomes/i1/wage_fen', [120000, 150000], ['王五', '赵六'])]

  async function mountConflicts() {
    const fetch = mockFetch({
      'GET /api/console/conflicts': { body: rows },
      'GET /api/console/villages': { body: [] },
      'POST /api/console/conflicts/resolve': (body) => ({
        body: (body as { items: { household: string; path: string }[] }).items.map((i) => ({ ...i, ok: true, message: null })),
      }),
    })
    const router = await routerAt('/conflicts', ConflictsView, 'conflicts')
    const wrapper = mount(ConflictsView, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()
    return { wrapper, ...fetch }
  }

  it('shows each candidate with its value and author inside its row, money in yuan', async () => {
    const { wrapper } = await mountConflicts()
    const rowEls = wrapper.findAll('[data-testid="conflict-row"]')
    expect(rowEls.map((r) => [r.attributes('data-household'), r.attributes('data-path')])).toEqual([
      ['h1', 'phone'],
      ['h2', 'incomes/i1/wage_fen'],
    ])
    const options = rowEls[1].findAll('[data-testid="candidate-option"]')
    expect(options.map((o) => o.attributes('data-index'))).toEqual(['0', '1'])
    expect(options[0].text()).toContain('1200.00 元')
    expect(options[0].text()).toContain('王五')
    expect(rowEls[0].find('[data-testid="conflict-select"]').exists()).toBe(true)
    expect(rowEls[0].find('[data-testid="conflict-resolve"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="conflicts-empty"]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('resolves one row with the chosen candidate', async () => {
    const { wrapper, requests } = await mountConflicts()
    const row = wrapper.findAll('[data-testid="conflict-row"]')[0]
    await row.findAll('[data-testid="candidate-option"]')[1].find('input').setValue(true)
    await row.find('[data-testid="conflict-resolve"]').trigger('click')
    await flushPromises()
    const posts = requests.filter((r) => r.method === 'POST')
    expect(posts).toEqual([
      { method: 'POST', path: '/api/console/conflicts/resolve', body: { items: [{ household: 'h1', path: 'phone', value: '13900000002' }] }, credentials: 'same-origin' },
    ])
    // The list is read again after resolving.
    expect(requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/console/conflicts')).length).toBe(2)
    wrapper.unmount()
  })

  it('refuses a bulk resolve while a ticked row has no choice, then sends every ticked row', async () => {
    const { wrapper, requests } = await mountConflicts()
    const rowEls = wrapper.findAll('[data-testid="conflict-row"]')
    for (const row of rowEls) await row.find('[data-testid="conflict-select"] input').setValue(true)
    await rowEls[0].findAll('[data-testid="candidate-option"]')[0].find('input').setValue(true)
    await wrapper.find('[data-testid="conflicts-resolve-selected"]').trigger('click')
    await flushPromises()
    expect(requests.filter((r) => r.method === 'POST')).toEqual([])
    expect(document.body.textContent).toContain('还没有选定取值')

    await rowEls[1].findAll('[data-testid="candidate-option"]')[1].find('input').setValue(true)
    await wrapper.find('[data-testid="conflicts-resolve-selected"]').trigger('click')
    await flushPromises()
    expect(requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      {
        items: [
          { household: 'h1', path: 'phone', value: '13900000001' },
          { household: 'h2', path: 'incomes/i1/wage_fen', value: 150000 },
        ],
      },
    ])
    expect(wrapper.find('[data-testid="resolve-outcomes"]').text()).toContain('已解决 2 条冲突')
    wrapper.unmount()
  })

  it('says so when there is nothing to resolve', async () => {
    mockFetch({ 'GET /api/console/conflicts': { body: [] }, 'GET /api/console/villages': { body: [] } })
    const router = await routerAt('/conflicts', ConflictsView, 'conflicts')
    const wrapper = mount(ConflictsView, { global: { plugins: [router] } })
    await flushPromises()
    expect(wrapper.find('[data-testid="conflicts-empty"]').exists()).toBe(true)
    wrapper.unmount()
  })
})

function householdFile(id: string, head: string, members: string[]) {
  return {
    row: { id, village_key: '芷村镇/芷村', county: '蒙自市', township: '芷村镇', village: '芷村', group: '一组', head_name: head, head_id_number: '', status: '', attribute: '', member_count: members.length, signed: false, errors: 0, warnings: 0, conflicts: 0 },
    household: {
      id, area: { county: '蒙自市', township: '芷村镇', village: '芷村', group: '一组' }, address: '', status: null, attribute: null, head_member_id: 'm0',
      members: Object.fromEntries(members.map((name, i) => [`m${i}`, { name, relation: i === 0 ? '户主' : '配偶', id_number: `53252219800101000${i}`, status: null }])),
      visits: {}, inspections: {}, signatures: {},
    },
    findings: [], conflicts: [], history: [], merged_into: null, merged_from: [],
  }
}

describe('疑似重复', () => {
  it('compares both households and merges keeping the chosen side', async () => {
    session.me = { id: 'u', name: '县局', role: 'county_staff', role_label: '县级工作人员', county: '蒙自市', villages: [], can_manage: true, can_merge: true }
    session.checked = true
    const { requests } = mockFetch({
      'GET /api/console/duplicates': { body: [{ id_number: '532522198001010001', households: [{ id: 'ha', village_key: '芷村镇/芷村', head_name: '孙大' }, { id: 'hb', village_key: '芷村镇/查尼皮', head_name: '孙大' }] }] },
      'GET /api/console/households/ha': { body: householdFile('ha', '孙大', ['孙大', '孙妻']) },
      'GET /api/console/households/hb': { body: householdFile('hb', '孙大', ['孙大', '孙小']) },
      'POST /api/console/duplicates/merge': { body: { kept: 'hb', merged: 'ha', members_added: 1, entries_added: 4, fields_filled: ['address'] } },
    })
    const router = await routerAt('/duplicates', DuplicatesView, 'duplicates')
    const wrapper = mount(DuplicatesView, { global: { plugins: [router] }, attachTo: document.body })
    await flushPromises()

    const group = wrapper.find('[data-testid="duplicate-group"]')
    expect(group.attributes('data-id-number')).toBe('532522198001010001')
    await group.find('[data-testid="duplicate-compare"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="duplicate-side-a"]').text()).toContain('孙妻')
    expect(wrapper.find('[data-testid="duplicate-side-b"]').text()).toContain('孙小')

    await wrapper.find('[data-testid="merge-keep-b"]').trigger('click')
    await flushPromises()
    const confirm = document.body.querySelector<HTMLButtonElement>('[data-testid="merge-confirm"]')
    expect(confirm).not.toBeNull()
    expect(document.body.textContent).toContain('两份档案的修改历史都会保留')
    confirm!.click()
    await flushPromises()
    expect(requests.filter((r) => r.method === 'POST').map((r) => [r.path, r.body])).toEqual([['/api/console/duplicates/merge', { keep: 'hb', merge: 'ha' }]])
    expect(wrapper.find('[data-testid="merge-result"]').text()).toContain('新增家庭成员 1 人')
    wrapper.unmount()
  })

  it('offers no merge to a role that cannot merge', async () => {
    session.me = { id: 'u', name: '队长', role: 'team_leader', role_label: '工作队长', county: '蒙自市', villages: [], can_manage: false, can_merge: false }
    mockFetch({
      'GET /api/console/duplicates': { body: [{ id_number: 'x', households: [{ id: 'ha', village_key: 'a/b', head_name: '孙大' }, { id: 'hb', village_key: 'a/c', head_name: '孙大' }] }] },
      'GET /api/console/households/ha': { body: householdFile('ha', '孙大', ['孙大']) },
      'GET /api/console/households/hb': { body: householdFile('hb', '孙大', ['孙大']) },
    })
    const router = await routerAt('/duplicates', DuplicatesView, 'duplicates')
    const wrapper = mount(DuplicatesView, { global: { plugins: [router] } })
    await flushPromises()
    await wrapper.find('[data-testid="duplicate-compare"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-testid="merge-keep-a"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('登录', () => {
  it('puts the testids on the inputs and shows the server’s refusal', async () => {
    const { requests } = mockFetch({
      'POST /api/console/login': { status: 403, body: { error: { code: 'console.forbidden_role', message: '工作队员请使用平板应用，不能登录县级管理。' } } },
    })
    const router = await routerAt('/login', LoginView, 'login')
    const wrapper = mount(LoginView, { global: { plugins: [router] } })
    const name = wrapper.find('[data-testid="login-name"]')
    const password = wrapper.find('[data-testid="login-password"]')
    expect(name.element.tagName).toBe('INPUT')
    expect(password.element.tagName).toBe('INPUT')
    await name.setValue('张三')
    await password.setValue('secret-123')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(requests.filter((r) => r.method === 'POST').map((r) => r.body)[0]).toEqual({ name: '张三', password: 'secret-123' })
    expect(wrapper.find('[data-testid="login-error"]').text()).toBe('工作队员请使用平板应用，不能登录县级管理。')
    expect(router.currentRoute.value.name).toBe('login')
    wrapper.unmount()
  })
})
