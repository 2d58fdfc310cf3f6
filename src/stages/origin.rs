//! Where an access event came from: one struct for every list that points back into the logs (unresolved,
//! replayed and whole-table queries, accesses after the account was disabled). The time stays typed until
//! it is written (RFC 3339, UTC).

use serde::Serialize;

use crate::ingest::event::RecordPlace;
use crate::read::timefmt::{format_utc, Timestamp};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventOrigin {
    /// The `[[logs]]` source's name.
    pub source: String,
    /// The source's index in the case (for coverage and touches).
    #[serde(skip)]
    pub source_index: usize,
    /// The file as shown in outputs (relative to the case folder).
    pub file: String,
    /// The line where the record starts (1-based).
    pub line: u64,
    #[serde(serialize_with = "utc")]
    pub time: Timestamp,
    pub actor: String,
    /// The record's place in a file whose records share lines (a CloudTrail Records file is one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordPlace>,
}

impl EventOrigin {
    /// The order lists are written in: source, file, line, record (in a file whose records share lines).
    pub fn place(&self) -> (&str, &str, u64, u64) {
        (&self.source, &self.file, self.line, self.record.as_ref().map_or(0, |r| r.index))
    }

    /// `file:line`, and the record's place where lines do not tell records apart (`Records[3] eventID ...`).
    pub fn location(&self) -> String {
        match &self.record {
            Some(place) => format!("{}:{} {place}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }

    /// The time as written in outputs.
    pub fn time_utc(&self) -> String {
        format_utc(&self.time)
    }
}

fn utc<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_utc(time))
}
