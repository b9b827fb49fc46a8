// Data-check findings on the 核查签字 tab: which notes explain a warning, what still blocks signing, and which tab of
// the household file holds the field a finding is about. Whether a finding blocks signing is decided by the domain
// (`signing_blockers` in checks.rs) and arrives as `HouseholdView.blockers`; nothing here overrules it.
import type { Finding } from './api'

/** A worker's note on a warning, as the domain serialises `CheckNote` (`by` is filled by the device). */
export interface CheckNote {
  check_id: string
  path: string
  by: string
  note: string
}

/** The tabs of the household file where a finding's field can be corrected. */
export type FixTab = 'basic' | 'conditions' | 'income' | 'inspection' | 'assessment' | 'visits'

export interface FixTarget {
  tab: FixTab
  /** The member whose editor to open, when the finding is about one member. */
  memberId: string | null
}

/**
 * The notes written for a finding: same check, same path, and not blank, because the domain ignores a blank note
 * when deciding whether a warning still blocks signing, so showing one would suggest an explanation that does not count.
 */
export function notesFor(notes: Record<string, CheckNote> | null | undefined, finding: Finding): CheckNote[] {
  return Object.values(notes ?? {}).filter(
    (n) => n.check_id === finding.check_id && n.path === finding.path && n.note.trim() !== '',
  )
}

/** Whether the domain lists this finding among those that block signing. */
export function isBlocking(finding: Finding, blockers: Finding[]): boolean {
  return blockers.some((b) => b.check_id === finding.check_id && b.path === finding.path && b.severity === finding.severity)
}

/** A warning the domain no longer counts against signing: a note explains it. */
export function isExplained(finding: Finding, blockers: Finding[]): boolean {
  return finding.severity === '警告' && !isBlocking(finding, blockers)
}

/** Why signing is refused, in one sentence; empty when nothing blocks it. */
export function blockerSummary(blockers: Finding[]): string {
  const errors = blockers.filter((b) => b.severity === '错误').length
  const warnings = blockers.length - errors
  if (errors > 0 && warnings > 0) {
    return `还有 ${errors} 个错误没有改正、${warnings} 个警告没有填写说明，处理后才能签字。`
  }
  if (errors > 0) return `还有 ${errors} 个错误没有改正，改正后才能签字。`
  if (warnings > 0) return `还有 ${warnings} 个警告没有填写说明，填写说明后才能签字。`
  return ''
}

/** Top-level fields edited in the 基本信息 form (see BASIC_FIELDS in HouseholdFile.vue), plus the pairings listed there. */
const BASIC_ROOTS = new Set([
  'address',
  'phone',
  'national_number',
  'standard',
  'attribute',
  'household_type',
  'status',
  'status_changes',
  'main_cause',
  'other_causes',
  'flags',
  'note',
  'helpers',
])

const COLLECTION_TABS: Record<string, FixTab> = {
  conditions: 'conditions',
  incomes: 'income',
  inspections: 'inspection',
  assessments: 'assessment',
  visits: 'visits',
  contacts: 'visits',
}

/**
 * Where the worker corrects the field a finding names, from its document path: "members/<id>/…" opens that member
 * in 基本信息, a yearly record or a visit goes to its tab. Null for a path no screen edits (for example the area,
 * fixed when the household is registered), so no button promises a correction the app cannot make.
 */
export function fixTarget(path: string): FixTarget | null {
  const [root, id] = path.split('/')
  if (root === 'members') return { tab: 'basic', memberId: id || null }
  if (BASIC_ROOTS.has(root)) return { tab: 'basic', memberId: null }
  const tab = COLLECTION_TABS[root]
  return tab ? { tab, memberId: null } : null
}
