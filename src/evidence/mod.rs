//! What an access event exposes, decided with the case's tables at hand: which records (by key), which
//! fields, or why no record can be named. One file per kind of evidence; [`access`] holds what they decide,
//! [`interpreter`] the lookups they share, and this file picks the interpreter for an event.

pub mod access;
pub mod document;
pub mod helpdesk;
pub mod interpreter;
pub mod item;
pub mod object;
pub mod record;
pub mod route;
pub mod sql;
pub mod view;
pub mod warehouse;

use crate::evidence::access::Access;
use crate::evidence::interpreter::Interpreter;
use crate::ingest::event::{Format, Payload};

// The interpreters of each kind of evidence use `Interpreter`'s lookups, and this dispatch uses them: it is
// kept here, apart from the struct, so that no file imports a file that imports it.
impl Interpreter<'_> {
    /// What the event exposes; one entry per statement where a log line holds several. SQL is read in the
    /// dialect of the log's declared format (tried in turn when none is declared); see [`Interpreter::interpret_as`].
    pub fn interpret(&self, payload: &Payload) -> Vec<Access> {
        let declared = self.log.format.as_deref().and_then(Format::parse_name);
        self.interpret_as(payload, declared)
    }

    /// As [`Interpreter::interpret`], for an event of a file read in `format` (SQL is parsed in its dialect).
    pub fn interpret_as(&self, payload: &Payload, format: Option<Format>) -> Vec<Access> {
        match payload {
            Payload::Http { method, target, status } => vec![route::interpret(self, method, target, *status)],
            Payload::Sql { statement, parameters, class, rows, .. } => {
                sql::interpret(self, statement, parameters, class.as_deref(), *rows, sql::SqlDialect::of(format))
            }
            Payload::Record { action, table, record, fields } => {
                vec![record::interpret(self, action.as_deref(), table.as_deref(), record.as_deref(), fields.as_deref())]
            }
            Payload::Document { command, collection, filter, projection, pipeline, limited } => {
                document::interpret(self, command, collection, filter, projection.as_ref(), pipeline.as_ref(), *limited)
            }
            Payload::Item { operation, requests } => item::interpret(self, operation, requests),
            Payload::Object { store, container, name, rows } => vec![object::interpret(self, store, container.as_deref(), name, *rows)],
            Payload::RecordView { action, tables, records } => vec![view::record_view(self, action, tables, records)],
            Payload::TableRead { action, tables, rows } => vec![view::table_read(self, action, tables, *rows)],
            Payload::Helpdesk { method, url, status } => vec![helpdesk::interpret(self, method, url, *status)],
            Payload::ColumnRead { query_id, query, objects, rows } => {
                warehouse::interpret(self, query_id, query.as_deref(), objects, *rows, sql::SqlDialect::of(format))
            }
        }
    }
}
