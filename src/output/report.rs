//! report.json (everything a reviewer needs to check the list) and the terminal summary.

use std::collections::BTreeMap;

use comfy_table::Cell;
use serde::Serialize;

use crate::case::Case;
use crate::stages::collect::{ActorRejects, Collected, FileCounts, PostDisableAccess, TableAccess, UnresolvedQuery};
use crate::stages::exposure::ExposureSummary;
use crate::stages::replay::ReplayedQuery;
use crate::stages::resolve::{DuplicateKeys, Resolved, TableResolution, UnresolvedKey};
use crate::stages::warnings::Warning;
use crate::ui::{num, table};
use crate::read::timefmt::format_utc;

#[derive(Debug, Serialize)]
pub struct Report {
    /// Set by `analyze --redact` (see `output::redact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<&'static str>,
    pub tool: ToolInfo,
    pub case: CaseInfo,
    /// Mistakes that must be loud, each `{code, message, fix}` (set by analyze; see `stages::warnings`).
    pub warnings: Vec<Warning>,
    pub totals: Totals,
    pub inputs: Vec<FileCounts>,
    pub ignored_by_reason: BTreeMap<String, u64>,
    pub events_by_actor: BTreeMap<String, u64>,
    /// Every record of each actor in the logs (used or not; rejected ones whose account could be read).
    pub records_by_actor: BTreeMap<String, u64>,
    /// The actors' rejected records, per actor and source (`records`, `missing_zone`, `first`).
    pub rejected_by_actor: Vec<ActorRejects>,
    pub records_touched: Vec<TableResolution>,
    pub exposure: ExposureSummary,
    pub unresolved_keys: Vec<UnresolvedKey>,
    pub unresolved_queries: Vec<UnresolvedQuery>,
    pub replayed_queries: Vec<ReplayedQuery>,
    pub table_accesses: Vec<TableAccess>,
    pub duplicate_customer_keys: Vec<String>,
    /// Every customer key on more than one row, touched or not: counts, and the keys with their lines.
    pub customer_key_duplicates: DuplicateKeys,
    /// Table keys padded with whitespace or, with `key_type = "numeric"`, not numbers: counts and first
    /// lines (see `read::keys`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_warnings: Vec<crate::read::keys::KeyCheck>,
    pub unknown_fields: BTreeMap<String, u64>,
    pub unmatched_request_paths: BTreeMap<String, u64>,
    /// Actions of the actors' audit rows that neither `[logs.actions]` nor the built-in vocabulary knows:
    /// read as reads (the safe side) → how often.
    pub unknown_actions: BTreeMap<String, u64>,
    /// Tables (collections, record types) that the actors' events read and that are not case tables, as the logs
    /// name them, with how many events read them (the [`TABLES_SHOWN`] most read; `totals.tables_not_in_case`
    /// counts them all): a table the case should map in `[logs.tables]` shows here.
    pub tables_not_in_case: Vec<TableNotInCase>,
    /// Log files that gave no access event at all (no record of their format): a wrong glob or format, a digest
    /// file, a log written without auditing. Their records are counted as ignored or rejected by reason.
    pub files_without_events: Vec<FileWithoutEvents>,
    /// The actors' used events per UTC day.
    pub events_per_day: BTreeMap<String, u64>,
    /// Set when the case gives `disabled_at`.
    pub containment: Option<Containment>,
    pub outputs: BTreeMap<String, String>,
    /// What the logs cover, where they are blind, what cannot be ruled out (set by analyze).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<crate::coverage::report::CoverageReport>,
    /// People, jurisdictions and duties (decision support for counsel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal: Option<crate::legal::report::LegalReport>,
}

/// How many names of tables that are not the case's the report lists.
pub const TABLES_SHOWN: usize = 20;

/// A table name the actors' events read that is no case table.
#[derive(Debug, Clone, Serialize)]
pub struct TableNotInCase {
    pub name: String,
    /// The actors' events (successful, in the window) that read it and no case table.
    pub events: u64,
}

/// A log file in which its format's parser found no access event.
#[derive(Debug, Clone, Serialize)]
pub struct FileWithoutEvents {
    pub source: String,
    pub path: String,
    pub format: String,
    pub records: u64,
    /// What its records were, and what to check.
    pub note: String,
}

impl FileWithoutEvents {
    fn of(f: &FileCounts) -> FileWithoutEvents {
        let what = if f.read == 0 {
            "the file holds no record".to_string()
        } else {
            let mut parts: Vec<String> = f.ignored_by_reason.iter().map(|(reason, n)| format!("{n} ignored: {reason}")).collect();
            if f.rejected > 0 {
                parts.push(format!("{} rejected (see the rejects file)", f.rejected));
            }
            format!("{} record(s), none an access event ({})", f.read, parts.join("; "))
        };
        FileWithoutEvents {
            source: f.source.clone(),
            path: f.path.clone(),
            format: f.format.clone(),
            records: f.read,
            note: format!("{what}: check that the log's `path` matches only its files and that `format = \"{}\"` is right (`breachscope inspect FILE` tells)", f.format),
        }
    }
}

/// The containment check: was any actor account used after it was disabled?
#[derive(Debug, Serialize)]
pub struct Containment {
    pub disabled_at: String,
    /// False when any successful access came after `disabled_at`.
    pub contained: bool,
    pub finding: String,
    pub accesses_after_disabled: Vec<PostDisableAccess>,
    pub failed_attempts_after_disabled: u64,
}

#[derive(Debug, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CaseInfo {
    pub name: String,
    pub file: String,
    pub actors: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub discovered: Option<String>,
    /// When the breach was determined (confirmed), and the end of a law-enforcement delay: the other clock dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub determined: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub law_enforcement_delay_until: Option<String>,
    pub table_access: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub files: usize,
    pub records_read: u64,
    pub records_used: u64,
    pub records_ignored: u64,
    pub records_rejected: u64,
    pub customers_affected: usize,
    pub unresolved_keys: usize,
    pub unresolved_queries: usize,
    /// Events behind `unresolved_queries` (one CloudTrail batch or multi-statement line is one event).
    pub unresolved_query_events: usize,
    pub replayed_queries: usize,
    pub replay_row_mismatches: usize,
    pub table_accesses: usize,
    pub accesses_after_disabled: usize,
    /// Distinct names of tables that are not case tables read by the actors' events (see `tables_not_in_case`).
    pub tables_not_in_case: usize,
    pub files_without_events: usize,
}

impl Totals {
    pub fn reconciles(&self) -> bool {
        self.records_read == self.records_used + self.records_ignored + self.records_rejected
    }
}

pub fn build(case: &Case, collected: Collected, replayed: Vec<ReplayedQuery>, resolved: &Resolved, exposure: ExposureSummary, outputs: BTreeMap<String, String>) -> Report {
    let mut totals = Totals { files: collected.files.len(), ..Default::default() };
    let mut ignored_by_reason = BTreeMap::new();
    for f in &collected.files {
        totals.records_read += f.read;
        totals.records_used += f.used;
        totals.records_ignored += f.ignored;
        totals.records_rejected += f.rejected;
        for (reason, n) in &f.ignored_by_reason {
            *ignored_by_reason.entry(reason.clone()).or_default() += n;
        }
    }
    let mut unresolved_queries = collected.unresolved_queries;
    for q in &mut unresolved_queries {
        bound(&mut q.statement);
        bound(&mut q.reason);
    }
    unresolved_queries.sort_by(|a, b| a.origin.place().cmp(&b.origin.place()));
    let mut table_accesses = collected.table_accesses;
    table_accesses.iter_mut().for_each(|a| bound(&mut a.statement));
    let mut replayed = replayed;
    replayed.iter_mut().for_each(|q| bound(&mut q.statement));
    table_accesses.sort_by(|a, b| a.origin.place().cmp(&b.origin.place()));
    totals.customers_affected = exposure.customers_affected;
    totals.unresolved_keys = resolved.unresolved_keys.len();
    totals.unresolved_queries = unresolved_queries.len();
    totals.unresolved_query_events = unresolved_queries.iter().map(|q| q.origin.place()).collect::<std::collections::BTreeSet<_>>().len();
    totals.table_accesses = table_accesses.len();
    totals.replayed_queries = replayed.len();
    totals.replay_row_mismatches = replayed.iter().filter(|r| r.rows_mismatch).count();
    totals.accesses_after_disabled = collected.after_disabled.len();
    let mut tables_not_in_case: Vec<TableNotInCase> =
        collected.other_tables.iter().map(|(name, n)| TableNotInCase { name: name.clone(), events: *n }).collect();
    tables_not_in_case.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.name.cmp(&b.name)));
    totals.tables_not_in_case = tables_not_in_case.len();
    tables_not_in_case.truncate(TABLES_SHOWN);
    let files_without_events: Vec<FileWithoutEvents> = collected.files.iter().filter(|f| f.events == 0).map(FileWithoutEvents::of).collect();
    totals.files_without_events = files_without_events.len();
    let containment = case.disabled_at.as_ref().map(|d| {
        let mut after = collected.after_disabled.clone();
        after.iter_mut().for_each(|a| bound(&mut a.request));
        after.sort_by(|a, b| (a.origin.time, a.origin.place()).cmp(&(b.origin.time, b.origin.place())));
        let contained = after.is_empty();
        let finding = if contained {
            format!("no successful access by the actors after {} (disabled_at)", format_utc(d))
        } else {
            format!(
                "the account was still used after it was disabled: {} successful access(es) by the actors after {}, the last at {}",
                after.len(),
                format_utc(d),
                after.last().map(|a| a.origin.time_utc()).unwrap_or_default()
            )
        };
        Containment {
            disabled_at: format_utc(d),
            contained,
            finding,
            accesses_after_disabled: after,
            failed_attempts_after_disabled: collected.failed_after_disabled,
        }
    });
    Report {
        redacted: None,
        tool: ToolInfo { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
        case: CaseInfo {
            name: case.name.clone(),
            file: case.file.display().to_string(),
            actors: case.actors.clone(),
            since: case.window.since.as_ref().map(format_utc),
            until: case.window.until.as_ref().map(format_utc),
            discovered: case.discovered.map(|d| d.to_string()),
            determined: case.clock.determined.map(|d| d.to_string()),
            law_enforcement_delay_until: case.clock.law_enforcement_delay_until.map(|d| d.to_string()),
            table_access: match case.table_access {
                crate::case::settings::TableAccessPolicy::Report => "report".into(),
                crate::case::settings::TableAccessPolicy::Include => "include".into(),
            },
        },
        warnings: Vec::new(),
        totals,
        inputs: collected.files,
        ignored_by_reason,
        events_by_actor: collected.actor_events,
        records_by_actor: collected.actor_records,
        rejected_by_actor: collected.actor_rejects,
        records_touched: resolved.tables.clone(),
        exposure,
        unresolved_keys: resolved.unresolved_keys.clone(),
        unresolved_queries,
        replayed_queries: replayed,
        table_accesses,
        duplicate_customer_keys: resolved.duplicate_customer_keys.clone(),
        customer_key_duplicates: resolved.customer_key_duplicates.clone(),
        key_warnings: resolved.key_checks.clone(),
        unknown_fields: bound_keys(collected.unknown_fields),
        unmatched_request_paths: bound_keys(collected.unmatched_paths),
        unknown_actions: bound_keys(collected.unknown_actions),
        tables_not_in_case,
        files_without_events,
        events_per_day: collected.events_per_day,
        containment,
        outputs,
        coverage: None,
        legal: None,
    }
}

/// The longest text report.json carries (bytes): a longer value (a logged statement, a request path) is cut.
pub const MAX_VALUE_BYTES: usize = 4096;

/// Cuts `text` longer than [`MAX_VALUE_BYTES`] to its first KB, saying how long it was and its SHA-256, so the
/// value can still be found in the log.
pub fn bound(text: &mut String) {
    if text.len() <= MAX_VALUE_BYTES {
        return;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut keep = 1024;
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    let length = text.len();
    text.truncate(keep);
    text.push_str(&format!("…[cut: {length} bytes, sha256 {hex}]"));
}

/// A map whose keys come from the logs, with every key [`bound`]ed (counts of keys cut alike add up).
fn bound_keys(map: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (mut key, n) in map {
        bound(&mut key);
        *out.entry(key).or_default() += n;
    }
    out
}

/// Per source, loudly: views assumed (the default applied, where it may overstate or understate, what
/// rests on it, the fix), and declared views that were never applied.
pub fn views_summary(ex: &ExposureSummary) -> String {
    let mut out = String::new();
    for v in &ex.views {
        for d in &v.defaults {
            out.push_str(&format!(
                "\n!! VIEWS ASSUMED in {}: {} of {} ({} access(es)): no view declared, the default applied is {}.\n",
                v.source,
                d.views,
                d.tables.join(", "),
                d.accesses,
                d.shows
            ));
        }
        if let Some(a) = &v.views_assumed {
            let (sensitive, other): (Vec<_>, Vec<_>) = a.assumed_classes.iter().partition(|c| c.is_sensitive());
            let names = |list: &[&crate::classes::DataClass]| list.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
            if a.assumed_classes.is_empty() {
                out.push_str("   No class rests only on this assumption (other accesses showed the same classes).\n");
            } else {
                out.push_str(&format!(
                    "   Resting only on it, for {} customer(s): {}{}{}.\n",
                    a.customers,
                    if sensitive.is_empty() { String::new() } else { format!("SENSITIVE {}", names(&sensitive)) },
                    if !sensitive.is_empty() && !other.is_empty() { "; " } else { "" },
                    names(&other)
                ));
            }
            out.push_str(&format!("   Fix: {}\n", a.fix));
        }
        // Where the source's other views were applied, an unused one is likely misspelt.
        if !v.declared.is_empty() || !v.defaults.is_empty() {
            for key in &v.declared_unused {
                out.push_str(&format!("!! {key} in {} was never applied to the actors' accesses: check its table name and action against the log.\n", v.source));
            }
        }
    }
    out
}

/// The summary's lines on tables the actors read that are not case tables.
fn tables_not_in_case_summary(report: &Report) -> String {
    let t = &report.totals;
    let events: u64 = report.tables_not_in_case.iter().map(|x| x.events).sum();
    let shown = if t.tables_not_in_case > report.tables_not_in_case.len() {
        format!(" (the {} most read of {})", report.tables_not_in_case.len(), t.tables_not_in_case)
    } else {
        String::new()
    };
    let list: Vec<String> = report.tables_not_in_case.iter().map(|x| format!("{} ({})", x.name, x.events)).collect();
    let first = report.tables_not_in_case.first().map(|x| x.name.as_str()).unwrap_or_default();
    format!(
        "\n!! {events} event(s) of the actors read only tables that are not case tables, counted as \"reads no case table\"{shown}: {}\n   If one of them holds customer records, map it to its case table in the log's [logs.tables] (`\"{first}\" = \"customers\"`) and run again.\n",
        list.join(", ")
    )
}

/// The summary for people, as text for stderr.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let case = &report.case;
    out.push_str(&format!("Case: {}\n", case.name));
    out.push_str(&format!(
        "Actors: {}   Window: {} .. {}\n\n",
        case.actors.join(", "),
        case.since.as_deref().map_or("(open)".to_string(), crate::ui::window_bound),
        case.until.as_deref().map_or("(open)".to_string(), crate::ui::window_bound)
    ));
    out.push_str(&warnings_block(&report.warnings));
    if let Some(c) = &report.containment {
        if c.contained {
            out.push_str(&format!("Containment: {}\n\n", c.finding));
        } else {
            out.push_str(&format!("!! CONTAINMENT FAILED: {}\n", c.finding));
            for a in c.accesses_after_disabled.iter().take(5) {
                out.push_str(&format!("   {} {} {} {}\n", a.origin.time_utc(), a.origin.actor, a.origin.location(), a.request));
            }
            out.push_str("   See containment in the report.\n\n");
        }
    }

    let mut inputs = table(&["source", "file", "format", "read", "used", "ignored", "rejected"]);
    for f in &report.inputs {
        inputs.add_row(vec![Cell::new(&f.source), Cell::new(&f.path), Cell::new(&f.format), num(f.read), num(f.used), num(f.ignored), num(f.rejected)]);
    }
    let t = &report.totals;
    inputs.add_row(vec![Cell::new("total"), Cell::new(""), Cell::new(""), num(t.records_read), num(t.records_used), num(t.records_ignored), num(t.records_rejected)]);
    out.push_str(&format!("{inputs}\n"));
    out.push_str(&format!(
        "Counts reconcile: read {} = used {} + ignored {} + rejected {}\n\n",
        t.records_read, t.records_used, t.records_ignored, t.records_rejected
    ));
    if t.files_without_events > 0 {
        out.push_str(&format!("!! {} log file(s) gave no access event: no record of their format was found in them.\n", t.files_without_events));
        for f in &report.files_without_events {
            out.push_str(&format!("   {} ({}, format {}): {}\n", f.path, f.source, f.format, f.note));
        }
        out.push('\n');
    }

    let any_assumed = report.exposure.held.iter().any(|h| h.customers_assumed > 0);
    let mut classes =
        if any_assumed { table(&["data class", "customers exposed", "of which only assumed", "columns holding it"]) } else { table(&["data class", "customers exposed", "columns holding it"]) };
    for h in &report.exposure.held {
        let mut cells = vec![Cell::new(h.class.as_str()), num(h.customers_exposed)];
        if any_assumed {
            cells.push(num(h.customers_assumed));
        }
        cells.push(Cell::new(h.columns.join(", ")));
        classes.add_row(cells);
    }
    out.push_str(&format!("Customers affected: {}\n{classes}\n", t.customers_affected));
    let ex = &report.exposure;
    if !ex.held_not_exposed.is_empty() {
        let list: Vec<&str> = ex.held_not_exposed.iter().map(|c| c.as_str()).collect();
        out.push_str(&format!("NOT exposed (held in the tables; nothing the actors did could have shown it): {}\n", list.join(", ")));
    }
    if !ex.possibly_exposed.is_empty() {
        let list: Vec<&str> = ex.possibly_exposed.iter().map(|c| c.as_str()).collect();
        out.push_str(&format!("CANNOT be ruled out (exposed for no listed customer, but not excluded): {}, because of:\n", list.join(", ")));
        for b in ex.blockers.iter().filter(|b| b.classes.iter().any(|c| ex.possibly_exposed.contains(c))) {
            let classes: Vec<&str> = b.classes.iter().filter(|c| ex.possibly_exposed.contains(c)).map(|c| c.as_str()).collect();
            out.push_str(&format!("   {} [{}]\n", b.reason, classes.join(", ")));
        }
    }
    if !ex.sensitive_not_held.is_empty() {
        let list: Vec<&str> = ex.sensitive_not_held.iter().map(|c| c.as_str()).collect();
        out.push_str(&format!("Not held in any column of the case's tables: {} (what was looked at and scanned: see the statement)\n", list.join(", ")));
    }
    out.push_str(&views_summary(ex));
    if !report.exposure.by_segment.is_empty() {
        let parts: Vec<String> = report.exposure.by_segment.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!("By segment: {}\n", parts.join(", ")));
    }
    if t.table_accesses > 0 {
        let listed = report.case.table_access == "include";
        out.push_str(&format!(
            "\n!! {} WHOLE-TABLE READ(S) by the actors: every row of the table may be exposed; {}. See table_accesses in the report.\n",
            t.table_accesses,
            if listed { "these rows ARE in the list with evidence `table`" } else { "these rows are NOT in the list (set table_access = \"include\" to list them)" }
        ));
        for a in report.table_accesses.iter().take(5) {
            let rows: Vec<String> = a.rows.iter().map(|(t, n)| format!("{t}: {n} rows")).collect();
            out.push_str(&format!("   {} {} {} {}\n", a.origin.time_utc(), a.origin.actor, a.origin.location(), rows.join(", ")));
        }
    }
    if t.replayed_queries > 0 {
        out.push_str(&format!(
            "\n{} without a key {} replayed against the tables (evidence `replayed`).\n",
            crate::ui::plural(t.replayed_queries as u64, "query", "queries"),
            if t.replayed_queries == 1 { "was" } else { "were" }
        ));
    }
    if t.replay_row_mismatches > 0 {
        out.push_str(&format!(
            "!! {} selected a different number of rows than the log recorded: the table may have changed since. See replayed_queries.\n",
            crate::ui::plural(t.replay_row_mismatches as u64, "replayed query", "replayed queries")
        ));
    }
    if !report.unknown_actions.is_empty() {
        let shown: Vec<String> = report.unknown_actions.iter().take(10).map(|(a, n)| format!("`{a}` ({n})")).collect();
        let events: u64 = report.unknown_actions.values().sum();
        out.push_str(&format!(
            "\n!! {} with an action the vocabulary does not know, read as reads (the safe side): {}{}. Say what they do in [logs.actions] (read, write, session or none).\n",
            crate::ui::plural(events, "event", "events"),
            shown.join(", "),
            if report.unknown_actions.len() > 10 { ", ..." } else { "" }
        ));
    }
    if t.unresolved_queries > 0 {
        let lookups = if t.unresolved_queries > t.unresolved_query_events { format!(" ({} lookups)", t.unresolved_queries) } else { String::new() };
        out.push_str(&format!(
            "\n{} unresolved access event(s){lookups}: the log does not say which records; see unresolved_queries in the report.\n",
            t.unresolved_query_events
        ));
    }
    if t.unresolved_keys > 0 {
        out.push_str(&format!("{} touched key(s) match no row; see unresolved_keys in the report.\n", t.unresolved_keys));
    }
    if t.tables_not_in_case > 0 {
        out.push_str(&tables_not_in_case_summary(report));
    }
    if t.records_rejected > 0 {
        out.push_str(&format!("{} record(s) could not be read; see the rejects file.\n", t.records_rejected));
    }
    if !report.duplicate_customer_keys.is_empty() {
        out.push_str(&format!("{} customer key(s) appear on several rows; all rows are listed.\n", report.duplicate_customer_keys.len()));
    }
    for warning in report.key_warnings.iter().flat_map(|k| k.warnings()) {
        out.push_str(&format!("!! {warning}\n"));
    }
    if let Some(coverage) = &report.coverage {
        out.push_str(&crate::coverage::report::summary(coverage));
    }
    if let Some(legal) = &report.legal {
        out.push_str(&crate::output::legal::summary(legal));
    }
    out.push('\n');
    for (name, path) in &report.outputs {
        out.push_str(&format!("{name}: {path}\n"));
    }
    if !report.warnings.is_empty() {
        out.push('\n');
        out.push_str(&warnings_block(&report.warnings));
    }
    out
}

/// The warnings as the summary shows them, at its top and again at its bottom (empty when there are none).
pub fn warnings_block(warnings: &[Warning]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "!! {} WARNING(S): the list and the statement may be wrong or incomplete until fixed (report.json `warnings`):\n",
        warnings.len()
    );
    for (i, w) in warnings.iter().enumerate() {
        out.push_str(&format!("!! {}. [{}] {}\n     fix: {}\n", i + 1, w.code, w.message, w.fix));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyze, Settings};
    use crate::stages::testing;
    use crate::ui::Ui;

    #[test]
    fn a_long_value_is_cut_with_its_length_and_digest() {
        let mut short = "SELECT 1".to_string();
        bound(&mut short);
        assert_eq!(short, "SELECT 1");
        let mut long = "é".repeat(5000);
        bound(&mut long);
        assert!(long.len() < 1200, "{}", long.len());
        assert!(long.ends_with("bytes, sha256 ") == false && long.contains("[cut: 10000 bytes, sha256 "), "{long}");
        let keys = bound_keys(BTreeMap::from([("a".repeat(5000), 1), ("a".repeat(5001), 2)]));
        assert_eq!(keys.len(), 2, "different values keep different digests");
    }

    #[test]
    fn report_totals_reconcile_and_name_what_was_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let ui = Ui { quiet: true, color: false, progress: false };
        let a = analyze(&case, &Settings::default(), &mut Vec::new(), &ui).unwrap();
        let report = build(&case, a.collected, a.replayed, &a.resolved, a.exposure, BTreeMap::new());

        assert!(report.totals.reconciles());
        assert_eq!((report.totals.records_read, report.totals.records_used), (5, 2));
        assert_eq!((report.totals.records_ignored, report.totals.records_rejected), (2, 1));
        assert_eq!(report.totals.customers_affected, 2);
        assert_eq!(report.ignored_by_reason.get("outside the case window"), Some(&1));
        assert_eq!(report.events_by_actor.get("k.walsh"), Some(&2));
        let text = summary(&report);
        assert!(text.contains("Actors: k.walsh   Window: 2019-06-01T00:00:00Z"), "{text}");
        assert!(text.contains("audit.csv"), "the inputs table names the file: {text}");
    }
}
