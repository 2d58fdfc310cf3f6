//! The replay stage (after collect; the order is in `analysis`): queries whose filter names no key are re-run against the
//! case's tables with polars' SQL engine, and whole-table reads are sized (and, with
//! `table_access = "include"`, listed). Tables are read with the same CSV reader as everywhere else and
//! loaded as text (empty cells as NULL), only the columns the queries need.
//!
//! The tables are the export as it stands, not the database at the time of the query: where the log gives a
//! row count, a different count is reported as a mismatch (the table may have changed since).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::{Column, DataFrame, IntoLazy};
use polars::sql::SQLContext;
use serde::Serialize;

use crate::case::Case;

use crate::case::settings::TableAccessPolicy;

use crate::case::schema::TableId;
use crate::stages::collect::{Collected, UnresolvedQuery};
use crate::error::{Error, Result};
use crate::evidence::access::Grade;
use crate::stages::origin::EventOrigin;

/// A replayed query and what it selected.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayedQuery {
    #[serde(flatten)]
    pub origin: EventOrigin,
    pub statement: String,
    /// Rows the replay selected.
    pub rows_selected: u64,
    /// Distinct records per table.
    pub records: BTreeMap<String, u64>,
    /// Rows the log says the statement returned, where it says.
    pub logged_rows: Option<u64>,
    /// True when the log's row count differs from the replay's (the table may have changed since).
    pub rows_mismatch: bool,
}

/// Runs all pending replays and sizes whole-table reads. Failed replays become unresolved queries.
pub fn run(case: &Case, collected: &mut Collected) -> Result<Vec<ReplayedQuery>> {
    size_table_reads(case, collected)?;
    if collected.replays.is_empty() {
        return Ok(Vec::new());
    }
    let schema = &case.schema;
    let mut columns: BTreeMap<TableId, BTreeSet<usize>> = BTreeMap::new();
    for p in &collected.replays {
        for (t, c) in &p.query.columns {
            columns.entry(*t).or_default().insert(*c);
        }
    }
    let mut ctx = SQLContext::new();
    for (table, cols) in &columns {
        let frame = load(case, *table, cols)?;
        ctx.register(&schema.tables[*table].name, frame.lazy());
    }

    let mut results: HashMap<String, std::result::Result<Vec<Vec<Option<String>>>, String>> = HashMap::new();
    let pending = std::mem::take(&mut collected.replays);
    let mut out = Vec::with_capacity(pending.len());
    for p in pending {
        let result = results.entry(p.query.sql.clone()).or_insert_with(|| execute(&mut ctx, &p.query.sql, p.query.outputs.len()));
        match result {
            Ok(key_columns) => {
                let rows_selected = key_columns.first().map(|c| c.len()).unwrap_or(0) as u64;
                let mut records = BTreeMap::new();
                for ((table, fields), keys) in p.query.outputs.iter().zip(key_columns.iter()) {
                    let keys: BTreeSet<String> = keys.iter().flatten().cloned().collect();
                    let keys: Vec<String> = keys.into_iter().collect();
                    records.insert(schema.tables[*table].name.clone(), keys.len() as u64);
                    collected.touch_viewed(*table, &keys, fields, p.query.from.is_assumed(), Grade::Replayed, p.origin.time, p.origin.source_index);
                }
                out.push(ReplayedQuery {
                    origin: p.origin,
                    statement: p.query.statement,
                    rows_selected,
                    records,
                    logged_rows: p.query.logged_rows,
                    rows_mismatch: p.query.logged_rows.is_some_and(|n| n != rows_selected),
                });
            }
            Err(reason) => {
                let names: Vec<String> = p.query.fields.iter().map(|f| schema.field_names[*f].clone()).collect();
                let query = UnresolvedQuery {
                    origin: p.origin,
                    statement: p.query.statement,
                    reason: format!("the filter could not be replayed: {reason}"),
                    fields: Some(names),
                };
                collected.add_unresolved(query, Some(&p.query.fields));
            }
        }
    }
    out.sort_by(|a, b| a.origin.place().cmp(&b.origin.place()));
    Ok(out)
}

fn execute(ctx: &mut SQLContext, sql: &str, outputs: usize) -> std::result::Result<Vec<Vec<Option<String>>>, String> {
    let frame = ctx.execute(sql).and_then(|lf| lf.collect()).map_err(|e| e.to_string())?;
    let mut columns = Vec::with_capacity(outputs);
    for i in 0..outputs {
        let column = frame.column(&format!("__key{i}")).map_err(|e| e.to_string())?;
        let values = column.str().map_err(|e| e.to_string())?;
        columns.push(values.iter().map(|v| v.map(str::to_string)).collect());
    }
    Ok(columns)
}

/// The table's chosen columns as text (empty cells are NULL).
fn load(case: &Case, table: TableId, columns: &BTreeSet<usize>) -> Result<DataFrame> {
    let spec = &case.schema.tables[table];
    let mut values: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
    spec.file.for_each_row(|_, row| {
        for (slot, c) in columns.iter().enumerate() {
            let v = &row[*c];
            values[slot].push(if v.is_empty() { None } else { Some(v.to_string()) });
        }
        Ok(())
    })?;
    let cols: Vec<Column> = columns.iter().zip(values).map(|(c, v)| Column::new(spec.file.columns[*c].as_str().into(), v)).collect();
    DataFrame::new_infer_height(cols).map_err(|e| Error::input(&spec.file.path, format!("cannot load the table for replay: {e}")))
}

/// Row counts for whole-table reads; with `table_access = "include"` every row is touched (grade `table`),
/// otherwise the read's columns count as possibly exposed.
fn size_table_reads(case: &Case, collected: &mut Collected) -> Result<()> {
    if collected.table_accesses.is_empty() {
        return Ok(());
    }
    let tables: BTreeSet<TableId> = collected.table_accesses.iter().flat_map(|a| a.table_ids.iter().copied()).collect();
    let mut keys: BTreeMap<TableId, Vec<String>> = BTreeMap::new();
    for t in tables {
        let spec = &case.schema.tables[t];
        let mut list = Vec::new();
        spec.file.for_each_row(|_, row| {
            list.push(row[spec.key_index].to_string());
            Ok(())
        })?;
        keys.insert(t, list);
    }
    let accesses = std::mem::take(&mut collected.table_accesses);
    for mut access in accesses {
        for t in &access.table_ids {
            access.rows.insert(case.schema.tables[*t].name.clone(), keys[t].len() as u64);
        }
        match case.table_access {
            TableAccessPolicy::Include => {
                let time = access.origin.time;
                for t in &access.table_ids {
                    let own: Vec<usize> = access.field_ids.iter().copied().filter(|f| case.schema.tables[*t].fields().contains(f)).collect();
                    collected.touch_viewed(*t, &keys[t], &own, access.fields_assumed, Grade::Table, time, access.origin.source_index);
                }
            }
            TableAccessPolicy::Report => access.field_ids.iter().for_each(|f| collected.possibly_exposed.insert(*f)),
        }
        collected.table_accesses.push(access);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::testing;

    #[test]
    fn a_query_naming_no_key_is_rerun_on_the_table_and_touches_what_it_selects() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let query = testing::replay_query(&case, "SELECT full_name, email FROM customers WHERE country = 'US'");
        collected.replays.push(crate::stages::collect::PendingReplay { query, origin: testing::origin(7, "2019-06-04T09:00:00Z") });
        let replayed = run(&case, &mut collected).unwrap();

        assert_eq!(replayed.len(), 1);
        assert_eq!(replayed[0].rows_selected, 2);
        assert_eq!(replayed[0].origin.line, 7);
        let mut keys: Vec<&String> = collected.touched[0].keys().collect();
        keys.sort();
        assert_eq!(keys, vec!["C1", "C2"], "C3 is in GB");
        assert_eq!(collected.touched[0]["C1"].grade, Grade::Replayed);
        assert!(collected.unresolved_queries.is_empty());
    }

    #[test]
    fn a_query_that_cannot_be_replayed_becomes_unresolved_with_its_fields() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let query = testing::replay_query(&case, "SELECT email FROM customers WHERE email LIKE '%@example.com'");
        collected.replays.push(crate::stages::collect::PendingReplay { query, origin: testing::origin(3, "2019-06-04T09:00:00Z") });
        // A query the engine rejects: the SQL is changed after the evidence stage built it.
        collected.replays[0].query.sql = "SELECT no_such_column AS __key0 FROM customers".into();
        let replayed = run(&case, &mut collected).unwrap();
        assert!(replayed.is_empty());
        assert_eq!(collected.unresolved_queries.len(), 1);
        let q = &collected.unresolved_queries[0];
        assert!(q.reason.starts_with("the filter could not be replayed"), "{}", q.reason);
        assert_eq!(q.fields.as_deref(), Some(&["customers.email".to_string()][..]));
        assert!(collected.possibly_exposed.contains(case.schema.field("customers.email").unwrap()));
    }
}
