//! Audit-export rows that name a table and a record (`entity`, `entity_id`, `fields_viewed`).

use crate::evidence::access::{Access, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::CUSTOMERS;

pub fn interpret(it: &Interpreter<'_>, table: Option<&str>, record: Option<&str>, fields: Option<&str>) -> Access {
    let Some(record) = record else {
        return Access::Nothing("no record named".into());
    };
    let table_id = match table {
        Some(name) => match it.table(name) {
            Some(id) => id,
            None => return Access::OtherTables(vec![name.to_string()]),
        },
        None => CUSTOMERS,
    };
    let spec = &it.schema.tables[table_id];
    let mut ids = Vec::new();
    let mut unknown_fields = Vec::new();
    if let Some(list) = fields {
        for name in list.split(['|', ';', ',', ' ', '\t', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            let id = if name.contains('.') {
                it.schema.field(name).or_else(|| {
                    let (t, c) = name.rsplit_once('.')?;
                    it.table(t).and_then(|t| it.schema.tables[t].field_of(c))
                })
            } else {
                spec.field_of(name).or_else(|| {
                    spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| spec.field(i))
                })
            };
            match id {
                Some(id) => ids.push(id),
                None => unknown_fields.push(name.to_string()),
            }
        }
    }
    if ids.is_empty() && unknown_fields.is_empty() {
        // A record view that does not say which fields it showed: all of the record's columns.
        ids = spec.fields().collect();
    }
    ids.sort_unstable();
    ids.dedup();
    // One cell may name several records: `C1|C2` or `C1; C2`.
    let keys: Vec<String> = record.split(['|', ';']).map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect();
    if keys.is_empty() {
        return Access::Nothing("no record named".into());
    }
    Access::Records(vec![RecordAccess { unknown_fields, ..RecordAccess::named(table_id, keys, ids) }])
}
