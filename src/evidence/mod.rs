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

use crate::evidence::access::Access;
use crate::evidence::interpreter::Interpreter;
use crate::ingest::event::Payload;

// The interpreters of each kind of evidence use `Interpreter`'s lookups, and this dispatch uses them: it is
// kept here, apart from the struct, so that no file imports a file that imports it.
impl Interpreter<'_> {
    /// What the event exposes; one entry per statement where a log line holds several.
    pub fn interpret(&self, payload: &Payload) -> Vec<Access> {
        match payload {
            Payload::Http { method, target, status } => vec![route::interpret(self, method, target, *status)],
            Payload::Sql { statement, parameters, class, rows, .. } => sql::interpret(self, statement, parameters, class.as_deref(), *rows),
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
        }
    }
}
