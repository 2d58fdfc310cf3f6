//! Splitting a CSV file (a log or a table) into records, one piece at a time, for the pieces reader
//! (`read::pieces`). Within a piece, lines without quotes or carriage returns (but a CRLF's) are
//! split at the delimiter directly, exactly as the csv reader would split them, and so are records whose
//! fields are quoted whole (a quoted field may take a record over several lines); any other record goes to
//! the csv reader. What becomes of each record is the [`RecordHandler`]'s: CSV audit logs and the case's
//! tables share the splitting and differ only there.

use std::io::Read;

use crate::read::line_scan::{LineScanner, LineShape};
use crate::read::lines::NewlineTracking;
use crate::read::pieces::{ChunkEnd, LineNumbered};

/// What becomes of the records a piece is split into. Items carry lines counted from the start of what
/// was read (line 1); a handler may hold items back only if they carry no line (see `flush`).
pub trait RecordHandler {
    type Item: LineNumbered;
    fn delimiter(&self) -> u8;
    /// A record and the line it starts on (blank lines are skipped before it, as the csv reader does).
    fn record(&mut self, record: &csv::ByteRecord, line: u64, sink: &mut dyn FnMut(Self::Item));
    /// A line without quotes or carriage returns, which is one record (`shape`: its cells, see
    /// [`LineShape::cells`]): by default split at the delimiter into `scratch` and handed to
    /// [`RecordHandler::record`].
    fn plain_line(&mut self, text: &[u8], _shape: &LineShape, line: u64, scratch: &mut csv::ByteRecord, sink: &mut dyn FnMut(Self::Item)) {
        split_plain_line(text, self.delimiter(), scratch);
        self.record(scratch, line, sink);
    }
    /// The record at the start of `text`, which has a quote or a carriage return, and the offset of its
    /// newline; `None` (and nothing handled) when the csv reader is to read it: by default split by
    /// [`split_quoted_record`] into `scratch` and handed to [`RecordHandler::record`].
    fn quoted_record(&mut self, text: &[u8], line: u64, scratch: &mut csv::ByteRecord, sink: &mut dyn FnMut(Self::Item)) -> Option<usize> {
        split_and_handle(self, text, line, scratch, sink)
    }
    /// A record the csv reader could not read (not an I/O error), at `line`.
    fn unreadable(&mut self, line: u64, error: &csv::Error, sink: &mut dyn FnMut(Self::Item));
    /// Sends what was held back.
    fn flush(&mut self, _sink: &mut dyn FnMut(Self::Item)) {}
}

/// [`RecordHandler::quoted_record`]'s default, for handlers that take its way for some records only.
pub fn split_and_handle<H: RecordHandler + ?Sized>(handler: &mut H, text: &[u8], line: u64, scratch: &mut csv::ByteRecord, sink: &mut dyn FnMut(H::Item)) -> Option<usize> {
    let end = split_quoted_record(text, handler.delimiter(), scratch)?;
    handler.record(scratch, line, sink);
    Some(end)
}

/// `bytes`, a line of a piece or a part of one, as text (`None` where it is not valid UTF-8): taken from
/// `piece` without a check of its own where it lies in it (the piece, where it is valid UTF-8, checked once),
/// else checked here.
#[inline]
pub fn line_text<'t>(piece: Option<&'t str>, bytes: &'t [u8]) -> Option<&'t str> {
    piece.and_then(|piece| text_within(piece, bytes)).or_else(|| std::str::from_utf8(bytes).ok())
}

/// `bytes` as the text of `piece` they are (`None` when they are not a part of it that starts and ends at
/// characters' bounds). A piece checked as UTF-8 once gives its lines' and cells' text without a check of
/// their own: cut at ASCII delimiters, quotes and newlines, they start and end at characters' bounds.
fn text_within<'t>(piece: &'t str, bytes: &[u8]) -> Option<&'t str> {
    let start = (bytes.as_ptr() as usize).checked_sub(piece.as_ptr() as usize)?;
    piece.get(start..start.checked_add(bytes.len())?).filter(|text| text.as_ptr() == bytes.as_ptr())
}

/// `text` split at `delimiter` into `record`.
pub fn split_plain_line(text: &[u8], delimiter: u8, record: &mut csv::ByteRecord) {
    record.clear();
    text.split(|b| *b == delimiter).for_each(|field| record.push_field(field));
}

/// Reads records from `input` (`header`: it starts with the header row, which is skipped). With `own`, the
/// first part of the input that this call answers for: stops before the first record that starts after
/// it and returns that record's offset (records that start in `own` are read to their end, past it if need
/// be); `None` when the input ended first.
pub fn read_records<H: RecordHandler>(
    handler: &mut H,
    input: impl Read,
    header: bool,
    own: Option<&[u8]>,
    sink: &mut dyn FnMut(H::Item),
) -> std::io::Result<Option<u64>> {
    let (tracked, lines) = NewlineTracking::new(input);
    let mut reader = csv::ReaderBuilder::new().delimiter(handler.delimiter()).has_headers(header).flexible(true).from_reader(tracked);
    let mut record = csv::ByteRecord::new();
    if header {
        // The header row is read here so that the first record's start below is a data row's.
        if let Err(e) = reader.byte_headers() {
            return Err(match e.into_kind() {
                csv::ErrorKind::Io(io) => io,
                other => std::io::Error::other(format!("header row: {other:?}")),
            });
        }
    }
    loop {
        let start = reader.position().byte();
        if let Some(own) = own {
            // Past the own part, or only blank lines (which the reader skips) left in it.
            if own.get(start as usize..).is_none_or(|rest| rest.iter().all(|b| matches!(b, b'\r' | b'\n'))) {
                handler.flush(sink);
                return Ok(Some(start.max(own.len() as u64)));
            }
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                handler.flush(sink);
                return Ok(None);
            }
            Ok(true) => {
                let line = lines.record_line(start, reader.position().byte(), record.as_slice());
                handler.record(&record, line, sink);
            }
            Err(e) => {
                let line = lines.line_at(e.position().map(|p| p.byte()).unwrap_or(start));
                if let csv::ErrorKind::Io(_) = e.kind() {
                    handler.flush(sink);
                    let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
                    return Err(io);
                }
                handler.unreadable(line, &e, sink);
            }
        }
    }
}

/// The records that start in `own` (`first`: the file's first piece, starting with its header), reading on
/// into `lookahead` for one that goes on past `own`; see `read::pieces::ChunkParser::parse_chunk`.
/// With the newlines of `own` when it was read line by line (see `ChunkParser::parse_chunk_counted`).
pub fn parse_chunk<H: RecordHandler>(handler: &mut H, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(H::Item)) -> (ChunkEnd, Option<u64>) {
    if first {
        // The header (and a byte-order mark) are the csv reader's.
        (with_reader(handler, own, lookahead, first, sink), None)
    } else {
        plain_lines(handler, own, lookahead, sink)
    }
}

/// Records of a piece that [`plain_lines`] hands to a csv reader of their own (a quoted field over several
/// lines, a carriage return) before it gives the rest of the piece to one reader: setting one up costs
/// about as much as reading 16 KB with it (a table whose every row has a quoted newline). Small in unit
/// tests, whose pieces are a few bytes: both ways are taken.
const OWN_READERS: usize = if cfg!(test) { 2 } else { 8 };

/// The record at the start of `text` (a line with a quote or a carriage return, and the lines after it)
/// split into `record` as the csv reader splits it, when each of its fields is quoted whole (`"Lee, Ann"`,
/// `"say ""hi"""`, a quoted field going on over several lines) or has neither quotes nor carriage
/// returns, and the record ends with a newline (or CRLF) within `text`: the offset of that newline. `None`
/// otherwise (a quote inside an unquoted field, text after a closing quote, a lone carriage return, a record
/// going on past `text`), for the csv reader to read. Each such record had a csv reader of its own (about
/// 7 µs), and a piece with more than [`OWN_READERS`] of them a reader for the rest of it: a log's field
/// lists quoted over two lines sent most of the log through the csv reader.
fn split_quoted_record(text: &[u8], delimiter: u8, record: &mut csv::ByteRecord) -> Option<usize> {
    record.clear();
    // A field with its `""` made `"` (one buffer for the record's such fields).
    let mut unescaped = Vec::new();
    scan_quoted_record(text, delimiter, |range, escaped| {
        if !escaped {
            return record.push_field(&text[range]);
        }
        unescaped.clear();
        // Every quote inside the field is the first of a pair.
        let mut rest = &text[range];
        while let Some(quote) = memchr::memchr(b'"', rest) {
            unescaped.extend_from_slice(&rest[..=quote]);
            rest = &rest[quote + 2..];
        }
        unescaped.extend_from_slice(rest);
        record.push_field(&unescaped);
    })
}

/// The record at the start of `text` as [`split_quoted_record`] takes it (`None` where it gives `None`):
/// the offset of its newline, its number of fields and the range of field `at` in `text`, if the record has
/// it and it holds no doubled quote (it is then the field as it reads, quoted or not).
pub fn quoted_cells(text: &[u8], delimiter: u8, at: usize) -> Option<(usize, usize, Option<std::ops::Range<usize>>)> {
    let (mut fields, mut cell) = (0usize, None);
    let end = scan_quoted_record(text, delimiter, |range, escaped| {
        if fields == at && !escaped {
            cell = Some(range);
        }
        fields += 1;
    })?;
    Some((end, fields, cell))
}

/// Goes through the record at the start of `text` for [`split_quoted_record`] and [`quoted_cells`]: `field`
/// is given each field's bytes in `text` (inside its quotes, if quoted) and whether they hold doubled quotes.
fn scan_quoted_record(text: &[u8], delimiter: u8, mut field: impl FnMut(std::ops::Range<usize>, bool)) -> Option<usize> {
    if matches!(text.first(), Some(b'\n' | b'\r')) {
        // A blank line, which the csv reader skips.
        return None;
    }
    let mut pos = 0;
    loop {
        // Just past the field.
        let end;
        if text.get(pos) == Some(&b'"') {
            let (start, mut from, mut escaped) = (pos + 1, pos + 1, false);
            loop {
                let quote = from + memchr::memchr(b'"', &text[from..])?;
                if text.get(quote + 1) == Some(&b'"') {
                    escaped = true;
                    from = quote + 2;
                    continue;
                }
                field(start..quote, escaped);
                end = quote + 1;
                break;
            }
        } else {
            end = memchr::memchr3(delimiter, b'\n', b'\r', &text[pos..]).map_or(text.len(), |n| pos + n);
            if memchr::memchr(b'"', &text[pos..end]).is_some() {
                return None;
            }
            field(pos..end, false);
        }
        match text.get(end) {
            Some(&b) if b == delimiter => pos = end + 1,
            Some(b'\n') => return Some(end),
            Some(b'\r') if text.get(end + 1) == Some(&b'\n') => return Some(end + 1),
            // Text after a closing quote, a lone carriage return (which ends a record for the csv reader),
            // or the end of `text`.
            _ => return None,
        }
    }
}

/// [`parse_chunk`] for a piece after the first, line by line, with `own`'s newlines when the lines went to
/// its end.
fn plain_lines<H: RecordHandler>(handler: &mut H, own: &[u8], lookahead: &[u8], sink: &mut dyn FnMut(H::Item)) -> (ChunkEnd, Option<u64>) {
    let mut record = csv::ByteRecord::new();
    let (mut pos, mut line, mut own_readers) = (0usize, 1u64, 0usize);
    let scanner = LineScanner::new(own, handler.delimiter());
    let mut shape = LineShape::default();
    while pos < own.len() {
        let Some((length, special)) = scanner.line(&own[pos..], &mut shape) else {
            // The input's last line, without a newline: the csv reader's.
            handler.flush(sink);
            return (shifted(handler, line, sink, |handler, sink| with_reader(handler, &own[pos..], lookahead, false, sink)), None);
        };
        let mut text = &own[pos..pos + length];
        if let Some(body) = text.strip_suffix(b"\r") {
            text = body;
        }
        if special {
            if let Some(end) = handler.quoted_record(&own[pos..], line, &mut record, sink) {
                // The record's newline, and those inside its quoted fields.
                line += 1 + if end > length { memchr::memchr_iter(b'\n', &own[pos + length..pos + end]).count() as u64 } else { 0 };
                pos += end + 1;
                continue;
            }
            handler.flush(sink);
            if own_readers == OWN_READERS {
                // Many records that need a reader: one reader for the rest of the piece.
                return (shifted(handler, line, sink, |handler, sink| with_reader(handler, &own[pos..], lookahead, false, sink)), None);
            }
            own_readers += 1;
            // The records starting on this line, through the csv reader; on after them.
            let this_line = &own[pos..pos + length + 1];
            let next = shifted(handler, line, sink, |handler, sink| {
                match read_records(handler, std::io::Read::chain(&own[pos..], lookahead), false, Some(this_line), sink) {
                    Ok(next) => next,
                    Err(_) => unreachable!("reading from memory does not fail"),
                }
            });
            let Some(next) = next else { return (ChunkEnd::EndOfInput, None) };
            let next = pos + next as usize;
            if next >= own.len() {
                return (chunk_end(next - own.len(), lookahead), None);
            }
            line += memchr::memchr_iter(b'\n', &own[pos..next]).count() as u64;
            pos = next;
            continue;
        }
        if !text.is_empty() {
            // The csv reader skips empty lines; any other line is a record.
            handler.plain_line(text, &shape, line, &mut record, sink);
        }
        pos += length + 1;
        line += 1;
    }
    handler.flush(sink);
    // Every line of `own` was gone through, up to its end: `line` is one past its newlines.
    (chunk_end(0, lookahead), Some(line - 1))
}

/// `read` with the items' lines moved on to line `line` of the piece.
fn shifted<H: RecordHandler, T>(handler: &mut H, line: u64, sink: &mut dyn FnMut(H::Item), read: impl FnOnce(&mut H, &mut dyn FnMut(H::Item)) -> T) -> T {
    read(handler, &mut |mut item| {
        item.shift_lines(line - 1);
        sink(item)
    })
}

fn with_reader<H: RecordHandler>(handler: &mut H, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(H::Item)) -> ChunkEnd {
    match read_records(handler, std::io::Read::chain(own, lookahead), first, Some(own), sink) {
        Ok(Some(next)) => chunk_end((next - own.len() as u64) as usize, lookahead),
        Ok(None) => ChunkEnd::EndOfInput,
        Err(_) => unreachable!("reading from memory does not fail"),
    }
}

/// Where a piece ends when the next record starts at `offset` of the lookahead. At the very end of the
/// lookahead the last record may have been cut by it: not known.
fn chunk_end(offset: usize, lookahead: &[u8]) -> ChunkEnd {
    if offset < lookahead.len() {
        ChunkEnd::NextRecordAt(offset)
    } else {
        ChunkEnd::EndOfInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The records the csv reader reads from `text`, or `None` where it finds a problem.
    fn csv_reader_records(text: &[u8]) -> Option<Vec<csv::ByteRecord>> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        reader.byte_records().collect::<Result<Vec<_>, _>>().ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// Fields quoted whole, with quotes, delimiters, newlines and carriage returns inside, and broken ones
        /// (a quote inside an unquoted field, text after a closing quote, a lone carriage return), the
        /// record ended by a newline, a CRLF or nothing, a line after it: where the splitter gives a record,
        /// it is the csv reader's first, and the csv reader reads the rest from where the splitter says the
        /// record ends; it gives one for every record of fields quoted whole that ends within the text.
        #[test]
        fn a_quoted_record_is_split_as_the_csv_reader_splits_it(
            fields in proptest::collection::vec((proptest::collection::vec(prop_oneof![Just("a"), Just("Lee"), Just(","), Just("\""), Just(" "), Just("é"), Just("\n"), Just("\r\n"), Just("\r")], 0..5), 0u8..8), 1..6),
            ending in 0u8..3,
            after in prop_oneof![Just(""), Just("x,y\n"), Just("\n\"p\nq\",r\n")],
            at in 0usize..7,
        ) {
            let mut text = Vec::new();
            let mut whole = true;
            for (i, (parts, how)) in fields.iter().enumerate() {
                if i > 0 {
                    text.push(b',');
                }
                let inner = parts.concat();
                match how {
                    // Quoted whole, inner quotes doubled.
                    0..=4 => text.extend_from_slice(format!("\"{}\"", inner.replace('"', "\"\"")).as_bytes()),
                    // As it is (a quote, a delimiter or a line end inside breaks it).
                    5 | 6 => {
                        whole &= !inner.contains(['"', ',', '\n', '\r']);
                        text.extend_from_slice(inner.as_bytes())
                    }
                    // Text after the closing quote.
                    _ => {
                        whole = false;
                        text.extend_from_slice(format!("\"{inner}\"x").as_bytes())
                    }
                }
            }
            // The splitter is given records whose first line has a quote or a carriage return, never an
            // empty line (the csv reader skips those).
            let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
            prop_assume!(first_line.contains(&b'"') || first_line.contains(&b'\r'));
            match ending {
                0 => text.push(b'\n'),
                1 => text.extend_from_slice(b"\r\n"),
                _ => whole = false,
            }
            let record_length = text.len();
            text.extend_from_slice(after.as_bytes());
            let mut record = csv::ByteRecord::new();
            let split = split_quoted_record(&text, b',', &mut record);
            // The key cell alone (a table's rows passed over by key) is taken where the record is split, with
            // the same fields, and is the field split (unless it has a quote, and then it is not given).
            let cells = quoted_cells(&text, b',', at);
            prop_assert_eq!(cells.as_ref().map(|c| c.0), split);
            if let Some((_, count, cell)) = cells {
                prop_assert_eq!(count, record.len());
                prop_assert_eq!(cell.is_none(), at >= count || record[at].contains(&b'"'));
                if let Some(range) = cell {
                    prop_assert_eq!(&text[range], &record[at]);
                }
            }
            match split {
                Some(end) => {
                    prop_assert_eq!(text[end], b'\n');
                    let all = csv_reader_records(&text);
                    prop_assert!(all.is_some(), "the csv reader fails on {:?}", String::from_utf8_lossy(&text));
                    let all = all.unwrap();
                    prop_assert_eq!(Some(&record), all.first());
                    prop_assert_eq!(Some(all[1..].to_vec()), csv_reader_records(&text[end + 1..]), "the record ends at {}", end);
                }
                None => prop_assert!(!whole, "a record of fields quoted whole was not split: {:?}", String::from_utf8_lossy(&text[..record_length])),
            }
        }
    }

    #[test]
    fn text_within_a_piece_is_found_only_where_it_lies() {
        let piece = "ab,é\ncd";
        let bytes = piece.as_bytes();
        assert_eq!(text_within(piece, &bytes[3..5]), Some("é"));
        assert_eq!(text_within(piece, &bytes[6..]), Some("cd"));
        // Inside a character, or elsewhere in memory (even with the same content): not the piece's text.
        assert_eq!(text_within(piece, &bytes[4..5]), None);
        assert_eq!(text_within(piece, b"cd"), None);
        assert_eq!(text_within(&piece[..2], &bytes[1..3]), None);
        // Outside the piece (or without one), the bytes are checked themselves.
        assert_eq!(line_text(Some(piece), b"cd"), Some("cd"));
        assert_eq!(line_text(None, &bytes[3..5]), Some("\u{e9}"));
        assert_eq!(line_text(Some(piece), &bytes[4..5]), None);
        assert_eq!(line_text(None, b"Zo\xeb"), None);
    }

}
