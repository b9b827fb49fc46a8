import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import type { FieldConflict } from '../../src/api/types'

const resolveConflict = vi.fn()
vi.mock('../../src/api', async (original) => ({
  ...(await original<typeof import('../../src/api')>()),
  api: { resolveConflict: (...args: unknown[]) => resolveConflict(...args) },
}))

const { default: ConflictCard } = await import('../../src/components/ConflictCard.vue')

const provenance = (user: string, at: string) => ({ user, device: 'd1a2b3c4-0000-4000-8000-000000000001', at, action: 'edit' })

const wage: FieldConflict = {
  path: 'incomes/7c53/wage_fen',
  label: '收入 · 工资性收入',
  candidates: [
    { value: 1200000, provenance: provenance('李明', '2025-11-20T03:00:00Z'), change: 'c1' },
    { value: 1500000, provenance: provenance('王芳', '2025-11-21T05:30:00Z'), change: 'c2' },
  ],
}

const pension: FieldConflict = {
  path: 'members/m1/insurance/pension',
  label: '成员“张三” · 城乡居民基本养老保险',
  candidates: [
    { value: true, provenance: provenance('李明', '2025-11-20T03:00:00Z'), change: 'c3' },
    { value: false, provenance: provenance('王芳', '2025-11-21T05:30:00Z'), change: 'c4' },
  ],
}

describe('ConflictCard', () => {
  beforeEach(() => {
    resolveConflict.mockReset()
    resolveConflict.mockResolvedValue({ household: { id: 'h1' }, findings: [], blockers: [], conflicts: [], size: 3 })
  })

  it('shows the candidates side by side, in order, as people read them', () => {
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: wage } })
    expect(card.attributes('data-testid')).toBe('conflict-card')
    expect(card.attributes('data-path')).toBe('incomes/7c53/wage_fen')
    expect(card.text()).toContain('12000.00 元')
    expect(card.text()).toContain('15000.00 元')
    expect(card.text()).toContain('王芳')
    const buttons = card.findAll('[data-testid="conflict-choose"]')
    expect(buttons).toHaveLength(2)
    expect(buttons[0].element.tagName).toBe('BUTTON')
  })

  it('adopts a candidate as it is', async () => {
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: wage } })
    await card.findAll('[data-testid="conflict-choose"]')[1].trigger('click')
    await flushPromises()
    expect(resolveConflict).toHaveBeenCalledWith('h1', 'incomes/7c53/wage_fen', 1500000)
    expect(card.emitted('update')).toHaveLength(1)
  })

  it('reads a typed amount in yuan and writes fen', async () => {
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: wage } })
    const input = card.get('[data-testid="conflict-custom-input"]')
    expect(input.element.tagName).toBe('INPUT')
    await input.setValue('13500.5')
    await card.get('form').trigger('submit')
    await flushPromises()
    expect(resolveConflict).toHaveBeenCalledWith('h1', 'incomes/7c53/wage_fen', 1350050)
  })

  it('says what is wrong instead of writing a bad value', async () => {
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: wage } })
    await card.get('[data-testid="conflict-custom-input"]').setValue('一万')
    await card.get('form').trigger('submit')
    await flushPromises()
    expect(resolveConflict).not.toHaveBeenCalled()
    expect(card.text()).toContain('不是金额')
  })

  it('offers 是 and 否 for a yes/no field', async () => {
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: pension } })
    expect(card.text()).toContain('是')
    const select = card.get('[data-testid="conflict-custom-input"]')
    expect(select.element.tagName).toBe('SELECT')
    await select.setValue('否')
    await card.get('form').trigger('submit')
    await flushPromises()
    expect(resolveConflict).toHaveBeenCalledWith('h1', 'members/m1/insurance/pension', false)
  })

  it('shows the device’s message when resolving fails', async () => {
    resolveConflict.mockRejectedValue({ code: 'conflict.gone', message: '这一项已经被别人处理了' })
    const card = mount(ConflictCard, { props: { householdId: 'h1', conflict: wage } })
    await card.findAll('[data-testid="conflict-choose"]')[0].trigger('click')
    await flushPromises()
    expect(card.text()).toContain('这一项已经被别人处理了')
    expect(card.emitted('update')).toBeUndefined()
  })
})
