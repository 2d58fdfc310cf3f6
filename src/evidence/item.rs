//! Key-value item reads (DynamoDB): the key attributes of `GetItem`/`BatchGetItem`/`TransactGetItems`/`Query`
//! name records when an attribute is the case table's key (or a linked table's customer column); `Scan` reads the
//! whole table (unless a `Limit` or filter makes which items unknown). `ProjectionExpression` gives the fields.

use std::collections::BTreeMap;

use super::{Access, Interpreter, RecordAccess};
use crate::case::{TableId, CUSTOMERS};
use crate::ingest::{ItemReadKind, ItemRequest};

pub fn interpret(it: &Interpreter<'_>, operation: &str, requests: &[ItemRequest]) -> Vec<Access> {
    requests.iter().map(|r| request(it, operation, r)).collect()
}

fn request(it: &Interpreter<'_>, operation: &str, r: &ItemRequest) -> Access {
    let Some(table) = it.table(&r.table) else {
        return Access::Nothing("table is not a case table".into());
    };
    let spec = &it.schema.tables[table];
    let (fields, unknown_fields) = match &r.projection {
        Some(names) => it.columns(table, names),
        None => (spec.fields().collect(), Vec::new()),
    };
    let statement = format!("DynamoDB {operation} {}{}", r.table, describe_keys(&r.keys));
    match r.kind {
        ItemReadKind::Scan if r.filtered => {
            Access::Unresolved { statement, reason: "Scan with a filter: which items matched is not logged".into(), fields: Some(fields) }
        }
        ItemReadKind::Scan if r.limited => {
            Access::Unresolved { statement, reason: "Scan with a Limit: which items came back is not known".into(), fields: Some(fields) }
        }
        ItemReadKind::Scan => Access::WholeTable { tables: vec![table], fields, statement },
        ItemReadKind::Get | ItemReadKind::Query => {
            if r.keys.is_empty() {
                let reason = r.unreadable.clone().unwrap_or_else(|| "no key logged".into());
                return Access::Unresolved { statement, reason, fields: Some(fields) };
            }
            let mut by_target: BTreeMap<TableId, Vec<String>> = BTreeMap::new();
            for key in &r.keys {
                match key.iter().find_map(|(attr, value)| target(it, table, attr).map(|t| (t, value))) {
                    Some((t, value)) => by_target.entry(t).or_default().push(value.clone()),
                    None => {
                        let attrs: Vec<&str> = key.keys().map(String::as_str).collect();
                        let reason = format!("key attribute(s) {} are not the key of table {}", attrs.join(", "), spec.name);
                        return Access::Unresolved { statement, reason, fields: Some(fields) };
                    }
                }
            }
            Access::Records(
                by_target
                    .into_iter()
                    .map(|(t, keys)| RecordAccess { unknown_fields: unknown_fields.clone(), ..RecordAccess::named(t, keys, fields.clone()) })
                    .collect(),
            )
        }
    }
}

/// The case table a key attribute identifies: the table's own key, or (linked table) its customer column.
fn target(it: &Interpreter<'_>, table: TableId, attr: &str) -> Option<TableId> {
    let spec = &it.schema.tables[table];
    let f = it.column(table, attr)?;
    if f == spec.field(spec.key_index) {
        Some(table)
    } else if spec.customer_column.as_ref().is_some_and(|(_, c)| spec.field(*c) == f) {
        Some(CUSTOMERS)
    } else {
        None
    }
}

fn describe_keys(keys: &[BTreeMap<String, String>]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let shown: Vec<String> =
        keys.iter().take(5).map(|k| k.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(",")).collect();
    let more = if keys.len() > 5 { format!(" …(+{})", keys.len() - 5) } else { String::new() };
    format!(" key {}{more}", shown.join("; "))
}
