// What the console's end-to-end tests run against: the real county server (target/debug/hudang-server on 127.0.0.1,
// serving the built console from ui/dist-console), seeded through its own command line and by real device syncs
// (target/debug/hudang, one data directory per device), and Debian's Chromium driven through playwright-core.
// Nothing is built here: `cargo build --workspace --bins` and `npx vite build --config vite.console.config.ts` come first.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core'
import { CLI, County, ROOT, SCREENSHOTS, SERVER, sleep, tempDir, until } from '../e2e/harness'

export { ROOT, SCREENSHOTS, sleep, tempDir, until }

export const CONSOLE_DIST = process.env.HUDANG_CONSOLE_DIST ?? join(ROOT, 'ui', 'dist-console')
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'

/** Fails at once, saying what to build, when a prerequisite is missing (the tests never build anything). */
export function requireBuilt(): void {
  const missing: string[] = []
  if (!existsSync(SERVER)) missing.push(`${SERVER} (cargo build --workspace --bins)`)
  if (!existsSync(CLI)) missing.push(`${CLI} (cargo build --workspace --bins)`)
  if (!existsSync(join(CONSOLE_DIST, 'index.html')))
    missing.push(`${CONSOLE_DIST}/index.html (cd ui && npx vite build --config vite.console.config.ts)`)
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`)
  if (missing.length) throw new Error(`build these first:\n  ${missing.join('\n  ')}`)
}

/** Resident ID number with its check digit (GB 11643) appended to 17 digits. */
export function withCheckDigit(base: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...base].reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return base + '10X98765432'[sum % 11]
}

/** Runs a command line tool, answering its JSON; a failure carries the tool's own output. */
function runJson(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): any {
  let out: string
  try {
    out = execFileSync(bin, args, { encoding: 'utf8', env, input, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (e: any) {
    throw new Error(`${bin.split('/').pop()} ${args.join(' ')} failed (${e.status}):\n${e.stdout ?? ''}${e.stderr ?? ''}`)
  }
  const text = out.trim()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export const VILLAGE_1 = { code: '532503100201', township: '芷村镇', name: '芷村村', key: '芷村镇/芷村村' }
export const VILLAGE_2 = { code: '532503101202', township: '草坝镇', name: '碧色寨村', key: '草坝镇/碧色寨村' }
export const COUNTY = '蒙自市'

/**
 * The county server of these tests: the field tests' County (蒙自市, village 1 芷村镇/芷村村) with a second village
 * in another township, console passwords, and served with the built console.
 */
export class ConsoleCounty extends County {
  private child: ChildProcess | null = null
  private log: string[] = []

  constructor() {
    super()
    this.admin('village', 'add', '--code', VILLAGE_2.code, '--township', VILLAGE_2.township, '--name', VILLAGE_2.name)
  }

  /** Adds a user, answering their id. */
  user(name: string, role: 'worker' | 'team_leader' | 'county_staff' | 'admin', villages: string[] = []): string {
    const args = ['user', 'add', '--name', name, '--role', role]
    if (villages.length) args.push('--villages', villages.join(','))
    return this.admin(...args).id
  }

  /** Sets a user's console password (`user password --name`, the password on stdin). */
  password(name: string, password: string): void {
    runJson(SERVER, ['--data', this.dir, '--json', 'user', 'password', '--name', name], process.env, `${password}\n`)
  }

  enrolCode(userId: string): string {
    return this.admin('enrol-code', '--user', userId).code
  }

  conflicts(): any[] {
    return runJson(SERVER, ['--data', this.dir, '--json', 'conflicts', 'list'])
  }

  duplicates(): any[] {
    return runJson(SERVER, ['--data', this.dir, '--json', 'duplicates'])
  }

  /** Serves devices and the console on 127.0.0.1 at a free port; resolves once the server says where. */
  async serveConsole(withConsole = true): Promise<void> {
    const args = ['--data', this.dir, 'serve', '--listen', '127.0.0.1:0']
    if (withConsole) args.push('--console', CONSOLE_DIST)
    const child = spawn(SERVER, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    // Should the test process end without afterAll (a crash, a hard timeout), the server ends with it.
    process.once('exit', () => child.kill('SIGKILL'))
    child.stderr!.on('data', (chunk: Buffer) => {
      this.log.push(String(chunk))
      if (process.env.E2E_VERBOSE) process.stderr.write(`[hudang-server] ${chunk}`)
    })
    const lines = createInterface({ input: child.stdout! })
    this.url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`hudang-server did not start:\n${this.log.join('')}`)), 15000)
      child.once('exit', (code) => fail(new Error(`hudang-server exited (${code}):\n${this.log.join('')}`)))
      lines.on('line', (line) => {
        const match = /listening on (http:\/\/\S+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          done(match[1].replace(/\/$/, ''))
        }
      })
    })
  }

  /** What the server wrote to stderr (for a failing test's message). */
  serverLog(): string {
    return this.log.join('')
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null) return
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    child.kill('SIGTERM')
    await Promise.race([exited, sleep(5000)])
    if (child.exitCode === null) child.kill('SIGKILL')
  }

  /** Stops the server and removes its data directory (E2E_KEEP=1 keeps it, for a look after a failure). */
  async dispose(): Promise<void> {
    await this.stop()
    if (!process.env.E2E_KEEP) rmSync(this.dir, { recursive: true, force: true })
  }
}

// Device clocks: every device command runs at its own pinned instant (HUDANG_NOW), one second after the previous
// one, so edit times and history order do not depend on how fast the machine is.
const clockStart = Math.floor(Date.now() / 60000) * 60000
let clockTick = 0
function deviceNow(): string {
  clockTick += 1
  return new Date(clockStart + clockTick * 1000).toISOString()
}

/** One tablet: a `hudang` data directory for one user, enrolled with the county server by a one-time code. */
export class Device {
  readonly dir: string

  constructor(
    readonly county: ConsoleCounty,
    readonly user: string,
    readonly userId: string,
    readonly name = `${user}的平板`,
  ) {
    this.dir = tempDir(`console-device-${userId.slice(0, 8)}`)
    this.cli('init', '--user', user)
  }

  cli(...args: string[]): any {
    return runJson(CLI, ['--data-dir', this.dir, '--json', ...args], { ...process.env, HUDANG_NOW: deviceNow() })
  }

  enrol(): any {
    const code = this.county.enrolCode(this.userId)
    return this.cli('enrol', '--server', this.county.url, '--code', code, '--device-name', this.name)
  }

  /** Registers a household with its 户主, answering its id. */
  household(head: string, idNumber: string, village: typeof VILLAGE_1, group: string, phone = ''): string {
    const args = ['household', 'add', '--head-name', head, '--id-number', idNumber, '--county', COUNTY]
    args.push('--township', village.township, '--village', village.name, '--group', group)
    if (phone) args.push('--phone', phone)
    return this.cli(...args).id
  }

  member(household: string, name: string, idNumber: string, relation: string): string {
    return this.cli('member', 'add', household, '--name', name, '--id-number', idNumber, '--relation', relation).member_id
  }

  edit(household: string, path: string, value: string): void {
    this.cli('household', 'edit', household, '--set', `${path}=${value}`)
  }

  /** Syncs; a sync that reports an error fails. Answers the summary. */
  sync(): any {
    const report = this.cli('sync')
    if (!report || report.error) throw new Error(`${this.user}'s sync failed: ${JSON.stringify(report)}`)
    return report.summary
  }

  show(household: string): any {
    return this.cli('household', 'show', household)
  }

  conflicts(): any[] {
    return this.cli('conflicts', 'list').conflicts
  }

  /** The names of a household's members as this device has them. */
  memberNames(household: string): string[] {
    return Object.values(this.show(household).members ?? {})
      .map((m: any) => m.name)
      .sort()
  }

  dispose(): void {
    if (!process.env.E2E_KEEP) rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Names, ids and ID numbers of what the tests seed. */
export interface Seed {
  county: ConsoleCounty
  passwords: Record<string, string>
  users: Record<string, string>
  devices: { zhang: Device; li: Device; wang: Device }
  /** 赵大's household (village 1, by 张三): the phone conflict between 张三 and 李四. */
  conflictHousehold: string
  phones: { zhang: string; li: string }
  /** 孙大 registered twice: by 张三 in village 1 (with 孙妻) and by 王五 in village 2 (with 孙小). */
  duplicateId: string
  duplicateVillage1: string
  duplicateVillage2: string
  /** 周大's household, village 2 only (by 王五). */
  village2Household: string
  idNumbers: Record<string, string>
}

export const ADMIN = '县局管理员'
export const STAFF = '刘芳'
export const LEADER = '陈队长'

/**
 * Seeds the county: two villages in two townships, an admin, a county staff member, a team leader of village 1,
 * workers 张三 and 李四 (village 1) and 王五 (village 2) on their own tablets; a field conflict on 赵大's phone made
 * by 张三 and 李四, and 孙大's family registered in both villages under the same ID number.
 */
export async function seedCounty(options: { console?: boolean } = {}): Promise<Seed> {
  const county = new ConsoleCounty()
  const devices: Device[] = []
  try {
    return await seed(county, devices, options.console ?? true)
  } catch (error) {
    // Nothing is left running or lying about when the seeding itself fails.
    await county.dispose()
    for (const device of devices) device.dispose()
    throw error
  }
}

async function seed(county: ConsoleCounty, devices: Device[], withConsole: boolean): Promise<Seed> {
  const users: Record<string, string> = {}
  users[ADMIN] = county.user(ADMIN, 'admin')
  users[STAFF] = county.user(STAFF, 'county_staff')
  users[LEADER] = county.user(LEADER, 'team_leader', [VILLAGE_1.code])
  users['张三'] = county.user('张三', 'worker', [VILLAGE_1.code])
  users['李四'] = county.user('李四', 'worker', [VILLAGE_1.code])
  users['王五'] = county.user('王五', 'worker', [VILLAGE_2.code])
  const passwords: Record<string, string> = {
    [ADMIN]: 'admin-pass-2026',
    [STAFF]: 'staff-pass-2026',
    [LEADER]: 'leader-pass-2026',
    张三: 'worker-pass-2026',
  }
  // (Without the console, as when checking the seeding alone, nobody needs a password.)
  if (withConsole) for (const [name, password] of Object.entries(passwords)) county.password(name, password)
  await county.serveConsole(withConsole)

  const zhang = new Device(county, '张三', users['张三'])
  const li = new Device(county, '李四', users['李四'])
  const wang = new Device(county, '王五', users['王五'])
  devices.push(zhang, li, wang)
  for (const device of devices) device.enrol()

  const idNumbers = {
    赵大: withCheckDigit('53250319750312001'),
    钱二: withCheckDigit('53250319780604002'),
    孙大: withCheckDigit('53250319600101003'),
    孙妻: withCheckDigit('53250319620202004'),
    孙小: withCheckDigit('53250319900303005'),
    周大: withCheckDigit('53250319700404006'),
  }

  // The conflict: 张三 registers 赵大's family and syncs, 李四 receives it, both change the phone offline, both sync.
  const conflictHousehold = zhang.household('赵大', idNumbers.赵大, VILLAGE_1, '一组', '13800000001')
  zhang.member(conflictHousehold, '钱二', idNumbers.钱二, '配偶')
  zhang.sync()
  const received = li.sync()
  if (received.households_received < 1) throw new Error(`李四 did not receive 赵大's household: ${JSON.stringify(received)}`)
  const phones = { zhang: '13911112222', li: '13933334444' }
  zhang.edit(conflictHousehold, 'phone', phones.zhang)
  li.edit(conflictHousehold, 'phone', phones.li)
  zhang.sync()
  li.sync()
  zhang.sync()

  // The duplicate: 孙大 registered by 张三 in village 1 and by 王五 in village 2, each with another member.
  const duplicateVillage1 = zhang.household('孙大', idNumbers.孙大, VILLAGE_1, '二组')
  zhang.member(duplicateVillage1, '孙妻', idNumbers.孙妻, '配偶')
  zhang.sync()
  const duplicateVillage2 = wang.household('孙大', idNumbers.孙大, VILLAGE_2, '三组')
  wang.member(duplicateVillage2, '孙小', idNumbers.孙小, '之子')
  const village2Household = wang.household('周大', idNumbers.周大, VILLAGE_2, '一组')
  wang.sync()
  li.sync()

  // The server sees both, as the console will.
  const conflict = county
    .conflicts()
    .find((c: any) => c.household === conflictHousehold && c.conflict?.path === 'phone')
  if (!conflict) throw new Error(`the server lists no phone conflict on ${conflictHousehold}: ${JSON.stringify(county.conflicts())}`)
  const values = conflict.conflict.candidates.map((c: any) => `${c.value}/${c.provenance?.user}`).sort()
  if (values.join() !== [`${phones.zhang}/张三`, `${phones.li}/李四`].sort().join())
    throw new Error(`unexpected conflict candidates: ${JSON.stringify(conflict)}`)
  const duplicate = county.duplicates().find((d: any) => d.id_number === idNumbers.孙大)
  const ids = (duplicate?.households ?? []).map((h: any) => h.id).sort()
  if (ids.join() !== [duplicateVillage1, duplicateVillage2].sort().join())
    throw new Error(`the server lists no duplicate for ${idNumbers.孙大}: ${JSON.stringify(county.duplicates())}`)

  return {
    county,
    passwords,
    users,
    devices: { zhang, li, wang },
    conflictHousehold,
    phones,
    duplicateId: idNumbers.孙大,
    duplicateVillage1,
    duplicateVillage2,
    village2Household,
    idNumbers,
  }
}

// ---- the browser ----

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

export async function newSession(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  })
  context.setDefaultTimeout(15000)
  const page = await context.newPage()
  return { context, page }
}

/** The text input a test id names: the element itself, or the input inside Element Plus' wrapper carrying the id. */
export async function inputOf(locator: Locator): Promise<Locator> {
  await locator.first().waitFor()
  const isInput = await locator.first().evaluate((el) => el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')
  return isInput ? locator.first() : locator.first().locator('input, textarea').first()
}

/** Fills the login form and submits it; answers the login response. */
export async function submitLogin(page: Page, name: string, password: string) {
  await page.goto('/')
  await (await inputOf(page.getByTestId('login-name'))).fill(name)
  await (await inputOf(page.getByTestId('login-password'))).fill(password)
  const response = page.waitForResponse((r) => r.url().includes('/api/console/login') && r.request().method() === 'POST')
  await page.getByTestId('login-submit').click()
  return response
}

/** Logs in and waits for the layout (the user's name in the header). */
export async function login(page: Page, name: string, password: string): Promise<void> {
  const response = await submitLogin(page, name, password)
  if (response.status() !== 200) throw new Error(`login as ${name}: ${response.status()} ${await response.text()}`)
  await page.getByTestId('me-name').filter({ hasText: name }).waitFor()
}

/**
 * Saves the page as docs/screenshots/<name>.png (1366x768), once network requests and transitions have settled and
 * no Element Plus message toast covers it.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.waitForLoadState('networkidle').catch(() => {})
  await page
    .locator('.el-message')
    .first()
    .waitFor({ state: 'detached', timeout: 5000 })
    .catch(() => {})
  await sleep(500)
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}
