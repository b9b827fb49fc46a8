import { describe, expect, it } from 'vitest'
import { collect, fromInput, getPath, initialValues, isDirty, rebase, type FieldSpec } from '../../src/draft'

const specs: FieldSpec[] = [
  { path: 'name', label: '姓名', kind: 'text', required: true },
  { path: 'sex', label: '性别', kind: 'code' },
  { path: 'health', label: '健康状况', kind: 'codes' },
  { path: 'work/months', label: '务工时间', kind: 'int', min: 0, max: 12 },
  { path: 'work/monthly_income_fen', label: '月收入', kind: 'fen', min: 0 },
  { path: 'insurance/basic_medical', label: '医保', kind: 'bool' },
  { path: 'status_date', label: '状态日期', kind: 'optdate' },
]

const member = {
  name: '张三',
  sex: '男',
  health: ['健康'],
  work: { months: 6, monthly_income_fen: 350000 },
  insurance: { basic_medical: true },
  status_date: null,
}

describe('form drafts', () => {
  it('shows document values as a worker reads them', () => {
    expect(initialValues(specs, member)).toEqual({
      name: '张三',
      sex: '男',
      health: ['健康'],
      'work/months': '6',
      'work/monthly_income_fen': '3500.00',
      'insurance/basic_medical': true,
      status_date: '',
    })
    expect(getPath(member, 'work/months')).toBe(6)
    expect(getPath(member, 'work/missing/deeper')).toBeUndefined()
  })

  it('sends only the fields that changed, with the entry prefix', () => {
    const values = initialValues(specs, member)
    expect(collect(specs, values, member, 'members/m1/').changes).toEqual([])
    expect(isDirty(specs, values, member)).toBe(false)
    values['work/monthly_income_fen'] = '４０００'
    values.health = ['长期慢性病', '健康']
    values.sex = ''
    const { changes, errors } = collect(specs, values, member, 'members/m1/')
    expect(errors).toEqual({})
    expect(changes).toEqual([
      ['members/m1/sex', null],
      ['members/m1/health', ['健康', '长期慢性病']],
      ['members/m1/work/monthly_income_fen', 400000],
    ])
    expect(isDirty(specs, values, member)).toBe(true)
  })

  it('does not count a differently written equal number as a change', () => {
    const values = initialValues(specs, member)
    values['work/monthly_income_fen'] = '3500'
    values['work/months'] = ' 6 '
    expect(collect(specs, values, member).changes).toEqual([])
  })

  it('builds the whole value for a new entry', () => {
    const values = initialValues(specs, undefined)
    values.name = '李四'
    const { value, errors } = collect(specs, values, undefined)
    expect(errors).toEqual({})
    expect(value).toEqual({
      name: '李四',
      sex: null,
      health: [],
      work: { months: 0, monthly_income_fen: 0 },
      insurance: { basic_medical: false },
      status_date: null,
    })
  })

  it('says in Chinese what cannot be stored', () => {
    const values = initialValues(specs, member)
    values.name = '  '
    values['work/months'] = '13'
    values['work/monthly_income_fen'] = '三千'
    values.status_date = '2024/1/1'
    expect(collect(specs, values, member).errors).toEqual({
      name: '请填写姓名',
      'work/months': '务工时间不能大于 12',
      'work/monthly_income_fen': '月收入“三千”不是金额（元，最多两位小数）',
      status_date: '状态日期应为“年-月-日”',
    })
    expect(fromInput({ path: 'x', label: '面积', kind: 'number' }, '80.5')).toEqual({ ok: true, value: 80.5 })
    expect(fromInput({ path: 'x', label: '面积', kind: 'number' }, '')).toEqual({ ok: true, value: 0 })
    expect(fromInput({ path: 'x', label: '年份', kind: 'optint' }, '')).toEqual({ ok: true, value: null })
    expect(fromInput({ path: 'x', label: '原表', kind: 'optfen' }, '')).toEqual({ ok: true, value: null })
    expect(fromInput({ path: 'x', label: '饮水', kind: 'optbool' }, null)).toEqual({ ok: true, value: null })
  })

  it('keeps what the worker is typing when the document changes underneath', () => {
    const values = initialValues(specs, member)
    values.name = '张三丰'
    const newer = { ...member, name: '张叁', sex: '女', work: { months: 8, monthly_income_fen: 350000 } }
    const next = rebase(specs, values, member, newer)
    expect(next.name).toBe('张三丰')
    expect(next.sex).toBe('女')
    expect(next['work/months']).toBe('8')
  })
})

describe('dirty forms', () => {
  it('compares values, not text', () => {
    const values = initialValues(specs, member)
    values['work/monthly_income_fen'] = '3500'
    expect(isDirty(specs, values, member)).toBe(false)
    values['work/monthly_income_fen'] = '3500.x'
    expect(isDirty(specs, values, member)).toBe(true)
  })

  it('treats an untouched form for a new entry as clean', () => {
    expect(isDirty(specs, initialValues(specs, undefined), undefined)).toBe(false)
  })

  it('takes the saved value after a save even when it was typed differently', () => {
    const values = initialValues(specs, member)
    values['work/monthly_income_fen'] = '4000'
    const saved = { ...member, work: { months: 6, monthly_income_fen: 400000 } }
    const next = rebase(specs, values, member, saved)
    // "4000" differed from the old document, so it counts as the worker's edit and stays as typed.
    expect(next['work/monthly_income_fen']).toBe('4000')
    expect(isDirty(specs, next, saved)).toBe(false)
  })
})
