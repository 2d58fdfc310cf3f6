//! Reading access logs: one parser per format (in [`formats`]) behind [`event::LogParser`], each turning a
//! stream of bytes into [`event::Parsed`] records: an access event, a record that is not an access (ignored,
//! with the reason), or a record that could not be read (rejected, with line, column, reason and the raw
//! text). [`detect`] tells the format and builds its parser; [`files`] reads a log's files in order (several at
//! once), [`pipeline`] parses one on a second core.
//!
//! Parsers only read syntax. What an event exposes (which records, which fields) is decided later, with the
//! case's tables at hand, in `evidence`.

pub mod bytes;
pub mod csv_records;
pub mod detect;
pub mod event;
pub mod files;
pub mod formats;
pub mod json_records;
pub mod mapping;
pub mod pipeline;
pub mod prefilter;
