import { describe, expect, it } from 'vitest'
import { bytesToBase64, dataUrlToBase64, fileToBase64, orderedPhotos } from '../../src/photo'
import type { PhotoRef } from '../../src/api'

function reference(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

describe('base64 of photo bytes', () => {
  it('encodes small inputs exactly', () => {
    expect(bytesToBase64(new Uint8Array([]))).toBe('')
    expect(bytesToBase64(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('/9j/')
    expect(bytesToBase64(new TextEncoder().encode('户档'))).toBe('5oi35qGj')
  })

  it('encodes inputs larger than one chunk without losing or reordering bytes', () => {
    const bytes = new Uint8Array(0x8000 * 3 + 17)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff
    expect(bytesToBase64(bytes)).toBe(reference(bytes))
  })

  it('reads a picked file', async () => {
    const file = new Blob([new Uint8Array([1, 2, 3, 250])], { type: 'image/jpeg' })
    expect(await fileToBase64(file)).toBe('AQID+g==')
  })

  it('strips the data URL prefix of a PNG and refuses anything else', () => {
    expect(dataUrlToBase64('data:image/png;base64,iVBORw0KGgo=')).toBe('iVBORw0KGgo=')
    expect(() => dataUrlToBase64('data:image/jpeg;base64,/9j/')).toThrow('image/png')
    expect(() => dataUrlToBase64('data:,')).toThrow()
  })
})

describe('photo order', () => {
  const photo = (sha256: string, taken_at: string | null): PhotoRef => ({
    sha256,
    mime: 'image/jpeg',
    bytes: 1,
    width: 1,
    height: 1,
    taken_at,
    gps: null,
    caption: '',
  })

  it('orders by camera time, then by hash, whatever the map order', () => {
    const ordered = orderedPhotos({
      a: photo('cc', null),
      b: photo('bb', '2026-11-23T10:00:00'),
      c: photo('aa', null),
      d: photo('dd', '2026-11-23T09:00:00'),
    })
    expect(ordered.map((p) => p.id)).toEqual(['c', 'a', 'd', 'b'])
    expect(orderedPhotos(null)).toEqual([])
  })
})
