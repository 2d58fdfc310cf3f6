//! Key-value item reads (DynamoDB): the key attributes of `GetItem`/`BatchGetItem`/`TransactGetItems`/`Query`
//! name records when an attribute is the case table's key (or a linked table's customer column); `Scan` reads the
//! whole table (unless a `Limit` or filter makes which items unknown). `ProjectionExpression` gives the fields.

use std::collections::BTreeMap;

use crate::evidence::access::{Access, DefaultView, FieldsFrom, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::TableId;
use crate::ingest::event::{ItemReadKind, ItemRequest};

/// One access per table of the request; the tables whose items cannot be named (no key logged) are one
/// unresolved access for the event, not one per table.
pub fn interpret(it: &Interpreter<'_>, operation: &str, requests: &[ItemRequest]) -> Vec<Access> {
    let mut out = Vec::new();
    // The tables whose items cannot be named, the reasons, and the columns returned (`None`: unknown).
    type Unnamed = (Vec<String>, Vec<String>, Option<Vec<crate::case::schema::FieldId>>);
    let mut unresolved: Option<Unnamed> = None;
    for (r, access) in requests.iter().map(|r| (r, request(it, operation, r))) {
        match access {
            Access::Unresolved { reason, fields, .. } if r.keys.is_empty() && matches!(r.kind, ItemReadKind::Get | ItemReadKind::Query) => {
                let (tables, reasons, all_fields) = unresolved.get_or_insert_with(|| (Vec::new(), Vec::new(), Some(Vec::new())));
                if !tables.contains(&r.table) {
                    tables.push(r.table.clone());
                }
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
                *all_fields = match (all_fields.take(), fields) {
                    (Some(mut a), Some(b)) => {
                        a.extend(b);
                        a.sort_unstable();
                        a.dedup();
                        Some(a)
                    }
                    _ => None,
                };
            }
            other => out.push(other),
        }
    }
    if let Some((tables, reasons, fields)) = unresolved {
        out.push(Access::Unresolved { statement: format!("DynamoDB {operation} {}", tables.join(", ")), reason: reasons.join("; "), fields });
    }
    out
}

fn request(it: &Interpreter<'_>, operation: &str, r: &ItemRequest) -> Access {
    let Some(table) = it.table(&r.table) else {
        return Access::OtherTables(vec![r.table.clone()]);
    };
    let spec = &it.schema.tables[table];
    // Without a projection a read returns whole items: what the case declares such a read shows, or the
    // attributes the store keeps, else every column of the table (an assumption).
    let (fields, unknown_fields, from) = match &r.projection {
        Some(names) => {
            let (fields, unknown) = it.columns(table, names);
            (fields, unknown, FieldsFrom::Given)
        }
        None => {
            let (fields, from) = it.view(table, &[r.table.as_str()], operation, DefaultView::StoredItem);
            (fields, Vec::new(), from)
        }
    };
    let statement = format!("DynamoDB {operation} {}{}", r.table, describe_keys(&r.keys));
    if r.count_only {
        return Access::Aggregate;
    }
    match r.kind {
        ItemReadKind::Scan if r.filtered => {
            Access::Unresolved { statement, reason: "Scan with a filter: which items matched is not logged".into(), fields: Some(fields) }
        }
        ItemReadKind::Scan if r.limited => {
            Access::Unresolved { statement, reason: "Scan with a Limit: which items came back is not known".into(), fields: Some(fields) }
        }
        ItemReadKind::Scan => Access::WholeTable { tables: vec![table], fields, statement, from },
        ItemReadKind::Get | ItemReadKind::Query => {
            if r.keys.is_empty() {
                let reason = r.unreadable.clone().unwrap_or_else(|| "no key logged".into());
                return Access::Unresolved { statement, reason, fields: Some(fields) };
            }
            let mut by_target: BTreeMap<TableId, Vec<String>> = BTreeMap::new();
            for key in &r.keys {
                match key.iter().find_map(|(attr, value)| it.key_owner(table, attr).map(|t| (t, value))) {
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
                    .map(|(t, keys)| RecordAccess { unknown_fields: unknown_fields.clone(), from: from.clone(), ..RecordAccess::named(t, keys, fields.clone()) })
                    .collect(),
            )
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::schema::CUSTOMERS;
    use crate::evidence::interpreter::testing;

    fn req(table: &str, kind: ItemReadKind, keys: &[(&str, &str)], projection: Option<&[&str]>) -> ItemRequest {
        ItemRequest {
            table: table.into(),
            kind,
            keys: keys.iter().map(|(a, v)| BTreeMap::from([(a.to_string(), v.to_string())])).collect(),
            projection: projection.map(|p| p.iter().map(|s| s.to_string()).collect()),
            limited: false,
            filtered: false,
            count_only: false,
            unreadable: None,
        }
    }

    #[test]
    fn keys_projection_scan_and_foreign_keys() {
        let schema = testing::schema();
        let mut log = testing::log();
        log.table_names.insert("CustomerTable".to_string(), 0);
        let it = Interpreter::new(&schema, &log);
        let a = interpret(&it, "BatchGetItem", &[req("CustomerTable", ItemReadKind::Get, &[("customer_id", "C1"), ("customer_id", "C2")], Some(&["email", "nickname"]))]);
        let Access::Records(r) = &a[0] else { panic!("{a:?}") };
        assert_eq!((r[0].table, r[0].keys.clone(), r[0].fields.clone(), r[0].unknown_fields.clone()), (0, vec!["C1".into(), "C2".into()], vec![2], vec!["nickname".into()]));
        let a = interpret(&it, "Query", &[req("tickets", ItemReadKind::Query, &[("customer_id", "C3")], None)]);
        assert!(matches!(&a[0], Access::Records(r) if r[0].table == CUSTOMERS && r[0].keys == ["C3"]));
        let a = interpret(&it, "Query", &[req("tickets", ItemReadKind::Query, &[("subject", "x")], None)]);
        assert!(matches!(&a[0], Access::Unresolved { reason, .. } if reason.contains("not the key")));
        assert!(matches!(&interpret(&it, "Scan", &[req("customers", ItemReadKind::Scan, &[], None)])[0], Access::WholeTable { .. }));
        let limited = ItemRequest { limited: true, ..req("customers", ItemReadKind::Scan, &[], None) };
        assert!(matches!(&interpret(&it, "Scan", &[limited])[0], Access::Unresolved { .. }));
        let counted = ItemRequest { count_only: true, ..req("customers", ItemReadKind::Query, &[("customer_id", "C1")], None) };
        assert_eq!(interpret(&it, "Query", &[counted]), [Access::Aggregate]);
        assert_eq!(interpret(&it, "GetItem", &[req("other", ItemReadKind::Get, &[("id", "1")], None)]), [Access::OtherTables(vec!["other".into()])]);
    }

    #[test]
    fn an_event_that_logged_no_key_is_one_unresolved_access() {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        let a = interpret(
            &it,
            "BatchGetItem",
            &[
                req("customers", ItemReadKind::Get, &[], Some(&["email"])),
                req("tickets", ItemReadKind::Get, &[], Some(&["subject"])),
                req("customers", ItemReadKind::Get, &[("customer_id", "C9")], None),
            ],
        );
        assert_eq!(a.len(), 2, "{a:?}");
        assert!(matches!(&a[0], Access::Records(r) if r[0].keys == ["C9"]));
        match &a[1] {
            Access::Unresolved { statement, reason, fields: Some(fields) } => {
                assert_eq!(statement, "DynamoDB BatchGetItem customers, tickets");
                assert_eq!(reason, "no key logged");
                assert_eq!(fields, &[2, 8]);
            }
            other => panic!("{other:?}"),
        }
    }
}
