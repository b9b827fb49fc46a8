// Role names as the county says them, for tables of users (Me carries its own role_label from the server).
import type { Role } from '../api'

export const ROLE_LABELS: Record<Role, string> = {
  worker: '工作队员',
  team_leader: '工作队长',
  county_staff: '县级工作人员',
  admin: '管理员',
}

export function roleLabel(role: Role | string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role
}

/** Roles a user may create: county staff create workers and team leaders; only an admin creates staff and admins. */
export function creatableRoles(myRole: Role): Role[] {
  return myRole === 'admin' ? ['worker', 'team_leader', 'county_staff', 'admin'] : ['worker', 'team_leader']
}

/** Roles that sign in to the console and so need a password (workers only enrol devices). */
export function needsConsolePassword(role: Role): boolean {
  return role !== 'worker'
}

/** The shortest console password the server accepts (console::MIN_PASSWORD_CHARS), counted in characters. */
export const MIN_PASSWORD_CHARS = 8

/** Whether a password is long enough, counting characters as the server does (not UTF-16 units). */
export function passwordLongEnough(password: string): boolean {
  return [...password].length >= MIN_PASSWORD_CHARS
}

/** What is wrong with a new password typed twice, or null when it can be sent. */
export function passwordProblem(next: string, again: string): string | null {
  if (!passwordLongEnough(next)) return `新密码至少 ${MIN_PASSWORD_CHARS} 个字符`
  if (next !== again) return '两次输入的新密码不一致'
  return null
}
