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

use super::{LogParser, Parsed};

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

/// `parser.parse(input, sink)`, on a second core when [`enabled`].
pub fn parse(parser: &dyn LogParser, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
    if enabled() {
        parse_pipelined(parser, input, sink)
    } else {
        parser.parse(input, sink)
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
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
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
    struct Failing<'a>(&'a [u8]);

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
