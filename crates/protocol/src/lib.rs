//! The wire between a device and the county server (and between any two hops: tablet, team leader's laptop,
//! county): request and response types, routes, size limits, error codes, and the bundle file format.
//!
//! Sync bodies are [postcard](https://docs.rs/postcard) (compact binary, so a day's changes cost little more than
//! their own bytes); enrolment, session and error bodies are JSON. Photos travel as raw bytes.
//!
//! This crate holds no logic beyond encoding and verifying: it must never touch a database, the network, a clock
//! or randomness, and it must never depend on Automerge (change hashes are plain 32-byte arrays here).

pub mod bundle;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

pub use bundle::{Bundle, BundleError, BundleHousehold, BundlePhoto, Manifest};

/// The protocol version; routes carry it (`/api/v1/...`).
pub const API_VERSION: u32 = 1;

/// Content type of postcard bodies.
pub const SYNC_CONTENT_TYPE: &str = "application/x-hudang-sync";

/// Largest push body the server accepts. Clients aim well below it ([`PUSH_BATCH_BYTES`]).
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;
/// What a client puts in one push request before starting another, so a cut costs at most this much again.
pub const PUSH_BATCH_BYTES: usize = 512 * 1024;
/// Largest pull page a server sends, whatever the client asks for.
pub const MAX_PULL_BYTES: u32 = 2 * 1024 * 1024;
/// The pull page size clients ask for by default.
pub const PULL_PAGE_BYTES: u32 = 512 * 1024;
/// Largest photo (or signature) the server stores.
pub const MAX_PHOTO_BYTES: u64 = 16 * 1024 * 1024;
/// Largest chunk of a photo in one upload request.
pub const PHOTO_CHUNK_BYTES: usize = 256 * 1024;
/// Most photo hashes asked about in one request.
pub const MAX_PHOTO_QUERY: usize = 2_000;
/// Largest JSON body (enrolment and the like).
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Routes, relative to the server's base URL.
pub mod routes {
    /// `POST` JSON [`crate::EnrolRequest`] → [`crate::EnrolResponse`]. The only route without a token.
    pub const ENROL: &str = "/api/v1/enrol";
    /// `GET` → JSON [`crate::SessionInfo`]: who the token belongs to and their area.
    pub const SESSION: &str = "/api/v1/session";
    /// `POST` postcard [`crate::PushRequest`] → [`crate::PushResponse`].
    pub const PUSH: &str = "/api/v1/push";
    /// `POST` postcard [`crate::PullRequest`] → [`crate::PullResponse`].
    pub const PULL: &str = "/api/v1/pull";
    /// `GET /api/v1/households/{id}` → the whole document (Automerge bytes), for a device that lacks history.
    pub const HOUSEHOLD: &str = "/api/v1/households/{id}";
    /// `POST` postcard [`crate::PhotoQuery`] → [`crate::PhotoQuery`] holding the hashes the server lacks.
    pub const PHOTOS_MISSING: &str = "/api/v1/photos/missing";
    /// `GET /api/v1/photos/{sha256}?offset=N` → the photo's bytes from `offset` (download, resumable).
    /// `PUT /api/v1/photos/{sha256}?offset=N&total=T` with a chunk → postcard [`crate::UploadState`].
    /// `GET /api/v1/photos/{sha256}/upload` → postcard [`crate::UploadState`] (how much of an upload arrived).
    pub const PHOTO: &str = "/api/v1/photos/{sha256}";
    /// See [`PHOTO`].
    pub const PHOTO_UPLOAD: &str = "/api/v1/photos/{sha256}/upload";

    /// The path of one household.
    pub fn household(id: uuid::Uuid) -> String {
        format!("/api/v1/households/{id}")
    }

    /// The path of one photo.
    pub fn photo(sha256: &str) -> String {
        format!("/api/v1/photos/{sha256}")
    }
}

/// A change hash (sha256 of an Automerge change).
pub type Hash = [u8; 32];

/// What a user may do. Workers and team leaders are limited to their area; county staff and admins see the county.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 驻村工作队员: surveys households in their villages.
    Worker,
    /// 工作队长: also reviews conflicts and relays the team's work.
    TeamLeader,
    /// 县级工作人员: merges, checks and reports for the county.
    CountyStaff,
    /// 管理员: also manages users, villages and devices.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Worker, Role::TeamLeader, Role::CountyStaff, Role::Admin];

    /// The role as people name it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Worker => "工作队员",
            Role::TeamLeader => "工作队长",
            Role::CountyStaff => "县级工作人员",
            Role::Admin => "管理员",
        }
    }

    /// The role's stable code (as in JSON and on the command line).
    pub fn code(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::TeamLeader => "team_leader",
            Role::CountyStaff => "county_staff",
            Role::Admin => "admin",
        }
    }

    /// Whether the role sees the whole county rather than an area of villages.
    pub fn sees_whole_county(self) -> bool {
        matches!(self, Role::CountyStaff | Role::Admin)
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == text || r.label() == text)
            .ok_or_else(|| format!("未知角色“{text}”（可选：worker、team_leader、county_staff、admin）"))
    }
}

/// A village of the county: households belong to it by their 乡镇 and 行政村 names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    /// The county's code for the village (e.g. the 12-digit 统计用区划代码).
    pub code: String,
    /// 乡镇.
    pub township: String,
    /// 行政村.
    pub name: String,
}

impl Village {
    /// The key households are matched by: `乡镇/行政村`.
    pub fn key(&self) -> String {
        village_key(&self.township, &self.name)
    }
}

/// The key of a village by its township and name, as households record them.
pub fn village_key(township: &str, village: &str) -> String {
    format!("{}/{}", township.trim(), village.trim())
}

/// A user as the server describes them to a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user's id.
    pub id: Uuid,
    /// The user's name (goes into every change they make).
    pub name: String,
    /// What they may do.
    pub role: Role,
}

/// `POST /api/v1/enrol`: a device exchanges a one-time code for a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code county staff gave the user.
    pub code: String,
    /// The device install's id (its Automerge actor).
    pub device_id: Uuid,
    /// A name for the device, shown to county staff (e.g. "张三的平板").
    pub device_name: String,
}

/// The answer to an enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The bearer token; the server keeps only its hash, so this is the one time it is seen.
    pub token: String,
    /// The county server's id: a device's cursor belongs to one server.
    pub server_id: Uuid,
    /// The session the token opens.
    pub session: SessionInfo,
}

/// `GET /api/v1/session`: who a token belongs to and what they may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user.
    pub user: UserInfo,
    /// The device.
    pub device_id: Uuid,
    /// The villages the user works in (every village, for county roles).
    pub villages: Vec<Village>,
}

/// One household's changes in a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdChanges {
    /// The household.
    pub household: Uuid,
    /// Raw Automerge changes, each as `Change::raw_bytes()`, in an order where dependencies come first.
    pub changes: Vec<Vec<u8>>,
}

/// `POST /api/v1/push`: changes the server lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    /// Households and their changes.
    pub households: Vec<HouseholdChanges>,
}

/// What became of one household's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Applied (or already held); `heads` are the server's heads for the household afterwards.
    Applied {
        /// Changes the server did not have before.
        new_changes: u32,
        /// The server's heads after applying.
        heads: Vec<Hash>,
    },
    /// The changes build on history the server does not hold (it was restored from an older backup, say):
    /// the device should send the household's whole history.
    NeedHistory,
}

/// The answer to a push, one entry per household in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One outcome per household of the request.
    pub results: Vec<(Uuid, PushOutcome)>,
}

/// `POST /api/v1/pull`: changes accepted after `after` within the device's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The device's cursor: the last sequence number it has applied (0 at first).
    pub after: u64,
    /// Page size the device wants, in bytes of change data (the server caps it at [`MAX_PULL_BYTES`]).
    pub max_bytes: u32,
}

/// One change in a pull page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledChange {
    /// The household.
    pub household: Uuid,
    /// The raw Automerge change.
    pub bytes: Vec<u8>,
}

/// A page of changes. Changes come in the order the server accepted them, so each one's dependencies come first
/// (or are already on the device).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// The changes.
    pub changes: Vec<PulledChange>,
    /// The cursor to store once these changes are saved, and to send next time.
    pub next: u64,
    /// Whether more pages follow.
    pub more: bool,
}

/// A set of photo hashes: asked about, or the answer (those the server lacks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoQuery {
    /// Lower-case hex sha256 of each photo.
    pub sha256: Vec<String>,
}

/// How much of a photo upload the server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// Bytes received so far (the offset to send next).
    pub received: u64,
    /// The photo is complete, verified and stored.
    pub complete: bool,
}

/// An error as it crosses the wire: a stable code to match on and a message for people, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code, e.g. `auth.revoked` (see [`codes`]).
    pub code: String,
    /// What a person reads.
    pub message: String,
}

/// Wrapper used in error responses: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// Error codes the server sends. Clients match on these, never on messages.
pub mod codes {
    /// No token, or a token the server does not know.
    pub const AUTH_MISSING: &str = "auth.missing_token";
    /// The token is not known.
    pub const AUTH_INVALID: &str = "auth.invalid_token";
    /// The user or the device was revoked.
    pub const AUTH_REVOKED: &str = "auth.revoked";
    /// The enrolment code is unknown, used or expired.
    pub const ENROL_INVALID: &str = "enrol.invalid_code";
    /// The device or user may not touch that household.
    pub const OUTSIDE_AREA: &str = "sync.outside_area";
    /// The body is too large.
    pub const TOO_LARGE: &str = "request.too_large";
    /// The body could not be decoded.
    pub const MALFORMED: &str = "request.malformed";
    /// A change's bytes are not a valid Automerge change, or belong to another household.
    pub const BAD_CHANGE: &str = "sync.bad_change";
    /// A photo id is not a sha256.
    pub const BAD_PHOTO_ID: &str = "photo.bad_id";
    /// An upload chunk's offset does not match what the server holds.
    pub const OFFSET_MISMATCH: &str = "photo.offset_mismatch";
    /// A finished upload's bytes do not hash to its id.
    pub const HASH_MISMATCH: &str = "photo.hash_mismatch";
    /// Nothing by that id (that the caller may see).
    pub const NOT_FOUND: &str = "not_found";
    /// The server failed; nothing was changed.
    pub const INTERNAL: &str = "server.internal";
}

/// Whether text is a lower-case hex sha256, the only form a photo id may take (so no id can name a path).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("数据格式错误：{0}")]
pub struct DecodeError(String);

/// Encodes a sync body.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("protocol types always encode")
}

/// Decodes a sync body; trailing bytes are an error, so a body glued to another is not half-read.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|e| DecodeError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError(format!("多出 {} 字节", rest.len())));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_pull_is_a_few_bytes_each_way() {
        let request = encode(&PullRequest { after: 1_234_567, max_bytes: PULL_PAGE_BYTES });
        let response = encode(&PullResponse { changes: vec![], next: 1_234_567, more: false });
        assert!(request.len() <= 8, "{}", request.len());
        assert!(response.len() <= 6, "{}", response.len());
    }

    #[test]
    fn change_bytes_cost_their_length_plus_a_varint() {
        let push = PushRequest {
            households: vec![HouseholdChanges { household: Uuid::nil(), changes: vec![vec![7u8; 300]; 10] }],
        };
        let encoded = encode(&push);
        // 10 × (300 + 2-byte length) + a 16-byte uuid and three short lengths.
        assert!(encoded.len() <= 10 * 302 + 16 + 3, "{}", encoded.len());
        assert_eq!(decode::<PushRequest>(&encoded).unwrap(), push);
    }

    #[test]
    fn trailing_bytes_and_truncation_are_refused() {
        let mut bytes = encode(&PullRequest { after: 5, max_bytes: 10 });
        bytes.push(0);
        assert!(decode::<PullRequest>(&bytes).is_err());
        let bytes = encode(&PhotoQuery { sha256: vec!["a".repeat(64)] });
        assert!(decode::<PhotoQuery>(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn roles_parse_from_codes_and_labels() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>().unwrap(), role);
            assert_eq!(role.label().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn photo_ids_must_be_lowercase_hex_sha256() {
        assert!(is_sha256_hex(&"0f".repeat(32)));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&"0F".repeat(32)));
        assert!(!is_sha256_hex(&"0f".repeat(31)));
    }
}
