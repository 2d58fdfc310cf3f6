//! Low-level reading shared by every part above it: opening exports (plain, gzip, zstd; any encoding),
//! lines, files read in pieces on every core, CSV splitting, the case's tables, record keys and
//! timestamps. Nothing here knows about cases, logs formats or stages.

pub mod accounts;
pub mod csv_pieces;
pub mod encoding;
pub mod input;
pub mod json_array;
pub mod keys;
pub mod line_scan;
pub mod lines;
pub mod near;
pub mod parquet;
pub mod pieces;
pub mod table;
pub mod syslog;
pub mod timefmt;
pub mod xlsx;
