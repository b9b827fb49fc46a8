//! [`SqliteStorage`]: one SQLite file `<data>/server.sqlite3` plus photo files.
//!
//! WAL with `synchronous=FULL`: a push that was answered is on disk, whatever happens to the power next. Writes go
//! through one connection behind a mutex (SQLite has one writer anyway); reads take a connection from a small pool,
//! so a pull never waits for a push.

use super::photo_files::PhotoFiles;
use super::transaction::{SqliteTransaction, parse_time, parse_uuid};
use super::{
    Area, ConsoleSession, DeviceRecord, EnrolCodeRecord, LoginRecord, Reader, Session, Storage, UserRecord, Writer,
    schema,
};
use crate::error::{Result, ServerError};
use chrono::{DateTime, Utc};
use hudang_protocol::{Role, SessionInfo, UploadState, UserInfo, Village};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "server.sqlite3";

/// Read connections kept open for reuse; more are opened when needed and closed when the pool is full.
const READ_POOL: usize = 4;

/// The county server's storage in SQLite.
#[derive(Debug)]
pub struct SqliteStorage {
    path: PathBuf,
    server_id: Uuid,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    photos: PhotoFiles,
    // Photo uploads of the same id must not interleave their appends; uploads are rare enough for one lock.
    uploads: Mutex<()>,
}

fn open_connection(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn is_constraint(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl SqliteStorage {
    /// Creates a new server in `data_dir` with the given id; refuses a directory that already holds one.
    pub fn init(data_dir: &Path, server_id: Uuid, county: &str, now: DateTime<Utc>) -> Result<Self> {
        let path = data_dir.join(DATABASE_FILE);
        if path.exists() {
            return Err(ServerError::AlreadyInitialised(data_dir.display().to_string()));
        }
        std::fs::create_dir_all(data_dir)?;
        let mut conn = open_connection(&path, true)?;
        schema::migrate(&mut conn)?;
        let tx = conn.transaction()?;
        for (key, value) in
            [("server_id", server_id.to_string()), ("county", county.to_string()), ("created_at", now.to_rfc3339())]
        {
            tx.execute("INSERT INTO meta(key, value) VALUES (?1, ?2)", params![key, value])?;
        }
        // A new server has no documents, so nothing a migration marked stale needs rebuilding.
        tx.execute("DELETE FROM meta WHERE key = 'projections_stale'", [])?;
        tx.commit()?;
        drop(conn);
        Self::open(data_dir)
    }

    /// Opens the server in `data_dir`, bringing its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            return Err(ServerError::NotInitialised(data_dir.display().to_string()));
        }
        let mut writer = open_connection(&path, false)?;
        schema::migrate(&mut writer)?;
        let server_id: String = writer.query_row("SELECT value FROM meta WHERE key = 'server_id'", [], |r| r.get(0))?;
        Ok(SqliteStorage {
            server_id: parse_uuid(&server_id)?,
            photos: PhotoFiles::new(data_dir)?,
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            uploads: Mutex::new(()),
        })
    }

    /// Opens the server in `data_dir`, creating it with `new_server_id` if there is none yet.
    pub fn open_or_init(data_dir: &Path, new_server_id: Uuid, county: &str, now: DateTime<Utc>) -> Result<Self> {
        if data_dir.join(DATABASE_FILE).exists() {
            Self::open(data_dir)
        } else {
            Self::init(data_dir, new_server_id, county, now)
        }
    }

    /// The database file.
    pub fn database_path(&self) -> &Path {
        &self.path
    }

    fn with_writer<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        work(&mut conn)
    }

    fn with_reader<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path, false)?,
        };
        let out = work(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < READ_POOL {
            pool.push(conn);
        }
        out
    }

    fn user_villages(conn: &Connection, user: &str) -> Result<Vec<Village>> {
        let mut stmt = conn.prepare_cached(
            "SELECT v.code, v.township, v.name FROM user_villages uv JOIN villages v ON v.code = uv.village_code
             WHERE uv.user_id = ?1 ORDER BY v.code",
        )?;
        let rows = stmt.query_map([user], |r| Ok(Village { code: r.get(0)?, township: r.get(1)?, name: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn all_villages(conn: &Connection) -> Result<Vec<Village>> {
        let mut stmt = conn.prepare_cached("SELECT code, township, name FROM villages ORDER BY code")?;
        let rows = stmt.query_map([], |r| Ok(Village { code: r.get(0)?, township: r.get(1)?, name: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn session_of(conn: &Connection, device: Uuid, user: UserInfo) -> Result<Session> {
        let area = if user.role.sees_whole_county() {
            Area::County
        } else {
            Area::Villages(Self::user_villages(conn, &user.id.to_string())?.iter().map(Village::key).collect())
        };
        Ok(Session { user, device_id: device, area })
    }
}

/// Refuses village codes the county has not added (a user's area names villages by code).
fn require_villages(conn: &Connection, codes: &[String]) -> Result<()> {
    for code in codes {
        let known: Option<i64> =
            conn.query_row("SELECT 1 FROM villages WHERE code = ?1", [code], |r| r.get(0)).optional()?;
        if known.is_none() {
            return Err(ServerError::InvalidInput(format!("没有代码为 {code} 的村，请先添加该村")));
        }
    }
    Ok(())
}

type EnrolCodeParts = (Vec<u8>, String, String, String, String, Option<String>, Option<String>);

fn enrol_code_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<EnrolCodeParts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn enrol_code_record(parts: EnrolCodeParts) -> Result<EnrolCodeRecord> {
    let (hash, user_id, user_name, created_at, expires_at, used_at, revoked_at) = parts;
    Ok(EnrolCodeRecord {
        id: hex::encode(hash),
        user_id: parse_uuid(&user_id)?,
        user_name,
        created_at: parse_time(&created_at)?,
        expires_at: parse_time(&expires_at)?,
        used_at: used_at.as_deref().map(parse_time).transpose()?,
        revoked_at: revoked_at.as_deref().map(parse_time).transpose()?,
    })
}

fn parse_role(text: &str) -> Result<Role> {
    text.parse().map_err(|e: String| ServerError::Database(e))
}

impl Storage for SqliteStorage {
    fn server_id(&self) -> Uuid {
        self.server_id
    }

    fn county(&self) -> Result<String> {
        self.with_reader(|conn| {
            let county: Option<String> =
                conn.query_row("SELECT value FROM meta WHERE key = 'county'", [], |r| r.get(0)).optional()?;
            Ok(county.unwrap_or_default())
        })
    }

    fn add_village(&self, village: &Village) -> Result<()> {
        if village.code.trim().is_empty() || village.township.trim().is_empty() || village.name.trim().is_empty() {
            return Err(ServerError::InvalidInput("村代码、乡镇和村名都不能为空".into()));
        }
        self.with_writer(|conn| {
            conn.execute(
                "INSERT INTO villages(code, township, name, key) VALUES (?1, ?2, ?3, ?4)",
                params![village.code.trim(), village.township.trim(), village.name.trim(), village.key()],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    ServerError::InvalidInput(format!("村代码 {} 或村 {} 已存在", village.code, village.key()))
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
    }

    fn villages(&self) -> Result<Vec<Village>> {
        self.with_reader(Self::all_villages)
    }

    fn add_user(&self, user: &UserRecord) -> Result<()> {
        if user.name.trim().is_empty() {
            return Err(ServerError::InvalidInput("用户姓名不能为空".into()));
        }
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            // The console logs in by name, so two active users may not share one.
            let taken: Option<i64> = tx
                .query_row("SELECT 1 FROM users WHERE name = ?1 AND revoked_at IS NULL", [user.name.trim()], |r| {
                    r.get(0)
                })
                .optional()?;
            if taken.is_some() {
                return Err(ServerError::InvalidInput(format!(
                    "已有名为 {} 的在用账号，请用全名或加以区分",
                    user.name.trim()
                )));
            }
            require_villages(&tx, &user.villages)?;
            tx.execute(
                "INSERT INTO users(id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user.id.to_string(), user.name.trim(), user.role.code(), user.created_at.to_rfc3339()],
            )
            .map_err(|e| {
                if is_constraint(&e) { ServerError::InvalidInput("用户编号已存在".into()) } else { e.into() }
            })?;
            for code in &user.villages {
                tx.execute(
                    "INSERT OR IGNORE INTO user_villages(user_id, village_code) VALUES (?1, ?2)",
                    params![user.id.to_string(), code],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn users(&self) -> Result<Vec<UserRecord>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, role, created_at, revoked_at, password_hash IS NOT NULL FROM users ORDER BY name, id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?),
                    r.get::<_, bool>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let ((id, name, role, created_at, revoked_at), has_password): (
                    (String, String, String, String, Option<String>),
                    bool,
                ) = row?;
                let villages = Self::user_villages(conn, &id)?.into_iter().map(|v| v.code).collect();
                out.push(UserRecord {
                    id: parse_uuid(&id)?,
                    name,
                    role: parse_role(&role)?,
                    villages,
                    created_at: parse_time(&created_at)?,
                    revoked_at: revoked_at.as_deref().map(parse_time).transpose()?,
                    has_password,
                });
            }
            Ok(out)
        })
    }

    fn revoke_user(&self, user: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.with_writer(|conn| {
            let known: Option<i64> =
                conn.query_row("SELECT 1 FROM users WHERE id = ?1", [user.to_string()], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(ServerError::NotFound(format!("用户 {user}")));
            }
            conn.execute(
                "UPDATE users SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![user.to_string(), at.to_rfc3339()],
            )?;
            conn.execute("DELETE FROM console_sessions WHERE user_id = ?1", [user.to_string()])?;
            Ok(())
        })
    }

    fn set_user_villages(&self, user: Uuid, villages: &[String]) -> Result<()> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let known: Option<i64> =
                tx.query_row("SELECT 1 FROM users WHERE id = ?1", [user.to_string()], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(ServerError::NotFound(format!("用户 {user}")));
            }
            require_villages(&tx, villages)?;
            tx.execute("DELETE FROM user_villages WHERE user_id = ?1", [user.to_string()])?;
            for code in villages {
                tx.execute(
                    "INSERT OR IGNORE INTO user_villages(user_id, village_code) VALUES (?1, ?2)",
                    params![user.to_string(), code],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn add_enrol_code(
        &self,
        code_hash: [u8; 32],
        user: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.with_writer(|conn| {
            let revoked: Option<Option<String>> = conn
                .query_row("SELECT revoked_at FROM users WHERE id = ?1", [user.to_string()], |r| r.get(0))
                .optional()?;
            match revoked {
                None => return Err(ServerError::NotFound(format!("用户 {user}"))),
                Some(Some(_)) => return Err(ServerError::InvalidInput("该用户已停用，不能再发登记码".into())),
                Some(None) => {}
            }
            conn.execute(
                "INSERT INTO enrol_codes(code_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![&code_hash[..], user.to_string(), created_at.to_rfc3339(), expires_at.to_rfc3339()],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    ServerError::InvalidInput("登记码重复，请重试".into())
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
    }

    fn enrol(
        &self,
        code_hash: [u8; 32],
        device: Uuid,
        device_name: &str,
        token_hash: [u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Session> {
        self.with_writer(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, String, Option<String>)> = tx
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM enrol_codes WHERE code_hash = ?1 AND revoked_at IS NULL",
                    [&code_hash[..]],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((user_id, expires_at, None)) = found else { return Err(ServerError::InvalidEnrolCode) };
            if parse_time(&expires_at)? <= at {
                return Err(ServerError::InvalidEnrolCode);
            }
            let (name, role, revoked): (String, String, Option<String>) =
                tx.query_row("SELECT name, role, revoked_at FROM users WHERE id = ?1", [&user_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            if revoked.is_some() {
                return Err(ServerError::InvalidEnrolCode);
            }
            tx.execute(
                "UPDATE enrol_codes SET used_at = ?2, used_by_device = ?3 WHERE code_hash = ?1",
                params![&code_hash[..], at.to_rfc3339(), device.to_string()],
            )?;
            // Enrolling again (a reinstalled app, a new user on the tablet) replaces the device's token and owner;
            // the old token stops working at once.
            tx.execute(
                "INSERT INTO devices(id, user_id, name, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
                    token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL",
                params![device.to_string(), user_id, device_name, &token_hash[..], at.to_rfc3339()],
            )?;
            let user = UserInfo { id: parse_uuid(&user_id)?, name: name.clone(), role: parse_role(&role)? };
            let session = Self::session_of(&tx, device, user)?;
            SqliteTransaction::new(&tx).audit(&super::AuditEntry {
                at,
                user: name,
                device: Some(device),
                action: "enrol".into(),
                household: None,
                detail: device_name.to_string(),
            })?;
            tx.commit()?;
            Ok(session)
        })
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare(
                "SELECT d.id, d.user_id, u.name, d.name, d.enrolled_at, d.revoked_at, d.last_seen_at
                 FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.enrolled_at, d.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, user_id, user_name, name, enrolled_at, revoked_at, last_seen_at) = row?;
                out.push(DeviceRecord {
                    id: parse_uuid(&id)?,
                    user_id: parse_uuid(&user_id)?,
                    user_name,
                    name,
                    enrolled_at: parse_time(&enrolled_at)?,
                    revoked_at: revoked_at.as_deref().map(parse_time).transpose()?,
                    last_seen_at: last_seen_at.as_deref().map(parse_time).transpose()?,
                });
            }
            Ok(out)
        })
    }

    fn revoke_device(&self, device: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.with_writer(|conn| {
            let known: Option<i64> =
                conn.query_row("SELECT 1 FROM devices WHERE id = ?1", [device.to_string()], |r| r.get(0)).optional()?;
            if known.is_none() {
                return Err(ServerError::NotFound(format!("设备 {device}")));
            }
            conn.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![device.to_string(), at.to_rfc3339()],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: [u8; 32]) -> Result<Session> {
        self.with_reader(|conn| {
            struct TokenOwner {
                device: String,
                user: String,
                name: String,
                role: String,
                revoked: bool,
            }
            let found = conn
                .prepare_cached(
                    "SELECT d.id, u.id, u.name, u.role, d.revoked_at IS NOT NULL OR u.revoked_at IS NOT NULL
                     FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1",
                )?
                .query_row([&token_hash[..]], |r| {
                    Ok(TokenOwner {
                        device: r.get(0)?,
                        user: r.get(1)?,
                        name: r.get(2)?,
                        role: r.get(3)?,
                        revoked: r.get(4)?,
                    })
                })
                .optional()?;
            let Some(owner) = found else { return Err(ServerError::InvalidToken) };
            if owner.revoked {
                return Err(ServerError::Revoked);
            }
            let user = UserInfo { id: parse_uuid(&owner.user)?, name: owner.name, role: parse_role(&owner.role)? };
            Self::session_of(conn, parse_uuid(&owner.device)?, user)
        })
    }

    fn session_info(&self, session: &Session) -> Result<SessionInfo> {
        self.with_reader(|conn| {
            let villages = match session.area {
                Area::County => Self::all_villages(conn)?,
                Area::Villages(_) => Self::user_villages(conn, &session.user.id.to_string())?,
            };
            Ok(SessionInfo { user: session.user.clone(), device_id: session.device_id, villages })
        })
    }

    fn set_password(&self, user: Uuid, hash: Option<&str>, keep: Option<[u8; 32]>) -> Result<()> {
        self.with_writer(|conn| {
            let tx = conn.transaction()?;
            let changed =
                tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user.to_string(), hash])?;
            if changed == 0 {
                return Err(ServerError::NotFound(format!("用户 {user}")));
            }
            let keep = keep.map(|k| k.to_vec()).unwrap_or_default();
            tx.execute(
                "DELETE FROM console_sessions WHERE user_id = ?1 AND token_hash != ?2",
                params![user.to_string(), keep],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn login_record(&self, name: &str) -> Result<Option<LoginRecord>> {
        self.with_reader(|conn| {
            let found: Option<(String, String, String, Option<String>)> = conn
                .query_row(
                    "SELECT id, name, role, password_hash FROM users WHERE name = ?1 AND revoked_at IS NULL",
                    [name.trim()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            found
                .map(|(id, name, role, password_hash)| {
                    Ok(LoginRecord {
                        user: UserInfo { id: parse_uuid(&id)?, name, role: parse_role(&role)? },
                        password_hash,
                    })
                })
                .transpose()
        })
    }

    fn add_console_session(
        &self,
        token_hash: [u8; 32],
        user: Uuid,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.with_writer(|conn| {
            // Old sessions are swept here rather than by a timer: logins are rare and this keeps the table small.
            conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?1", [created_at.to_rfc3339()])?;
            conn.execute(
                "INSERT INTO console_sessions(token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![&token_hash[..], user.to_string(), created_at.to_rfc3339(), expires_at.to_rfc3339()],
            )?;
            Ok(())
        })
    }

    fn console_session(&self, token_hash: [u8; 32], now: DateTime<Utc>) -> Result<ConsoleSession> {
        self.with_reader(|conn| {
            let found: Option<(String, String, String, String, bool)> = conn
                .prepare_cached(
                    "SELECT u.id, u.name, u.role, s.expires_at, u.revoked_at IS NOT NULL OR u.password_hash IS NULL
                     FROM console_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
                )?
                .query_row([&token_hash[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .optional()?;
            let Some((id, name, role, expires_at, closed)) = found else { return Err(ServerError::NoConsoleSession) };
            let expires_at = parse_time(&expires_at)?;
            if closed || expires_at <= now {
                return Err(ServerError::NoConsoleSession);
            }
            let user = UserInfo { id: parse_uuid(&id)?, name, role: parse_role(&role)? };
            let area = Self::session_of(conn, Uuid::nil(), user.clone())?.area;
            Ok(ConsoleSession { user, area, expires_at, token_hash })
        })
    }

    fn end_console_session(&self, token_hash: [u8; 32]) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute("DELETE FROM console_sessions WHERE token_hash = ?1", [&token_hash[..]])?;
            Ok(())
        })
    }

    fn area_villages(&self, area: &Area) -> Result<Vec<Village>> {
        let mut villages = self.with_reader(Self::all_villages)?;
        villages.retain(|v| area.contains(&v.key()));
        Ok(villages)
    }

    fn enrol_codes(&self) -> Result<Vec<EnrolCodeRecord>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare(
                "SELECT c.code_hash, c.user_id, u.name, c.created_at, c.expires_at, c.used_at, c.revoked_at
                 FROM enrol_codes c JOIN users u ON u.id = c.user_id ORDER BY c.created_at DESC, c.code_hash",
            )?;
            let rows = stmt.query_map([], enrol_code_parts)?;
            rows.map(|row| enrol_code_record(row?)).collect()
        })
    }

    fn revoke_enrol_code(&self, id: &str, at: DateTime<Utc>) -> Result<EnrolCodeRecord> {
        let hash = hex::decode(id.trim())
            .ok()
            .filter(|h| h.len() == 32)
            .ok_or_else(|| ServerError::NotFound(format!("登记码 {id}")))?;
        self.with_writer(|conn| {
            let parts = conn
                .query_row(
                    "SELECT c.code_hash, c.user_id, u.name, c.created_at, c.expires_at, c.used_at, c.revoked_at
                     FROM enrol_codes c JOIN users u ON u.id = c.user_id WHERE c.code_hash = ?1",
                    [&hash[..]],
                    enrol_code_parts,
                )
                .optional()?
                .ok_or_else(|| ServerError::NotFound(format!("登记码 {id}")))?;
            if parts.5.is_some() {
                return Err(ServerError::InvalidInput("该登记码已被设备使用，不能撤销；如需停用请撤销设备".into()));
            }
            conn.execute(
                "UPDATE enrol_codes SET revoked_at = ?2 WHERE code_hash = ?1 AND revoked_at IS NULL",
                params![&hash[..], at.to_rfc3339()],
            )?;
            let mut record = enrol_code_record(parts)?;
            record.revoked_at.get_or_insert(at);
            Ok(record)
        })
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Reader) -> Result<()>) -> Result<()> {
        self.with_reader(|conn| {
            // One transaction, so every read sees the same snapshot (a pull's page and its cursor agree).
            let tx = conn.unchecked_transaction()?;
            work(&mut SqliteTransaction::new(&tx))?;
            tx.commit()?;
            Ok(())
        })
    }

    fn write(&self, work: &mut dyn FnMut(&mut dyn Writer) -> Result<()>) -> Result<()> {
        self.with_writer(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            work(&mut SqliteTransaction::new(&tx))?;
            tx.commit()?;
            Ok(())
        })
    }

    fn missing_photos(&self, sha256: &[String]) -> Result<Vec<String>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached("SELECT 1 FROM photos WHERE sha256 = ?1")?;
            let mut missing = Vec::new();
            for sha in sha256 {
                if !stmt.exists([sha])? && !missing.contains(sha) {
                    missing.push(sha.clone());
                }
            }
            Ok(missing)
        })
    }

    fn photo_upload_state(&self, sha256: &str) -> Result<UploadState> {
        let stored: Option<i64> = self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT bytes FROM photos WHERE sha256 = ?1")?
                .query_row([sha256], |r| r.get(0))
                .optional()?)
        })?;
        match stored {
            Some(bytes) => Ok(UploadState { received: bytes as u64, complete: true }),
            None => Ok(UploadState { received: self.photos.partial_len(sha256)?, complete: false }),
        }
    }

    fn put_photo_chunk(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
        at: DateTime<Utc>,
    ) -> Result<UploadState> {
        let _upload = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        let state = self.photo_upload_state(sha256)?;
        if state.complete {
            return Ok(state);
        }
        if offset != state.received {
            return Err(ServerError::OffsetMismatch { received: state.received });
        }
        if offset + chunk.len() as u64 > total {
            return Err(ServerError::Malformed(format!("分块超出照片总长度 {total}")));
        }
        let received = if chunk.is_empty() { offset } else { self.photos.append(sha256, chunk)? };
        if received < total {
            return Ok(UploadState { received, complete: false });
        }
        // The file is in place before its row exists, so a row never names missing bytes.
        self.photos.finish(sha256)?;
        self.with_writer(|conn| {
            conn.execute(
                "INSERT OR IGNORE INTO photos(sha256, bytes, stored_at) VALUES (?1, ?2, ?3)",
                params![sha256, total as i64, at.to_rfc3339()],
            )?;
            Ok(())
        })?;
        Ok(UploadState { received: total, complete: true })
    }

    fn read_photo(&self, sha256: &str, offset: u64) -> Result<Vec<u8>> {
        self.photos.read_from(sha256, offset)
    }
}
