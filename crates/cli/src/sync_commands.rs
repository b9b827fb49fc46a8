//! `hudang enrol`, `hudang sync` and `hudang bundle`: the device's side of sync, as commands.

use crate::Output;
use anyhow::{Context, Result};
use clap::Subcommand;
use hudang_cli::{new_id, now, open_store};
use hudang_protocol::Bundle;
use hudang_sync::{HttpTransport, SyncOptions, SyncProgress, SyncSummary};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Bundle files for a USB stick or a chat app.
#[derive(Subcommand)]
pub enum BundleCommand {
    /// Write every household's changes and photos (or only those after an earlier bundle) to a file.
    Export {
        /// The bundle file to write (e.g. 芷村-张三-1123.hudang).
        file: PathBuf,
        /// Only what came after this earlier bundle.
        #[arg(long)]
        since: Option<PathBuf>,
    },
    /// Import a bundle file (checked whole first; a damaged or altered file changes nothing).
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// Show what a bundle holds without importing it.
    Inspect {
        /// The bundle file.
        file: PathBuf,
    },
}

/// `hudang enrol`.
pub fn enrol(dir: &Path, out: &Output, server: &str, code: &str, device_name: Option<String>) -> Result<ExitCode> {
    let mut store = open_store(dir)?;
    let transport = HttpTransport::new(server, None)?;
    let name = device_name.unwrap_or_else(|| format!("{}的设备", store.identity().user));
    let settings = hudang_sync::enrol(&mut store, &transport, server, code, &name, now())?;
    out.print(
        &json!({ "enrolled": true, "server": settings.server_url, "user": settings.user_name, "role": settings.role, "villages": settings.villages }),
        || {
            format!(
                "登记成功：{}（{}），工作范围：{}",
                settings.user_name,
                settings.role,
                if settings.villages.is_empty() { "全县".to_string() } else { settings.villages.join("、") }
            )
        },
    );
    Ok(ExitCode::SUCCESS)
}

/// `hudang sync`.
pub fn sync(dir: &Path, out: &Output, no_photos: bool, retries: u32) -> Result<ExitCode> {
    let mut store = open_store(dir)?;
    let transport = hudang_sync::transport_for(&store)?;
    let options = SyncOptions { download_photos: !no_photos, retries, ..SyncOptions::default() };
    let json_progress = out.json;
    let mut progress = |p: &SyncProgress| {
        // Photo counts tick once a photo; a line every 25 is enough for a terminal.
        if let SyncProgress::UploadingPhotos { done, total } | SyncProgress::DownloadingPhotos { done, total } = p
            && done % 25 != 0
            && done != total
        {
            return;
        }
        // Progress goes to stderr, so stdout stays one JSON document or one summary.
        if json_progress {
            eprintln!("{}", serde_json::to_string(p).expect("progress serialises"));
        } else {
            eprintln!("{}", progress_text(p));
        }
    };
    let outcome = hudang_sync::sync(&mut store, &transport, options, &mut progress, now());
    let error = outcome.error.as_ref().map(|e| json!({ "code": e.code(), "message": e.to_string() }));
    out.print(&json!({ "summary": outcome.summary, "error": error }), || {
        let mut text = summary_text(&outcome.summary);
        if let Some(e) = &outcome.error {
            text.push_str(&format!("\n同步未完成：{e}"));
        }
        text
    });
    Ok(if outcome.error.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn progress_text(p: &SyncProgress) -> String {
    match p {
        SyncProgress::Pushing { done, total } => format!("上传更改：{done}/{total} 户"),
        SyncProgress::UploadingPhotos { done, total } => format!("上传照片：{done}/{total}"),
        SyncProgress::Pulling { changes } => format!("接收更改：{changes} 条"),
        SyncProgress::DownloadingPhotos { done, total } => format!("下载照片：{done}/{total}"),
    }
}

/// A plain account of what went each way.
pub fn summary_text(s: &SyncSummary) -> String {
    let mut lines = vec![
        format!(
            "已发送：{} 户的 {} 条更改（服务器新收 {} 条），{} 张照片",
            s.households_sent, s.changes_sent, s.changes_accepted, s.photos_sent
        ),
        format!(
            "已接收：{} 户有更新（其中新户 {} 户），{} 条更改，{} 张照片",
            s.households_received, s.households_new, s.changes_received, s.photos_received
        ),
    ];
    if s.photos_unavailable > 0 {
        lines.push(format!("另有 {} 张照片服务器上还没有（拍摄设备尚未上传），下次同步再取", s.photos_unavailable));
    }
    if s.conflicts_open > 0 {
        lines.push(format!("有 {} 处冲突待处理（hudang conflicts list）", s.conflicts_open));
    }
    lines.push(format!("流量：发送 {} 字节，接收 {} 字节", s.bytes_sent, s.bytes_received));
    lines.join("\n")
}

/// `hudang bundle ...`.
pub fn bundle(dir: &Path, out: &Output, command: BundleCommand) -> Result<ExitCode> {
    match command {
        BundleCommand::Export { file, since } => {
            let store = open_store(dir)?;
            let since = match since {
                Some(path) => Some(read_bundle(&path)?.manifest),
                None => None,
            };
            let bundle = hudang_sync::export_bundle(&store, since.as_ref(), new_id(), now())?;
            let bytes = bundle.encode();
            write_atomically(&file, &bytes)?;
            let m = &bundle.manifest;
            out.print(
                &json!({ "file": file, "bundle": m.id, "households": bundle.households.len(), "changes": m.change_count, "photos": m.photo_count, "bytes": bytes.len() }),
                || {
                    format!(
                        "已导出 {}：{} 户，{} 条更改，{} 张照片，共 {} 字节",
                        file.display(),
                        bundle.households.len(),
                        m.change_count,
                        m.photo_count,
                        bytes.len()
                    )
                },
            );
        }
        BundleCommand::Import { file } => {
            let mut store = open_store(dir)?;
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let report = hudang_sync::import_bundle(&mut store, &bytes, now())?;
            out.print(&serde_json::to_value(&report)?, || {
                format!(
                    "已导入 {} 制作的数据包：{} 户有更新（新户 {} 户），{} 条新更改，{} 张新照片{}",
                    report.made_by,
                    report.households_changed,
                    report.households_new,
                    report.changes_new,
                    report.photos_new,
                    if report.conflicts_open > 0 {
                        format!("；有 {} 处冲突待处理", report.conflicts_open)
                    } else {
                        String::new()
                    }
                )
            });
        }
        BundleCommand::Inspect { file } => {
            let bundle = read_bundle(&file)?;
            let m = &bundle.manifest;
            out.print(&json!({ "manifest": m, "households": bundle.households.len() }), || {
                format!(
                    "数据包 {}\n制作人：{}，设备 {}\n时间：{}\n{} 户，{} 条更改，{} 张照片{}",
                    m.id,
                    m.user,
                    m.device,
                    m.created_at.format("%Y-%m-%d %H:%M"),
                    bundle.households.len(),
                    m.change_count,
                    m.photo_count,
                    m.since.map(|s| format!("\n接续数据包 {s}")).unwrap_or_default()
                )
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_bundle(path: &Path) -> Result<Bundle> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))?;
    Ok(Bundle::decode(&bytes)?)
}

/// Writes the file under a temporary name and renames it, so a pulled USB stick never holds half a bundle under the
/// real name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut file = std::fs::File::create(&tmp).with_context(|| format!("无法写入 {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
