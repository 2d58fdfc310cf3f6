//! AWS CloudTrail: log files (`{"Records": [...]}`, usually gzip), JSON Lines of events (CloudTrail Lake), and
//! EventBridge envelopes (`{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}`).
//!
//! DynamoDB data events: `GetItem`, `BatchGetItem`, `TransactGetItems`, `Query` (the `key` map, or
//! `keyConditionExpression` with `expressionAttributeNames`/`expressionAttributeValues` where logged) and `Scan`
//! become item reads; `ExecuteStatement`/`BatchExecuteStatement` SELECTs (PartiQL) become SQL. `BatchGetItem`'s
//! `requestItems` is read in every shape exports hold: an array of `{"tableName", "key"}` (one entry per item) or
//! `{"tableName", "keys": [...]}` entries, or a map from table (name or ARN) to `{"keys": [...]}` (the SDK's request
//! shape), each entry with its own `projectionExpression` or `attributesToGet`.
//!
//! S3 `GetObject` (also through an access point or a presigned URL) and `CopyObject`/`UploadPartCopy` (whose source,
//! `x-amz-copy-source`, was read) become object reads: the case's `[[exports]]` say what the object held. The
//! object is the `resources` entry of type `AWS::S3::Object` (`arn:aws:s3:::bucket/key`, the real bucket even
//! through an access point), else `bucketName` and `key`; a copy source may be URL-encoded, start with `/`, carry
//! `?versionId=`, or name an access point ARN (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`, whose bucket
//! the log does not give).
//!
//! Writes and management events are ignored with the reason, and so are digest files (hashes of log files),
//! Insights events (activity statistics) and network activity events (`AwsVpceEvent`: the call as a VPC endpoint
//! saw it, a copy of its data event). `errorCode` marks a failed call. The account is `userIdentity.userName`,
//! else the session name of an assumed role (`arn:aws:sts::1:assumed-role/Role/k.walsh` → `k.walsh`).
//!
//! A `{"Records": [...]}` file is usually one line: each record's events carry its place (`Records[16]` and its
//! `eventID`, see [`RecordPlace`]), and a rejected record's reason starts with it (its column is where it starts).

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::value::RawValue;
use serde_json::Value;

use crate::ingest::json_records;

use crate::ingest::json_records::Piece;
use crate::ingest::event::{Format, ItemReadKind, ItemRequest, LogParser, Parameters, Parsed, Payload, RawEvent, RecordPlace, Rejection, StatementText};
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
                    // Line numbers counted forward from one record to the next (records are in file order), and the
                    // column where each record starts on its line.
                    let (mut counted_to, mut l, mut line_start) = (0usize, line, 0usize);
                    for (index, raw) in file.records.into_iter().enumerate() {
                        let offset = raw.get().as_ptr() as usize - s.as_ptr() as usize;
                        for newline in memchr::memchr_iter(b'\n', &text[counted_to..offset]) {
                            l += 1;
                            line_start = counted_to + newline + 1;
                        }
                        counted_to = offset;
                        let column = (offset - line_start) as u64 + 1;
                        let value = serde_json::from_str::<Value>(raw.get());
                        let id = value.as_ref().ok().and_then(|v| v.get("eventID")).and_then(Value::as_str).map(str::to_string);
                        let place = RecordPlace { index: index as u64, id };
                        match value {
                            Ok(v) => sink(located(event(l, &v, raw.get().as_bytes(), self.time_zone), place, column)),
                            Err(e) => sink(Parsed::Rejected(Rejection::new(l, column, format!("{place}: invalid JSON: {e}"), raw.get().as_bytes()))),
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

/// A record of a Records file with its place: an event carries it, a rejection's reason starts with it.
fn located(parsed: Parsed, place: RecordPlace, column: u64) -> Parsed {
    match parsed {
        Parsed::Event(e) => Parsed::EventAt(e, place),
        Parsed::Rejected(mut r) => {
            r.reason = format!("{place}: {}", r.reason);
            r.column = column;
            Parsed::Rejected(r)
        }
        other => other,
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

/// A request parameter as CloudTrail writes it (`keys`), or as the SDK request does (`Keys`).
fn param<'v>(params: &'v Value, name: &str) -> Option<&'v Value> {
    params.get(name).filter(|v| !v.is_null()).or_else(|| {
        let mut capital = name.to_string();
        capital[..1].make_ascii_uppercase();
        params.get(&capital).filter(|v| !v.is_null())
    })
}

/// A table named by its name or its ARN (`arn:aws:dynamodb:us-east-1:123456789012:table/customers`).
fn table_name(name: &str) -> &str {
    match name.split_once(":table/") {
        Some((arn, rest)) if arn.starts_with("arn:") => rest.split('/').next().unwrap_or(rest),
        _ => name,
    }
}

/// The attributes returned: `ProjectionExpression` (`#n0, email` with `{"#n0": "full_name"}` → `["full_name",
/// "email"]`), else the legacy `AttributesToGet` list; `None`: whole items.
fn projection(params: &Value) -> Option<Vec<String>> {
    let Some(expr) = param(params, "projectionExpression").and_then(Value::as_str) else {
        let listed = param(params, "attributesToGet")?.as_array()?;
        return Some(listed.iter().filter_map(Value::as_str).map(str::to_string).collect());
    };
    let names = param(params, "expressionAttributeNames");
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
        table: table_name(table).to_string(),
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
        "GetItem" => vec![request(table, params, ItemReadKind::Get, key_map(param(params, "key")).into_iter().collect(), None)],
        "Query" => {
            let (from_condition, why) = key_condition(params);
            let keys: Vec<_> = key_map(params.get("key")).or(from_condition).into_iter().collect();
            let why = if keys.is_empty() { why.or_else(|| Some("no key values logged".into())) } else { None };
            vec![request(table, params, ItemReadKind::Query, keys, why)]
        }
        "Scan" => vec![request(table, params, ItemReadKind::Scan, Vec::new(), None)],
        "BatchGetItem" => {
            let mut out: Vec<ItemRequest> = Vec::new();
            let entries: Vec<(&str, &Value)> = match param(params, "requestItems") {
                // The SDK's request shape: table (name or ARN) → {"keys": [...], "projectionExpression": ...}.
                Some(Value::Object(items)) => items.iter().map(|(t, spec)| (t.as_str(), spec)).collect(),
                // CloudTrail's flattened shapes: [{"tableName", "key"}] one per item, or [{"tableName", "keys": [...]}].
                Some(Value::Array(items)) => {
                    items.iter().map(|spec| (param(spec, "tableName").and_then(Value::as_str).unwrap_or_default(), spec)).collect()
                }
                _ => Vec::new(),
            };
            for (table, spec) in entries {
                let mut keys: Vec<_> = param(spec, "keys").and_then(Value::as_array).into_iter().flatten().filter_map(|k| key_map(Some(k))).collect();
                keys.extend(key_map(param(spec, "key")));
                let entry = request(table, spec, ItemReadKind::Get, keys, None);
                // Entries of one table with the same projection (one per item in the flattened shape) are one request.
                match out.iter_mut().find(|r| r.table == entry.table && r.projection == entry.projection) {
                    Some(same) => same.keys.extend(entry.keys),
                    None => out.push(entry),
                }
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

/// S3 object content read by `name`: (bucket where the log gives it, key); the reason when none is.
fn s3_object(name: &str, v: &Value, params: &Value) -> Result<Payload, &'static str> {
    let object = |bucket: Option<String>, key: String| Payload::Object { store: "s3".into(), container: bucket, name: key, rows: None };
    match name {
        "GetObject" => {
            // The object's ARN names the real bucket, also through an access point (whose name or alias
            // `bucketName` then holds).
            let from_resources = v.get("resources").and_then(Value::as_array).into_iter().flatten().find_map(|r| {
                (r.get("type").and_then(Value::as_str) == Some("AWS::S3::Object")).then(|| r.get("ARN").and_then(Value::as_str)).flatten()
            });
            if let Some((bucket, key)) = from_resources.and_then(|arn| arn.split_once(":::")).and_then(|(_, path)| path.split_once('/')) {
                if !key.is_empty() {
                    return Ok(object(Some(bucket.to_string()), key.to_string()));
                }
            }
            let bucket = param(params, "bucketName").and_then(Value::as_str).filter(|b| !is_access_point(b)).map(str::to_string);
            match param(params, "key").and_then(Value::as_str) {
                Some(key) => Ok(object(bucket, key.to_string())),
                None => Err("S3 GetObject without an object key"),
            }
        }
        "CopyObject" | "UploadPartCopy" => {
            let source = param(params, "x-amz-copy-source").or_else(|| param(params, "copySource")).and_then(Value::as_str);
            match source.and_then(copy_source) {
                Some((bucket, key)) => Ok(object(bucket, key)),
                None => Err("S3 copy without a readable source (x-amz-copy-source)"),
            }
        }
        _ => Err("S3 request that returns no object content"),
    }
}

/// An access point named where a bucket is expected: its ARN, or its alias (`...-s3alias`).
fn is_access_point(bucket: &str) -> bool {
    bucket.contains(":accesspoint/") || bucket.ends_with("-s3alias")
}

/// The object a copy reads (`x-amz-copy-source`): `bucket/key` or `/bucket/key`, URL-encoded, with an optional
/// `?versionId=`; or an access point's object, `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`, whose
/// bucket the log does not give (`None`).
pub fn copy_source(source: &str) -> Option<(Option<String>, String)> {
    let source = source.trim();
    let path = source.split_once('?').map_or(source, |(path, _)| path);
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    if decoded.starts_with("arn:") {
        let (_, key) = decoded.split_once(":accesspoint/")?.1.split_once("/object/")?;
        return (!key.is_empty()).then(|| (None, key.to_string()));
    }
    let (bucket, key) = decoded.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (Some(bucket.to_string()), key.to_string()))
}

const DIGEST: &str = "CloudTrail digest file (hashes of log files, no events)";
const INSIGHT: &str = "CloudTrail Insights event (activity statistics, not an access)";
const NETWORK: &str = "network activity event (the call as a VPC endpoint saw it: its data event counts)";

fn event(line: u64, v: &Value, raw: &[u8], zone: Option<crate::read::timefmt::Zone>) -> Parsed {
    if v.get("digestStartTime").is_some() || v.get("digestSignatureAlgorithm").is_some() {
        return Parsed::ignored(line, DIGEST);
    }
    let event_type = v.get("eventType").and_then(Value::as_str);
    let category = v.get("eventCategory").and_then(Value::as_str);
    if event_type == Some("AwsCloudTrailInsight") || category == Some("Insight") {
        return Parsed::ignored(line, INSIGHT);
    }
    let Some(name) = v.get("eventName").and_then(Value::as_str) else {
        if v.get("eventSource").is_none() && v.get("eventTime").is_none() {
            return Parsed::ignored(line, "not a CloudTrail event (no eventName, eventSource or eventTime)");
        }
        return Parsed::Rejected(Rejection::new(line, 1, "not a CloudTrail event (no `eventName`)", raw));
    };
    if event_type == Some("AwsVpceEvent") || category == Some("NetworkActivity") {
        return Parsed::ignored(line, NETWORK);
    }
    let source = v.get("eventSource").and_then(Value::as_str).unwrap_or_default();
    let management = v.get("managementEvent").and_then(Value::as_bool) == Some(true) || v.get("eventCategory").and_then(Value::as_str) == Some("Management");
    let params = v.get("requestParameters").cloned().unwrap_or(Value::Null);
    let payload = match source {
        "dynamodb.amazonaws.com" if !management => dynamodb(name, &params),
        "s3.amazonaws.com" if !management => s3_object(name, v, &params),
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
        let Parsed::EventAt(e, place) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.actor.as_deref(), place.index), (2, Some("k.walsh"), 0));
        let Payload::Item { requests, .. } = &e.payload else { panic!() };
        assert_eq!(requests[0].keys[0]["customer_id"], "C1");
        assert_eq!(requests[0].projection.as_deref(), Some(&["full_name".to_string(), "email".to_string()][..]));
        let Parsed::EventAt(e, _) = &out[1] else { panic!() };
        assert_eq!(e.failure.as_deref(), Some("AccessDeniedException: denied"));
        assert!(matches!(out[2], Parsed::Ignored { line: 4, reason: crate::ingest::event::IgnoreReason::NotAnAccess("write request (no item returned)") }));
    }

    fn items(p: &Parsed) -> &[ItemRequest] {
        match p {
            Parsed::Event(RawEvent { payload: Payload::Item { requests, .. }, .. })
            | Parsed::EventAt(RawEvent { payload: Payload::Item { requests, .. }, .. }, _) => requests,
            other => panic!("{other:?}"),
        }
    }

    fn batch(request_items: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","userName":"k.walsh"}},"eventTime":"2019-06-03T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"BatchGetItem","requestParameters":{{"requestItems":{request_items}}},"eventID":"b1","eventCategory":"Data","managementEvent":false}}"#
        )
    }

    #[test]
    fn batch_get_item_in_every_shape() {
        // An array of {tableName, key}, one entry per item: one request per table and projection.
        let out = run(&batch(r##"[{"tableName":"customers","key":{"customer_id":"C1"},"projectionExpression":"email"},{"tableName":"customers","key":{"customer_id":"C2"},"projectionExpression":"email"},{"tableName":"tickets","key":{"ticket_number":{"S":"T1"}}}]"##));
        let r = items(&out[0]);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!((r[0].table.as_str(), r[0].keys.len(), r[0].projection.as_deref()), ("customers", 2, Some(&["email".to_string()][..])));
        assert_eq!((r[1].table.as_str(), r[1].keys[0]["ticket_number"].as_str(), r[1].projection.is_none()), ("tickets", "T1", true));
        // An array of {tableName, keys}, with attributesToGet.
        let out = run(&batch(r##"[{"tableName":"customers","keys":[{"customer_id":"C3"},{"customer_id":"C4"}],"attributesToGet":["full_name","phone"]}]"##));
        let r = items(&out[0]);
        assert_eq!((r[0].keys.len(), r[0].projection.clone().unwrap()), (2, vec!["full_name".to_string(), "phone".to_string()]));
        // The SDK's map shape, a table ARN as the key, names through expressionAttributeNames; capitalised as the SDK writes it.
        let out = run(&batch(r##"{"arn:aws:dynamodb:us-east-1:123456789012:table/customers":{"keys":[{"customer_id":"C5"}],"projectionExpression":"#n, email","expressionAttributeNames":{"#n":"full_name"}},"tickets":{"Keys":[{"ticket_number":{"S":"T2"}}],"ProjectionExpression":"subject"}}"##));
        let r = items(&out[0]);
        assert_eq!((r[0].table.as_str(), r[0].keys[0]["customer_id"].as_str()), ("customers", "C5"));
        assert_eq!(r[0].projection.clone().unwrap(), ["full_name", "email"]);
        assert_eq!((r[1].table.as_str(), r[1].projection.clone().unwrap()), ("tickets", vec!["subject".to_string()]));
    }

    #[test]
    fn records_of_a_one_line_file_carry_their_index_and_event_id() {
        let good = batch(r#"{"customers":{"keys":[{"customer_id":"C1"}]}}"#);
        let bad_time = good.replace("2019-06-03T10:00:00Z", "yesterday").replace(r#""b1""#, r#""b2""#);
        let file = format!(r#"{{"Records":[{good},{bad_time},{{"eventVersion":"1.09","eventTime":"2019-06-03T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"b3","managementEvent":true}}]}}"#);
        let out = run(&file);
        match &out[0] {
            Parsed::EventAt(e, place) => assert_eq!((e.line, place.index, place.id.as_deref()), (1, 0, Some("b1"))),
            other => panic!("{other:?}"),
        }
        match &out[1] {
            Parsed::Rejected(r) => {
                assert_eq!((r.line, r.column), (1, good.len() as u64 + 14));
                assert!(r.reason.starts_with("Records[1] eventID b2: eventTime"), "{}", r.reason);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[2], Parsed::Ignored { line: 1, .. }));
    }

    #[test]
    fn digest_files_insights_and_network_activity_are_ignored_with_their_reason() {
        let digest = r#"{"awsAccountId":"123456789012","digestStartTime":"2019-06-03T09:00:00Z","digestEndTime":"2019-06-03T10:00:00Z","digestS3Bucket":"trail","digestS3Object":"x.json.gz","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2019-06-03T09:59:00Z","oldestEventTime":"2019-06-03T09:00:00Z","previousDigestS3Bucket":null,"logFiles":[]}"#;
        assert!(matches!(run(digest)[..], [Parsed::Ignored { reason: crate::ingest::event::IgnoreReason::NotAnAccess(DIGEST), .. }]));
        let insight = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2019-06-03T10:00:00Z","awsRegion":"us-east-1","eventID":"i1","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"GetObject","insightType":"ApiCallRateInsight"},"eventCategory":"Insight"}]}"#;
        assert!(matches!(run(insight)[..], [Parsed::Ignored { reason: crate::ingest::event::IgnoreReason::NotAnAccess(INSIGHT), .. }]));
        let network = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","userName":"k.walsh"},"eventTime":"2019-06-03T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"acme-crm-exports","key":"exports/2019-06/vip-customers.csv"},"eventType":"AwsVpceEvent","eventCategory":"NetworkActivity","vpcEndpointId":"vpce-1"}"#;
        assert!(matches!(run(network)[..], [Parsed::Ignored { reason: crate::ingest::event::IgnoreReason::NotAnAccess(NETWORK), .. }]));
    }

    #[test]
    fn copy_sources_in_every_form() {
        let key = "exports/2019-06/vip customers.csv";
        for (source, bucket) in [
            ("acme-crm-exports/exports/2019-06/vip%20customers.csv", Some("acme-crm-exports")),
            ("/acme-crm-exports/exports%2F2019-06%2Fvip%20customers.csv", Some("acme-crm-exports")),
            ("acme-crm-exports/exports/2019-06/vip%20customers.csv?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY", Some("acme-crm-exports")),
            ("arn%3Aaws%3As3%3Aus-east-1%3A123456789012%3Aaccesspoint%2Fcrm-ap%2Fobject%2Fexports%2F2019-06%2Fvip%20customers.csv", None),
            ("arn:aws:s3:us-east-1:123456789012:accesspoint/crm-ap/object/exports/2019-06/vip%20customers.csv", None),
        ] {
            assert_eq!(copy_source(source), Some((bucket.map(str::to_string), key.to_string())), "{source}");
        }
        assert_eq!(copy_source("no-key"), None);
        assert_eq!(copy_source("/bucket/"), None);
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
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::EventAt(e, _) if e.line == 1)).count(), 6);
        let out = run(include_str!("../../../testdata/logs/cloudtrail/eventbridge-dynamodb.jsonl"));
        assert!(out.iter().all(|p| matches!(p, Parsed::Event(_))), "{out:?}");
    }
}
