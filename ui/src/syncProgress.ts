// Wording for the sync screen: the step in words, one progress bar across all four steps, and the default name
// of an exported bundle. Kept apart from the page so the sentences can be tested without a device.
import type { BundleExport, SyncProgress } from './api'

/** The current step as the worker reads it. */
export function syncStepText(progress: SyncProgress | null): string {
  if (!progress) return '正在连接服务器…'
  switch (progress.step) {
    case 'pushing':
      return `正在上传修改 ${progress.done}/${progress.total} 户`
    case 'uploading_photos':
      return `正在上传照片 ${progress.done}/${progress.total}`
    case 'pulling':
      return `正在下载修改 ${progress.changes} 条`
    case 'downloading_photos':
      return `正在下载照片 ${progress.done}/${progress.total}`
  }
}

// Each step owns a stretch of the one bar, so the bar only ever moves forward during a sync. Uploading changes is
// weighted most because it is the step a slow township connection spends longest on.
const STRETCH: Record<SyncProgress['step'], [number, number]> = {
  pushing: [0, 40],
  uploading_photos: [40, 60],
  pulling: [60, 80],
  downloading_photos: [80, 100],
}

/** Percent of the whole sync done, 0-100, whole numbers. */
export function syncPercent(progress: SyncProgress | null): number {
  if (!progress) return 0
  const [from, to] = STRETCH[progress.step]
  if (progress.step === 'pulling') {
    // The server does not say how many changes are coming, so the bar sits in the middle of its stretch.
    return Math.round((from + to) / 2)
  }
  const fraction = progress.total > 0 ? Math.min(1, Math.max(0, progress.done / progress.total)) : 1
  return Math.round(from + (to - from) * fraction)
}

/** Characters Windows, macOS or Linux refuse in a file name, replaced so a device name like "队长/平板" still works. */
function safeFileName(text: string): string {
  return text.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '-').trim() || '本机'
}

/** `${dir}/户档-${device}-${date}.hudang`, with the directory's own separator (backslash on Windows). */
export function defaultExportPath(dir: string, device: string | null, date: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/'
  const base = dir.replace(/[\\/]+$/, '')
  return `${base}${separator}户档-${safeFileName(device ?? '')}-${date}.hudang`
}

/** 1536 -> "1.5 KB"; sizes as a worker copying files to a USB stick reads them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} 字节`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** The account of an export, one sentence per line. */
export function exportAccount(result: BundleExport): string[] {
  if (result.households === 0 && result.changes === 0) {
    return [`导出完成，但没有可导出的修改。文件：${result.path}`]
  }
  return [
    `已导出 ${result.households} 户的 ${result.changes} 条修改和 ${result.photos} 张照片，共 ${formatBytes(result.bytes)}。`,
    `数据包保存在：${result.path}`,
    '请把这个文件拷贝给队长，或带到乡镇有网络的电脑上导入。',
  ]
}
