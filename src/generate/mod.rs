//! Synthetic cases with a planted insider and their expected answers: the demo's support database
//! ([`support_case`]) and the benchmark's streamed audit case ([`audit`]), whose tables and log can also be
//! written as Parquet ([`parquet`]).

pub mod audit;
pub mod parquet;
pub mod support_case;
