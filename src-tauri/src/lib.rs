//! `hudang-app`: the Tauri 2 shell of the 户档 field app.
//!
//! Each command turns IPC arguments into a call on [`hudang_field::FieldApp`] and its result back into JSON; errors
//! cross as `{code, message}`. This is the only place on the device that reads the clock and makes random ids for
//! the app's actions (it passes them in). It must hold no business rules: those live in `hudang-domain`, and what an
//! action does lives in `hudang-field`, where tests call it without a window.

mod commands;
mod config;

pub use config::AppConfig;

/// Builds and runs the app. The data directory, the server to prefill and the export folder come from the command
/// line (`--data-dir`, `--server`, `--export-dir`) or the environment (`HUDANG_DATA_DIR`, `HUDANG_SERVER`,
/// `HUDANG_EXPORT_DIR`), so a test can isolate each instance (tauri-driver passes only arguments and environment).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let config = AppConfig::from_args_and_env(std::env::args().skip(1));
    let app = match hudang_field::FieldApp::open(&config.data_dir, config.server.clone(), config.export_dir.clone()) {
        Ok(app) => app,
        Err(error) => {
            // Without a readable store there is nothing the window could show; say why and where.
            eprintln!("户档无法打开数据目录 {}：{error}", config.data_dir.display());
            std::process::exit(2);
        }
    };
    tauri::Builder::default()
        .manage(commands::Shared::new(app))
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::open_demo,
            commands::enrol,
            commands::code_lists,
            commands::households,
            commands::household,
            commands::create_household,
            commands::set_fields,
            commands::add_entry,
            commands::income_preview,
            commands::add_photo,
            commands::photo_url,
            commands::sign,
            commands::resolve_conflict,
            commands::conflicts,
            commands::history,
            commands::sync,
            commands::export_bundle,
            commands::import_bundle,
        ])
        .run(tauri::generate_context!())
        .expect("the Tauri runtime starts");
}
