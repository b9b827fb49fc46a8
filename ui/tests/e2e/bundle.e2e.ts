// Work carried on a USB stick: a tablet opened on the demo village (the first-run path without a server) imports a
// bundle file made by another device with the hudang command, then exports everything it holds to a file, which the
// hudang command reads back. No server is involved.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type App, CLI, byTestId, click, ensureDisplay, launchApp, place, stopAll, tempDir, type, until } from './harness'

let app: App
let work: string

function hudang(dir: string, ...args: string[]): any {
  return JSON.parse(execFileSync(CLI, ['--data-dir', dir, '--json', ...args], { encoding: 'utf8' }))
}

beforeAll(async () => {
  await ensureDisplay()
  work = tempDir('bundle')
  // Another worker's device: three households, exported to a bundle file as they would be for a USB stick.
  const other = join(work, 'other-device')
  hudang(other, 'init', '--user', '李四')
  hudang(other, 'demo', '--seed', '3', '--households', '3', '--no-photos')
  hudang(other, 'bundle', 'export', join(work, '李四.hudang'))
  app = await launchApp(join(work, 'tablet'), ['--export-dir', join(work, 'stick')])
  await place(app, 0)
})

afterAll(async () => {
  await app?.deleteSession().catch(() => undefined)
  stopAll()
})

it('opens the demo village, imports a bundle, and exports one the hudang command can read', async () => {
  await type(app, 'demo-user', '王五')
  await click(app, 'open-demo')
  await until('the demo village listed', async () => (await (await byTestId(app, 'list-count', 60000)).getText()).includes('120'), 60000)

  await click(app, 'nav-sync')
  const input = await byTestId(app, 'import-input')
  await input.setValue(join(work, '李四.hudang'))
  await until('the import account', async () => (await (await byTestId(app, 'import-result')).getText()).includes('新户 3 户'))

  // A damaged file is refused whole, with the reason, and changes nothing.
  execFileSync('sh', ['-c', `head -c 2000 '${join(work, '李四.hudang')}' > '${join(work, 'broken.hudang')}'`])
  await (await byTestId(app, 'import-input')).setValue(join(work, 'broken.hudang'))
  await until('the refusal', async () => (await (await byTestId(app, 'import-result')).getText()).length > 0 &&
    !(await (await byTestId(app, 'import-result')).getText()).includes('新户 3 户'))

  const target = join(work, 'stick', '王五.hudang')
  await type(app, 'export-path', target)
  await click(app, 'export-submit')
  await until('the export account', async () => (await (await byTestId(app, 'export-result')).getText()).includes('123'))
  const inspected = hudang(join(work, 'reader'), 'bundle', 'inspect', target)
  expect(inspected.households).toBe(123)

  await click(app, 'nav-back')
  expect(await (await byTestId(app, 'list-count')).getText()).toContain('123')
})
