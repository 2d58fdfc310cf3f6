//! The column map shared by the generic CSV and JSON Lines formats: which column (or key) holds the time,
//! the account, the table, the record id, the fields shown, the outcome, or a SQL query.

use std::collections::BTreeMap;

use crate::ingest::event::{Parameters, Payload, RawEvent, StatementText};
use crate::read::timefmt;

/// Roles a `[logs.map]` may name.
pub const ROLES: [&str; 8] = ["time", "actor", "action", "table", "record", "fields", "status", "query"];

/// Column names tried, in order, for a role the map leaves out.
fn candidates(role: &str) -> &'static [&'static str] {
    match role {
        "time" => &["time", "timestamp", "event_time", "eventtime", "created_at", "date", "ts", "@timestamp"],
        "actor" => &["actor", "user", "user_name", "username", "account", "principal", "user_id", "login"],
        "action" => &["action", "event_type", "event", "operation", "method", "activity"],
        "table" => &["table", "entity", "object", "object_type", "entity_type", "resource_type"],
        "record" => &["record", "record_id", "entity_id", "object_id", "resource_id"],
        "fields" => &["fields", "fields_viewed", "columns", "attributes"],
        "status" => &["status", "result", "outcome", "status_code", "success"],
        "query" => &["query", "statement", "sql", "sqltext"],
        _ => &[],
    }
}

/// The resolved map: role → column name (CSV) or dotted key path (JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMap {
    pub time: String,
    pub actor: String,
    pub action: Option<String>,
    pub table: Option<String>,
    pub record: Option<String>,
    pub fields: Option<String>,
    pub status: Option<String>,
    pub query: Option<String>,
}

impl FieldMap {
    /// Takes the declared map and fills the roles it leaves out from `available` names. `time`, `actor`
    /// and one of `record`/`query` must end up set. Declared columns must be among `available`.
    pub fn resolve(declared: &BTreeMap<String, String>, available: &[String]) -> Result<FieldMap, String> {
        Self::resolve_with(declared, available, true)
    }

    /// As [`FieldMap::resolve`]; with `declared_must_exist` false (JSON, where keys may be absent from
    /// the first record), declared keys are taken as they are.
    pub fn resolve_with(declared: &BTreeMap<String, String>, available: &[String], declared_must_exist: bool) -> Result<FieldMap, String> {
        for role in declared.keys() {
            if !ROLES.contains(&role.as_str()) {
                return Err(format!("[logs.map] unknown role `{role}` (roles: {})", ROLES.join(", ")));
            }
        }
        let mut found = BTreeMap::new();
        for role in ROLES {
            let column = match declared.get(role) {
                Some(column) => {
                    if declared_must_exist && !available.iter().any(|a| a == column) {
                        return Err(format!("[logs.map] {role} = `{column}` is not a column of this log (columns: {})", available.join(", ")));
                    }
                    Some(column.clone())
                }
                None => candidates(role)
                    .iter()
                    .find_map(|c| available.iter().find(|a| a.eq_ignore_ascii_case(c)))
                    .cloned(),
            };
            if let Some(c) = column {
                found.insert(role, c);
            }
        }
        let take = |role: &str| found.get(role).cloned();
        let map = FieldMap {
            time: take("time").ok_or("no time column: set `time` in [logs.map]")?,
            actor: take("actor").ok_or("no account column: set `actor` in [logs.map]")?,
            action: take("action"),
            table: take("table"),
            record: take("record"),
            fields: take("fields"),
            status: take("status"),
            query: take("query"),
        };
        if map.record.is_none() && map.query.is_none() {
            return Err("no record or query column: set `record` (or `query`) in [logs.map]".into());
        }
        Ok(map)
    }
}

/// The values of one row, looked up by role.
pub struct MappedValues<'a> {
    pub time: &'a str,
    pub actor: &'a str,
    pub action: Option<&'a str>,
    pub table: Option<&'a str>,
    pub record: Option<&'a str>,
    pub fields: Option<&'a str>,
    pub status: Option<&'a str>,
    pub query: Option<&'a str>,
}

/// Builds the event; on a bad time, returns the reason (the caller knows the column).
/// A time without a zone is read in `zone` when given (see [`crate::ingest::event::ParserSettings::time_zone`]).
pub fn to_event(line: u64, v: &MappedValues<'_>, zone: Option<crate::read::timefmt::Zone>) -> Result<RawEvent, String> {
    let time = timefmt::parse_any_in(v.time, zone).map_err(|e| format!("time: {e}"))?;
    let actor = account_of(v.actor).map(str::to_string);
    let nonempty = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let failure = v.status.and_then(failure_of);
    let payload = match (nonempty(v.record), nonempty(v.query)) {
        (None, Some(query)) => Payload::Sql {
            statement: StatementText::Logged(query),
            parameters: Parameters::None,
            class: None,
            object: nonempty(v.table),
            rows: None,
        },
        (record, _) => Payload::Record { action: nonempty(v.action), table: nonempty(v.table), record, fields: nonempty(v.fields) },
    };
    Ok(RawEvent { line, time, actor, failure, payload })
}

/// The account of an account cell: trimmed; empty and `-` mean none.
pub fn account_of(cell: &str) -> Option<&str> {
    Some(crate::read::trim(cell)).filter(|a| !a.is_empty() && *a != "-")
}

/// Outcome values meaning the request failed: an HTTP-style code ≥ 400 or a word such as `failed`.
pub fn failure_of(status: &str) -> Option<String> {
    let s = status.trim();
    if let Ok(code) = s.parse::<u32>() {
        return (code >= 400).then(|| format!("status {code}"));
    }
    const FAILED: [&str; 10] = ["fail", "failed", "failure", "error", "denied", "unauthorized", "forbidden", "false", "rejected", "blocked"];
    FAILED.iter().any(|f| s.eq_ignore_ascii_case(f)).then(|| format!("status {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn declared_and_guessed_roles() {
        let mut declared = BTreeMap::new();
        declared.insert("record".to_string(), "entity_id".to_string());
        let map = FieldMap::resolve(&declared, &cols(&["event_time", "user_name", "entity", "entity_id", "fields_viewed"])).unwrap();
        assert_eq!(map.time, "event_time");
        assert_eq!(map.actor, "user_name");
        assert_eq!(map.table.as_deref(), Some("entity"));
        assert_eq!(map.fields.as_deref(), Some("fields_viewed"));
    }

    #[test]
    fn unknown_column_and_role_are_errors() {
        let mut declared = BTreeMap::new();
        declared.insert("record".to_string(), "nope".to_string());
        assert!(FieldMap::resolve(&declared, &cols(&["time", "user"])).unwrap_err().contains("`nope` is not a column"));
        let mut declared = BTreeMap::new();
        declared.insert("recrod".to_string(), "id".to_string());
        assert!(FieldMap::resolve(&declared, &cols(&["time", "user", "id"])).unwrap_err().contains("unknown role"));
    }

    #[test]
    fn failure_words_and_codes() {
        assert_eq!(failure_of("403").as_deref(), Some("status 403"));
        assert_eq!(failure_of("200"), None);
        assert_eq!(failure_of("Denied").as_deref(), Some("status Denied"));
        assert_eq!(failure_of("success"), None);
    }
}
