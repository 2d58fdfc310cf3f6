//! MongoDB audit logs (Enterprise, Atlas, Percona Server for MongoDB; JSON "mongo" schema), one record per line
//! or pretty-printed: `{atype, ts: {$date}, users: [{user, db}], param: {command, ns, args}, result}`.
//!
//! Reads are `authCheck` records (logged for successes only with `auditAuthorizationSuccess=true`) of the
//! commands `find`, `aggregate`, `count`, `distinct` and `findAndModify`; `getMore` continues a cursor whose
//! `find`/`aggregate` is already counted. `result` ≠ 0 means the command was refused. Logins, schema changes and
//! user administration are ignored with their reason. The account is the first `users[].user`.

use std::io::BufRead;

use serde_json::Value;

use crate::ingest::json_records;

use crate::ingest::json_records::Record;
use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::read::timefmt;
use crate::read::timefmt::Timestamp;

#[derive(Default)]
pub struct MongodbParser {
    /// The zone of `ts.$date` strings written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    pub time_zone: Option<crate::read::timefmt::Zone>,
}

impl LogParser for MongodbParser {
    fn format(&self) -> Format {
        Format::MongodbAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        json_records::read_objects(input, &mut |record| match record {
            Record::Object { line, value, text } => sink(self::record(line, &value, text, self.time_zone)),
            Record::Rejected(r) => sink(Parsed::Rejected(r)),
        })
    }
}

/// `ts.$date`: an ISO string, or `{"$numberLong": "ms"}`, or milliseconds.
fn mongo_time(ts: Option<&Value>, zone: Option<crate::read::timefmt::Zone>) -> Result<Timestamp, String> {
    let date = ts.and_then(|t| t.get("$date")).ok_or("no `ts.$date`")?;
    match date {
        Value::String(s) => timefmt::parse_zoned_in(s, zone),
        Value::Number(n) => timefmt::parse_epoch(&n.to_string()).ok_or_else(|| format!("`{n}` is not a time")),
        Value::Object(o) => o
            .get("$numberLong")
            .and_then(Value::as_str)
            .and_then(|s| timefmt::parse_epoch(&format!("{s:0>13}")))
            .ok_or_else(|| "`ts.$date` is not a time".to_string()),
        _ => Err("`ts.$date` is not a time".into()),
    }
}

fn ignored_reason(atype: &str) -> &'static str {
    match atype {
        "authenticate" | "logout" | "clientMetadata" | "startSession" | "endSession" => "login, logout or session record",
        a if a.contains("User") || a.contains("Role") || a.contains("Privilege") => "user or role administration",
        a if a.starts_with("create") || a.starts_with("drop") || a.starts_with("rename") || a.contains("Index") || a == "shardCollection" => {
            "schema change (DDL)"
        }
        a if a.contains("User") || a.contains("Role") || a.contains("Privilege") => "user or role administration",
        _ => "not a data access record",
    }
}

fn record(line: u64, v: &Value, raw: &[u8], zone: Option<crate::read::timefmt::Zone>) -> Parsed {
    let Some(atype) = v.get("atype").and_then(Value::as_str) else {
        return Parsed::Rejected(Rejection::new(
            line,
            1,
            "not a MongoDB audit record: no `atype` at the top level (records wrapped in another object must be unwrapped first)",
            raw,
        ));
    };
    if atype != "authCheck" {
        return Parsed::ignored(line, ignored_reason(atype));
    }
    let param = v.get("param");
    let command = param.and_then(|p| p.get("command")).and_then(Value::as_str).unwrap_or_default();
    let args = param.and_then(|p| p.get("args")).cloned().unwrap_or(Value::Null);
    let ns = param.and_then(|p| p.get("ns")).and_then(Value::as_str).unwrap_or_default().to_string();
    let (filter, projection, pipeline, limited) = match command {
        "find" => (args.get("filter").cloned(), args.get("projection").cloned(), None, limit_of(&args)),
        "count" => (args.get("query").cloned(), None, None, false),
        "distinct" => {
            let key = args.get("key").and_then(Value::as_str).unwrap_or("_id");
            (args.get("query").cloned(), Some(serde_json::json!({ key: 1 })), None, false)
        }
        "findAndModify" | "findandmodify" => (args.get("query").cloned(), args.get("fields").cloned(), None, false),
        "aggregate" => (None, None, args.get("pipeline").cloned(), false),
        "getMore" => return Parsed::ignored(line, "getMore continues a cursor (its find or aggregate is counted)"),
        "insert" | "update" | "delete" => return Parsed::ignored(line, "write command (no document returned)"),
        _ => return Parsed::ignored(line, "not a data read command"),
    };
    if ns.is_empty() {
        return Parsed::Rejected(Rejection::new(line, 1, "authCheck record without `param.ns`", raw));
    }
    let time = match mongo_time(v.get("ts"), zone) {
        Ok(t) => t,
        Err(reason) => return Parsed::Rejected(Rejection::new(line, 1, format!("ts: {reason}"), raw)),
    };
    let actor = v
        .get("users")
        .and_then(Value::as_array)
        .and_then(|u| u.iter().find_map(|u| u.get("user").and_then(Value::as_str)))
        .map(str::to_string);
    let result = v.get("result").and_then(Value::as_i64).unwrap_or(0);
    let failure = (result != 0).then(|| format!("MongoDB error {result}{}", if result == 13 { " (Unauthorized)" } else { "" }));
    Parsed::Event(RawEvent {
        line,
        time,
        actor,
        failure,
        payload: Payload::Document {
            command: command.to_string(),
            collection: ns,
            filter: filter.unwrap_or_else(|| Value::Object(Default::default())),
            projection: projection.filter(|p| p.as_object().is_some_and(|o| !o.is_empty())),
            pipeline,
            limited,
        },
    })
}

/// A `limit` that cuts the result (0 means none in MongoDB).
fn limit_of(args: &Value) -> bool {
    args.get("limit").and_then(Value::as_i64).is_some_and(|n| n != 0) || args.get("singleBatch").and_then(Value::as_bool).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Parsed> {
        let mut out = Vec::new();
        MongodbParser::default().parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    #[test]
    fn find_with_filter_projection_and_refusal() {
        let log = r#"{ "atype" : "authCheck", "ts" : { "$date" : "2019-06-03T10:00:00.000-0500" }, "local" : { "ip" : "127.0.0.1", "port" : 27017 }, "remote" : { "ip" : "10.0.0.9", "port" : 51000 }, "users" : [ { "user" : "k.walsh", "db" : "admin" } ], "roles" : [], "param" : { "command" : "find", "ns" : "crm.customers", "args" : { "find" : "customers", "filter" : { "_id" : "C1" }, "projection" : { "email" : 1 }, "$db" : "crm" } }, "result" : 0 }
{ "atype" : "authCheck", "ts" : { "$date" : "2019-06-03T10:00:01.000-0500" }, "users" : [ { "user" : "k.walsh", "db" : "admin" } ], "roles" : [], "param" : { "command" : "find", "ns" : "crm.customers", "args" : { "find" : "customers", "filter" : {} } }, "result" : 13 }
{
  "atype": "authenticate",
  "ts": { "$date": "2019-06-03T10:00:02.000-0500" },
  "users": [ { "user": "k.walsh", "db": "admin" } ],
  "param": { "user": "k.walsh", "db": "admin", "mechanism": "SCRAM-SHA-256" },
  "result": 0
}
{"command": "db.bios.find()", "mongoaudit": {"atype": "authCheck"}}
"#;
        let out = run(log);
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!(e.actor.as_deref(), Some("k.walsh"));
        assert_eq!(e.time.to_rfc3339(), "2019-06-03T15:00:00+00:00");
        assert!(matches!(&e.payload, Payload::Document { filter, projection: Some(_), .. } if filter["_id"] == "C1"));
        let Parsed::Event(e) = &out[1] else { panic!() };
        assert_eq!(e.failure.as_deref(), Some("MongoDB error 13 (Unauthorized)"));
        assert!(matches!(out[2], Parsed::Ignored { line: 3, reason: crate::ingest::event::IgnoreReason::NotAnAccess("login, logout or session record") }));
        assert!(matches!(&out[3], Parsed::Rejected(r) if r.line == 10 && r.reason.contains("no `atype`")));
    }

    #[test]
    fn fixture_parses() {
        let out = run(include_str!("../../../testdata/logs/mongodb-audit/auditLog.json"));
        assert_eq!(out.len(), 12);
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), 8);
        assert!(!out.iter().any(|p| matches!(p, Parsed::Rejected(_))));
    }
}
