//! breachscope: which customer records did an account touch, what did each expose, and whom to notify.
//!
//! The data flows one way: [`case`] → [`ingest`] (log records → access events) → [`evidence`] (events →
//! records and fields) → [`collect`] (the actors' touches) → [`resolve`] (records → customers) →
//! [`replay`] (queries re-run against the tables) → [`exposure`] (fields → data classes) → [`legal`] (people,
//! jurisdictions, duties) → [`notification`] and [`report`].

pub mod activity;
pub mod case;
pub mod classes;
pub mod cli;
pub mod collect;
pub mod encoding;
pub mod commands;
pub mod coverage;
pub mod error;
pub mod evidence;
pub mod export;
pub mod exposure;
pub mod generate;
pub mod generate_audit;
pub mod html;
pub mod ingest;
pub mod input;
pub mod keys;
pub mod legal;
pub mod manifest;
pub mod notification;
pub mod output;
pub mod replay;
pub mod profile;
pub mod redact;
pub mod report;
pub mod resolve;
pub mod stats;
pub mod suspects;
pub mod table;
pub mod timefmt;
pub mod timings;
pub mod ui;
pub mod victims;
