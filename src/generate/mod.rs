//! Synthetic cases with a planted insider and their expected answers: the demo's support database
//! ([`support_case`]) and the benchmark's streamed audit case ([`audit`]).

pub mod audit;
pub mod support_case;
