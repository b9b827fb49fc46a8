// The geometry behind the signature pad. The pad keeps every stroke as a list of points in canvas pixels; the
// canvas is only a picture of them. Keeping the strokes lets the pad redraw after the window is resized (a tablet
// rotated mid-signature), tell an accidental tap from a signature, and crop the exported image to the ink.

/** One sampled point of a stroke, in canvas pixels (not CSS pixels). */
export interface Point {
  x: number
  y: number
  /** Pen pressure 0..1 as the pointer reports it; 0 when the device does not measure pressure. */
  pressure: number
}

export type Stroke = Point[]

export interface Bounds {
  minX: number
  minY: number
  maxX: number
  maxY: number
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** Converts a pointer position in CSS pixels to canvas pixels, whatever the canvas's backing scale. */
export function toCanvasPoint(
  clientX: number,
  clientY: number,
  box: { left: number; top: number; width: number; height: number },
  canvasWidth: number,
  canvasHeight: number,
  pressure = 0,
): Point {
  const scaleX = box.width > 0 ? canvasWidth / box.width : 1
  const scaleY = box.height > 0 ? canvasHeight / box.height : 1
  return { x: (clientX - box.left) * scaleX, y: (clientY - box.top) * scaleY, pressure }
}

/** The smallest box around every point, or null when nothing was drawn. */
export function strokesBounds(strokes: Stroke[]): Bounds | null {
  let bounds: Bounds | null = null
  for (const stroke of strokes) {
    for (const { x, y } of stroke) {
      if (!bounds) {
        bounds = { minX: x, minY: y, maxX: x, maxY: y }
      } else {
        bounds.minX = Math.min(bounds.minX, x)
        bounds.minY = Math.min(bounds.minY, y)
        bounds.maxX = Math.max(bounds.maxX, x)
        bounds.maxY = Math.max(bounds.maxY, y)
      }
    }
  }
  return bounds
}

/** Total length of ink, in canvas pixels. */
export function inkLength(strokes: Stroke[]): number {
  let length = 0
  for (const stroke of strokes) {
    for (let i = 1; i < stroke.length; i++) {
      length += Math.hypot(stroke[i].x - stroke[i - 1].x, stroke[i].y - stroke[i - 1].y)
    }
  }
  return length
}

/**
 * Whether the pad holds no signature. A brush of a muddy finger or a tap leaves a dot or a short smear, so
 * anything with less ink than `minInk` canvas pixels counts as blank and the worker is asked to sign.
 */
export function isBlank(strokes: Stroke[], minInk = 24): boolean {
  return inkLength(strokes) < minInk
}

/**
 * The width of a line for a pressure reading. A mouse reports 0.5 while pressed and a finger often 0 or 1, so
 * only a pen varies the width noticeably; a reading of 0 means "not measured" and draws the base width.
 */
export function lineWidth(pressure: number, base: number): number {
  const p = pressure > 0 && Number.isFinite(pressure) ? Math.min(1, pressure) : 0.5
  return base * (0.6 + 0.8 * p)
}

/** The region to export: the ink's bounds grown by `padding`, clamped to the canvas, in whole pixels. */
export function cropRect(bounds: Bounds, padding: number, canvasWidth: number, canvasHeight: number): Rect {
  const x = Math.max(0, Math.floor(bounds.minX - padding))
  const y = Math.max(0, Math.floor(bounds.minY - padding))
  const right = Math.min(canvasWidth, Math.ceil(bounds.maxX + padding))
  const bottom = Math.min(canvasHeight, Math.ceil(bounds.maxY + padding))
  return { x, y, width: Math.max(1, right - x), height: Math.max(1, bottom - y) }
}

/** The part of CanvasRenderingContext2D the drawing uses, so tests can record the calls. */
export interface DrawingContext {
  lineWidth: number
  lineCap: CanvasLineCap
  lineJoin: CanvasLineJoin
  strokeStyle: string | CanvasGradient | CanvasPattern
  fillStyle: string | CanvasGradient | CanvasPattern
  beginPath(): void
  moveTo(x: number, y: number): void
  lineTo(x: number, y: number): void
  quadraticCurveTo(cpx: number, cpy: number, x: number, y: number): void
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number): void
  stroke(): void
  fill(): void
}

/**
 * Draws the segment of a stroke that ends at point `index`, smoothing through midpoints so that fast strokes,
 * sampled sparsely, still look like handwriting. Drawing segment by segment lets the pad paint while the pen moves.
 */
export function drawSegment(ctx: DrawingContext, stroke: Stroke, index: number, baseWidth: number, ink = '#111'): void {
  const point = stroke[index]
  if (!point) return
  ctx.strokeStyle = ink
  ctx.fillStyle = ink
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  ctx.lineWidth = lineWidth(point.pressure, baseWidth)
  if (index === 0) {
    // A stroke starts with a dot, so a signature made of short taps (a Chinese character's dots) still shows.
    ctx.beginPath()
    ctx.arc(point.x, point.y, ctx.lineWidth / 2, 0, Math.PI * 2)
    ctx.fill()
    return
  }
  const previous = stroke[index - 1]
  const beforePrevious = stroke[index - 2]
  const start = beforePrevious
    ? { x: (beforePrevious.x + previous.x) / 2, y: (beforePrevious.y + previous.y) / 2 }
    : previous
  const end = { x: (previous.x + point.x) / 2, y: (previous.y + point.y) / 2 }
  ctx.beginPath()
  ctx.moveTo(start.x, start.y)
  ctx.quadraticCurveTo(previous.x, previous.y, end.x, end.y)
  ctx.lineTo(point.x, point.y)
  ctx.stroke()
}

/** Draws whole strokes, e.g. after the canvas was resized and cleared. */
export function drawStrokes(ctx: DrawingContext, strokes: Stroke[], baseWidth: number, ink = '#111'): void {
  for (const stroke of strokes) {
    for (let i = 0; i < stroke.length; i++) drawSegment(ctx, stroke, i, baseWidth, ink)
  }
}

/** Moves strokes by (-dx, -dy) and scales them, for re-drawing onto a cropped or resized canvas. */
export function transformStrokes(strokes: Stroke[], dx: number, dy: number, scale = 1): Stroke[] {
  return strokes.map((stroke) =>
    stroke.map((p) => ({ x: (p.x - dx) * scale, y: (p.y - dy) * scale, pressure: p.pressure })),
  )
}
