/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Unit tests of the county console (pure logic and a few mounted screens with a mocked fetch).
export default defineConfig({
  plugins: [vue()],
  test: { environment: 'happy-dom', include: ['tests/console-unit/**/*.test.ts'] },
})
