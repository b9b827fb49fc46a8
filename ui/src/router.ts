// Routes and the device state every screen shares. Hash history, because the app is served from a custom
// protocol where the server cannot answer deep paths with index.html.
import { reactive } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
import { api, type AppError, type AppState } from './api'
import Welcome from './views/Welcome.vue'

/** What the device said at start (or after enrolling / opening the demo); read by the welcome screen and headers. */
export const session = reactive<{ state: AppState | null; error: AppError | null; loaded: boolean }>({
  state: null,
  error: null,
  loaded: false,
})

/** Asks the device for its state again; a failure is kept in `session.error` for the welcome screen to show. */
export async function loadState(): Promise<void> {
  try {
    session.state = await api.appState()
    session.error = null
  } catch (error) {
    session.state = null
    session.error = error as AppError
  }
  session.loaded = true
}

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'welcome', component: Welcome },
    { path: '/households', name: 'households', component: () => import('./views/HouseholdList.vue') },
    { path: '/households/new', name: 'new-household', component: () => import('./views/NewHousehold.vue') },
    { path: '/households/:id', name: 'household', component: () => import('./views/HouseholdFile.vue'), props: true },
    { path: '/conflicts', name: 'conflicts', component: () => import('./views/ConflictQueue.vue') },
    { path: '/sync', name: 'sync', component: () => import('./views/SyncPage.vue') },
    { path: '/:rest(.*)*', redirect: '/households' },
  ],
  // A file opened from the list starts at its top; going back returns to where the list was; switching tabs inside
  // a file (which only changes the query) leaves the scroll alone.
  scrollBehavior: (to, from, saved) => saved ?? (to.path === from.path ? false : { top: 0 }),
})

// Until the device has a store (first run) every route leads to the welcome screen; once it has one, the welcome
// screen is skipped.
router.beforeEach(async (to) => {
  if (!session.loaded) await loadState()
  const ready = session.state?.initialised === true
  if (to.name === 'welcome') return ready ? { name: 'households' } : true
  return ready ? true : { name: 'welcome' }
})
