import { describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { HouseholdRow } from '../../src/api/types'

function rows(n: number): HouseholdRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `h${i}`,
    head_name: i === 4321 ? '张三' : `户主${i}`,
    township: '芷村镇',
    village: '芷村',
    group: ['一组', '二组', '三组'][i % 3],
    phone: `139${String(i).padStart(8, '0')}`,
    status: '未脱贫',
    attribute: '一般贫困户',
    member_count: 3,
    signed: i % 2 === 0,
    errors: i === 4321 ? 2 : 0,
    warnings: 0,
    conflicts: i === 4321 ? 1 : 0,
    search: i === 4321 ? '张三 zs zhangsan' : `户主${i} hz`,
  }))
}

vi.mock('../../src/api', async (original) => ({
  ...(await original<typeof import('../../src/api')>()),
  api: { households: () => Promise.resolve(rows(10_000)) },
}))

const { default: HouseholdList } = await import('../../src/views/HouseholdList.vue')

async function mountList() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:rest(.*)*', component: { render: () => null } }] })
  await router.push('/households')
  const list = mount(HouseholdList, { global: { plugins: [router] } })
  await flushPromises()
  return list
}

describe('HouseholdList', () => {
  it('puts only a hundred of 10,000 rows in the page, then a hundred more on demand', async () => {
    const list = await mountList()
    expect(list.findAll('[data-testid="household-row"]')).toHaveLength(100)
    expect(list.get('[data-testid="list-count"]').text()).toContain('共 10000 户')
    await list.get('.more button').trigger('click')
    expect(list.findAll('[data-testid="household-row"]')).toHaveLength(200)
  })

  it('searches on the prepared text and shows the row’s badges', async () => {
    const list = await mountList()
    const search = list.get('[data-testid="search-input"]')
    expect(search.element.tagName).toBe('INPUT')
    await search.setValue('ZS')
    const found = list.findAll('[data-testid="household-row"]')
    expect(found).toHaveLength(1)
    expect(found[0].attributes('data-id')).toBe('h4321')
    expect(found[0].element.tagName).toBe('A')
    expect(found[0].text()).toContain('张三')
    expect(found[0].find('.badge-unsigned').exists()).toBe(true)
    expect(found[0].get('.badge-errors').text()).toBe('错误 2')
    expect(found[0].get('.badge-conflicts').text()).toBe('冲突 1')
    expect(list.get('[data-testid="list-count"]').text()).toContain('显示 1 户')
    expect(list.get('[data-testid="nav-conflicts"]').text()).toContain('1')
  })

  it('says so when nothing matches', async () => {
    const list = await mountList()
    await list.get('[data-testid="search-input"]').setValue('没有这个人')
    expect(list.findAll('[data-testid="household-row"]')).toHaveLength(0)
    expect(list.text()).toContain('没有符合条件的农户')
  })
})
