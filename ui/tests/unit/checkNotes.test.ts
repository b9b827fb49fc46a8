import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/api'
import { blockerSummary, fixTarget, isExplained, notesFor } from '../../src/checkNotes'

const finding = (severity: Finding['severity'], check_id: string, path: string): Finding => ({
  check_id,
  severity,
  path,
  member_id: null,
  message: '',
})

describe('notes on warnings', () => {
  const warning = finding('警告', 'income.high', 'incomes/i1')

  it('matches notes by check and path, and ignores blank ones', () => {
    const notes = {
      n1: { check_id: 'income.high', path: 'incomes/i1', by: '李明', note: '已入户核实' },
      n2: { check_id: 'income.high', path: 'incomes/i2', by: '李明', note: '别的记录' },
      n3: { check_id: 'income.high', path: 'incomes/i1', by: '李明', note: '  ' },
      n4: { check_id: 'other', path: 'incomes/i1', by: '李明', note: '别的检查' },
    }
    expect(notesFor(notes, warning).map((n) => n.note)).toEqual(['已入户核实'])
    expect(notesFor(undefined, warning)).toEqual([])
  })

  it('takes the domain blockers as the truth for 已说明', () => {
    expect(isExplained(warning, [])).toBe(true)
    expect(isExplained(warning, [warning])).toBe(false)
    const error = finding('错误', 'id.check_digit', 'members/m1/id_number')
    expect(isExplained(error, [])).toBe(false)
  })

  it('says what blocks signing', () => {
    const error = finding('错误', 'structure.helper', 'helpers')
    const warning2 = finding('警告', 'phone', 'phone')
    expect(blockerSummary([])).toBe('')
    expect(blockerSummary([error])).toBe('还有 1 个错误没有改正，改正后才能签字。')
    expect(blockerSummary([warning, warning2])).toBe('还有 2 个警告没有填写说明，填写说明后才能签字。')
    expect(blockerSummary([error, warning])).toBe('还有 1 个错误没有改正、1 个警告没有填写说明，处理后才能签字。')
  })
})

describe('where a finding is corrected', () => {
  it('opens the member for a member field', () => {
    expect(fixTarget('members/m1/id_number')).toEqual({ tab: 'basic', memberId: 'm1' })
    expect(fixTarget('members/m1')).toEqual({ tab: 'basic', memberId: 'm1' })
  })

  it('goes to the tab of other editable fields', () => {
    expect(fixTarget('helpers')).toEqual({ tab: 'basic', memberId: null })
    expect(fixTarget('other_causes')).toEqual({ tab: 'basic', memberId: null })
    expect(fixTarget('flags/split_date')).toEqual({ tab: 'basic', memberId: null })
    expect(fixTarget('incomes/i1/wage_fen')).toEqual({ tab: 'income', memberId: null })
    expect(fixTarget('conditions/c1/water_safe')).toEqual({ tab: 'conditions', memberId: null })
    expect(fixTarget('visits/v1/gps')).toEqual({ tab: 'visits', memberId: null })
  })

  it('offers nothing for a field no screen edits', () => {
    expect(fixTarget('area/village')).toBeNull()
    expect(fixTarget('')).toBeNull()
  })
})
