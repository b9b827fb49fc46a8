//! Users, villages, enrolment codes and tokens: what county staff do to let a device in, and how a request proves
//! who sent it.
//!
//! Secrets are never stored: an enrolment code and a token are kept only as their sha256. Codes and tokens are
//! made by the caller (the CLI or the HTTP layer) from a random source it passes in; nothing here reads a clock.

use crate::error::{Result, ServerError};
use crate::storage::{Session, Storage, UserRecord};
use chrono::{DateTime, Duration, Utc};
use hudang_protocol::{EnrolRequest, EnrolResponse, Role, Village};
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Letters and digits of enrolment codes: no 0/O, 1/I/L, so a code read aloud or copied by hand survives.
pub const ENROL_CODE_ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in an enrolment code (without the dash).
pub const ENROL_CODE_LENGTH: usize = 10;
/// How long an enrolment code stays valid unless told otherwise.
pub const DEFAULT_ENROL_DAYS: i64 = 7;
/// The longest an enrolment code may stay valid: a code is a key to the county's data while unused.
pub const MAX_ENROL_DAYS: i64 = 90;

/// A fresh enrolment code, grouped for reading (`ABCDE-FGHJK`).
pub fn new_enrol_code(rng: &mut impl Rng) -> String {
    let alphabet = ENROL_CODE_ALPHABET.as_bytes();
    let code: String = (0..ENROL_CODE_LENGTH).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect();
    format!("{}-{}", &code[..5], &code[5..])
}

/// A fresh bearer token: 32 random bytes in hex.
pub fn new_token(rng: &mut impl Rng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    hex::encode(bytes)
}

/// An enrolment code as typed, normalised: dashes and spaces dropped, upper case.
pub fn normalise_enrol_code(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

/// What the server stores of an enrolment code.
pub fn enrol_code_hash(text: &str) -> [u8; 32] {
    Sha256::digest(normalise_enrol_code(text).as_bytes()).into()
}

/// What the server stores of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// Adds a village of the county.
pub fn create_village(storage: &dyn Storage, code: &str, township: &str, name: &str) -> Result<Village> {
    let village = Village { code: code.trim().into(), township: township.trim().into(), name: name.trim().into() };
    storage.add_village(&village)?;
    Ok(village)
}

/// Adds a user with a role and, for workers and team leaders, the villages they work in.
pub fn create_user(
    storage: &dyn Storage,
    id: Uuid,
    name: &str,
    role: Role,
    villages: &[String],
    now: DateTime<Utc>,
) -> Result<UserRecord> {
    let user = UserRecord {
        id,
        name: name.trim().to_string(),
        role,
        villages: villages.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect(),
        created_at: now,
        revoked_at: None,
        has_password: false,
    };
    storage.add_user(&user)?;
    Ok(user)
}

/// Stores a one-time enrolment code for a user, valid for `valid_days`; returns when it expires.
pub fn create_enrol_code(
    storage: &dyn Storage,
    user: Uuid,
    code: &str,
    valid_days: i64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    if normalise_enrol_code(code).chars().count() != ENROL_CODE_LENGTH {
        return Err(ServerError::InvalidInput(format!("登记码应为 {ENROL_CODE_LENGTH} 个字符")));
    }
    if !(1..=MAX_ENROL_DAYS).contains(&valid_days) {
        return Err(ServerError::InvalidInput(format!("有效天数应在 1 到 {MAX_ENROL_DAYS} 天之间")));
    }
    let expires = now + Duration::days(valid_days);
    storage.add_enrol_code(enrol_code_hash(code), user, now, expires)?;
    Ok(expires)
}

/// Exchanges an enrolment code for `token` (made by the caller); the code cannot be used again.
pub fn enrol(storage: &dyn Storage, request: &EnrolRequest, token: &str, now: DateTime<Utc>) -> Result<EnrolResponse> {
    let name = request.device_name.trim();
    let session = storage.enrol(enrol_code_hash(&request.code), request.device_id, name, token_hash(token), now)?;
    Ok(EnrolResponse {
        token: token.to_string(),
        server_id: storage.server_id(),
        session: storage.session_info(&session)?,
    })
}

/// The session of a request's `Authorization` header value; checked against storage every time.
pub fn authenticate(storage: &dyn Storage, authorization: Option<&str>) -> Result<Session> {
    let token = authorization
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ServerError::MissingToken)?;
    storage.session(token_hash(token))
}
