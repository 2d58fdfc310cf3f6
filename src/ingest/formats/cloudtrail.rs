//! AWS CloudTrail: log files (`{"Records": [...]}`, usually gzip), JSON Lines of events (CloudTrail Lake), and
//! EventBridge envelopes (`{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}`).
//!
//! DynamoDB data events: `GetItem`, `BatchGetItem`, `TransactGetItems`, `Query` (the `key` map, or
//! `keyConditionExpression` with `expressionAttributeNames`/`expressionAttributeValues` where logged) and `Scan`
//! become item reads; `ExecuteStatement`/`BatchExecuteStatement` SELECTs (PartiQL) become SQL. S3 `GetObject`
//! becomes an object read (the case's `[[exports]]` say what the object held). Writes and management events are
//! ignored with the reason. `errorCode` marks a failed call. The account is `userIdentity.userName`, else the
//! session name of an assumed role (`arn:aws:sts::1:assumed-role/Role/k.walsh` → `k.walsh`).

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::ingest::json_records;

use crate::ingest::json_records::Piece;
use crate::ingest::event::{Format, ItemReadKind, ItemRequest, LogParser, Parameters, Parsed, Payload, RawEvent, Rejection, StatementText};
use crate::read::timefmt;

#[derive(Default)]
pub struct CloudtrailParser {
    /// The zone of `eventTime`s written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    pub time_zone: Option<crate::read::timefmt::Zone>,
}

#[derive(serde::Deserialize)]
struct LogFile<'a> {
    #[serde(borrow, rename = "Records")]
    records: Vec<&'a RawValue>,
}

impl LogParser for CloudtrailParser {
    fn format(&self) -> Format {
        Format::Cloudtrail
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        json_records::read(input, &mut |piece| match piece {
            Piece::Value { line, text } => {
                let Ok(s) = std::str::from_utf8(text) else {
                    return sink(Parsed::Rejected(Rejection::new(line, 0, "invalid UTF-8", text)));
                };
                if let Ok(file) = serde_json::from_str::<LogFile<'_>>(s) {
                    // Line numbers counted forward from one record to the next (records are in file order).
                    let (mut counted_to, mut l) = (0usize, line);
                    for raw in file.records {
                        let offset = raw.get().as_ptr() as usize - s.as_ptr() as usize;
                        l += memchr::memchr_iter(b'\n', &text[counted_to..offset]).count() as u64;
                        counted_to = offset;
                        match serde_json::from_str::<Value>(raw.get()) {
                            Ok(v) => sink(event(l, &v, raw.get().as_bytes(), self.time_zone)),
                            Err(e) => sink(Parsed::Rejected(Rejection::new(l, 0, format!("invalid JSON: {e}"), raw.get().as_bytes()))),
                        }
                    }
                    return;
                }
                match json_records::parse(line, text) {
                    Ok(v) => {
                        let inner = if v.get("detail-type").is_some() { v.get("detail").unwrap_or(&v) } else { &v };
                        sink(event(line, inner, text, self.time_zone))
                    }
                    Err(r) => sink(Parsed::Rejected(r)),
                }
            }
            other => sink(Parsed::Rejected(json_records::rejection(&other).expect("not a value"))),
        })
    }
}

/// The account: `userName`, else an assumed role's session name, else the ARN's last part.
pub fn actor_of(identity: &Value) -> Option<String> {
    if let Some(name) = identity.get("userName").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        return Some(name.to_string());
    }
    let arn = identity.get("arn").and_then(Value::as_str).unwrap_or_default();
    if let Some(rest) = arn.split(":assumed-role/").nth(1) {
        return rest.split_once('/').map(|(_, session)| session.to_string()).filter(|s| !s.is_empty());
    }
    if let Some(rest) = arn.split(":federated-user/").nth(1) {
        return Some(rest.to_string());
    }
    if arn.ends_with(":root") {
        return Some("root".into());
    }
    identity.get("invokedBy").and_then(Value::as_str).map(str::to_string)
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Object(o) if o.len() == 1 => {
            // DynamoDB typed value: {"S": "x"}, {"N": "1"}.
            let (k, inner) = o.iter().next().expect("one entry");
            matches!(k.as_str(), "S" | "N" | "B").then(|| text(Some(inner))).flatten()
        }
        other @ (Value::Number(_) | Value::Bool(_)) => Some(other.to_string()),
        _ => None,
    }
}

fn key_map(v: Option<&Value>) -> Option<BTreeMap<String, String>> {
    let o = v?.as_object()?;
    let map: BTreeMap<String, String> = o.iter().filter_map(|(k, v)| text(Some(v)).map(|t| (k.clone(), t))).collect();
    (!map.is_empty()).then_some(map)
}

/// `#n0, email` with `{"#n0": "full_name"}` → `["full_name", "email"]`.
fn projection(params: &Value) -> Option<Vec<String>> {
    let expr = params.get("projectionExpression").and_then(Value::as_str)?;
    let names = params.get("expressionAttributeNames");
    Some(
        expr.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|p| {
                let top = p.split(['.', '[']).next().unwrap_or(p);
                names.and_then(|n| n.get(top)).and_then(Value::as_str).unwrap_or(top).to_string()
            })
            .collect(),
    )
}

/// The equality tests of a key condition: `#n0 = :v0 AND begins_with(#n1, :v1)` → `{name0: value0}`.
fn key_condition(params: &Value) -> (Option<BTreeMap<String, String>>, Option<String>) {
    let Some(expr) = params.get("keyConditionExpression").and_then(Value::as_str) else { return (None, None) };
    let names = params.get("expressionAttributeNames");
    let values = params.get("expressionAttributeValues");
    let mut map = BTreeMap::new();
    for part in expr.split(" AND ").flat_map(|s| s.split(" and ")) {
        let Some((l, r)) = part.split_once('=') else { continue };
        let (l, r) = (l.trim().trim_start_matches('('), r.trim().trim_end_matches(')'));
        if l.ends_with(['<', '>', '!']) {
            continue;
        }
        let name = names.and_then(|n| n.get(l)).and_then(Value::as_str).unwrap_or(l).to_string();
        match values.and_then(|v| text(v.get(r))) {
            Some(value) => {
                map.insert(name, value);
            }
            None => return (None, Some(format!("the key condition `{expr}` is logged without its values"))),
        }
    }
    if map.is_empty() {
        (None, Some(format!("no key equality in `{expr}`")))
    } else {
        (Some(map), None)
    }
}

fn request(table: &str, params: &Value, kind: ItemReadKind, keys: Vec<BTreeMap<String, String>>, unreadable: Option<String>) -> ItemRequest {
    ItemRequest {
        table: table.to_string(),
        kind,
        keys,
        projection: projection(params),
        limited: params.get("limit").is_some_and(|l| !l.is_null()),
        filtered: params.get("filterExpression").is_some_and(|f| !f.is_null()) || params.get("scanFilter").is_some_and(|f| !f.is_null()),
        count_only: params.get("select").and_then(Value::as_str) == Some("COUNT"),
        unreadable,
    }
}

fn dynamodb(name: &str, params: &Value) -> Result<Payload, &'static str> {
    let table = params.get("tableName").and_then(Value::as_str).unwrap_or_default();
    let requests = match name {
        "GetItem" => vec![request(table, params, ItemReadKind::Get, key_map(params.get("key")).into_iter().collect(), None)],
        "Query" => {
            let (from_condition, why) = key_condition(params);
            let keys: Vec<_> = key_map(params.get("key")).or(from_condition).into_iter().collect();
            let why = if keys.is_empty() { why.or_else(|| Some("no key values logged".into())) } else { None };
            vec![request(table, params, ItemReadKind::Query, keys, why)]
        }
        "Scan" => vec![request(table, params, ItemReadKind::Scan, Vec::new(), None)],
        "BatchGetItem" => {
            let mut out = Vec::new();
            match params.get("requestItems") {
                Some(Value::Object(items)) => {
                    for (t, spec) in items {
                        let keys: Vec<_> = spec.get("keys").and_then(Value::as_array).into_iter().flatten().filter_map(|k| key_map(Some(k))).collect();
                        out.push(request(t, spec, ItemReadKind::Get, keys, None));
                    }
                }
                Some(Value::Array(items)) => {
                    for spec in items {
                        let t = spec.get("tableName").and_then(Value::as_str).unwrap_or_default();
                        let keys: Vec<_> = spec.get("keys").and_then(Value::as_array).into_iter().flatten().filter_map(|k| key_map(Some(k))).collect();
                        out.push(request(t, spec, ItemReadKind::Get, keys, None));
                    }
                }
                _ => {}
            }
            out
        }
        "TransactGetItems" => params
            .get("transactItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("get"))
            .map(|g| {
                let t = g.get("tableName").and_then(Value::as_str).unwrap_or_default();
                request(t, g, ItemReadKind::Get, key_map(g.get("key")).into_iter().collect(), None)
            })
            .collect(),
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => return Err("write request (no item returned)"),
        "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => {
            let mut statements: Vec<String> = Vec::new();
            if let Some(s) = params.get("statement").and_then(Value::as_str) {
                statements.push(s.to_string());
            }
            for list in ["requestItems", "transactStatements"] {
                for item in params.get(list).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(s) = item.get("statement").and_then(Value::as_str) {
                        statements.push(s.to_string());
                    }
                }
            }
            statements.retain(|s| s.trim_start().get(..6).is_some_and(|w| w.eq_ignore_ascii_case("select")));
            if statements.is_empty() {
                return Err("write statement (PartiQL)");
            }
            return Ok(Payload::Sql {
                // PartiQL logs non-key values as `***(Redacted)`: kept as a string literal so the statement parses.
                statement: StatementText::Logged(statements.join(";\n").replace("***(Redacted)", "'***(Redacted)'")),
                parameters: Parameters::None,
                class: Some("READ".into()),
                object: Some(table.to_string()).filter(|t| !t.is_empty()),
                rows: None,
            });
        }
        "GetRecords" => {
            let arn = params.get("shardIterator").and_then(Value::as_str).unwrap_or_default();
            let table = arn.split(":table/").nth(1).and_then(|t| t.split('/').next()).unwrap_or_default();
            return Ok(Payload::TableRead { action: "DynamoDB Streams GetRecords".into(), tables: vec![table.to_string()], rows: None });
        }
        _ => return Err("DynamoDB request that returns no items"),
    };
    if requests.is_empty() {
        return Err("DynamoDB read naming no table");
    }
    Ok(Payload::Item { operation: name.to_string(), requests })
}

fn event(line: u64, v: &Value, raw: &[u8], zone: Option<crate::read::timefmt::Zone>) -> Parsed {
    let Some(name) = v.get("eventName").and_then(Value::as_str) else {
        return Parsed::Rejected(Rejection::new(line, 1, "not a CloudTrail event (no `eventName`)", raw));
    };
    let source = v.get("eventSource").and_then(Value::as_str).unwrap_or_default();
    let management = v.get("managementEvent").and_then(Value::as_bool) == Some(true) || v.get("eventCategory").and_then(Value::as_str) == Some("Management");
    let params = v.get("requestParameters").cloned().unwrap_or(Value::Null);
    let payload = match source {
        "dynamodb.amazonaws.com" if !management => dynamodb(name, &params),
        "s3.amazonaws.com" if !management => match name {
            "GetObject" => {
                let bucket = params.get("bucketName").and_then(Value::as_str).map(str::to_string);
                match params.get("key").and_then(Value::as_str) {
                    Some(key) => Ok(Payload::Object { store: "s3".into(), container: bucket, name: key.to_string(), rows: None }),
                    None => Err("S3 GetObject without an object key"),
                }
            }
            _ => Err("S3 request that returns no object content"),
        },
        _ if management => Err("management event (no record data)"),
        _ => Err("not a DynamoDB or S3 data event"),
    };
    let payload = match payload {
        Ok(p) => p,
        Err(reason) => return Parsed::ignored(line, reason),
    };
    let time = match v.get("eventTime").and_then(Value::as_str).map(|t| timefmt::parse_zoned_in(t, zone)) {
        Some(Ok(t)) => t,
        Some(Err(reason)) => return Parsed::Rejected(Rejection::new(line, 1, format!("eventTime: {reason}"), raw)),
        None => return Parsed::Rejected(Rejection::new(line, 1, "no `eventTime`", raw)),
    };
    let actor = v.get("userIdentity").and_then(actor_of);
    let failure = v.get("errorCode").and_then(Value::as_str).filter(|c| !c.is_empty()).map(|code| {
        match v.get("errorMessage").and_then(Value::as_str) {
            Some(m) => format!("{code}: {m}"),
            None => code.to_string(),
        }
    });
    Parsed::Event(RawEvent { line, time, actor, failure, payload })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Parsed> {
        let mut out = Vec::new();
        CloudtrailParser::default().parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    #[test]
    fn records_file_with_get_scan_put_and_denied() {
        let file = r##"{"Records":[
{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/support/k.walsh"},"eventTime":"2019-06-03T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"GetItem","requestParameters":{"tableName":"customers","key":{"customer_id":"C1"},"projectionExpression":"#n0, email","expressionAttributeNames":{"#n0":"full_name"}},"responseElements":null,"readOnly":true,"managementEvent":false,"eventCategory":"Data"},
{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","userName":"k.walsh"},"eventTime":"2019-06-03T10:00:01Z","eventSource":"dynamodb.amazonaws.com","eventName":"Scan","requestParameters":{"tableName":"customers"},"managementEvent":false,"eventCategory":"Data","errorCode":"AccessDeniedException","errorMessage":"denied"},
{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","userName":"k.walsh"},"eventTime":"2019-06-03T10:00:02Z","eventSource":"dynamodb.amazonaws.com","eventName":"PutItem","requestParameters":{"tableName":"customers","key":{"customer_id":"C1"}},"managementEvent":false,"eventCategory":"Data"}
]}"##;
        let out = run(file);
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.actor.as_deref()), (2, Some("k.walsh")));
        let Payload::Item { requests, .. } = &e.payload else { panic!() };
        assert_eq!(requests[0].keys[0]["customer_id"], "C1");
        assert_eq!(requests[0].projection.as_deref(), Some(&["full_name".to_string(), "email".to_string()][..]));
        let Parsed::Event(e) = &out[1] else { panic!() };
        assert_eq!(e.failure.as_deref(), Some("AccessDeniedException: denied"));
        assert!(matches!(out[2], Parsed::Ignored { line: 4, reason: crate::ingest::event::IgnoreReason::NotAnAccess("write request (no item returned)") }));
    }

    #[test]
    fn eventbridge_query_with_condition_values() {
        let line = r##"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.dynamodb","detail":{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/r/k.walsh"},"eventTime":"2019-06-03T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"Query","requestParameters":{"tableName":"tickets","keyConditionExpression":"#n0 = :v0","expressionAttributeNames":{"#n0":"customer_id"},"expressionAttributeValues":{":v0":{"S":"C2"}}},"managementEvent":false,"eventCategory":"Data"}}"##;
        let out = run(line);
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        let Payload::Item { requests, .. } = &e.payload else { panic!() };
        assert_eq!(requests[0].keys[0]["customer_id"], "C2");
    }

    #[test]
    fn fixtures_parse() {
        use std::io::Read;
        let gz = include_bytes!("../../../testdata/logs/cloudtrail/123456789012_CloudTrail_us-east-1_20190603T1005Z_EXAMPLE.json.gz");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
        let out = run(&text);
        assert_eq!(out.len(), 8);
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), 6);
        let out = run(include_str!("../../../testdata/logs/cloudtrail/eventbridge-dynamodb.jsonl"));
        assert!(out.iter().all(|p| matches!(p, Parsed::Event(_))), "{out:?}");
    }
}
