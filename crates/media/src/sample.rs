//! Synthetic camera photos for tests, demo data and benchmarks.
//!
//! [`camera_jpeg`] draws a small landscape (sky, hills, terraced fields, a few houses, sensor
//! noise) from a seed and writes it as a JPEG with an EXIF block like a phone camera's, so the
//! whole photo path can be exercised without shipping real photos of real households.

use chrono::NaiveDateTime;
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, RgbImage};
use serde::{Deserialize, Serialize};

use crate::GpsFix;

/// The EXIF fields [`camera_jpeg`] writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraExif {
    /// EXIF orientation, 1 to 8 (1 is upright). Other values are written as they are, to test
    /// readers, and then the pixels are not transformed.
    pub orientation: u16,
    /// Written as DateTimeOriginal in the Exif IFD.
    pub taken_at: Option<NaiveDateTime>,
    /// Written as a GPS IFD with hemisphere references and degree/minute/second rationals.
    pub gps: Option<GpsFix>,
}

impl Default for CameraExif {
    fn default() -> Self {
        CameraExif { orientation: 1, taken_at: None, gps: None }
    }
}

/// A deterministic synthetic photo as a camera would store it: `width`×`height` stored pixels,
/// JPEG quality 90, with an EXIF APP1 segment right after the start-of-image marker.
///
/// The scene is drawn upright and then stored the way a camera held sideways stores it, so
/// that applying `exif.orientation` turns it upright again (sky at the top). For orientations
/// 5 to 8 the upright picture is therefore `height`×`width`. Different seeds give different
/// pictures; the same seed always gives the same bytes.
pub fn camera_jpeg(width: u32, height: u32, seed: u64, exif: &CameraExif) -> Vec<u8> {
    let (width, height) = (width.max(1), height.max(1));
    let orientation = u8::try_from(exif.orientation).ok().and_then(Orientation::from_exif);
    let sideways = matches!(exif.orientation, 5..=8);
    let (upright_w, upright_h) = if sideways { (height, width) } else { (width, height) };

    let mut image = DynamicImage::ImageRgb8(draw_scene(upright_w, upright_h, seed));
    if let Some(orientation) = orientation {
        // Orientations 6 and 8 are each other's inverse; the other six undo themselves.
        let inverse = match orientation {
            Orientation::Rotate90 => Orientation::Rotate270,
            Orientation::Rotate270 => Orientation::Rotate90,
            other => other,
        };
        image.apply_orientation(inverse);
    }
    let image = image.into_rgb8();

    let mut jpeg = Vec::with_capacity(image.as_raw().len() / 4);
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8)
        .expect("encoding an in-memory RGB image cannot fail");

    let tiff = exif_tiff(exif);
    let segment_len = u16::try_from(2 + 6 + tiff.len()).expect("the EXIF block is small");
    let mut out = Vec::with_capacity(jpeg.len() + 4 + 6 + tiff.len());
    out.extend_from_slice(&jpeg[..2]); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&segment_len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// SplitMix64, a tiny seeded generator; the scene layout needs only a few dozen numbers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[lo, hi)`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
}

/// Draws an upright landscape. Everything that needs trigonometry is computed once per row or
/// column, and each pixel only adds table entries and integer noise, which keeps a
/// 12-megapixel picture cheap.
fn draw_scene(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = SplitMix(seed ^ 0x6875_6461_6E67); // "hudang"
    let (w, h) = (width as usize, height as usize);
    let (wf, hf) = (width as f32, height as f32);

    // The ridge line: a base height plus three waves of different lengths.
    let base = rng.range(0.35, 0.6) * hf;
    let waves: Vec<(f32, f32, f32)> = (0..3)
        .map(|i| {
            let scale = (i + 1) as f32;
            (
                rng.range(0.02, 0.08) * hf / scale,
                rng.range(1.0, 4.0) * scale * std::f32::consts::TAU / wf,
                rng.range(0.0, std::f32::consts::TAU),
            )
        })
        .collect();
    let horizon: Vec<usize> = (0..w)
        .map(|x| {
            let y = waves.iter().fold(base, |y, &(amp, freq, phase)| y + amp * (freq * x as f32 + phase).sin());
            y.clamp(0.0, hf) as usize
        })
        .collect();

    // Sky darkens towards the top; fields get darker and more saturated towards the bottom,
    // with terraces as bands of brightness.
    let haze = rng.range(0.0, 40.0);
    let field = [rng.range(60.0, 120.0), rng.range(100.0, 150.0), rng.range(30.0, 70.0)];
    let terrace_freq = rng.range(20.0, 60.0) * std::f32::consts::TAU / hf;
    let sky: Vec<[i32; 3]> = (0..h)
        .map(|y| {
            let t = y as f32 / hf;
            [(70.0 + haze + 120.0 * t) as i32, (120.0 + haze * 0.8 + 90.0 * t) as i32, (200.0 + 40.0 * t) as i32]
        })
        .collect();
    let ground: Vec<[i32; 3]> = (0..h)
        .map(|y| {
            let t = y as f32 / hf;
            let terrace = 18.0 * (terrace_freq * y as f32 * (0.5 + t)).sin();
            let shade = 1.15 - 0.45 * t;
            [
                (field[0] * shade + terrace) as i32,
                (field[1] * shade + terrace) as i32,
                (field[2] * shade + terrace * 0.5) as i32,
            ]
        })
        .collect();
    // Furrows and paths run down the fields as a per-column brightness change.
    let furrow_freq = rng.range(40.0, 120.0) * std::f32::consts::TAU / wf;
    let columns: Vec<i32> = (0..w).map(|x| (10.0 * (furrow_freq * x as f32).sin()) as i32).collect();

    let mut pixels = vec![0u8; w * h * 3];
    let mut noise = (seed as u32) | 1;
    for (y, row) in pixels.chunks_exact_mut(w * 3).enumerate() {
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            // xorshift32: sensor noise, stronger in the textured fields than in the sky.
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let grain = (noise >> 24) as i32 - 128;
            let (color, offset) =
                if y < horizon[x] { (&sky[y], grain / 32) } else { (&ground[y], columns[x] + grain / 6) };
            for (p, &c) in px.iter_mut().zip(color) {
                *p = (c + offset).clamp(0, 255) as u8;
            }
        }
    }

    // A few houses standing on the ridge: white walls and dark roofs.
    for _ in 0..(rng.next() % 4 + 2) {
        let house_w = (rng.range(0.04, 0.1) * wf) as usize + 1;
        let house_h = (house_w as f32 * rng.range(0.5, 0.8)) as usize + 1;
        let x0 = (rng.range(0.0, 0.9) * wf) as usize;
        let bottom = horizon[x0.min(w - 1)] + house_h / 3;
        for y in bottom.saturating_sub(house_h)..bottom.min(h) {
            let is_roof = y < bottom.saturating_sub(house_h) + house_h / 3;
            let color = if is_roof { [70, 60, 60] } else { [225, 220, 205] };
            for x in x0..(x0 + house_w).min(w) {
                let i = (y * w + x) * 3;
                pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    }

    RgbImage::from_raw(width, height, pixels).expect("buffer matches the image size")
}

// TIFF field types used in the EXIF block.
const ASCII: u16 = 2;
const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const UNDEFINED: u16 = 7;
const BYTE: u16 = 1;

/// One IFD entry with its value already in little-endian bytes.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

impl Entry {
    fn ascii(tag: u16, text: &str) -> Entry {
        let mut data = text.as_bytes().to_vec();
        data.push(0);
        Entry { tag, kind: ASCII, count: data.len() as u32, data }
    }

    fn short(tag: u16, value: u16) -> Entry {
        Entry { tag, kind: SHORT, count: 1, data: value.to_le_bytes().to_vec() }
    }

    fn long(tag: u16, value: u32) -> Entry {
        Entry { tag, kind: LONG, count: 1, data: value.to_le_bytes().to_vec() }
    }

    fn rationals(tag: u16, values: &[(u32, u32)]) -> Entry {
        let data =
            values.iter().flat_map(|&(num, den)| num.to_le_bytes().into_iter().chain(den.to_le_bytes())).collect();
        Entry { tag, kind: RATIONAL, count: values.len() as u32, data }
    }

    /// Values longer than four bytes live after the IFD, padded to an even length.
    fn outside_len(&self) -> usize {
        if self.data.len() > 4 { self.data.len().next_multiple_of(2) } else { 0 }
    }
}

/// Bytes an IFD takes, including its out-of-line values.
fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len() + 4 + entries.iter().map(Entry::outside_len).sum::<usize>()
}

/// Appends an IFD at the current end of `out`; offsets count from the start of `out`, which
/// is the TIFF header. Entries must already be sorted by tag, as TIFF requires.
fn write_ifd(out: &mut Vec<u8>, entries: &[Entry]) {
    let mut outside = out.len() + 2 + 12 * entries.len() + 4;
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for entry in entries {
        out.extend_from_slice(&entry.tag.to_le_bytes());
        out.extend_from_slice(&entry.kind.to_le_bytes());
        out.extend_from_slice(&entry.count.to_le_bytes());
        if entry.data.len() > 4 {
            out.extend_from_slice(&(outside as u32).to_le_bytes());
            outside += entry.outside_len();
        } else {
            let mut inline = [0u8; 4];
            inline[..entry.data.len()].copy_from_slice(&entry.data);
            out.extend_from_slice(&inline);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    for entry in entries.iter().filter(|e| e.data.len() > 4) {
        out.extend_from_slice(&entry.data);
        if entry.data.len() % 2 == 1 {
            out.push(0);
        }
    }
}

/// Degrees as the degree/minute/second rationals cameras write, to a thousandth of an
/// arc-second (about 3 cm). Working in whole thousandths avoids a seconds value of 60.
fn dms(degrees: f64) -> [(u32, u32); 3] {
    let total = (degrees.abs() * 3_600_000.0).round() as u64;
    let deg = total / 3_600_000;
    let min = total / 60_000 % 60;
    let milli_sec = total % 60_000;
    [(deg as u32, 1), (min as u32, 1), (milli_sec as u32, 1000)]
}

/// A little-endian TIFF block: IFD0 (camera make and model, orientation, pointers), an Exif
/// IFD with DateTimeOriginal, and a GPS IFD.
fn exif_tiff(exif: &CameraExif) -> Vec<u8> {
    let exif_ifd: Option<Vec<Entry>> = exif.taken_at.map(|t| {
        vec![
            Entry {
                tag: 0x9000, // ExifVersion
                kind: UNDEFINED,
                count: 4,
                data: b"0232".to_vec(),
            },
            Entry::ascii(0x9003, &t.format("%Y:%m:%d %H:%M:%S").to_string()),
        ]
    });
    let gps_ifd: Option<Vec<Entry>> = exif.gps.map(|fix| {
        vec![
            Entry {
                tag: 0x0000, // GPSVersionID
                kind: BYTE,
                count: 4,
                data: vec![2, 3, 0, 0],
            },
            Entry::ascii(0x0001, if fix.lat < 0.0 { "S" } else { "N" }),
            Entry::rationals(0x0002, &dms(fix.lat)),
            Entry::ascii(0x0003, if fix.lon < 0.0 { "W" } else { "E" }),
            Entry::rationals(0x0004, &dms(fix.lon)),
        ]
    });

    // IFD0's length does not depend on the pointer values, so lay it out with placeholders.
    let mut ifd0 = vec![
        Entry::ascii(0x010F, "Hudang"),           // Make
        Entry::ascii(0x0110, "Synthetic Camera"), // Model
        Entry::short(0x0112, exif.orientation),   // Orientation
    ];
    if exif_ifd.is_some() {
        ifd0.push(Entry::long(0x8769, 0)); // ExifIFDPointer
    }
    if gps_ifd.is_some() {
        ifd0.push(Entry::long(0x8825, 0)); // GPSInfoIFDPointer
    }
    let exif_offset = 8 + ifd_len(&ifd0);
    let gps_offset = exif_offset + exif_ifd.as_deref().map_or(0, ifd_len);
    for entry in &mut ifd0 {
        match entry.tag {
            0x8769 => entry.data = (exif_offset as u32).to_le_bytes().to_vec(),
            0x8825 => entry.data = (gps_offset as u32).to_le_bytes().to_vec(),
            _ => {}
        }
    }

    let mut out = b"II\x2A\x00\x08\x00\x00\x00".to_vec();
    write_ifd(&mut out, &ifd0);
    if let Some(entries) = &exif_ifd {
        write_ifd(&mut out, entries);
    }
    if let Some(entries) = &gps_ifd {
        write_ifd(&mut out, entries);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dms_splits_without_rounding_to_sixty_seconds() {
        assert_eq!(dms(23.37), [(23, 1), (22, 1), (12_000, 1000)]);
        assert_eq!(dms(-103.38), [(103, 1), (22, 1), (48_000, 1000)]);
        assert_eq!(dms(10.999_999_99), [(11, 1), (0, 1), (0, 1000)]);
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() {
        let exif = CameraExif::default();
        assert_eq!(camera_jpeg(64, 48, 7, &exif), camera_jpeg(64, 48, 7, &exif));
        assert_ne!(camera_jpeg(64, 48, 7, &exif), camera_jpeg(64, 48, 8, &exif));
    }
}
