// What the end-to-end tests run against: a real county server (the hudang-server binary on 127.0.0.1), the real app
// binary (hudang-app, with the UI embedded) driven through tauri-driver and WebKitWebDriver, each app instance with
// its own data directory. Xvfb provides the display when there is none.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { remote } from 'webdriverio'

export const ROOT = resolve(__dirname, '../../..')
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target')
export const APP = process.env.HUDANG_APP ?? join(TARGET, 'debug', 'hudang-app')
export const SERVER = process.env.HUDANG_SERVER_BIN ?? join(TARGET, 'debug', 'hudang-server')
export const CLI = process.env.HUDANG_CLI_BIN ?? join(TARGET, 'debug', 'hudang')
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots')

const children: ChildProcess[] = []

/** Stops every process the harness started (drivers, servers, Xvfb), newest first. */
export function stopAll(): void {
  for (const child of children.reverse()) {
    if (child.exitCode === null) child.kill('SIGTERM')
  }
  children.length = 0
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${command.split('/').pop()}] ${chunk}`)
  })
  return child
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hudang-e2e-${prefix}-`))
}

/** A private Xvfb display wide enough for two 1280x800 app windows side by side (E2E_USE_DISPLAY=1 keeps yours). */
export async function ensureDisplay(): Promise<void> {
  if (process.env.E2E_USE_DISPLAY && process.env.DISPLAY) return
  const display = `:${90 + Math.floor(Math.random() * 400)}`
  start('Xvfb', [display, '-screen', '0', '2600x820x24', '-nolisten', 'tcp'])
  process.env.DISPLAY = display
  await sleep(800)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms))
}

/** A county server with one village and workers to enrol, serving on 127.0.0.1 at a free port. */
export class County {
  readonly dir = tempDir('server')
  url = ''

  constructor() {
    this.admin('init', '--county', '蒙自市')
    this.admin('village', 'add', '--code', '532503100201', '--township', '芷村镇', '--name', '芷村村')
  }

  admin(...args: string[]): any {
    const out = execFileSync(SERVER, ['--data', this.dir, '--json', ...args], { encoding: 'utf8' })
    return JSON.parse(out)
  }

  /** A worker in 芷村村 and a one-time code for their device. */
  worker(name: string, role = 'worker'): string {
    const user = this.admin('user', 'add', '--name', name, '--role', role, '--villages', '532503100201')
    return this.admin('enrol-code', '--user', user.id).code
  }

  async serve(): Promise<void> {
    const child = start(SERVER, ['--data', this.dir, 'serve', '--listen', '127.0.0.1:0'])
    const lines = createInterface({ input: child.stdout! })
    this.url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('hudang-server did not start')), 15000)
      lines.on('line', (line) => {
        const match = /listening on (http:\/\/\S+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          done(match[1])
        }
      })
    })
  }
}

let nextPort = 4444 + Math.floor(Math.random() * 200) * 4

/** One app instance: its own tauri-driver (and WebKitWebDriver), data directory and window. */
export async function launchApp(dataDir: string, args: string[] = [], env: Record<string, string> = {}) {
  const port = nextPort
  nextPort += 4
  start('tauri-driver', ['--port', String(port), '--native-port', String(port + 1)], {
    ...process.env,
    WEBKIT_DISABLE_DMABUF_RENDERER: '1',
    ...env,
    ...(process.env.E2E_ENV ? JSON.parse(process.env.E2E_ENV) : {}),
  })
  await waitForPort(port)
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'error',
    connectionRetryCount: 2,
    connectionRetryTimeout: Number(process.env.E2E_REQUEST_TIMEOUT ?? 120000),
    capabilities: {
      // tauri-driver forwards only the application and its arguments.
      'tauri:options': { application: APP, args: ['--data-dir', dataDir, ...args] },
    } as any,
  })
  return browser
}

export type App = Awaited<ReturnType<typeof launchApp>>

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import('node:net')
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.end()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (open) return
    await sleep(100)
  }
  throw new Error(`tauri-driver did not listen on ${port}`)
}

/** Places a window on the shared display, so each instance's screenshots show only itself. */
export async function place(app: App, slot: number): Promise<void> {
  await app.setWindowRect(slot * 1300, 0, 1280, 800)
}

/**
 * Saves the window as docs/screenshots/<name>.png (committed, so the README shows the screens as they are).
 * WebKitWebDriver's own screenshot command never answers under Xvfb here, so the window's area of the X screen is
 * grabbed with ImageMagick's `import` instead.
 */
export async function screenshot(app: App, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  // A screen is shown as it is, not half-covered by the toast that confirmed the last action.
  for (let i = 0; i < 30; i++) {
    const toasts = await app.$$('.van-toast')
    let visible = false
    for (const toast of toasts) visible ||= await toast.isDisplayed().catch(() => false)
    if (!visible) break
    await sleep(100)
  }
  await sleep(400) // let the last transition finish painting
  const { x, y, width, height } = await app.getWindowRect()
  execFileSync('import', ['-window', 'root', '-crop', `${width}x${height}+${x}+${y}`, '+repage', join(SCREENSHOTS, `${name}.png`)])
}

/** The element with a data-testid, waiting for it to appear. */
export async function byTestId(app: App, id: string, timeout = 10000) {
  const element = await app.$(`[data-testid="${id}"]`)
  await element.waitForExist({ timeout })
  return element
}

export async function click(app: App, id: string): Promise<void> {
  const element = await byTestId(app, id)
  await element.scrollIntoView({ block: 'center' })
  await element.waitForClickable({ timeout: 10000 })
  await element.click()
}

export async function type(app: App, id: string, text: string): Promise<void> {
  const element = await byTestId(app, id)
  await element.scrollIntoView({ block: 'center' })
  await element.clearValue()
  await element.setValue(text)
}

/** Waits until `check` holds, polling; fails with `what` so a red test says what never happened. */
export async function until(what: string, check: () => Promise<boolean>, timeout = 20000): Promise<void> {
  const end = Date.now() + timeout
  while (Date.now() < end) {
    if (await check().catch(() => false)) return
    await sleep(150)
  }
  throw new Error(`timed out waiting for: ${what}`)
}
