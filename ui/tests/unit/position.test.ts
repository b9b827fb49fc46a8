import { afterEach, describe, expect, it, vi } from 'vitest'
import { currentPosition, formatPosition, type GeolocationLike } from '../../src/position'

afterEach(() => {
  vi.useRealTimers()
})

function fake(behaviour: (success: Parameters<GeolocationLike['getCurrentPosition']>[0], error: (e: unknown) => void) => void) {
  const calls: unknown[] = []
  const geolocation: GeolocationLike = {
    getCurrentPosition(success, error, options) {
      calls.push(options)
      behaviour(success, error ?? (() => undefined))
    },
  }
  return { geolocation, calls }
}

describe('the device position', () => {
  it('returns the fix as {lat, lon, accuracy_m}', async () => {
    const { geolocation, calls } = fake((ok) => ok({ coords: { latitude: 23.36912, longitude: 103.38291, accuracy: 14.66 } }))
    await expect(currentPosition(5000, geolocation)).resolves.toEqual({ lat: 23.36912, lon: 103.38291, accuracy_m: 14.7 })
    expect(calls[0]).toMatchObject({ enableHighAccuracy: true, timeout: 5000 })
  })

  it('keeps an unknown accuracy as null', async () => {
    const { geolocation } = fake((ok) => ok({ coords: { latitude: 1, longitude: 2, accuracy: null } }))
    await expect(currentPosition(5000, geolocation)).resolves.toEqual({ lat: 1, lon: 2, accuracy_m: null })
  })

  it('resolves to null when refused, unavailable or throwing, never rejects', async () => {
    await expect(currentPosition(5000, fake((_, fail) => fail({ code: 1 })).geolocation)).resolves.toBeNull()
    await expect(currentPosition(5000, null)).resolves.toBeNull()
    const throwing: GeolocationLike = {
      getCurrentPosition() {
        throw new Error('not allowed')
      },
    }
    await expect(currentPosition(5000, throwing)).resolves.toBeNull()
  })

  it('gives up after the timeout even if the device never answers (a permission prompt left open)', async () => {
    vi.useFakeTimers()
    const { geolocation } = fake(() => undefined)
    const result = currentPosition(5000, geolocation)
    vi.advanceTimersByTime(4999)
    let settled = false
    void result.then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    vi.advanceTimersByTime(1)
    await expect(result).resolves.toBeNull()
  })

  it('ignores a late answer after the timeout', async () => {
    vi.useFakeTimers()
    let late: ((p: { coords: { latitude: number; longitude: number; accuracy: number } }) => void) | null = null
    const { geolocation } = fake((ok) => (late = ok))
    const result = currentPosition(100, geolocation)
    vi.advanceTimersByTime(100)
    late!({ coords: { latitude: 1, longitude: 2, accuracy: 3 } })
    await expect(result).resolves.toBeNull()
  })
})

describe('position wording', () => {
  it('says 无定位 without a position', () => {
    expect(formatPosition(null)).toBe('无定位')
    expect(formatPosition(undefined)).toBe('无定位')
  })

  it('names the hemispheres and the accuracy in metres', () => {
    expect(formatPosition({ lat: 23.369124, lon: 103.382911, accuracy_m: 14.6 })).toBe('北纬 23.36912° 东经 103.38291°（精度约 15 米）')
    expect(formatPosition({ lat: -1.5, lon: -70.25, accuracy_m: null })).toBe('南纬 1.50000° 西经 70.25000°')
  })
})
