//! The analysis stages, in the order [`crate::analysis`] runs them: [`collect`] (the actors' touches from
//! every log), [`replay`] (key-less queries re-run against the tables), [`resolve`] (records → customers)
//! and [`exposure`] (fields → data classes); then [`warnings`] (mistakes that must be loud).

pub mod collect;
pub mod exposure;
pub mod merge;
pub mod origin;
pub mod replay;
pub mod resolve;
pub mod warnings;
#[cfg(test)]
pub(crate) mod testing;
