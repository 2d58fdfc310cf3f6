//! Completeness: what the logs cover, where they are blind, and what cannot be ruled out.
//!
//! While `stages::collect` reads the logs, a [`recorder::CoverageRecorder`] keeps, per source, an hourly
//! histogram of all events (every account: this is about the log's own rhythm), per file the first and
//! last event and events per day, the blind spots of each record ([`blind`]), and the times of the
//! actors' events. [`report::build`] then finds each source's gaps inside the case window against its own rhythm
//! ([`gaps`]), the covered share of the window, and, in strict mode, turns every gap into a finding with
//! the actors' activity around it. [`svg::timeline`] draws covered and missing periods.


pub mod blind;
pub mod gaps;
pub mod histogram;
pub mod recorder;
pub mod report;
pub mod svg;
