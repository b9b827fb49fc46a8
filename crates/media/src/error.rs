//! The one error type of this crate.

use thiserror::Error;

/// Why a photo or signature could not be prepared.
///
/// The `Display` text is in Chinese and meant to be shown to a field worker as it is.
/// Programs must match on [`MediaError::code`], never on the message.
/// Technical details for logs are kept in `detail` fields and only appear in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaError {
    /// The input has no bytes at all.
    #[error("文件是空的，请重新拍照或重新选择图片")]
    Empty,

    /// The input file is bigger than the allowed number of bytes.
    #[error("文件太大（{} MB），最大允许 {} MB", mib(*bytes), mib(*limit))]
    TooLarge {
        /// Size of the input in bytes.
        bytes: u64,
        /// The largest size allowed, in bytes.
        limit: u64,
    },

    /// The image declares more pixels than allowed, so it is refused before decoding.
    #[error("图片尺寸太大（{width}×{height} 像素），请换一张较小的图片")]
    DimensionsTooLarge {
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
    },

    /// The input is not a JPEG or PNG image.
    #[error("文件不是可识别的图片（支持 JPEG、PNG）")]
    NotAnImage,

    /// A signature was handed over in a format other than PNG.
    #[error("签名必须是 PNG 图片")]
    NotPng,

    /// The input looks like an image but is damaged or incomplete.
    #[error("图片已损坏或不完整，无法打开，请重新拍照或重新选择图片")]
    Decode {
        /// What the decoder reported, for logs.
        detail: String,
    },

    /// Writing the output image failed.
    #[error("图片处理失败，请重试")]
    Encode {
        /// What the encoder reported, for logs.
        detail: String,
    },
}

impl MediaError {
    /// A stable, machine-readable code for this error, e.g. `"media.not_an_image"`.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Empty => "media.empty",
            MediaError::TooLarge { .. } => "media.too_large",
            MediaError::DimensionsTooLarge { .. } => "media.dimensions_too_large",
            MediaError::NotAnImage => "media.not_an_image",
            MediaError::NotPng => "media.not_png",
            MediaError::Decode { .. } => "media.decode",
            MediaError::Encode { .. } => "media.encode",
        }
    }
}

/// Formats a byte count as mebibytes with one decimal, which is how people read file sizes.
fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}
