#![allow(clippy::unwrap_used)]

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::{Frame, Rgb, RgbImage, Rgba};

use super::*;

const RED: Rgba<u8> = Rgba([255, 0, 0, 255]);
const GREEN: Rgba<u8> = Rgba([0, 255, 0, 255]);
const BLUE: Rgba<u8> = Rgba([0, 0, 255, 255]);

/// Pseudo-random pixels, so that compressed files are not trivially small
/// and truncating one cuts into the pixel data.
fn noise(width: u32, height: u32) -> RgbaImage {
    let mut state: u32 = 0x1234_5678;
    RgbaImage::from_fn(width, height, |_, _| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [r, g, b, _] = state.to_be_bytes();
        Rgba([r, g, b, 255])
    })
}

fn encode(image: impl Into<DynamicImage>, format: ImageFormat) -> Vec<u8> {
    let image: DynamicImage = image.into();
    // JPEG has no alpha channel.
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image,
    };
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Checks the thumbnails' sizes and order and that each is a PNG, and
/// returns them decoded.
fn decoded_thumbnails(processed: &ProcessedImage) -> Vec<RgbaImage> {
    let sizes: Vec<u32> = processed.thumbnails.iter().map(|(size, _)| *size).collect();
    assert_eq!(sizes, THUMBNAIL_SIZES);
    processed
        .thumbnails
        .iter()
        .map(|(size, png)| {
            assert_eq!(image::guess_format(png).unwrap(), ImageFormat::Png);
            let image = image::load_from_memory_with_format(png, ImageFormat::Png).unwrap();
            assert_eq!(image.color(), image::ColorType::Rgba8);
            assert_eq!((image.width(), image.height()), (*size, *size));
            image.into_rgba8()
        })
        .collect()
}

fn assert_close(actual: Rgba<u8>, expected: Rgba<u8>) {
    let close = actual.0.iter().zip(expected.0).all(|(a, e)| a.abs_diff(e) <= 8);
    assert!(close, "{actual:?} is not close to {expected:?}");
}

/// Standard CRC-32 (IEEE), for crafting PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

#[test]
fn every_accepted_format_becomes_three_png_thumbnails() {
    for format in ACCEPTED_FORMATS {
        let upload = encode(noise(40, 30), format);
        let processed = process_upload(&upload).unwrap_or_else(|err| panic!("{format:?} was refused: {err:?}"));
        decoded_thumbnails(&processed);
    }
}

#[test]
fn the_thumbnails_are_new_files_not_the_upload() {
    let upload = encode(noise(256, 256), ImageFormat::Png);
    let processed = process_upload(&upload).unwrap();
    assert!(processed.thumbnails.iter().all(|(_, png)| *png != upload));
}

#[test]
fn a_wide_image_is_centre_cropped() {
    let wide = RgbaImage::from_fn(300, 100, |x, _| match x {
        0..100 => RED,
        100..200 => GREEN,
        _ => BLUE,
    });
    let processed = process_upload(&encode(wide, ImageFormat::Png)).unwrap();
    for thumbnail in decoded_thumbnails(&processed) {
        for pixel in thumbnail.pixels() {
            assert_close(*pixel, GREEN);
        }
    }
}

#[test]
fn a_tall_image_is_centre_cropped() {
    let tall = RgbaImage::from_fn(50, 150, |_, y| match y {
        0..50 => RED,
        50..100 => GREEN,
        _ => BLUE,
    });
    let processed = process_upload(&encode(tall, ImageFormat::Png)).unwrap();
    for thumbnail in decoded_thumbnails(&processed) {
        for pixel in thumbnail.pixels() {
            assert_close(*pixel, GREEN);
        }
    }
}

#[test]
fn transparent_edges_get_no_dark_fringe() {
    // A white square on fully transparent black, as logos often are.
    let logo = RgbaImage::from_fn(100, 100, |x, y| {
        if (25..75).contains(&x) && (25..75).contains(&y) { Rgba([255, 255, 255, 255]) } else { Rgba([0, 0, 0, 0]) }
    });
    let processed = process_upload(&encode(logo, ImageFormat::Png)).unwrap();
    for thumbnail in decoded_thumbnails(&processed) {
        for pixel in thumbnail.pixels().filter(|pixel| pixel[3] >= 16) {
            assert!(pixel.0[..3].iter().all(|&c| c >= 240), "dark fringe: {pixel:?}");
        }
    }
}

#[test]
fn a_gif_contributes_its_first_frame_only() {
    let mut upload = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut upload);
        let red = Frame::new(RgbaImage::from_pixel(20, 20, RED));
        let blue = Frame::new(RgbaImage::from_pixel(20, 20, BLUE));
        encoder.encode_frames([red, blue]).unwrap();
    }
    let processed = process_upload(&upload).unwrap();
    for thumbnail in decoded_thumbnails(&processed) {
        for pixel in thumbnail.pixels() {
            assert_close(*pixel, RED);
        }
    }
}

#[test]
fn a_jpeg_exif_orientation_is_applied() {
    // Top half red, bottom half blue, tagged "rotate 90° clockwise" (6):
    // shown upright, red is on the right.
    let image = RgbImage::from_fn(64, 64, |_, y| if y < 32 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
    let exif = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation, SHORT, 1, value 6
        0, 0, 0, 0, // no next IFD
    ];
    let mut upload = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut upload, 95);
    encoder.set_exif_metadata(exif.to_vec()).unwrap();
    encoder.write_image(image.as_raw(), 64, 64, image::ExtendedColorType::Rgb8).unwrap();

    let processed = process_upload(&upload).unwrap();
    let largest = &decoded_thumbnails(&processed)[0];
    assert_close(*largest.get_pixel(20, 128), BLUE);
    assert_close(*largest.get_pixel(235, 128), RED);
}

#[test]
fn text_is_an_unsupported_format() {
    assert_eq!(process_upload(b"hello, I am not an image"), Err(ImageError::UnsupportedFormat));
}

#[test]
fn an_empty_upload_is_refused() {
    assert_eq!(process_upload(b""), Err(ImageError::Empty));
}

#[test]
fn one_byte_over_two_mib_is_too_large() {
    let upload = vec![0; MAX_UPLOAD_BYTES + 1];
    assert_eq!(process_upload(&upload), Err(ImageError::TooLarge { size: MAX_UPLOAD_BYTES + 1 }));
    // Exactly the limit passes the size check and fails on format instead.
    assert_eq!(process_upload(&upload[..MAX_UPLOAD_BYTES]), Err(ImageError::UnsupportedFormat));
}

#[test]
fn a_side_over_4096_pixels_is_too_many_pixels() {
    let wide = encode(RgbaImage::new(4097, 10), ImageFormat::Png);
    assert_eq!(process_upload(&wide), Err(ImageError::TooManyPixels { width: 4097, height: 10 }));
    let tall = encode(RgbaImage::new(10, 4097), ImageFormat::Png);
    assert_eq!(process_upload(&tall), Err(ImageError::TooManyPixels { width: 10, height: 4097 }));
}

#[test]
fn exactly_4096_pixels_is_accepted() {
    let upload = encode(RgbaImage::from_pixel(4096, 2, GREEN), ImageFormat::Png);
    let processed = process_upload(&upload).unwrap();
    decoded_thumbnails(&processed);
}

#[test]
fn a_header_claiming_100000_pixels_a_side_is_refused_before_decoding() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    png_chunk(&mut png, b"IHDR", &ihdr);
    // An empty zlib stream: 40 GB of pixels promised, none delivered.
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);

    assert_eq!(process_upload(&png), Err(ImageError::TooManyPixels { width: 100_000, height: 100_000 }));
}

#[test]
fn a_truncated_png_is_corrupt() {
    let upload = encode(noise(64, 64), ImageFormat::Png);
    assert_eq!(process_upload(&upload[..upload.len() / 2]), Err(ImageError::Corrupt));
}

#[test]
fn a_png_with_a_bad_checksum_is_corrupt() {
    let mut upload = encode(noise(64, 64), ImageFormat::Png);
    let middle = upload.len() / 2;
    upload[middle] ^= 0xFF;
    assert_eq!(process_upload(&upload), Err(ImageError::Corrupt));
}

#[test]
fn a_truncated_jpeg_is_corrupt() {
    let upload = encode(noise(64, 64), ImageFormat::Jpeg);
    for cut in [upload.len() / 2, upload.len() - 2] {
        assert_eq!(process_upload(&upload[..cut]), Err(ImageError::Corrupt), "cut at {cut}");
    }
}

#[test]
fn a_truncated_jpeg_is_corrupt_even_with_an_end_marker_in_its_header() {
    let encoded = encode(noise(64, 64), ImageFormat::Jpeg);
    // A comment segment holding FF D9, as an embedded EXIF thumbnail would.
    let mut upload = encoded[..2].to_vec();
    upload.extend_from_slice(&[0xFF, 0xFE, 0, 4, 0xFF, 0xD9]);
    upload.extend_from_slice(&encoded[2..encoded.len() / 2]);
    assert_eq!(process_upload(&upload), Err(ImageError::Corrupt));
}

#[test]
fn a_jpeg_with_bytes_after_its_end_is_accepted() {
    let mut upload = encode(noise(64, 64), ImageFormat::Jpeg);
    upload.extend_from_slice(b"trailing data some cameras append");
    decoded_thumbnails(&process_upload(&upload).unwrap());
}

#[test]
fn a_truncated_webp_or_gif_is_corrupt() {
    for format in [ImageFormat::WebP, ImageFormat::Gif] {
        let upload = encode(noise(64, 64), format);
        assert_eq!(process_upload(&upload[..upload.len() / 2]), Err(ImageError::Corrupt), "{format:?}");
    }
}

#[test]
fn a_bmp_is_an_unsupported_format() {
    // A 1×1 24-bit BMP.
    let mut bmp = b"BM".to_vec();
    for field in [58u32, 0, 54, 40, 1, 1] {
        bmp.extend_from_slice(&field.to_le_bytes());
    }
    bmp.extend_from_slice(&1u16.to_le_bytes()); // planes
    bmp.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    for field in [0u32, 4, 2835, 2835, 0, 0] {
        bmp.extend_from_slice(&field.to_le_bytes());
    }
    bmp.extend_from_slice(&[0, 0, 255, 0]); // one red pixel, padded row
    assert_eq!(image::guess_format(&bmp).unwrap(), ImageFormat::Bmp);
    assert_eq!(process_upload(&bmp), Err(ImageError::UnsupportedFormat));
}

#[test]
fn a_tiff_is_an_unsupported_format() {
    // A 1×1 8-bit greyscale, uncompressed little-endian TIFF.
    let mut tiff = b"II".to_vec();
    tiff.extend_from_slice(&42u16.to_le_bytes());
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: [(u16, u16, u32); 8] = [
        (256, 3, 1),   // ImageWidth
        (257, 3, 1),   // ImageLength
        (258, 3, 8),   // BitsPerSample
        (259, 3, 1),   // Compression: none
        (262, 3, 1),   // PhotometricInterpretation: black is zero
        (273, 4, 110), // StripOffsets: just after the IFD
        (278, 3, 1),   // RowsPerStrip
        (279, 4, 1),   // StripByteCounts
    ];
    tiff.extend_from_slice(&8u16.to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 110);
    tiff.push(128);
    assert_eq!(image::guess_format(&tiff).unwrap(), ImageFormat::Tiff);
    assert_eq!(process_upload(&tiff), Err(ImageError::UnsupportedFormat));
}

#[test]
fn messages_are_the_user_facing_sentences() {
    assert_eq!(ImageError::TooLarge { size: MAX_UPLOAD_BYTES + 1 }.message(), "The image is larger than 2 MiB.");
    assert_eq!(too_large_message(), "The image is larger than 2 MiB.");
    assert_eq!(ImageError::UnsupportedFormat.message(), "Upload a PNG, JPEG, WebP or GIF image.");
    assert_eq!(
        ImageError::TooManyPixels { width: 5000, height: 300 }.message(),
        "The image is 5000×300 pixels; the limit is 4096×4096."
    );
    assert_eq!(
        ImageError::Corrupt.message(),
        "The file could not be read as an image; it may be damaged or truncated."
    );
    assert_eq!(ImageError::Empty.message(), "The file is empty; choose an image to upload.");
}
