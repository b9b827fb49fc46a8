// Form drafts over the household document. A form holds what the worker typed (text for numbers and money, so a
// half-typed "12." is kept as typed) keyed by document path; saving turns the draft back into JSON values and sends
// only the fields whose value differs from the document, so each save is one small, attributable change.
import { normaliseDigits, parseNumber, parseYuan, formatYuan } from './format'

/**
 * How a field is edited and stored.
 * text: a string; code: one label or null; codes: a set of labels; bool: true/false; optbool: true/false/null;
 * number: a decimal, empty means 0; int/optint: a whole number (optint: empty means null);
 * fen/optfen: money typed in yuan and stored in fen (fen: empty means 0; optfen: empty means null);
 * optdate: YYYY-MM-DD or null.
 */
export type FieldKind = 'text' | 'code' | 'codes' | 'bool' | 'optbool' | 'number' | 'int' | 'optint' | 'fen' | 'optfen' | 'optdate'

export interface FieldSpec {
  /** Path below the form's document (e.g. "work/monthly_income_fen"). */
  path: string
  /** The Chinese label, used in messages. */
  label: string
  kind: FieldKind
  min?: number
  max?: number
  /** The field may not be left empty (text only). */
  required?: boolean
}

/** What a form control holds: text for inputs, a boolean or null for yes/no, a list for multi-choice. */
export type InputValue = string | boolean | null | string[]
export type Values = Record<string, InputValue>

/** The value at a "/"-separated path inside a JSON object, or undefined. */
export function getPath(doc: unknown, path: string): unknown {
  let node: unknown = doc
  for (const key of path.split('/')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

/** A document value as its form control shows it. Zero amounts show as empty so a new record is not a wall of zeros. */
export function toInput(kind: FieldKind, value: unknown): InputValue {
  switch (kind) {
    case 'bool':
      return value === true
    case 'optbool':
      return typeof value === 'boolean' ? value : null
    case 'codes':
      return Array.isArray(value) ? value.map(String) : []
    case 'code':
      return typeof value === 'string' ? value : ''
    case 'fen':
    case 'optfen':
      return typeof value === 'number' && value !== 0 ? formatYuan(value) : ''
    case 'number':
      return typeof value === 'number' && value !== 0 ? String(value) : ''
    case 'int':
    case 'optint':
      return typeof value === 'number' ? String(value) : ''
    default:
      return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value)
  }
}

export type FromInput = { ok: true; value: unknown } | { ok: false; message: string }

function inRange(spec: FieldSpec, value: number): FromInput {
  if (spec.min !== undefined && value < spec.min) return { ok: false, message: `${spec.label}不能小于 ${spec.min}` }
  if (spec.max !== undefined && value > spec.max) return { ok: false, message: `${spec.label}不能大于 ${spec.max}` }
  return { ok: true, value }
}

/** A form control's content as the JSON value to store, or why it cannot be stored. */
export function fromInput(spec: FieldSpec, input: InputValue): FromInput {
  const text = typeof input === 'string' ? input.trim() : ''
  switch (spec.kind) {
    case 'bool':
      return { ok: true, value: input === true }
    case 'optbool':
      return { ok: true, value: typeof input === 'boolean' ? input : null }
    case 'codes':
      return { ok: true, value: Array.isArray(input) ? [...input].sort() : [] }
    case 'code':
      return { ok: true, value: text === '' ? null : text }
    case 'text':
      if (spec.required && text === '') return { ok: false, message: `请填写${spec.label}` }
      return { ok: true, value: text }
    case 'number': {
      const value = parseNumber(text)
      if (value === undefined) return { ok: false, message: `${spec.label}“${text}”不是数字` }
      return inRange(spec, value ?? 0)
    }
    case 'int':
    case 'optint': {
      const normal = normaliseDigits(text).replace(/\s/g, '')
      if (normal === '') return spec.kind === 'int' ? inRange(spec, 0) : { ok: true, value: null }
      if (!/^-?\d+$/.test(normal)) return { ok: false, message: `${spec.label}应是整数` }
      return inRange(spec, Number(normal))
    }
    case 'fen':
    case 'optfen': {
      const fen = parseYuan(text)
      if (fen === undefined) return { ok: false, message: `${spec.label}“${text}”不是金额（元，最多两位小数）` }
      if (fen === null) return { ok: true, value: spec.kind === 'fen' ? 0 : null }
      return inRange(spec, fen)
    }
    case 'optdate': {
      if (text === '') return { ok: true, value: null }
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return { ok: false, message: `${spec.label}应为“年-月-日”` }
      return { ok: true, value: text }
    }
  }
}

/** JSON equality, treating sets of labels as equal whatever their order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && JSON.stringify([...a].sort()) === JSON.stringify([...b].sort())
  }
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Whether a control's content means the same value as the document holds. Compared as values, not as text, so
 * "3500" typed over a stored 3500.00 yuan is no change; content that cannot be read always counts as a change.
 */
function holdsDocValue(spec: FieldSpec, input: InputValue, docValue: unknown): boolean {
  const shown = toInput(spec.kind, docValue)
  const typed = fromInput(spec, input)
  const stored = fromInput(spec, shown)
  if (typed.ok && stored.ok) return sameValue(typed.value, stored.value)
  // A required field left empty on a new entry is unreadable on both sides, yet untouched.
  if (!typed.ok && !stored.ok) return sameValue(input, shown)
  return false
}

/** The form's starting content for a document (or for an empty one, when `doc` is undefined). */
export function initialValues(specs: FieldSpec[], doc: unknown): Values {
  const values: Values = {}
  for (const spec of specs) values[spec.path] = toInput(spec.kind, getPath(doc, spec.path))
  return values
}

export interface Collected {
  /** [path, value] pairs whose value differs from the document, paths prefixed for setFields. */
  changes: [string, unknown][]
  /** The full value of every field, for creating a new entry. */
  value: Record<string, unknown>
  /** Messages by field path, for fields whose content cannot be stored. */
  errors: Record<string, string>
}

/** Reads the whole form against the document it edits. `prefix` is the entry's path, e.g. "members/<id>/". */
export function collect(specs: FieldSpec[], values: Values, doc: unknown, prefix = ''): Collected {
  const changes: [string, unknown][] = []
  const value: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const spec of specs) {
    const read = fromInput(spec, values[spec.path] ?? null)
    if (!read.ok) {
      errors[spec.path] = read.message
      continue
    }
    setPath(value, spec.path, read.value)
    if (!sameValue(read.value, getPath(doc, spec.path))) changes.push([prefix + spec.path, read.value])
  }
  return { changes, value, errors }
}

/** Writes a value at a "/"-separated path, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('/')
  let node = target
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1]] = value
}

/** Whether any control holds something other than what the document says. */
export function isDirty(specs: FieldSpec[], values: Values, doc: unknown): boolean {
  return specs.some((spec) => !holdsDocValue(spec, values[spec.path] ?? null, getPath(doc, spec.path)))
}

/**
 * The form after the document changed under it (another section saved, a conflict was resolved): fields the worker
 * has not touched take the new document value, fields being edited keep what the worker typed.
 */
export function rebase(specs: FieldSpec[], values: Values, oldDoc: unknown, newDoc: unknown): Values {
  const next: Values = { ...values }
  for (const spec of specs) {
    if (holdsDocValue(spec, values[spec.path] ?? null, getPath(oldDoc, spec.path))) {
      next[spec.path] = toInput(spec.kind, getPath(newDoc, spec.path))
    }
  }
  return next
}
