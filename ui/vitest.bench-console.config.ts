import { defineConfig } from 'vitest/config'

// The county console benchmark (scripts/bench-console): prints figures; not part of the test run.
export default defineConfig({
  test: {
    include: ['tests/bench/**/*.bench-console.ts'],
    environment: 'node',
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
    // Map.groupBy for Node 20, as the other configs.
    globalSetup: ['tests/e2e/node-compat.ts'],
  },
})
