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



use crate::ingest::event::{LogParser, Parsed};
use crate::read::pieces::{enabled, parse_chunked, read_through_buffer};

/// Bytes read from the input at a time.
const BLOCK: usize = 1 << 20;
/// Input blocks queued for the parser.
const BLOCKS_IN_FLIGHT: usize = 4;
/// Records handed back to the reading thread at a time.
const BATCH: usize = 4096;

type Block = std::io::Result<Vec<u8>>;


/// `parser.parse(input, sink)`: in pieces on every core when the parser can ([`parse_chunked`]), else on a
/// second core ([`parse_pipelined`]), when [`enabled`].
pub fn parse(parser: &dyn LogParser, input: &mut (dyn BufRead + Send), sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
    match parser.chunked() {
        Some(chunker) if enabled() => parse_chunked(chunker, input, sink),
        _ if enabled() => parse_pipelined(parser, input, sink),
        _ => parser.parse(input, sink),
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
    use crate::ingest::formats::combined::CombinedParser;

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
    use crate::read::pieces::parse_in_pieces;
    use crate::read::timefmt::Window;
    use crate::ingest::formats::generic_csv::CsvParser;
    use crate::ingest::prefilter::{AccountsOfInterest, OtherAccountsTally};

    const HEADER: &str = "event_time,user_name,entity,entity_id,fields_viewed\n";

    fn parser(prefilter: bool) -> CsvParser {
        let parser = CsvParser::new(&BTreeMap::new(), HEADER.as_bytes()).unwrap();
        if prefilter {
            static ACCOUNTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
            let accounts = ACCOUNTS.get_or_init(|| vec!["k.walsh".to_string()]);
            let t = |s: &str| crate::read::timefmt::parse_zoned(s).unwrap();
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
    fn a_piece_buffer_kept_from_one_file_holds_nothing_of_it_in_the_next() {
        // Full-size pieces (whose buffers are kept from file to file): the second log, shorter and of other
        // rows, read in pieces after the first, gives what one reader gives.
        let parser = parser(false);
        let log = |user: &str, rows: usize, fields: &str| {
            let rows: String = (0..rows).map(|i| format!("2019-06-03T10:{:02}:00Z,{user},Customer,C{i},{fields}\n", i % 60)).collect();
            format!("{HEADER}{rows}").into_bytes()
        };
        let first = log("a.khan", 160_000, "\"email|\nphone\"");
        let second = log("k.walsh", 90_000, "email");
        for text in [&first, &second, &first] {
            let mut got = Vec::new();
            crate::read::pieces::parse_chunked(&parser, &mut std::io::BufReader::new(&text[..]), &mut |p| got.push(p)).unwrap();
            let (result, expected) = serial(&parser, text);
            result.unwrap();
            assert!(text.len() > 4 << 20, "several pieces");
            assert_eq!(normalised(got), normalised(expected));
        }
        crate::read::pieces::let_go_of_spare_pieces();
    }

    #[test]
    fn a_read_error_is_returned_after_the_records_before_it() {
        let rows: String = (0..2000).map(|i| format!("2019-06-03T10:00:00Z,k.walsh,Customer,C{i},email\n")).collect();
        let text = format!("{HEADER}{rows}");
        let cut = &text.as_bytes()[..text.len() / 2];
        let parser = parser(false);
        // Whatever the sizes of reads and pieces: the error may come in the middle of a piece.
        for (read_size, piece_size) in [(1000, 4096), (7, 64), (100, 512), (4096, 1000), (333, 50_000)] {
            let mut got = Vec::new();
            let mut input = std::io::BufReader::with_capacity(read_size, tests::Failing(cut));
            let result = parse_in_pieces(&parser, &mut input, &mut |p| got.push(p), piece_size, 2);
            assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
            // Every whole line before the error, in order, with its line.
            let whole_lines = cut.iter().filter(|b| **b == b'\n').count() - 1;
            assert_eq!(got.len(), whole_lines, "reads of {read_size}, pieces of {piece_size}");
            assert!(got.iter().enumerate().all(|(i, p)| matches!(p, Parsed::Event(e) if e.line == i as u64 + 2)));
        }
    }

    /// A parser that panics on a piece after the first.
    struct PanicsLater;

    impl crate::read::pieces::ChunkParser<Parsed> for PanicsLater {
        fn parse_chunk(&self, own: &[u8], _lookahead: &[u8], first: bool, _sink: &mut dyn FnMut(Parsed)) -> crate::read::pieces::ChunkEnd {
            assert!(first, "a bug in a parser ({} bytes)", own.len());
            crate::read::pieces::ChunkEnd::NextRecordAt(0)
        }
        fn parse_rest(&self, _input: &mut dyn std::io::BufRead, _first: bool, _sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A parse that panics on the pool is raised again in the reader, not waited for forever.
    #[test]
    fn a_panic_while_parsing_a_piece_reaches_the_reader() {
        let text = "x\n".repeat(10_000);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(|| {
                let mut input = std::io::BufReader::with_capacity(100, text.as_bytes());
                parse_in_pieces(&PanicsLater, &mut input, &mut |_| {}, 1000, 3)
            });
            done_tx.send(result.is_err()).unwrap();
        });
        let panicked = done_rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the reader returned");
        assert!(panicked);
    }
}
