//! The one error type of the field app's actions; it crosses to the UI as `{code, message}`.

use serde::Serialize;

/// What can go wrong in a field-app action. The message is for people (Chinese); callers branch on [`FieldError::code`].
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// The device has no store yet: the first-run screen must come first.
    #[error("本设备尚未设置：请先登记到县服务器，或打开演示村")]
    NotInitialised,
    /// What the worker entered was refused; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The household's file was merged into another by the county: it is kept for the record, closed to edits.
    #[error("此户档案已由县里合并到另一户（同一家庭重复登记），不能再修改；请在合并后的户档中录入")]
    Merged,
    /// The device store refused. (Boxed, like the other wrapped errors, so a `Result` stays small.)
    #[error(transparent)]
    Store(Box<hudang_store::StoreError>),
    /// A household document could not be read.
    #[error(transparent)]
    Record(Box<hudang_record::RecordError>),
    /// Sync, enrolment or a bundle failed.
    #[error(transparent)]
    Sync(Box<hudang_sync::SyncError>),
    /// Something unexpected below the app (opening or creating the store).
    #[error("{message}")]
    Other {
        /// A stable code.
        code: String,
        /// What happened, in Chinese.
        message: String,
    },
}

impl FieldError {
    /// A stable code for the UI.
    pub fn code(&self) -> String {
        match self {
            FieldError::NotInitialised => "app.not_initialised".into(),
            FieldError::Invalid(_) => "app.invalid_input".into(),
            FieldError::Merged => "app.household_merged".into(),
            FieldError::Store(e) => e.code().into(),
            FieldError::Record(e) => e.code().into(),
            FieldError::Sync(e) => e.code(),
            FieldError::Other { code, .. } => code.clone(),
        }
    }

    /// Errors from the CLI library's store helpers come as `anyhow`; keep the store's code when there is one.
    pub(crate) fn from_anyhow(error: anyhow::Error) -> FieldError {
        match error.downcast::<hudang_store::StoreError>() {
            Ok(store) => FieldError::Store(Box::new(store)),
            Err(other) => FieldError::Other { code: "app.store_open".into(), message: format!("{other:#}") },
        }
    }
}

/// The error as it crosses to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorDto {
    /// A stable code.
    pub code: String,
    /// The message for people, in Chinese.
    pub message: String,
}

impl From<&FieldError> for ErrorDto {
    fn from(error: &FieldError) -> Self {
        ErrorDto { code: error.code(), message: error.to_string() }
    }
}

impl From<hudang_store::StoreError> for FieldError {
    fn from(error: hudang_store::StoreError) -> Self {
        FieldError::Store(Box::new(error))
    }
}

impl From<hudang_record::RecordError> for FieldError {
    fn from(error: hudang_record::RecordError) -> Self {
        FieldError::Record(Box::new(error))
    }
}

impl From<hudang_sync::SyncError> for FieldError {
    fn from(error: hudang_sync::SyncError) -> Self {
        FieldError::Sync(Box::new(error))
    }
}
