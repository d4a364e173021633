//! Attachments over HTTP: `POST /api/uploads` takes one file (multipart,
//! streamed, never buffered whole), and the two `GET`s serve a file and
//! its thumbnail with the headers that keep a file from ever acting as a
//! page of this site: its sniffed type, `nosniff`, `Content-Disposition`
//! (`attachment` unless it is an image shown inline) and a sandboxing CSP.
//! Files are immutable, so a validator is cheap: the ETag is the id.
//!
//! These routes sit outside the API's 64 KiB body limit and its
//! compression (files are counted against `UPLOAD_MAX_BYTES` as they
//! arrive; images and archives are compressed already, and a compressed
//! answer could not serve byte ranges).

use std::ops::Range;

use app::error::ErrorBody;
use app::model::Upload;
use app::server::services::uploads::{self, Variant};
use app::server::{AppState, Error, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, RANGE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::extract::Caller;

/// What a multipart body may add to its file: the boundaries and part
/// headers. A body declared longer than the file limit plus this is
/// refused before a byte of it is read.
const MULTIPART_SLACK: u64 = 16 * 1024;

/// How a served file may be used: nothing in it runs, nothing it names
/// loads, and it is its own sandboxed origin (an image still shows).
const FILE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/uploads", post(create))
        .route("/api/uploads/{id}/content", get(content))
        .route("/api/uploads/{id}/thumbnail", get(thumbnail))
        // The service counts the file against UPLOAD_MAX_BYTES itself.
        .layer(DefaultBodyLimit::disable())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadResponse {
    pub upload: Upload,
}

/// A file to send with a message (`multipart/form-data` with one part,
/// `file`, whose filename is kept). Its type is read from its bytes; an
/// image (PNG, JPEG, GIF, WebP) gets its size and a thumbnail. Unsent, it
/// is the caller's alone, and deleted after a day.
#[utoipa::path(post, path = "/api/uploads", tag = "uploads",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = UploadResponse),
        (status = 400, body = ErrorBody, description = "validation_error (field `file`: no file part, an empty file, an image that cannot be read or has over 50 megapixels)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 413, body = ErrorBody, description = "payload_too_large (over UPLOAD_MAX_BYTES, refused as soon as it is known), or quota_exceeded (over UPLOAD_QUOTA_BYTES)"),
        (status = 415, body = ErrorBody, description = "unsupported_file_type: a type UPLOAD_TYPES does not list"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request: Request,
) -> Result<(StatusCode, axum::Json<UploadResponse>)> {
    let limit = state.settings.uploads.max_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit.saturating_add(MULTIPART_SLACK)) {
        return Err(Error::FileTooLarge { limit });
    }
    let mut form = Multipart::from_request(request, &state)
        .await
        .map_err(|rejection| Error::validation("file", rejection.body_text()))?;
    let field = form
        .next_field()
        .await
        .map_err(|e| Error::validation("file", e.body_text()))?
        .filter(|field| field.name() == Some("file"))
        .ok_or_else(|| {
            Error::validation("file", "Send the file as a multipart part named \"file\".")
        })?;
    let name = field.file_name().map(str::to_owned);
    let upload = uploads::receive(&state, &caller, name.as_deref(), field).await?;
    Ok((StatusCode::CREATED, axum::Json(UploadResponse { upload })))
}

/// The multipart form of `POST /api/uploads`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A file, to the members of the room it was sent in (before it is sent:
/// to its uploader). Served as its sniffed type, inline if it is an image
/// and as a download otherwise; byte ranges (`Range: bytes=…`) and
/// revalidation (`If-None-Match`) are supported.
#[utoipa::path(get, path = "/api/uploads/{id}/content", tag = "uploads",
    params(("id" = String, Path, description = "Upload id")),
    responses(
        (status = 200, description = "The file, as its sniffed type", content_type = "*/*"),
        (status = 206, description = "The range asked for", content_type = "*/*"),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "not_found: no such file, or not the caller's to see"),
        (status = 416, description = "A range past the file's end"),
    ),
    security(("bearer" = [])))]
pub async fn content(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, &caller, &id, Variant::Original, &headers).await
}

/// An image's thumbnail (at most 400 pixels a side), to whoever may see
/// the image.
#[utoipa::path(get, path = "/api/uploads/{id}/thumbnail", tag = "uploads",
    params(("id" = String, Path, description = "Upload id")),
    responses(
        (status = 200, description = "The thumbnail (JPEG, or PNG when transparent)", content_type = "image/*"),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "not_found: no such file, not an image, or not the caller's to see"),
    ),
    security(("bearer" = [])))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, &caller, &id, Variant::Thumbnail, &headers).await
}

async fn serve(
    state: &AppState,
    caller: &app::server::services::auth::AuthUser,
    id: &str,
    variant: Variant,
    headers: &HeaderMap,
) -> Result<Response> {
    let row = uploads::find(state, caller, id).await?;
    let upload = row.to_upload();
    let etag = match variant {
        Variant::Original => format!("\"{id}\""),
        Variant::Thumbnail => format!("\"{id}.thumb\""),
    };
    let mut response = Response::new(Body::empty());
    let answer = response.headers_mut();
    answer.insert(ETAG, value(&etag));
    // A file never changes; who may see it can, so only the browser keeps
    // it, for a day, and asks again after.
    answer.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    answer.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    answer.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_POLICY),
    );
    if matches(headers.get(IF_NONE_MATCH), &etag) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(response);
    }

    let (content_type, length, range) = match variant {
        Variant::Thumbnail => (row.thumbnail_type().to_owned(), None, None),
        Variant::Original => {
            let size = row.size as u64;
            let asked = headers
                .get(RANGE)
                // A range of another version of the file is no range.
                .filter(|_| {
                    headers
                        .get(IF_RANGE)
                        .is_none_or(|v| v.as_bytes() == etag.as_bytes())
                })
                .map(|v| byte_range(v, size));
            match asked {
                Some(Ranged::Unsatisfiable) => {
                    let mut refused = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                    refused
                        .headers_mut()
                        .insert(CONTENT_RANGE, value(&format!("bytes */{size}")));
                    return Ok(refused);
                }
                Some(Ranged::Part(range)) => (upload.content_type.clone(), Some(size), Some(range)),
                Some(Ranged::Whole) | None => (upload.content_type.clone(), Some(size), None),
            }
        }
    };
    let chunks = uploads::read(state, &row, variant, range.clone()).await?;
    let answer = response.headers_mut();
    answer.insert(CONTENT_TYPE, value(&content_type));
    let inline = variant == Variant::Thumbnail || upload.is_image();
    answer.insert(
        CONTENT_DISPOSITION,
        value(&disposition(inline, &upload.name)),
    );
    if variant == Variant::Original {
        answer.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    match (range, length) {
        (Some(range), Some(size)) => {
            answer.insert(CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
            answer.insert(
                CONTENT_RANGE,
                value(&format!("bytes {}-{}/{size}", range.start, range.end - 1)),
            );
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        }
        (None, Some(size)) => {
            answer.insert(CONTENT_LENGTH, HeaderValue::from(size));
        }
        _ => {}
    }
    *response.body_mut() = Body::from_stream(chunks);
    Ok(response)
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Whether `If-None-Match` names `etag` (or `*`).
fn matches(header: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(listed) = header.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    listed
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Ranged {
    /// One satisfiable range, as a half-open byte range.
    Part(Range<u64>),
    /// No range this server serves (several ranges, another unit, a
    /// malformed header): the whole file, as if none was asked.
    Whole,
    /// A range that starts past the end.
    Unsatisfiable,
}

fn byte_range(header: &HeaderValue, size: u64) -> Ranged {
    let Some(spec) = header
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        // The last N bytes.
        (true, _, Some(0)) => Ranged::Unsatisfiable,
        (true, _, Some(n)) => Ranged::Part(size.saturating_sub(n)..size),
        (false, Some(start), _) if start >= size => Ranged::Unsatisfiable,
        (false, Some(start), None) if last.trim().is_empty() => Ranged::Part(start..size),
        (false, Some(start), Some(end)) if end >= start => {
            Ranged::Part(start..end.saturating_add(1).min(size))
        }
        _ => Ranged::Whole,
    }
}

/// `Content-Disposition` with the file's name: plain ASCII for old
/// clients, and the exact name (RFC 5987) for the rest.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, size: u64) -> Ranged {
        byte_range(&HeaderValue::from_str(header).unwrap(), size)
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-99", 1000), Ranged::Part(0..100));
        assert_eq!(range("bytes=900-", 1000), Ranged::Part(900..1000));
        assert_eq!(range("bytes=-100", 1000), Ranged::Part(900..1000));
        assert_eq!(range("bytes=-5000", 1000), Ranged::Part(0..1000));
        assert_eq!(range("bytes=990-2000", 1000), Ranged::Part(990..1000));
        assert_eq!(range("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(range("bytes=5-1", 1000), Ranged::Whole);
        assert_eq!(range("bytes=0-1,5-6", 1000), Ranged::Whole);
        assert_eq!(range("items=0-1", 1000), Ranged::Whole);
        assert_eq!(range("bytes=x-y", 1000), Ranged::Whole);
    }

    #[test]
    fn names_are_quoted_safely_in_the_disposition() {
        assert_eq!(
            disposition(false, "report \"final\".pdf"),
            "attachment; filename=\"report _final_.pdf\"; filename*=UTF-8''report%20%22final%22.pdf"
        );
        assert_eq!(
            disposition(true, "café.png"),
            "inline; filename=\"caf_.png\"; filename*=UTF-8''caf%C3%A9.png"
        );
    }

    #[test]
    fn validators_match_exactly_weakly_or_by_star() {
        let tag = "\"abc\"";
        assert!(matches(Some(&value("\"abc\"")), tag));
        assert!(matches(Some(&value("\"x\", W/\"abc\"")), tag));
        assert!(matches(Some(&value("*")), tag));
        assert!(!matches(Some(&value("\"abd\"")), tag));
        assert!(!matches(None, tag));
    }
}
