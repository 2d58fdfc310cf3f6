//! A part's every-account activity (`scan --all-accounts`, for `suspects --parts` and `profile --parts`):
//! `<part>.activity.parquet` holds one row per account and touched record (`account`, `table`, `key`,
//! `first` time, `months` touched as `YYYY-MM` list), the part's JSON the per-account month statistics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use polars::prelude::{Column, DataFrame};
use polars_io::prelude::{ParquetReader, ParquetWriter};
use polars_io::SerReader;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::insider::activity::{Activity, AllActivity, KeyTouch, Month, MonthStats};
use crate::read::timefmt::format_utc;
use crate::stages::collect::FileCounts;

/// One account's activity but for its touched records.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccountSummary {
    pub months: BTreeMap<Month, MonthStats>,
    pub whole_table_reads: u64,
    pub unresolved_queries: u64,
}

/// What the part's JSON holds of the activity.
#[derive(Debug, Serialize, Deserialize)]
pub struct ActivityPart {
    /// The Parquet file beside the JSON, and its rows.
    pub events: String,
    pub rows: u64,
    pub accounts: BTreeMap<String, AccountSummary>,
    pub counts: Option<FileCounts>,
    pub rejected: u64,
}

/// Writes the touched records of `all` (one file's) as Parquet to `out`; returns the JSON's part.
pub fn write(case: &Case, all: AllActivity, events: &str, out: &mut dyn std::io::Write, path: &Path) -> Result<ActivityPart> {
    let (mut account_col, mut table_col, mut key_col, mut first_col, mut months_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut accounts = BTreeMap::new();
    for (account, activity) in all.accounts {
        for (table, touched) in activity.touched.iter().enumerate() {
            let mut keys: Vec<(&String, &KeyTouch)> = touched.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            for (key, touch) in keys {
                account_col.push(account.clone());
                table_col.push(case.schema.tables[table].name.clone());
                key_col.push(key.clone());
                first_col.push(format_utc(&touch.first));
                months_col.push(touch.months.iter().map(|m| crate::insider::activity::month_label(*m)).collect::<Vec<_>>().join(" "));
            }
        }
        accounts.insert(account, AccountSummary { months: activity.months, whole_table_reads: activity.whole_table_reads, unresolved_queries: activity.unresolved_queries });
    }
    let rows = account_col.len() as u64;
    let failed = |e: polars::prelude::PolarsError| Error::input(path, format!("cannot write the part's activity as Parquet: {}", crate::read::parquet::one_line(e)));
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("account".into(), account_col),
        Column::new("table".into(), table_col),
        Column::new("key".into(), key_col),
        Column::new("first".into(), first_col),
        Column::new("months".into(), months_col),
    ])
    .map_err(failed)?;
    ParquetWriter::new(out).finish(&mut frame).map_err(failed)?;
    Ok(ActivityPart { events: events.to_string(), rows, accounts, counts: all.files.into_iter().next(), rejected: all.rejected })
}

/// Reads a part's activity back.
pub fn read(case: &Case, part: ActivityPart, path: &Path) -> Result<AllActivity> {
    let bad = |m: String| Error::input(path, format!("not a breachscope part's activity table ({m}): scan the file again with --all-accounts"));
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let frame = ParquetReader::new(file).finish().map_err(|e| bad(crate::read::parquet::one_line(e)))?;
    let column = |name: &str| -> Result<Vec<String>> {
        let c = frame.column(name).map_err(|e| bad(crate::read::parquet::one_line(e)))?;
        let c = c.str().map_err(|e| bad(crate::read::parquet::one_line(e)))?;
        c.iter().enumerate().map(|(i, v)| v.map(str::to_string).ok_or_else(|| bad(format!("row {} has no {name}", i + 1)))).collect()
    };
    let (accounts_col, tables, keys, firsts, months) = (column("account")?, column("table")?, column("key")?, column("first")?, column("months")?);
    let table_ids: HashMap<&str, usize> = case.schema.tables.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let n = case.schema.tables.len();
    let mut out = AllActivity { files: part.counts.into_iter().collect(), rejected: part.rejected, ..Default::default() };
    for (account, summary) in part.accounts {
        let mut a = Activity::new(&account, n);
        a.months = summary.months;
        a.whole_table_reads = summary.whole_table_reads;
        a.unresolved_queries = summary.unresolved_queries;
        out.accounts.insert(account, a);
    }
    for i in 0..accounts_col.len() {
        let table = *table_ids.get(tables[i].as_str()).ok_or_else(|| bad(format!("row {}: no case table {}", i + 1, tables[i])))?;
        let first = chrono::DateTime::parse_from_rfc3339(&firsts[i]).map_err(|e| bad(format!("row {}: {e}", i + 1)))?.with_timezone(&chrono::Utc);
        let mut set = BTreeSet::new();
        for m in months[i].split_whitespace() {
            let (y, mo) = m.split_once('-').ok_or_else(|| bad(format!("row {}: month {m}", i + 1)))?;
            let (y, mo): (u32, u32) = (y.parse().map_err(|_| bad(format!("row {}: month {m}", i + 1)))?, mo.parse().map_err(|_| bad(format!("row {}: month {m}", i + 1)))?);
            set.insert(y * 12 + mo - 1);
        }
        let activity = out.accounts.entry(accounts_col[i].clone()).or_insert_with(|| Activity::new(&accounts_col[i], n));
        activity.touched[table].insert(keys[i].clone(), KeyTouch { first, months: set });
    }
    if accounts_col.len() as u64 != part.rows {
        return Err(bad(format!("{} rows, its part says {}", accounts_col.len(), part.rows)));
    }
    Ok(out)
}
