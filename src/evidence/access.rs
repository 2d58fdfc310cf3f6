//! What an access event exposes: records by key ([`RecordAccess`]), a query to replay, a whole table, or why
//! no record can be named ([`Access`]); and how strongly the log backs it ([`Grade`]).

use crate::case::schema::{FieldId, TableId};

/// How strongly the log backs a customer's exposure. Ordered: `Named` is the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// The actor read a whole table with no filter: every row is potentially exposed.
    Table,
    /// A logged query's predicate, re-run against the tables, selected the record.
    Replayed,
    /// A write named the record (an update or delete through a form that shows it): named, but by a write,
    /// so counsel sees it apart.
    Edited,
    /// The request named the record (URL capture, key literal, record id column).
    Named,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Table => "table",
            Grade::Replayed => "replayed",
            Grade::Edited => "edited",
            Grade::Named => "named",
        }
    }
}

/// Where the fields an access exposed come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum FieldsFrom {
    /// The log says (a select list, a projection, a fields column), or a route's `fields`.
    #[default]
    Given,
    /// What the case declares a view shows (`[logs.views]`, named by its key) or a store keeps (`attributes`).
    Declared(String),
    /// Nothing says: the built-in default for this kind of view was applied (an assumption).
    Assumed(DefaultView),
}

impl FieldsFrom {
    pub fn is_assumed(&self) -> bool {
        matches!(self, FieldsFrom::Assumed(_))
    }
}

/// The built-in defaults for views whose fields no log line and no case key gives: each shows every column
/// of the record's case table (or the `attributes` a store keeps), which may say more or less than the view
/// showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum DefaultView {
    /// A Salesforce record page (URI, Lightning) or REST/SOAP retrieval of one record.
    RecordPage,
    /// A DynamoDB item read without `ProjectionExpression` (`GetItem`, `BatchGetItem`, `Query`, `Scan`).
    StoredItem,
    /// A MongoDB read without a projection.
    StoredDocument,
    /// A Zendesk ticket or user read (agent page or API) on the built-in paths.
    HelpdeskRecord,
    /// An audit-export row naming a record without saying which fields it showed.
    AuditRecord,
    /// A web request matching a route without `fields`.
    RoutePage,
}

impl DefaultView {
    pub const ALL: [DefaultView; 6] =
        [DefaultView::RecordPage, DefaultView::StoredItem, DefaultView::StoredDocument, DefaultView::HelpdeskRecord, DefaultView::AuditRecord, DefaultView::RoutePage];

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultView::RecordPage => "record_page",
            DefaultView::StoredItem => "stored_item",
            DefaultView::StoredDocument => "stored_document",
            DefaultView::HelpdeskRecord => "helpdesk_record",
            DefaultView::AuditRecord => "audit_record",
            DefaultView::RoutePage => "route_page",
        }
    }

    /// What the view is, for people.
    pub fn view(self) -> &'static str {
        match self {
            DefaultView::RecordPage => "record pages and single-record API retrievals",
            DefaultView::StoredItem => "DynamoDB item reads without a projection",
            DefaultView::StoredDocument => "MongoDB reads without a projection",
            DefaultView::HelpdeskRecord => "ticket and user reads (agent pages, API)",
            DefaultView::AuditRecord => "audit rows that do not say which fields were shown",
            DefaultView::RoutePage => "requests matching a route without `fields`",
        }
    }

    /// The default applied, and in which direction it may be wrong.
    pub fn may_err(self) -> &'static str {
        match self {
            DefaultView::RecordPage => {
                "every column of the record's table: OVERSTATES when the page layout shows fewer fields than the table export holds (a card number column no page shows), UNDERSTATES when the page shows related records (a contact's cases, an account's contacts)"
            }
            DefaultView::StoredItem | DefaultView::StoredDocument => {
                "every column of the table: OVERSTATES when the stored item holds fewer attributes than the table export has columns (declare `attributes`)"
            }
            DefaultView::HelpdeskRecord => {
                "every column of the ticket's (or user's) own table: UNDERSTATES, as the ticket page and API show the requester's name, email and phone, which are columns of the customers table"
            }
            DefaultView::AuditRecord => "every column of the record's table: OVERSTATES when the screen showed fewer fields",
            DefaultView::RoutePage => "every column of the captured table: OVERSTATES when the page shows fewer fields, UNDERSTATES when it shows other tables' fields",
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
    /// Where `fields` come from.
    pub from: FieldsFrom,
}

impl RecordAccess {
    /// Records the request named by key.
    pub fn named(table: TableId, keys: Vec<String>, fields: Vec<FieldId>) -> Self {
        RecordAccess { table, keys, fields, unknown_fields: Vec::new(), grade: Grade::Named, from: FieldsFrom::Given }
    }

    /// Records named by key, shown by a view whose fields come from `from`.
    pub fn viewed(table: TableId, keys: Vec<String>, (fields, from): (Vec<FieldId>, FieldsFrom)) -> Self {
        RecordAccess { from, ..RecordAccess::named(table, keys, fields) }
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
    WholeTable { tables: Vec<TableId>, fields: Vec<FieldId>, statement: String, from: FieldsFrom },
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Where the fields come from (a MongoDB filter without a projection: an assumption).
    pub from: FieldsFrom,
}
