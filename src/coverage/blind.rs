//! Blind spots: records a source wrote but from which the records shown cannot be told (or not whose
//! account it was), read from the parse results.

use serde::Serialize;

use crate::ingest::event::{Parameters, Payload, RawEvent, StatementText};

/// What a log record leaves unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BlindKind {
    /// pgaudit `<not logged>`, or `<previously logged>` with no earlier text in the session.
    StatementNotLogged,
    /// The statement uses bind parameters (`$1`) and they were logged as `<not logged>`.
    ParametersNotLogged,
    /// The statement uses bind parameters (`$1`) and fewer values than placeholders were logged.
    ParametersMissing,
    /// No account in the record (`-` in a web log, a PostgreSQL statement whose process's account is not in the log).
    NoAccount,
    /// The record could not be read at all (see the rejects file).
    Rejected,
    /// The actors read a whole table with no filter: no row list.
    WholeTableRead,
}

impl BlindKind {
    pub const ALL: [BlindKind; 6] = [
        BlindKind::StatementNotLogged,
        BlindKind::ParametersNotLogged,
        BlindKind::ParametersMissing,
        BlindKind::NoAccount,
        BlindKind::Rejected,
        BlindKind::WholeTableRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BlindKind::StatementNotLogged => "statement_not_logged",
            BlindKind::ParametersNotLogged => "parameters_not_logged",
            BlindKind::ParametersMissing => "parameters_missing",
            BlindKind::NoAccount => "no_account",
            BlindKind::Rejected => "rejected",
            BlindKind::WholeTableRead => "whole_table_read",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            BlindKind::StatementNotLogged => "SQL statement text not logged (<not logged>, or <previously logged> with no earlier text): records cannot be named",
            BlindKind::ParametersNotLogged => "bind parameters <not logged>: records chosen by $n cannot be named",
            BlindKind::ParametersMissing => "prepared statement with fewer logged parameters than placeholders",
            BlindKind::NoAccount => "no account in the record (web `-`; a PostgreSQL statement with no %u in log_line_prefix and no `connection authorized` line of its process in the file): whose access it was is unknown",
            BlindKind::Rejected => "records rejected as unreadable (see the rejects file); the actors' are those whose account could be read",
            BlindKind::WholeTableRead => "whole-table reads by the actors: no row list",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The blind spots of one parsed event (an event can have two: no account and no statement text).
pub fn classify(event: &RawEvent) -> Vec<BlindKind> {
    let mut out = Vec::new();
    if let Payload::Sql { statement, parameters, .. } = &event.payload {
        match statement {
            StatementText::NotLogged => out.push(BlindKind::StatementNotLogged),
            StatementText::Logged(text) => {
                let wanted = max_placeholder(text);
                if wanted > 0 {
                    match parameters {
                        Parameters::NotLogged => out.push(BlindKind::ParametersNotLogged),
                        Parameters::None => out.push(BlindKind::ParametersMissing),
                        Parameters::Values(v) if v.len() < wanted => out.push(BlindKind::ParametersMissing),
                        Parameters::Values(_) => {}
                    }
                }
            }
        }
    }
    if event.actor.is_none() {
        out.push(BlindKind::NoAccount);
    }
    out
}

/// The highest `$n` bind placeholder outside single-quoted strings; 0 when there is none.
pub fn max_placeholder(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let (mut i, mut in_string, mut max) = (0, false, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            in_string = !in_string;
        } else if b == b'$' && !in_string {
            let digits = bytes[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            // `$1` but not part of an identifier (`a$1`) or a dollar quote (`$tag$`).
            let glued = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
            if digits > 0 && !glued {
                if let Ok(n) = sql[i + 1..i + 1 + digits].parse::<usize>() {
                    max = max.max(n);
                }
                i += digits;
            }
        }
        i += 1;
    }
    max
}

/// Where an actor's blind record is.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct LineRef {
    pub file: String,
    pub line: u64,
    pub time: String,
    pub actor: String,
    /// The record's place in a file whose records share lines (a CloudTrail Records file is one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<crate::ingest::event::RecordPlace>,
}

impl LineRef {
    /// `file:line`, and the record's place where lines do not tell records apart.
    pub fn location(&self) -> String {
        match &self.record {
            Some(place) => format!("{}:{} {place}", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }
}

/// How many lines per blind-spot kind and source are listed; the counts are always complete.
pub const LINE_LIMIT: usize = 1000;

/// One kind of blind spot in one source.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub struct BlindSpot {
    /// Not read back from a part: set again from the spot's place in [`BlindKind::ALL`].
    #[serde(skip_deserializing)]
    pub kind: &'static str,
    #[serde(skip_deserializing)]
    pub description: &'static str,
    /// Records of every account; `None` where only the actors' events are examined (whole-table reads).
    pub records: Option<u64>,
    /// The case's actors' successful events inside the window (`rejected`: the actors' rejected records,
    /// whose account could be read; their time is not known, so `time` is empty).
    pub actor_events: u64,
    /// Their lines (the first [`LINE_LIMIT`]).
    pub actor_lines: Vec<LineRef>,
    /// True when `actor_lines` is cut at [`LINE_LIMIT`].
    pub actor_lines_cut: bool,
}

impl BlindSpot {
    pub fn new(kind: BlindKind) -> BlindSpot {
        BlindSpot { kind: kind.as_str(), description: kind.describe(), records: Some(0), ..Default::default() }
    }

    pub fn add(&mut self, actor_line: Option<LineRef>) {
        if let Some(r) = self.records.as_mut() {
            *r += 1;
        }
        if let Some(line) = actor_line {
            self.add_actor_line(line);
        }
    }

    /// Records of no actor's (counted, no line kept).
    pub fn add_records(&mut self, n: u64) {
        if let Some(r) = self.records.as_mut() {
            *r += n;
        }
    }

    /// Adds the same spot of the files read after this one's.
    pub fn merge(&mut self, other: BlindSpot) {
        if let (Some(r), Some(theirs)) = (self.records.as_mut(), other.records) {
            *r += theirs;
        }
        self.actor_events += other.actor_events;
        for line in other.actor_lines {
            if self.actor_lines.len() < LINE_LIMIT {
                self.actor_lines.push(line);
            } else {
                self.actor_lines_cut = true;
            }
        }
        self.actor_lines_cut |= other.actor_lines_cut;
    }

    pub fn add_actor_line(&mut self, line: LineRef) {
        self.actor_events += 1;
        if self.actor_lines.len() < LINE_LIMIT {
            self.actor_lines.push(line);
        } else {
            self.actor_lines_cut = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(statement: StatementText, parameters: Parameters, actor: Option<&str>) -> RawEvent {
        RawEvent {
            line: 1,
            time: crate::read::timefmt::parse_zoned("2019-06-03T10:00:00Z").unwrap(),
            actor: actor.map(str::to_string),
            failure: None,
            payload: Payload::Sql { statement, parameters, class: Some("READ".into()), object: None, rows: None },
        }
    }

    #[test]
    fn placeholders_outside_strings() {
        assert_eq!(max_placeholder("select * from t where id = $1 and x = $12"), 12);
        assert_eq!(max_placeholder("select '$5' from t where a$1 = 2"), 0);
        assert_eq!(max_placeholder("select $$body$$"), 0);
        assert_eq!(max_placeholder("select 1"), 0);
    }

    #[test]
    fn kinds_of_blindness() {
        let logged = |s: &str| StatementText::Logged(s.into());
        assert_eq!(classify(&sql(StatementText::NotLogged, Parameters::NotLogged, Some("a"))), vec![BlindKind::StatementNotLogged]);
        assert_eq!(classify(&sql(logged("select * from c where id = $1"), Parameters::NotLogged, Some("a"))), vec![BlindKind::ParametersNotLogged]);
        assert_eq!(classify(&sql(logged("select * from c where id = $2"), Parameters::Values(vec!["x".into()]), Some("a"))), vec![BlindKind::ParametersMissing]);
        assert_eq!(classify(&sql(logged("select * from c where id = $1"), Parameters::None, None)), vec![BlindKind::ParametersMissing, BlindKind::NoAccount]);
        assert!(classify(&sql(logged("select * from c where id = 'C1'"), Parameters::NotLogged, Some("a"))).is_empty());
        assert!(classify(&sql(logged("select * from c where id = $1"), Parameters::Values(vec!["C1".into()]), Some("a"))).is_empty());
    }

    #[test]
    fn lines_are_cut_but_counts_are_not() {
        let mut b = BlindSpot::new(BlindKind::StatementNotLogged);
        for i in 0..(LINE_LIMIT as u64 + 5) {
            b.add(Some(LineRef { file: "f".into(), line: i, time: String::new(), actor: "a".into(), record: None }));
        }
        b.add(None);
        assert_eq!((b.records, b.actor_events, b.actor_lines.len(), b.actor_lines_cut), (Some(LINE_LIMIT as u64 + 6), LINE_LIMIT as u64 + 5, LINE_LIMIT, true));
    }
}
