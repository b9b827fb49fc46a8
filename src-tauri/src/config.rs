//! Where the app keeps its data and which server it offers, from arguments and the environment.

use std::path::PathBuf;

/// The app's start-up settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// The device store's directory.
    pub data_dir: PathBuf,
    /// A county server address to prefill the enrolment form.
    pub server: Option<String>,
    /// Where bundle exports go by default.
    pub export_dir: PathBuf,
}

impl AppConfig {
    /// Reads `--data-dir DIR`, `--server URL`, `--export-dir DIR` (or `--flag=value`), falling back to
    /// `HUDANG_DATA_DIR`, `HUDANG_SERVER`, `HUDANG_EXPORT_DIR`, then to the defaults the `hudang` command uses.
    /// Unknown arguments are ignored: WebKit and test drivers add their own.
    pub fn from_args_and_env(args: impl IntoIterator<Item = String>) -> AppConfig {
        let mut data_dir = None;
        let mut server = std::env::var("HUDANG_SERVER").ok().filter(|s| !s.is_empty());
        let mut export_dir = std::env::var_os("HUDANG_EXPORT_DIR").map(PathBuf::from);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next());
            match flag.as_str() {
                "--data-dir" => data_dir = value().map(PathBuf::from),
                "--server" => server = value(),
                "--export-dir" => export_dir = value().map(PathBuf::from),
                _ => {}
            }
        }
        let data_dir = data_dir.unwrap_or_else(hudang_cli::default_data_dir);
        let export_dir = export_dir.unwrap_or_else(|| {
            std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join("户档导出")
        });
        AppConfig { data_dir, server, export_dir }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_win_over_defaults_and_unknown_ones_are_ignored() {
        let args = ["--data-dir", "/tmp/a", "--webkit-flag", "--server=http://127.0.0.1:9", "--export-dir", "/tmp/x"];
        let config = AppConfig::from_args_and_env(args.iter().map(|s| s.to_string()));
        assert_eq!(config.data_dir, PathBuf::from("/tmp/a"));
        assert_eq!(config.server.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(config.export_dir, PathBuf::from("/tmp/x"));
    }
}
