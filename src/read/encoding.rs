//! Character encodings of exports (`--encoding`, `encoding = "..."` in the case file).
//!
//! breachscope works on UTF-8. A file in another encoding is transcoded to UTF-8 as it is read, after
//! decompression, by `encoding_rs` (through `encoding_rs_io`). Every supported encoding maps a newline byte
//! to a newline, so the line numbers of rejected records stay those of the file.
//!
//! - `utf-8` (the default) passes the bytes through unchanged: a line with invalid UTF-8 is rejected with its
//!   line and column, never repaired.
//! - `latin1` (`iso-8859-1`, `windows-1252`, `cp1252`): every byte is a character, read as Windows-1252
//!   (the WHATWG reading of these labels; bytes 0x80-0x9F are the Windows-1252 characters such as `€`).
//! - `utf-16le`, `utf-16be`: a malformed sequence becomes U+FFFD.
//!
//! A file that starts with a UTF-16 byte-order mark is read as UTF-16 whatever the setting (the mark
//! says what the file is); a UTF-8 byte-order mark is kept for the parsers, which skip it.

use std::io::Read;

use encoding_rs::Encoding;

/// The encoding a file is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEncoding(&'static Encoding);

impl Default for TextEncoding {
    fn default() -> Self {
        TextEncoding::UTF8
    }
}

/// The names accepted, as shown in error messages.
pub const SUPPORTED: &str = "utf-8, latin1 (iso-8859-1, windows-1252, cp1252), utf-16le, utf-16be";

impl TextEncoding {
    pub const UTF8: TextEncoding = TextEncoding(encoding_rs::UTF_8);
    pub const LATIN1: TextEncoding = TextEncoding(encoding_rs::WINDOWS_1252);

    /// Reads an encoding name (case-insensitive): one of [`SUPPORTED`].
    pub fn parse(name: &str) -> Result<TextEncoding, String> {
        let label = name.trim().to_ascii_lowercase();
        let encoding = match label.as_str() {
            "utf-8" | "utf8" => encoding_rs::UTF_8,
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "windows-1252" | "cp1252" => encoding_rs::WINDOWS_1252,
            "utf-16le" | "utf16le" => encoding_rs::UTF_16LE,
            "utf-16be" | "utf16be" => encoding_rs::UTF_16BE,
            _ => return Err(format!("unknown encoding `{name}` (supported: {SUPPORTED})")),
        };
        Ok(TextEncoding(encoding))
    }

    /// The canonical name (`UTF-8`, `windows-1252`, `UTF-16LE`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn is_utf8(self) -> bool {
        self.0 == encoding_rs::UTF_8
    }
}

/// The UTF-16 byte order told by a byte-order mark at the start of `head`.
pub fn utf16_bom(head: &[u8]) -> Option<&'static Encoding> {
    if head.starts_with(&[0xff, 0xfe]) {
        Some(encoding_rs::UTF_16LE)
    } else if head.starts_with(&[0xfe, 0xff]) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// `reader` as UTF-8. `head` is the stream's first bytes (already read from `reader` and put back in
/// front of it by the caller): UTF-8 without a UTF-16 byte-order mark is passed through untouched.
pub fn decode<'r>(reader: Box<dyn Read + Send + 'r>, head: &[u8], encoding: TextEncoding) -> Box<dyn Read + Send + 'r> {
    if encoding.is_utf8() && utf16_bom(head).is_none() {
        return reader;
    }
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding.0))
        // A byte-order mark is the file's own word on its encoding; it is dropped from the text.
        .bom_override(true)
        .strip_bom(true)
        // UTF-8 (by setting or by a UTF-8 mark) is passed through, so invalid bytes are still rejected per line.
        .utf8_passthru(true)
        .build(reader);
    Box::new(decoder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], encoding: TextEncoding) -> Vec<u8> {
        let mut out = Vec::new();
        decode(Box::new(std::io::Cursor::new(bytes.to_vec())), bytes, encoding).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn latin1_bytes_become_utf8_and_lines_stay() {
        assert_eq!(decoded(b"jos\xe9\nM\xfcller\r\n\x80\n", TextEncoding::LATIN1), "josé\nMüller\r\n€\n".as_bytes());
    }

    #[test]
    fn utf8_passes_through_unchanged_even_when_invalid() {
        assert_eq!(decoded(b"\xef\xbb\xbfa,b\njos\xe9\n", TextEncoding::UTF8), b"\xef\xbb\xbfa,b\njos\xe9\n");
    }

    #[test]
    fn utf16_by_byte_order_mark() {
        let mut le = vec![0xff, 0xfe];
        le.extend("é,a\nb\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decoded(&le, TextEncoding::UTF8), "é,a\nb\n".as_bytes());
        let mut be = vec![0xfe, 0xff];
        be.extend("x\n".encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decoded(&be, TextEncoding::LATIN1), b"x\n");
    }

    #[test]
    fn names() {
        for name in ["latin1", "ISO-8859-1", "windows-1252", "cp1252"] {
            assert_eq!(TextEncoding::parse(name).unwrap(), TextEncoding::LATIN1, "{name}");
        }
        assert_eq!(TextEncoding::parse("UTF-8").unwrap(), TextEncoding::UTF8);
        assert!(TextEncoding::parse("ebcdic").unwrap_err().contains("unknown encoding `ebcdic`"));
    }
}
