//! An uploaded image's size and thumbnail, made on a blocking thread.
//!
//! A small file can claim to be an enormous image (a decompression bomb:
//! a few kilobytes of PNG that inflate to gigabytes of pixels), so the
//! header's dimensions are read first and checked against
//! [`MAX_PIXELS`] before anything is decoded, and the decoder is held to
//! the memory those pixels need. Decoding is bounded in number too: at
//! most [`AT_ONCE`] images at a time, whatever arrives.

use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use crate::limits::THUMBNAIL_SIDE;

/// The most pixels an image may have to be shown (and thumbnailed): 50
/// megapixels, past any phone camera.
pub const MAX_PIXELS: u64 = 50_000_000;

/// Images decoded at once, across the node.
const AT_ONCE: usize = 2;

static DECODING: Semaphore = Semaphore::const_new(AT_ONCE);

/// What an image turned out to be.
#[derive(Debug)]
pub struct Examined {
    pub width: u32,
    pub height: u32,
    /// The thumbnail: PNG if the image has transparency, else JPEG.
    pub thumbnail: Vec<u8>,
    pub transparent: bool,
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "This image is too large ({width}×{height} pixels); at most 50 megapixels are accepted."
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("This image could not be read: it is damaged or not what its first bytes say.")]
    Unreadable,
}

/// The image in the file at `path` (of type `content_type`), examined on a
/// blocking thread once one of the decoding places is free.
pub async fn examine(path: &Path, content_type: &str) -> Result<Examined, Refusal> {
    let format = ImageFormat::from_mime_type(content_type).ok_or(Refusal::Unreadable)?;
    let place = DECODING.acquire().await.map_err(|_| Refusal::Unreadable)?;
    let path = path.to_owned();
    // The place is the decoding's, not this future's: a request dropped
    // meanwhile does not free it while the pixels are still being made.
    tokio::task::spawn_blocking(move || {
        let _place = place;
        examine_now(&path, format)
    })
    .await
    .map_err(|_| Refusal::Unreadable)?
}

fn examine_now(path: &Path, format: ImageFormat) -> Result<Examined, Refusal> {
    let reader = |limits: Limits| {
        let mut reader = ImageReader::open(path).map_err(|_| Refusal::Unreadable)?;
        reader.set_format(format);
        reader.limits(limits);
        Ok::<_, Refusal>(reader)
    };
    // The header alone, under the default limits (which decode nothing).
    let (width, height) = reader(Limits::default())?
        .into_dimensions()
        .map_err(|_| Refusal::Unreadable)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // Four bytes a pixel (RGBA8), twice over for a conversion, and room
    // for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    let image = reader(limits)?.decode().map_err(|_| Refusal::Unreadable)?;
    // Shrunk to fit, never enlarged.
    let small = if width.max(height) > THUMBNAIL_SIDE {
        image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        image
    };
    let mut thumbnail = Cursor::new(Vec::new());
    let transparent = small.color().has_alpha();
    let written = if transparent {
        small.write_to(&mut thumbnail, ImageFormat::Png)
    } else {
        small
            .into_rgb8()
            .write_to(&mut thumbnail, ImageFormat::Jpeg)
    };
    written.map_err(|_| Refusal::Unreadable)?;
    Ok(Examined {
        width,
        height,
        thumbnail: thumbnail.into_inner(),
        transparent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `width`×`height` that is only a header and one empty
    /// block: what a decompression bomb looks like before it is inflated.
    pub fn claimed_png(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(data);
            out.extend(kind);
            out.extend(data);
            out.extend(crc.finalize().to_be_bytes());
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut header = Vec::new();
        header.extend(width.to_be_bytes());
        header.extend(height.to_be_bytes());
        header.extend([8, 0, 0, 0, 0]); // 8-bit greyscale
        chunk(&mut png, b"IHDR", &header);
        chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut png, b"IEND", &[]);
        png
    }

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    #[tokio::test]
    async fn a_bomb_is_refused_before_it_is_decoded() {
        let bomb = file(&claimed_png(100_000, 100_000));
        let refused = examine(bomb.path(), "image/png").await.unwrap_err();
        assert!(matches!(
            refused,
            Refusal::TooManyPixels {
                width: 100_000,
                height: 100_000
            }
        ));
    }

    #[tokio::test]
    async fn an_image_gets_its_size_and_a_thumbnail_within_bounds() {
        let mut png = Cursor::new(Vec::new());
        image::RgbImage::from_pixel(1200, 600, image::Rgb([200, 30, 30]))
            .write_to(&mut png, ImageFormat::Png)
            .unwrap();
        let picture = file(png.get_ref());
        let examined = examine(picture.path(), "image/png").await.unwrap();
        assert_eq!((examined.width, examined.height), (1200, 600));
        let thumbnail = image::load_from_memory(&examined.thumbnail).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (400, 200));

        // A small one keeps its size.
        let mut png = Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(64, 48, image::Rgba([0, 0, 0, 0]))
            .write_to(&mut png, ImageFormat::Png)
            .unwrap();
        let icon = file(png.get_ref());
        let examined = examine(icon.path(), "image/png").await.unwrap();
        assert!(examined.transparent);
        let thumbnail = image::load_from_memory(&examined.thumbnail).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (64, 48));
    }

    #[tokio::test]
    async fn a_damaged_image_is_unreadable() {
        let damaged = file(&claimed_png(10, 10)[..30]);
        assert!(matches!(
            examine(damaged.path(), "image/png").await,
            Err(Refusal::Unreadable)
        ));
    }
}
