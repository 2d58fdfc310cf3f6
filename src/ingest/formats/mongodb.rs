//! MongoDB audit logs (Enterprise, Atlas, Percona Server for MongoDB; JSON "mongo" schema), one record per line
//! or pretty-printed: `{atype, ts: {$date}, users: [{user, db}], param: {command, ns, args}, result}`.
//!
//! Reads are `authCheck` records (logged for successes only with `auditAuthorizationSuccess=true`) of the
//! commands `find`, `aggregate`, `count`, `distinct` and `findAndModify`; `getMore` continues a cursor whose
//! `find`/`aggregate` is already counted. `result` ≠ 0 means the command was refused. Logins, schema changes and
//! user administration are ignored with their reason. The account is the first `users[].user`.
//!
//! Records reach responders wrapped as often as bare:
//! - behind a syslog header (`auditLog.destination: syslog`, rsyslog's file: `Jun  3 10:00:00 db1 mongod[4369]: {...}`);
//!   the JSON after the header is the record, and the record's own `ts` is its time. Syslog lines that hold no
//!   JSON (other programs, mongod's start-up messages) are ignored with their reason;
//! - inside a log shipper's JSON envelope: Filebeat/Elastic Agent's `{"@timestamp":...,"message":"{\"atype\":...}"}`,
//!   Docker's json-file `{"log":"{...}\n","stream":...}`, a Kubernetes CRI line (`2019-06-03T10:00:00Z stdout F {...}`)
//!   in such a string; the record as a string (escaped JSON) or an object under `message` or `log` is found by
//!   itself, under any other key with the log's `record_path` (a dotted path: `mongodb`, `event.original`);
//! - a whole line backslash-escaped (`{ \"atype\" : ... }`, as IBM Cloud's export writes it): read as the JSON
//!   string it is.
//! mongod's own diagnostic log lines (`{"t":...,"s":"I","c":"NETWORK","msg":...}`) are ignored with their reason.

use std::io::BufRead;

use serde_json::Value;

use crate::ingest::json_records;

use crate::ingest::json_records::Piece;
use crate::ingest::event::{Format, LogParser, Parsed, Payload, RawEvent, Rejection};
use crate::read::syslog;
use crate::read::timefmt;
use crate::read::timefmt::{Timestamp, Zone};

#[derive(Default)]
pub struct MongodbParser {
    /// The zone of `ts.$date` strings written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    pub time_zone: Option<crate::read::timefmt::Zone>,
    /// The dotted path of the key holding each record in a shipper's envelope (`record_path`); `None`: detected.
    pub record_path: Option<String>,
}

impl LogParser for MongodbParser {
    fn format(&self) -> Format {
        Format::MongodbAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let path = self.record_path.as_deref();
        json_records::read(input, &mut |piece| {
            let parsed = match &piece {
                Piece::Value { line, text } => match json_records::parse(*line, text) {
                    Ok(value) => enveloped(*line, &value, text, path, self.time_zone),
                    Err(r) => Parsed::Rejected(r),
                },
                // Text before the JSON: a syslog header, or a whole line backslash-escaped.
                Piece::Junk { line, column, text } if *column == 1 => behind_header(*line, text, path, self.time_zone)
                    .unwrap_or_else(|| Parsed::Rejected(json_records::rejection(&piece).expect("not a value"))),
                Piece::Broken { line, text, .. } => escaped_line(*line, text, path, self.time_zone)
                    .unwrap_or_else(|| Parsed::Rejected(json_records::rejection(&piece).expect("not a value"))),
                _ => Parsed::Rejected(json_records::rejection(&piece).expect("not a value")),
            };
            sink(parsed);
        })
    }
}

/// A line that starts with a syslog header: the JSON after it is the record (or its envelope); a message that
/// is no JSON object is another program's line (or mongod's start-up text). `None`: no syslog header.
fn behind_header(line: u64, text: &[u8], path: Option<&str>, zone: Option<Zone>) -> Option<Parsed> {
    let text = std::str::from_utf8(text).ok()?;
    let header = syslog::split(text.trim_end_matches(['\r', '\n']))?;
    let message = header.message.trim();
    if !message.starts_with('{') {
        return Some(Parsed::ignored(line, "syslog line that holds no JSON record (another program, or a start-up message)"));
    }
    Some(match serde_json::from_str::<Value>(message) {
        Ok(value) => enveloped(line, &value, text.as_bytes(), path, zone),
        Err(e) => Parsed::Rejected(Rejection::new(
            line,
            (header.offset + e.column()) as u64,
            format!("invalid JSON after the syslog header of `{}`: {e} (a record cut by the syslog daemon's message size limit?)", header.ident),
            text.as_bytes(),
        )),
    })
}

/// A whole line backslash-escaped (`{ \"atype\" : ... }`): the body of a JSON string, read as one.
fn escaped_line(line: u64, text: &[u8], path: Option<&str>, zone: Option<Zone>) -> Option<Parsed> {
    let text = std::str::from_utf8(text).ok()?.trim();
    if !text.starts_with('{') || !text.contains("\\\"") {
        return None;
    }
    let unescaped: String = serde_json::from_str(&format!("\"{text}\"")).ok()?;
    let value: Value = serde_json::from_str(&unescaped).ok()?;
    Some(enveloped(line, &value, text.as_bytes(), path, zone))
}

/// Keys whose string (or object) value holds the record in the common shippers' envelopes.
const ENVELOPE_KEYS: [&str; 2] = ["message", "log"];

/// The record inside an envelope (the `record_path` key, else `message`/`log`), or the value itself.
fn enveloped(line: u64, v: &Value, raw: &[u8], path: Option<&str>, zone: Option<Zone>) -> Parsed {
    if let Some(path) = path {
        return match super::jsonl::lookup(v, path) {
            Some(inner) => match unwrap(inner) {
                Some(record) => self::record(line, &record, raw, zone),
                None => Parsed::Rejected(Rejection::new(line, 1, format!("`{path}` (record_path) holds no JSON record"), raw)),
            },
            None if v.get("atype").is_some() => self::record(line, v, raw, zone),
            None => Parsed::Rejected(Rejection::new(line, 1, format!("no `{path}` key (record_path) in this record"), raw)),
        };
    }
    if v.get("atype").is_some() {
        return self::record(line, v, raw, zone);
    }
    for key in ENVELOPE_KEYS {
        if let Some(record) = v.get(key).and_then(unwrap).filter(|r| r.get("atype").is_some()) {
            return self::record(line, &record, raw, zone);
        }
    }
    if v.get("t").is_some() && v.get("msg").is_some() && v.get("c").is_some() {
        return Parsed::ignored(line, "mongod diagnostic log message (not an audit record)");
    }
    self::record(line, v, raw, zone)
}

/// A value holding a record: an object, or a string of JSON (after a syslog header or a Kubernetes CRI prefix,
/// escaped once more at most).
fn unwrap(v: &Value) -> Option<std::borrow::Cow<'_, Value>> {
    match v {
        Value::Object(_) => Some(std::borrow::Cow::Borrowed(v)),
        Value::String(s) => {
            let mut text = s.trim();
            if let Some(header) = syslog::split(text) {
                text = header.message.trim();
            } else if let Some(rest) = cri_message(text) {
                text = rest.trim();
            }
            match serde_json::from_str::<Value>(text).ok()? {
                Value::String(again) => serde_json::from_str::<Value>(&again).ok().filter(Value::is_object).map(std::borrow::Cow::Owned),
                object @ Value::Object(_) => Some(std::borrow::Cow::Owned(object)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The message of a Kubernetes CRI log line: `2019-06-03T10:00:00.123Z stdout F message`.
fn cri_message(text: &str) -> Option<&str> {
    let mut parts = text.splitn(4, ' ');
    let (time, stream, tag, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (time.contains('T') && time.as_bytes().first().is_some_and(u8::is_ascii_digit) && matches!(stream, "stdout" | "stderr") && matches!(tag, "F" | "P"))
        .then_some(rest)
}

/// The reason for a record that is no audit record, naming the key that holds one where a key does.
fn no_atype_reason(v: &Value) -> String {
    let holder = v.as_object().and_then(|o| o.iter().find(|(_, inner)| unwrap(inner).is_some_and(|r| r.get("atype").is_some())).map(|(k, _)| k.clone()));
    match holder {
        Some(key) => format!("not a MongoDB audit record at the top level: the record is under `{key}`: set record_path = \"{key}\" for this log"),
        None => "not a MongoDB audit record: no `atype` at the top level, nor in a `message` or `log` key (name the key holding the record with record_path = \"...\")".to_string(),
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
        return Parsed::Rejected(Rejection::new(line, 1, no_atype_reason(v), raw));
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
        // A test harness's wrapper: the reason names the key holding the record.
        assert!(matches!(&out[3], Parsed::Rejected(r) if r.line == 10 && r.reason.contains("record_path = \"mongoaudit\"")), "{out:?}");
    }

    fn run_with(text: &str, record_path: Option<&str>) -> Vec<Parsed> {
        let mut out = Vec::new();
        let parser = MongodbParser { time_zone: None, record_path: record_path.map(str::to_string) };
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    fn accounts(out: &[Parsed]) -> Vec<(u64, String)> {
        out.iter().filter_map(|p| if let Parsed::Event(e) = p { Some((e.line, e.actor.clone().unwrap_or_default())) } else { None }).collect()
    }

    const RECORD: &str = r#"{"atype":"authCheck","ts":{"$date":"2019-06-03T10:00:00.000+00:00"},"users":[{"user":"k.walsh","db":"admin"}],"param":{"command":"find","ns":"crm.customers","args":{"find":"customers","filter":{"_id":"C1"}}},"result":0}"#;

    #[test]
    fn records_behind_a_syslog_header_and_inside_envelopes() {
        let escaped = serde_json::to_string(RECORD).unwrap();
        let log = format!(
            "Jun  3 10:00:00 db1 mongod[4369]: {RECORD}\n\
Jun  3 10:00:01 db1 systemd[1]: Started MongoDB Database Server.\n\
Jun  3 10:00:02 db1 mongod[4369]: {{\"t\":{{\"$date\":\"2019-06-03T10:00:02Z\"}},\"s\":\"I\",\"c\":\"NETWORK\",\"id\":22943,\"ctx\":\"listener\",\"msg\":\"Connection accepted\"}}\n\
{{\"@timestamp\":\"2019-06-03T10:00:03.000Z\",\"log\":{{\"offset\":0,\"file\":{{\"path\":\"/var/log/mongodb/audit.json\"}}}},\"message\":{escaped},\"input\":{{\"type\":\"filestream\"}}}}\n\
{{\"log\":{},\"stream\":\"stdout\",\"time\":\"2019-06-03T10:00:04Z\"}}\n\
{}\n\
Jun  3 10:00:05 db1 mongod[4369]: {{\"atype\":\"authCheck\",\"ts\":{{\"$date\":\n\
{{\"vector\":{{\"host\":\"db1\"}},\"mongodb\":{RECORD}}}\n",
            serde_json::to_string(&format!("{RECORD}\n")).unwrap(),
            &escaped[1..escaped.len() - 1],
        );
        let out = run_with(&log, None);
        assert_eq!(accounts(&out), [(1, "k.walsh".to_string()), (4, "k.walsh".into()), (5, "k.walsh".into()), (6, "k.walsh".into())], "{out:?}");
        assert!(matches!(out[1], Parsed::Ignored { line: 2, .. }) && matches!(out[2], Parsed::Ignored { line: 3, .. }), "{out:?}");
        assert!(matches!(&out[6], Parsed::Rejected(r) if r.line == 7 && r.reason.contains("after the syslog header of `mongod`")), "{out:?}");
        assert!(matches!(&out[7], Parsed::Rejected(r) if r.line == 8 && r.reason.contains("record_path = \"mongodb\"")), "{out:?}");
        // Declared, the key is read (a dotted path too), and a record without it is rejected, naming it.
        let out = run_with(&log.lines().last().unwrap().to_string(), Some("mongodb"));
        assert_eq!(accounts(&out), [(1, "k.walsh".to_string())]);
        let nested = format!("{{\"event\":{{\"original\":{escaped}}}}}\n{{\"other\":1}}\n");
        let out = run_with(&nested, Some("event.original"));
        assert_eq!(accounts(&out), [(1, "k.walsh".to_string())]);
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.reason.contains("no `event.original` key (record_path)")), "{out:?}");
        // A CRI line inside a shipper's string.
        let cri = serde_json::to_string(&format!("2019-06-03T10:00:00.1Z stdout F {RECORD}")).unwrap();
        assert_eq!(accounts(&run_with(&format!("{{\"message\":{cri}}}\n"), None)), [(1, "k.walsh".to_string())]);
    }

    #[test]
    fn fixture_parses() {
        let out = run(include_str!("../../../testdata/logs/mongodb-audit/auditLog.json"));
        assert_eq!(out.len(), 12);
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), 8);
        assert!(!out.iter().any(|p| matches!(p, Parsed::Rejected(_))));
    }
}
