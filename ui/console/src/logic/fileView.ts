// Read-only wording of the parts of a household file the field app shows as forms: the facts of a 六看一问 item (from
// the field app's INSPECTION_ITEMS table, so a field added there shows here too), members' birth dates, work and
// welfare, a visit's people.
import { formatYuan } from '../../../src/format'
import { readPath, type ItemSpec } from '../../../src/inspection'
import type { Member } from '../../../src/api/types'

/**
 * The facts recorded for one inspection item, as "电视、冰箱、摩托车 2 辆、主粮够吃：是": ticked booleans by name,
 * non-zero counts and measures with their unit, answered yes/no questions, chosen codes and typed text. Unticked
 * boxes and zero counts are left out: on paper an item lists what was seen.
 */
export function itemFacts(item: unknown, spec: ItemSpec): string[] {
  const facts: string[] = []
  for (const field of spec.fields) {
    if (field.when && readPath(item, field.when) !== true) continue
    const value = readPath(item, field.path)
    const unit = field.unit ?? ''
    switch (field.kind) {
      case 'bool':
        if (value === true) facts.push(field.label)
        break
      case 'tri':
        if (typeof value === 'boolean') facts.push(`${field.label}：${value ? '是' : '否'}`)
        break
      case 'count':
      case 'decimal':
        if (typeof value === 'number' && value !== 0) facts.push(`${field.label} ${value} ${unit}`.trim())
        break
      case 'year':
        if (typeof value === 'number') facts.push(`${field.label} ${value}`)
        break
      case 'yuan':
        if (typeof value === 'number' && value !== 0) facts.push(`${field.label} ${formatYuan(value)} 元`)
        break
      case 'choice':
        if (typeof value === 'string' && value !== '') facts.push(`${field.label}：${value}`)
        break
      case 'text':
        if (typeof value === 'string' && value.trim() !== '') facts.push(`${field.label}：${value.trim()}`)
        break
    }
  }
  return facts
}

/** Neighbours' statements under 出门问邻舍, as "王五（邻居）：常年在家". */
export function neighbourStatements(item: unknown): string[] {
  const statements = readPath(item, 'statements')
  if (!statements || typeof statements !== 'object') return []
  return Object.values(statements as Record<string, { name?: string; relation?: string; note?: string }>).map((s) => {
    const who = [s.name, s.relation ? `（${s.relation}）` : ''].join('')
    return `${who || '邻居'}：${s.note ?? ''}`
  })
}

/** The birth date inside an 18-character ID number, "1980-05-01"; '' when the number holds none. */
export function birthDateFromIdNumber(idNumber: string): string {
  const match = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$/.exec(idNumber.trim())
  if (!match) return ''
  const [, year, month, day] = match
  const m = Number(month)
  const d = Number(day)
  return m >= 1 && m <= 12 && d >= 1 && d <= 31 ? `${year}-${month}-${day}` : ''
}

/** 健康状况 with the disease and disability details the worker recorded. */
export function healthText(member: Member): string {
  const parts = [...(member.health ?? [])]
  const details: string[] = []
  if (member.disease) details.push(member.disease)
  if (member.disability_category) details.push(`${member.disability_category}${member.disability_grade ? ` ${member.disability_grade}级` : ''}`)
  const text = parts.join('、') || '—'
  return details.length ? `${text}（${details.join('，')}）` : text
}

/** 务工: "省外 10 个月，某厂，月收入 3500.00 元"; '—' for someone not working away. */
export function workText(member: Member): string {
  const work = member.work
  if (!work || (!work.place && !work.months && !work.employer && !work.monthly_income_fen)) return '—'
  const parts = [`${work.place ?? '地点未填'}${work.months ? ` ${work.months} 个月` : ''}`]
  if (work.employer) parts.push(work.employer)
  if (work.monthly_income_fen) parts.push(`月收入 ${formatYuan(work.monthly_income_fen)} 元`)
  return parts.join('，')
}

/** Insurance and welfare a member has, by name; '—' when none. */
export function coverText(member: Member): string {
  const cover: string[] = []
  if (member.insurance?.basic_medical) cover.push('基本医疗保险')
  if (member.insurance?.serious_illness) cover.push('大病保险')
  if (member.insurance?.pension) cover.push('养老保险')
  if (member.welfare?.dibao) cover.push('低保')
  if (member.welfare?.tekun) cover.push('特困供养')
  if (member.welfare?.public_welfare_job) cover.push('公益性岗位')
  if (member.state_payroll) cover.push('财政供养')
  if (member.village_cadre) cover.push('村干部')
  return cover.join('、') || '—'
}
