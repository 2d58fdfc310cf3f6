//! Errors that end a run, and the exit code each one maps to.

use std::path::PathBuf;

/// Exit codes, documented in README.md ("Exit codes").
pub mod exit {
    /// The run completed; outputs were written.
    pub const OK: i32 = 0;
    /// Bad input or usage: missing file, bad case file, unknown column, output exists without --force.
    pub const INPUT: i32 = 2;
    /// An output could not be written (disk full, permissions).
    pub const WRITE_FAILED: i32 = 3;
    /// `--strict`: a record was rejected; nothing was written.
    pub const STRICT: i32 = 4;
    /// `verify`: a file differs from the manifest.
    pub const DIFFERS: i32 = 1;
    /// An internal error: breachscope found its own results inconsistent (a bug); nothing was written.
    pub const INTERNAL: i32 = 5;
    /// Interrupted by Ctrl-C or SIGTERM; unfinished outputs were removed.
    pub const INTERRUPTED: i32 = 130;
}

/// A failure that stops the run. Every variant names the file (and the line/column where known).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },

    #[error("{path}:{line}:{column}: {message}")]
    InputAt { path: PathBuf, line: u64, column: u64, message: String },

    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },

    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{path}: already exists (use --force to overwrite)")]
    OutputExists { path: PathBuf },

    #[error("{0}")]
    Usage(String),

    /// `--strict` and a record was rejected.
    #[error("{0}")]
    Strict(String),

    /// A bug: the results do not hold together (e.g. record counts do not reconcile).
    #[error("internal error: {0} (this is a bug in breachscope: please report it with the case)")]
    Internal(String),
}

impl Error {
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input { path: path.into(), message: message.into() }
    }

    pub fn input_at(path: impl Into<PathBuf>, line: u64, column: u64, message: impl Into<String>) -> Self {
        Error::InputAt { path: path.into(), line, column, message: message.into() }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Write { .. } => exit::WRITE_FAILED,
            Error::Internal(_) => exit::INTERNAL,
            Error::Strict(_) => exit::STRICT,
            _ => exit::INPUT,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
