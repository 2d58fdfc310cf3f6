//! Warehouse access records that list the columns a query read per table (Snowflake ACCESS_HISTORY): the columns
//! decide the exposed fields; the query text, where joined (QUERY_HISTORY), decides the rows by the SQL rules (key
//! predicates named, key-less filters replayed). Without the text the rows are unresolved, with the columns known.

use std::collections::BTreeSet;

use crate::case::schema::{FieldId, TableId};
use crate::evidence::access::Access;
use crate::evidence::interpreter::Interpreter;
use crate::evidence::sql;
use crate::ingest::event::{Parameters, StatementText};

pub fn interpret(
    it: &Interpreter<'_>,
    query_id: &str,
    query: Option<&str>,
    objects: &[(String, Vec<String>)],
    rows: Option<u64>,
    dialect: sql::SqlDialect,
) -> Vec<Access> {
    let mut mapped: Vec<(TableId, Vec<FieldId>)> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut other: Vec<String> = Vec::new();
    for (name, columns) in objects {
        let Some(t) = it.table(name) else {
            other.push(name.clone());
            continue;
        };
        let spec = &it.schema.tables[t];
        let mut fields = Vec::new();
        for c in columns {
            match spec.file.columns.iter().position(|x| x.eq_ignore_ascii_case(c)) {
                Some(i) => fields.push(spec.field(i)),
                None => unknown.push(format!("{}.{c}", spec.name)),
            }
        }
        match mapped.iter_mut().find(|(m, _)| *m == t) {
            Some((_, f)) => f.extend(fields),
            None => mapped.push((t, fields)),
        }
    }
    if mapped.is_empty() {
        return vec![if other.is_empty() { Access::Nothing("reads no table".into()) } else { Access::OtherTables(other) }];
    }
    let fields: Vec<FieldId> = mapped.iter().flat_map(|(_, f)| f.iter().copied()).collect::<BTreeSet<_>>().into_iter().collect();
    if fields.is_empty() && unknown.is_empty() {
        return vec![Access::Nothing("reads no column of the case's tables (the access record lists none)".into())];
    }
    let names: Vec<&str> = objects.iter().map(|(n, _)| n.as_str()).collect();
    let Some(query) = query else {
        return vec![Access::Unresolved {
            statement: format!("query {query_id} on {}", names.join(", ")),
            reason: match dialect {
                sql::SqlDialect::BigQuery => "the entry names the fields read, not the rows, and the job's query text is not in the file: export the job's jobInsertion/jobChange entries with its reads (same time range, all data access entries)".into(),
                _ => "the access record names the columns read, not the rows, and the query text is not at hand: give the log `query_history` (a QUERY_HISTORY export holding this QUERY_ID) so the query's filter is read".into(),
            },
            fields: Some(fields),
        }];
    };
    let accesses = sql::interpret(it, &StatementText::Logged(query.to_string()), &Parameters::None, None, rows, dialect);
    accesses.into_iter().map(|a| with_columns(a, query, &mapped, &fields, &unknown)).collect()
}

/// The access the query text gave, with the fields the access record listed.
fn with_columns(access: Access, query: &str, mapped: &[(TableId, Vec<FieldId>)], fields: &[FieldId], unknown: &[String]) -> Access {
    match access {
        Access::Records(records) => Access::Records(
            records
                .into_iter()
                .map(|mut r| {
                    r.fields = fields.to_vec();
                    r.unknown_fields.extend(unknown.iter().cloned());
                    r
                })
                .collect(),
        ),
        Access::WholeTable { tables, statement, from, .. } => Access::WholeTable { tables, fields: fields.to_vec(), statement, from },
        Access::Replay(mut q) => {
            q.outputs = q
                .outputs
                .into_iter()
                .filter_map(|(t, _)| mapped.iter().find(|(m, f)| *m == t && !f.is_empty()).map(|(_, f)| (t, f.clone())))
                .collect();
            if q.outputs.is_empty() {
                return Access::Unresolved {
                    statement: query.to_string(),
                    reason: "the columns read belong to tables whose rows the query's filter does not select".into(),
                    fields: Some(fields.to_vec()),
                };
            }
            q.fields = fields.to_vec();
            Access::Replay(q)
        }
        Access::Unresolved { statement, reason, .. } => Access::Unresolved { statement, reason, fields: Some(fields.to_vec()) },
        // The text reads views or names the access record resolves to case tables: which rows is not known.
        Access::OtherTables(names) => Access::Unresolved {
            statement: query.to_string(),
            reason: format!("the query reads {}, over the case's tables: which of their rows is not known", names.join(", ")),
            fields: Some(fields.to_vec()),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::interpreter::testing;

    fn run(query: Option<&str>, objects: &[(&str, &[&str])]) -> Vec<Access> {
        let schema = testing::schema();
        let log = testing::log();
        let it = Interpreter::new(&schema, &log);
        let objects: Vec<(String, Vec<String>)> = objects.iter().map(|(t, c)| (t.to_string(), c.iter().map(|c| c.to_string()).collect())).collect();
        interpret(&it, "01a", query, &objects, None, sql::SqlDialect::Snowflake)
    }

    #[test]
    fn the_columns_decide_the_fields_and_the_text_the_rows() {
        let schema = testing::schema();
        let names = |f: &[FieldId]| f.iter().map(|f| schema.field_names[*f].clone()).collect::<Vec<_>>();
        // SELECT * but the access record lists EMAIL only: email is what was read.
        let a = run(Some("SELECT * FROM CRM.PUBLIC.CUSTOMERS WHERE CUSTOMER_ID = 'C1'"), &[("CRM.PUBLIC.CUSTOMERS", &["EMAIL", "CUSTOMER_ID", "SECRET"])]);
        let Access::Records(r) = &a[0] else { panic!("{a:?}") };
        assert_eq!((r[0].keys.clone(), names(&r[0].fields)), (vec!["C1".to_string()], vec!["customers.customer_id".to_string(), "customers.email".to_string()]));
        assert_eq!(r[0].unknown_fields, ["customers.SECRET"]);
        // Without the text: unresolved, the columns known.
        let a = run(None, &[("CRM.PUBLIC.CUSTOMERS", &["EMAIL"])]);
        assert!(matches!(&a[0], Access::Unresolved { reason, fields: Some(f), .. } if reason.contains("query_history") && names(f) == ["customers.email"]), "{a:?}");
        // A view over the table: rows unknown.
        let a = run(Some("SELECT * FROM CRM.PUBLIC.VIP_VIEW WHERE TIER = 'gold'"), &[("CRM.PUBLIC.CUSTOMERS", &["EMAIL"])]);
        assert!(matches!(&a[0], Access::Unresolved { reason, .. } if reason.contains("VIP_VIEW")), "{a:?}");
        // Another database's table only.
        assert!(matches!(&run(None, &[("HR.PUBLIC.STAFF", &["NAME"])])[0], Access::OtherTables(_)));
    }
}
