//! Shrinking images quickly without visible aliasing.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Pixel};

/// The size of a `width`×`height` image scaled down so that its long edge is at most
/// `max_long_edge`, keeping the aspect ratio. Images already small enough keep their size.
pub(crate) fn fit_within(width: u32, height: u32, max_long_edge: u32) -> (u32, u32) {
    let max_long_edge = max_long_edge.max(1);
    let long = width.max(height);
    if long <= max_long_edge {
        return (width, height);
    }
    let scale = |side: u32| -> u32 {
        let scaled = (u64::from(side) * u64::from(max_long_edge) + u64::from(long) / 2) / u64::from(long);
        // The short side of a very thin strip must not vanish.
        u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
    };
    (scale(width), scale(height))
}

/// Scales an 8-bit image down to exactly `width`×`height`.
///
/// A filtered resize of a 12-megapixel photo is slow because the filter's support grows with
/// the reduction factor. So we first average whole k×k blocks (cheap integer work that loses
/// nothing a filter would keep), which leaves at most a factor of two for the Catmull-Rom
/// filter to do properly.
pub(crate) fn downscale<P>(image: &ImageBuffer<P, Vec<u8>>, width: u32, height: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let (src_w, src_h) = image.dimensions();
    if (src_w, src_h) == (width, height) {
        return image.clone();
    }
    let k = (src_w / width.max(1)).min(src_h / height.max(1));
    let reduced;
    let image = if k >= 2 {
        reduced = box_reduce(image, k);
        &reduced
    } else {
        image
    };
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    imageops::resize(image, width, height, FilterType::CatmullRom)
}

/// Averages each k×k block into one pixel. Blocks cut off at the right and bottom edges are
/// averaged over the pixels they have, so no part of the picture is lost.
fn box_reduce<P>(image: &ImageBuffer<P, Vec<u8>>, k: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let channels = usize::from(P::CHANNEL_COUNT);
    let (w, h) = image.dimensions();
    let (out_w, out_h) = (w.div_ceil(k), h.div_ceil(k));
    let k = k as usize;
    let row_len = w as usize * channels;
    let src = image.as_raw();

    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * channels);
    let mut sums = vec![0u32; out_w as usize * channels];
    for band in src.chunks(row_len * k) {
        sums.fill(0);
        for row in band.chunks_exact(row_len) {
            for (block, sum) in row.chunks(k * channels).zip(sums.chunks_exact_mut(channels)) {
                for px in block.chunks_exact(channels) {
                    for (s, &v) in sum.iter_mut().zip(px) {
                        *s += u32::from(v);
                    }
                }
            }
        }
        let rows = (band.len() / row_len) as u32;
        for (x, sum) in sums.chunks_exact(channels).enumerate() {
            let cols = (w as usize - x * k).min(k) as u32;
            let n = rows * cols;
            out.extend(sum.iter().map(|&s| ((s + n / 2) / n) as u8));
        }
    }
    ImageBuffer::from_raw(out_w, out_h, out).expect("buffer length matches the reduced size")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn fit_within_keeps_small_and_caps_large() {
        assert_eq!(fit_within(800, 600, 1600), (800, 600));
        assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit_within(10000, 1, 1600), (1600, 1));
    }

    #[test]
    fn box_reduce_averages_partial_edge_blocks() {
        let img = RgbImage::from_fn(5, 3, |x, _| Rgb([x as u8 * 10, 0, 255]));
        let out = box_reduce(&img, 2);
        assert_eq!(out.dimensions(), (3, 2));
        assert_eq!(out.get_pixel(0, 0), &Rgb([5, 0, 255]));
        assert_eq!(out.get_pixel(2, 1), &Rgb([40, 0, 255]));
    }
}
