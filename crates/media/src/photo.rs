//! Turning camera photos and drawn signatures into what we store.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, Rgb, RgbImage,
};

use crate::jpeg;
use crate::metadata::{ExifInfo, read_exif};
use crate::resize::{downscale, fit_within};
use crate::{MIME_JPEG, MIME_PNG, MediaError, PhotoMeta, PhotoOptions, PreparedPhoto, sha256_hex};

/// The widest and tallest signature accepted, in pixels.
pub const SIGNATURE_MAX_SIDE: u32 = 4000;
/// The largest signature file accepted, in bytes.
pub const SIGNATURE_MAX_BYTES: u64 = 2 * 1024 * 1024;

/// Prepares a photo from a camera or file picker for storage.
///
/// The input may be a JPEG or a PNG. The result is an upright JPEG whose long edge is at most
/// [`PhotoOptions::max_long_edge`] (never enlarged), a JPEG thumbnail, and a [`PhotoMeta`]
/// with the capture time and position read from EXIF. The output carries no EXIF or other
/// metadata at all: everything we keep is in the returned [`PhotoMeta`], and everything else
/// (camera serial numbers, exact location in other tags, ...) is dropped for privacy.
///
/// # Errors
///
/// Empty, oversized, unrecognised or damaged input gives the matching [`MediaError`]; the
/// declared pixel count is checked against [`PhotoOptions::max_pixels`] before decoding so a
/// small file cannot make us allocate gigabytes.
pub fn prepare_photo(input: &[u8], opts: &PhotoOptions) -> Result<PreparedPhoto, MediaError> {
    check_input_size(input, opts.max_input_bytes)?;
    let format = sniff(input).ok_or(MediaError::NotAnImage)?;
    let mut decoder = open_decoder(input, format)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > opts.max_pixels {
        return Err(MediaError::DimensionsTooLarge { width, height });
    }
    if format == ImageFormat::Jpeg && !jpeg::is_complete(input) {
        return Err(MediaError::Decode {
            detail: "JPEG ends before its end-of-image marker (truncated file)".to_owned(),
        });
    }
    // Unreadable metadata is not a reason to lose the photo, so errors here are ignored.
    let exif = match decoder.exif_metadata() {
        Ok(Some(raw)) => read_exif(raw),
        _ => ExifInfo::default(),
    };
    let image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height))?;
    let rgb = flatten_to_rgb(image);

    // Shrinking before rotating keeps the rotation cheap; the long edge is the same either way.
    let (w, h) = fit_within(width, height, opts.max_long_edge);
    let mut photo = DynamicImage::ImageRgb8(downscale(&rgb, w, h));
    drop(rgb);
    photo.apply_orientation(exif.orientation);
    let photo = photo.into_rgb8();

    let quality = opts.quality.clamp(1, 100);
    let jpeg = encode_jpeg(&photo, quality)?;
    let (tw, th) = fit_within(photo.width(), photo.height(), opts.thumbnail_long_edge);
    let thumbnail = encode_jpeg(&downscale(&photo, tw, th), quality)?;

    Ok(PreparedPhoto {
        meta: PhotoMeta {
            sha256: sha256_hex(&jpeg),
            mime: MIME_JPEG.to_owned(),
            bytes: jpeg.len() as u64,
            width: photo.width(),
            height: photo.height(),
            taken_at: exif.taken_at,
            gps: exif.gps,
        },
        jpeg,
        thumbnail,
    })
}

/// Prepares a signature drawn on screen for storage.
///
/// The input must be a PNG of at most [`SIGNATURE_MAX_SIDE`] pixels a side and
/// [`SIGNATURE_MAX_BYTES`] bytes. It is decoded and encoded again as an 8-bit PNG without any
/// metadata chunks, so the stored bytes (and so the hash) depend only on the pixels and
/// transparency is kept. The thumbnail is a PNG too, because a JPEG would lose the
/// transparency and smear thin pen strokes. `taken_at` and `gps` are always `None`.
///
/// # Errors
///
/// Empty, oversized, non-PNG or damaged input gives the matching [`MediaError`].
pub fn prepare_signature(png: &[u8]) -> Result<PreparedPhoto, MediaError> {
    check_input_size(png, SIGNATURE_MAX_BYTES)?;
    match sniff(png) {
        Some(ImageFormat::Png) => {}
        Some(_) => return Err(MediaError::NotPng),
        None => return Err(MediaError::NotAnImage),
    }
    let decoder = open_decoder(png, ImageFormat::Png)?;
    let (width, height) = decoder.dimensions();
    if width > SIGNATURE_MAX_SIDE || height > SIGNATURE_MAX_SIDE {
        return Err(MediaError::DimensionsTooLarge { width, height });
    }
    let image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height))?;
    let image = to_8bit(image);
    let stored = encode_png(&image)?;

    let (tw, th) = fit_within(width, height, PhotoOptions::default().thumbnail_long_edge);
    let thumbnail = encode_png(&downscale_dynamic(&image, tw, th))?;

    Ok(PreparedPhoto {
        meta: PhotoMeta {
            sha256: sha256_hex(&stored),
            mime: MIME_PNG.to_owned(),
            bytes: stored.len() as u64,
            width,
            height,
            taken_at: None,
            gps: None,
        },
        jpeg: stored,
        thumbnail,
    })
}

/// A photo or signature prepared elsewhere, as read back here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// The thumbnail made here.
    pub thumbnail: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub mime: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Reads a photo or signature that was prepared elsewhere (one received by sync or in a bundle) and makes its
/// thumbnail: the stored bytes are kept exactly, since their hash is their name. A JPEG gives a JPEG thumbnail,
/// a PNG a PNG one, as [`prepare_photo`] and [`prepare_signature`] do.
///
/// # Errors
///
/// Input that is not a complete JPEG or PNG within the usual limits gives the matching [`MediaError`].
pub fn read_stored(stored: &[u8]) -> Result<StoredImage, MediaError> {
    let opts = PhotoOptions::default();
    check_input_size(stored, opts.max_input_bytes)?;
    let format = sniff(stored).ok_or(MediaError::NotAnImage)?;
    let decoder = open_decoder(stored, format)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > opts.max_pixels {
        return Err(MediaError::DimensionsTooLarge { width, height });
    }
    let image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height))?;
    let (tw, th) = fit_within(width, height, opts.thumbnail_long_edge);
    let (thumbnail, mime) = match format {
        ImageFormat::Png => (encode_png(&downscale_dynamic(&to_8bit(image), tw, th))?, MIME_PNG),
        _ => (encode_jpeg(&downscale(&flatten_to_rgb(image), tw, th), opts.quality.clamp(1, 100))?, MIME_JPEG),
    };
    Ok(StoredImage { thumbnail, mime, width, height })
}

fn check_input_size(input: &[u8], limit: u64) -> Result<(), MediaError> {
    let bytes = input.len() as u64;
    if bytes == 0 {
        return Err(MediaError::Empty);
    }
    if bytes > limit {
        return Err(MediaError::TooLarge { bytes, limit });
    }
    Ok(())
}

/// Recognises JPEG and PNG by their first bytes; file names and MIME types from a file picker
/// are not trustworthy.
fn sniff(input: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(input) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => Some(format),
        _ => None,
    }
}

/// Reads only the headers, so dimensions can be checked before any pixel memory is allocated.
fn open_decoder(input: &[u8], format: ImageFormat) -> Result<impl ImageDecoder + '_, MediaError> {
    ImageReader::with_format(Cursor::new(input), format).into_decoder().map_err(|e| decode_error(e, 0, 0))
}

fn decode_error(err: ImageError, width: u32, height: u32) -> MediaError {
    match err {
        // The decoder's own allocation limit is a second line of defence behind `max_pixels`.
        ImageError::Limits(_) => MediaError::DimensionsTooLarge { width, height },
        ImageError::Unsupported(_) => MediaError::NotAnImage,
        other => MediaError::Decode { detail: other.to_string() },
    }
}

/// Drops the alpha channel by painting the image over white, which is what a transparent
/// screenshot looks like on paper; simply discarding alpha would often turn it black.
fn flatten_to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u32::from(a);
        let over_white = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Reduces any decoded image to the 8-bit form with the same channels, so that stored
/// signatures have one canonical layout.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.into_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.into_luma_alpha8()),
        _ if image.color().has_alpha() => DynamicImage::ImageRgba8(image.into_rgba8()),
        _ => DynamicImage::ImageRgb8(image.into_rgb8()),
    }
}

/// [`downscale`] for the 8-bit layouts that [`to_8bit`] produces.
fn downscale_dynamic(image: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(i) => DynamicImage::ImageLuma8(downscale(i, width, height)),
        DynamicImage::ImageLumaA8(i) => DynamicImage::ImageLumaA8(downscale(i, width, height)),
        DynamicImage::ImageRgb8(i) => DynamicImage::ImageRgb8(downscale(i, width, height)),
        other => DynamicImage::ImageRgba8(downscale(&other.to_rgba8(), width, height)),
    }
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8)
        .map_err(encode_error)?;
    Ok(out)
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive)
        .write_image(image.as_bytes(), image.width(), image.height(), image.color().into())
        .map_err(encode_error)?;
    Ok(out)
}

fn encode_error(err: ImageError) -> MediaError {
    MediaError::Encode { detail: err.to_string() }
}
