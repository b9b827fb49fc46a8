import { describe, expect, it } from 'vitest'
import {
  cropRect,
  drawSegment,
  drawStrokes,
  inkLength,
  isBlank,
  lineWidth,
  strokesBounds,
  toCanvasPoint,
  transformStrokes,
  type DrawingContext,
  type Stroke,
} from '../../src/signature'

const p = (x: number, y: number, pressure = 0) => ({ x, y, pressure })

/** A context that records the calls made on it, to check what was drawn without a real canvas. */
function recorder() {
  const calls: string[] = []
  const ctx: DrawingContext = {
    lineWidth: 1,
    lineCap: 'butt',
    lineJoin: 'miter',
    strokeStyle: '',
    fillStyle: '',
    beginPath: () => calls.push('begin'),
    moveTo: (x, y) => calls.push(`move ${x},${y}`),
    lineTo: (x, y) => calls.push(`line ${x},${y}`),
    quadraticCurveTo: (cx, cy, x, y) => calls.push(`quad ${cx},${cy} ${x},${y}`),
    arc: (x, y) => calls.push(`arc ${x},${y}`),
    stroke: () => calls.push('stroke'),
    fill: () => calls.push('fill'),
  }
  return { ctx, calls }
}

describe('signature geometry', () => {
  it('maps pointer positions to canvas pixels at any backing scale', () => {
    const box = { left: 100, top: 50, width: 400, height: 200 }
    expect(toCanvasPoint(300, 150, box, 800, 400, 0.5)).toEqual({ x: 400, y: 200, pressure: 0.5 })
    expect(toCanvasPoint(100, 50, box, 400, 200)).toEqual({ x: 0, y: 0, pressure: 0 })
    // A canvas not laid out yet (zero size) must not divide by zero.
    expect(toCanvasPoint(10, 10, { left: 0, top: 0, width: 0, height: 0 }, 0, 0)).toEqual({ x: 10, y: 10, pressure: 0 })
  })

  it('finds the bounds of all strokes, or none for an empty pad', () => {
    expect(strokesBounds([])).toBeNull()
    expect(strokesBounds([[]])).toBeNull()
    const strokes: Stroke[] = [
      [p(10, 20), p(30, 5)],
      [p(-2, 40), p(25, 25)],
    ]
    expect(strokesBounds(strokes)).toEqual({ minX: -2, minY: 5, maxX: 30, maxY: 40 })
  })

  it('measures ink along each stroke, not between strokes', () => {
    expect(inkLength([[p(0, 0), p(3, 4)], [p(100, 100), p(100, 110)]])).toBe(15)
    expect(inkLength([[p(5, 5)]])).toBe(0)
  })

  it('treats a tap or a brush of the finger as blank and a signature as not blank', () => {
    expect(isBlank([])).toBe(true)
    expect(isBlank([[p(10, 10)]])).toBe(true)
    expect(isBlank([[p(10, 10), p(14, 13)]])).toBe(true)
    const signature: Stroke[] = [
      [p(10, 40), p(40, 42), p(70, 38)],
      [p(40, 10), p(41, 70)],
    ]
    expect(isBlank(signature)).toBe(false)
    expect(isBlank(signature, 500)).toBe(true)
  })

  it('widens lines only with real pen pressure', () => {
    expect(lineWidth(0, 3)).toBeCloseTo(3 * 1.0)
    expect(lineWidth(0.5, 3)).toBeCloseTo(3 * 1.0)
    expect(lineWidth(1, 3)).toBeCloseTo(3 * 1.4)
    expect(lineWidth(0.1, 3)).toBeCloseTo(3 * 0.68)
    expect(lineWidth(Number.NaN, 3)).toBeCloseTo(3)
    expect(lineWidth(7, 3)).toBeCloseTo(3 * 1.4)
  })

  it('crops to the ink with padding, clamped to the canvas', () => {
    expect(cropRect({ minX: 50, minY: 40, maxX: 150.4, maxY: 90 }, 10, 400, 200)).toEqual({
      x: 40,
      y: 30,
      width: 121,
      height: 70,
    })
    expect(cropRect({ minX: 2, minY: 1, maxX: 398, maxY: 199 }, 12, 400, 200)).toEqual({ x: 0, y: 0, width: 400, height: 200 })
  })

  it('moves and scales strokes for the exported image', () => {
    expect(transformStrokes([[p(50, 40, 0.3)]], 40, 30, 2)).toEqual([[{ x: 20, y: 20, pressure: 0.3 }]])
  })

  it('starts every stroke with a dot and smooths the rest through midpoints', () => {
    const { ctx, calls } = recorder()
    const stroke: Stroke = [p(0, 0), p(10, 0), p(20, 10)]
    drawSegment(ctx, stroke, 0, 2)
    expect(calls).toEqual(['begin', 'arc 0,0', 'fill'])
    calls.length = 0
    drawSegment(ctx, stroke, 2, 2)
    expect(calls).toEqual(['begin', 'move 5,0', 'quad 10,0 15,5', 'line 20,10', 'stroke'])
    expect(ctx.lineCap).toBe('round')
    calls.length = 0
    drawSegment(ctx, stroke, 9, 2)
    expect(calls).toEqual([])
  })

  it('redraws whole strokes point by point', () => {
    const { ctx, calls } = recorder()
    drawStrokes(ctx, [[p(0, 0), p(1, 1)], [p(5, 5)]], 2)
    expect(calls.filter((c) => c === 'fill')).toHaveLength(2)
    expect(calls.filter((c) => c === 'stroke')).toHaveLength(1)
  })
})
