//! Line-by-line reading of byte streams for the line-oriented formats.

use std::io::BufRead;

/// Reads lines as bytes (no UTF-8 assumption), stripping `\n` and a `\r` before it.
pub struct Lines<'a> {
    input: &'a mut dyn BufRead,
    buf: Vec<u8>,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(input: &'a mut dyn BufRead) -> Self {
        Lines { input, buf: Vec::with_capacity(4096), line: 0 }
    }

    /// The next line and its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n = self.input.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some((self.line, &self.buf[..end])))
    }
}

/// The text of a line, or the 1-based byte column of its first invalid UTF-8 byte.
pub fn utf8(line: &[u8]) -> Result<&str, u64> {
    std::str::from_utf8(line).map_err(|e| e.valid_up_to() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_mixed_and_no_final_newline() {
        let mut input: &[u8] = b"a\r\nb\nc";
        let mut lines = Lines::new(&mut input);
        let mut seen = Vec::new();
        while let Some((n, l)) = lines.next_line().unwrap() {
            seen.push((n, l.to_vec()));
        }
        assert_eq!(seen, [(1, b"a".to_vec()), (2, b"b".to_vec()), (3, b"c".to_vec())]);
    }

    #[test]
    fn invalid_utf8_column() {
        assert_eq!(utf8(b"ab\xe9c"), Err(3));
        assert_eq!(utf8(b"abc"), Ok("abc"));
    }
}
