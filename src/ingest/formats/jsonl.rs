//! JSON Lines audit exports: one JSON object per line, mapped key by key (`[logs.map]`, dotted paths such
//! as `user.name` reach nested objects). Array values (a list of fields) are joined with `|`. A file that is
//! a JSON array of such objects (`[ {...}, {...} ]`, as SaaS exports write them) is read element by element
//! through the same mapping, never whole.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::Value;

use crate::read::json_array;
use crate::read::lines::{utf8, Lines};
use crate::ingest::mapping;
use crate::ingest::mapping::{FieldMap, MappedValues};
use crate::ingest::event::{Format, LogParser, Parsed, Rejection};

pub struct JsonlParser {
    declared: BTreeMap<String, String>,
    /// The zone of times written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    time_zone: Option<crate::read::timefmt::Zone>,
}

impl JsonlParser {
    pub fn new(declared: &BTreeMap<String, String>) -> Result<JsonlParser, String> {
        for role in declared.keys() {
            if !mapping::ROLES.contains(&role.as_str()) {
                return Err(format!("[logs.map] unknown role `{role}` (roles: {})", mapping::ROLES.join(", ")));
            }
        }
        Ok(JsonlParser { declared: declared.clone(), time_zone: None })
    }

    /// Reads times written without a zone in `zone` (`None`: they are rejected).
    pub fn in_zone(mut self, zone: Option<crate::read::timefmt::Zone>) -> Self {
        self.time_zone = zone;
        self
    }
}

/// Dotted paths of all scalar and array values of an object (`a.b.c`).
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            match v {
                Value::Object(_) => key_paths(v, &path, out),
                _ => out.push(path),
            }
        }
    }
}

/// A key by its whole name (`user.name`), else a dotted path through nested objects.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = value.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(value, |v, part| v.get(part))
}

fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().map(|i| as_text(Some(i)).unwrap_or_default()).collect::<Vec<_>>().join("|")),
        other => Some(other.to_string()),
    }
}

impl LogParser for JsonlParser {
    fn format(&self) -> Format {
        Format::Jsonl
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        if starts_an_array(input)? {
            return self.parse_array(input, sink);
        }
        let mut lines = Lines::new(input);
        let mut map: Option<FieldMap> = None;
        while let Some((line_no, bytes)) = lines.next_line()? {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                sink(Parsed::ignored(line_no, "blank line"));
                continue;
            }
            let text = match utf8(bytes) {
                Ok(t) => t,
                Err(col) => {
                    sink(Parsed::Rejected(Rejection::new(line_no, col, "invalid UTF-8", bytes)));
                    continue;
                }
            };
            let value: Value = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => {
                    sink(Parsed::Rejected(Rejection::new(line_no, 1, "not a JSON object", bytes)));
                    continue;
                }
                Err(e) => {
                    sink(Parsed::Rejected(Rejection::new(line_no, e.column() as u64, format!("invalid JSON: {e}"), bytes)));
                    continue;
                }
            };
            self.record(line_no, &value, bytes, &mut map, sink);
        }
        Ok(())
    }
}

/// Whether the input's first character (after a byte-order mark and whitespace) opens a JSON array.
fn starts_an_array(input: &mut dyn BufRead) -> std::io::Result<bool> {
    let head = input.fill_buf()?;
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    Ok(head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['))
}

impl JsonlParser {
    /// A JSON array of records (`[ {...}, {...} ]`, pretty-printed or on one line), read element by element
    /// through the same mapping as JSON Lines. Where the file stops being an array, the rest is one rejection.
    fn parse_array(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let mut map: Option<FieldMap> = None;
        let broken = json_array::for_each_element(input, &|e| e, &mut |element| {
            match serde_json::from_slice::<Value>(element.text) {
                Ok(value @ Value::Object(_)) => self.record(element.line, &value, element.text, &mut map, sink),
                Ok(_) => sink(Parsed::Rejected(Rejection::new(element.line, element.column, "not a JSON object", element.text))),
                Err(e) => {
                    let line = element.line + e.line().max(1) as u64 - 1;
                    sink(Parsed::Rejected(Rejection::new(line, e.column() as u64, format!("invalid JSON: {e}"), element.text)))
                }
            }
            Ok(())
        })?;
        if let Some(b) = broken {
            sink(Parsed::Rejected(Rejection::new(b.line, b.column, format!("{}: nothing after this is read", b.reason), b"")));
        }
        Ok(())
    }

    /// One record (a JSON object) mapped to an event, or rejected with the reason; the first record settles
    /// the map of roles to keys.
    fn record(&self, line_no: u64, value: &Value, bytes: &[u8], map: &mut Option<FieldMap>, sink: &mut dyn FnMut(Parsed)) {
        if map.is_none() {
            let mut keys = Vec::new();
            key_paths(value, "", &mut keys);
            match FieldMap::resolve_with(&self.declared, &keys, false) {
                Ok(m) => *map = Some(m),
                Err(reason) => {
                    sink(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes)));
                    return;
                }
            }
        }
        let m = map.as_ref().expect("map resolved above");
        let get = |key: &Option<String>| key.as_ref().and_then(|k| as_text(lookup(value, k)));
        let (time, actor) = (as_text(lookup(value, &m.time)), as_text(lookup(value, &m.actor)));
        let Some(time) = time else {
            let account = actor.as_deref().and_then(mapping::account_of);
            sink(Parsed::Rejected(Rejection::new(line_no, 1, format!("no `{}` (time) in this record", m.time), bytes).of_account(account)));
            return;
        };
        let (action, table, record, fields, status, query) = (get(&m.action), get(&m.table), get(&m.record), get(&m.fields), get(&m.status), get(&m.query));
        let values = MappedValues {
            time: &time,
            actor: actor.as_deref().unwrap_or(""),
            action: action.as_deref(),
            table: table.as_deref(),
            record: record.as_deref(),
            fields: fields.as_deref(),
            status: status.as_deref(),
            query: query.as_deref(),
        };
        match mapping::to_event(line_no, &values, self.time_zone) {
            Ok(ev) => sink(Parsed::Event(ev)),
            Err(reason) => {
                let account = mapping::account_of(values.actor);
                sink(Parsed::Rejected(Rejection::new(line_no, 1, reason, bytes).of_account(account)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::Payload;

    #[test]
    fn nested_keys_and_field_arrays() {
        let mut declared = BTreeMap::new();
        declared.insert("actor".to_string(), "user.name".to_string());
        declared.insert("record".to_string(), "target.id".to_string());
        let parser = JsonlParser::new(&declared).unwrap();
        let text = "{\"time\":\"2019-06-03T10:00:00Z\",\"user\":{\"name\":\"k.walsh\"},\"target\":{\"id\":\"C7\"},\"fields\":[\"email\",\"phone\"]}\nnot json\n";
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        let Parsed::Event(ev) = &out[0] else { panic!("{out:?}") };
        assert_eq!(ev.actor.as_deref(), Some("k.walsh"));
        assert!(matches!(&ev.payload, Payload::Record { record: Some(r), fields: Some(f), .. } if r == "C7" && f == "email|phone"));
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.line == 2 && r.reason.starts_with("invalid JSON") && r.actor.is_none()));

        let zoneless = "{\"time\":\"2019-06-03 10:00:00\",\"user\":{\"name\":\"k.walsh\"},\"target\":{\"id\":\"C7\"}}\n";
        let mut out = Vec::new();
        parser.parse(&mut zoneless.as_bytes(), &mut |p| out.push(p)).unwrap();
        assert!(matches!(&out[0], Parsed::Rejected(r) if r.actor.as_deref() == Some("k.walsh") && r.missing_zone()), "{out:?}");
    }

    /// A JSON array file goes through the same mapping, record by record, with each record's first line; a
    /// file that stops being an array is rejected from there, loudly.
    #[test]
    fn a_json_array_is_read_record_by_record() {
        let mut declared = BTreeMap::new();
        declared.insert("actor".to_string(), "user.name".to_string());
        declared.insert("record".to_string(), "target.id".to_string());
        let parser = JsonlParser::new(&declared).unwrap();
        let text = "\u{feff} [\n  {\"time\": \"2019-06-03T10:00:00Z\", \"user\": {\"name\": \"k.walsh\"},\n   \"target\": {\"id\": 1001}, \"fields\": [\"email\"]},\n  7,\n  {\"time\": \"2019-06-03T10:01:00Z\", \"user\": {\"name\": \"j.smith\"}, \"target\": {\"id\": \"C8\"}}\n] trailing";
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        assert_eq!(out.len(), 4, "{out:?}");
        let Parsed::Event(ev) = &out[0] else { panic!("{out:?}") };
        assert_eq!((ev.line, ev.actor.as_deref()), (2, Some("k.walsh")));
        assert!(matches!(&ev.payload, Payload::Record { record: Some(r), fields: Some(f), .. } if r == "1001" && f == "email"));
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.line == 4 && r.reason == "not a JSON object"), "{out:?}");
        assert!(matches!(&out[2], Parsed::Event(e) if e.line == 5 && e.actor.as_deref() == Some("j.smith")), "{out:?}");
        assert!(matches!(&out[3], Parsed::Rejected(r) if r.line == 6 && r.reason.starts_with("text after the JSON array's end")), "{out:?}");
    }
}
