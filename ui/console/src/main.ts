// The county console (县级管理): Element Plus components are imported where used (tree-shaken); the stylesheet is
// loaded whole once, because each component's CSS depends on the shared variables anyway.
import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { createConsoleRouter } from './router'

createApp(App).use(createConsoleRouter()).mount('#app')
