// Formatting and parsing shared by every screen: money in integer fen, dates and times in the device's zone.

/** 12345 fen -> "123.45". Negative amounts keep their sign. */
export function formatYuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return ''
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(fen))
  const yuan = Math.floor(abs / 100)
  const cents = abs % 100
  return `${sign}${yuan}.${cents.toString().padStart(2, '0')}`
}

/**
 * What a worker typed in a yuan field -> fen. Accepts "1234", "1,234.5", "１２３４" (full-width digits), "  12.30 元".
 * Returns null for an empty field and undefined for text that is not an amount, so the form can say so.
 */
export function parseYuan(text: string): number | null | undefined {
  const normal = text
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/[,，\s元]/g, '')
  if (normal === '') return null
  const match = /^(-?)(\d+)(?:\.(\d{0,2}))?$/.exec(normal)
  if (!match) return undefined
  const [, sign, whole, frac = ''] = match
  const fen = Number(whole) * 100 + Number(frac.padEnd(2, '0'))
  if (!Number.isSafeInteger(fen)) return undefined
  return sign ? -fen : fen
}

/** An RFC 3339 instant -> "2026-11-23 14:05" in the device's zone; empty for null. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const pad = (n: number) => n.toString().padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** A JSON value as people read it: 是/否 for booleans, amounts in fen as yuan, lists joined with 、. */
export function displayValue(value: unknown, path = ''): string {
  if (value === null || value === undefined || value === '') return '（空）'
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (typeof value === 'number' && path.endsWith('_fen')) return `${formatYuan(value)} 元`
  if (Array.isArray(value)) return value.length ? value.map((v) => displayValue(v)).join('、') : '（空）'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Full-width digits and the full-width point, comma and minus that Chinese input methods produce -> ASCII. */
export function normaliseDigits(text: string): string {
  return text
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/－/g, '-')
}

/**
 * A decimal number typed by a worker ("80.5", "８０", " 1,200 ") -> number.
 * Returns null for an empty field and undefined for text that is not a number, like parseYuan.
 */
export function parseNumber(text: string): number | null | undefined {
  const normal = normaliseDigits(text).replace(/[,，\s]/g, '')
  if (normal === '') return null
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return undefined
  const value = Number(normal)
  return Number.isFinite(value) ? value : undefined
}

/** How a "type the right value" box reads its text, decided from the values the candidates hold. */
export type ValueKind = 'boolean' | 'number' | 'money' | 'list' | 'object' | 'text'

/**
 * The kind of value a conflicted field holds. Candidates of one JSON type decide it; a field whose path ends in
 * `_fen` is money, typed in yuan because that is how displayValue shows it. Mixed or empty candidates read as text.
 */
export function valueKind(values: unknown[], path: string): ValueKind {
  const present = values.filter((v) => v !== null && v !== undefined)
  if (present.length === 0) return 'text'
  if (present.every((v) => typeof v === 'boolean')) return 'boolean'
  if (present.every((v) => typeof v === 'number')) return path.endsWith('_fen') ? 'money' : 'number'
  if (present.every((v) => Array.isArray(v))) return 'list'
  if (present.every((v) => typeof v === 'object' && !Array.isArray(v))) return 'object'
  return 'text'
}

/** The outcome of reading a typed value: the JSON value to write, or a Chinese message saying what is wrong. */
export type Parsed = { ok: true; value: unknown } | { ok: false; message: string }

/** Reads what a worker typed as the right value of a conflicted field, as JSON of the given kind. */
export function parseTypedValue(text: string, kind: ValueKind): Parsed {
  const trimmed = text.trim()
  if (kind === 'list') {
    // Code sets are typed the way displayValue shows them: labels separated by 、 (or commas, or spaces).
    const items = trimmed.split(/[、,，;；\s]+/).filter((s) => s !== '')
    return { ok: true, value: Array.from(new Set(items)) }
  }
  if (trimmed === '') return { ok: false, message: '请先输入正确的值' }
  switch (kind) {
    case 'boolean': {
      if (['是', 'true', '1', '有'].includes(trimmed)) return { ok: true, value: true }
      if (['否', 'false', '0', '无'].includes(trimmed)) return { ok: true, value: false }
      return { ok: false, message: '请选择“是”或“否”' }
    }
    case 'number': {
      const value = parseNumber(trimmed)
      return typeof value === 'number' ? { ok: true, value } : { ok: false, message: `“${trimmed}”不是数字` }
    }
    case 'money': {
      const fen = parseYuan(trimmed)
      return typeof fen === 'number'
        ? { ok: true, value: fen }
        : { ok: false, message: `“${trimmed}”不是金额（以元为单位，最多两位小数）` }
    }
    case 'object': {
      try {
        const value: unknown = JSON.parse(normaliseDigits(trimmed))
        if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value }
      } catch {
        // Falls through to the message below: the worker sees one explanation whatever the parser disliked.
      }
      return { ok: false, message: '请按候选值的格式输入（JSON 对象）' }
    }
    default:
      return { ok: true, value: trimmed }
  }
}

/** "请填写县服务器地址、登记码。" for the required fields left blank, or null when all are filled. */
export function missingMessage(fields: [value: string, label: string][]): string | null {
  const missing = fields.filter(([value]) => value.trim() === '').map(([, label]) => label)
  return missing.length > 0 ? `请填写${missing.join('、')}。` : null
}
