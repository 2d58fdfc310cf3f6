//! The legal team's deliverable, after the exposure stage: customer rows grouped into people, each person's
//! jurisdiction, and under that jurisdiction's rule whether they must be notified, why, by when and whom
//! else to tell; a per-jurisdiction summary; and a statement of what was and was not exposed.
//! Decision support for counsel, never legal advice.

pub mod actions;
pub mod deadline;
pub mod evaluate;
pub mod freetext;
pub mod jurisdiction;
pub mod notice;
pub mod people;
pub mod report;
pub mod rules;
pub mod statement;
