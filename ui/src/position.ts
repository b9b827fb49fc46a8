// The device's position for visits and 六看一问 items. A position is evidence, not a precondition: in a valley with
// no satellite fix, or on a laptop without a GPS, the worker must still be able to save, so every function here
// resolves (to null when there is no position) and never rejects or waits longer than the timeout.
import type { Gps } from './api'

/** The part of navigator.geolocation used here, so tests can pass a fake. */
export interface GeolocationLike {
  getCurrentPosition(
    success: (position: { coords: { latitude: number; longitude: number; accuracy: number | null } }) => void,
    error?: (error: unknown) => void,
    options?: { enableHighAccuracy?: boolean; timeout?: number; maximumAge?: number },
  ): void
}

/** How long to wait for a fix before recording the item or visit without one. */
export const POSITION_TIMEOUT_MS = 5000

function defaultGeolocation(): GeolocationLike | null {
  if (typeof navigator === 'undefined' || !('geolocation' in navigator) || !navigator.geolocation) return null
  return navigator.geolocation as unknown as GeolocationLike
}

/**
 * The current position, or null when the device has none, the worker refused, or no fix came within the timeout.
 * The timer here also covers a permission prompt left unanswered, which the geolocation timeout does not.
 */
export function currentPosition(
  timeoutMs = POSITION_TIMEOUT_MS,
  geolocation: GeolocationLike | null = defaultGeolocation(),
): Promise<Gps | null> {
  if (!geolocation) return Promise.resolve(null)
  return new Promise((resolve) => {
    let settled = false
    const finish = (gps: Gps | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(gps)
    }
    const timer = setTimeout(() => finish(null), timeoutMs)
    try {
      geolocation.getCurrentPosition(
        (position) => {
          const { latitude, longitude, accuracy } = position.coords
          if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return finish(null)
          finish({
            lat: latitude,
            lon: longitude,
            accuracy_m: accuracy !== null && Number.isFinite(accuracy) ? Math.round(accuracy * 10) / 10 : null,
          })
        },
        () => finish(null),
        // A fix up to a minute old is as good as a new one for a household the worker is standing in.
        { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
      )
    } catch {
      finish(null)
    }
  })
}

/** A position as a worker reads it: "北纬 23.36912° 东经 103.38291°（精度约 15 米）", or "无定位". */
export function formatPosition(gps: Gps | null | undefined): string {
  if (!gps || !Number.isFinite(gps.lat) || !Number.isFinite(gps.lon)) return '无定位'
  const lat = `${gps.lat >= 0 ? '北纬' : '南纬'} ${Math.abs(gps.lat).toFixed(5)}°`
  const lon = `${gps.lon >= 0 ? '东经' : '西经'} ${Math.abs(gps.lon).toFixed(5)}°`
  const accuracy =
    gps.accuracy_m !== null && gps.accuracy_m !== undefined && Number.isFinite(gps.accuracy_m)
      ? `（精度约 ${Math.round(gps.accuracy_m)} 米）`
      : ''
  return `${lat} ${lon}${accuracy}`
}
