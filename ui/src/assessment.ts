// 两不愁三保障: the six standards, the paths their verdicts are saved under, and the facts already in the household
// file that bear on each, shown next to the verdict so the worker judges with the evidence in view.
import type { Assessment, Household, Inspection, Verdict } from './api'
import { INSPECTION_ITEMS, inspectionsNewestFirst, itemOf, sameJson } from './inspection'

export type StandardKey = 'food' | 'clothing' | 'education' | 'medical' | 'housing' | 'water'

export interface Standard {
  key: StandardKey
  label: string
  /** What the standard asks, in one line. */
  hint: string
}

/** The six standards in the order of the policy text (饮水安全 added in 2019). */
export const STANDARDS: readonly Standard[] = [
  { key: 'food', label: '不愁吃', hint: '主粮够吃，经常能吃到肉蛋。' },
  { key: 'clothing', label: '不愁穿', hint: '四季有换洗衣服，冬天有御寒被褥。' },
  { key: 'education', label: '义务教育有保障', hint: '6至15岁的孩子都在上学，没有因贫辍学。' },
  { key: 'medical', label: '基本医疗有保障', hint: '全家参加基本医疗保险，看得起病。' },
  { key: 'housing', label: '住房安全有保障', hint: '住房不是C级、D级危房，或已改造。' },
  { key: 'water', label: '饮水安全有保障', hint: '有稳定、安全的饮用水。' },
]

export type VerdictDraft = Record<StandardKey, Verdict>

export function verdictLabel(met: boolean | null | undefined): '达标' | '未达标' | '未评' {
  return met === true ? '达标' : met === false ? '未达标' : '未评'
}

export function draftOfAssessment(assessment: Assessment | undefined): VerdictDraft {
  const draft = {} as VerdictDraft
  for (const { key } of STANDARDS) {
    const verdict = assessment?.[key]
    draft[key] = { met: typeof verdict?.met === 'boolean' ? verdict.met : null, note: verdict?.note ?? '' }
  }
  return draft
}

/** The verdicts that differ from the stored assessment, as document paths for one setFields call. */
export function assessmentChanges(id: string, assessment: Assessment | undefined, draft: VerdictDraft): [string, unknown][] {
  const stored = draftOfAssessment(assessment)
  const fields: [string, unknown][] = []
  for (const { key } of STANDARDS) {
    if (draft[key].met !== stored[key].met) fields.push([`assessments/${id}/${key}/met`, draft[key].met])
    if (draft[key].note !== stored[key].note) fields.push([`assessments/${id}/${key}/note`, draft[key].note])
  }
  return fields
}

export function sameDraft(a: VerdictDraft, b: VerdictDraft): boolean {
  return sameJson(a, b)
}

/** "达标 4 · 未达标 1 · 未评 1", leaving out zero counts. */
export function verdictSummary(assessment: Assessment): string {
  const counts = { 达标: 0, 未达标: 0, 未评: 0 }
  for (const { key } of STANDARDS) counts[verdictLabel(assessment[key]?.met)] += 1
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label} ${n}`)
    .join(' · ')
}

export function assessmentsNewestFirst(household: Household): { id: string; assessment: Assessment }[] {
  return Object.entries(household.assessments ?? {})
    .map(([id, assessment]) => ({ id, assessment }))
    .sort((a, b) => (a.assessment.assessed_at < b.assessment.assessed_at ? 1 : a.assessment.assessed_at > b.assessment.assessed_at ? -1 : 0))
}

function inspectionRating(inspection: Inspection | undefined, key: string): string | null {
  const spec = INSPECTION_ITEMS.find((s) => s.key === key)
  if (!inspection || !spec) return null
  const rating = itemOf(inspection, spec).record.rating
  return rating ? `六看一问「${spec.label}」评价：${rating}` : null
}

const STUDYING = new Set(['小学', '七年级', '八年级', '九年级'])

/** Age in whole years on `today` from the birth date inside an 18-character ID number; null when it has none. */
export function ageFromIdNumber(idNumber: string, today: Date): number | null {
  const match = /^\d{6}(\d{4})(\d{2})(\d{2})\d{3}[\dXx]$/.exec(idNumber.trim())
  if (!match) return null
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  let age = today.getFullYear() - year
  if (today.getMonth() + 1 < month || (today.getMonth() + 1 === month && today.getDate() < day)) age -= 1
  return age >= 0 && age < 150 ? age : null
}

/**
 * Facts already recorded that bear on a standard, as short sentences: the latest 六看一问 ratings, the latest living
 * conditions, and members' schooling and insurance. Registered members only: someone who married out does not
 * count against the household.
 */
export function evidence(household: Household, key: StandardKey, today: Date = new Date()): string[] {
  const latestInspection = inspectionsNewestFirst(household)[0]?.inspection
  const members = Object.values(household.members ?? {}).filter((m) => m.status === null || m.status === '在册')
  const conditions = Object.values(household.conditions ?? {}).sort((a, b) => b.year - a.year)[0]
  const lines: (string | null)[] = []
  switch (key) {
    case 'food': {
      lines.push(inspectionRating(latestInspection, 'food'))
      const staple = latestInspection?.items?.food?.staple_enough
      if (typeof staple === 'boolean') lines.push(staple ? '主粮够吃' : '主粮不够吃')
      break
    }
    case 'clothing': {
      lines.push(inspectionRating(latestInspection, 'clothing'))
      const bedding = latestInspection?.items?.clothing?.winter_bedding
      if (typeof bedding === 'boolean') lines.push(bedding ? '冬季被褥够用' : '冬季被褥不够')
      break
    }
    case 'education': {
      const pupils = members.filter((m) => m.school && STUDYING.has(m.school))
      if (pupils.length) lines.push(`义务教育阶段在校：${pupils.map((m) => `${m.name}（${m.school}）`).join('、')}`)
      const outOfSchool = members.filter((m) => {
        const age = ageFromIdNumber(m.id_number, today)
        return age !== null && age >= 6 && age <= 15 && (m.school === null || m.school === '非在校生')
      })
      if (outOfSchool.length) lines.push(`6至15岁未登记在校：${outOfSchool.map((m) => m.name).join('、')}`)
      if (!pupils.length && !outOfSchool.length) lines.push('没有登记义务教育阶段的孩子')
      break
    }
    case 'medical': {
      lines.push(inspectionRating(latestInspection, 'health'))
      const uninsured = members.filter((m) => !m.insurance?.basic_medical)
      lines.push(
        members.length === 0
          ? null
          : uninsured.length
            ? `未参加基本医疗保险：${uninsured.map((m) => m.name).join('、')}`
            : '在册成员都参加了基本医疗保险',
      )
      break
    }
    case 'housing': {
      lines.push(inspectionRating(latestInspection, 'housing'))
      const grade = latestInspection?.items?.housing?.danger_grade
      if (typeof grade === 'string') lines.push(`六看一问看到危房等级：${grade}`)
      if (conditions) {
        if (conditions.dangerous) {
          lines.push(
            `${conditions.year}年登记为危房${conditions.danger_grade ? `（${conditions.danger_grade}）` : ''}` +
              (conditions.renovated_year ? `，${conditions.renovated_year}年已改造` : '，未登记改造'),
          )
        }
        if (conditions.house_area_m2 === 0) lines.push(`${conditions.year}年登记住房面积为 0`)
      }
      break
    }
    case 'water': {
      if (conditions && conditions.water_safe !== null) {
        lines.push(`${conditions.year}年登记：${conditions.water_safe ? '饮水安全' : '饮水困难'}`)
      }
      const point = latestInspection?.items?.housing?.water_point
      if (typeof point === 'boolean' && latestInspection?.items?.housing?.record?.recorded_at) {
        lines.push(point ? '六看一问看到水源到户' : '六看一问看到水源未到户')
      }
      break
    }
  }
  return lines.filter((line): line is string => !!line)
}
