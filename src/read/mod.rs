//! Low-level reading shared by every part above it: opening exports (plain, gzip, zstd; any encoding),
//! lines, files read in pieces on every core, CSV splitting, the case's tables, record keys and
//! timestamps. Nothing here knows about cases, logs formats or stages.

pub mod accounts;
pub mod csv_pieces;
pub mod encoding;
pub mod input;
pub mod json_array;
pub mod keys;
pub mod line_scan;
pub mod lines;
pub mod near;
pub mod parquet;
pub mod pieces;
pub mod table;
pub mod syslog;
pub mod timefmt;
pub mod xlsx;

/// `text.trim()`, answered at once for text that starts and ends with a printable ASCII character (no
/// whitespace, ASCII or not, starts or ends with one): nearly every key and cell. `str::trim` goes
/// through the characters at both ends with Unicode's whitespace test, about 1.5 % of the 1M benchmark's
/// CPU on table keys and people's cells alone (perf).
#[inline]
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The same as `str::trim` on text of any characters, whitespace of every kind at either end.
        #[test]
        fn trim_is_strs_trim(text in "[ \\t\\r\\n\\u{0b}\\u{0c}\\u{85}\\u{a0}\\u{2003}\\u{3000}\\u{7f}a-z~!é€😀]{0,8}") {
            prop_assert_eq!(super::trim(&text), text.trim());
        }
    }
}

