//! A CSV line's shape found in one pass over its bytes: where it ends, whether it holds a quote or a
//! carriage return (and so is not a plain line), and where its delimiters are. The pieces reader
//! (`read::csv_pieces`) asks this of every line of a log or table: found one after the other (the newline
//! by memchr, the quotes and carriage returns by memchr again, the delimiters eight bytes at a time), the
//! three passes were a sixth of reading the benchmark's log; in one pass of 32-byte blocks (AVX2, where
//! the processor has it) they cost about 40 % less (a scratch program on the log's first 300 MB: 168 ->
//! 102 ms). Without AVX2 the three passes are taken as before; a property test holds the two ways to the
//! same answers.

use std::ops::Range;

/// The cells of a plain line at the indexes `at`, as byte ranges of `text`, and the number of cells the
/// line has, found eight bytes at a time (where its delimiters are not known from a scan in blocks). A cell
/// index beyond the line's last cell gives an empty range.
fn plain_cells<const N: usize>(text: &[u8], delimiter: u8, at: [usize; N]) -> (usize, [Range<usize>; N]) {
    let mut found = std::array::from_fn(|_| 0..0);
    let last = at.iter().copied().max().unwrap_or(0);
    let note = |found: &mut [std::ops::Range<usize>; N], cell: usize, range: std::ops::Range<usize>| {
        for (found, index) in found.iter_mut().zip(at) {
            if index == cell {
                *found = range.clone();
            }
        }
    };
    // Delimiters are found eight bytes at a time (a log line is tens of bytes with a delimiter every few,
    // where memchr's setup per call cost more than the search: a quarter of the log's parsing, perf); past
    // the last cell asked for, they are only counted.
    let pattern = u64::from_ne_bytes([delimiter; 8]);
    // Cells ended by a delimiter so far, and where the next one starts.
    let (mut ended, mut start) = (0usize, 0usize);
    let mut words = text.chunks_exact(8);
    let mut base = 0;
    for word in words.by_ref() {
        let mut hits = bytes_equal(u64::from_le_bytes(word.try_into().expect("eight bytes")), pattern);
        if ended > last {
            ended += hits.count_ones() as usize;
        } else {
            while hits != 0 {
                let end = base + hits.trailing_zeros() as usize / 8;
                note(&mut found, ended, start..end);
                (ended, start) = (ended + 1, end + 1);
                hits &= hits - 1;
            }
        }
        base += 8;
    }
    for (i, byte) in words.remainder().iter().enumerate() {
        if *byte == delimiter {
            note(&mut found, ended, start..base + i);
            (ended, start) = (ended + 1, base + i + 1);
        }
    }
    note(&mut found, ended, start..text.len());
    (ended + 1, found)
}

/// The high bit of each byte of `word` equal to that byte of `pattern`, the other bits clear.
#[inline]
fn bytes_equal(word: u64, pattern: u64) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let diff = word ^ pattern;
    // A byte's high bit is set after the addition when its low seven bits are not all zero (no carry leaves
    // a byte): with the byte's own high bit, set for every byte that differs.
    !(((diff & LOW_SEVEN) + LOW_SEVEN) | diff | LOW_SEVEN)
}

/// Bytes of a block, and bits of a block's mask.
const BLOCK: usize = 32;
/// Blocks of a line whose delimiters are kept: a longer line's cells are found by [`plain_cells`].
const KEPT: usize = 16;

/// What a pass over a line found of its delimiters, for [`LineShape::cells`].
#[derive(Clone, Debug)]
pub struct LineShape {
    /// A bit for each delimiter among the first bytes of the line (up to its newline), block by block.
    delimiters: [u32; KEPT],
    /// Blocks in `delimiters` for the whole line; 0 when the line's delimiters are not known here (no AVX2,
    /// or a line of more than [`KEPT`] blocks).
    blocks: usize,
}

impl Default for LineShape {
    fn default() -> Self {
        LineShape { delimiters: [0; KEPT], blocks: 0 }
    }
}

impl LineShape {
    /// As [`plain_cells`]`(text, delimiter, at)`, from the delimiters found when the line was scanned:
    /// `text` is that line without its newline (and a CRLF's carriage return).
    pub fn cells<const N: usize>(&self, text: &[u8], delimiter: u8, at: [usize; N]) -> (usize, [Range<usize>; N]) {
        if self.blocks == 0 || text.len() > self.blocks * BLOCK {
            return plain_cells(text, delimiter, at);
        }
        let mut found = std::array::from_fn(|_| 0..0);
        let note = |found: &mut [Range<usize>; N], cell: usize, range: Range<usize>| {
            for (found, index) in found.iter_mut().zip(at) {
                if index == cell {
                    *found = range.clone();
                }
            }
        };
        let last = at.iter().copied().max().unwrap_or(0);
        // Cells ended by a delimiter so far, and where the next one starts; past the last cell asked
        // for, delimiters are only counted.
        let (mut ended, mut start) = (0usize, 0usize);
        for (block, mask) in self.delimiters[..self.blocks].iter().enumerate() {
            let mut hits = *mask;
            if ended > last {
                ended += hits.count_ones() as usize;
                continue;
            }
            while hits != 0 {
                let end = block * BLOCK + hits.trailing_zeros() as usize;
                note(&mut found, ended, start..end);
                (ended, start) = (ended + 1, end + 1);
                hits &= hits - 1;
            }
        }
        note(&mut found, ended, start..text.len());
        (ended + 1, found)
    }
}

/// Scans the lines of one piece of a CSV file.
pub struct LineScanner {
    delimiter: u8,
    /// One pass of AVX2 blocks; otherwise memchr's passes.
    blocks: bool,
    /// Without blocks: the piece has neither quotes nor carriage returns, so no line needs looking at for
    /// them.
    plain_piece: bool,
}

impl LineScanner {
    /// A scanner for the lines of `piece`.
    pub fn new(piece: &[u8], delimiter: u8) -> LineScanner {
        // (A delimiter that is a newline, quote or carriage return is left to the general way.)
        let blocks = has_avx2() && !matches!(delimiter, b'\n' | b'\r' | b'"');
        LineScanner::with_blocks(piece, delimiter, blocks)
    }

    fn with_blocks(piece: &[u8], delimiter: u8, blocks: bool) -> LineScanner {
        // Most pieces have neither quotes nor carriage returns: then no line needs looking at for them.
        let plain_piece = !blocks && memchr::memchr2(b'"', b'\r', piece).is_none();
        LineScanner { delimiter, blocks, plain_piece }
    }

    /// The line at the start of `text`: the offset of its newline (`None` when `text` has none) and whether
    /// the line, without its newline and a CRLF's carriage return, holds a quote or a carriage return;
    /// its delimiters go into `shape`.
    pub fn line(&self, text: &[u8], shape: &mut LineShape) -> Option<(usize, bool)> {
        #[cfg(target_arch = "x86_64")]
        if self.blocks {
            // SAFETY: `blocks` is only set where the processor has AVX2 (`has_avx2`).
            return unsafe { line_avx2(text, self.delimiter, shape) };
        }
        shape.blocks = 0;
        let length = memchr::memchr(b'\n', text)?;
        let mut line = &text[..length];
        if let Some(body) = line.strip_suffix(b"\r") {
            line = body;
        }
        Some((length, !self.plain_piece && memchr::memchr2(b'"', b'\r', line).is_some()))
    }
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`LineScanner::line`] in blocks of 32 bytes: each block compared with the newline, the delimiter, the
/// quote and the carriage return at once, up to the block with the line's newline.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn line_avx2(text: &[u8], delimiter: u8, shape: &mut LineShape) -> Option<(usize, bool)> {
    use std::arch::x86_64::{__m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8};
    let mask = |block: __m256i, byte: u8| _mm256_movemask_epi8(_mm256_cmpeq_epi8(block, _mm256_set1_epi8(byte as i8))) as u32;
    let (mut base, mut quotes, mut returns, mut blocks) = (0usize, 0u32, 0u32, 0usize);
    while base < text.len() {
        let rest = &text[base..];
        // The last bytes, fewer than a block, padded with newlines (a newline found in the padding is none).
        let mut padded = [b'\n'; BLOCK];
        let bytes = match rest.get(..BLOCK) {
            Some(bytes) => bytes,
            None => {
                padded[..rest.len()].copy_from_slice(rest);
                &padded[..]
            }
        };
        // SAFETY: `bytes` holds 32 bytes; the load needs no alignment.
        let block = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast::<__m256i>()) };
        let newlines = mask(block, b'\n');
        // The bytes before the line's newline, if it is in this block.
        let before = if newlines == 0 { u32::MAX } else { (newlines & newlines.wrapping_neg()) - 1 };
        if blocks < KEPT {
            shape.delimiters[blocks] = mask(block, delimiter) & before;
        }
        blocks += 1;
        quotes |= mask(block, b'"') & before;
        returns += (mask(block, b'\r') & before).count_ones();
        if newlines != 0 {
            let length = base + newlines.trailing_zeros() as usize;
            if length >= text.len() {
                break;
            }
            shape.blocks = if blocks <= KEPT { blocks } else { 0 };
            let crlf = length > 0 && text[length - 1] == b'\r';
            return Some((length, quotes != 0 || returns > u32::from(crlf)));
        }
        base += BLOCK;
    }
    shape.blocks = 0;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the lines of `text` are, line by line, as the scanner gives them: each line's length, whether
    /// it is special, its cell count and the cells at `at`.
    fn lines(scanner: &LineScanner, text: &[u8], at: [usize; 3]) -> Vec<(usize, bool, usize, [Range<usize>; 3])> {
        let (mut pos, mut out, mut shape) = (0, Vec::new(), LineShape::default());
        while let Some((length, special)) = scanner.line(&text[pos..], &mut shape) {
            let mut line = &text[pos..pos + length];
            if let Some(body) = line.strip_suffix(b"\r") {
                line = body;
            }
            let (count, cells) = shape.cells(line, scanner.delimiter, at);
            out.push((length, special, count, cells));
            pos += length + 1;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// In blocks or through memchr, a piece's lines end at the same newlines, the same lines have quotes
        /// or carriage returns, and their cells are those of the line split at the delimiter.
        #[test]
        fn blocks_and_memchr_find_the_same_lines_and_cells(
            text in proptest::collection::vec(prop_oneof![
                6 => Just(b'a'), 3 => Just(b','), 1 => Just(b'\t'), 1 => Just(b'\n'), 1 => Just(b'\r'), 1 => Just(b'"'), 1 => Just(0xc3u8), 1 => Just(0u8),
            ], 0..400),
            at in proptest::array::uniform3(0usize..20),
            delimiter in prop_oneof![Just(b','), Just(b'\t')],
        ) {
            let general = LineScanner::with_blocks(&text, delimiter, false);
            let expected = lines(&general, &text, at);
            // The general way, checked against the definition.
            let mut pos = 0;
            for (length, special, count, cells) in &expected {
                let mut line = &text[pos..pos + length];
                if let Some(body) = line.strip_suffix(b"\r") {
                    line = body;
                }
                prop_assert_eq!(*special, line.iter().any(|b| matches!(b, b'"' | b'\r')));
                let split: Vec<&[u8]> = line.split(|b| *b == delimiter).collect();
                prop_assert_eq!(*count, split.len());
                for (range, index) in cells.iter().zip(at) {
                    prop_assert_eq!(&line[range.clone()], split.get(index).copied().unwrap_or_default());
                }
                pos += length + 1;
            }
            prop_assert!(!text[pos..].contains(&b'\n'));
            if has_avx2() {
                prop_assert_eq!(lines(&LineScanner::with_blocks(&text, delimiter, true), &text, at), expected);
            } else {
                eprintln!("SKIP the AVX2 half of blocks_and_memchr_find_the_same_lines_and_cells: this processor has no AVX2");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The cells found eight bytes at a time are the line's cells split at the delimiter.
        #[test]
        fn plain_cells_are_the_cells_split_at_the_delimiter(
            text in proptest::collection::vec(prop_oneof![Just(b','), Just(b'a'), Just(0x80u8), Just(0xacu8), Just(b'\t'), Just(0u8), Just(0xffu8)], 0..80),
            at in proptest::array::uniform3(0usize..14),
            delimiter in prop_oneof![Just(b','), Just(b'\t')],
        ) {
            let cells: Vec<&[u8]> = text.split(|b| *b == delimiter).collect();
            let (count, found) = plain_cells(&text, delimiter, at);
            prop_assert_eq!(count, cells.len());
            for (range, index) in found.into_iter().zip(at) {
                prop_assert_eq!(&text[range], cells.get(index).copied().unwrap_or_default(), "cell {}", index);
            }
        }
    }

    #[test]
    fn plain_cells_finds_the_cells_asked_for_and_counts_all() {
        let text = b"t,a,b,,c";
        let (cells, [first, fourth]) = plain_cells(text, b',', [0, 3]);
        assert_eq!((cells, &text[first], &text[fourth]), (5, &b"t"[..], &b""[..]));
        let (cells, [last]) = plain_cells(text, b',', [4]);
        assert_eq!((cells, &text[last]), (5, &b"c"[..]));
        // A line shorter than the index asked for: its real count, an empty cell.
        let (cells, [beyond]) = plain_cells(b"x,y", b',', [5]);
        assert_eq!((cells, beyond), (2, 0..0));
        assert_eq!(plain_cells(b"", b',', [0]).0, 1);
    }

    #[test]
    fn a_line_of_more_blocks_than_kept_has_its_cells_found_all_the_same() {
        let mut text = "x,".repeat(KEPT * BLOCK);
        text.push_str("end\r\nnext,line\n");
        let scanner = LineScanner::new(text.as_bytes(), b',');
        let mut shape = LineShape::default();
        let (length, special) = scanner.line(text.as_bytes(), &mut shape).expect("a newline");
        assert_eq!((length, special), (KEPT * BLOCK * 2 + 4, false));
        let line = &text.as_bytes()[..length - 1];
        let (count, [first, last]) = shape.cells(line, b',', [0, KEPT * BLOCK]);
        assert_eq!((count, &line[first], &line[last]), (KEPT * BLOCK + 1, &b"x"[..], &b"end"[..]));
        let rest = &text.as_bytes()[length + 1..];
        assert_eq!(scanner.line(rest, &mut shape), Some((9, false)));
        assert_eq!(shape.cells(&rest[..9], b',', [1]), (2, [5..9]));
        // No newline after the last line.
        assert_eq!(scanner.line(b"a,b", &mut shape), None);
        assert_eq!(scanner.line(b"", &mut shape), None);
    }
}
