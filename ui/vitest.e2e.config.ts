import { defineConfig } from 'vitest/config'

// End-to-end tests drive the real app binary through tauri-driver; one file at a time, generous timeouts.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
    globalSetup: ['tests/e2e/node-compat.ts'],
  },
})
