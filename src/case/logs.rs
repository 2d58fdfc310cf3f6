//! The case's logs as checked: files found by each glob, declared format, routes and table names mapped to
//! case tables, time zone, account-id table and encoding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::case::file::LogSection;
use crate::case::schema::{FieldId, Schema, TableId};
use crate::error::{Error, Result};
use crate::read::timefmt;

/// What an audit row's action does to the record it names (`[logs.actions]`, and the built-in vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// View, read, select, get, export, download, print, search...: exposes the fields it names.
    Read,
    /// Update, edit, delete, insert...: exposes the fields it names (an edit form shows the record), with its
    /// own evidence mark, unless `writes = "nothing"`.
    Write,
    /// Login, logout, session and sign-in events: no record shown (ignored with the reason).
    Session,
    /// Shows no record (the case says so).
    Nothing,
}

impl ActionKind {
    pub fn parse(name: &str) -> Option<ActionKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "read" => Some(ActionKind::Read),
            "write" => Some(ActionKind::Write),
            "session" => Some(ActionKind::Session),
            "none" | "nothing" => Some(ActionKind::Nothing),
            _ => None,
        }
    }
}

/// A request path template: `/support/tickets/{tickets}`.
#[derive(Clone, Debug)]
pub struct Route {
    pub template: String,
    pub segments: Vec<RouteSegment>,
    pub fields: Vec<FieldId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouteSegment {
    Literal(String),
    Any,
    /// `{table}`, or part of a segment (`{tickets}.json`, `c-{customers}-details`): the key is what stands
    /// between `prefix` and `suffix`.
    Capture { table: TableId, prefix: String, suffix: String },
}

/// What a view of a record shows, as the case declares it for a log (`[logs.views]`).
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    /// The key as written (`customers`, `Contact:LightningPageView`).
    pub key: String,
    /// The log's own name for the record type (a `[logs.tables]` key) when the key names one; `None` when it
    /// names a case table (then it applies whatever the log calls the table).
    pub log_name: Option<String>,
    pub table: TableId,
    /// Only views by this action (the log's action, compared ignoring case, whole or its first word).
    pub action: Option<String>,
    pub fields: Vec<FieldId>,
}

impl View {
    /// Whether this view applies to a record of `table` the log calls one of `names`, viewed by `action`.
    pub fn applies(&self, table: TableId, names: &[&str], action: &str) -> bool {
        if self.table != table {
            return false;
        }
        let named = match &self.log_name {
            Some(n) => names.iter().any(|x| x.trim().eq_ignore_ascii_case(n)),
            None => true,
        };
        named
            && self.action.as_deref().is_none_or(|a| {
                let action = action.trim();
                action.eq_ignore_ascii_case(a) || action.split_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case(a))
            })
    }
}

#[derive(Clone, Debug)]
pub struct LogSpec {
    /// The name shown in `sources` (the `name` key, or the path as written).
    pub name: String,
    pub pattern: String,
    pub files: Vec<PathBuf>,
    /// The declared format; `None` means detect from content.
    pub format: Option<String>,
    pub log_line_prefix: Option<String>,
    /// Web access logs: the server's format string (compiled before any log is read, by collect); `None`:
    /// the common/combined layouts.
    pub log_format: Option<String>,
    /// What separates the names in a mapped fields cell (`fields_separator`); `None`: the first of `|`, `;`,
    /// `,` in the cell.
    pub fields_separator: Option<String>,
    /// `[logs.actions]`: action names (lower case) → what they do, over the built-in vocabulary.
    pub actions: BTreeMap<String, ActionKind>,
    /// Whether writes (update, edit, delete...) show the record they change (`writes = "show"`, the default).
    pub writes_show: bool,
    pub routes: Vec<Route>,
    pub map: BTreeMap<String, String>,
    /// The log's table names → case tables (`public.customers` and `customers` are found without it).
    pub table_names: BTreeMap<String, TableId>,
    /// The zone of timestamps the log writes without one, and of zone abbreviations (PostgreSQL `CEST`): its
    /// `time_zone`, else `--assume-tz`.
    pub time_zone: Option<crate::read::timefmt::Zone>,
    /// Account ids → names, from the log's `users` table.
    pub users: BTreeMap<String, String>,
    /// `record_path`: where each audit record sits in a shipper's JSON envelope (dotted path).
    pub record_path: Option<String>,
    /// Snowflake: the QUERY_HISTORY export joined to the ACCESS_HISTORY rows (`query_history`), checked to exist.
    pub query_history: Option<std::path::PathBuf>,
    /// The files' character encoding: the log's `encoding`, else `--encoding`, else UTF-8.
    pub encoding: crate::read::encoding::TextEncoding,
    /// What views of records show where the log does not say (`[logs.views]`), most specific first: the
    /// log's names with an action, the log's names, case tables with an action, case tables.
    pub views: Vec<View>,
    /// The attributes this log's store keeps per table (`[logs.attributes]`, with the key).
    pub attributes: BTreeMap<TableId, Vec<FieldId>>,
}

pub(crate) fn build_log(
    case_path: &Path,
    dir: &Path,
    schema: &Schema,
    index: usize,
    section: &LogSection,
    inputs: &crate::read::input::InputDefaults,
    listing: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<LogSpec> {
    let label = section.name.clone().unwrap_or_else(|| section.path.clone());
    let bad = |message: String| Error::input(case_path, format!("[[logs]] #{} ({label}): {message}", index + 1));
    let files = match listing.and_then(|l| l.get(&section.path)) {
        // Listed elsewhere: a URI as given, a relative path from the case's folder.
        Some(listed) if listed.is_empty() => return Err(bad(format!("the listing gives no file for `{}`: a missing log must never look like a quiet one", section.path))),
        Some(listed) => listed.iter().map(|f| if f.contains("://") { std::path::PathBuf::from(f) } else { dir.join(f) }).collect(),
        None if section.path.contains("://") => {
            return Err(bad(format!(
                "`{}` is a URI: breachscope reads files on this machine; list the log's files with --listing FILE (the Spark driver does, see spark/README.md)",
                section.path
            )))
        }
        None => crate::read::input::expand_glob(dir, &section.path)?,
    };

    let mut table_names = BTreeMap::new();
    for (log_name, case_table) in &section.tables {
        let id = schema.table(case_table).ok_or_else(|| bad(format!("[logs.tables] {log_name} = `{case_table}`: no such case table")))?;
        table_names.insert(log_name.clone(), id);
    }

    let mut routes = Vec::new();
    for route in &section.routes {
        let mut segments = Vec::new();
        for seg in route.path.trim_matches('/').split('/') {
            let capture = seg.find('{').and_then(|open| seg[open..].find('}').map(|close| (open, open + close)));
            segments.push(if let Some((open, close)) = capture {
                let table = &seg[open + 1..close];
                let (prefix, suffix) = (&seg[..open], &seg[close + 1..]);
                if prefix.contains(['{', '}']) || suffix.contains(['{', '}']) {
                    return Err(bad(format!("route `{}`: a segment captures at most one {{table}}", route.path)));
                }
                RouteSegment::Capture {
                    table: schema.table(table).ok_or_else(|| bad(format!("route `{}`: {{{table}}} is not a case table", route.path)))?,
                    prefix: prefix.to_string(),
                    suffix: suffix.to_string(),
                }
            } else if seg == "*" {
                RouteSegment::Any
            } else {
                RouteSegment::Literal(seg.to_string())
            });
        }
        if segments.iter().filter(|s| matches!(s, RouteSegment::Capture { .. })).count() != 1 {
            return Err(bad(format!("route `{}` must capture exactly one {{table}}", route.path)));
        }
        let mut fields = Vec::new();
        for field in &route.fields {
            fields.push(schema.field(field).ok_or_else(|| bad(format!("route `{}`: field `{field}` is not a `table.column` of the case's tables", route.path)))?);
        }
        routes.push(Route { template: route.path.clone(), segments, fields });
    }

    let mut views = Vec::new();
    for (key, names) in &section.views {
        let (name, action) = match key.split_once(':') {
            Some((n, a)) if !a.trim().is_empty() => (n.trim(), Some(a.trim().to_string())),
            _ => (key.trim(), None),
        };
        let (log_name, table) = table_named(&table_names, schema, name)
            .ok_or_else(|| bad(format!("[logs.views] `{key}`: `{name}` is neither a case table nor a name in [logs.tables]")))?;
        let mut fields = Vec::new();
        for field in names {
            fields.push(schema.field(field).ok_or_else(|| bad(format!("[logs.views] `{key}`: `{field}` is not a `table.column` of the case's tables")))?);
        }
        fields.sort_unstable();
        fields.dedup();
        views.push(View { key: key.clone(), log_name, table, action, fields });
    }
    views.sort_by_key(|v| (v.log_name.is_none(), v.action.is_none()));
    let mut attributes = BTreeMap::new();
    for (name, list) in &section.attributes {
        let (_, table) = table_named(&table_names, schema, name)
            .ok_or_else(|| bad(format!("[logs.attributes] `{name}` is neither a case table nor a name in [logs.tables]")))?;
        let fields = crate::case::schema::attribute_fields(&schema.tables[table], list).map_err(|m| bad(format!("[logs.attributes] `{name}`: {m}")))?;
        attributes.insert(table, fields);
    }

    // The log's own `time_zone` wins over `--assume-tz`.
    let time_zone = section
        .time_zone
        .as_deref()
        .map(|z| timefmt::parse_zone(z).map_err(|e| bad(format!("time_zone: {e}"))))
        .transpose()?
        .or(inputs.assume_tz);
    let encoding = match &section.encoding {
        Some(name) => crate::read::encoding::TextEncoding::parse(name).map_err(|m| bad(format!("encoding: {m}")))?,
        None => inputs.encoding.unwrap_or_default(),
    };
    let users = match &section.users {
        Some(p) => crate::read::accounts::load(&dir.join(p))?,
        None => BTreeMap::new(),
    };
    let query_history = match &section.query_history {
        Some(p) if !dir.join(p).is_file() => return Err(bad(format!("query_history: `{p}` is not a file (the QUERY_HISTORY export, relative to the case file)"))),
        Some(p) => Some(dir.join(p)),
        None => None,
    };

    let mut actions = BTreeMap::new();
    for (name, kind) in &section.actions {
        let kind = ActionKind::parse(kind).ok_or_else(|| bad(format!("[logs.actions] {name} = `{kind}`: use read, write, session or none")))?;
        actions.insert(name.trim().to_lowercase(), kind);
    }
    let writes_show = match section.writes.as_deref() {
        None | Some("show") => true,
        Some("nothing") => false,
        Some(other) => return Err(bad(format!("writes = `{other}`: use \"show\" (an edit form shows the record) or \"nothing\""))),
    };

    Ok(LogSpec {
        name: label,
        pattern: section.path.clone(),
        files,
        format: section.format.clone(),
        log_line_prefix: section.log_line_prefix.clone(),
        log_format: section.log_format.clone(),
        fields_separator: section.fields_separator.clone(),
        actions,
        writes_show,
        routes,
        map: section.map.clone(),
        table_names,
        time_zone,
        users,
        record_path: section.record_path.clone().filter(|p| !p.trim().is_empty()),
        query_history,
        encoding,
        views,
        attributes,
    })
}

/// A name in `[logs.views]`/`[logs.attributes]`: the log's own name (a `[logs.tables]` key, ignoring case) →
/// (that name, its table), or a case table → (`None`, the table).
/// A `[logs.tables]` key that maps a case table's own name to that table (`tickets = "tickets"`) names the table.
fn table_named(table_names: &BTreeMap<String, TableId>, schema: &Schema, name: &str) -> Option<(Option<String>, TableId)> {
    if let Some((log_name, id)) = table_names.iter().find(|(k, _)| k.as_str() == name || k.eq_ignore_ascii_case(name)) {
        if schema.table(name) != Some(*id) {
            return Some((Some(log_name.clone()), *id));
        }
    }
    schema.table(name).map(|id| (None, id))
}
