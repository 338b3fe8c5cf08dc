//! Portfolio images: judged by their bytes (PNG, JPEG or WebP only, never
//! by the client's name or type), decoded under limits (at most
//! [`MAX_SIDE`] pixels a side, a bounded allocation), turned upright by
//! their EXIF orientation and re-encoded, so that EXIF and every other
//! metadata chunk (location, camera serials, ICC profiles, comments) is
//! gone; plus a thumbnail at most [`THUMB_SIDE`] pixels on its long side.
//! JPEG stays JPEG (quality 88), PNG stays PNG, WebP stays WebP (lossless:
//! the `image` crate encodes no lossy WebP). The original and thumbnail
//! share the type.
//!
//! Decoding is CPU work: it runs on tokio's blocking pool, at most
//! [`MAX_PARALLEL_DECODES`] at a time so that memory stays bounded.
//!
//! Reads go through `GET /media/portfolio/{imageId}` (and `/thumbnail`):
//! public when the profile is (ACTIVE, APPROVED, `is_profile_public`),
//! otherwise only for its owner or a holder of
//! `marketplace.profiles.manage`; `NOT_FOUND` for everyone else.

use std::io::Cursor;

use bytes::Bytes;
use entity::enums::{ApprovalStatus, ProfileStatus};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{ColorType, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sea_orm::{ActiveEnum, ConnectionTrait, DbBackend, Statement};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::perms::{MARKETPLACE_USE, PROFILES_MANAGE};
use crate::app::AppContext;
use crate::error::{AppError, AppResult};
use crate::infra::storage::{sha256_hex, sniff};
use crate::service::identity::Viewer;

/// Largest accepted width and height, in pixels.
pub const MAX_SIDE: u32 = 8000;
/// Long side of a thumbnail, in pixels (at most).
pub const THUMB_SIDE: u32 = 320;
/// Most bytes a decoded image may take (8000 × 8000 RGBA is 256 MB).
const MAX_DECODED_BYTES: u64 = 260 * 1024 * 1024;
/// JPEG quality of re-encoded images.
const JPEG_QUALITY: u8 = 88;
/// Images decoded at once by this process.
pub const MAX_PARALLEL_DECODES: usize = 2;

static DECODES: Semaphore = Semaphore::const_new(MAX_PARALLEL_DECODES);

/// The accepted kinds of image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    WebP,
}

impl Kind {
    /// The kind of `bytes`, judged by their first bytes; `None` for
    /// anything but PNG, JPEG and WebP.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        match sniff(bytes)? {
            "image/png" => Some(Kind::Png),
            "image/jpeg" => Some(Kind::Jpeg),
            "image/webp" => Some(Kind::WebP),
            _ => None,
        }
    }

    /// The media type stored and served.
    pub fn mime_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::WebP => "image/webp",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Png => ImageFormat::Png,
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::WebP => ImageFormat::WebP,
        }
    }
}

/// A re-encoded image and its thumbnail, ready to store.
#[derive(Clone, Debug)]
pub struct Processed {
    pub original: Bytes,
    pub thumbnail: Bytes,
    pub mime_type: &'static str,
    /// Of the re-encoded (upright) original.
    pub width: u32,
    pub height: u32,
    /// SHA-256 of the stored original, lower-case hex.
    pub sha256: String,
}

/// Checks and re-encodes an uploaded image: not empty, at most
/// `max_bytes`, PNG/JPEG/WebP by its bytes, decodable within the limits.
/// `BAD_USER_INPUT` on `field` otherwise.
pub async fn process(field: &str, bytes: Bytes, max_bytes: usize) -> AppResult<Processed> {
    if bytes.is_empty() {
        return Err(AppError::invalid(field, "the file is empty"));
    }
    if bytes.len() > max_bytes {
        return Err(AppError::invalid(
            field,
            format!("the file is larger than {max_bytes} bytes"),
        ));
    }
    let Some(kind) = Kind::sniff(&bytes) else {
        return Err(AppError::invalid(
            field,
            "only PNG, JPEG and WebP images are accepted (judged by their content)",
        ));
    };
    let _permit = DECODES.acquire().await.map_err(|_| AppError::unavailable())?;
    tokio::task::spawn_blocking(move || process_blocking(&bytes, kind))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("the image task failed: {e}")))?
        .map_err(|message| AppError::invalid(field, message))
}

/// The decoding limits.
fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_DECODED_BYTES);
    l
}

/// Decodes, turns upright, re-encodes and makes the thumbnail. The error
/// is the message to show on the file field.
pub fn process_blocking(bytes: &[u8], kind: Kind) -> Result<Processed, String> {
    let unreadable = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => {
            format!("the image is too large: at most {MAX_SIDE} × {MAX_SIDE} pixels")
        }
        _ => "the file is not a readable PNG, JPEG or WebP image".to_string(),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(kind.format());
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(format!(
            "the image is too large: at most {MAX_SIDE} × {MAX_SIDE} pixels"
        ));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);
    let original = encode(&img, kind)?;
    let thumb = if img.width().max(img.height()) > THUMB_SIDE {
        img.thumbnail(THUMB_SIDE, THUMB_SIDE)
    } else {
        img.clone()
    };
    let thumbnail = encode(&thumb, kind)?;
    Ok(Processed {
        sha256: sha256_hex(&original),
        original: original.into(),
        thumbnail: thumbnail.into(),
        mime_type: kind.mime_type(),
        width: img.width(),
        height: img.height(),
    })
}

/// Encodes `img` as `kind`, with no metadata at all.
fn encode(img: &DynamicImage, kind: Kind) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let eight_bit = |img: &DynamicImage| -> DynamicImage {
        match img.color() {
            ColorType::L8 | ColorType::Rgb8 | ColorType::Rgba8 => img.clone(),
            c if c.has_alpha() => DynamicImage::ImageRgba8(img.to_rgba8()),
            _ => DynamicImage::ImageRgb8(img.to_rgb8()),
        }
    };
    let done = match kind {
        Kind::Jpeg => {
            let enc = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            match img.color() {
                ColorType::L8 | ColorType::Rgb8 => img.write_with_encoder(enc),
                _ => DynamicImage::ImageRgb8(img.to_rgb8()).write_with_encoder(enc),
            }
        }
        Kind::Png => match img.color() {
            ColorType::Rgb32F | ColorType::Rgba32F => eight_bit(img).write_with_encoder(PngEncoder::new(&mut out)),
            _ => img.write_with_encoder(PngEncoder::new(&mut out)),
        },
        Kind::WebP => eight_bit(img).write_with_encoder(WebPEncoder::new_lossless(&mut out)),
    };
    done.map_err(|e| {
        tracing::warn!(error = %e, "re-encoding an image failed");
        "the image could not be re-encoded".to_string()
    })?;
    Ok(out)
}

/// The storage keys of image `id`: original and thumbnail.
pub fn keys_of(id: Uuid) -> (String, String) {
    (format!("portfolio/{id}/original"), format!("portfolio/{id}/thumbnail"))
}

/// An image's bytes for the media route.
pub struct Media {
    pub bytes: Bytes,
    pub mime_type: String,
    /// Whether anyone may read it (the route lets shared caches keep it).
    pub public: bool,
    /// A validator that changes when the bytes do.
    pub etag: String,
}

/// Image `id` (its thumbnail when `thumbnail`) if `viewer` may read it:
/// anyone when the profile is public, else its owner and moderators.
/// `NOT_FOUND` otherwise, so ids reveal nothing.
pub async fn download(ctx: &AppContext, viewer: &Viewer, id: Uuid, thumbnail: bool) -> AppResult<Media> {
    let row = ctx
        .db
        .read
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT img.file_url, img.thumbnail_url, img.mime_type, img.sha256, p.user_id, \
               (p.status = $2 AND p.approval_status = $3 AND p.is_profile_public) AS public \
             FROM portfolio_images img \
             JOIN portfolio_items i ON i.id = img.portfolio_item_id \
             JOIN user_role_profiles p ON p.id = i.user_role_profile_id \
             WHERE img.id = $1",
            [
                id.into(),
                ProfileStatus::Active.to_value().into(),
                ApprovalStatus::Approved.to_value().into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::NotFound("image".into()))?;
    let public: bool = row.try_get("", "public")?;
    let owner: Uuid = row.try_get("", "user_id")?;
    let own = viewer.user_id == Some(owner) && viewer.scope_allows(MARKETPLACE_USE);
    if !public && !own && !viewer.can(PROFILES_MANAGE) {
        return Err(AppError::NotFound("image".into()));
    }
    let original: String = row.try_get("", "file_url")?;
    let thumb: Option<String> = row.try_get("", "thumbnail_url")?;
    let key = match (thumbnail, thumb) {
        (true, Some(t)) => t,
        _ => original,
    };
    let sha: Option<String> = row.try_get("", "sha256")?;
    let mime: Option<String> = row.try_get("", "mime_type")?;
    Ok(Media {
        bytes: ctx.storage.get(&key).await?,
        mime_type: mime.unwrap_or_else(|| "application/octet-stream".into()),
        public,
        etag: format!(
            "\"{}-{}\"",
            sha.as_deref().map_or("0", |s| &s[..s.len().min(16)]),
            if thumbnail { "t" } else { "o" }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 80)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn images_are_re_encoded_with_a_small_thumbnail() {
        let p = process_blocking(&jpeg(800, 400), Kind::Jpeg).unwrap();
        assert_eq!((p.width, p.height, p.mime_type), (800, 400, "image/jpeg"));
        let t = image::load_from_memory(&p.thumbnail).unwrap();
        assert_eq!((t.width(), t.height()), (320, 160));
        let small = process_blocking(&jpeg(40, 30), Kind::Jpeg).unwrap();
        let t = image::load_from_memory(&small.thumbnail).unwrap();
        assert_eq!((t.width(), t.height()), (40, 30));
    }

    /// A JPEG whose EXIF says "rotate 90° clockwise" (orientation 6).
    fn rotated_jpeg(w: u32, h: u32) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let plain = jpeg(w, h);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn images_are_turned_upright_before_their_exif_goes() {
        let p = process_blocking(&rotated_jpeg(64, 32), Kind::Jpeg).unwrap();
        assert_eq!((p.width, p.height), (32, 64));
        assert!(!p.original.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn non_images_and_huge_images_are_refused() {
        assert!(process_blocking(b"\x89PNG\r\n\x1a\nnot really", Kind::Png).is_err());
        assert_eq!(Kind::sniff(b"%PDF-1.7"), None);
        // A PNG header claiming 9000 × 10 pixels.
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(&vec![0u8; 9000 * 10], 9000, 10, image::ExtendedColorType::L8)
            .unwrap();
        let e = process_blocking(&png, Kind::Png).unwrap_err();
        assert!(e.contains("too large"), "{e}");
    }
}
