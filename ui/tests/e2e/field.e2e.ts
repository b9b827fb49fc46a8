// The field app end to end: two real app instances (each its own data directory) and a real county server.
// Worker 张三 registers a household with two members, completes 六看一问 with a photo, signs and syncs; worker 李四
// receives it on a second tablet; both change the household's phone offline and sync; the conflict appears in the
// first app with both values and authors, is resolved there, and both apps converge. Screens are saved to
// docs/screenshots/ on the way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import {
  type App,
  County,
  ROOT,
  byTestId,
  click,
  ensureDisplay,
  launchApp,
  place,
  sleep,
  screenshot,
  stopAll,
  tempDir,
  type,
  until,
} from './harness'

const PHOTO = join(ROOT, 'fixtures', 'photos', 'portrait-orientation6-gps.jpg')

// Valid resident ID numbers (the check digit is right) for the household head and spouse.
const HEAD_ID = withCheckDigit('53250319750312001')
const SPOUSE_ID = withCheckDigit('53250319780604002')

function withCheckDigit(base: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...base].reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return base + '10X98765432'[sum % 11]
}

let county: County
let first: App
let second: App
let householdId = ''

async function text(app: App, id: string): Promise<string> {
  return (await byTestId(app, id)).getText()
}

async function count(app: App, id: string): Promise<number> {
  return (await app.$$(`[data-testid="${id}"]`)).length
}

async function enrol(app: App, code: string): Promise<void> {
  await byTestId(app, 'enrol-code')
  await type(app, 'enrol-server', county.url)
  await type(app, 'enrol-code', code)
  await type(app, 'enrol-device-name', '平板')
  await click(app, 'enrol-submit')
  await byTestId(app, 'search-input', 20000)
}

/** Back to the household list from wherever the app is. */
async function toList(app: App): Promise<void> {
  for (let i = 0; i < 4; i++) {
    if (await (await app.$('[data-testid="search-input"]')).isExisting()) return
    await click(app, 'nav-back')
  }
  await byTestId(app, 'search-input')
}

async function syncNow(app: App): Promise<string> {
  await toList(app)
  await click(app, 'nav-sync')
  await click(app, 'sync-start')
  let report = ''
  await until('the sync account', async () => {
    report = await (await app.$('[data-testid="sync-report"]')).getText()
    return report.includes('流量')
  }, 60000)
  return report
}

async function openHousehold(app: App, id: string, tab: string): Promise<void> {
  await toList(app)
  const row = await app.$(`[data-testid="household-row"][data-id="${id}"]`)
  await row.waitForExist({ timeout: 10000 })
  await row.scrollIntoView({ block: 'center' })
  await row.click()
  await click(app, tab)
}

/** Sets a native <select> by its visible text (what a worker taps). */
async function choose(app: App, id: string, label: string): Promise<void> {
  const select = await byTestId(app, id)
  await select.selectByVisibleText(label)
}

/** Draws a signature: a few strokes of pointer moves over the canvas. */
async function drawOn(app: App, id: string): Promise<void> {
  const pad = await byTestId(app, id)
  await pad.scrollIntoView({ block: 'center' })
  await app.action('pointer', { parameters: { pointerType: 'mouse' } })
    .move({ origin: pad, x: -100, y: 0 })
    .down()
    .move({ origin: pad, x: -40, y: -25, duration: 50 })
    .move({ origin: pad, x: 10, y: 20, duration: 50 })
    .move({ origin: pad, x: 80, y: -10, duration: 50 })
    .up()
    .perform()
}

/** Gives a file input a file, as the file picker would. */
async function attach(app: App, id: string, path: string): Promise<void> {
  const input = await byTestId(app, id)
  await input.setValue(path)
}

async function phoneOf(app: App): Promise<string> {
  return (await byTestId(app, 'field-phone')).getValue()
}

async function setPhone(app: App, phone: string): Promise<void> {
  await type(app, 'field-phone', phone)
  await click(app, 'save-basic')
  await until('the phone saved', async () => (await phoneOf(app)) === phone)
}

beforeAll(async () => {
  await ensureDisplay()
  county = new County()
  const codeA = county.worker('张三')
  const codeB = county.worker('李四')
  await county.serve()
  first = await launchApp(tempDir('device-a'), ['--server', county.url])
  second = await launchApp(tempDir('device-b'), ['--server', county.url])
  await place(first, 0)
  await place(second, 1)
  ;(globalThis as any).codes = { codeA, codeB }
})

afterAll(async () => {
  for (const app of [first, second]) await app?.deleteSession().catch(() => undefined)
  stopAll()
})

describe('two workers, one household, one conflict', () => {
  it('enrols the first tablet with a one-time code', async () => {
    await byTestId(first, 'enrol-code', 20000)
    await screenshot(first, '01-welcome')
    const { codeA } = (globalThis as any).codes
    await enrol(first, codeA)
    expect(await text(first, 'list-count')).toContain('0')
  })

  it('registers a household with two members', async () => {
    await click(first, 'new-household')
    await type(first, 'new-head-name', '王德明')
    await type(first, 'new-head-id', HEAD_ID)
    await type(first, 'new-township', '芷村镇')
    await type(first, 'new-village', '芷村村')
    await type(first, 'new-group', '三组')
    await type(first, 'new-address', '芷村村三组12号')
    await type(first, 'new-phone', '13800001111')
    await screenshot(first, '02-new-household')
    await click(first, 'new-submit')
    expect(await text(first, 'file-title')).toContain('王德明')
    householdId = (await first.getUrl()).match(/households\/([0-9a-f-]{36})/)![1]

    await click(first, 'tab-basic')
    await click(first, 'add-member')
    await type(first, 'member-name', '李秀英')
    await type(first, 'member-id-number', SPOUSE_ID)
    await choose(first, 'member-relation', '配偶')
    await choose(first, 'member-sex', '女')
    await click(first, 'member-save')
    await until('two members listed', async () => (await count(first, 'member-row')) === 2)
    await screenshot(first, '03-household-members')
  })

  it('computes per-capita income as the worker types', async () => {
    await click(first, 'tab-income')
    await type(first, 'income-wage', '24000')
    await until('per-capita income shown', async () => (await text(first, 'income-per-capita')).includes('12000'))
    await click(first, 'save-income')
    await screenshot(first, '04-income')
  })

  it('completes 六看一问 with a photo', async () => {
    await click(first, 'tab-inspection')
    await click(first, 'start-inspection')
    await until('the seven items', async () => (await count(first, 'inspection-step')) === 7)
    await attach(first, 'photo-input', PHOTO)
    await until('the photo thumbnail', async () => (await count(first, 'photo-thumb')) >= 1, 30000)
    for (let item = 0; item < 7; item++) {
      await click(first, 'rating-好')
      await type(first, 'item-note', `第${item + 1}项已查看`)
      await click(first, 'item-save')
      await until(`item ${item + 1} saved`, async () =>
        (await text(first, 'inspection-done-count')).includes(`${item + 1}/7`),
      )
      if (item === 2) await screenshot(first, '05-inspection')
    }
  })

  it('corrects what the checks report, then takes both signatures', async () => {
    await click(first, 'tab-sign')
    await screenshot(first, '06-checks')
    // Signing is refused while the checks report errors: the buttons say so instead of signing.
    expect(await (await byTestId(first, 'sign-submit-surveyor')).isEnabled()).toBe(false)

    // The two errors a new household has here: no 帮扶责任人, and wage income with nobody's work recorded.
    await click(first, 'tab-basic')
    await click(first, 'add-helper')
    await type(first, 'helper-name', '刘建国')
    await type(first, 'helper-unit', '蒙自市农业农村局')
    await type(first, 'helper-phone', '13700000000')
    await click(first, 'helper-save')
    await until('the helper listed', async () => (await count(first, 'helper-row')) === 1)
    const head = (await first.$$('[data-testid="member-row"]'))[0]
    await head.scrollIntoView({ block: 'center' })
    await head.click()
    await choose(first, 'member-work-place', '县内')
    await type(first, 'member-work-months', '10')
    await click(first, 'member-save')
    await until('the member editor closed', async () => !(await (await first.$('[data-testid="member-save"]')).isDisplayed().catch(() => false)))

    await click(first, 'tab-sign')
    // Warnings need a note before signing; errors must be corrected.
    await until('no errors left', async () => (await first.$$('[data-testid="finding"][data-severity="错误"]')).length === 0)
    for (let i = 0; i < 10; i++) {
      if (await (await byTestId(first, 'sign-submit-surveyor')).isEnabled()) break
      const notes = await first.$$('[data-testid="warning-note"]')
      const saves = await first.$$('[data-testid="warning-note-save"]')
      if (notes.length === 0) break
      const k = Math.min(i, notes.length - 1)
      await notes[k].scrollIntoView({ block: 'center' })
      await notes[k].setValue('已入户核实，情况属实')
      await saves[k].click()
      await sleep(500)
    }
    await until('signing allowed', async () => (await byTestId(first, 'sign-submit-surveyor')).isEnabled())
    await drawOn(first, 'sign-pad-surveyor')
    await click(first, 'sign-submit-surveyor')
    await until('the surveyor signature', async () => (await count(first, 'signature')) === 1)
    await drawOn(first, 'sign-pad-head')
    await click(first, 'sign-submit-head')
    await until('both signatures', async () => (await count(first, 'signature')) === 2)
    await screenshot(first, '07-signed')
  })

  it('syncs the household to the county server', async () => {
    const report = await syncNow(first)
    expect(report).toContain('已上传 1 户')
    await screenshot(first, '08-sync')
  })

  it('a second tablet receives it and both change the phone offline', async () => {
    const { codeB } = (globalThis as any).codes
    await enrol(second, codeB)
    const report = await syncNow(second)
    expect(report).toContain('已下载 1 户')
    await openHousehold(second, householdId, 'tab-basic')
    expect(await text(second, 'file-title')).toContain('王德明')
    await setPhone(second, '13922222222')
    await syncNow(second)

    await openHousehold(first, householdId, 'tab-basic')
    await setPhone(first, '13911111111')
    const report1 = await syncNow(first)
    expect(report1).toContain('冲突')
  })

  it('the conflict shows both values with their authors, and choosing one converges both tablets', async () => {
    await toList(first)
    await click(first, 'nav-conflicts')
    const card = await first.$('[data-testid="conflict-card"][data-path="phone"]')
    await card.waitForExist({ timeout: 10000 })
    const shown = await card.getText()
    for (const expected of ['13911111111', '13922222222', '张三', '李四']) expect(shown).toContain(expected)
    await screenshot(first, '09-conflict')
    // Choose 李四's number: find the candidate whose value it is, and tap its button.
    const candidates = await first.$$('[data-testid="conflict-card"][data-path="phone"] .candidate')
    let picked = false
    for (let i = 0; i < candidates.length && !picked; i++) {
      if ((await candidates[i].getText()).includes('13922222222')) {
        await candidates[i].$('[data-testid="conflict-choose"]').click()
        picked = true
      }
    }
    expect(picked).toBe(true)
    await until('the conflict cleared', async () => (await count(first, 'conflict-card')) === 0)

    await syncNow(first)
    await syncNow(second)
    await openHousehold(first, householdId, 'tab-basic')
    await openHousehold(second, householdId, 'tab-basic')
    expect(await phoneOf(first)).toBe('13922222222')
    expect(await phoneOf(second)).toBe('13922222222')

    await click(second, 'tab-history')
    await until('history entries', async () => (await count(second, 'history-entry')) >= 3)
    const history = await (await byTestId(second, 'tab-history')).getText()
    expect(history).toBeTruthy()
    await screenshot(second, '10-history')
    await toList(second)
    await byTestId(second, 'household-row')
    await screenshot(second, '11-household-list')
  })
})
