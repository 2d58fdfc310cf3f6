//! Mistakes that must be loud (after the stages; the order is in `analysis`): a run can finish, write a
//! list and say "NOT exposed" while the case is wrong: an actor that appears in no log (a typo), a
//! customers table with no rows or a key column that matches nothing, an actor's records rejected, keys
//! on several rows, field names that are no column. Each is a [`Warning`] with its fix; while any applies,
//! no data class is called "not exposed" ([`block_not_exposed`]), and `--strict` fails the run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case::schema::CUSTOMERS;
use crate::case::Case;
use crate::error::Result;
use crate::read::input::display_path;
use crate::read::near::{nearness, Nearness};
use crate::stages::collect::Collected;
use crate::stages::exposure::ExposureSummary;
use crate::stages::resolve::Resolved;

/// One mistake the run found, what it means and how to fix it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    pub fix: String,
    /// The part of `message` quoting a log record (a rejection's reason), withheld under `--redact`.
    #[serde(skip)]
    pub quoted: Option<String>,
}

impl Warning {
    fn new(code: &'static str, message: String, fix: String) -> Warning {
        Warning { code, message, fix, quoted: None }
    }

    /// The warning without what it quotes from the logs (for `--redact`).
    pub fn redacted(&self) -> Warning {
        let message = match &self.quoted {
            Some(q) => self.message.replace(q.as_str(), "(withheld: --redact)"),
            None => self.message.clone(),
        };
        Warning { message, quoted: None, ..self.clone() }
    }
}

/// The codes, in the order warnings are listed (README "Warnings" explains each).
pub const CODES: [&str; 6] =
    ["actor_not_in_logs", "actor_records_rejected", "customers_table_empty", "keys_match_no_row", "duplicate_customer_keys", "unknown_fields"];

/// How many near matches a warning suggests.
const SUGGESTED: usize = 5;

/// Every warning the stages' results give, in the order of [`CODES`]. Reads a table again only when most
/// keys the logs named match none of its rows (to say which column holds them).
pub fn find(case: &Case, collected: &Collected, resolved: &Resolved) -> Result<Vec<Warning>> {
    let mut out = Vec::new();
    actors_not_in_logs(case, collected, &mut out);
    actor_rejects(case, collected, &mut out);
    tables(case, resolved, &mut out)?;
    duplicates(case, resolved, &mut out);
    unknown_fields(case, collected, &mut out);
    Ok(out)
}

/// The accounts near `actor` the logs hold, closest first, then by records: `k.walsh` (238 records).
pub fn near_matches<'a>(actor: &str, near_accounts: &'a BTreeMap<String, u64>) -> Vec<(&'a str, u64, Nearness)> {
    let mut found: Vec<(&str, u64, Nearness)> =
        near_accounts.iter().filter_map(|(account, n)| nearness(actor, account).map(|how| (account.as_str(), *n, how))).collect();
    found.sort_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
    found
}

fn actors_not_in_logs(case: &Case, collected: &Collected, out: &mut Vec<Warning>) {
    let records: u64 = collected.files.iter().map(|f| f.read).sum();
    for actor in &case.actors {
        if collected.actor_records.contains_key(actor) {
            continue;
        }
        let message = format!(
            "actor `{actor}` appears in no log: none of the {} record(s) read from {} file(s) of {} source(s) is this account's \
             (accounts match exactly, upper/lower case included), so nothing it did can be on the list",
            num(records),
            collected.files.len(),
            case.logs.len()
        );
        let near = near_matches(actor, &collected.near_accounts);
        let fix = if near.is_empty() {
            "check the spelling against the accounts the logs hold (`breachscope inspect FILE` lists them), that the case reads the \
             logs this account worked in, and for logs that write account ids (Salesforce, Zendesk) that `users` maps them to names; \
             then correct `actors` in [case] (or --actor)"
                .to_string()
        } else {
            let listed: Vec<String> =
                near.iter().take(SUGGESTED).map(|(a, n, how)| format!("`{a}` ({} record(s); {})", num(*n), how.describe())).collect();
            let more = if near.len() > SUGGESTED { format!(" and {} more", near.len() - SUGGESTED) } else { String::new() };
            format!(
                "the logs hold accounts with a near name: {}{more}. If one is this person's account, write it exactly as the logs do \
                 in `actors` in [case] (or --actor); near names are never matched by guessing",
                listed.join(", ")
            )
        };
        out.push(Warning::new("actor_not_in_logs", message, fix));
    }
}

fn actor_rejects(case: &Case, collected: &Collected, out: &mut Vec<Warning>) {
    let mut rejects: Vec<&crate::stages::collect::ActorRejects> = collected.actor_rejects.iter().collect();
    rejects.sort_by(|a, b| (&a.actor, a.source_index).cmp(&(&b.actor, b.source_index)));
    for r in rejects {
        let zone = if r.missing_zone > 0 { format!(" ({} of them because their time has no zone)", num(r.missing_zone)) } else { String::new() };
        let quoted = format!("first: {}", r.first);
        let message = format!(
            "{} record(s) of actor `{}` in source `{}` were rejected{zone}: what they showed is NOT on the list; {quoted}",
            num(r.records),
            r.actor,
            r.source
        );
        let log = &case.logs[r.source_index];
        let fix = if r.missing_zone > 0 {
            format!(
                "say which zone the export writes its times in: `time_zone = \"UTC\"` (or the server's offset, e.g. \"+02:00\") in the \
                 [[logs]] entry `{}` ({}), or run with `--assume-tz ZONE`; then run again",
                log.name, log.pattern
            )
        } else {
            format!(
                "read the reasons in the rejects file (`file,line,column,reason`), correct the export or the settings of the [[logs]] \
                 entry `{}`, and run again",
                log.name
            )
        };
        out.push(Warning { quoted: Some(quoted), ..Warning::new("actor_records_rejected", message, fix) });
    }
}

fn tables(case: &Case, resolved: &Resolved, out: &mut Vec<Warning>) -> Result<()> {
    let customers = case.schema.customers();
    let file = display_path(&customers.file.path, &case.dir);
    if resolved.customer_rows == 0 {
        out.push(Warning::new(
            "customers_table_empty",
            format!("the customers table `{file}` has no rows (only a header): no record can resolve to a customer, so nothing can be listed or called not exposed"),
            "point `path` in [customers] at the complete export (check that the file is the right one and was not cut off), and run again".into(),
        ));
    }
    for stats in &resolved.tables {
        let Some(table) = case.schema.table(&stats.table) else { continue };
        let spec = &case.schema.tables[table];
        // Keys a log named (replayed queries and whole-table reads find rows by the table's own key, so
        // they match whatever the key column is).
        let mostly_unmatched = stats.keys_named_unresolved > 0 && stats.keys_named_unresolved * 2 > stats.keys_named;
        if !mostly_unmatched || (table == CUSTOMERS && resolved.customer_rows == 0) {
            continue;
        }
        let section = if table == CUSTOMERS { "[customers]".to_string() } else { format!("the [[tables]] entry `{}`", spec.name) };
        let through = if table == CUSTOMERS && case.schema.tables.len() > 1 { " (directly or through a linked table's customer column)" } else { "" };
        out.push(Warning::new(
            "keys_match_no_row",
            format!(
                "{} of {} `{}` key(s) the logs named{through} match no row of `{}` (key column `{}`): the table or its key column is \
                 probably wrong, and those records are not on the list",
                num(stats.keys_named_unresolved as u64),
                num(stats.keys_named as u64),
                spec.name,
                display_path(&spec.file.path, &case.dir),
                spec.key
            ),
            match column_holding(spec, &unmatched_keys(resolved, &spec.name))? {
                Some((column, found, of)) => format!(
                    "the keys the logs named are in column `{column}` ({found} of {of} looked up): set `key = \"{column}\"` in {section} if \
                     that column names one record per row, and run again"
                ),
                None => format!(
                    "check `key` (and `key_type`) in {section} against the values the logs name records by (see unresolved_keys in \
                     report.json; no column of the table holds most of them), and that `path` is the right table; then run again"
                ),
            },
        ));
    }
    Ok(())
}

/// The keys of `table` touched and matching no row, at most [`LOOKED_UP`] of them.
fn unmatched_keys(resolved: &Resolved, table: &str) -> Vec<String> {
    resolved.unresolved_keys.iter().filter(|u| u.table == table).take(LOOKED_UP).map(|u| u.key.clone()).collect()
}

/// How many unmatched keys are looked for in the table's other columns.
const LOOKED_UP: usize = 1000;

/// The column (other than the key) holding most of `keys`, when it holds more than half of them: the
/// column the logs name records by. Reads the table once more (only when this warning is given).
fn column_holding(spec: &crate::case::schema::TableSpec, keys: &[String]) -> Result<Option<(String, usize, usize)>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let wanted: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let columns = spec.file.columns.len();
    let mut found: Vec<std::collections::HashSet<String>> = vec![Default::default(); columns];
    spec.file.for_each_row(|_, row| {
        for (c, cell) in row.iter().enumerate() {
            let value = spec.key_type.canonical(cell);
            if c != spec.key_index && wanted.contains(value.as_ref()) && !found[c].contains(value.as_ref()) {
                found[c].insert(value.into_owned());
            }
        }
        Ok(())
    })?;
    let best = (0..columns).max_by_key(|c| (found[*c].len(), std::cmp::Reverse(*c)));
    Ok(best.filter(|c| found[*c].len() * 2 > keys.len()).map(|c| (spec.file.columns[c].clone(), found[c].len(), keys.len())))
}

fn duplicates(case: &Case, resolved: &Resolved, out: &mut Vec<Warning>) {
    let d = &resolved.customer_key_duplicates;
    if d.keys == 0 {
        return;
    }
    let customers = case.schema.customers();
    out.push(Warning::new(
        "duplicate_customer_keys",
        format!(
            "{} key(s) of the customers table are on more than one row ({} rows), {} of them touched by the actors: a key should name \
             one customer; every row of a touched key is listed, so the list may name people who were not reached",
            num(d.keys),
            num(d.rows),
            num(d.touched)
        ),
        format!(
            "look at the keys and lines under customer_key_duplicates in report.json: remove repeated rows from the export, or set \
             `key` in [customers] to a column that is unique (now `{}`)",
            customers.key
        ),
    ));
}

fn unknown_fields(case: &Case, collected: &Collected, out: &mut Vec<Warning>) {
    let mut per_table: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for (qualified, n) in &collected.unknown_fields {
        let (table, column) = qualified.split_once('.').unwrap_or(("", qualified));
        per_table.entry(table).or_default().push((column, *n));
    }
    for (table, fields) in per_table {
        let listed: Vec<String> = fields.iter().take(10).map(|(f, n)| format!("`{f}` ({} time(s))", num(*n))).collect();
        let more = if fields.len() > 10 { format!(" and {} more", fields.len() - 10) } else { String::new() };
        let prefix = format!("{table}.");
        let columns: Vec<&str> = case.schema.field_names.iter().filter_map(|f| f.strip_prefix(&prefix)).collect();
        out.push(Warning::new(
            "unknown_fields",
            format!(
                "the logs' field lists name {} field(s) that are no column of `{table}`: {}{more}; what they showed is not counted as exposed",
                fields.len(),
                listed.join(", ")
            ),
            format!(
                "the columns of `{table}` are: {}. Correct the names (the log's fields cell, or the log's [logs.tables] names), or add \
                 the columns to the table's export, or name them in [classes]; then run again",
                columns.join(", ")
            ),
        ));
    }
}

/// While any warning applies no data class is called "not exposed": the classes held and reached by no
/// access cannot be ruled out, and `not_exposed_blocked_by` says which warnings stand in the way.
pub fn block_not_exposed(summary: &mut ExposureSummary, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    let mut codes: Vec<&str> = warnings.iter().map(|w| w.code).collect();
    codes.dedup();
    let classes: Vec<&str> = summary.held_not_exposed.iter().map(|c| c.as_str()).collect();
    let held = if classes.is_empty() { String::new() } else { format!(": {} cannot be ruled out", classes.join(", ")) };
    let why = format!("{} warning(s) ({}) make the result incomplete or wrong until fixed{held} (see warnings)", warnings.len(), codes.join(", "));
    summary.held_not_exposed.clear();
    summary.not_exposed_blocked_by = Some(match summary.not_exposed_blocked_by.take() {
        Some(earlier) => format!("{earlier}; {why}"),
        None => why,
    });
}

/// The warnings as the `--strict` error names them: `code: message` each.
pub fn strict_message(warnings: &[Warning]) -> String {
    let each: Vec<String> = warnings.iter().map(|w| format!("[{}] {}", w.code, w.message)).collect();
    format!(
        "--strict: {} warning(s): {}; no output written (run without --strict to get them with their fixes in report.json)",
        warnings.len(),
        each.join(" | ")
    )
}

/// `12,345`.
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::DataClass;

    #[test]
    fn near_matches_come_closest_first_then_by_records() {
        let near: BTreeMap<String, u64> =
            [("k.walsh", 238), ("k.walshe", 40), ("k.welsh", 900), ("k.walsh@acme.example", 12), ("agent07", 5000)].iter().map(|(a, n)| (a.to_string(), *n)).collect();
        let found: Vec<(&str, u64)> = near_matches("K.Walsh", &near).iter().map(|(a, n, _)| (*a, *n)).collect();
        assert_eq!(found, [("k.walsh", 238), ("k.welsh", 900), ("k.walshe", 40), ("k.walsh@acme.example", 12)]);
        assert!(near_matches("n.other", &near).is_empty());
    }

    #[test]
    fn warnings_block_every_not_exposed_class_and_say_why() {
        let mut summary = ExposureSummary { held_not_exposed: vec![DataClass::Names, DataClass::PhoneNumbers], ..Default::default() };
        block_not_exposed(&mut summary, &[]);
        assert_eq!(summary.held_not_exposed.len(), 2, "no warning, nothing blocked");
        let w = Warning::new("actor_not_in_logs", "actor `K.Walsh` appears in no log".into(), "fix".into());
        block_not_exposed(&mut summary, &[w]);
        assert!(summary.held_not_exposed.is_empty());
        let why = summary.not_exposed_blocked_by.as_deref().unwrap();
        assert!(why.contains("actor_not_in_logs") && why.contains("names, phone_numbers cannot be ruled out"), "{why}");
    }

    #[test]
    fn redaction_withholds_what_a_warning_quotes() {
        let w = Warning { quoted: Some("first: a.csv:3: time: `x@y.example`".into()), ..Warning::new("actor_records_rejected", "2 rejected; first: a.csv:3: time: `x@y.example`".into(), "f".into()) };
        assert_eq!(w.redacted().message, "2 rejected; (withheld: --redact)");
    }

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!((num(0), num(999), num(1000), num(1234567)), ("0".into(), "999".into(), "1,000".into(), "1,234,567".into()));
    }
}
