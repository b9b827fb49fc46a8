// Who is signed in. Loaded once from GET /me when the app starts (the cookie may outlive a page reload) and
// replaced on login and logout; the router's guard and the menu read it.
import { reactive } from 'vue'
import { api, ApiError, type Me } from './api'

export const session = reactive<{ me: Me | null; checked: boolean }>({ me: null, checked: false })

/** Asks the server who the cookie belongs to, once; a 401 simply means nobody is signed in. */
export async function loadSession(): Promise<Me | null> {
  if (session.checked) return session.me
  try {
    session.me = await api.me()
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error
    session.me = null
  }
  session.checked = true
  return session.me
}

export function signedIn(me: Me): void {
  session.me = me
  session.checked = true
}

export function signedOut(): void {
  session.me = null
  session.checked = true
}
