import { defineConfig } from 'vitest/config'

// The app benchmark (scripts/bench-app): prints figures; not part of the test run.
export default defineConfig({
  test: {
    include: ['tests/bench/**/*.bench-app.ts'],
    environment: 'node',
    testTimeout: 900_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
    globalSetup: ['tests/e2e/node-compat.ts'],
  },
})
