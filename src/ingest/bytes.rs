//! Parsing a log held in memory: the same parsers as for files, for library callers (and the fuzz targets
//! under `fuzz/`), without touching the disk.

use crate::ingest::detect::parser_for;

use crate::ingest::event::{Format, Parsed, ParserSettings};
use crate::read::encoding::TextEncoding;
use crate::error::{Error, Result};

/// How many leading bytes settle a parser's layout (as `collect` samples a file).
const SAMPLE: usize = 64 * 1024;

/// Every record of `bytes` (an uncompressed log in `encoding`) read as `format`; `None` detects the format
/// from the content as for a file. An error where a file would be refused (an unknown layout, an unreadable
/// CSV header); bad records are [`Parsed::Rejected`], as always.
pub fn parse_bytes(format: Option<Format>, settings: &ParserSettings, encoding: TextEncoding, bytes: &[u8]) -> Result<Vec<Parsed>> {
    let name = std::path::Path::new("<memory>");
    let text = transcode(bytes, encoding).map_err(|source| Error::Read { path: name.to_path_buf(), source })?;
    let sample = &text[..text.len().min(SAMPLE)];
    let format = match format {
        Some(f) => f,
        None => crate::ingest::detect::detect_format(sample).ok_or_else(|| Error::input(name, "cannot tell the log format"))?,
    };
    let parser = parser_for(format, settings, sample, name)?;
    let mut out = Vec::new();
    parser.parse(&mut &text[..], &mut |p| out.push(p)).map_err(|source| Error::Read { path: name.to_path_buf(), source })?;
    Ok(out)
}

fn transcode(bytes: &[u8], encoding: TextEncoding) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let head = &bytes[..bytes.len().min(4)];
    let mut out = Vec::with_capacity(bytes.len());
    crate::read::encoding::decode(Box::new(std::io::Cursor::new(bytes.to_vec())), head, encoding).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_detects_like_a_file() {
        let log = b"10.0.0.5 - jos\xe9 [03/Jun/2019:10:00:00 +0200] \"GET /x HTTP/1.1\" 200 5 \"-\" \"-\"\n";
        let out = parse_bytes(None, &ParserSettings::default(), TextEncoding::LATIN1, log).unwrap();
        assert!(matches!(&out[..], [Parsed::Event(e)] if e.actor.as_deref() == Some("josé")), "{out:?}");
        let out = parse_bytes(Some(Format::Combined), &ParserSettings::default(), TextEncoding::UTF8, log).unwrap();
        assert!(matches!(&out[..], [Parsed::Rejected(r)] if r.line == 1), "{out:?}");
        assert!(parse_bytes(None, &ParserSettings::default(), TextEncoding::UTF8, b"").is_err());
    }
}
