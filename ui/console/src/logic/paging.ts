// Server-side paging and the filters kept in the URL, so a filtered list survives a reload and can be linked to
// (the overview links a village to 农户档案 filtered by it).
import type { LocationQuery } from 'vue-router'

export const PAGE_SIZE = 100

/** Page 1-based -> the offset the server takes. */
export function pageOffset(page: number, size = PAGE_SIZE): number {
  return Math.max(0, Math.floor(page) - 1) * size
}

/** A string query parameter, '' when absent or repeated oddly. */
export function queryText(query: LocationQuery, name: string): string {
  const value = query[name]
  return typeof value === 'string' ? value : ''
}

/** A page number from the URL: a whole number ≥ 1, else 1. */
export function queryPage(query: LocationQuery): number {
  const page = Number(queryText(query, 'page'))
  return Number.isInteger(page) && page >= 1 ? page : 1
}

/** Filters -> route query, leaving out empty values and page 1 so URLs stay short. */
export function filterQuery(filters: Record<string, string | number>): Record<string, string> {
  const query: Record<string, string> = {}
  for (const [key, value] of Object.entries(filters)) {
    if (value === '' || (key === 'page' && value === 1)) continue
    query[key] = String(value)
  }
  return query
}
