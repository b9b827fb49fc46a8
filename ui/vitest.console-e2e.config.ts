import { defineConfig } from 'vitest/config'

// The county console end to end: the real hudang-server (serving ui/dist-console) seeded by its command line and by
// real device syncs (the hudang command), driven through Debian's Chromium with playwright-core. Nothing is built
// here: run `cargo build --workspace --bins` and `npx vite build --config vite.console.config.ts` first.
export default defineConfig({
  test: {
    include: ['tests/console/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['verbose'],
    // Map.groupBy for Node 20, as the field app's end-to-end tests.
    globalSetup: ['tests/e2e/node-compat.ts'],
  },
})
