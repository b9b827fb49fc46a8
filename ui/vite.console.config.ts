/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The county console: a browser app served by hudang-server at `/` (index.html and /assets/* only, no history
// fallback, hence hash routing in the app). Built apart from the field app so neither bundle carries the other's UI kit.
export default defineConfig({
  plugins: [vue()],
  root: 'console',
  base: '/',
  clearScreen: false,
  server: {
    port: 1430,
    strictPort: true,
    // `HUDANG_CONSOLE_SERVER=http://127.0.0.1:8080 npx vite --config vite.console.config.ts` for development.
    proxy: process.env.HUDANG_CONSOLE_SERVER ? { '/api': process.env.HUDANG_CONSOLE_SERVER } : undefined,
  },
  build: {
    target: 'es2021',
    outDir: '../dist-console',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Element Plus and ECharts change less often than the screens; separate files stay cached across releases.
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          return undefined
        },
      },
    },
  },
})
