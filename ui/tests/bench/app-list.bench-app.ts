// Benchmark (prints figures, asserts nothing about time): the field app with 10,000 households on the device.
//  1. cold start to an interactive list: from asking tauri-driver to start the app binary to the first rows shown and
//     the search box accepting input; also the page's own figure (navigation start to rows shown);
//  2. a keystroke in search to the updated list: real key events through WebDriver, timed inside the page from the
//     keydown to the frame after the list changed.
// Run: scripts/bench-app (builds the release app and a 10,000-household device with the hudang command).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, it } from 'vitest'
import { ROOT, byTestId, ensureDisplay, launchApp, stopAll, until } from '../e2e/harness'

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 10000)
const DEVICE = process.env.BENCH_DEVICE ?? join(ROOT, 'target', `bench-device-${HOUSEHOLDS}`)
const CLI = join(ROOT, 'target', 'release', 'hudang')

afterAll(() => stopAll())

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

it(`cold start and search with ${HOUSEHOLDS} households`, async () => {
  if (!existsSync(join(DEVICE, 'hudang.sqlite3'))) {
    execFileSync(CLI, ['--data-dir', DEVICE, 'init', '--user', '基准'], { stdio: 'inherit' })
    execFileSync(CLI, ['--data-dir', DEVICE, 'demo', '--seed', '7', '--households', String(HOUSEHOLDS), '--no-photos'], {
      stdio: 'inherit',
    })
  }
  await ensureDisplay()
  const starts: number[] = []
  const pageStarts: number[] = []
  let app = null as Awaited<ReturnType<typeof launchApp>> | null
  for (let run = 0; run < 3; run++) {
    const begin = performance.now()
    app = await launchApp(DEVICE)
    await until('rows shown', async () => (await app!.$$('[data-testid="household-row"]')).length > 0, 30000)
    const search = await byTestId(app, 'search-input')
    await search.waitForEnabled()
    starts.push(performance.now() - begin)
    pageStarts.push(await app.execute(() => performance.now()))
    if (run < 2) await app.deleteSession()
  }
  console.log(`cold start to interactive list: median ${median(starts).toFixed(0)} ms of ${starts.map((s) => s.toFixed(0)).join(', ')} ms (driver start included)`)
  console.log(`  in-page, navigation start to list ready: median ${median(pageStarts).toFixed(0)} ms`)

  // Keystroke to updated list, timed in the page: keydown -> the list's DOM changed -> the next frame.
  const search = await byTestId(app!, 'search-input')
  const timings: number[] = []
  const queries = ['z', 'zh', 'zha', 'l', 'li', 'w', 'wa', '1', '13', '芷', '王', 'c']
  for (const query of queries) {
    await search.clearValue()
    if (query.length > 1) await search.addValue(query.slice(0, -1))
    await new Promise((done) => setTimeout(done, 300))
    await app!.execute(() => {
      const w = window as any
      w.__bench = { start: 0, end: 0 }
      const input = document.querySelector('[data-testid="search-input"]') as HTMLElement
      input.addEventListener('keydown', () => (w.__bench.start = performance.now()), { once: true, capture: true })
      const observer = new MutationObserver(() => {
        observer.disconnect()
        requestAnimationFrame(() => (w.__bench.end = performance.now()))
      })
      observer.observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    await search.addValue(query.slice(-1))
    await until('list updated', async () => (await app!.execute(() => (window as any).__bench.end)) > 0, 5000)
    const { start, end } = await app!.execute(() => (window as any).__bench)
    timings.push(end - start)
  }
  const shown = await (await byTestId(app!, 'list-count')).getText()
  console.log(`keystroke to updated list: median ${median(timings).toFixed(1)} ms, max ${Math.max(...timings).toFixed(1)} ms over ${timings.length} queries (${shown})`)
  await app!.deleteSession()
})
