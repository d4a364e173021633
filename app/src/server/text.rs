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

/// Bytes of one reaction: the longest emoji sequences (families, flags
/// of regions) are under 40.
pub const MAX_EMOJI_BYTES: usize = 64;

/// A reaction is one emoji: a single grapheme cluster that is pictographic
/// (or a keycap or flag), so chips stay one symbol wide and cannot carry
/// text.
pub fn validate_emoji(emoji: &str) -> Result<()> {
    use unicode_segmentation::UnicodeSegmentation;

    let refuse = || Err(Error::NotAnEmoji);
    if emoji.is_empty() || emoji.len() > MAX_EMOJI_BYTES || emoji.graphemes(true).count() != 1 {
        return refuse();
    }
    let pictographic = |c: char| {
        matches!(u32::from(c),
            0x1F000..=0x1FAFF // emoticons, symbols, pictographs, flags
            | 0x2600..=0x27BF // miscellaneous symbols, dingbats
            | 0x2300..=0x23FF // technical (⌛, ⏰)
            | 0x2B00..=0x2BFF // arrows and stars (⭐)
            | 0x2190..=0x21FF // arrows
            | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x203C | 0x2049
            | 0x2122 | 0x2139 | 0x24C2 | 0x25AA..=0x25FE)
    };
    let keycap = emoji.ends_with('\u{20E3}');
    if emoji.chars().any(pictographic) || keycap {
        Ok(())
    } else {
        refuse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaction_is_one_emoji() {
        for emoji in ["👍", "❤️", "🎉", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "⭐", "✅"]
        {
            assert!(validate_emoji(emoji).is_ok(), "{emoji}");
        }
        for text in ["", "a", "ok", "👍👍", "👍 ", "1", "<", "é", "\u{200D}"] {
            assert!(validate_emoji(text).is_err(), "{text:?}");
        }
    }

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
