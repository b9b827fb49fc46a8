//! Tests of the photo and signature paths through the public API.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_media::{GpsFix, MediaError, PhotoOptions, PreparedPhoto, prepare_photo, prepare_signature, sha256_hex};
use image::{DynamicImage, GenericImageView, ImageEncoder, ImageFormat, Luma, Rgba, RgbaImage};

const MENGZI: GpsFix = GpsFix { lat: 23.37, lon: 103.38 };

fn taken_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 5, 6).unwrap().and_hms_opt(9, 30, 15).unwrap()
}

fn with_orientation(orientation: u16) -> CameraExif {
    CameraExif { orientation, ..CameraExif::default() }
}

fn prepare(input: &[u8]) -> PreparedPhoto {
    prepare_photo(input, &PhotoOptions::default()).expect("photo should be accepted")
}

fn error_code(input: &[u8], opts: &PhotoOptions) -> &'static str {
    prepare_photo(input, opts).expect_err("input should be refused").code()
}

fn decode(bytes: &[u8], format: ImageFormat) -> DynamicImage {
    image::load_from_memory_with_format(bytes, format).expect("output should decode")
}

/// Mean colour of the rows in `rows`, to tell the sky (blue) from the fields (green).
fn mean_rgb(image: &DynamicImage, rows: std::ops::Range<u32>) -> [f64; 3] {
    let rgb = image.to_rgb8();
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for y in rows {
        for x in 0..rgb.width() {
            for (s, &c) in sum.iter_mut().zip(&rgb.get_pixel(x, y).0) {
                *s += f64::from(c);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

/// The synthetic scene has sky at the top and fields at the bottom when it is upright.
fn assert_upright(image: &DynamicImage) {
    let h = image.height();
    let band = (h / 20).max(1);
    let [tr, _, tb] = mean_rgb(image, 0..band);
    let [_, bg, bb] = mean_rgb(image, h - band..h);
    assert!(tb > tr + 30.0, "top should be sky, got r={tr:.0} b={tb:.0}");
    assert!(bg > bb + 30.0, "bottom should be fields, got g={bg:.0} b={bb:.0}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn orientation_6_turns_an_800x600_photo_upright() {
    let input = camera_jpeg(800, 600, 1, &with_orientation(6));
    let out = prepare(&input);
    assert_eq!((out.meta.width, out.meta.height), (600, 800));
    let image = decode(&out.jpeg, ImageFormat::Jpeg);
    assert_eq!(image.dimensions(), (600, 800));
    assert_upright(&image);

    let opts = PhotoOptions { max_long_edge: 400, ..PhotoOptions::default() };
    let small = prepare_photo(&input, &opts).unwrap();
    assert_eq!((small.meta.width, small.meta.height), (300, 400));
    assert_upright(&decode(&small.jpeg, ImageFormat::Jpeg));
}

#[test]
fn every_orientation_comes_out_upright() {
    for orientation in 1..=8 {
        let out = prepare(&camera_jpeg(160, 120, u64::from(orientation), &with_orientation(orientation)));
        let expected = if orientation >= 5 { (120, 160) } else { (160, 120) };
        assert_eq!((out.meta.width, out.meta.height), expected, "orientation {orientation}");
        assert_upright(&decode(&out.jpeg, ImageFormat::Jpeg));
    }
}

#[test]
fn invalid_orientation_is_ignored() {
    let out = prepare(&camera_jpeg(160, 120, 3, &with_orientation(0)));
    assert_eq!((out.meta.width, out.meta.height), (160, 120));
    let out = prepare(&camera_jpeg(160, 120, 3, &with_orientation(9)));
    assert_eq!((out.meta.width, out.meta.height), (160, 120));
}

#[test]
fn long_edge_is_capped_for_a_12_megapixel_photo() {
    let out = prepare(&camera_jpeg(4000, 3000, 2, &CameraExif::default()));
    assert_eq!((out.meta.width, out.meta.height), (1600, 1200));
    let image = decode(&out.jpeg, ImageFormat::Jpeg);
    assert_eq!(image.dimensions(), (1600, 1200));
    assert_upright(&image);
    let thumb = decode(&out.thumbnail, ImageFormat::Jpeg);
    assert_eq!(thumb.dimensions(), (240, 180));
    assert!(out.jpeg.len() < 1024 * 1024, "stored photo is {} bytes", out.jpeg.len());
}

#[test]
fn small_photos_are_not_enlarged() {
    let out = prepare(&camera_jpeg(640, 480, 3, &CameraExif::default()));
    assert_eq!((out.meta.width, out.meta.height), (640, 480));
    assert_eq!(decode(&out.jpeg, ImageFormat::Jpeg).dimensions(), (640, 480));
    assert_eq!(decode(&out.thumbnail, ImageFormat::Jpeg).dimensions(), (240, 180));

    // A thumbnail is never larger than the photo itself either.
    let out = prepare(&camera_jpeg(100, 50, 3, &CameraExif::default()));
    assert_eq!(decode(&out.thumbnail, ImageFormat::Jpeg).dimensions(), (100, 50));
}

#[test]
fn gps_and_time_are_read_back() {
    let exif = CameraExif { orientation: 1, taken_at: Some(taken_at()), gps: Some(MENGZI) };
    let out = prepare(&camera_jpeg(320, 240, 4, &exif));
    assert_eq!(out.meta.taken_at, Some(taken_at()));
    let gps = out.meta.gps.expect("position should be read");
    assert!((gps.lat - MENGZI.lat).abs() < 1e-6, "{gps:?}");
    assert!((gps.lon - MENGZI.lon).abs() < 1e-6, "{gps:?}");

    // South and west come back negative.
    let exif = CameraExif { gps: Some(GpsFix { lat: -33.8568, lon: -70.6483 }), ..exif };
    let gps = prepare(&camera_jpeg(320, 240, 4, &exif)).meta.gps.unwrap();
    assert!((gps.lat + 33.8568).abs() < 1e-6 && (gps.lon + 70.6483).abs() < 1e-6, "{gps:?}");

    let bare = prepare(&camera_jpeg(320, 240, 4, &CameraExif::default()));
    assert_eq!((bare.meta.taken_at, bare.meta.gps), (None, None));
}

#[test]
fn output_carries_no_exif() {
    let exif = CameraExif { orientation: 6, taken_at: Some(taken_at()), gps: Some(MENGZI) };
    let input = camera_jpeg(800, 600, 5, &exif);
    assert!(contains(&input, b"Exif\0\0"), "the sample itself must carry EXIF");
    let out = prepare(&input);
    for bytes in [&out.jpeg, &out.thumbnail] {
        assert!(!contains(bytes, b"Exif\0\0"));
        assert!(!contains(bytes, b"Synthetic Camera"));
        assert!(!contains(bytes, b"2024:05:06"));
    }
}

#[test]
fn meta_describes_the_stored_bytes() {
    let out = prepare(&camera_jpeg(800, 600, 6, &CameraExif::default()));
    assert_eq!(out.meta.sha256, sha256_hex(&out.jpeg));
    assert_eq!(out.meta.sha256.len(), 64);
    assert!(out.meta.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(out.meta.mime, "image/jpeg");
    assert_eq!(out.meta.bytes, out.jpeg.len() as u64);
    // The same input always gives the same stored bytes, so a photo re-imported is not stored twice.
    assert_eq!(prepare(&camera_jpeg(800, 600, 6, &CameraExif::default())), out);
}

#[test]
fn sha256_hex_matches_a_known_digest() {
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn png_photos_are_accepted_and_transparency_becomes_white() {
    let image =
        RgbaImage::from_fn(300, 200, |x, _| if x < 150 { Rgba([0, 0, 0, 0]) } else { Rgba([200, 30, 30, 255]) });
    let mut png = Vec::new();
    DynamicImage::ImageRgba8(image).write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).unwrap();
    let out = prepare(&png);
    assert_eq!((out.meta.mime.as_str(), out.meta.width, out.meta.height), ("image/jpeg", 300, 200));
    let decoded = decode(&out.jpeg, ImageFormat::Jpeg).to_rgb8();
    assert!(decoded.get_pixel(20, 100).0.iter().all(|&c| c > 240));
}

#[test]
fn bad_inputs_give_clear_errors() {
    let opts = PhotoOptions::default();
    assert_eq!(error_code(b"", &opts), "media.empty");
    assert_eq!(error_code("户主：张三\n".as_bytes(), &opts), "media.not_an_image");
    assert_eq!(error_code(b"GIF89a\x01\x00\x01\x00", &opts), "media.not_an_image");
    assert_eq!(error_code(&[0xFF, 0xD8, 0xFF], &opts), "media.decode");

    let jpeg = camera_jpeg(800, 600, 7, &CameraExif::default());
    for cut in [300, 700, jpeg.len() / 2, jpeg.len() - 2] {
        assert_eq!(error_code(&jpeg[..cut], &opts), "media.decode", "cut at {cut}");
    }
    let mut png = Vec::new();
    decode(&jpeg, ImageFormat::Jpeg).write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).unwrap();
    assert_eq!(error_code(&png[..png.len() / 2], &opts), "media.decode");

    let small_limit = PhotoOptions { max_input_bytes: 1000, ..PhotoOptions::default() };
    assert_eq!(error_code(&jpeg, &small_limit), "media.too_large");
    let few_pixels = PhotoOptions { max_pixels: 800 * 600 - 1, ..PhotoOptions::default() };
    assert_eq!(error_code(&jpeg, &few_pixels), "media.dimensions_too_large");
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    // A real JPEG whose frame header claims 65000×65000 pixels.
    let mut jpeg = camera_jpeg(64, 48, 8, &CameraExif::default());
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline frame header");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    let err = prepare_photo(&jpeg, &PhotoOptions::default()).unwrap_err();
    assert_eq!(err, MediaError::DimensionsTooLarge { width: 65000, height: 65000 });

    // A PNG header claiming 50000×50000 pixels in a file of a few dozen bytes.
    let png = png_with_header(50_000, 50_000);
    assert_eq!(error_code(&png, &PhotoOptions::default()), "media.dimensions_too_large");
}

#[test]
fn errors_have_stable_codes_and_chinese_messages() {
    let errors = [
        MediaError::Empty,
        MediaError::TooLarge { bytes: 50 << 20, limit: 40 << 20 },
        MediaError::DimensionsTooLarge { width: 20000, height: 20000 },
        MediaError::NotAnImage,
        MediaError::NotPng,
        MediaError::Decode { detail: "x".into() },
        MediaError::Encode { detail: "x".into() },
    ];
    let mut codes: Vec<_> = errors.iter().map(MediaError::code).collect();
    for (err, code) in errors.iter().zip(&codes) {
        assert!(code.starts_with("media."));
        let message = err.to_string();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{message}");
        assert!(!message.contains('x'), "details stay out of the message: {message}");
    }
    assert_eq!(errors[1].to_string(), "文件太大（50.0 MB），最大允许 40.0 MB");
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
}

fn signature_png() -> Vec<u8> {
    let image = RgbaImage::from_fn(900, 300, |x, y| {
        let stroke = (i64::from(y) - 150 - (i64::from(x) % 120 - 60)).abs() < 4;
        if stroke { Rgba([10, 10, 40, 255]) } else { Rgba([0, 0, 0, 0]) }
    });
    let mut png = Vec::new();
    DynamicImage::ImageRgba8(image).write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).unwrap();
    png
}

#[test]
fn signature_round_trip() {
    let input = signature_png();
    let out = prepare_signature(&input).unwrap();
    assert_eq!(out.meta.mime, "image/png");
    assert_eq!((out.meta.width, out.meta.height), (900, 300));
    assert_eq!(out.meta.sha256, sha256_hex(&out.jpeg));
    assert_eq!(out.meta.bytes, out.jpeg.len() as u64);
    assert_eq!((out.meta.taken_at, out.meta.gps), (None, None));

    let original = decode(&input, ImageFormat::Png);
    let stored = decode(&out.jpeg, ImageFormat::Png);
    assert_eq!(stored.to_rgba8(), original.to_rgba8(), "pixels survive unchanged");
    let thumb = decode(&out.thumbnail, ImageFormat::Png);
    assert_eq!(thumb.dimensions(), (240, 80));
    assert!(thumb.color().has_alpha());

    // Storing is canonical: the same pixels give the same bytes whatever the input encoding.
    assert_eq!(prepare_signature(&input).unwrap(), out);
    let mut other_encoding = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut other_encoding,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Paeth,
    )
    .write_image(original.as_bytes(), 900, 300, original.color().into())
    .unwrap();
    assert_ne!(other_encoding, input);
    assert_eq!(prepare_signature(&other_encoding).unwrap().meta.sha256, out.meta.sha256);
}

#[test]
fn signatures_are_checked() {
    let code = |bytes: &[u8]| prepare_signature(bytes).unwrap_err().code();
    assert_eq!(code(b""), "media.empty");
    assert_eq!(code(b"hello"), "media.not_an_image");
    assert_eq!(code(&camera_jpeg(64, 48, 9, &CameraExif::default())), "media.not_png");
    let png = signature_png();
    assert_eq!(code(&png[..png.len() / 2]), "media.decode");

    let mut huge = png.clone();
    huge.resize(2 * 1024 * 1024 + 1, 0);
    assert_eq!(code(&huge), "media.too_large");

    let mut wide = Vec::new();
    image::GrayImage::from_pixel(4001, 2, Luma([255]))
        .write_to(&mut std::io::Cursor::new(&mut wide), ImageFormat::Png)
        .unwrap();
    assert_eq!(code(&wide), "media.dimensions_too_large");
    assert_eq!(code(&png_with_header(50_000, 50_000)), "media.dimensions_too_large");
}

#[test]
fn sixteen_bit_signatures_are_stored_as_8_bit() {
    let image = image::ImageBuffer::<Luma<u16>, _>::from_fn(100, 40, |x, _| Luma([x as u16 * 600]));
    let mut png = Vec::new();
    DynamicImage::ImageLuma16(image).write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png).unwrap();
    let out = prepare_signature(&png).unwrap();
    assert_eq!(decode(&out.jpeg, ImageFormat::Png).color(), image::ColorType::L8);
}

/// A PNG that is only a signature, a header with the given size and a token data chunk.
fn png_with_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/photos")
}

/// The fixtures in fixtures/photos/, as [`write_fixtures`] makes them.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let portrait = CameraExif { orientation: 6, taken_at: Some(taken_at()), gps: Some(MENGZI) };
    // A photo as this crate stores it is a JPEG without any EXIF.
    let landscape = prepare_photo(
        &camera_jpeg(1280, 960, 2, &CameraExif::default()),
        &PhotoOptions { max_long_edge: 640, ..PhotoOptions::default() },
    )
    .unwrap()
    .jpeg;
    vec![
        ("portrait-orientation6-gps.jpg", camera_jpeg(800, 600, 1, &portrait)),
        ("landscape-no-exif.jpg", landscape),
        (
            "not-a-photo.jpg",
            "这不是照片，是一个改了扩展名的文本文件。\nThis is not a photo: a text file named .jpg.\n"
                .as_bytes()
                .to_vec(),
        ),
    ]
}

/// Regenerates fixtures/photos/. Run it with
/// `cargo test -p hudang-media --test media -- --ignored write_fixtures`.
#[test]
#[ignore = "writes files into fixtures/photos/"]
fn write_fixtures() {
    let dir = fixtures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in fixtures() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn fixtures_behave_as_their_readme_says() {
    let read = |name: &str| std::fs::read(fixtures_dir().join(name)).expect("fixture present");

    let portrait = prepare(&read("portrait-orientation6-gps.jpg"));
    assert_eq!((portrait.meta.width, portrait.meta.height), (600, 800));
    assert_eq!(portrait.meta.taken_at, Some(taken_at()));
    let gps = portrait.meta.gps.unwrap();
    assert!((gps.lat - 23.37).abs() < 1e-6 && (gps.lon - 103.38).abs() < 1e-6);
    assert_upright(&decode(&portrait.jpeg, ImageFormat::Jpeg));

    let landscape_bytes = read("landscape-no-exif.jpg");
    assert!(!contains(&landscape_bytes, b"Exif\0\0"));
    let landscape = prepare(&landscape_bytes);
    assert_eq!((landscape.meta.width, landscape.meta.height), (640, 480));
    assert_eq!((landscape.meta.taken_at, landscape.meta.gps), (None, None));

    assert_eq!(error_code(&read("not-a-photo.jpg"), &PhotoOptions::default()), "media.not_an_image");
}

/// Times the whole path on a 12-megapixel photo. Run it with
/// `cargo test -p hudang-media --release --test media -- --ignored --nocapture timing`.
#[test]
#[ignore = "timing is only meaningful in a release build"]
fn timing_12mp() {
    let exif = CameraExif { orientation: 6, taken_at: Some(taken_at()), gps: Some(MENGZI) };
    let start = Instant::now();
    let input = camera_jpeg(4000, 3000, 42, &exif);
    println!("camera_jpeg 4000x3000: {:?}, {} bytes", start.elapsed(), input.len());
    for _ in 0..3 {
        let start = Instant::now();
        let out = prepare_photo(&input, &PhotoOptions::default()).unwrap();
        println!(
            "prepare_photo: {:?} -> {} byte photo, {} byte thumbnail",
            start.elapsed(),
            out.jpeg.len(),
            out.thumbnail.len()
        );
    }
}
