//! Where an access event came from: one struct for every list that points back into the logs (unresolved,
//! replayed and whole-table queries, accesses after the account was disabled). The time stays typed until
//! it is written (RFC 3339, UTC).

use serde::Serialize;

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
}

impl EventOrigin {
    /// The order lists are written in: source, file, line.
    pub fn place(&self) -> (&str, &str, u64) {
        (&self.source, &self.file, self.line)
    }

    /// The time as written in outputs.
    pub fn time_utc(&self) -> String {
        format_utc(&self.time)
    }
}

fn utc<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_utc(time))
}
