// The county console end to end, in one browser against one real, seeded county server:
// a worker is refused at the login; county staff see the overview, settle the field conflict 张三 and 李四 made on
// their tablets (and the tablets converge on the choice), merge 孙大's family registered in two villages, export the
// households and members as xlsx, open a household file and its print view; a team leader sees only village 1.
// Screens are saved to docs/screenshots/console-*.png on the way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { type Browser, type BrowserContext, type Locator, type Page, request } from 'playwright-core'
import {
  LEADER,
  Device,
  STAFF,
  type Seed,
  VILLAGE_1,
  VILLAGE_2,
  inputOf,
  launchBrowser,
  login,
  newSession,
  requireBuilt,
  screenshot,
  seedCounty,
  submitLogin,
  tempDir,
  until,
} from './harness'

let seed: Seed
let browser: Browser
let staff: { context: BrowserContext; page: Page }
let leader: { context: BrowserContext; page: Page } | null = null
const downloads = tempDir('console-downloads')

// Set by the merge (scenario 4): which of 孙大's two households was kept.
let kept = ''
let merged = ''

const byId = (page: Page | Locator, id: string) => page.locator(`[data-testid="${id}"]`)

function numbers(text: string): number[] {
  // Counts are shown with thousands separators (100,000).
  return (text.replace(/(\d),(?=\d{3})/g, '$1').match(/\d+/g) ?? []).map(Number)
}

/** Answers Element Plus' confirmation box, if the action asked for one. */
async function confirmIfAsked(page: Page): Promise<void> {
  const box = page.locator('.el-message-box')
  if (await box.isVisible().catch(() => false)) await box.locator('.el-button--primary').click()
}

async function api(page: Page, path: string): Promise<any> {
  const response = await page.request.get(path)
  expect(response.status(), `${path}: ${await response.text()}`).toBe(200)
  return response.json()
}

/** Clicks an export link and reads the downloaded workbook's first sheet: its header row and data rows. */
async function exportSheet(
  page: Page,
  id: string,
): Promise<{ sheet: string; headers: string[]; rows: Record<string, string>[]; file: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), byId(page, id).click()])
  const failure = await download.failure()
  expect(failure, `download of ${id}`).toBeNull()
  const file = join(downloads, `${id}-${Date.now()}-${download.suggestedFilename()}`)
  await download.saveAs(file)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.readFile(file)
  const sheet = workbook.worksheets[0]
  expect(sheet, `${file} has a worksheet`).toBeTruthy()
  const cells = (row: ExcelJS.Row): string[] => {
    const values: string[] = []
    row.eachCell({ includeEmpty: true }, (cell, column) => {
      values[column - 1] = cell.text.trim()
    })
    return Array.from(values, (v) => v ?? '')
  }
  // The header row is the first; the server writes no title row.
  const headerAt = 1
  const headers = cells(sheet.getRow(headerAt))
  const rows: Record<string, string>[] = []
  for (let r = headerAt + 1; r <= sheet.rowCount; r++) {
    const values = cells(sheet.getRow(r))
    if (values.every((v) => v === '')) continue
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i] ?? ''])))
  }
  return { sheet: sheet.name, headers, rows, file }
}

/** The values of one column, by its header. */
function column(sheet: { headers: string[]; rows: Record<string, string>[] }, header: string): string[] {
  expect(sheet.headers, `a column ${header}`).toContain(header)
  return sheet.rows.map((row) => row[header])
}

async function openHouseholdFromList(page: Page, search: string, id: string): Promise<void> {
  await byId(page, 'nav-households').click()
  const input = await inputOf(byId(page, 'households-search'))
  await input.fill(search)
  await input.press('Enter')
  const row = page.locator(`[data-testid="household-row"][data-id="${id}"]`)
  await row.waitFor()
  await row.click()
  await byId(page, 'household-file').waitFor()
}

describe('the county console', () => {
  beforeAll(async () => {
    requireBuilt()
    seed = await seedCounty()
    browser = await launchBrowser()
    staff = await newSession(browser, seed.county.url)
  })

  afterAll(async () => {
    await browser?.close()
    await seed?.county.dispose()
    for (const device of Object.values(seed?.devices ?? {})) device.dispose()
    if (!process.env.E2E_KEEP) rmSync(downloads, { recursive: true, force: true })
  })

  it('1. refuses a worker at the login with the server’s reason, in Chinese', async () => {
    const { page } = staff
    const response = await submitLogin(page, '张三', seed.passwords['张三'])
    expect(response.status()).toBe(403)
    const body = await response.json()
    expect(body.error.code).toBe('console.forbidden_role')
    expect(body.error.message).toMatch(/[\u4e00-\u9fff]/)

    const error = byId(page, 'login-error')
    await error.waitFor()
    expect(await error.innerText()).toContain(body.error.message)
    // Still on the login page: the form is there, the layout is not, and there is no session.
    await expect(byId(page, 'login-submit').isVisible()).resolves.toBe(true)
    expect(await byId(page, 'nav-overview').count()).toBe(0)
    expect((await page.request.get('/api/console/me')).status()).toBe(401)
    await screenshot(page, 'console-login')
  })

  it('2. county staff log in and see both villages and the county’s households', async () => {
    const { page } = staff
    await login(page, STAFF, seed.passwords[STAFF])
    expect(await byId(page, 'me-name').innerText()).toContain(STAFF)
    expect(await byId(page, 'nav-accounts').count()).toBe(1) // county staff manage accounts (a team leader does not)

    const rows = byId(page, 'overview-village-row')
    await until('two village rows in the overview', async () => (await rows.count()) === 2)
    const keys = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-key')))
    expect(keys.sort()).toEqual([VILLAGE_1.key, VILLAGE_2.key].sort())

    // 赵大 and 孙大 in village 1, 孙大 again and 周大 in village 2.
    const overview = await api(page, '/api/console/overview')
    expect(overview.totals.households).toBe(4)
    const total = byId(page, 'overview-total-households')
    await until('the total households in the overview', async () => numbers(await total.innerText()).includes(4))
    expect(await rows.filter({ hasText: VILLAGE_1.name }).count()).toBe(1)

    await byId(page, 'chart-status').waitFor()
    await byId(page, 'chart-visits').waitFor()
    await screenshot(page, 'console-overview')
  })

  it('3. settles the conflict 张三 and 李四 made, and both tablets converge on the choice', async () => {
    const { page } = staff
    const { zhang, li } = seed.devices
    await byId(page, 'nav-conflicts').click()
    const row = page.locator(
      `[data-testid="conflict-row"][data-household="${seed.conflictHousehold}"][data-path="phone"]`,
    )
    await row.waitFor()
    const options = byId(row, 'candidate-option')
    expect(await options.count()).toBe(2)
    const zhangOption = options.filter({ hasText: seed.phones.zhang })
    const liOption = options.filter({ hasText: seed.phones.li })
    expect(await zhangOption.innerText()).toContain('张三')
    expect(await liOption.innerText()).toContain('李四')
    await screenshot(page, 'console-conflicts')

    await liOption.click()
    const resolved = page.waitForResponse(
      (r) => r.url().includes('/api/console/conflicts/resolve') && r.request().method() === 'POST',
    )
    await byId(row, 'conflict-resolve').click()
    await confirmIfAsked(page)
    const response = await resolved
    expect(response.request().postDataJSON()).toEqual({
      items: [{ household: seed.conflictHousehold, path: 'phone', value: seed.phones.li }],
    })
    expect(response.status()).toBe(200)
    expect((await response.json())[0]).toMatchObject({ household: seed.conflictHousehold, path: 'phone', ok: true })

    await until('the settled conflict leaves the list', async () => (await row.count()) === 0)
    await byId(page, 'conflicts-empty').waitFor() // it was the only one
    const open = await api(page, '/api/console/conflicts')
    expect(open.filter((c: any) => c.household === seed.conflictHousehold)).toEqual([])
    expect(seed.county.conflicts().filter((c: any) => c.household === seed.conflictHousehold)).toEqual([])

    // Both tablets pull the choice.
    for (const device of [zhang, li, zhang]) device.sync()
    for (const device of [zhang, li]) {
      expect(device.show(seed.conflictHousehold).phone, `${device.user}'s tablet`).toBe(seed.phones.li)
      expect(
        device.conflicts().filter((c: any) => c.household === seed.conflictHousehold),
        `${device.user}'s tablet`,
      ).toEqual([])
    }
  })

  it('4. merges 孙大’s family registered in both villages', async () => {
    const { page } = staff
    await byId(page, 'nav-duplicates').click()
    const group = page.locator(`[data-testid="duplicate-group"][data-id-number="${seed.duplicateId}"]`)
    await group.waitFor()
    expect(await byId(page, 'duplicate-group').count()).toBe(1)
    await byId(group, 'duplicate-compare').click()

    const sideA = byId(page, 'duplicate-side-a')
    const sideB = byId(page, 'duplicate-side-b')
    await until('both sides of the comparison show 孙大’s family', async () =>
      (await sideA.innerText()).includes('孙大') && (await sideB.innerText()).includes('孙大'),
    )
    const [textA, textB] = [await sideA.innerText(), await sideB.innerText()]
    // Each side shows its household's own members: 孙妻 (village 1) on one, 孙小 (village 2) on the other.
    const aIsVillage1 = textA.includes('孙妻')
    expect(aIsVillage1 ? textB : textA).toContain('孙小')
    expect(aIsVillage1 ? textA : textB).not.toContain('孙小')
    kept = aIsVillage1 ? seed.duplicateVillage1 : seed.duplicateVillage2
    merged = aIsVillage1 ? seed.duplicateVillage2 : seed.duplicateVillage1
    await screenshot(page, 'console-duplicates')

    await byId(page, 'merge-keep-a').click()
    const merging = page.waitForResponse(
      (r) => r.url().includes('/api/console/duplicates/merge') && r.request().method() === 'POST',
    )
    await byId(page, 'merge-confirm').click()
    await confirmIfAsked(page)
    const response = await merging
    expect(response.request().postDataJSON()).toEqual({ keep: kept, merge: merged })
    expect(response.status(), await response.text()).toBe(200)
    const outcome = await response.json()
    expect(outcome).toMatchObject({ kept, merged, members_added: 1 })
    const result = byId(page, 'merge-result')
    await result.waitFor()
    expect(await result.innerText()).toContain('1')

    // The group is gone from the list (after closing the result, if it is a dialog).
    const gone = async () => (await group.count()) === 0
    await until('the merged group leaves the list', gone, 5000).catch(async () => {
      await page.keyboard.press('Escape')
      await until('the merged group leaves the list (after closing the result)', gone, 5000)
    })
    expect(await api(page, '/api/console/duplicates')).toEqual([])

    // The kept household's file has all three members; the merged one's says where it went.
    await openHouseholdFromList(page, '孙大', kept)
    const file = byId(page, 'household-file')
    await until('the kept file lists 孙大, 孙妻 and 孙小', async () => {
      const text = await file.innerText()
      return ['孙大', '孙妻', '孙小'].every((name) => text.includes(name))
    })
    expect(await byId(page, 'household-merged-banner').count()).toBe(0)
    const keptUrl = page.url()
    expect(keptUrl).toContain(kept)
    await page.goto(keptUrl.replace(kept, merged))
    await byId(page, 'household-merged-banner').waitFor()

    // Every tablet syncs without an error afterwards; the kept family's tablet has the merged member.
    const { zhang, li, wang } = seed.devices
    for (const device of [wang, zhang, li]) device.sync()
    const keeper = kept === seed.duplicateVillage1 ? zhang : wang
    expect(keeper.memberNames(kept)).toEqual(['孙大', '孙妻', '孙小'].sort())
  })

  it('5. exports the households and members as xlsx with Chinese headers', async () => {
    const { page } = staff
    await byId(page, 'nav-exports').click()
    const overview = await api(page, '/api/console/overview')
    // 赵大, 孙大 (kept) and 周大: the merged household is not counted.
    expect(overview.totals.households).toBe(3)

    // The headers crates/server/src/export.rs writes.
    const households = await exportSheet(page, 'export-households')
    expect(households.sheet).toBe('农户')
    expect(households.headers).toEqual(expect.arrayContaining(['乡镇', '行政村', '户主姓名', '户主身份证号', '家庭人口', '户编号']))
    expect(households.rows).toHaveLength(overview.totals.households)
    expect(column(households, '户编号').sort()).toEqual([seed.conflictHousehold, kept, seed.village2Household].sort())
    expect(column(households, '户主身份证号').sort()).toEqual(
      [seed.idNumbers.赵大, seed.idNumbers.孙大, seed.idNumbers.周大].sort(),
    )
    const sun = households.rows.find((row) => row['户编号'] === kept)!
    expect(sun['户主姓名']).toBe('孙大')
    expect(sun['家庭人口']).toBe('3')

    const members = await exportSheet(page, 'export-members')
    expect(members.sheet).toBe('家庭成员')
    expect(members.headers).toEqual(expect.arrayContaining(['户主姓名', '姓名', '与户主关系', '证件号码']))
    // 赵大 and 钱二; 孙大, 孙妻 and 孙小 (merged into one family); 周大.
    expect(column(members, '证件号码').sort()).toEqual(Object.values(seed.idNumbers).sort())
    expect(members.rows.filter((row) => row['户主姓名'] === '孙大').map((row) => row['姓名']).sort()).toEqual(
      ['孙大', '孙妻', '孙小'].sort(),
    )
  })

  it('6. opens a household file read-only, with a print view without the menu', async () => {
    const { page } = staff
    await openHouseholdFromList(page, '赵大', seed.conflictHousehold)
    const file = byId(page, 'household-file')
    await until('the file shows 赵大, 钱二 and the chosen phone', async () => {
      const text = await file.innerText()
      return text.includes('赵大') && text.includes('钱二') && text.includes(seed.phones.li)
    })
    // Read-only: nothing in the file can be typed into.
    expect(await file.locator('input:not([type="hidden"]), textarea, select, [contenteditable="true"]').count()).toBe(0)
    await byId(page, 'household-print').waitFor()
    await screenshot(page, 'console-household')

    await page.emulateMedia({ media: 'print' })
    try {
      expect(await byId(page, 'nav-overview').isVisible()).toBe(false)
      expect(await byId(page, 'nav-households').isVisible()).toBe(false)
      expect(await file.isVisible()).toBe(true)
      await screenshot(page, 'console-print')
    } finally {
      await page.emulateMedia({ media: 'screen' })
    }
    expect(await byId(page, 'nav-overview').isVisible()).toBe(true)

    // What the browser's "save as PDF" makes of it: an A4 document (Chromium prints with the print stylesheet).
    const pdf = await page.pdf({ format: 'A4', printBackground: true })
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []
    expect(pages.length).toBeGreaterThanOrEqual(1)
    expect(pages.length).toBeLessThanOrEqual(4)
  })

  it('7. a team leader sees only their village; no cookie, no answer', async () => {
    leader = await newSession(browser, seed.county.url)
    const { page } = leader
    await login(page, LEADER, seed.passwords[LEADER])

    const rows = byId(page, 'overview-village-row')
    await rows.first().waitFor()
    await page.waitForLoadState('networkidle')
    const keys = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-key')))
    expect(keys).toEqual([VILLAGE_1.key])
    // 赵大's, and 孙大's if the merge kept village 1's household.
    const village1Heads = [seed.idNumbers.赵大, ...(kept === seed.duplicateVillage1 ? [seed.idNumbers.孙大] : [])]
    const total = byId(page, 'overview-total-households')
    await until('village 1’s households in the overview', async () =>
      numbers(await total.innerText()).includes(village1Heads.length),
    )
    expect((await api(page, '/api/console/overview')).totals.households).toBe(village1Heads.length)

    // A household of village 2 does not exist for them; one of village 1 does.
    const outside = await page.request.get(`/api/console/households/${seed.village2Household}`)
    expect(outside.status(), await outside.text()).toBe(404)
    const inside = await page.request.get(`/api/console/households/${seed.conflictHousehold}`)
    expect(inside.status(), await inside.text()).toBe(200)

    await byId(page, 'nav-exports').click()
    const households = await exportSheet(page, 'export-households')
    expect(column(households, '户主身份证号').sort()).toEqual(village1Heads.sort())
    expect(new Set(column(households, '行政村'))).toEqual(new Set([VILLAGE_1.name]))

    // No accounts page in the menu (the layout is there: the exports link was just used).
    await byId(page, 'nav-overview').waitFor()
    expect(await byId(page, 'nav-accounts').count()).toBe(0)

    // Without the cookie the API answers 401; the staff's own session still answers.
    const anonymous = await request.newContext({ baseURL: seed.county.url })
    try {
      const response = await anonymous.get('/api/console/overview')
      expect(response.status()).toBe(401)
      expect((await response.json()).error.code).toBe('console.no_session')
    } finally {
      await anonymous.dispose()
    }
    expect((await staff.page.request.get('/api/console/overview')).status()).toBe(200)

    // The leader changes their own password: a mistyped repeat is caught in the page, the old password no longer
    // logs in, the new one does.
    const newPassword = `${seed.passwords[LEADER]}-新`
    await byId(page, 'change-password').click()
    const dialog = page.locator('.el-dialog').filter({ hasText: '修改密码' })
    const fields = dialog.locator('input[type=password]')
    await fields.nth(0).fill(seed.passwords[LEADER])
    await fields.nth(1).fill(newPassword)
    await fields.nth(2).fill(`${newPassword}x`)
    await byId(page, 'password-save').click()
    await page.locator('.el-message').filter({ hasText: '两次输入的新密码不一致' }).waitFor()
    await fields.nth(2).fill(newPassword)
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/console/password'))
    await byId(page, 'password-save').click()
    expect((await saved).status()).toBe(200)
    await page.locator('.el-message').filter({ hasText: '密码已修改' }).waitFor()

    // Logging out ends the leader's session.
    await byId(page, 'logout').click()
    await byId(page, 'login-name').waitFor()
    expect((await page.request.get('/api/console/me')).status()).toBe(401)
    const oldLogin = await page.request.post('/api/console/login', {
      data: { name: LEADER, password: seed.passwords[LEADER] },
    })
    expect(oldLogin.status()).toBe(401)
    await login(page, LEADER, newPassword)
    await byId(page, 'me-name').waitFor()
  })

  it('8. county staff add a worker and a one-time code; a new tablet enrols with it, and is revoked', async () => {
    const { page } = staff
    await byId(page, 'nav-accounts').click()
    await byId(page, 'tab-users').click()
    await byId(page, 'user-add').click()
    await (await inputOf(byId(page, 'user-name'))).fill('马六')
    await byId(page, 'user-villages').click()
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: VILLAGE_1.key }).click()
    await page.keyboard.press('Escape')
    await (await inputOf(byId(page, 'user-password'))).fill('')
    const added = page.waitForResponse((r) => r.url().endsWith('/api/console/users') && r.request().method() === 'POST')
    await byId(page, 'user-save').click()
    const response = await added
    expect(response.status(), await response.text()).toBe(200)
    const user = await response.json()
    expect(user).toMatchObject({ name: '马六', role: 'worker', villages: [VILLAGE_1.code], has_password: false })
    const row = page.locator('[data-testid="user-row"][data-name="马六"]')
    await row.waitFor()
    expect(await row.innerText()).toContain(VILLAGE_1.key)

    // A one-time code for 马六, shown once.
    await byId(page, 'tab-codes').click()
    await byId(page, 'code-create').click()
    await byId(page, 'code-user').click()
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '马六' }).click()
    const made = page.waitForResponse((r) => r.url().endsWith('/api/console/enrol-codes') && r.request().method() === 'POST')
    await byId(page, 'code-submit').click()
    expect((await made).status()).toBe(200)
    const code = (await byId(page, 'code-value').innerText()).trim()
    expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/)

    // A new tablet enrols with it and receives village 1, 赵大 with the phone settled in scenario 3 among it.
    const tablet = new Device(seed.county, '马六', user.id)
    try {
      const enrolled = tablet.cli('enrol', '--server', seed.county.url, '--code', code, '--device-name', '马六的平板')
      expect(enrolled).toMatchObject({ enrolled: true, user: '马六', villages: [VILLAGE_1.key] })
      tablet.sync()
      expect(tablet.show(seed.conflictHousehold).phone).toBe(seed.phones.li)
      // The code is used up: a second tablet is refused, and the console no longer offers to revoke it.
      const second = new Device(seed.county, '马六', `${user.id}-second`)
      try {
        expect(() => second.cli('enrol', '--server', seed.county.url, '--code', code)).toThrow()
      } finally {
        second.dispose()
      }

      // Revoking the tablet in the console stops its next sync.
      await page.reload()
      await byId(page, 'tab-devices').click()
      const deviceRow = byId(page, 'device-row').filter({ hasText: '马六的平板' })
      await deviceRow.waitFor()
      const revoked = page.waitForResponse((r) => r.url().includes('/revoke') && r.request().method() === 'POST')
      await byId(deviceRow, 'device-revoke').click()
      await confirmIfAsked(page)
      expect((await revoked).status()).toBe(200)
      expect(() => tablet.sync()).toThrow()
    } finally {
      tablet.dispose()
    }
  })
})
