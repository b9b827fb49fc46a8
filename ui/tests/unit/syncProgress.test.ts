import { describe, expect, it } from 'vitest'
import { defaultExportPath, exportAccount, formatBytes, syncPercent, syncStepText } from '../../src/syncProgress'

describe('sync progress in words', () => {
  it('says each step with its counts', () => {
    expect(syncStepText(null)).toBe('正在连接服务器…')
    expect(syncStepText({ step: 'pushing', done: 3, total: 12 })).toBe('正在上传修改 3/12 户')
    expect(syncStepText({ step: 'uploading_photos', done: 5, total: 40 })).toBe('正在上传照片 5/40')
    expect(syncStepText({ step: 'pulling', changes: 218 })).toBe('正在下载修改 218 条')
    expect(syncStepText({ step: 'downloading_photos', done: 0, total: 7 })).toBe('正在下载照片 0/7')
  })

  it('moves one bar forward through the four steps', () => {
    const sequence = [
      syncPercent(null),
      syncPercent({ step: 'pushing', done: 0, total: 10 }),
      syncPercent({ step: 'pushing', done: 5, total: 10 }),
      syncPercent({ step: 'pushing', done: 10, total: 10 }),
      syncPercent({ step: 'uploading_photos', done: 1, total: 2 }),
      syncPercent({ step: 'pulling', changes: 5 }),
      syncPercent({ step: 'downloading_photos', done: 3, total: 3 }),
    ]
    expect(sequence).toEqual([0, 0, 20, 40, 50, 70, 100])
  })

  it('treats an empty step as complete and never leaves 0-100', () => {
    expect(syncPercent({ step: 'uploading_photos', done: 0, total: 0 })).toBe(60)
    expect(syncPercent({ step: 'pushing', done: 15, total: 10 })).toBe(40)
    expect(syncPercent({ step: 'pushing', done: -1, total: 10 })).toBe(0)
  })
})

describe('bundle files', () => {
  it('names the export after the device and the day, with the directory separator', () => {
    expect(defaultExportPath('/home/li/Documents', '芷村平板1', '2026-11-23')).toBe('/home/li/Documents/户档-芷村平板1-2026-11-23.hudang')
    expect(defaultExportPath('C:\\Users\\li\\Documents\\', '队长/平板', '2026-11-23')).toBe(
      'C:\\Users\\li\\Documents\\户档-队长-平板-2026-11-23.hudang',
    )
    expect(defaultExportPath('/tmp', null, '2026-11-23')).toBe('/tmp/户档-本机-2026-11-23.hudang')
  })

  it('gives sizes in readable units', () => {
    expect(formatBytes(0)).toBe('0 字节')
    expect(formatBytes(900)).toBe('900 字节')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB')
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GB')
  })

  it('accounts for an export in sentences', () => {
    const lines = exportAccount({ path: '/tmp/a.hudang', households: 12, changes: 340, photos: 25, bytes: 5 * 1024 * 1024 })
    expect(lines[0]).toBe('已导出 12 户的 340 条修改和 25 张照片，共 5.0 MB。')
    expect(lines[1]).toBe('数据包保存在：/tmp/a.hudang')
    expect(exportAccount({ path: '/tmp/b.hudang', households: 0, changes: 0, photos: 0, bytes: 120 })).toEqual([
      '导出完成，但没有可导出的修改。文件：/tmp/b.hudang',
    ])
  })
})
