// Photos cross the IPC boundary as base64 of the original file bytes: the device resizes and stores them in Rust,
// so the web view never decodes or re-encodes an image. This module turns files into base64 and caches the
// data: URLs the device hands back, because a household file shows the same thumbnails again and again.
import { api, type PhotoRef } from './api'

/** Bytes -> base64, in chunks so that a 10 MB camera photo does not overflow the argument limit of fromCharCode. */
export function bytesToBase64(bytes: Uint8Array): string {
  const chunk = 0x8000
  let binary = ''
  for (let start = 0; start < bytes.length; start += chunk) {
    binary += String.fromCharCode(...bytes.subarray(start, start + chunk))
  }
  return btoa(binary)
}

/** Reads a picked file (or any Blob) and returns its bytes as base64. */
export async function fileToBase64(file: Blob): Promise<string> {
  // Older WebKit builds (the Tauri web view on some tablets) lack Blob.arrayBuffer, so FileReader is the fallback.
  if (typeof file.arrayBuffer === 'function') {
    return bytesToBase64(new Uint8Array(await file.arrayBuffer()))
  }
  const buffer = await new Promise<ArrayBuffer>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result as ArrayBuffer)
    reader.onerror = () => reject(reader.error ?? new Error('读取文件失败'))
    reader.readAsArrayBuffer(file)
  })
  return bytesToBase64(new Uint8Array(buffer))
}

/** A photo picked on this device but not saved yet, shown from a local object URL. */
export interface PendingPhoto {
  key: string
  url: string
  name: string
}

/** "data:image/png;base64,AAAA" -> "AAAA"; throws when the URL is not base64 of the expected type. */
export function dataUrlToBase64(dataUrl: string, mime = 'image/png'): string {
  const prefix = `data:${mime};base64,`
  if (!dataUrl.startsWith(prefix)) {
    throw new Error(`不是 ${mime} 格式的图像数据`)
  }
  return dataUrl.slice(prefix.length)
}

/** The photos of a record in a stable order: by the camera's time when it has one, then by content hash. */
export function orderedPhotos(photos: Record<string, PhotoRef> | null | undefined): { id: string; photo: PhotoRef }[] {
  return Object.entries(photos ?? {})
    .map(([id, photo]) => ({ id, photo }))
    .sort((a, b) => {
      const at = a.photo.taken_at ?? ''
      const bt = b.photo.taken_at ?? ''
      if (at !== bt) return at < bt ? -1 : 1
      return a.photo.sha256 < b.photo.sha256 ? -1 : a.photo.sha256 > b.photo.sha256 ? 1 : 0
    })
}

// Photos are content-addressed, so a thumbnail URL fetched once stays right for the whole session. Only thumbnails
// are kept: a full photo is a few hundred kilobytes of base64 and is looked at once. Failed look-ups are forgotten
// so that a photo still being downloaded by a sync can be asked for again later.
const thumbnailCache = new Map<string, Promise<string>>()

/** A data: URL for a stored photo or its thumbnail; thumbnails are asked of the device once per session. */
export function cachedPhotoUrl(sha256: string, thumbnail: boolean): Promise<string> {
  if (!thumbnail) return api.photoUrl(sha256, false)
  let url = thumbnailCache.get(sha256)
  if (!url) {
    url = api.photoUrl(sha256, true).catch((error) => {
      thumbnailCache.delete(sha256)
      throw error
    })
    thumbnailCache.set(sha256, url)
  }
  return url
}
