//! Reading the few EXIF fields we keep: orientation, capture time and position.

use chrono::{NaiveDate, NaiveDateTime};
use exif::{Exif, In, Tag, Value};
use image::metadata::Orientation;

use crate::GpsFix;

/// What we take from a photo's EXIF block before throwing the block away.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ExifInfo {
    pub orientation: Orientation,
    pub taken_at: Option<NaiveDateTime>,
    pub gps: Option<GpsFix>,
}

impl Default for ExifInfo {
    fn default() -> Self {
        ExifInfo { orientation: Orientation::NoTransforms, taken_at: None, gps: None }
    }
}

/// Parses a raw EXIF (TIFF) block as found after the `Exif\0\0` header of a JPEG APP1 segment
/// or in a PNG `eXIf` chunk.
///
/// Broken metadata must not cost the worker a photo, so any field that cannot be read is
/// simply left out, and a block that cannot be parsed at all gives the defaults.
pub(crate) fn read_exif(raw: Vec<u8>) -> ExifInfo {
    let exif = match exif::Reader::new().continue_on_error(true).read_raw(raw) {
        Ok(exif) => exif,
        Err(err) => match err.distill_partial_result(|_| {}) {
            Ok(exif) => exif,
            Err(_) => return ExifInfo::default(),
        },
    };
    ExifInfo { orientation: orientation(&exif), taken_at: taken_at(&exif), gps: gps(&exif) }
}

fn orientation(exif: &Exif) -> Orientation {
    exif.get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

fn taken_at(exif: &Exif) -> Option<NaiveDateTime> {
    let field = exif.get_field(Tag::DateTimeOriginal, In::PRIMARY)?;
    let Value::Ascii(ref parts) = field.value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    // kamadak-exif does not check ranges, so chrono does it: a month of 13 gives `None`.
    NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?.and_hms_opt(
        u32::from(dt.hour),
        u32::from(dt.minute),
        u32::from(dt.second),
    )
}

fn gps(exif: &Exif) -> Option<GpsFix> {
    let lat = coordinate(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'N', b'S', 90.0)?;
    let lon = coordinate(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'E', b'W', 180.0)?;
    // Some phones write 0/0 when they have no fix. That point is in the Gulf of Guinea,
    // so for a survey in China it always means "no position", never a real one.
    if lat == 0.0 && lon == 0.0 {
        return None;
    }
    Some(GpsFix { lat, lon })
}

/// Reads one coordinate written as degrees, minutes and seconds plus a hemisphere letter.
fn coordinate(exif: &Exif, value_tag: Tag, ref_tag: Tag, positive: u8, negative: u8, max: f64) -> Option<f64> {
    let Value::Rational(ref dms) = exif.get_field(value_tag, In::PRIMARY)?.value else {
        return None;
    };
    let mut degrees = 0.0;
    for (part, scale) in dms.iter().zip([1.0, 60.0, 3600.0]) {
        if part.denom == 0 {
            return None;
        }
        degrees += part.to_f64() / scale;
    }
    if dms.is_empty() || !degrees.is_finite() || degrees > max {
        return None;
    }
    // A missing hemisphere is read as north/east, which is right everywhere we work.
    let sign = match exif.get_field(ref_tag, In::PRIMARY).map(|f| &f.value) {
        None => 1.0,
        Some(Value::Ascii(parts)) => match parts.first().and_then(|p| p.first()) {
            Some(c) if c.eq_ignore_ascii_case(&positive) => 1.0,
            Some(c) if c.eq_ignore_ascii_case(&negative) => -1.0,
            _ => return None,
        },
        Some(_) => return None,
    };
    Some(sign * degrees)
}
