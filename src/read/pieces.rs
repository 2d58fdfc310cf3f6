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
    /// As [`ChunkParser::parse_chunk`], with the number of newlines in `own` where the parse knows it (having
    /// gone through `own` line by line); `None` has the pieces reader count them.
    fn parse_chunk_counted(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(T)) -> (ChunkEnd, Option<u64>) {
        (self.parse_chunk(own, lookahead, first, sink), None)
    }
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
/// Pieces read ahead of the sink (parsed or being parsed), on all cores.
const PIECES_IN_FLIGHT: usize = 6;

/// Piece buffers of files read to their end, kept for the next file (most runs read a log, then each table
/// in turn): each file's reading took new buffers and freed its own at its end, a page fault per 4 KB of
/// each, 34 MB in the 1M benchmark (perf). At most [`SPARES_KEPT`]; [`let_go_of_spare_pieces`] frees them.
static SPARE_PIECES: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
/// A file's pieces in flight and the two on their way: one file's worth.
const SPARES_KEPT: usize = PIECES_IN_FLIGHT + 2;

/// A piece buffer kept from an earlier file, if any.
fn spare_piece() -> Option<Vec<u8>> {
    SPARE_PIECES.lock().ok()?.pop()
}

/// Keeps `buffer` for the next file's pieces (frees it when enough are kept).
fn keep_spare_piece(buffer: Vec<u8>) {
    if let Ok(mut spares) = SPARE_PIECES.lock() {
        if spares.len() < SPARES_KEPT && buffer.capacity() >= PIECE {
            spares.push(buffer);
        }
    }
}

/// Frees the piece buffers kept for another file: called when the run has no more large files to read (so
/// that they do not add to the later phases' peak memory).
pub fn let_go_of_spare_pieces() {
    if let Ok(mut spares) = SPARE_PIECES.lock() {
        *spares = Vec::new();
    }
}

/// As `chunker.parse_rest(input, true, sink)`, in pieces parsed on every core: a thread reads the input
/// and cuts it into pieces of whole lines (cut after a newline, but for the input's end); each piece is
/// parsed on the thread pool as soon as the next one (its lookahead) has been read, as if a record started
/// there; then, in order, each piece's guess is checked against where the previous piece's last record
/// really ended (a quoted field may hold newlines). A wrong guess is parsed again from the right place; a
/// record longer than a piece and the next one sends the rest of the file to the one-piece-after-another
/// way. Records reach the sink in file order with their lines, exactly as the parser alone would deliver
/// them.
pub fn parse_chunked<T: LineNumbered + Send>(chunker: &dyn ChunkParser<T>, input: &mut (dyn BufRead + Send), sink: &mut dyn FnMut(T)) -> std::io::Result<()> {
    parse_in_pieces(chunker, input, sink, PIECE, PIECES_IN_FLIGHT)
}

/// A piece's records, where it ended, and its newlines.
type Parsed<T> = (Vec<T>, ChunkEnd, u64);

/// A piece's parse as sent back by the pool: its panic, if it panicked, to be raised again here (a parse
/// that never reported would leave the reader waiting forever).
type ParseResult<T> = std::thread::Result<Parsed<T>>;

/// [`parse_chunked`] with pieces of `piece_size` bytes, at most `in_flight` read and not yet handed to the
/// sink (small in tests). Pieces are parsed as a stream, not in rounds: while the sink takes one piece's
/// records on this thread, the pool parses the next ones (in rounds, both cores waited for the slower
/// piece of each round and for the sink).
pub(crate) fn parse_in_pieces<T: LineNumbered + Send>(
    chunker: &dyn ChunkParser<T>,
    input: &mut (dyn BufRead + Send),
    sink: &mut dyn FnMut(T),
    piece_size: usize,
    in_flight: usize,
) -> std::io::Result<()> {
    if rayon::current_thread_index().is_some() {
        // This thread waits for the pool's parses: on a pool thread, every pool thread could end up waiting.
        return chunker.parse_rest(input, true, sink);
    }
    let in_flight = in_flight.max(2);
    std::thread::scope(|scope| {
        // Made inside the scope: however this closure returns, the receiver is dropped before the scope
        // waits for the reading thread, which then cannot stay blocked on a full channel.
        let (piece_tx, piece_rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
        // Pieces parsed go back to the reading thread to be filled again: a new 2 MB buffer per piece was
        // a page fault per 4 KB of the file (a tenth of the reading, perf).
        let (used_tx, used_rx) = mpsc::sync_channel::<Vec<u8>>(in_flight + 2);
        scope.spawn(move || cut_pieces(input, &piece_tx, &used_rx, piece_size));
        let (parsed_tx, parsed_rx) = mpsc::channel::<(usize, ParseResult<T>)>();
        rayon::in_place_scope(|pool| {
            // Pieces read and not yet handed to the sink: `pieces[0]` is piece number `done`.
            let mut pieces: VecDeque<std::sync::Arc<Vec<u8>>> = VecDeque::new();
            let mut parsed: std::collections::BTreeMap<usize, ParseResult<T>> = std::collections::BTreeMap::new();
            let (mut done, mut spawned) = (0usize, 0usize);
            let mut input_done = false;
            let mut input_error = None;
            // Lines before piece `done`, and where its first record starts.
            let (mut lines_before, mut start) = (0u64, 0usize);
            loop {
                // Read on while few pieces are in flight.
                while !input_done && pieces.len() < in_flight {
                    match piece_rx.recv() {
                        Ok(Ok(piece)) => pieces.push_back(std::sync::Arc::new(piece)),
                        Ok(Err(e)) => {
                            input_error = Some(e);
                            input_done = true;
                        }
                        Err(_) => input_done = true,
                    }
                    // Every piece with its lookahead (or known to be the last) goes to the pool.
                    while spawned < done + pieces.len() && (spawned + 1 < done + pieces.len() || input_done) {
                        let own = pieces[spawned - done].clone();
                        let lookahead = pieces.get(spawned + 1 - done).cloned();
                        let (k, tx) = (spawned, parsed_tx.clone());
                        pool.spawn(move |_| {
                            let parse = std::panic::AssertUnwindSafe(|| {
                                let (records, end, newlines) = parse_piece(chunker, &own, lookahead.as_deref().map_or(&[][..], |p| &p[..]), k == 0);
                                // Counted by the parse when it could: a second pass over every piece was
                                // 1.6 % of the 10M benchmark's CPU.
                                debug_assert!(newlines.is_none_or(|n| n == count_newlines(&own)), "a parse's newline count");
                                (records, end, newlines.unwrap_or_else(|| count_newlines(&own)))
                            });
                            let parsed = std::panic::catch_unwind(parse);
                            // The pieces let go of before the parse is reported: the reader takes the piece
                            // back for reading once nobody else holds it, and a piece still held then was
                            // freed instead, and a new one faulted in (10M run: 160K -> 144K page faults).
                            drop((own, lookahead));
                            let _ = tx.send((k, parsed));
                        });
                        spawned += 1;
                    }
                }
                if pieces.is_empty() {
                    break;
                }
                // The next piece in order, once parsed.
                let (mut records, mut end, newlines) = loop {
                    if let Some(p) = parsed.remove(&done) {
                        break p.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    }
                    let (k, p) = parsed_rx.recv().expect("a sender is held here");
                    parsed.insert(k, p);
                };
                let piece = pieces.pop_front().expect("not empty");
                let lookahead = pieces.front();
                let first = done == 0;
                if start != 0 {
                    // The previous piece's last record went on into this one: parse it again from where
                    // the next record really starts.
                    (records, end, _) = parse_piece(chunker, &piece[start..], lookahead.map_or(&[][..], |p| &p[..]), false);
                }
                let base = lines_before + count_newlines(&piece[..start]);
                if end == ChunkEnd::EndOfInput && !(input_done && lookahead.is_none()) {
                    // A record outgrew this piece and the next: read the rest one piece after another.
                    let mut rest: VecDeque<Vec<u8>> = std::iter::once(&piece).chain(pieces.iter()).map(|p| p.to_vec()).collect();
                    rest[0].drain(..start);
                    drop((piece, pieces));
                    let mut reader = RestReader { pieces: rest, more: if input_done { None } else { Some(&piece_rx) }, pos: 0 };
                    chunker.parse_rest(&mut reader, first, &mut |mut p| {
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
                done += 1;
                // Its parse and the previous piece's (which read it as lookahead) have ended.
                if let Ok(buffer) = std::sync::Arc::try_unwrap(piece) {
                    // (The reader has ended once the file is read: then kept for the next file.)
                    if let Err(mpsc::TrySendError::Full(buffer) | mpsc::TrySendError::Disconnected(buffer)) = used_tx.try_send(buffer) {
                        keep_spare_piece(buffer);
                    }
                }
            }
            // Let the reading thread end (it may be waiting to send) before the scope joins it.
            drop(piece_rx);
            input_error.map_or(Ok(()), Err)
        })
    })
}

/// A piece's records, where it ended, and its newlines if the parse counted them.
fn parse_piece<T>(chunker: &dyn ChunkParser<T>, own: &[u8], lookahead: &[u8], first: bool) -> (Vec<T>, ChunkEnd, Option<u64>) {
    let mut records = Vec::new();
    let (end, newlines) = chunker.parse_chunk_counted(own, lookahead, first, &mut |p| records.push(p));
    (records, end, newlines)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Bytes asked of the input at a time: the input's buffer's size (so that the read goes past it), small
/// enough that the SHA-256 taken as they are read finds them in the cache.
const READ_STEP: usize = crate::read::input::BUFFER;

/// Reads `input` and sends it in pieces cut after a newline; an error is sent last.
/// `used`: pieces parsed, whose buffers are filled again.
///
/// A piece is read into straight from the input (`Read::read` of a request at least the input's buffer's
/// size goes past that buffer), [`READ_STEP`] at a time, not through the input's buffer and copied out of
/// it: the copy was an eighth of the reading thread's time on a 800 MB log (perf); asked for 2 MB at once,
/// the log's reading was slower than with the copy (the log's SHA-256, taken as each read returns, then
/// found little of it in the cache). The piece is cut after its last newline; the part line after it
/// begins the next piece.
fn cut_pieces(input: &mut (dyn BufRead + Send), pieces: &SyncSender<std::io::Result<Vec<u8>>>, used: &Receiver<Vec<u8>>, piece_size: usize) {
    // However the reading ends, the buffers sent back and not filled again are kept for the next file.
    struct KeepUnused<'u>(&'u Receiver<Vec<u8>>);
    impl Drop for KeepUnused<'_> {
        fn drop(&mut self) {
            self.0.try_iter().for_each(keep_spare_piece);
        }
    }
    let _keep = KeepUnused(used);
    let piece_size = piece_size.max(1);
    // The part line after the last piece's last newline.
    let mut carried: Vec<u8> = Vec::new();
    loop {
        let mut bytes = used.try_recv().ok().or_else(spare_piece).unwrap_or_default();
        // A buffer keeps the length it had (its bytes are initialised, and read over): only what lies past
        // it is zeroed, once.
        bytes.resize(piece_size.max(carried.len() + 1), 0);
        bytes[..carried.len()].copy_from_slice(&carried);
        let mut filled = carried.len();
        carried.clear();
        let mut ended = false;
        // Filled to the piece size, then cut after its last newline (read on where it has none).
        loop {
            if filled == bytes.len() {
                if let Some(last) = memchr::memrchr(b'\n', &bytes[..filled]) {
                    carried.extend_from_slice(&bytes[last + 1..filled]);
                    filled = last + 1;
                    break;
                }
                // A line longer than the piece: room for more of it.
                bytes.resize(filled + piece_size.min(1 << 20), 0);
            }
            let end = bytes.len().min(filled + READ_STEP);
            match input.read(&mut bytes[filled..end]) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // The whole lines read before the error are parsed first.
                    if let Some(last) = memchr::memrchr(b'\n', &bytes[..filled]) {
                        bytes.truncate(last + 1);
                        let _ = pieces.send(Ok(bytes));
                    }
                    let _ = pieces.send(Err(e));
                    return;
                }
            }
        }
        bytes.truncate(filled);
        if !bytes.is_empty() && pieces.send(Ok(bytes)).is_err() {
            return; // the parsing side has stopped
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
