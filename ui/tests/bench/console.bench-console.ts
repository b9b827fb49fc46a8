// Benchmark (prints figures, asserts nothing about time): the county console with 100,000 households on a release
// hudang-server, in Debian's Chromium at 1366x768.
//  1. the overview page: from page.goto('/#/overview') to the households total shown and both charts painted with
//     the figures, cold (a new browser context each time, so every asset is fetched again) and warm (one context,
//     assets from its cache); the /api/console/overview request alone (as the browser saw it, and fetched from Node
//     with the session cookie) and its JSON size; the server's peak RSS during the page loads;
//  2. the households and members xlsx exports, streamed to files with the session cookie: time to the response
//     headers, to the first body byte and to the end, size, the server's peak RSS during each; then each file is read
//     back with ExcelJS' streaming reader, and the households file must hold one data row per household (a
//     correctness check, not a time threshold).
// Run: scripts/bench-console (makes the data once, builds the release server and the console, sets the admin up).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import ExcelJS from 'exceljs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'
import { CONSOLE_DIST, ROOT, launchBrowser, login, newSession, sleep } from '../console/harness'

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 100000)
const BENCH_DIR = process.env.BENCH_DIR ?? join(ROOT, 'target', 'bench-console')
const DATA = process.env.BENCH_SERVER_DATA ?? join(BENCH_DIR, 'server')
const SERVER = process.env.HUDANG_SERVER_RELEASE ?? join(ROOT, 'target', 'release', 'hudang-server')
const ADMIN = process.env.BENCH_ADMIN ?? '县局管理员'
const PASSWORD = process.env.BENCH_PASSWORD ?? 'bench-console-2026'
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const LOAD_TIMEOUT = 180_000

let server: ChildProcess | null = null
let browser: Browser | null = null
const serverLog: string[] = []

afterAll(async () => {
  await browser?.close().catch(() => {})
  await stopServer()
})

// ---- the server process ----

async function startServer(): Promise<{ url: string; pid: number }> {
  const child = spawn(SERVER, ['--data', DATA, 'serve', '--listen', '127.0.0.1:0', '--console', CONSOLE_DIST], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server = child
  // Should the test process end without afterAll (a crash, a hard timeout), the server ends with it.
  process.once('exit', () => child.kill('SIGKILL'))
  child.stderr!.on('data', (chunk: Buffer) => serverLog.push(String(chunk)))
  const lines = createInterface({ input: child.stdout! })
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`hudang-server did not start:\n${serverLog.join('')}`)), 60000)
    child.once('exit', (code) => fail(new Error(`hudang-server exited (${code}):\n${serverLog.join('')}`)))
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) {
        clearTimeout(timer)
        done(match[1].replace(/\/$/, ''))
      }
    })
  })
  return { url, pid: child.pid! }
}

async function stopServer(): Promise<void> {
  const child = server
  server = null
  if (!child || child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await Promise.race([exited, sleep(10000)])
  if (child.exitCode === null) child.kill('SIGKILL')
}

/** VmHWM (peak RSS since the last reset) and VmRSS of a process, in KiB. */
function memory(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { peak: field('VmHWM'), rss: field('VmRSS') }
}

/** Resets a process's peak RSS to its current RSS (clear_refs 5), so VmHWM then covers one phase. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5')
}

// ---- figures ----

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
const ms = (value: number) => `${value.toFixed(0)} ms`
const mb = (kib: number) => `${(kib / 1024).toFixed(0)} MB`
const bytes = (n: number) => (n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`)
const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ')

const figures: [string, string][] = []
const notes: string[] = []
function figure(what: string, value: string): void {
  figures.push([what, value])
  console.log(`${what}: ${value}`)
}

function printTable(): string {
  const width = Math.max(...figures.map(([what]) => [...what].length))
  const lines = [
    `county console benchmark: ${HOUSEHOLDS} households, ${new Date().toISOString()}, data ${DATA}`,
    ...figures.map(([what, value]) => `  ${what.padEnd(width)}  ${value}`),
    ...(notes.length ? ['notes:', ...notes.map((n) => `  - ${n}`)] : []),
  ]
  const text = lines.join('\n')
  // Straight to stdout, in one piece, besides the reporter's own capture.
  writeSync(1, `\n${text}\n\n`)
  return text
}

// ---- the overview page ----

/**
 * Runs in every page before its scripts: watches each animation frame for the households total and both charts'
 * canvases, then waits two more frames (ECharts paints the option it was given on its next frame) and records when.
 */
function readyWatcher(expected: string): void {
  const w = window as any
  w.__bench = { shown: 0, ready: 0, epoch: 0, text: '' }
  const check = () => {
    const value = document.querySelector('[data-testid="overview-total-households"] .card-value')
    const text = value?.textContent?.trim() ?? ''
    const canvases = ['chart-status', 'chart-visits'].every((id) => {
      const canvas = document.querySelector(`[data-testid="${id}"] canvas`) as HTMLCanvasElement | null
      return !!canvas && canvas.width > 0 && canvas.height > 0
    })
    if (text.replace(/[^0-9]/g, '') === expected && canvases) {
      w.__bench.shown = performance.now()
      w.__bench.text = text
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          w.__bench.ready = performance.now()
          w.__bench.epoch = performance.timeOrigin + w.__bench.ready
        }),
      )
      return
    }
    requestAnimationFrame(check)
  }
  requestAnimationFrame(check)
}

interface Load {
  /** From page.goto to the total shown and the charts painted (Node's clock and the page's, both epoch based). */
  total: number
  /** In the page: navigation start to ready. */
  inPage: number
  /** The overview request as the browser saw it: request start to its last byte. */
  overview: number
  overviewUrl: string
  /** From page.goto to the overview request sent, and to its last byte received. */
  overviewSent: number
  overviewDone: number
  shownText: string
  requests: number
  transferred: number
  apiCalls: string[]
}

async function loadOverview(context: BrowserContext, shot?: string): Promise<Load> {
  const page = await context.newPage()
  const responses: import('playwright-core').Response[] = []
  const problems: string[] = []
  page.on('response', (r) => responses.push(r))
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`))
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`))
  const begin = performance.timeOrigin + performance.now()
  await page.goto('/#/overview', { waitUntil: 'commit' })
  await page.waitForFunction(() => (window as any).__bench?.ready > 0, null, { timeout: LOAD_TIMEOUT, polling: 20 })
  const bench = await page.evaluate(() => (window as any).__bench)
  const overviewResponse = responses.find((r) => new URL(r.url()).pathname === '/api/console/overview')
  if (!overviewResponse) throw new Error('the overview page made no /api/console/overview request')
  await overviewResponse.finished()
  const timing = overviewResponse.request().timing()
  let transferred = 0
  for (const response of responses) {
    await response.finished().catch(() => {})
    transferred += (await response.request().sizes().catch(() => ({ responseBodySize: 0 }))).responseBodySize
  }
  const apiCalls = responses
    .filter((r) => r.url().includes('/api/'))
    .map((r) => `${new URL(r.url()).pathname}${new URL(r.url()).search} ${r.status()} ${r.request().timing().responseEnd.toFixed(0)} ms`)
  for (const problem of problems) if (!notes.includes(problem)) notes.push(problem)
  if (shot) {
    await sleep(1500) // ECharts' entry animation
    await page.screenshot({ path: shot })
  }
  await page.close()
  return {
    total: bench.epoch - begin,
    inPage: bench.ready,
    overview: timing.responseEnd,
    overviewUrl: overviewResponse.url(),
    overviewSent: timing.startTime - begin,
    overviewDone: timing.startTime + timing.responseEnd - begin,
    shownText: bench.text,
    requests: responses.length,
    transferred,
    apiCalls,
  }
}

async function sessionContext(baseURL: string, state: Awaited<ReturnType<BrowserContext['storageState']>>) {
  const context = await browser!.newContext({
    baseURL,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    storageState: state,
  })
  context.setDefaultTimeout(LOAD_TIMEOUT)
  await context.addInitScript(readyWatcher, String(HOUSEHOLDS))
  return context
}

// ---- the exports ----

interface Download {
  headers: number
  firstByte: number
  total: number
  size: number
  peak: number
  rssBefore: number
  rssAfter: number
}

async function download(url: string, cookie: string, file: string, pid: number): Promise<Download> {
  resetPeak(pid)
  const rssBefore = memory(pid).rss
  const begin = performance.now()
  const response = await fetch(url, { headers: { cookie } })
  const headers = performance.now() - begin
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`)
  const out = createWriteStream(file)
  let firstByte = 0
  let size = 0
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!firstByte) firstByte = performance.now() - begin
      size += chunk.length
      if (!out.write(chunk)) await once(out, 'drain')
    }
  } catch (error: any) {
    // The server fails the body when the export fails after the headers were sent.
    out.destroy()
    const cause = error?.cause?.message ?? error?.cause?.code ?? ''
    throw new Error(
      `the body of ${new URL(url).pathname} broke off after ${size} bytes, ${ms(performance.now() - begin)}: ${error?.message} ${cause}`,
    )
  }
  const total = performance.now() - begin
  await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())))
  const { peak, rss } = memory(pid)
  return { headers, firstByte, total, size, peak, rssBefore, rssAfter: rss }
}

/** Reads a workbook with ExcelJS' streaming reader: its sheets, header row (first sheet) and data rows (all sheets). */
async function readBack(file: string): Promise<{ sheets: number; header: string[]; rows: number; millis: number }> {
  const begin = performance.now()
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    entries: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
  })
  let sheets = 0
  let header: string[] = []
  let rows = 0
  for await (const sheet of reader) {
    sheets += 1
    for await (const row of sheet as any) {
      if (row.number === 1) {
        if (sheets === 1) header = (row.values as unknown[]).slice(1).map((v) => String(v ?? ''))
        continue
      }
      if (row.hasValues) rows += 1
    }
  }
  return { sheets, header, rows, millis: performance.now() - begin }
}

it(`the county console with ${HOUSEHOLDS} households`, async () => {
  const exportsDir = join(BENCH_DIR, 'exports')
  mkdirSync(exportsDir, { recursive: true })
  const database = statSync(join(DATA, 'server.sqlite3'), { throwIfNoEntry: false })?.size
  const startedAt = performance.now()
  const { url, pid } = await startServer()
  figure('server start to listening', ms(performance.now() - startedAt))
  if (database) figure('database file', bytes(database))
  figure('server RSS after start', mb(memory(pid).rss))

  try {
    browser = await launchBrowser()

    // Log in through the real login page; its session (the HttpOnly cookie) is reused by every later load.
    resetPeak(pid)
    const loginBegin = performance.now()
    const { context: loginContext, page: loginPage } = await newSession(browser, url)
    loginContext.setDefaultTimeout(LOAD_TIMEOUT)
    await login(loginPage, ADMIN, PASSWORD)
    figure('login page to logged in (incl. first overview request)', ms(performance.now() - loginBegin))
    const state = await loginContext.storageState()
    const session = state.cookies.find((c) => c.name === 'hudang_console')
    if (!session) throw new Error(`no hudang_console cookie after login: ${JSON.stringify(state.cookies.map((c) => c.name))}`)
    const cookie = `hudang_console=${session.value}`
    await loginContext.close()

    // Cold loads: a new context each time, so the JS and CSS come from the server again.
    const cold: Load[] = []
    for (let run = 0; run < RUNS; run++) {
      const context = await sessionContext(url, state)
      cold.push(await loadOverview(context))
      await context.close()
    }
    // Warm loads: one context, a new page each time; the first (unmeasured) load fills its cache.
    const warm: Load[] = []
    const warmContext = await sessionContext(url, state)
    await loadOverview(warmContext, join(BENCH_DIR, 'overview.png'))
    for (let run = 0; run < RUNS; run++) warm.push(await loadOverview(warmContext))
    await warmContext.close()
    const pageMemory = memory(pid)

    figure('overview total shown as', JSON.stringify(cold[0].shownText))
    figure(
      `overview page, cold (new context), goto to total + charts painted`,
      `median ${ms(median(cold.map((l) => l.total)))}, max ${ms(Math.max(...cold.map((l) => l.total)))} (${list(cold.map((l) => l.total))})`,
    )
    figure('  of that, in the page: navigation start to ready', `median ${ms(median(cold.map((l) => l.inPage)))}`)
    figure(
      '  of that, goto to the overview request sent / answered',
      `median ${ms(median(cold.map((l) => l.overviewSent)))} / ${ms(median(cold.map((l) => l.overviewDone)))}`,
    )
    figure('  cold load: requests, bytes transferred', `${cold[0].requests}, ${bytes(cold[0].transferred)}`)
    figure(
      `overview page, warm (reused context)`,
      `median ${ms(median(warm.map((l) => l.total)))}, max ${ms(Math.max(...warm.map((l) => l.total)))} (${list(warm.map((l) => l.total))})`,
    )
    figure('  warm load: requests, bytes transferred', `${warm[0].requests}, ${bytes(warm[0].transferred)}`)
    const browserOverview = [...cold, ...warm].map((l) => l.overview)
    figure(
      'GET /api/console/overview in the browser (request to last byte)',
      `median ${ms(median(browserOverview))}, max ${ms(Math.max(...browserOverview))} over ${browserOverview.length} loads`,
    )
    figure('  API calls of one cold load', cold[0].apiCalls.join('; '))

    // The overview request alone, from Node with the session cookie (the same URL the page asked for).
    const overviewUrl = cold[0].overviewUrl
    const alone: number[] = []
    let json = ''
    let encoding = ''
    for (let run = 0; run < RUNS; run++) {
      const begin = performance.now()
      const response = await fetch(overviewUrl, { headers: { cookie } })
      json = await response.text()
      alone.push(performance.now() - begin)
      encoding = response.headers.get('content-encoding') ?? 'none'
      if (response.status !== 200) throw new Error(`${overviewUrl}: ${response.status} ${json}`)
    }
    const overview = JSON.parse(json)
    expect(overview.totals.households).toBe(HOUSEHOLDS)
    figure(
      `GET ${new URL(overviewUrl).pathname}${new URL(overviewUrl).search} alone (Node fetch)`,
      `median ${ms(median(alone))}, max ${ms(Math.max(...alone))} (${list(alone)})`,
    )
    figure(
      '  overview JSON',
      `${bytes(Buffer.byteLength(json))} (content-encoding ${encoding}), ${overview.villages.length} villages, ` +
        `totals: ${overview.totals.households} households, ${overview.totals.visited} visited in ${overview.month}, ` +
        `by status ${JSON.stringify(overview.totals.by_status)}`,
    )
    figure(
      'server peak RSS during login + page loads + overview fetches',
      `${mb(memory(pid).peak)} (after the page loads: peak ${mb(pageMemory.peak)}, RSS ${mb(pageMemory.rss)})`,
    )

    // The exports, streamed to files; the server's peak RSS reset right before each.
    const failures: string[] = []
    for (const kind of ['households', 'members'] as const) {
      const file = join(exportsDir, `${kind}.xlsx`)
      let result: Download
      try {
        result = await download(`${url}/api/console/export/${kind}.xlsx`, cookie, file, pid)
      } catch (error: any) {
        // Reported, and the other export still measured; the test fails at the end.
        figure(`export ${kind}.xlsx`, `FAILED: ${error.message}`)
        failures.push(`${kind}: ${error.message}`)
        continue
      }
      figure(
        `export ${kind}.xlsx`,
        `headers ${ms(result.headers)}, first body byte ${ms(result.firstByte)}, complete ${ms(result.total)}, ${bytes(result.size)}`,
      )
      figure(`  server peak RSS during the ${kind} export`, `${mb(result.peak)} (RSS before: ${mb(result.rssBefore)}, after: ${mb(result.rssAfter)})`)
      const read = await readBack(file)
      figure(
        `  read back with ExcelJS (streaming reader)`,
        `${read.rows} data rows on ${read.sheets} sheet(s), ${ms(read.millis)}; header: ${read.header.slice(0, 6).join(' | ')}…`,
      )
      if (kind === 'households') {
        // The correctness check: one row per household, with the head's name and ID number.
        expect(read.rows).toBe(HOUSEHOLDS)
        expect(read.header).toContain('户主姓名')
        expect(read.header).toContain('户主身份证号')
      } else {
        expect(read.rows).toBeGreaterThan(0)
      }
    }
    figure('server RSS at the end', mb(memory(pid).rss))
    figure('files', `${exportsDir}/*.xlsx, ${join(BENCH_DIR, 'overview.png')} (the overview at 1366x768)`)
    if (failures.length) throw new Error(`export failed:\n${failures.join('\n')}`)
  } finally {
    const errors = serverLog
      .join('')
      .split('\n')
      .filter((line) => /error|warn|panic/i.test(line))
    if (errors.length) notes.push(`server stderr (${errors.length} error/warn lines), first: ${errors.slice(0, 5).join(' / ')}`)
    notes.push('machine: 2 cores; other work may be running, so the figures may be noisy')
    const table = printTable()
    writeFileSync(join(BENCH_DIR, 'figures.txt'), `${table}\n`)
  }
})
