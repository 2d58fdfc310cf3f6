//! Parsing on a second core: the calling thread reads (and decompresses) the input and hands each parsed
//! record to the sink, while a worker thread runs the parser. Records reach the sink in file order, exactly
//! as [`LogParser::parse`] would deliver them, and an I/O error reaches the parser where it happened.
//!
//! Memory stays bounded: at most [`BLOCKS_IN_FLIGHT`] input blocks and the records parsed from about that
//! many blocks are held at once.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::Duration;

use super::{ChunkEnd, ChunkParser, LineNumbered, LogParser, Parsed};

/// Bytes read from the input at a time.
const BLOCK: usize = 1 << 20;
/// Input blocks queued for the parser.
const BLOCKS_IN_FLIGHT: usize = 4;
/// Records handed back to the reading thread at a time.
const BATCH: usize = 4096;

type Block = std::io::Result<Vec<u8>>;

/// Whether to parse on a second core: yes, unless `BREACHSCOPE_THREADS=1` or the machine has one core.
pub fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| match std::env::var("BREACHSCOPE_THREADS") {
        Ok(n) => n.trim() != "1",
        Err(_) => std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
    })
}

/// `parser.parse(input, sink)`: in pieces on every core when the parser can ([`parse_chunked`]), else on a
/// second core ([`parse_pipelined`]), when [`enabled`].
pub fn parse(parser: &dyn LogParser, input: &mut (dyn BufRead + Send), sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
    match parser.chunked() {
        Some(chunker) if enabled() => parse_chunked(chunker, input, sink),
        _ if enabled() => parse_pipelined(parser, input, sink),
        _ => parser.parse(input, sink),
    }
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
        scope.spawn(move || cut_pieces(input, &piece_tx, piece_size));
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
            pieces.drain(..ready);
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
fn cut_pieces(input: &mut (dyn BufRead + Send), pieces: &SyncSender<std::io::Result<Vec<u8>>>, piece_size: usize) {
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut bytes = std::mem::take(&mut carry);
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
            carry = bytes[cut..].to_vec();
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
fn read_through_buffer(reader: &mut impl BufRead, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// As `parser.parse(input, sink)`, with the parser on another thread.
pub fn parse_pipelined(parser: &dyn LogParser, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
    let (block_tx, block_rx) = mpsc::sync_channel::<Block>(BLOCKS_IN_FLIGHT);
    let (parsed_tx, parsed_rx) = mpsc::channel::<Vec<Parsed>>();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let mut reader = BlockReader { blocks: block_rx, current: Vec::new(), pos: 0 };
            let mut batch = Vec::with_capacity(BATCH);
            let result = parser.parse(&mut reader, &mut |p| {
                batch.push(p);
                if batch.len() >= BATCH {
                    // The reading thread only stops listening when it has stopped for good.
                    let _ = parsed_tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            });
            if !batch.is_empty() {
                let _ = parsed_tx.send(batch);
            }
            result
        });
        feed(input, &block_tx, &parsed_rx, sink);
        drop(block_tx);
        for batch in parsed_rx.iter() {
            batch.into_iter().for_each(&mut *sink);
        }
        worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Sends the input to the worker block by block, handing parsed records to the sink whenever they are ready.
fn feed(input: &mut dyn BufRead, blocks: &SyncSender<Block>, parsed: &Receiver<Vec<Parsed>>, sink: &mut dyn FnMut(Parsed)) {
    let mut pending: VecDeque<Block> = VecDeque::new();
    let mut done = false;
    loop {
        if pending.is_empty() && !done {
            let (block, error) = read_block(input);
            done = block.is_empty() || error.is_some();
            if !block.is_empty() {
                pending.push_back(Ok(block));
            }
            if let Some(e) = error {
                pending.push_back(Err(e));
            }
        }
        let Some(block) = pending.pop_front() else { return };
        match blocks.try_send(block) {
            Ok(()) => {}
            Err(TrySendError::Full(block)) => {
                pending.push_front(block);
                // The worker is busy: take what it has parsed, waiting a little for it, then try again. (Not
                // a blocking wait: the worker may be holding a part batch while it reads the queued blocks.)
                match parsed.recv_timeout(Duration::from_millis(1)) {
                    Ok(batch) => batch.into_iter().for_each(&mut *sink),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return, // the worker ended (an error, or a panic)
                }
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
        while let Ok(batch) = parsed.try_recv() {
            batch.into_iter().for_each(&mut *sink);
        }
    }
}

/// The next block of the input, and the error that ended it, if any.
fn read_block(input: &mut dyn BufRead) -> (Vec<u8>, Option<std::io::Error>) {
    let mut block = Vec::with_capacity(BLOCK);
    while block.len() < BLOCK {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return (block, Some(e)),
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(BLOCK - block.len());
        block.extend_from_slice(&buf[..n]);
        input.consume(n);
    }
    (block, None)
}

/// The worker's input: the blocks, in order, then the end (or the error the reading thread met).
struct BlockReader {
    blocks: Receiver<Block>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for BlockReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        read_through_buffer(self, buf)
    }
}

impl BufRead for BlockReader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pos >= self.current.len() {
            match self.blocks.recv() {
                Ok(Ok(block)) => {
                    self.current = block;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.current[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.current.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::combined::CombinedParser;

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| {
                let user = if i % 3 == 0 { "k.walsh" } else { "-" };
                let line = format!("10.0.0.1 - {user} [01/Jun/2019:10:{:02}:00 +0200] \"GET /c/{i} HTTP/1.1\" 200 12 \"-\" \"x\"\n", i % 60);
                if i % 1000 == 7 {
                    "garbage\n".to_string()
                } else {
                    line
                }
            })
            .collect()
    }

    #[test]
    fn same_records_in_the_same_order() {
        let text = lines(30_000); // several blocks and batches
        let mut direct = Vec::new();
        CombinedParser.parse(&mut text.as_bytes(), &mut |p| direct.push(p)).unwrap();
        let mut piped = Vec::new();
        parse_pipelined(&CombinedParser, &mut text.as_bytes(), &mut |p| piped.push(p)).unwrap();
        assert_eq!(direct.len(), 30_000);
        assert_eq!(direct, piped);
    }

    /// A reader that fails after some bytes, like a truncated gzip.
    pub(super) struct Failing<'a>(pub(super) &'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "truncated"));
            }
            let n = self.0.len().min(buf.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn an_input_error_reaches_the_parser_where_it_happened() {
        let text = lines(5000);
        let cut = &text.as_bytes()[..text.len() / 2];
        let mut direct = Vec::new();
        let direct_result = CombinedParser.parse(&mut std::io::BufReader::new(Failing(cut)), &mut |p| direct.push(p));
        let mut piped = Vec::new();
        let piped_result = parse_pipelined(&CombinedParser, &mut std::io::BufReader::new(Failing(cut)), &mut |p| piped.push(p));
        assert_eq!(direct_result.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(piped_result.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(direct, piped);
    }
}

#[cfg(test)]
mod chunked_tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::case::Window;
    use crate::ingest::generic_csv::CsvParser;
    use crate::ingest::prefilter::{AccountsOfInterest, OtherAccountsTally};

    const HEADER: &str = "event_time,user_name,entity,entity_id,fields_viewed\n";

    fn parser(prefilter: bool) -> CsvParser {
        let parser = CsvParser::new(&BTreeMap::new(), HEADER.as_bytes()).unwrap();
        if prefilter {
            static ACCOUNTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
            let accounts = ACCOUNTS.get_or_init(|| vec!["k.walsh".to_string()]);
            let t = |s: &str| crate::timefmt::parse_zoned(s).unwrap();
            let window = Window { since: Some(t("2019-06-02T00:00:00Z")), until: Some(t("2019-06-20T00:00:00Z")) };
            parser.only_accounts(AccountsOfInterest { accounts, window })
        } else {
            parser
        }
    }

    /// The records in order, other accounts' tallies summed into one at the end (pieces flush their
    /// tallies at other places than one reader does; the sums must agree).
    fn normalised(records: Vec<Parsed>) -> (Vec<Parsed>, OtherAccountsTally) {
        let mut total = OtherAccountsTally::default();
        let mut kept = Vec::new();
        for p in records {
            match p {
                Parsed::OtherAccounts(t) => total.merge(&t),
                other => kept.push(other),
            }
        }
        (kept, total)
    }

    fn serial(parser: &CsvParser, text: &[u8]) -> (std::io::Result<()>, Vec<Parsed>) {
        let mut out = Vec::new();
        let result = parser.parse(&mut std::io::BufReader::with_capacity(7, text), &mut |p| out.push(p));
        (result, out)
    }

    fn in_pieces(parser: &CsvParser, text: &[u8], read_size: usize, piece: usize, per_round: usize) -> (std::io::Result<()>, Vec<Parsed>) {
        let mut out = Vec::new();
        let mut input = std::io::BufReader::with_capacity(read_size, text);
        let result = parse_in_pieces(parser, &mut input, &mut |p| out.push(p), piece, per_round);
        (result, out)
    }

    /// One row of a CSV audit log, of the kinds real exports hold (and some broken ones).
    fn row() -> impl Strategy<Value = Vec<u8>> {
        let user = prop_oneof![Just("k.walsh"), Just("k.walshe"), Just("a.khan"), Just("-"), Just(""), Just(" k.walsh ")];
        let day = 1u32..28;
        let fields = prop_oneof![
            Just("email".to_string()),
            Just("\"email|\nphone\"".to_string()),
            Just("\"he said \"\"hi\"\"\r\nthen\n\nleft\"".to_string()),
            Just("\"a,b\"".to_string()),
            Just("see k.walsh".to_string()),
        ];
        (user, day, 0u32..24, fields, 0u8..14).prop_map(|(user, day, hour, fields, kind)| {
            let time = format!("2019-06-{day:02}T{hour:02}:10:00Z");
            match kind {
                0 => b"\n".to_vec(),                                            // a blank line
                1 => format!("{time},{user},Customer\n").into_bytes(),          // too few fields
                6 => format!("{time},{user},Customer,C{day}\n").into_bytes(),   // one field short
                7 => format!("{time},{user},Customer,C{day},email,x\n").into_bytes(), // one field too many
                2 => format!("2019-06-{day:02} 10:00:00,{user},Customer,C{day},email\n").into_bytes(), // no zone
                3 => [format!("{time},{user},Customer,C").as_bytes(), b"\xe9", b",email\r\n"].concat(), // Latin-1
                4 => format!("{time},{user},Ticket,T-{day},{fields}\r\n").into_bytes(),
                5 => format!(" , , , , \n").into_bytes(),                       // blank cells
                _ => format!("{time},{user},Customer,C{day},{fields}\n").into_bytes(),
            }
        })
    }

    fn log() -> impl Strategy<Value = Vec<u8>> {
        (proptest::collection::vec(row(), 0..60), proptest::option::of(prop_oneof![Just(&b"\"unterminated,"[..]), Just(&b"2019-06-03T10:00:00Z,k.walsh,Customer,C9,email"[..])]))
            .prop_map(|(rows, tail)| {
                let mut text = HEADER.as_bytes().to_vec();
                rows.iter().for_each(|r| text.extend_from_slice(r));
                if let Some(t) = tail {
                    text.extend_from_slice(t);
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn pieces_give_what_one_reader_gives(text in log(), read_size in 1usize..64, piece in 1usize..200, per_round in 1usize..4, prefilter in any::<bool>()) {
            let parser = parser(prefilter);
            let (expected_result, expected) = serial(&parser, &text);
            let (result, got) = in_pieces(&parser, &text, read_size, piece, per_round);
            prop_assert!(expected_result.is_ok() && result.is_ok());
            prop_assert_eq!(normalised(got), normalised(expected));
        }
    }

    #[test]
    fn a_record_longer_than_two_pieces_is_read_whole() {
        let long = "x".repeat(5000).replace("xx", "x\n");
        let text = format!("{HEADER}2019-06-03T10:00:00Z,k.walsh,Customer,C1,email\n2019-06-03T10:01:00Z,k.walsh,Customer,C2,\"{long}\"\n2019-06-03T10:02:00Z,k.walsh,Customer,C3,email\n");
        let parser = parser(false);
        let (_, expected) = serial(&parser, text.as_bytes());
        let (result, got) = in_pieces(&parser, text.as_bytes(), 16, 64, 2);
        result.unwrap();
        assert_eq!(got.len(), 3);
        let Parsed::Event(last) = &got[2] else { panic!("{got:?}") };
        assert_eq!(last.line, 2 + 2 + long.matches('\n').count() as u64);
        assert_eq!(got, expected);
    }

    #[test]
    fn a_read_error_is_returned_after_the_records_before_it() {
        let rows: String = (0..2000).map(|i| format!("2019-06-03T10:00:00Z,k.walsh,Customer,C{i},email\n")).collect();
        let text = format!("{HEADER}{rows}");
        let cut = &text.as_bytes()[..text.len() / 2];
        let parser = parser(false);
        let mut got = Vec::new();
        let mut input = std::io::BufReader::with_capacity(1000, tests::Failing(cut));
        let result = parse_in_pieces(&parser, &mut input, &mut |p| got.push(p), 4096, 2);
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
        // Every whole line before the error, in order, with its line.
        let whole_lines = cut.iter().filter(|b| **b == b'\n').count() - 1;
        assert_eq!(got.len(), whole_lines);
        assert!(got.iter().enumerate().all(|(i, p)| matches!(p, Parsed::Event(e) if e.line == i as u64 + 2)));
    }
}
