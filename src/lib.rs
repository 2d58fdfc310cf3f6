//! breachscope: which customer records did an account touch, what did each expose, and whom to notify.
//!
//! The tree names the architecture; the data flows one way, down this list:
//!
//! - [`commands`]: one file per command; [`cli`] turns flags into the case's settings (no library sees a flag).
//! - [`parts`]: `scan`'s parts (one log file's collect result) written and merged back (`analyze --parts`).
//! - [`output`]: writes an [`analysis::Analysis`]: CSVs, report.json, HTML, rejects, manifest.
//! - [`analysis`]: runs the stages in their order, written once: collect → replay → resolve → exposure →
//!   coverage → warnings → legal.
//! - [`insider`]: finding the insider (activity, suspects, profile).
//! - [`legal`]: people, jurisdictions, duties; [`coverage`]: what the logs could have missed.
//! - [`letters`]: after analyze, from its outputs: notice drafts per jurisdiction and regulator filing drafts.
//! - [`stages`]: collect, replay, resolve, exposure, warnings.
//! - [`evidence`]: what one access event exposes (records, fields).
//! - [`ingest`]: log formats → access events.
//! - [`case`]: the case file as checked, plain data every stage reads.
//! - [`read`]: low-level reading (files, compression, encodings, lines, pieces, CSV, tables, time, keys).
//! - [`classes`], [`error`], [`ui`], [`timings`]: leaves.
//!
//! [`generate`] writes synthetic cases for the demo, tests and benchmark.


pub mod analysis;
pub mod case;
pub mod classes;
pub mod cli;
pub mod commands;
pub mod coverage;
pub mod error;
pub mod evidence;
pub mod generate;
pub mod ingest;
pub mod insider;
pub mod legal;
pub mod letters;
pub mod output;
pub mod parts;
pub mod read;
pub mod stages;
pub mod timings;
pub mod ui;
