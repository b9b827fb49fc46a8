// Entry point: the Vue app with its router and Vant in Chinese. Vant's full stylesheet is bundled (no CDN): the app
// runs offline from the Tauri binary's custom protocol.
import { createApp } from 'vue'
import { Locale } from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import 'vant/lib/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'

Locale.use('zh-CN', zhCN)

createApp(App).use(router).mount('#app')
