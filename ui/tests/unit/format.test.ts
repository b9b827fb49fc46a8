import { describe, expect, it } from 'vitest'
import { displayValue, formatYuan, missingMessage, parseYuan } from '../../src/format'

describe('money in fen', () => {
  it('formats fen as yuan with two decimals', () => {
    expect(formatYuan(0)).toBe('0.00')
    expect(formatYuan(5)).toBe('0.05')
    expect(formatYuan(123456)).toBe('1234.56')
    expect(formatYuan(-250)).toBe('-2.50')
    expect(formatYuan(null)).toBe('')
  })

  it('parses what a worker types', () => {
    expect(parseYuan('1234')).toBe(123400)
    expect(parseYuan('1,234.5')).toBe(123450)
    expect(parseYuan('１２３４')).toBe(123400)
    expect(parseYuan(' 12.30 元')).toBe(1230)
    expect(parseYuan('0.07')).toBe(7)
    expect(parseYuan('')).toBeNull()
  })

  it('refuses text that is not an amount rather than guessing', () => {
    expect(parseYuan('12.345')).toBeUndefined()
    expect(parseYuan('十二')).toBeUndefined()
    expect(parseYuan('1.2.3')).toBeUndefined()
  })

  it('round-trips every amount up to 100 yuan', () => {
    for (let fen = 0; fen <= 10000; fen++) expect(parseYuan(formatYuan(fen))).toBe(fen)
  })
})

describe('values as people read them', () => {
  it('names booleans, money and empties in Chinese', () => {
    expect(displayValue(true)).toBe('是')
    expect(displayValue(false)).toBe('否')
    expect(displayValue(null)).toBe('（空）')
    expect(displayValue(150000, 'wage_fen')).toBe('1500.00 元')
    expect(displayValue(['健康', '残疾'])).toBe('健康、残疾')
  })
})

describe('required fields', () => {
  it('names every blank field once, in order', () => {
    expect(missingMessage([['', '县服务器地址'], ['abc', '登记码'], ['  ', '设备名称']])).toBe('请填写县服务器地址、设备名称。')
    expect(missingMessage([['x', '登记码']])).toBeNull()
  })
})
