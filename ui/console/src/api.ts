// The county console's HTTP client and the shapes of docs/console-api.md. Every call goes to a relative
// `/api/console/...` URL with the session cookie; an error answer becomes an ApiError carrying the server's Chinese
// message, which the screens show as it is.
import type { FieldConflict, Finding, HistoryEntry, Household } from '../../src/api/types'

export type Role = 'worker' | 'team_leader' | 'county_staff' | 'admin'

export interface Village {
  code: string
  township: string
  name: string
}

export interface Me {
  id: string
  name: string
  role: Role
  role_label: string
  county: string
  villages: Village[]
  can_manage: boolean
  can_merge: boolean
}

export interface VillageTotals {
  households: number
  by_status: Record<string, number>
  visited: number
  signed: number
  households_with_errors: number
  errors: number
  warnings: number
  conflicts: number
}

export interface TeamSync {
  user_id: string
  user_name: string
  role: Role
  last_sync: string | null
}

export interface VillageOverview extends VillageTotals {
  code: string
  township: string
  name: string
  key: string
  last_sync: string | null
  teams: TeamSync[]
}

export interface Overview {
  month: string
  villages: VillageOverview[]
  totals: VillageTotals
}

/**
 * One value of a conflicted field. The contract writes it flat (`user`, `device`, `at`) but also says "as
 * hudang_record::Candidate", whose serde form nests them under `provenance`; both are typed so the screens read either
 * (see candidateAuthor in logic/conflicts.ts).
 */
export interface ConsoleCandidate {
  value: unknown
  user?: string
  device?: string
  at?: string
  provenance?: { user: string; device: string; at: string; action?: string }
  change?: string
}

export interface ConflictItem {
  household: string
  village_key: string
  head_name: string
  group: string
  status: string
  member_count: number
  path: string
  label: string
  candidates: ConsoleCandidate[]
}

export interface ResolveItem {
  household: string
  path: string
  value: unknown
}

export interface ResolveOutcome {
  household: string
  path: string
  ok: boolean
  message: string | null
}

export interface DuplicateHousehold {
  id: string
  village_key: string
  head_name: string
}

export interface Duplicate {
  id_number: string
  households: DuplicateHousehold[]
}

export interface MergeOutcome {
  kept: string
  merged: string
  members_added: number
  entries_added: number
  fields_filled: string[]
}

export type ConsoleSeverity = 'error' | 'warning'

export interface FindingItem {
  household: string
  village_key: string
  group: string
  head_name: string
  check: string
  label: string
  severity: ConsoleSeverity
  path: string
  message: string
}

export interface CheckInfo {
  id: string
  label: string
  severity: string
}

export interface FindingPage {
  total: number
  items: FindingItem[]
  checks: CheckInfo[]
}

export interface ConsoleHouseholdRow {
  id: string
  village_key: string
  county: string
  township: string
  village: string
  group: string
  head_name: string
  head_id_number: string
  status: string
  attribute: string
  member_count: number
  signed: boolean
  errors: number
  warnings: number
  conflicts: number
  /** Set when this file was merged into another household's (lists show it, marked). */
  merged_into: string | null
  national_number: string
  address: string
  phone: string
  standard: string
  household_type: string
  main_cause: string
}

export interface HouseholdPage {
  total: number
  items: ConsoleHouseholdRow[]
}

export interface HouseholdFile {
  row: ConsoleHouseholdRow
  household: Household
  findings: Finding[]
  conflicts: FieldConflict[]
  /** Oldest first, as the server sends it. */
  history: HistoryEntry[]
  merged_into: string | null
  merged_from: string[]
}

export interface UserRow {
  id: string
  name: string
  role: Role
  /** Codes of the villages the user works in (empty for county-wide roles). */
  villages: string[]
  created_at: string
  revoked_at: string | null
  has_password: boolean
}

export interface NewUser {
  name: string
  role: Role
  /** Village codes. */
  villages: string[]
  password?: string
}

export interface DeviceRow {
  id: string
  user_id: string
  user_name: string
  name: string
  enrolled_at: string
  revoked_at: string | null
  last_seen_at: string | null
}

export interface EnrolCodeRow {
  id: string
  user_id: string
  user_name: string
  created_at: string
  expires_at: string
  used_at: string | null
  revoked_at: string | null
}

export interface CreatedEnrolCode {
  code: string
  expires_at: string
  row: EnrolCodeRow
}

export type ExportKind = 'households' | 'members' | 'inspections' | 'findings'

/** An error answer (or no answer): a stable code to branch on, a Chinese message to show, the HTTP status (0: none). */
export class ApiError extends Error {
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status: number) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
  }
}

/** What the user reads when the server's answer carries no message of its own (a proxy's error page, say). */
export function statusMessage(status: number): string {
  if (status === 401) return '登录已过期，请重新登录。'
  if (status === 403) return '没有权限进行此操作。'
  if (status === 404) return '要找的记录不存在，或不在您负责的范围内。'
  if (status === 413) return '提交的内容太大。'
  if (status >= 500) return `县服务器出错（HTTP ${status}），请稍后再试或联系管理员。`
  return `请求失败（HTTP ${status}）。`
}

/** An error answer's body -> ApiError; the server's `{error:{code,message}}` when it is there, else by status. */
export function errorFromBody(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const code = typeof error?.code === 'string' ? error.code : `http.${status}`
  const message = typeof error?.message === 'string' && error.message !== '' ? error.message : statusMessage(status)
  return new ApiError(code, message, status)
}

/** Any thrown value as a sentence for ElMessage. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error && error.message) return error.message
  return '操作失败，请重试。'
}

/** Paths whose 401 means "wrong name or password", not "session gone": they must not bounce to the login page. */
const NO_SESSION_REDIRECT = new Set(['/login', '/me'])

let unauthorizedHandler: (() => void) | null = null

/** The router registers how a lost session sends the user to the login page. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler
}

export const API_ROOT = '/api/console'

/** `{village: 'a/b', q: ''}` -> "?village=a%2Fb": empty, null and undefined values are left out. */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue
    search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    response = await fetch(API_ROOT + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError('network', '无法连接县服务器，请检查网络后重试。', 0)
  }
  const text = await response.text()
  let parsed: unknown = null
  if (text !== '') {
    try {
      parsed = JSON.parse(text)
    } catch {
      // Not JSON (an HTML error page from a proxy): the status decides the message below.
      parsed = null
    }
  }
  if (!response.ok) {
    const error = errorFromBody(response.status, parsed)
    if (response.status === 401 && !NO_SESSION_REDIRECT.has(path)) unauthorizedHandler?.()
    throw error
  }
  return parsed as T
}

const get = <T>(path: string) => request<T>('GET', path)
const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body)
const id = encodeURIComponent

export interface FindingFilter {
  check?: string
  village?: string
  severity?: string
  offset: number
  limit: number
}

export interface HouseholdFilter {
  village?: string
  q?: string
  offset: number
  limit: number
}

export const api = {
  login: (name: string, password: string) => post<Me>('/login', { name, password }),
  logout: () => post<unknown>('/logout'),
  me: () => get<Me>('/me'),
  changePassword: (oldPassword: string, newPassword: string) => post<unknown>('/password', { old: oldPassword, new: newPassword }),

  overview: (month?: string) => get<Overview>(`/overview${queryString({ month })}`),
  conflicts: (village?: string) => get<ConflictItem[]>(`/conflicts${queryString({ village })}`),
  resolve: (items: ResolveItem[]) => post<ResolveOutcome[]>('/conflicts/resolve', { items }),
  duplicates: () => get<Duplicate[]>('/duplicates'),
  merge: (keep: string, merge: string) => post<MergeOutcome>('/duplicates/merge', { keep, merge }),
  findings: (filter: FindingFilter) => get<FindingPage>(`/findings${queryString({ ...filter })}`),
  households: (filter: HouseholdFilter) => get<HouseholdPage>(`/households${queryString({ ...filter })}`),
  household: (householdId: string) => get<HouseholdFile>(`/households/${id(householdId)}`),

  villages: () => get<Village[]>('/villages'),
  addVillage: (village: Village) => post<Village>('/villages', village),
  users: () => get<UserRow[]>('/users'),
  addUser: (user: NewUser) => post<UserRow>('/users', user),
  revokeUser: (userId: string) => post<UserRow>(`/users/${id(userId)}/revoke`),
  setUserPassword: (userId: string, password: string) => post<UserRow>(`/users/${id(userId)}/password`, { password }),
  setUserVillages: (userId: string, villages: string[]) => post<UserRow>(`/users/${id(userId)}/villages`, { villages }),
  devices: () => get<DeviceRow[]>('/devices'),
  revokeDevice: (deviceId: string) => post<DeviceRow>(`/devices/${id(deviceId)}/revoke`),
  enrolCodes: () => get<EnrolCodeRow[]>('/enrol-codes'),
  createEnrolCode: (user: string, validDays?: number) =>
    post<CreatedEnrolCode>('/enrol-codes', validDays === undefined ? { user } : { user, valid_days: validDays }),
  revokeEnrolCode: (codeId: string) => post<EnrolCodeRow>(`/enrol-codes/${id(codeId)}/revoke`),
}

/** Where a photo (or a signature image, stored the same way) is read from. */
export function photoUrl(sha256: string): string {
  return `${API_ROOT}/photos/${encodeURIComponent(sha256)}`
}

/** The download link of one export, for one village or (no village) the user's whole area. */
export function exportUrl(kind: ExportKind, village: string): string {
  return `${API_ROOT}/export/${kind}.xlsx${queryString({ village })}`
}

/** A village's key as every list and filter names it. */
export function villageKey(village: Pick<Village, 'township' | 'name'>): string {
  return `${village.township}/${village.name}`
}
