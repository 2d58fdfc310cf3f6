//! Reading a file in pieces on every core: the input is cut into pieces of whole lines, each piece is
//! parsed as if a record started there, and each guess is checked, in order, against where the previous
//! piece's last record really ended. Used for log files (by the ingest pipeline) and for the case's
//! tables (`read::table`); the item type is the reader's own.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Something read from a file with the line it was on: a piece's items are numbered from the piece's
/// start, then moved on to the file's lines.
pub trait LineNumbered {
    /// Adds `lines` to the item's line number.
    fn shift_lines(&mut self, lines: u64);
}

/// A parser that can read a file in pieces, each piece on any core (see [`pipeline::parse_chunked`]).
/// Pieces are cut after a newline; a piece is parsed as if a record started there, and that guess is
/// checked against where the previous piece's last record really ended.
pub trait ChunkParser<T>: Sync {
    /// Parses the records that start in `own` (`first`: the file's first piece, starting with its header),
    /// reading on into `lookahead` (the next piece) for a record that goes on past `own`. Line numbers
    /// are counted from the start of `own` (its first line is line 1).
    fn parse_chunk(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(T)) -> ChunkEnd;
    /// Reads all records of `input`, which starts at a record (`first`: at the header), as
    /// [`LogParser::parse`] does: the way on when a record outgrows a piece and its lookahead.
    fn parse_rest(&self, input: &mut dyn BufRead, first: bool, sink: &mut dyn FnMut(T)) -> std::io::Result<()>;
}

/// Where a piece's reading stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkEnd {
    /// The first record after the piece starts at this offset of the lookahead.
    NextRecordAt(usize),
    /// The piece and its lookahead ended inside or right after a record.
    EndOfInput,
}

/// Whether to parse on a second core: yes, unless `BREACHSCOPE_THREADS=1` or the machine has one core.
pub fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| match std::env::var("BREACHSCOPE_THREADS") {
        Ok(n) => n.trim() != "1",
        Err(_) => std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
    })
}

/// Bytes of a piece (more when a line is longer).
const PIECE: usize = 2 << 20;
/// Pieces parsed at once, on all cores.
const PIECES_PER_ROUND: usize = 4;

/// As `chunker.parse_rest(input, true, sink)`, in pieces parsed on every core: a thread reads the input
/// and cuts it into pieces of whole lines (cut after a newline, but for the input's end); pieces are parsed in parallel, each as if a record started there; then, in
/// order, each piece's guess is checked against where the previous piece's last record really ended (a
/// quoted field may hold newlines). A wrong guess is parsed again from the right place; a record longer
/// than a piece and the next one sends the rest of the file to the one-piece-after-another way. Records
/// reach the sink in file order with their lines, exactly as the parser alone would deliver them.
pub fn parse_chunked<T: LineNumbered + Send>(chunker: &dyn ChunkParser<T>, input: &mut (dyn BufRead + Send), sink: &mut dyn FnMut(T)) -> std::io::Result<()> {
    parse_in_pieces(chunker, input, sink, PIECE, PIECES_PER_ROUND)
}

/// [`parse_chunked`] with pieces of `piece_size` bytes, `per_round` at a time (small in tests).
pub(crate) fn parse_in_pieces<T: LineNumbered + Send>(
    chunker: &dyn ChunkParser<T>,
    input: &mut (dyn BufRead + Send),
    sink: &mut dyn FnMut(T),
    piece_size: usize,
    per_round: usize,
) -> std::io::Result<()> {
    std::thread::scope(|scope| {
        // Made inside the scope: however this closure returns, the receiver is dropped before the scope
        // waits for the reading thread, which then cannot stay blocked on a full channel.
        let (piece_tx, piece_rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(per_round + 2);
        // Pieces parsed go back to the reading thread to be filled again: a new 2 MB buffer per piece was
        // a page fault per 4 KB of the file (a tenth of the reading, perf).
        let (used_tx, used_rx) = mpsc::sync_channel::<Vec<u8>>(2 * per_round + 2);
        scope.spawn(move || cut_pieces(input, &piece_tx, &used_rx, piece_size));
        let mut pieces: VecDeque<Vec<u8>> = VecDeque::new();
        let mut input_done = false;
        let mut input_error = None;
        // Lines before `pieces[0]`, where its first record starts, and whether it holds the header.
        let (mut lines_before, mut start, mut first) = (0u64, 0usize, true);
        loop {
            while !input_done && pieces.len() <= per_round {
                match piece_rx.recv() {
                    Ok(Ok(piece)) => pieces.push_back(piece),
                    Ok(Err(e)) => {
                        input_error = Some(e);
                        input_done = true;
                    }
                    Err(_) => input_done = true,
                }
            }
            if pieces.is_empty() {
                break;
            }
            // Every piece but the last has its lookahead; the last waits for the next round, unless the
            // input has ended.
            let ready = if input_done { pieces.len() } else { pieces.len() - 1 };
            // Each piece's records and end, and its newlines (counted on the parsing cores too).
            let parsed: Vec<((Vec<T>, ChunkEnd), u64)> = {
                use rayon::prelude::*;
                let pieces = &pieces;
                (0..ready)
                    .into_par_iter()
                    .map(|k| {
                        let own = if k == 0 { &pieces[0][start..] } else { &pieces[k][..] };
                        let lookahead = pieces.get(k + 1).map_or(&[][..], |p| &p[..]);
                        (parse_piece(chunker, own, lookahead, first && k == 0), count_newlines(&pieces[k]))
                    })
                    .collect()
            };
            for (k, ((mut records, mut end), newlines)) in parsed.into_iter().enumerate() {
                let piece = &pieces[k];
                let lookahead = pieces.get(k + 1);
                if k > 0 && start != 0 {
                    // The previous piece's last record went on into this one: parse it again from where
                    // the next record really starts.
                    (records, end) = parse_piece(chunker, &piece[start..], lookahead.map_or(&[][..], |p| &p[..]), false);
                }
                let base = lines_before + count_newlines(&piece[..start]);
                if end == ChunkEnd::EndOfInput && !(input_done && lookahead.is_none()) {
                    // A record outgrew this piece and the next: read the rest one piece after another.
                    let mut rest: VecDeque<Vec<u8>> = pieces.drain(k..).collect();
                    rest[0].drain(..start);
                    let mut reader = RestReader { pieces: rest, more: if input_done { None } else { Some(&piece_rx) }, pos: 0 };
                    chunker.parse_rest(&mut reader, first && k == 0, &mut |mut p| {
                        p.shift_lines(base);
                        sink(p)
                    })?;
                    return input_error.map_or(Ok(()), Err);
                }
                for mut p in records {
                    p.shift_lines(base);
                    sink(p);
                }
                lines_before += newlines;
                start = match end {
                    ChunkEnd::NextRecordAt(offset) => offset,
                    ChunkEnd::EndOfInput => 0,
                };
                if k == 0 {
                    first = false;
                }
            }
            for used in pieces.drain(..ready) {
                let _ = used_tx.try_send(used);
            }
        }
        // Let the reading thread end (it may be waiting to send) before the scope joins it.
        drop(piece_rx);
        input_error.map_or(Ok(()), Err)
    })
}

fn parse_piece<T>(chunker: &dyn ChunkParser<T>, own: &[u8], lookahead: &[u8], first: bool) -> (Vec<T>, ChunkEnd) {
    let mut records = Vec::new();
    let end = chunker.parse_chunk(own, lookahead, first, &mut |p| records.push(p));
    (records, end)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Reads `input` and sends it in pieces cut after a newline; an error is sent last.
/// `used`: pieces parsed, whose buffers are filled again.
fn cut_pieces(input: &mut (dyn BufRead + Send), pieces: &SyncSender<std::io::Result<Vec<u8>>>, used: &Receiver<Vec<u8>>, piece_size: usize) {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut bytes = used.try_recv().unwrap_or_default();
        bytes.clear();
        bytes.extend_from_slice(&carry);
        bytes.reserve(piece_size + (1 << 16));
        // Fill to the piece size, then on until a newline.
        let mut ended = false;
        loop {
            let buf = match input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = pieces.send(Err(e));
                    return;
                }
            };
            if buf.is_empty() {
                ended = true;
                break;
            }
            let n = buf.len();
            bytes.extend_from_slice(buf);
            input.consume(n);
            if bytes.len() >= piece_size && memchr::memchr(b'\n', &bytes[bytes.len() - n..]).is_some() {
                break;
            }
        }
        if !ended {
            let cut = memchr::memrchr(b'\n', &bytes).expect("a newline was read") + 1;
            carry.clear();
            carry.extend_from_slice(&bytes[cut..]);
            bytes.truncate(cut);
        }
        if !bytes.is_empty() {
            if pieces.send(Ok(bytes)).is_err() {
                return; // the parsing side has stopped
            }
        }
        if ended {
            return;
        }
    }
}

/// `Read::read` for a reader whose own buffer is its [`BufRead`] side (the in-memory readers here).
pub fn read_through_buffer(reader: &mut impl BufRead, buf: &mut [u8]) -> std::io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

/// The pieces not yet parsed, then the rest of the input: the way on after a record outgrew a piece.
struct RestReader<'a> {
    pieces: VecDeque<Vec<u8>>,
    more: Option<&'a Receiver<std::io::Result<Vec<u8>>>>,
    pos: usize,
}

impl Read for RestReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        read_through_buffer(self, buf)
    }
}

impl BufRead for RestReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pieces.front().is_none_or(|p| self.pos >= p.len()) {
            if self.pieces.pop_front().is_some() {
                self.pos = 0;
                continue;
            }
            match self.more.map(Receiver::recv) {
                Some(Ok(Ok(piece))) => self.pieces.push_back(piece),
                Some(Ok(Err(e))) => {
                    self.more = None;
                    return Err(e);
                }
                Some(Err(_)) | None => return Ok(&[]),
            }
        }
        Ok(&self.pieces[0][self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        if let Some(p) = self.pieces.front() {
            self.pos = (self.pos + amount).min(p.len());
        }
    }
}
