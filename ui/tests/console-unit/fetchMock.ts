// A fetch stand-in for mounted console screens: answers by method and path, records every request with its JSON body.
import { vi } from 'vitest'

export interface Recorded {
  method: string
  path: string
  body: unknown
  credentials: RequestCredentials | undefined
}

type Answer = { status?: number; body: unknown } | ((body: unknown) => { status?: number; body: unknown })

export function mockFetch(routes: Record<string, Answer>): { requests: Recorded[]; fetch: ReturnType<typeof vi.fn> } {
  const requests: Recorded[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const method = init?.method ?? 'GET'
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    requests.push({ method, path: url, body, credentials: init?.credentials })
    const route = routes[`${method} ${url}`] ?? routes[`${method} ${url.split('?')[0]}`]
    if (!route) return new Response(JSON.stringify({ error: { code: 'test.no_route', message: `没有 ${method} ${url}` } }), { status: 404 })
    const answer = typeof route === 'function' ? route(body) : route
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { 'Content-Type': 'application/json' } })
  })
  vi.stubGlobal('fetch', fetch)
  return { requests, fetch }
}
