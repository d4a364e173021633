//! What a file is, read from its first bytes: the client's word (its
//! `Content-Type`, its name's extension) is never taken. A page named
//! `cat.png` is text, and is served as a download.

/// Bytes of a file's start that are enough to tell its type.
pub const HEAD: usize = 8 * 1024;

/// The type of a file that starts with `head`: a known signature's type,
/// else `text/plain` for UTF-8 text without NULs, else
/// `application/octet-stream`.
pub fn content_type(head: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type();
    }
    if is_text(head) {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// UTF-8 (a character cut at the end of the head is allowed), no NULs.
fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Whether `content_type` is one of `allowed` (`image/png`, `image/*`;
/// none listed allows every type).
pub fn allowed(content_type: &str, allowed: &[String]) -> bool {
    allowed.is_empty()
        || allowed
            .iter()
            .any(|pattern| match pattern.strip_suffix("/*") {
                Some(family) => content_type
                    .split_once('/')
                    .is_some_and(|(of, _)| of == family),
                None => pattern == content_type || pattern == "*",
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_decide_not_the_name() {
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        assert_eq!(content_type(&png), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
        assert_eq!(content_type(b"GIF89a\x01\0\x01\0"), "image/gif");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        // A page is text of some kind, whatever its name says.
        let page = content_type(b"<!doctype html><script>alert(1)</script>");
        assert!(page.starts_with("text/"), "{page}");
        assert_eq!(content_type("héllo\n".as_bytes()), "text/plain");
        // A character cut by the head's end is still text.
        assert_eq!(content_type(&"é".as_bytes()[..1]), "text/plain");
        assert_eq!(
            content_type(b"\0\x01\x02binary"),
            "application/octet-stream"
        );
    }

    #[test]
    fn types_are_allowed_by_name_or_family() {
        let some = vec!["image/*".to_owned(), "application/pdf".to_owned()];
        assert!(allowed("image/png", &some));
        assert!(allowed("application/pdf", &some));
        assert!(!allowed("text/plain", &some));
        assert!(!allowed("imagery/png", &some));
        assert!(allowed("text/plain", &[]));
        assert!(allowed("text/plain", &["*".to_owned()]));
    }
}
