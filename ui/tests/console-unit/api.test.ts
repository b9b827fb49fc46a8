import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, errorFromBody, errorMessage, exportUrl, onUnauthorized, photoUrl, queryString, statusMessage } from '../../console/src/api'
import { mockFetch } from './fetchMock'

afterEach(() => {
  vi.unstubAllGlobals()
  onUnauthorized(null)
})

describe('error mapping', () => {
  it('keeps the server’s code and Chinese message', () => {
    const error = errorFromBody(403, { error: { code: 'console.forbidden_role', message: '工作队员不能登录县级管理。' } })
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'console.forbidden_role', message: '工作队员不能登录县级管理。', status: 403 })
  })

  it('falls back to a message by status when the body is not the server’s', () => {
    expect(errorFromBody(502, null)).toMatchObject({ code: 'http.502', status: 502, message: statusMessage(502) })
    expect(errorFromBody(404, { error: { code: 'x', message: '' } }).message).toBe(statusMessage(404))
    expect(statusMessage(502)).toContain('502')
  })

  it('turns anything thrown into a sentence', () => {
    expect(errorMessage(new ApiError('a', '出错了', 400))).toBe('出错了')
    expect(errorMessage(new Error('坏了'))).toBe('坏了')
    expect(errorMessage('?')).toBe('操作失败，请重试。')
  })
})

describe('query strings and links', () => {
  it('leaves out empty values and encodes village keys', () => {
    expect(queryString({ village: '芷村镇/芷村', q: '', check: undefined, offset: 0, limit: 100 })).toBe(
      '?village=%E8%8A%B7%E6%9D%91%E9%95%87%2F%E8%8A%B7%E6%9D%91&offset=0&limit=100',
    )
    expect(queryString({ month: undefined })).toBe('')
  })

  it('builds export and photo URLs under /api/console', () => {
    expect(exportUrl('members', '')).toBe('/api/console/export/members.xlsx')
    expect(exportUrl('households', '镇/村')).toBe('/api/console/export/households.xlsx?village=%E9%95%87%2F%E6%9D%91')
    expect(photoUrl('ab12')).toBe('/api/console/photos/ab12')
  })
})

describe('requests', () => {
  it('sends the cookie and JSON to relative /api/console paths', async () => {
    const { requests } = mockFetch({ 'POST /api/console/duplicates/merge': { body: { kept: 'a', merged: 'b', members_added: 1, entries_added: 2, fields_filled: [] } } })
    await api.merge('a', 'b')
    expect(requests).toEqual([{ method: 'POST', path: '/api/console/duplicates/merge', body: { keep: 'a', merge: 'b' }, credentials: 'same-origin' }])
  })

  it('builds filter queries for findings', async () => {
    const { requests } = mockFetch({ 'GET /api/console/findings': { body: { total: 0, items: [], checks: [] } } })
    await api.findings({ check: 'id.check_digit', village: '', severity: 'error', offset: 200, limit: 100 })
    expect(requests[0].path).toBe('/api/console/findings?check=id.check_digit&severity=error&offset=200&limit=100')
  })

  it('throws ApiError with the server’s message and reports a lost session', async () => {
    mockFetch({ 'GET /api/console/overview': { status: 401, body: { error: { code: 'console.no_session', message: '请先登录。' } } } })
    const lost = vi.fn()
    onUnauthorized(lost)
    await expect(api.overview()).rejects.toMatchObject({ code: 'console.no_session', message: '请先登录。', status: 401 })
    expect(lost).toHaveBeenCalledOnce()
  })

  it('does not treat a refused login as a lost session', async () => {
    mockFetch({ 'POST /api/console/login': { status: 401, body: { error: { code: 'console.bad_login', message: '用户名或密码不对。' } } } })
    const lost = vi.fn()
    onUnauthorized(lost)
    await expect(api.login('a', 'b')).rejects.toMatchObject({ code: 'console.bad_login', status: 401 })
    expect(lost).not.toHaveBeenCalled()
  })

  it('says so when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(api.me()).rejects.toMatchObject({ code: 'network', status: 0 })
  })

  it('reads an HTML error page by its status', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>Bad Gateway</html>', { status: 502 })))
    await expect(api.duplicates()).rejects.toMatchObject({ code: 'http.502', message: statusMessage(502) })
  })
})
