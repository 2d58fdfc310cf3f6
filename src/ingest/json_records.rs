//! Splits a stream of JSON objects into records, whatever their layout: one per line (JSON Lines), pretty-printed
//! over many lines, elements of a top-level array written one per line with trailing commas (MySQL Enterprise
//! Audit), or one big object (a CloudTrail file). Only braces, brackets and strings are tracked; each record is then
//! parsed by serde_json.
//!
//! Between records, whitespace, `,`, `[` and `]` are separators. Anything else (a syslog or Logstash envelope
//! around the JSON, a log prefix) makes the rest of that line a [`Piece::Junk`], so the caller can reject it with
//! its line number. A raw newline inside a JSON string is impossible in valid JSON, so a string still open at
//! the end of a line ends the record as [`Piece::Broken`] instead of swallowing the rest of the file.

use std::io::BufRead;

use crate::read::lines::Lines;
use crate::ingest::event::Rejection;

/// The largest record kept in memory (a CloudTrail file is a few MB).
pub const MAX_RECORD: usize = 512 * 1024 * 1024;

pub enum Piece<'a> {
    /// A complete top-level object; `line` is where it starts.
    Value { line: u64, text: &'a [u8] },
    /// Text outside any object: the rest of the line from `column` (1-based).
    Junk { line: u64, column: u64, text: &'a [u8] },
    /// An object that cannot be complete.
    Broken { line: u64, text: &'a [u8], reason: &'static str },
}

/// Calls `visit` for every record and every stretch of junk, in file order.
pub fn read(input: &mut dyn BufRead, visit: &mut dyn FnMut(Piece<'_>)) -> std::io::Result<()> {
    let mut lines = Lines::new(input);
    let mut buf: Vec<u8> = Vec::new();
    let mut start = 0u64;
    let mut depth = 0usize;
    let mut in_string = false;
    while let Some((line_no, line)) = lines.next_line()? {
        let mut i = 0;
        // Where the part of this line that belongs to the current record starts.
        let mut seg = 0;
        while i < line.len() {
            if depth == 0 {
                match line[i] {
                    b' ' | b'\t' | b'\r' | b',' | b'[' | b']' => {
                        i += 1;
                        continue;
                    }
                    0xEF if line[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                        i += 3;
                        continue;
                    }
                    b'{' => {
                        start = line_no;
                        buf.clear();
                        seg = i;
                    }
                    _ => {
                        visit(Piece::Junk { line: line_no, column: i as u64 + 1, text: &line[i..] });
                        i = line.len();
                        seg = i;
                        break;
                    }
                }
            }
            if in_string {
                // Skip to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &line[i..]) {
                    None => break,
                    Some(k) => {
                        i += k;
                        if line[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        in_string = false;
                        i += 1;
                        continue;
                    }
                }
            }
            match line[i] {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        buf.extend_from_slice(&line[seg..=i]);
                        visit(Piece::Value { line: start, text: &buf });
                        buf.clear();
                        seg = i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if depth > 0 {
            buf.extend_from_slice(&line[seg.min(line.len())..]);
            if in_string {
                visit(Piece::Broken { line: start, text: &buf, reason: "a JSON string runs past the end of the line" });
                (depth, in_string) = (0, false);
                buf.clear();
            } else if buf.len() > MAX_RECORD {
                visit(Piece::Broken { line: start, text: &buf, reason: "JSON record larger than 512 MiB" });
                depth = 0;
                buf.clear();
            } else {
                buf.push(b'\n');
            }
        }
    }
    if depth > 0 {
        visit(Piece::Broken { line: start, text: &buf, reason: "the file ends inside a JSON record (cut short?)" });
    }
    Ok(())
}

/// A record read by [`read_objects`]: a parsed JSON value with its first line and text, or a rejection.
pub enum Record<'a> {
    Object { line: u64, value: serde_json::Value, text: &'a [u8] },
    Rejected(Rejection),
}

/// Reads every record and parses it; junk, broken records and invalid JSON come as rejections.
pub fn read_objects(input: &mut dyn BufRead, visit: &mut dyn FnMut(Record<'_>)) -> std::io::Result<()> {
    read(input, &mut |piece| match piece {
        Piece::Value { line, text } => match parse(line, text) {
            Ok(value) => visit(Record::Object { line, value, text }),
            Err(r) => visit(Record::Rejected(r)),
        },
        other => visit(Record::Rejected(rejection(&other).expect("not a value"))),
    })
}

/// The rejection for a piece that is not a complete record; `None` for a value.
pub fn rejection(piece: &Piece<'_>) -> Option<Rejection> {
    match piece {
        Piece::Value { .. } => None,
        Piece::Junk { line, column, text } => Some(Rejection::new(*line, *column, junk_reason(text), text)),
        Piece::Broken { line, text, reason } => Some(Rejection::new(*line, 0, broken_reason(text, reason), text)),
    }
}

/// A record's text parsed as JSON, or its rejection at the line and column of the error.
pub fn parse(line: u64, text: &[u8]) -> Result<serde_json::Value, Rejection> {
    serde_json::from_slice(text).map_err(|e| Rejection::new(line + e.line().max(1) as u64 - 1, e.column() as u64, format!("invalid JSON: {e}"), text))
}

/// The reason for rejecting junk: names the envelope when it is a recognisable one.
pub fn junk_reason(text: &[u8]) -> String {
    let t = String::from_utf8_lossy(&text[..text.len().min(200)]);
    let hint = if t.contains("\"message\" =>") || t.contains("DEBUG") {
        " (a Logstash/syslog envelope around the record: extract the JSON first)"
    } else if t.starts_with('<') && t.contains('>') && t[1..].chars().next().is_some_and(|c| c.is_ascii_digit()) {
        " (a syslog line: extract the JSON first)"
    } else if t.contains('{') {
        " (text before the JSON record: extract the JSON first)"
    } else {
        ""
    };
    let shown: String = t.chars().take(40).collect();
    format!("not a JSON record: the line starts with `{shown}`{hint}")
}

/// The reason for a broken record, with a hint for backslash-escaped exports.
pub fn broken_reason(text: &[u8], reason: &str) -> String {
    if memchr::memmem::find(&text[..text.len().min(400)], b"\\\"").is_some() && text.get(1..3) != Some(b"\"\"") {
        format!("{reason}: the JSON quotes look backslash-escaped (\\\"): unescape the export first")
    } else {
        reason.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        read(&mut text.as_bytes(), &mut |p| {
            out.push(match p {
                Piece::Value { line, text } => format!("V{line}:{}", String::from_utf8_lossy(text)),
                Piece::Junk { line, column, .. } => format!("J{line}:{column}"),
                Piece::Broken { line, reason, .. } => format!("B{line}:{reason}"),
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn array_fragments_pretty_printing_and_junk() {
        assert_eq!(pieces("[\n{ \"a\": \"}\" },\n{ \"b\": [1,{}] },\n]\n"), ["V2:{ \"a\": \"}\" }", "V3:{ \"b\": [1,{}] }"]);
        assert_eq!(pieces("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\"c\":2}"), ["V1:{\n  \"a\": {\n    \"b\": 1\n  }\n}", "V6:{\"c\":2}"]);
        assert_eq!(pieces("2021-02-15 DEBUG {\"x\":1}\n{\"y\":1}\n"), ["J1:1", "V2:{\"y\":1}"]);
    }

    #[test]
    fn open_string_at_line_end_and_cut_file() {
        let out = pieces("{ \\\"atype\\\" : \\\"find\\\" }\n{\"ok\":1}\n{\"cut\":");
        assert_eq!(out[0], "B1:a JSON string runs past the end of the line");
        assert_eq!(out[1], "V2:{\"ok\":1}");
        assert!(out[2].starts_with("B3:the file ends"));
    }
}
