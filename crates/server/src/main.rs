//! `hudang-server`: the county server's command line: set up a data directory, manage villages, users, enrolment
//! codes and devices, review conflicts and duplicates, and serve.
//!
//! This binary is the edge: it reads the clock (`HUDANG_NOW` pins it for tests) and makes ids and codes, then calls
//! the library. It must never touch the database except through the library.

use anyhow::Context;
use argon2::password_hash::SaltString;
use clap::{Parser, Subcommand};
use hudang_protocol::Role;
use hudang_server::export::{self, ExportKind};
use hudang_server::storage::Area;
use hudang_server::storage::Storage;
use hudang_server::{ServerConfig, ServerError, SqliteStorage, TlsPaths, accounts, console, county, ingest};
use serde_json::json;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(name = "hudang-server", version, about = "户档县级服务器")]
struct Cli {
    /// The data directory.
    #[arg(long, env = "HUDANG_SERVER_DATA", default_value = "./server-data", global = true)]
    data: PathBuf,
    /// Machine-readable output (JSON), and errors as `{"error": {"code", "message"}}`.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Creates the database and the server's id; refuses a directory that already has one.
    Init {
        /// The county the server serves.
        #[arg(long, default_value = "")]
        county: String,
    },
    /// Villages of the county.
    Village {
        #[command(subcommand)]
        command: VillageCommand,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Makes a one-time enrolment code for a user.
    EnrolCode {
        /// The user's id.
        #[arg(long)]
        user: Uuid,
        /// Days the code stays valid.
        #[arg(long, default_value_t = accounts::DEFAULT_ENROL_DAYS)]
        valid_days: i64,
    },
    /// Enrolled devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Field conflicts waiting for a person to choose.
    Conflicts {
        #[command(subcommand)]
        command: ConflictCommand,
    },
    /// ID numbers held in two or more households (likely duplicate families).
    Duplicates,
    /// Serves the sync API.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8780")]
        listen: SocketAddr,
        /// TLS certificate chain (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The county console's built pages (default: `console/` beside this program, or `ui/dist-console` of a
        /// source checkout).
        #[arg(long, env = "HUDANG_CONSOLE_DIR")]
        console: Option<PathBuf>,
    },
    /// Writes an xlsx export (what the console's 导出 page downloads) to a file.
    Export {
        /// households, members, inspections or findings.
        #[arg(long)]
        kind: String,
        /// One village (`乡镇/行政村`); the whole county when left out.
        #[arg(long)]
        village: Option<String>,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum VillageCommand {
    /// Adds a village.
    Add {
        /// The county's code for the village.
        #[arg(long)]
        code: String,
        /// 乡镇.
        #[arg(long)]
        township: String,
        /// 行政村.
        #[arg(long)]
        name: String,
    },
    /// Lists villages.
    List,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Adds a user and prints their id.
    Add {
        /// Name.
        #[arg(long)]
        name: String,
        /// worker, team_leader, county_staff or admin.
        #[arg(long)]
        role: Role,
        /// Village codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        villages: Vec<String>,
    },
    /// Lists users.
    List,
    /// Revokes a user: their devices are refused from their next request on.
    Revoke {
        /// The user's id.
        id: Uuid,
    },
    /// Sets a user's county console password, read from the first line of standard input (so it stays out of
    /// the shell history and the process list).
    Password {
        /// The user's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum DeviceCommand {
    /// Lists devices.
    List,
    /// Revokes a device.
    Revoke {
        /// The device's id.
        id: Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum ConflictCommand {
    /// Lists open conflicts with every value and who wrote it.
    List,
    /// Settles a conflict by writing the chosen value (JSON) as a change every device pulls.
    Resolve {
        /// The household.
        #[arg(long)]
        household: Uuid,
        /// The field path, e.g. `phone` or `members/<uuid>/name`.
        #[arg(long)]
        path: String,
        /// The chosen value as JSON, e.g. `"13800000001"`.
        #[arg(long)]
        value: String,
        /// Who chose it.
        #[arg(long)]
        user: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    if let Err(error) = run(cli) {
        let (code, message) = match error.downcast_ref::<ServerError>() {
            Some(e) => (e.code().to_string(), e.to_string()),
            None => ("server.error".to_string(), format!("{error:#}")),
        };
        if json {
            eprintln!("{}", json!({ "error": { "code": code, "message": message } }));
        } else {
            eprintln!("错误：{message}");
        }
        std::process::exit(1);
    }
}

fn print(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
    if json {
        println!("{value}");
    } else {
        println!("{}", text());
    }
}

fn time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let now = hudang_server::now();
    let json = cli.json;
    if let Command::Init { county } = &cli.command {
        let storage = SqliteStorage::init(&cli.data, Uuid::new_v4(), county, now)?;
        let id = storage.server_id();
        print(json, json!({ "server_id": id }), || format!("已创建服务器 {id}（{}）", cli.data.display()));
        return Ok(());
    }
    let storage = SqliteStorage::open(&cli.data)?;
    let rebuilt = ingest::rebuild_stale_projections(&storage, now)?;
    if rebuilt > 0 {
        eprintln!("已按新版本重建 {rebuilt} 户的统计数据");
    }
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Village { command: VillageCommand::Add { code, township, name } } => {
            let village = accounts::create_village(&storage, &code, &township, &name)?;
            print(json, json!(village), || format!("已添加村 {} {}", village.code, village.key()));
        }
        Command::Village { command: VillageCommand::List } => {
            let villages = storage.villages()?;
            print(json, json!(villages), || {
                villages.iter().map(|v| format!("{}\t{}", v.code, v.key())).collect::<Vec<_>>().join("\n")
            });
        }
        Command::User { command: UserCommand::Add { name, role, villages } } => {
            let user = accounts::create_user(&storage, Uuid::new_v4(), &name, role, &villages, now)?;
            print(json, json!({ "id": user.id }), || user.id.to_string());
        }
        Command::User { command: UserCommand::List } => {
            let users = storage.users()?;
            print(json, json!(users), || {
                users
                    .iter()
                    .map(|u| {
                        let state = if u.revoked_at.is_some() { "已停用" } else { "" };
                        format!("{}\t{}\t{}\t{}\t{state}", u.id, u.name, u.role.label(), u.villages.join(","))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::User { command: UserCommand::Revoke { id } } => {
            storage.revoke_user(id, now)?;
            print(json, json!({ "revoked": id }), || format!("已停用用户 {id}"));
        }
        Command::User { command: UserCommand::Password { name } } => {
            let user = storage
                .users()?
                .into_iter()
                .find(|u| u.name == name.trim() && u.revoked_at.is_none())
                .ok_or_else(|| ServerError::NotFound(format!("在用账号 {name}")))?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("读取密码失败")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let mut salt = [0u8; 16];
            rand::Rng::fill(&mut rand::rng(), &mut salt);
            let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
            console::set_password(&storage, user.id, password, &salt)?;
            print(json, json!({ "id": user.id }), || format!("已设置 {} 的控制台密码", user.name));
        }
        Command::Export { kind, village, out } => {
            let kind = ExportKind::from_code(&kind).ok_or_else(|| {
                ServerError::InvalidInput(format!(
                    "导出种类应为 households、members、inspections 或 findings，收到 {kind}"
                ))
            })?;
            let file = std::io::BufWriter::new(
                std::fs::File::create(&out).with_context(|| format!("无法创建文件 {}", out.display()))?,
            );
            let rows = export::write_xlsx(&storage, kind, &Area::County, village.as_deref(), file)?;
            print(json, json!({ "rows": rows, "file": out }), || {
                format!("已导出{} {rows} 行到 {}", kind.label(), out.display())
            });
        }
        Command::EnrolCode { user, valid_days } => {
            let code = accounts::new_enrol_code(&mut rand::rng());
            let expires = accounts::create_enrol_code(&storage, user, &code, valid_days, now)?;
            print(json, json!({ "code": code, "expires_at": expires }), || {
                format!("{code}（{} 前有效，只能使用一次）", expires.to_rfc3339())
            });
        }
        Command::Device { command: DeviceCommand::List } => {
            let devices = storage.devices()?;
            print(json, json!(devices), || {
                devices
                    .iter()
                    .map(|d| {
                        let state = if d.revoked_at.is_some() { "已停用" } else { "" };
                        format!("{}\t{}\t{}\t最近同步 {}\t{state}", d.id, d.name, d.user_name, time(&d.last_seen_at))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Device { command: DeviceCommand::Revoke { id } } => {
            storage.revoke_device(id, now)?;
            print(json, json!({ "revoked": id }), || format!("已停用设备 {id}"));
        }
        Command::Conflicts { command: ConflictCommand::List } => {
            let conflicts = county::conflicts(&storage)?;
            print(json, json!(conflicts), || {
                let mut out = Vec::new();
                for c in &conflicts {
                    out.push(format!("{} {}（{}）· {}", c.household, c.head_name, c.village_key, c.conflict.label));
                    for candidate in &c.conflict.candidates {
                        let p = &candidate.provenance;
                        out.push(format!("    {}  ——{} {}", candidate.value, p.user, p.at.to_rfc3339()));
                    }
                }
                if out.is_empty() { "没有待处理的冲突".into() } else { out.join("\n") }
            });
        }
        Command::Conflicts { command: ConflictCommand::Resolve { household, path, value, user } } => {
            let value: serde_json::Value =
                serde_json::from_str(&value).context("--value 应为 JSON，例如 \"13800000001\" 或 3")?;
            let resolution = county::resolve_conflict(&storage, household, &path, &value, &user, now)?;
            print(json, json!(resolution), || format!("已处理冲突：{path}（修改 {}）", &resolution.change[..12]));
        }
        Command::Duplicates => {
            let duplicates = county::duplicates(&storage)?;
            print(json, json!(duplicates), || {
                let mut out = Vec::new();
                for d in &duplicates {
                    out.push(format!("身份证号 {}：", d.id_number));
                    for h in &d.households {
                        out.push(format!("    {} {}（{}）", h.id, h.head_name, h.village_key));
                    }
                }
                if out.is_empty() { "没有疑似重复户".into() } else { out.join("\n") }
            });
        }
        Command::Serve { listen, tls_cert, tls_key, console } => {
            drop(storage);
            let console_dir = console.or_else(find_console_pages);
            match &console_dir {
                Some(dir) if dir.join("index.html").is_file() => {}
                Some(dir) => eprintln!("警告：{} 中没有 index.html，县级控制台页面打不开", dir.display()),
                None => eprintln!("警告：没有找到县级控制台页面（ui/dist-console），只提供同步接口"),
            }
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(TlsPaths { cert, key }),
                _ => None,
            };
            if tls.is_none() && !listen.ip().is_loopback() {
                eprintln!(
                    "警告：未配置 TLS，正在以明文 HTTP 监听非本机地址 {listen}；令牌和户档将以明文传输，仅供测试使用"
                );
            }
            let server = hudang_server::spawn(ServerConfig { data_dir: cli.data.clone(), listen, tls, console_dir })?;
            let mut stdout = std::io::stdout();
            writeln!(stdout, "listening on {}", server.url())?;
            stdout.flush()?;
            server.wait()?;
        }
    }
    Ok(())
}

/// Where the console's pages are when no `--console` is given: `console/` beside the program (an installed
/// server), else `ui/dist-console` of the source checkout the program was built in (`target/<profile>/`).
fn find_console_pages() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let beside = exe.parent()?.join("console");
    let checkout = exe.parent()?.parent()?.parent()?.join("ui").join("dist-console");
    [beside, checkout].into_iter().find(|dir| dir.join("index.html").is_file())
}
