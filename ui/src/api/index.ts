// One typed function per Rust command. Every screen talks to the device through these and nothing else,
// so the IPC names and argument shapes live in one place. Rejections are AppError ({code, message}).
import { Channel, invoke } from '@tauri-apps/api/core'
import type {
  AppError,
  AppState,
  BundleExport,
  BundleImport,
  CodeLists,
  Collection,
  ConflictRow,
  HistoryEntry,
  HouseholdRow,
  HouseholdView,
  Income,
  IncomePreview,
  NewHousehold,
  PhotoTarget,
  SyncProgress,
  SyncReport,
} from './types'

export * from './types'

/** Turns whatever a command rejected with into an AppError, so screens show one kind of message. */
export function asAppError(error: unknown): AppError {
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    return { code: String((error as AppError).code), message: String((error as AppError).message) }
  }
  return { code: 'app.internal', message: `出错了：${String(error)}` }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args)
  } catch (error) {
    throw asAppError(error)
  }
}

export const api = {
  appState: () => call<AppState>('app_state'),
  /** Creates this device's store with the synthetic demo village (if none exists yet) and returns the new state. */
  openDemo: (user: string) => call<AppState>('open_demo', { user }),
  /** Creates the store if needed and enrols with the county server using a one-time code. */
  enrol: (server: string, code: string, deviceName: string) =>
    call<AppState>('enrol', { server, code, deviceName }),
  codeLists: () => call<CodeLists>('code_lists'),

  households: () => call<HouseholdRow[]>('households'),
  household: (id: string) => call<HouseholdView>('household', { id }),
  createHousehold: (input: NewHousehold) => call<string>('create_household', { input }),
  /** Writes fields by document path (e.g. "phone", "members/<id>/name") as one attributed change. */
  setFields: (id: string, fields: [string, unknown][]) => call<HouseholdView>('set_fields', { id, fields }),
  /** Adds an entry to a collection under a fresh id; `value` fills fields over the defaults. Returns the new id and view. */
  addEntry: (id: string, collection: Collection, value: Record<string, unknown>) =>
    call<{ entry_id: string; view: HouseholdView }>('add_entry', { id, collection, value }),
  incomePreview: (id: string, income: Income) => call<IncomePreview>('income_preview', { id, income }),
  /** Stores a photo (any size; resized on the device) for a visit or a 六看一问 item. `base64` is the file's bytes. */
  addPhoto: (id: string, target: PhotoTarget, base64: string, caption: string) =>
    call<HouseholdView>('add_photo', { id, target, base64, caption }),
  /** A data: URL for a stored photo or its thumbnail. */
  photoUrl: (sha256: string, thumbnail: boolean) => call<string>('photo_url', { sha256, thumbnail }),
  /** Signs as 调查人 or 户主 with a PNG drawn on screen; refused while checks report errors. */
  sign: (id: string, role: '调查人' | '户主', name: string, pngBase64: string) =>
    call<HouseholdView>('sign', { id, role, name, pngBase64 }),
  resolveConflict: (id: string, path: string, value: unknown) =>
    call<HouseholdView>('resolve_conflict', { id, path, value }),
  conflicts: () => call<ConflictRow[]>('conflicts'),
  history: (id: string) => call<HistoryEntry[]>('history', { id }),

  sync: (onProgress: (progress: SyncProgress) => void) => {
    const channel = new Channel<SyncProgress>()
    channel.onmessage = onProgress
    return call<SyncReport>('sync', { onProgress: channel })
  },
  exportBundle: (path: string, since: string | null) => call<BundleExport>('export_bundle', { path, since }),
  /** Imports a bundle file read by the file picker (`base64` bytes). */
  importBundle: (base64: string) => call<BundleImport>('import_bundle', { base64 }),
}

export type Api = typeof api
