//! What the server accepts as user-written text (room names, message
//! bodies, client ids), so every service answers the same way.
//!
//! Any Unicode is welcome: emoji, right-to-left scripts, combining marks.
//! Control characters are not: they render as nothing or as garbage, can
//! forge line breaks in logs and terminals, and no keyboard types them. They
//! are rejected with a validation error naming the field rather than
//! silently stripped, so what is stored is exactly what was sent.

use super::error::{Error, Result};

/// Whether a line break and a tab are allowed (message bodies) or not
/// (single-line names and ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Refuses control characters (Unicode category Cc), except `\n` and `\t`
/// in multi-line text. `\r` is refused too: browsers send `\n` alone.
pub fn reject_control_chars(field: &'static str, text: &str, lines: Lines) -> Result<()> {
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\t');
    match text.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(c) => Err(Error::validation(
            field,
            format!(
                "Contains a control character (U+{:04X}), which is not allowed here.",
                u32::from(c)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_script_emoji_and_marks_are_text() {
        for text in [
            "שלום עולם",
            "مرحبا",
            "e\u{301}",
            "👩‍👩‍👧",
            "\u{202e}abc",
            "日本語",
        ] {
            assert!(
                reject_control_chars("body", text, Lines::Single).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn line_breaks_and_tabs_only_where_lines_are() {
        assert!(reject_control_chars("body", "a\nb\tc", Lines::Multi).is_ok());
        assert!(reject_control_chars("name", "a\nb", Lines::Single).is_err());
        assert!(reject_control_chars("name", "a\tb", Lines::Single).is_err());
    }

    #[test]
    fn other_control_characters_are_refused_and_named() {
        for c in ['\0', '\r', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            let text = format!("a{c}b");
            match reject_control_chars("body", &text, Lines::Multi) {
                Err(Error::Validation { field, message }) => {
                    assert_eq!(field, "body");
                    assert!(
                        message.contains(&format!("U+{:04X}", u32::from(c))),
                        "{message}"
                    );
                }
                other => panic!("{c:?} was accepted: {other:?}"),
            }
        }
    }
}
