// The villages a filter offers: those of the signed-in user's area (Me.villages). The contract does not say whether
// county-wide users get every village there, so an empty list falls back to GET /villages (allowed for managers).
import { ref, type Ref } from 'vue'
import { api, villageKey, type Village } from './api'
import { session } from './session'

const loaded: Ref<Village[] | null> = ref(null)
/** Whose list `loaded` is: another sign-in (a different user) loads again. */
let loadedFor: string | null = null

export function useVillages(): Ref<Village[] | null> {
  const meId = session.me?.id ?? null
  if (loaded.value === null || loadedFor !== meId) {
    loadedFor = meId
    const own = session.me?.villages ?? []
    if (own.length > 0) loaded.value = own
    else {
      loaded.value = []
      api
        .villages()
        .then((all) => (loaded.value = all))
        .catch(() => {
          // Not allowed or not reachable: the filter then offers only 全部, which the server scopes to the area anyway.
        })
    }
  }
  return loaded
}

/** Forgets the list, after a village is added or another user signs in. */
export function resetVillages(): void {
  loaded.value = null
}

export { villageKey }
