//! Uploaded images (workspace logos, user avatars): the upload rules and
//! the re-encoding into square PNG thumbnails. This module owns what an
//! acceptable image is; storing the thumbnails is the caller's job (through
//! `switchboard_providers::storage::FileStore`).
//!
//! The rules, in the order they are checked:
//! 1. at most [`MAX_UPLOAD_BYTES`], and not empty;
//! 2. PNG, JPEG, WebP or GIF, recognised from the bytes' magic numbers,
//!    never from a file name or a declared content type;
//! 3. at most [`MAX_DIMENSION`] pixels a side, read from the header before
//!    any pixel is decoded;
//! 4. the whole image decodes (a truncated file is an error, not half an
//!    image). A GIF contributes its first frame; a JPEG or WebP's EXIF
//!    orientation is applied.
//!
//! The image is then centre-cropped to a square and resized to each of
//! [`THUMBNAIL_SIZES`] as RGBA8 PNG. The uploaded bytes are never kept or
//! served: re-encoding drops metadata (EXIF location, comments) and
//! anything a crafted file could smuggle past a browser.
//!
//! [`process_upload`] is CPU-bound (about 0.6 s for a 4096×4096 image in a
//! release build on one core) and holds up to ~200 MiB at peak for the
//! largest accepted images (a 4096×4096 16-bit PNG). Call it through
//! `files::store_image`, which runs it on the blocking pool behind the
//! image gate of [`crate::load`] (at most `--image-workers` at once).

use std::io::Cursor;

use axum::extract::Multipart;

use crate::error::{AppError, AppResult};

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits, RgbaImage};

#[cfg(test)]
mod tests;

/// Largest accepted upload, in bytes (2 MiB).
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// Largest accepted width and height, in pixels.
pub const MAX_DIMENSION: u32 = 4096;
/// Side of each square thumbnail, in pixels, largest first.
pub const THUMBNAIL_SIZES: [u32; 3] = [256, 64, 32];

// The smaller thumbnails are resized from the first one, so it must be the
// largest; see `thumbnails`.
const _: () = {
    let mut i = 1;
    while i < THUMBNAIL_SIZES.len() {
        assert!(THUMBNAIL_SIZES[i] < THUMBNAIL_SIZES[i - 1]);
        i += 1;
    }
};

const ACCEPTED_FORMATS: [ImageFormat; 4] = [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP, ImageFormat::Gif];

/// Most bytes a decoder may allocate: the largest accepted image at the
/// widest pixel these formats decode to (16-bit RGBA PNG, 8 bytes a pixel).
const MAX_DECODE_ALLOC: u64 = MAX_DIMENSION as u64 * MAX_DIMENSION as u64 * 8;

/// The thumbnails made from one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    /// `(size, PNG bytes)`, one per [`THUMBNAIL_SIZES`], in that order.
    pub thumbnails: Vec<(u32, Vec<u8>)>,
}

/// Why an upload was refused. `Display` is for logs; [`ImageError::message`]
/// is the sentence shown to the person who uploaded it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("upload of {size} bytes exceeds the {MAX_UPLOAD_BYTES}-byte limit")]
    TooLarge { size: usize },
    #[error("upload is empty")]
    Empty,
    #[error("upload is not a PNG, JPEG, WebP or GIF image")]
    UnsupportedFormat,
    #[error("image of {width}x{height} pixels exceeds {MAX_DIMENSION}x{MAX_DIMENSION}")]
    TooManyPixels { width: u32, height: u32 },
    #[error("image could not be decoded")]
    Corrupt,
}

impl ImageError {
    /// The user-facing sentence.
    pub fn message(&self) -> String {
        match self {
            Self::TooLarge { .. } => too_large_message(),
            Self::Empty => "The file is empty; choose an image to upload.".to_owned(),
            Self::UnsupportedFormat => "Upload a PNG, JPEG, WebP or GIF image.".to_owned(),
            Self::TooManyPixels { width, height } => {
                format!("The image is {width}×{height} pixels; the limit is {MAX_DIMENSION}×{MAX_DIMENSION}.")
            }
            Self::Corrupt => "The file could not be read as an image; it may be damaged or truncated.".to_owned(),
        }
    }

    /// A stable snake_case code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "image_too_large",
            Self::Empty => "image_empty",
            Self::UnsupportedFormat => "image_unsupported_format",
            Self::TooManyPixels { .. } => "image_too_many_pixels",
            Self::Corrupt => "image_corrupt",
        }
    }
}

/// The [`ImageError::TooLarge`] sentence, for callers that stop reading a
/// body at the limit and so never learn its size.
pub fn too_large_message() -> String {
    format!("The image is larger than {} MiB.", MAX_UPLOAD_BYTES / (1024 * 1024))
}

/// Checks an uploaded image against the rules and re-encodes it as square
/// PNG thumbnails. CPU-bound: run it in `tokio::task::spawn_blocking`.
pub fn process_upload(bytes: &[u8]) -> Result<ProcessedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ImageError::TooLarge { size: bytes.len() });
    }
    let format = detect_format(bytes)?;
    check_dimensions(bytes, format)?;
    if format == ImageFormat::Jpeg && !jpeg_has_end_marker(bytes) {
        return Err(ImageError::Corrupt);
    }
    let image = decode(bytes, format)?;
    let thumbnails = thumbnails(image)?;
    Ok(ProcessedImage { thumbnails })
}

/// The format named by the bytes' magic number, if it is one we accept.
fn detect_format(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    // Reading from a slice cannot fail, so an error here means no format.
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| ImageError::UnsupportedFormat)?;
    match reader.format() {
        Some(format) if ACCEPTED_FORMATS.contains(&format) => Ok(format),
        _ => Err(ImageError::UnsupportedFormat),
    }
}

/// Reads the dimensions from the header alone, so an oversized image is
/// refused with its real size before any pixel buffer exists.
fn check_dimensions(bytes: &[u8], format: ImageFormat) -> Result<(), ImageError> {
    let (width, height) =
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| ImageError::Corrupt)?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(ImageError::TooManyPixels { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt);
    }
    Ok(())
}

/// Whether a JPEG's end-of-image marker follows its first scan.
///
/// The JPEG decoder does not report a truncated file: it fills the missing
/// rows with grey and succeeds, so truncation is checked here instead. The
/// header segments are skipped by their lengths because their payload (an
/// EXIF thumbnail, say) may hold an end marker of its own. After the first
/// scan an `FF D9` pair can only be the marker: the encoder escapes `FF` in
/// scan data. Bytes after the marker (some phones append data) are allowed.
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let mut pos = 2; // after the start-of-image marker
    loop {
        match bytes.get(pos..pos + 2) {
            // A fill byte before a marker.
            Some(&[0xFF, 0xFF]) => pos += 1,
            // Start of scan.
            Some(&[0xFF, 0xDA]) => break,
            Some(&[0xFF, _]) => match bytes.get(pos + 2..pos + 4) {
                Some(&[high, low]) => pos += 2 + usize::from(u16::from_be_bytes([high, low])),
                _ => return false,
            },
            _ => return false,
        }
    }
    bytes[pos..].windows(2).any(|pair| pair == [0xFF, 0xD9])
}

/// Decodes every pixel, under limits that hold even if the header lied to
/// `check_dimensions` in a way only the pixel decoder notices.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, ImageError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    // `into_decoder` rather than `decode` to read the EXIF orientation; the
    // `reserve` is the output-buffer check `decode` would have made.
    let mut decoder = reader.into_decoder().map_err(|_| ImageError::Corrupt)?;
    limits.reserve(decoder.total_bytes()).map_err(|_| ImageError::Corrupt)?;
    // A broken EXIF block is not worth refusing an otherwise good image.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // Every decoding error surfaces here, a truncated stream included
    // (except JPEG's, caught by `jpeg_has_end_marker`).
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Corrupt)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Centre-crops to a square, then resizes to each thumbnail size.
///
/// The heavy lifting goes through `DynamicImage`'s own methods: they are
/// compiled, optimised, inside the image crate, whereas generic `imageops`
/// calls would be instantiated here, unoptimised in dev builds and ten
/// times slower.
///
/// Images with alpha are resized premultiplied: on straight alpha the
/// invisible colour of transparent pixels (often black) bleeds into the
/// edges of a logo on a transparent background as a dark fringe.
fn thumbnails(image: DynamicImage) -> Result<Vec<(u32, Vec<u8>)>, ImageError> {
    let has_alpha = image.color().has_alpha();
    let mut square = crop_to_square(image.into_rgba8());
    if has_alpha {
        premultiply(&mut square);
    }
    let square = DynamicImage::ImageRgba8(square);

    // The smaller sizes are resized from the largest thumbnail rather than
    // from the source: at 4× and 8× the result is indistinguishable, and a
    // 4096-pixel source would otherwise be filtered three times.
    let [largest_size, smaller_sizes @ ..] = THUMBNAIL_SIZES;
    let largest = square.resize_exact(largest_size, largest_size, FilterType::Lanczos3);
    drop(square);
    let smaller: Vec<(u32, DynamicImage)> =
        smaller_sizes.iter().map(|&size| (size, largest.resize_exact(size, size, FilterType::Lanczos3))).collect();

    std::iter::once((largest_size, largest))
        .chain(smaller)
        .map(|(size, thumbnail)| {
            let mut thumbnail = thumbnail.into_rgba8();
            if has_alpha {
                unpremultiply(&mut thumbnail);
            }
            Ok((size, encode_png(&thumbnail)?))
        })
        .collect()
}

/// The centred square of `image`, without a copy when it already is one.
fn crop_to_square(image: RgbaImage) -> RgbaImage {
    let (width, height) = image.dimensions();
    if width == height {
        return image;
    }
    let side = width.min(height);
    DynamicImage::ImageRgba8(image).crop_imm((width - side) / 2, (height - side) / 2, side, side).into_rgba8()
}

fn premultiply(image: &mut RgbaImage) {
    for pixel in image.pixels_mut() {
        let alpha = u16::from(pixel[3]);
        for channel in &mut pixel.0[..3] {
            // Rounded `channel * alpha / 255`; the result is at most 255.
            *channel = ((u16::from(*channel) * alpha + 127) / 255) as u8;
        }
    }
}

fn unpremultiply(image: &mut RgbaImage) {
    for pixel in image.pixels_mut() {
        let alpha = u32::from(pixel[3]);
        for channel in &mut pixel.0[..3] {
            *channel = match alpha {
                0 => 0,
                // Resampling can overshoot alpha slightly; clamp.
                _ => ((u32::from(*channel) * 255 + alpha / 2) / alpha).min(255) as u8,
            };
        }
    }
}

fn encode_png(image: &RgbaImage) -> Result<Vec<u8>, ImageError> {
    let mut png = Vec::new();
    // Thumbnails are small and served often: compress hard.
    PngEncoder::new_with_quality(&mut png, CompressionType::Best, PngFilter::Adaptive)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        // Encoding a well-formed RGBA8 buffer into memory does not fail; if
        // it ever does, the upload is refused rather than stored broken.
        .map_err(|_| ImageError::Corrupt)?;
    Ok(png)
}

/// An uploaded file and the form's `back` field (when it came first).
pub struct Upload {
    pub bytes: bytes::Bytes,
    pub back: String,
}

/// Reads the file field `name` of a multipart form, refusing more than
/// the upload limit without buffering the rest.
pub async fn read_upload(mut multipart: Multipart, name: &str) -> AppResult<Upload> {
    let choose = || AppError::field(name, "Choose an image file to upload.");
    let mut back = String::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|_| choose())? {
        if field.name() == Some("back") {
            back = field.text().await.map_err(|_| choose())?;
            continue;
        }
        if field.name() != Some(name) {
            continue;
        }
        let mut data = bytes::BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| choose())? {
            if data.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(AppError::field(name, too_large_message()));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(choose());
        }
        return Ok(Upload { bytes: data.freeze(), back });
    }
    Err(choose())
}
