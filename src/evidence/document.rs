//! MongoDB reads: which documents a command's filter named and which fields its projection returned.
//!
//! - `_id` (or the table's key field, or a linked table's customer field) compared with `$eq`/a value, or
//!   `$in`, alone or under `$and`/`$or`, names records of the case table mapped from the collection.
//! - An empty filter reads the whole collection (unless a `limit` cuts it: then which documents is unknown).
//! - Any other filter on the collection's columns is replayed against the case table (see `stages::replay`):
//!   field equality, `$eq`/`$ne`/`$gt`/`$gte`/`$lt`/`$lte`, `$in`/`$nin`, `$exists`, `$regex`, `$and`/`$or`/
//!   `$nor`. A field that is not a column, or any other operator, leaves it unresolved with the filter text and
//!   the projected fields.
//! - A projection gives the exposed fields (`{f: 1}` those, `{f: 0}` all but those); none: what the case
//!   declares such a read shows (`[logs.views]`), or the `attributes` the store keeps, else every column (an
//!   assumption, reported).
//! - `count`, and aggregations ending in `$count` or a `$group` on fields that single out no one with counting
//!   accumulators only, expose no record. A `$lookup` reads documents of another collection: unresolved.

use serde_json::Value;

use crate::evidence::access::{Access, DefaultView, FieldsFrom, RecordAccess, ReplayQuery};

use crate::evidence::interpreter::Interpreter;
use crate::case::schema::{FieldId, TableId};

/// Accumulators that return stored values rather than counts.
const VALUE_ACCUMULATORS: [&str; 10] = ["$push", "$addToSet", "$first", "$last", "$min", "$max", "$top", "$bottom", "$mergeObjects", "$topN"];

enum Constraint {
    Keys(TableId, Vec<String>),
    Unconstrained,
}

pub fn interpret(
    it: &Interpreter<'_>,
    command: &str,
    collection: &str,
    filter: &Value,
    projection: Option<&Value>,
    pipeline: Option<&Value>,
    limited: bool,
) -> Vec<Access> {
    let name = collection.split_once('.').map(|(_, c)| c).unwrap_or(collection);
    let Some(table) = it.table(name).or_else(|| it.table(collection)) else {
        return vec![Access::OtherTables(vec![collection.to_string()])];
    };
    if command == "count" {
        return vec![Access::Aggregate];
    }
    let mut out = Vec::new();
    let (mut filter, mut projection, mut limited) = (filter.clone(), projection.cloned(), limited);
    if let Some(stages) = pipeline.and_then(Value::as_array) {
        let mut counted = false;
        for (i, stage) in stages.iter().enumerate() {
            if let Some(m) = stage.get("$match") {
                if i == 0 {
                    filter = m.clone();
                } else if !counted {
                    // A later $match narrows what an earlier stage produced: the rows are not known from it.
                    filter = serde_json::json!({ "$expr": "later $match stage" });
                }
            }
            if let Some(p) = stage.get("$project").filter(|_| !counted && projection.is_none()) {
                projection = Some(p.clone());
            }
            if stage.get("$limit").is_some() || stage.get("$sample").is_some() {
                limited = true;
            }
            if stage.get("$count").is_some() {
                counted = true;
            }
            if let Some(group) = stage.get("$group") {
                if group_is_aggregate(it, table, group) {
                    counted = true;
                }
            }
            if let Some(lookup) = stage.get("$lookup") {
                let from = lookup.get("from").and_then(Value::as_str).unwrap_or_default();
                if let Some(other) = it.table(from) {
                    out.push(Access::Unresolved {
                        statement: format!("{collection} aggregate $lookup from {from}"),
                        reason: "documents joined by $lookup are not named by the log".into(),
                        fields: Some(it.schema.tables[other].fields().collect()),
                    });
                }
            }
        }
        if counted {
            out.push(Access::Aggregate);
            return out;
        }
    }
    let (fields, unknown_fields, from) = projected(it, table, &[name, collection], command, projection.as_ref());
    let statement = match &projection {
        Some(p) => format!("{collection} {command} {filter} projection {p}"),
        None => format!("{collection} {command} {filter}"),
    };
    let empty = filter.as_object().is_some_and(|o| o.is_empty()) || filter.is_null();
    out.push(if empty {
        if limited {
            Access::Unresolved {
                statement,
                reason: "reads a limited number of documents with no filter: which ones is not known".into(),
                fields: Some(fields),
            }
        } else {
            Access::WholeTable { tables: vec![table], fields, statement, from }
        }
    } else {
        match constraint(it, table, &filter) {
            Constraint::Keys(target, keys) => {
                Access::Records(vec![RecordAccess { unknown_fields, from, ..RecordAccess::named(target, keys, fields) }])
            }
            Constraint::Unconstrained if limited => Access::Unresolved {
                statement,
                reason: "a filter with a limit: which documents is not determined".into(),
                fields: Some(fields),
            },
            Constraint::Unconstrained => {
                let mut columns = std::collections::BTreeSet::new();
                match filter_sql(it, table, &filter, &mut columns) {
                    Ok(predicate) => {
                        let spec = &it.schema.tables[table];
                        columns.insert((table, spec.key_index));
                        Access::Replay(ReplayQuery {
                            sql: format!("SELECT t0.{} AS \"__key0\" FROM {} AS t0 WHERE {predicate}", quote_ident(&spec.key), quote_ident(&spec.name)),
                            statement,
                            outputs: vec![(table, fields.clone())],
                            columns,
                            logged_rows: None,
                            fields,
                            from,
                        })
                    }
                    Err(reason) => Access::Unresolved { statement, reason: format!("the filter cannot be replayed: {reason}"), fields: Some(fields) },
                }
            }
        }
    });
    out
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A MongoDB filter as a SQL predicate over the case table `t0` (columns loaded as text).
fn filter_sql(it: &Interpreter<'_>, table: TableId, filter: &Value, columns: &mut std::collections::BTreeSet<(TableId, usize)>) -> Result<String, String> {
    let object = filter.as_object().ok_or("the filter is not a document")?;
    let mut parts = Vec::new();
    for (name, value) in object {
        parts.push(match name.as_str() {
            "$and" | "$or" | "$nor" => {
                let items = value.as_array().filter(|a| !a.is_empty()).ok_or_else(|| format!("{name} needs a list"))?;
                let sub: Vec<String> = items.iter().map(|f| filter_sql(it, table, f, columns)).collect::<Result<_, _>>()?;
                match name.as_str() {
                    "$and" => format!("({})", sub.join(" AND ")),
                    "$or" => format!("({})", sub.join(" OR ")),
                    _ => format!("NOT ({})", sub.join(" OR ")),
                }
            }
            op if op.starts_with('$') => return Err(format!("operator {op}")),
            field => {
                let spec = &it.schema.tables[table];
                let index = spec
                    .file
                    .column_index(field)
                    .or_else(|| spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(field)))
                    .ok_or_else(|| format!("`{field}` is not a column of {}", spec.name))?;
                columns.insert((table, index));
                field_sql(&format!("t0.{}", quote_ident(&spec.file.columns[index])), value)?
            }
        });
    }
    if parts.is_empty() {
        return Err("an empty sub-filter".into());
    }
    Ok(parts.join(" AND "))
}

/// One field's condition: a value (equality) or an operator document.
fn field_sql(column: &str, value: &Value) -> Result<String, String> {
    let compare = |op: &str, v: &Value| -> Result<String, String> {
        match v {
            Value::String(s) => Ok(format!("{column} {op} {}", quote_text(s))),
            Value::Number(n) => Ok(format!("TRY_CAST({column} AS DOUBLE) {op} {n}")),
            Value::Null if op == "=" => Ok(format!("{column} IS NULL")),
            Value::Null if op == "<>" => Ok(format!("{column} IS NOT NULL")),
            other => Err(format!("comparison with {other}")),
        }
    };
    let list = |v: &Value| -> Result<String, String> {
        let items = v.as_array().filter(|a| !a.is_empty()).ok_or("$in/$nin needs a non-empty list")?;
        let any: Vec<String> = items.iter().map(|i| compare("=", i)).collect::<Result<_, _>>()?;
        Ok(format!("({})", any.join(" OR ")))
    };
    let Some(ops) = value.as_object().filter(|o| o.keys().all(|k| k.starts_with('$'))) else {
        return compare("=", value);
    };
    let mut parts = Vec::new();
    for (op, arg) in ops {
        parts.push(match op.as_str() {
            "$eq" => compare("=", arg)?,
            "$ne" => compare("<>", arg)?,
            "$gt" => compare(">", arg)?,
            "$gte" => compare(">=", arg)?,
            "$lt" => compare("<", arg)?,
            "$lte" => compare("<=", arg)?,
            "$in" => list(arg)?,
            "$nin" => format!("NOT {}", list(arg)?),
            "$exists" => match arg.as_bool() {
                Some(true) => format!("{column} IS NOT NULL"),
                Some(false) => format!("{column} IS NULL"),
                None => return Err("$exists needs true or false".into()),
            },
            "$regex" => {
                let pattern = arg.as_str().ok_or("$regex needs a string")?;
                let flags = ops.get("$options").and_then(Value::as_str).unwrap_or("");
                if flags.chars().any(|f| f != 'i') {
                    return Err(format!("$regex options `{flags}`"));
                }
                let flag = if flags.contains('i') { ", 'i'" } else { "" };
                format!("REGEXP_LIKE({column}, {}{flag})", quote_text(pattern))
            }
            "$options" if ops.contains_key("$regex") => continue,
            other => return Err(format!("operator {other}")),
        });
    }
    Ok(format!("({})", parts.join(" AND ")))
}

/// Fields a projection returns (inclusion or exclusion), projected names that are not columns, and where the
/// fields come from. Whole documents (no projection, or all but some fields) are the view the case declares
/// for such a read or the attributes the store keeps, else every column (an assumption).
fn projected(it: &Interpreter<'_>, table: TableId, names: &[&str], command: &str, projection: Option<&Value>) -> (Vec<FieldId>, Vec<String>, FieldsFrom) {
    let (all, whole) = it.view(table, names, command, DefaultView::StoredDocument);
    let Some(p) = projection.and_then(Value::as_object).filter(|p| !p.is_empty()) else { return (all, Vec::new(), whole) };
    let excluded = |v: &Value| matches!(v, Value::Bool(false)) || v.as_f64() == Some(0.0);
    let inclusion = p.iter().any(|(k, v)| k != "_id" && !excluded(v));
    let mut fields = Vec::new();
    let mut unknown = Vec::new();
    if inclusion {
        if !p.get("_id").is_some_and(excluded) {
            fields.push(key_field(it, table));
        }
        for (k, v) in p {
            if k == "_id" || excluded(v) {
                continue;
            }
            match field(it, table, k) {
                Some(f) => fields.push(f),
                None => unknown.push(k.clone()),
            }
        }
    } else {
        let dropped: Vec<FieldId> = p.keys().filter_map(|k| if k == "_id" { Some(key_field(it, table)) } else { field(it, table, k) }).collect();
        fields = all.into_iter().filter(|f| !dropped.contains(f)).collect();
        fields.sort_unstable();
        return (fields, unknown, whole);
    }
    fields.sort_unstable();
    fields.dedup();
    (fields, unknown, FieldsFrom::Given)
}

fn key_field(it: &Interpreter<'_>, table: TableId) -> FieldId {
    let spec = &it.schema.tables[table];
    it.column(table, "_id").unwrap_or(spec.field(spec.key_index))
}

/// A document field → column (`address.city`: the column of that name, else `address`).
fn field(it: &Interpreter<'_>, table: TableId, name: &str) -> Option<FieldId> {
    it.column(table, name).or_else(|| it.column(table, name.split('.').next().unwrap_or(name)))
}

/// The table whose key a filter field holds: `_id` (unless the table has another `_id` column) → the table,
/// else as [`Interpreter::key_owner`].
fn key_target(it: &Interpreter<'_>, table: TableId, name: &str) -> Option<TableId> {
    let spec = &it.schema.tables[table];
    if name == "_id" && it.column(table, "_id").is_none_or(|f| f == spec.field(spec.key_index)) {
        return Some(table);
    }
    it.key_owner(table, name)
}

/// A key value: a string or number, or an extended-JSON wrapper (`$oid`, `$numberLong`...).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) if o.len() == 1 => {
            let (k, inner) = o.iter().next().expect("one entry");
            matches!(k.as_str(), "$oid" | "$numberLong" | "$numberInt" | "$numberDecimal" | "$uuid").then(|| scalar(inner)).flatten()
        }
        _ => None,
    }
}

fn constraint(it: &Interpreter<'_>, table: TableId, filter: &Value) -> Constraint {
    let Some(obj) = filter.as_object() else { return Constraint::Unconstrained };
    let mut result = Constraint::Unconstrained;
    for (k, v) in obj {
        let c = match k.as_str() {
            "$and" => v.as_array().map(|items| items.iter().map(|i| constraint(it, table, i)).fold(Constraint::Unconstrained, and)).unwrap_or(Constraint::Unconstrained),
            "$or" => {
                let parts: Vec<Constraint> = v.as_array().into_iter().flatten().map(|i| constraint(it, table, i)).collect();
                or_all(parts)
            }
            _ if k.starts_with('$') => Constraint::Unconstrained,
            field => match key_target(it, table, field) {
                Some(target) => match value_keys(v) {
                    Some(keys) => Constraint::Keys(target, keys),
                    None => Constraint::Unconstrained,
                },
                None => Constraint::Unconstrained,
            },
        };
        result = and(result, c);
    }
    result
}

/// `v`, `{$eq: v}`, `{$in: [...]}` → the key values.
fn value_keys(v: &Value) -> Option<Vec<String>> {
    if let Some(s) = scalar(v) {
        return Some(vec![s]);
    }
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    if let Some(eq) = o.get("$eq") {
        return scalar(eq).map(|s| vec![s]);
    }
    let list = o.get("$in")?.as_array()?;
    list.iter().map(scalar).collect()
}

fn and(a: Constraint, b: Constraint) -> Constraint {
    match (a, b) {
        (Constraint::Keys(t, ka), Constraint::Keys(u, kb)) if t == u => Constraint::Keys(t, ka.into_iter().filter(|k| kb.contains(k)).collect()),
        (k @ Constraint::Keys(..), _) | (_, k @ Constraint::Keys(..)) => k,
        _ => Constraint::Unconstrained,
    }
}

fn or_all(parts: Vec<Constraint>) -> Constraint {
    let mut table = None;
    let mut keys = Vec::new();
    for p in parts {
        match p {
            Constraint::Keys(t, k) if table.is_none_or(|x| x == t) => {
                table = Some(t);
                keys.extend(k);
            }
            _ => return Constraint::Unconstrained,
        }
    }
    match table {
        Some(t) => Constraint::Keys(t, keys),
        None => Constraint::Unconstrained,
    }
}

/// A `$group` that returns only counts over fields that single out no one.
fn group_is_aggregate(it: &Interpreter<'_>, table: TableId, group: &Value) -> bool {
    let Some(g) = group.as_object() else { return false };
    for (k, v) in g {
        if k == "_id" {
            let mut refs = Vec::new();
            field_refs(v, &mut refs);
            let spec = &it.schema.tables[table];
            let singles_out = refs.iter().any(|r| {
                field(it, table, r).is_some_and(|f| {
                    f == spec.field(spec.key_index) || it.schema.field_classes[f].is_some_and(|c| c.identifies_person())
                }) || r == "_id"
            });
            if singles_out {
                return false;
            }
        } else if v.as_object().is_some_and(|acc| acc.keys().any(|a| VALUE_ACCUMULATORS.contains(&a.as_str()))) {
            return false;
        }
    }
    true
}

/// `"$field"` references inside a group key.
fn field_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with('$') && !s.starts_with("$$") => out.push(s[1..].to_string()),
        Value::Array(items) => items.iter().for_each(|i| field_refs(i, out)),
        Value::Object(o) => o.values().for_each(|i| field_refs(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::schema::CUSTOMERS;
    use crate::evidence::interpreter::testing;
    use serde_json::json;

    fn run(command: &str, ns: &str, filter: Value, projection: Option<Value>, pipeline: Option<Value>) -> Vec<Access> {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        interpret(&it, command, ns, &filter, projection.as_ref(), pipeline.as_ref(), false)
    }

    fn keys(a: &[Access]) -> Vec<(usize, Vec<String>, Vec<usize>)> {
        a.iter()
            .filter_map(|x| if let Access::Records(r) = x { Some(r) } else { None })
            .flatten()
            .map(|r| (r.table, r.keys.clone(), r.fields.clone()))
            .collect()
    }

    #[test]
    fn id_equality_in_and_or_name_records() {
        assert_eq!(keys(&run("find", "crm.customers", json!({"_id": "C1"}), Some(json!({"email": 1})), None)), [(0, vec!["C1".to_string()], vec![0, 2])]);
        assert_eq!(keys(&run("find", "crm.customers", json!({"_id": {"$in": ["C1", "C2"]}}), None, None))[0].1, ["C1", "C2"]);
        let or = run("find", "crm.customers", json!({"$or": [{"_id": "C1"}, {"customer_id": {"$eq": "C3"}}]}), None, None);
        assert_eq!(keys(&or)[0].1, ["C1", "C3"]);
        // AND with a non-key test still names the record; a linked table's customer field names customers.
        assert_eq!(keys(&run("find", "crm.customers", json!({"_id": "C1", "state": "VT"}), None, None))[0].1, ["C1"]);
        assert_eq!(keys(&run("find", "crm.tickets", json!({"customer_id": "C4"}), None, None))[0].0, CUSTOMERS);
        assert_eq!(keys(&run("find", "crm.customers", json!({"_id": {"$oid": "5f1d7a3e"}}), None, None))[0].1, ["5f1d7a3e"]);
    }

    #[test]
    fn empty_other_and_exclusion() {
        assert!(matches!(&run("find", "crm.customers", json!({}), None, None)[0], Access::WholeTable { fields, .. } if fields.len() == 6));
        let a = run("find", "crm.customers", json!({"state": "VT"}), Some(json!({"phone": 0, "_id": 0})), None);
        let Access::Replay(q) = &a[0] else { panic!("{a:?}") };
        assert!(q.statement.contains("{\"state\":\"VT\"}"));
        assert_eq!(q.sql, r#"SELECT t0."customer_id" AS "__key0" FROM "customers" AS t0 WHERE t0."state" = 'VT'"#);
        assert_eq!(q.fields, [1, 2, 4, 5]);
        assert_eq!(run("find", "crm.other", json!({}), None, None)[0], Access::OtherTables(vec!["crm.other".into()]));
    }

    #[test]
    fn other_filters_become_replays_or_say_why_not() {
        let a = run(
            "find",
            "crm.customers",
            json!({"$or": [{"state": {"$in": ["VT", "NH"]}}, {"card_number": {"$gte": 4000}}], "email": {"$regex": "^a", "$options": "i"}, "phone": {"$exists": true}}),
            None,
            None,
        );
        let Access::Replay(q) = &a[0] else { panic!("{a:?}") };
        assert!(q.sql.ends_with(r#"WHERE (((t0."state" = 'VT' OR t0."state" = 'NH')) OR (TRY_CAST(t0."card_number" AS DOUBLE) >= 4000)) AND (REGEXP_LIKE(t0."email", '^a', 'i')) AND (t0."phone" IS NOT NULL)"#), "{}", q.sql);
        for (filter, reason) in [
            (json!({"nickname": "x"}), "`nickname` is not a column"),
            (json!({"$where": "this.a == 1"}), "operator $where"),
            (json!({"state": {"$elemMatch": {"a": 1}}}), "operator $elemMatch"),
            (json!({"state": "O'Brien's"}), ""),
        ] {
            let a = run("find", "crm.customers", filter.clone(), None, None);
            match &a[0] {
                Access::Unresolved { reason: r, .. } => assert!(!reason.is_empty() && r.contains(reason), "{filter}: {r}"),
                Access::Replay(q) => {
                    assert!(reason.is_empty(), "{filter} replayed: {}", q.sql);
                    assert!(q.sql.contains("'O''Brien''s'"), "{}", q.sql);
                }
                other => panic!("{filter}: {other:?}"),
            }
        }
    }

    #[test]
    fn counts_and_groups() {
        assert_eq!(run("count", "crm.customers", json!({"state": "VT"}), None, None), [Access::Aggregate]);
        let by_state = json!([{"$match": {"state": "VT"}}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]);
        assert_eq!(run("aggregate", "crm.customers", json!({}), None, Some(by_state)), [Access::Aggregate]);
        let by_email = json!([{"$group": {"_id": "$email", "n": {"$sum": 1}}}]);
        assert!(matches!(run("aggregate", "crm.customers", json!({}), None, Some(by_email))[0], Access::WholeTable { .. }));
        let matched = json!([{"$match": {"_id": "C9"}}, {"$project": {"phone": 1}}]);
        assert_eq!(keys(&run("aggregate", "crm.customers", json!({}), None, Some(matched))), [(0, vec!["C9".to_string()], vec![0, 3])]);
    }
}
