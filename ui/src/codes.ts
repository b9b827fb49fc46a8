// The code lists (性别, 与户主关系, …) come from the Rust domain once per start and are cached here.
import { api, type CodeLists } from './api'

let cached: Promise<CodeLists> | null = null

export function codeLists(): Promise<CodeLists> {
  if (!cached) {
    cached = api.codeLists().catch((error) => {
      cached = null
      throw error
    })
  }
  return cached
}

/** Options for a Vant picker or a select: the list's labels, in the form's order. */
export function options(lists: CodeLists, name: string): { text: string; value: string }[] {
  return (lists.lists[name] ?? []).map((label) => ({ text: label, value: label }))
}
