//! BigQuery Cloud Audit Logs, data access entries (`cloudaudit.googleapis.com/data_access`) with
//! `BigQueryAuditMetadata`, as `gcloud logging read --format=json` writes them (one JSON array, pretty-printed, newest
//! first) or as a log sink exports them to a bucket (JSON Lines). Entry layout as in Google's BigQuery audit logs
//! reference (`LogEntry` with `protoPayload` `AuditLog`).
//!
//! - `metadata.tableDataRead` (one entry per table a job read; `protoPayload.resourceName`
//!   `projects/P/datasets/D/tables/T`): `fields` are the columns read, and decide the exposed fields. The entries of
//!   one job (`tableDataRead.jobName`) count once, as one event.
//! - The job's query text comes from its `jobInsertion` or `jobChange` entry (`job.jobConfig.queryConfig.query`),
//!   anywhere in the file (exports are often newest first), joined by `jobName`: key predicates name records,
//!   key-less filters are replayed. A read whose job text is not in the file is unresolved, its fields known.
//! - A job whose `jobStatus.errorResult` is set, or an entry with a non-zero `protoPayload.status.code`: failed.
//! - The account is `protoPayload.authenticationInfo.principalEmail`; the time the entry's `timestamp`.

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::Value;

use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::ingest::json_records;
use crate::ingest::json_records::Piece;
use crate::read::timefmt;

pub struct BigqueryParser;

pub fn looks_like(text: &str) -> bool {
    text.contains("BigQueryAuditMetadata") || (text.contains("bigquery.googleapis.com") && text.contains("\"protoPayload\""))
}

/// What a job's `jobInsertion`/`jobChange` entries say.
#[derive(Default)]
struct Job {
    query: Option<String>,
    error: Option<String>,
}

/// `projects/P/datasets/D/tables/T` → `P.D.T`.
fn table_name(resource: &str) -> Option<String> {
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        ["projects", p, "datasets", d, "tables", t, ..] => Some(format!("{p}.{d}.{}", t.split('$').next().unwrap_or(t))),
        _ => None,
    }
}

enum Entry {
    Read { line: u64, job: Option<String>, table: String, fields: Vec<String>, actor: Option<String>, time: String, status: Option<String>, raw: Vec<u8> },
    Other(Parsed),
}

impl LogParser for BigqueryParser {
    fn format(&self) -> Format {
        Format::BigqueryAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        // The whole file first: a job's text may come after its reads.
        let mut entries = Vec::new();
        let mut jobs: HashMap<String, Job> = HashMap::new();
        json_records::read(input, &mut |piece| match piece {
            Piece::Value { line, text } => entries.push(match serde_json::from_slice::<Value>(text) {
                Ok(v) => entry(line, &v, text, &mut jobs),
                Err(e) => Entry::Other(Parsed::Rejected(Rejection::new(line, e.column() as u64, format!("invalid JSON: {e}"), text))),
            }),
            Piece::Junk { line, column, text } => entries.push(Entry::Other(Parsed::Rejected(Rejection::new(
                line,
                column,
                "text outside a JSON log entry (export with `gcloud logging read --format=json`)",
                text,
            )))),
            Piece::Broken { line, text, reason } => entries.push(Entry::Other(Parsed::Rejected(Rejection::new(line, 0, reason, text)))),
        })?;
        // The reads of one job are one event, at its first entry in the file.
        let mut merged: HashMap<String, usize> = HashMap::new();
        let mut events: Vec<Option<(u64, Option<String>, Vec<(String, Vec<String>)>, Option<String>, String, Option<String>, Vec<u8>)>> = Vec::new();
        let mut order: Vec<Result<usize, Parsed>> = Vec::new();
        for e in entries {
            match e {
                Entry::Other(p) => order.push(Err(p)),
                Entry::Read { line, job, table, fields, actor, time, status, raw } => {
                    if let Some(i) = job.as_ref().and_then(|j| merged.get(j)) {
                        if let Some(event) = events[*i].as_mut() {
                            match event.2.iter_mut().find(|(t, _)| *t == table) {
                                Some((_, f)) => f.extend(fields),
                                None => event.2.push((table, fields)),
                            }
                        }
                        order.push(Err(Parsed::ignored(line, "table read of a job already counted (one event per job)")));
                        continue;
                    }
                    if let Some(j) = &job {
                        merged.insert(j.clone(), events.len());
                    }
                    order.push(Ok(events.len()));
                    events.push(Some((line, job, vec![(table, fields)], actor, time, status, raw)));
                }
            }
        }
        for item in order {
            match item {
                Err(p) => sink(p),
                Ok(i) => {
                    let (line, job, objects, actor, time, status, raw) = events[i].take().expect("emitted once");
                    let time = match timefmt::parse_zoned(&time) {
                        Ok(t) => t,
                        Err(e) => {
                            sink(Parsed::Rejected(Rejection::new(line, 0, format!("timestamp: {e}"), &raw).of_account(actor.as_deref())));
                            continue;
                        }
                    };
                    let known = job.as_ref().and_then(|j| jobs.get(j));
                    let failure = status.or_else(|| known.and_then(|k| k.error.clone()));
                    let payload = Payload::ColumnRead {
                        query_id: job.clone().unwrap_or_default(),
                        query: known.and_then(|k| k.query.clone()),
                        objects,
                        rows: None,
                    };
                    sink(Parsed::Event(RawEvent { line, time, actor, failure, payload }));
                }
            }
        }
        Ok(())
    }
}

fn entry(line: u64, v: &Value, raw: &[u8], jobs: &mut HashMap<String, Job>) -> Entry {
    let proto = &v["protoPayload"];
    if proto.is_null() {
        return Entry::Other(Parsed::Rejected(Rejection::new(line, 1, "no protoPayload: not a Cloud Audit Logs entry", raw)));
    }
    let metadata = &proto["metadata"];
    for key in ["jobInsertion", "jobChange"] {
        let job = &metadata[key]["job"];
        if let Some(name) = job["jobName"].as_str() {
            let known = jobs.entry(name.to_string()).or_default();
            if let Some(q) = job["jobConfig"]["queryConfig"]["query"].as_str() {
                known.query = Some(q.to_string());
            }
            if let Some(err) = job["jobStatus"]["errorResult"].as_object() {
                let reason = err.get("code").map(|c| c.to_string()).unwrap_or_default();
                let message = err.get("message").and_then(Value::as_str).unwrap_or("");
                known.error = Some(format!("job error {reason} {message}").trim().to_string());
            }
            return Entry::Other(Parsed::ignored(line, "job record (its query text and status are joined to its table reads)"));
        }
    }
    let read = &metadata["tableDataRead"];
    if read.is_null() {
        return Entry::Other(Parsed::ignored(line, "not a table data read (metadata, writes, other services)"));
    }
    let Some(table) = proto["resourceName"].as_str().and_then(table_name) else {
        return Entry::Other(Parsed::Rejected(Rejection::new(line, 0, "tableDataRead without a `projects/P/datasets/D/tables/T` resourceName", raw)));
    };
    let fields = read["fields"].as_array().map(|f| f.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default();
    let actor = proto["authenticationInfo"]["principalEmail"].as_str().map(str::to_string);
    let Some(time) = v["timestamp"].as_str().map(str::to_string) else {
        return Entry::Other(Parsed::Rejected(Rejection::new(line, 0, "no timestamp", raw).of_account(actor.as_deref())));
    };
    let status = proto["status"]["code"].as_i64().filter(|c| *c != 0).map(|c| format!("status code {c} {}", proto["status"]["message"].as_str().unwrap_or("")).trim().to_string());
    let job = read["jobName"].as_str().map(str::to_string);
    Entry::Read { line, job, table, fields, actor, time, status, raw: raw.to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_of_a_job_are_one_event_with_its_later_query_text() {
        let log = r#"[
{"protoPayload":{"authenticationInfo":{"principalEmail":"k.walsh@acme.example"},"metadata":{"@type":"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata","tableDataRead":{"fields":["email"],"reason":"JOB","jobName":"projects/p/jobs/j1"}},"resourceName":"projects/p/datasets/crm/tables/customers"},"timestamp":"2019-06-06T10:00:01.5Z"},
{"protoPayload":{"authenticationInfo":{"principalEmail":"k.walsh@acme.example"},"metadata":{"@type":"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata","tableDataRead":{"fields":["subject"],"reason":"JOB","jobName":"projects/p/jobs/j1"}},"resourceName":"projects/p/datasets/crm/tables/tickets"},"timestamp":"2019-06-06T10:00:01.5Z"},
{"protoPayload":{"authenticationInfo":{"principalEmail":"k.walsh@acme.example"},"metadata":{"jobChange":{"after":"DONE","job":{"jobName":"projects/p/jobs/j1","jobConfig":{"type":"QUERY","queryConfig":{"query":"SELECT 1"}},"jobStatus":{"jobState":"DONE","errorResult":{"code":3,"message":"bad"}}}}}},"timestamp":"2019-06-06T10:00:02Z"}
]"#;
        let mut out = Vec::new();
        BigqueryParser.parse(&mut log.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.actor.as_deref()), (2, Some("k.walsh@acme.example")));
        assert!(matches!(&e.payload, Payload::ColumnRead { query: Some(q), objects, .. } if q == "SELECT 1" && objects.len() == 2 && objects[0].0 == "p.crm.customers"));
        assert!(e.failure.as_deref().is_some_and(|f| f.contains("bad")));
        assert!(matches!(&out[1], Parsed::Ignored { line: 3, .. }));
        assert!(matches!(&out[2], Parsed::Ignored { line: 4, .. }));
        assert!(looks_like(log));
    }
}
