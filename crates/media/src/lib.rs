//! Photo and signature preparation for hudang.
//!
//! A photo taken in the field (the 六看一问 checklist, a visit) or a signature drawn on screen
//! goes through this crate before it is stored: it is checked, turned upright, shrunk to a size
//! that fits a slow uplink, stripped of all embedded metadata, and described by a [`PhotoMeta`]
//! that the household document keeps instead of the bytes (see DESIGN.md, "Household documents").
//!
//! This crate must never do any IO of its own: it takes bytes and returns bytes. It opens no
//! files, reads no clock and uses no randomness except the seeded generator in [`sample`].
//! Storing the results is the caller's job.

mod error;
mod jpeg;
mod metadata;
mod photo;
mod resize;
pub mod sample;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use error::MediaError;
pub use photo::{SIGNATURE_MAX_BYTES, SIGNATURE_MAX_SIDE, StoredImage, prepare_photo, prepare_signature, read_stored};

/// MIME type of every prepared photo.
pub const MIME_JPEG: &str = "image/jpeg";
/// MIME type of every prepared signature.
pub const MIME_PNG: &str = "image/png";

/// Limits and output settings for [`prepare_photo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoOptions {
    /// The longest edge of the stored photo, in pixels. Smaller photos are never enlarged.
    pub max_long_edge: u32,
    /// JPEG quality of the stored photo, 1 to 100.
    pub quality: u8,
    /// The longest edge of the thumbnail, in pixels.
    pub thumbnail_long_edge: u32,
    /// Images declaring more pixels than this are refused before they are decoded.
    pub max_pixels: u64,
    /// Inputs with more bytes than this are refused.
    pub max_input_bytes: u64,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            max_long_edge: 1600,
            quality: 82,
            thumbnail_long_edge: 240,
            max_pixels: 100_000_000,
            max_input_bytes: 40 * 1024 * 1024,
        }
    }
}

/// A photo or signature ready to be stored: the image, its thumbnail and its description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedPhoto {
    /// The image to store: a JPEG for photos, a PNG for signatures (see [`PhotoMeta::mime`]).
    /// The name is kept for both so callers handle one shape.
    pub jpeg: Vec<u8>,
    /// A small preview: JPEG for photos, PNG for signatures.
    pub thumbnail: Vec<u8>,
    /// What the household document records about the stored image.
    pub meta: PhotoMeta,
}

/// The description of a stored image that goes into the household document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoMeta {
    /// Lowercase hex SHA-256 of the stored image bytes; the content address.
    pub sha256: String,
    /// MIME type of the stored image.
    pub mime: String,
    /// Size of the stored image in bytes.
    pub bytes: u64,
    /// Width of the stored image in pixels, after turning it upright.
    pub width: u32,
    /// Height of the stored image in pixels, after turning it upright.
    pub height: u32,
    /// When the camera took the photo (EXIF DateTimeOriginal), in the camera's local time.
    pub taken_at: Option<chrono::NaiveDateTime>,
    /// Where the camera was, if it recorded a position.
    pub gps: Option<GpsFix>,
}

/// A position in decimal degrees, WGS 84 as written by the camera; south and west are negative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpsFix {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
}

/// Lowercase hex SHA-256 of `bytes`, the address of content in the photo store.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
