//! A structural check of JPEG files that the decoder does not make.

/// Whether a JPEG runs all the way to its end-of-image marker.
///
/// The decoder we use is lenient: a file cut off halfway decodes "successfully", with the
/// missing part painted grey. A photo like that must not be stored as evidence of a visit,
/// so we walk the segment structure ourselves and require the end-of-image marker.
/// Walking segments (rather than searching for the bytes `FF D9`) matters because the EXIF
/// block usually holds a complete thumbnail JPEG with its own end marker. Bytes after the
/// marker, which some phones append, are ignored.
pub(crate) fn is_complete(data: &[u8]) -> bool {
    const SOS: u8 = 0xDA;
    const EOI: u8 = 0xD9;
    let mut pos = 2; // after SOI
    loop {
        // Find the next marker. Anything between segments that is not a marker is skipped,
        // as decoders do, and runs of 0xFF are padding before the marker code.
        let Some(skip) = data.get(pos..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) else {
            return false;
        };
        pos += skip;
        while data.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = data.get(pos) else {
            return false;
        };
        pos += 1;
        match marker {
            EOI => return true,
            // Restart markers and TEM stand alone; 0x00 is a stuffed byte, not a marker.
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = data.get(pos..pos + 2) else {
            return false;
        };
        pos += usize::from(u16::from_be_bytes([len[0], len[1]]));
        if marker == SOS {
            pos = match end_of_scan(data, pos) {
                Some(next_marker) => next_marker,
                None => return false,
            };
        }
    }
}

/// Skips entropy-coded data starting at `pos` and returns the position of the next real
/// marker. Inside scan data, `FF 00` is an escaped 0xFF byte and `FF D0`..`FF D7` are restart
/// markers, so neither ends the scan.
fn end_of_scan(data: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += data.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *data.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_the_end_marker_after_the_scan() {
        let mut jpeg = vec![0xFF, 0xD8];
        // An APP1 segment that contains a stray end marker, as an EXIF thumbnail would.
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00]);
        // A scan header and entropy data with a stuffed byte and a restart marker.
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0]);
        assert!(!is_complete(&jpeg));
        jpeg.extend_from_slice(&[0x56, 0xFF, 0xD9, 0x99]);
        assert!(is_complete(&jpeg));
    }
}
