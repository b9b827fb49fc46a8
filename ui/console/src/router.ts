// Hash routes: the server serves only index.html at `/` and /assets/*, so a path such as /households/1 would 404 on
// reload. Each route says whether it needs a session and which permission of Me it needs.
import { createRouter, createWebHashHistory, type RouteLocationRaw, type Router, type RouterHistory } from 'vue-router'
import { onUnauthorized } from './api'
import { loadSession, signedOut } from './session'
import ConsoleLayout from './views/ConsoleLayout.vue'
import LoginView from './views/LoginView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session. */
    public?: boolean
    /** Needs Me.can_manage. */
    manage?: boolean
  }
}

export function createConsoleRouter(history: RouterHistory = createWebHashHistory()): Router {
  const router = createRouter({
    history,
    routes: [
      { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
      {
        path: '/',
        component: ConsoleLayout,
        children: [
          { path: '', redirect: { name: 'overview' } },
          { path: 'overview', name: 'overview', component: () => import('./views/OverviewView.vue') },
          { path: 'conflicts', name: 'conflicts', component: () => import('./views/ConflictsView.vue') },
          { path: 'duplicates', name: 'duplicates', component: () => import('./views/DuplicatesView.vue') },
          { path: 'findings', name: 'findings', component: () => import('./views/FindingsView.vue') },
          { path: 'households', name: 'households', component: () => import('./views/HouseholdsView.vue') },
          { path: 'households/:id', name: 'household', component: () => import('./views/HouseholdFileView.vue'), props: true },
          { path: 'exports', name: 'exports', component: () => import('./views/ExportsView.vue') },
          { path: 'accounts', name: 'accounts', component: () => import('./views/AccountsView.vue'), meta: { manage: true } },
        ],
      },
      { path: '/:pathMatch(.*)*', redirect: { name: 'overview' } },
    ],
  })

  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    if (to.meta.public) return true
    const me = await loadSession().catch(() => null)
    if (!me) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
    if (to.meta.manage && !me.can_manage) return { name: 'overview' }
    return true
  })

  // A session that ends while the console is open (expired, or the user revoked) lands on the login page.
  onUnauthorized(() => {
    signedOut()
    const current = router.currentRoute.value
    if (current.name !== 'login') void router.push({ name: 'login', query: { next: current.fullPath } })
  })

  return router
}

