//! What an access event exposes, decided with the case's tables at hand: which records (by key), which
//! fields, or why no record can be named.

pub mod document;
pub mod helpdesk;
pub mod item;
pub mod object;
pub mod record;
pub mod route;
pub mod sql;
pub mod view;

use crate::case::{FieldId, LogSpec, Schema, TableId};
use crate::ingest::Payload;

/// How strongly the log backs a customer's exposure. Ordered: `Named` is the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// The actor read a whole table with no filter: every row is potentially exposed.
    Table,
    /// A logged query's predicate, re-run against the tables, selected the record.
    Replayed,
    /// The request named the record (URL capture, key literal, record id column).
    Named,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Table => "table",
            Grade::Replayed => "replayed",
            Grade::Named => "named",
        }
    }
}

/// Records of one case table named by an event, and the fields the event showed of them.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordAccess {
    /// The table whose key the values are. A linked table's customer column names customers directly.
    pub table: TableId,
    pub keys: Vec<String>,
    pub fields: Vec<FieldId>,
    /// Field names the log gave that are not columns of the case's tables (reported, not guessed at).
    pub unknown_fields: Vec<String>,
    pub grade: Grade,
}

impl RecordAccess {
    /// Records the request named by key.
    pub fn named(table: TableId, keys: Vec<String>, fields: Vec<FieldId>) -> Self {
        RecordAccess { table, keys, fields, unknown_fields: Vec::new(), grade: Grade::Named }
    }
}

/// The meaning of one event for the case.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// The event named records.
    Records(Vec<RecordAccess>),
    /// The event read a whole table with no filter: every row is potentially exposed.
    WholeTable { tables: Vec<TableId>, fields: Vec<FieldId>, statement: String },
    /// The event read case tables, but which rows cannot be told from the log. `fields`: the columns it
    /// returned where the statement says so; `None` when even that is unknown.
    Unresolved { statement: String, reason: String, fields: Option<Vec<FieldId>> },
    /// A filter that names no key: the statement is re-run against the case's tables to find its rows.
    Replay(ReplayQuery),
    /// Only aggregates were returned: no record exposed.
    Aggregate,
    /// Not an access to the case's records (the reason is counted).
    Nothing(String),
}

/// A logged query to re-run against the case's tables (loaded as text) to find the rows it selected.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayQuery {
    /// The statement as logged.
    pub statement: String,
    /// SQL over the case tables (by their case names) returning, for each entry of `outputs`, a column
    /// `__key{i}` with the keys of that table's selected rows.
    pub sql: String,
    /// The tables whose rows were returned, with the fields returned of each.
    pub outputs: Vec<(TableId, Vec<FieldId>)>,
    /// The columns the SQL reads: (table, column index).
    pub columns: std::collections::BTreeSet<(TableId, usize)>,
    /// Rows the log says the statement returned (pgaudit ROWS, MySQL rows_sent), to compare.
    pub logged_rows: Option<u64>,
    /// Every field the statement returned.
    pub fields: Vec<FieldId>,
}

/// Decides what events of one log source expose.
pub struct Interpreter<'a> {
    pub schema: &'a Schema,
    pub log: &'a LogSpec,
    /// The case's `[[exports]]`: what retrieved objects and reports held.
    pub exports: &'a [crate::export::Export],
}

impl<'a> Interpreter<'a> {
    pub fn new(schema: &'a Schema, log: &'a LogSpec) -> Self {
        Interpreter { schema, log, exports: &[] }
    }

    /// With the case's exports, so that retrieving a declared object names its rows.
    pub fn with_exports(mut self, exports: &'a [crate::export::Export]) -> Self {
        self.exports = exports;
        self
    }

    /// What the event exposes; one entry per statement where a log line holds several.
    pub fn interpret(&self, payload: &Payload) -> Vec<Access> {
        match payload {
            Payload::Http { method, target, status } => vec![route::interpret(self, method, target, *status)],
            Payload::Sql { statement, parameters, class, rows, .. } => sql::interpret(self, statement, parameters, class.as_deref(), *rows),
            Payload::Record { table, record, fields, .. } => {
                vec![record::interpret(self, table.as_deref(), record.as_deref(), fields.as_deref())]
            }
            Payload::Document { command, collection, filter, projection, pipeline, limited } => {
                document::interpret(self, command, collection, filter, projection.as_ref(), pipeline.as_ref(), *limited)
            }
            Payload::Item { operation, requests } => item::interpret(self, operation, requests),
            Payload::Object { store, container, name, rows } => vec![object::interpret(self, store, container.as_deref(), name, *rows)],
            Payload::RecordView { action, tables, records } => vec![view::record_view(self, action, tables, records)],
            Payload::TableRead { action, tables, rows } => vec![view::table_read(self, action, tables, *rows)],
            Payload::Helpdesk { method, url, status } => vec![helpdesk::interpret(self, method, url, *status)],
        }
    }

    /// A column of a case table by the name a log gives it (exact, then ignoring case).
    pub fn column(&self, table: TableId, name: &str) -> Option<FieldId> {
        let spec = &self.schema.tables[table];
        spec.field_of(name).or_else(|| spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| spec.field(i)))
    }

    /// The table whose key a column of `table` holds: the table itself for its key column, customers for a
    /// linked table's customer column; `None` for any other column.
    pub fn key_owner(&self, table: TableId, column: &str) -> Option<TableId> {
        let spec = &self.schema.tables[table];
        let field = self.column(table, column)?;
        if field == spec.field(spec.key_index) {
            Some(table)
        } else if spec.customer_column.as_ref().is_some_and(|(_, c)| spec.field(*c) == field) {
            Some(crate::case::CUSTOMERS)
        } else {
            None
        }
    }

    /// Field names → fields of `table`, and the names that are not its columns.
    pub fn columns(&self, table: TableId, names: &[String]) -> (Vec<FieldId>, Vec<String>) {
        let mut fields = Vec::new();
        let mut unknown = Vec::new();
        for n in names {
            match self.column(table, n) {
                Some(f) => fields.push(f),
                None => unknown.push(n.clone()),
            }
        }
        fields.sort_unstable();
        fields.dedup();
        (fields, unknown)
    }

    /// A table name as the log writes it (`Customer`, `public.customers`, `"Tickets"`) → case table.
    pub fn table(&self, name: &str) -> Option<TableId> {
        let name = name.trim().trim_matches('"');
        if let Some(id) = self.log.table_names.get(name) {
            return Some(*id);
        }
        let bare = name.rsplit('.').next().unwrap_or(name).trim_matches('"');
        if let Some(id) = self.log.table_names.get(bare) {
            return Some(*id);
        }
        self.log
            .table_names
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(bare))
            .map(|(_, v)| *v)
            .or_else(|| self.schema.tables.iter().position(|t| t.name.eq_ignore_ascii_case(bare)))
    }
}

/// A small schema (customers, tickets) for unit tests of the interpreters.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use crate::case::{LogSpec, Role, Schema, TableSpec};
    use crate::classes;
    use crate::table::TableFile;

    fn table(name: &str, columns: &[&str], key: usize, customer: Option<usize>, first_field: usize) -> TableSpec {
        TableSpec {
            name: name.into(),
            file: TableFile { path: format!("{name}.csv").into(), delimiter: b',', columns: columns.iter().map(|c| c.to_string()).collect(), encoding: Default::default() },
            key: columns[key].into(),
            key_index: key,
            customer_column: customer.map(|c| (columns[c].to_string(), c)),
            first_field,
            key_type: Default::default(),
        }
    }

    pub fn schema() -> Schema {
        let customers = table("customers", &["customer_id", "full_name", "email", "phone", "state", "card_number"], 0, None, 0);
        let tickets = table("tickets", &["ticket_number", "customer_id", "subject"], 0, Some(1), 6);
        let mut field_names = Vec::new();
        let mut field_classes = Vec::new();
        for t in [&customers, &tickets] {
            for (i, c) in t.file.columns.iter().enumerate() {
                field_names.push(format!("{}.{}", t.name, c));
                let id_only = (t.name == "customers" && i == 0) || t.customer_column.as_ref().is_some_and(|(_, x)| *x == i);
                field_classes.push(if id_only { None } else { classes::guess(&t.name, c) });
            }
        }
        let mut roles = BTreeMap::new();
        roles.insert(Role::Name, 1);
        Schema { tables: vec![customers, tickets], field_names, field_classes, roles }
    }

    pub fn log() -> LogSpec {
        LogSpec {
            name: "test".into(),
            pattern: "test".into(),
            files: vec![],
            format: None,
            log_line_prefix: None,
            log_format: None,
            routes: vec![],
            map: BTreeMap::new(),
            table_names: BTreeMap::new(),
            time_zone: None,
            users: BTreeMap::new(),
            encoding: Default::default(),
        }
    }
}
