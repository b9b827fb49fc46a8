//! The server's one error type: a stable code for machines (the protocol's codes) and a Chinese message for people.

use hudang_protocol::codes;
use uuid::Uuid;

/// Everything that can go wrong on the server. Over HTTP each variant becomes
/// `{"error": {"code", "message"}}` with the status from [`ServerError::status`].
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The request carried no bearer token.
    #[error("缺少登录凭证，请先在设备上完成注册")]
    MissingToken,
    /// The token is not one the server issued.
    #[error("登录凭证无效，请重新注册设备")]
    InvalidToken,
    /// The device or its user was revoked.
    #[error("该设备或用户已被停用，请联系县级管理员")]
    Revoked,
    /// The enrolment code is unknown, already used or expired.
    #[error("登记码无效、已使用或已过期，请向县级工作人员索取新的登记码")]
    InvalidEnrolCode,
    /// A household lies outside the caller's villages.
    #[error("户 {0} 不在您负责的村范围内，本次上传未保存任何内容")]
    OutsideArea(Uuid),
    /// The body is larger than the route accepts.
    #[error("请求内容过大（上限 {limit} 字节）")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body could not be decoded.
    #[error("请求格式错误：{0}")]
    Malformed(String),
    /// A change is not a valid Automerge change, or not part of the household it was sent for.
    #[error("户 {household} 的修改记录无效：{reason}")]
    BadChange {
        /// The household the change was sent for.
        household: Uuid,
        /// Why it was refused.
        reason: String,
    },
    /// A photo id is not a lower-case hex sha256.
    #[error("照片编号无效")]
    BadPhotoId,
    /// An upload chunk does not start where the server's partial upload ends.
    #[error("照片上传位置不符：服务器已收到 {received} 字节，请从该位置继续")]
    OffsetMismatch {
        /// What the server holds so far.
        received: u64,
    },
    /// The uploaded bytes do not hash to the photo's id.
    #[error("照片内容与编号不符，已丢弃，请重新上传")]
    HashMismatch,
    /// Nothing by that id that the caller may see.
    #[error("找不到：{0}")]
    NotFound(String),
    /// An administrator's input was refused (unknown village, duplicate code, ...).
    #[error("输入有误：{0}")]
    InvalidInput(String),
    /// The data directory holds no server database yet.
    #[error("数据目录 {0} 中没有服务器数据库，请先运行 hudang-server init")]
    NotInitialised(String),
    /// `init` was asked for a directory that already holds a server.
    #[error("数据目录 {0} 中已有服务器数据库，未做任何改动")]
    AlreadyInitialised(String),
    /// The database was written by a newer server.
    #[error("数据库版本 {found} 比本程序支持的 {supported} 新，请升级服务器程序")]
    TooNew {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A console request without a live session (never logged in, logged out, expired or revoked).
    #[error("请先登录县级控制台（登录已过期或已退出）")]
    NoConsoleSession,
    /// A console login with an unknown name, a wrong password, or a user without a console password.
    #[error("姓名或密码不对；如尚未设置控制台密码，请联系县级管理员")]
    BadLogin,
    /// A worker tried to log in to the console.
    #[error("工作队员请使用平板上的户档应用录入和同步，不能登录县级控制台")]
    WorkerNotAllowed,
    /// A console action outside the user's role.
    #[error("您的账号没有权限：{0}")]
    Forbidden(String),
    /// The database failed.
    #[error("服务器数据库出错：{0}")]
    Database(String),
    /// A file operation failed.
    #[error("服务器文件读写出错：{0}")]
    Io(#[from] std::io::Error),
    /// A stored document could not be read.
    #[error("服务器保存的户档无法读取：{0}")]
    Record(#[from] hudang_record::RecordError),
}

impl ServerError {
    /// The stable code callers match on.
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::MissingToken => codes::AUTH_MISSING,
            ServerError::InvalidToken => codes::AUTH_INVALID,
            ServerError::Revoked => codes::AUTH_REVOKED,
            ServerError::InvalidEnrolCode => codes::ENROL_INVALID,
            ServerError::OutsideArea(_) => codes::OUTSIDE_AREA,
            ServerError::TooLarge { .. } => codes::TOO_LARGE,
            ServerError::Malformed(_) => codes::MALFORMED,
            ServerError::BadChange { .. } => codes::BAD_CHANGE,
            ServerError::BadPhotoId => codes::BAD_PHOTO_ID,
            ServerError::OffsetMismatch { .. } => codes::OFFSET_MISMATCH,
            ServerError::HashMismatch => codes::HASH_MISMATCH,
            ServerError::NotFound(_) => codes::NOT_FOUND,
            ServerError::InvalidInput(_) => "server.invalid_input",
            ServerError::NotInitialised(_) => "server.not_initialised",
            ServerError::AlreadyInitialised(_) => "server.already_initialised",
            ServerError::TooNew { .. } => "server.too_new",
            ServerError::NoConsoleSession => "console.no_session",
            ServerError::BadLogin => "console.bad_login",
            ServerError::WorkerNotAllowed => "console.forbidden_role",
            ServerError::Forbidden(_) => "console.forbidden",
            ServerError::Database(_) | ServerError::Io(_) | ServerError::Record(_) => codes::INTERNAL,
        }
    }

    /// The HTTP status the error goes out with.
    pub fn status(&self) -> u16 {
        match self {
            ServerError::MissingToken
            | ServerError::InvalidToken
            | ServerError::Revoked
            | ServerError::InvalidEnrolCode
            | ServerError::NoConsoleSession
            | ServerError::BadLogin => 401,
            ServerError::OutsideArea(_) | ServerError::WorkerNotAllowed | ServerError::Forbidden(_) => 403,
            ServerError::TooLarge { .. } => 413,
            ServerError::Malformed(_)
            | ServerError::BadChange { .. }
            | ServerError::BadPhotoId
            | ServerError::InvalidInput(_) => 400,
            ServerError::OffsetMismatch { .. } => 409,
            ServerError::HashMismatch => 422,
            ServerError::NotFound(_) => 404,
            _ => 500,
        }
    }

    /// The error as it crosses the wire.
    pub fn to_response(&self) -> hudang_protocol::ErrorResponse {
        hudang_protocol::ErrorResponse {
            error: hudang_protocol::ErrorBody { code: self.code().to_string(), message: self.to_string() },
        }
    }
}

impl From<rusqlite::Error> for ServerError {
    fn from(error: rusqlite::Error) -> Self {
        ServerError::Database(error.to_string())
    }
}

/// The server's result type.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
