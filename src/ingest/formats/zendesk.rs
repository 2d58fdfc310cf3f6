//! Zendesk access-log exports (Access Logs API, `/api/v2/access_logs`): JSON Lines or CSV with `id, timestamp,
//! user_id, ip_address, method, url, status` (and `category`, `summary`...). The request `url` names the ticket or
//! user (`/api/v2/tickets/123.json`, `/agent/tickets/123`); which case table it is, is decided in
//! `evidence`. The account is `user_id`, named through the log's `users` table when given; a `status` of
//! 400 or more marks a failed request.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::Value;

use crate::read::accounts;
use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::json_records;
use crate::ingest::json_records::Record;
use crate::ingest::event::{Format, LogParser, Parsed, ParserSettings, Payload, RawEvent, Rejection};
use crate::read::timefmt;

/// Whether a first line is a Zendesk access-log header or record.
pub fn looks_like(first: &str) -> bool {
    let has = |k: &str| first.contains(k);
    if first.starts_with('{') {
        return has("\"url\"") && has("\"method\"") && has("\"user_id\"") && has("\"timestamp\"");
    }
    let cols: Vec<String> = first.split(',').map(|c| c.trim().trim_matches('"').to_ascii_lowercase()).collect();
    ["timestamp", "user_id", "method", "url"].iter().all(|c| cols.iter().any(|x| x == c))
}

pub struct ZendeskParser {
    json: bool,
    users: BTreeMap<String, String>,
    time_zone: Option<crate::read::timefmt::Zone>,
}

impl ZendeskParser {
    pub fn new(settings: &ParserSettings, sample: &[u8]) -> Result<ZendeskParser, String> {
        let first = sample.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let json = first == Some(b'{') || first == Some(b'[');
        if !json {
            let text = String::from_utf8_lossy(sample);
            let header = text.trim_start_matches('\u{feff}').lines().next().unwrap_or_default();
            if !looks_like(header) {
                return Err("Zendesk access-log CSV needs the columns timestamp, user_id, method and url".into());
            }
        }
        Ok(ZendeskParser { json, users: settings.users.clone(), time_zone: settings.time_zone })
    }

    fn event(&self, line: u64, get: &dyn Fn(&str) -> Option<String>, raw: &[u8]) -> Parsed {
        let Some(url) = get("url") else {
            return Parsed::ignored(line, "request without a url (GraphQL or background job)");
        };
        let time = match get("timestamp").map(|t| timefmt::parse_any_in(&t, self.time_zone)) {
            Some(Ok(t)) => t,
            Some(Err(reason)) => return Parsed::Rejected(Rejection::new(line, 0, format!("timestamp: {reason}"), raw)),
            None => return Parsed::Rejected(Rejection::new(line, 0, "no timestamp", raw)),
        };
        let status: u16 = match get("status").map(|s| s.parse::<u16>()) {
            Some(Ok(s)) => s,
            Some(Err(_)) => return Parsed::Rejected(Rejection::new(line, 0, "status is not an HTTP status code", raw)),
            None => 200,
        };
        let actor = get("user_id").map(|id| accounts::name_of(&self.users, &id));
        let method = get("method").unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
        let failure = (status >= 400).then(|| format!("HTTP {status}"));
        Parsed::Event(RawEvent { line, time, actor, failure, payload: Payload::Helpdesk { method, url, status } })
    }
}

impl LogParser for ZendeskParser {
    fn format(&self) -> Format {
        Format::Zendesk
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        if self.json {
            return json_records::read_objects(input, &mut |record| match record {
                Record::Object { line, value, text } => {
                    // An API page (`{"access_logs": [...]}`) or one record.
                    let records: Vec<&Value> = match value.get("access_logs").and_then(Value::as_array) {
                        Some(list) => list.iter().collect(),
                        None => vec![&value],
                    };
                    for r in records {
                        let get = |k: &str| match r.get(k) {
                            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                            Some(Value::Number(n)) => Some(n.to_string()),
                            _ => None,
                        };
                        sink(self.event(line, &get, text));
                    }
                }
                Record::Rejected(r) => sink(Parsed::Rejected(r)),
            });
        }
        csv_records::read(input, &mut |record| match record {
            CsvRecord::Row { line, get, raw } => sink(self.event(line, get, raw)),
            CsvRecord::Rejected(r) => sink(Parsed::Rejected(r)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Parsed> {
        let parser = ZendeskParser::new(&ParserSettings::default(), text.as_bytes()).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    #[test]
    fn json_lines_and_csv() {
        let out = run("{\"id\":\"01J5\",\"timestamp\":\"2019-06-03T10:00:00Z\",\"user_id\":6596848315901,\"ip_address\":\"10.0.0.9\",\"method\":\"GET\",\"url\":\"/api/v2/tickets/123.json\",\"status\":200}\n");
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!(e.actor.as_deref(), Some("6596848315901"));
        assert!(matches!(&e.payload, Payload::Helpdesk { url, .. } if url == "/api/v2/tickets/123.json"));
        let out = run("id,timestamp,user_id,ip_address,method,url,status\n1,2019-06-03T10:00:00Z,42,10.0.0.9,GET,/agent/tickets/7,403\n");
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.failure.as_deref()), (2, Some("HTTP 403")));
    }

    #[test]
    fn fixtures_parse() {
        let out = run(include_str!("../../../testdata/logs/zendesk/access_logs.jsonl"));
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), 8);
        let out = run(include_str!("../../../testdata/logs/zendesk/access_logs.csv"));
        assert_eq!(out.iter().filter(|p| matches!(p, Parsed::Event(_))).count(), 2);
    }
}
