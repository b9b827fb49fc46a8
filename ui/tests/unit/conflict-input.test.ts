import { describe, expect, it } from 'vitest'
import { parseNumber, parseTypedValue, valueKind } from '../../src/format'

describe('the kind of a conflicted value', () => {
  it('follows the candidates', () => {
    expect(valueKind(['13912345678', '13800000000'], 'phone')).toBe('text')
    expect(valueKind([80, 92.5], 'conditions/c/house_area_m2')).toBe('number')
    expect(valueKind([120000, 150000], 'incomes/i/wage_fen')).toBe('money')
    expect(valueKind([true, false], 'members/m/insurance/pension')).toBe('boolean')
    expect(valueKind([['健康'], ['残疾']], 'members/m/health')).toBe('list')
    expect(valueKind([{ lat: 1, lon: 2 }, { lat: 3, lon: 4 }], 'visits/v/gps')).toBe('object')
    expect(valueKind([null, '男'], 'members/m/sex')).toBe('text')
    expect(valueKind([null, 3], 'members/m/disability_grade')).toBe('number')
    expect(valueKind(['a', 3], 'x')).toBe('text')
    expect(valueKind([], 'x')).toBe('text')
  })
})

describe('reading the value a worker types', () => {
  it('reads numbers, including full-width digits', () => {
    expect(parseTypedValue('86.5', 'number')).toEqual({ ok: true, value: 86.5 })
    expect(parseTypedValue('８６', 'number')).toEqual({ ok: true, value: 86 })
    expect(parseTypedValue('八十', 'number')).toEqual({ ok: false, message: '“八十”不是数字' })
    expect(parseNumber('1,200')).toBe(1200)
    expect(parseNumber('')).toBeNull()
    expect(parseNumber('1.2.3')).toBeUndefined()
  })

  it('reads money in yuan and stores fen', () => {
    expect(parseTypedValue('1200.5', 'money')).toEqual({ ok: true, value: 120050 })
    expect(parseTypedValue('1200.555', 'money').ok).toBe(false)
  })

  it('reads 是 and 否', () => {
    expect(parseTypedValue('是', 'boolean')).toEqual({ ok: true, value: true })
    expect(parseTypedValue('否', 'boolean')).toEqual({ ok: true, value: false })
    expect(parseTypedValue('也许', 'boolean').ok).toBe(false)
  })

  it('reads lists of labels as displayValue writes them', () => {
    expect(parseTypedValue('长期慢性病、残疾', 'list')).toEqual({ ok: true, value: ['长期慢性病', '残疾'] })
    expect(parseTypedValue('健康, 健康', 'list')).toEqual({ ok: true, value: ['健康'] })
    expect(parseTypedValue('', 'list')).toEqual({ ok: true, value: [] })
  })

  it('keeps text as typed, without the spaces around it', () => {
    expect(parseTypedValue(' 13912345678 ', 'text')).toEqual({ ok: true, value: '13912345678' })
    expect(parseTypedValue('   ', 'text')).toEqual({ ok: false, message: '请先输入正确的值' })
  })

  it('reads objects as JSON', () => {
    expect(parseTypedValue('{"lat": 23.4, "lon": 103.4}', 'object')).toEqual({ ok: true, value: { lat: 23.4, lon: 103.4 } })
    expect(parseTypedValue('[1]', 'object').ok).toBe(false)
    expect(parseTypedValue('{', 'object').ok).toBe(false)
  })
})
