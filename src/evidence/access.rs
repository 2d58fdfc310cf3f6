//! What an access event exposes: records by key ([`RecordAccess`]), a query to replay, a whole table, or why
//! no record can be named ([`Access`]); and how strongly the log backs it ([`Grade`]).

use crate::case::schema::{FieldId, TableId};

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

/// The reason counted for an event that reads only tables that are not the case's ([`Access::OtherTables`]).
pub const READS_NO_CASE_TABLE: &str = "reads no case table";

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
    /// A web request whose path matches no route (counted per path, so a missing route shows).
    NoRoute,
    /// Not an access to the case's records (the reason is counted).
    Nothing(String),
    /// The event read only tables (collections, record types) that are not case tables, named as the log names
    /// them (quotes removed, `crm.customer`): nothing of the case is exposed, but the names are counted and
    /// reported, so that a table the case should map (`[logs.tables]`) shows at once.
    OtherTables(Vec<String>),
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
