// The conflict queue's rules: who wrote each candidate, which rows the clerk has ticked and chosen a value for, and
// the body of one bulk resolve. A row ticked without a chosen value is refused here, before anything is sent, so a
// batch never half-applies because of a missing choice.
import type { ConflictItem, ConsoleCandidate, ResolveItem } from '../api'

/** A conflict's identity in the queue: one field of one household. */
export function conflictKey(item: Pick<ConflictItem, 'household' | 'path'>): string {
  return `${item.household}\u0000${item.path}`
}

/** Who wrote a candidate and when, whether the server sends it flat or nested under `provenance`. */
export function candidateAuthor(candidate: ConsoleCandidate): { user: string; at: string } {
  return {
    user: candidate.user ?? candidate.provenance?.user ?? '',
    at: candidate.at ?? candidate.provenance?.at ?? '',
  }
}

export type BulkResolve = { ok: true; items: ResolveItem[] } | { ok: false; message: string }

/**
 * The items of one bulk resolve: every ticked row with the candidate chosen for it, in queue order.
 * `choices` maps a conflictKey to the chosen candidate's index.
 */
export function bulkResolveItems(rows: ConflictItem[], selected: ReadonlySet<string>, choices: ReadonlyMap<string, number>): BulkResolve {
  const ticked = rows.filter((row) => selected.has(conflictKey(row)))
  if (ticked.length === 0) return { ok: false, message: '请先勾选要解决的冲突。' }
  const unchosen = ticked.filter((row) => {
    const index = choices.get(conflictKey(row))
    return index === undefined || index < 0 || index >= row.candidates.length
  })
  if (unchosen.length > 0) {
    const named = unchosen
      .slice(0, 3)
      .map((row) => `${row.head_name || '（无户主）'}·${row.label}`)
      .join('、')
    const more = unchosen.length > 3 ? ` 等 ${unchosen.length} 条` : ''
    return { ok: false, message: `${named}${more}还没有选定取值，请为每条勾选的冲突选定一个值后再批量解决。` }
  }
  return {
    ok: true,
    items: ticked.map((row) => ({
      household: row.household,
      path: row.path,
      value: row.candidates[choices.get(conflictKey(row)) as number].value,
    })),
  }
}

/** The one-line account of a resolve: "已解决 3 条，2 条未能解决。" */
export function outcomeSummary(outcomes: { ok: boolean }[]): string {
  const done = outcomes.filter((o) => o.ok).length
  const failed = outcomes.length - done
  if (failed === 0) return `已解决 ${done} 条冲突。`
  if (done === 0) return `${failed} 条冲突未能解决。`
  return `已解决 ${done} 条，${failed} 条未能解决。`
}
