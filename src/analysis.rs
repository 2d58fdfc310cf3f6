//! The analysis of a case, in its stage order, written once here:
//!
//! 1. [`collect`](crate::stages::collect): every log read; the actors' touches inside the window gathered,
//!    rejected records sent to the rejects sink as they come.
//! 2. [`replay`](crate::stages::replay): key-less queries re-run against the tables; whole-table reads sized.
//! 3. [`resolve`](crate::stages::resolve): touched records → customer rows (the free-text scan reads the
//!    touched rows as resolve reads them).
//! 4. [`exposure`](crate::stages::exposure): per customer, the exposed fields and data classes; free-text
//!    findings added.
//! 5. [`coverage`](crate::coverage::report): what the logs could have missed.
//! 6. [`warnings`](crate::stages::warnings): mistakes that must be loud (an actor in no log, a wrong key
//!    column, an actor's records rejected...); while any applies no class is called "not exposed", and
//!    `--strict` fails the run.
//! 7. [`legal`](crate::legal::evaluate): people, jurisdictions, duties, the statement.
//!
//! [`analyze`] returns an [`Analysis`] value and writes nothing but the rejects (through the sink it is
//! given); [`crate::output`] writes it. The people list, the longest output, is handed over as soon as the
//! legal stage has it final ([`PeopleFinal`]), so that its writing can start while the stage goes on.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::case::Case;
use crate::coverage::report::CoverageReport;
use crate::error::{Error, Result};
use crate::ingest::event::Rejection;
use crate::legal::report::{Options as LegalOptions, Outcome, Person};
use crate::legal::rules::RuleSet;
use crate::stages::collect::{self, Collected, RejectSink};
use crate::stages::exposure::{self, CustomerExposure, ExposureSummary};
use crate::stages::replay::{self, ReplayedQuery};
use crate::stages::resolve::{self, Resolved};
use crate::stages::warnings::{self, Warning};
use crate::timings::Stopwatch;
use crate::ui::Ui;

/// How the analysis runs (the command line's flags, turned into settings by `commands`).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub legal: LegalOptions,
    /// Any rejected record, or any warning, fails the run (exit 4) before anything is written.
    pub strict: bool,
}

/// Everything the analysis found; the output layer turns it into files and the summary.
pub struct Analysis {
    /// What collect gathered (after replay added the replayed touches).
    pub collected: Collected,
    pub replayed: Vec<ReplayedQuery>,
    /// Touched records resolved to customers; its customer rows moved on into `rows`.
    pub resolved: Resolved,
    /// One row per affected customer, sorted by key: the notification list.
    pub rows: Vec<CustomerExposure>,
    pub exposure: ExposureSummary,
    pub coverage: CoverageReport,
    pub legal: Outcome,
    pub rules: RuleSet,
    /// Rows of each table that resolve read whole (for the manifest).
    pub table_rows: BTreeMap<String, u64>,
    /// Records rejected (as sent to the sink).
    pub rejected: u64,
    /// Mistakes that must be loud, with their fixes.
    pub warnings: Vec<Warning>,
}

/// Told of the people list once it is final, before the legal stage makes its summaries from it.
pub type PeopleFinal<'a> = &'a mut dyn FnMut(&Arc<Vec<Person>>);

/// Where the analysis gets collect's result: the logs read here, or parts merged (`analyze --parts`).
pub type Collect<'a> = &'a mut dyn FnMut(&Case, &Ui, &mut dyn RejectSink) -> Result<Collected>;

/// Runs the stages in order. Rejected records go to `rejects` as they are read.
pub fn analyze(case: &Case, settings: &Settings, rejects: &mut dyn RejectSink, ui: &Ui) -> Result<Analysis> {
    analyze_from(case, settings, rejects, ui, &mut |case, ui, sink| collect::collect(case, ui, sink), &mut |_| {})
}

/// As [`analyze`], with collect's result from `collect` (which sends the rejected records to the sink it is
/// given, in file order), and `people_final` told of the people list when it is final.
pub fn analyze_from(
    case: &Case,
    settings: &Settings,
    rejects: &mut dyn RejectSink,
    ui: &Ui,
    collect: Collect<'_>,
    people_final: PeopleFinal<'_>,
) -> Result<Analysis> {
    let mut clock = Stopwatch::start();
    let rules = RuleSet::load(settings.legal.rules.as_deref())?;
    let mut counted = CountingSink { inner: rejects, count: 0, first: None };
    let mut collected = collect(case, ui, &mut counted)?;
    clock.lap("read logs");
    if settings.strict && counted.count > 0 {
        // The actors' own rejected records are the `actor_records_rejected` warning: named first.
        let mut actors: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &collected.actor_rejects {
            *actors.entry(r.actor.as_str()).or_default() += r.records;
        }
        let actors = if actors.is_empty() {
            String::new()
        } else {
            let each: Vec<String> = actors.iter().map(|(a, n)| format!("{a} {n}")).collect();
            format!(" ([actor_records_rejected] the actors': {})", each.join(", "))
        };
        return Err(Error::Strict(format!(
            "--strict: {} record(s) rejected{actors}, first: {}; no output written (run without --strict to get rejects.csv)",
            counted.count,
            counted.first.as_deref().unwrap_or("?")
        )));
    }
    let rejected = counted.count;

    let phase = ui.phase("replaying queries");
    let replayed = replay::run(case, &mut collected)?;
    drop(phase);
    clock.lap("replay");

    // The free-text scan looks at the touched rows as resolve reads them.
    let phase = ui.phase("resolving records to customers");
    let mut scanner = crate::legal::freetext::RowScanner::new(case, &collected);
    let mut resolved = resolve::resolve(case, &collected, &mut |table, row, touch| {
        if scanner.wants(table) {
            scanner.row(table, row, touch)
        }
    })?;
    let table_rows: BTreeMap<String, u64> = resolved.tables.iter().filter(|t| t.rows_read > 0).map(|t| (t.table.clone(), t.rows_read)).collect();
    // The logs and tables are read: the piece buffers kept from file to file are freed.
    crate::read::pieces::let_go_of_spare_pieces();
    drop(phase);
    clock.lap("resolve");

    let (mut rows, mut summary) = exposure::expose(case, &collected, std::mem::take(&mut resolved.customers));
    let value_guesses = scanner.take_value_guesses();
    let (findings, scanned) = scanner.finish();
    crate::legal::evaluate::apply_findings(&mut rows, &mut summary, &findings);
    clock.lap("exposure+scan");

    let phase = ui.phase("coverage and legal");
    let coverage = crate::coverage::report::build(case, &collected, &rows);
    crate::coverage::report::apply_strict(&mut summary, &coverage);
    clock.lap("coverage");

    let warnings = warnings::find(case, &collected, &resolved)?;
    warnings::block_not_exposed(&mut summary, &warnings);
    if settings.strict && !warnings.is_empty() {
        return Err(Error::Strict(warnings::strict_message(&warnings)));
    }

    let legal = crate::legal::evaluate::evaluate(case, &rows, &summary, &findings, scanned, &value_guesses, &rules, &settings.legal, people_final);
    drop(phase);
    clock.lap("legal");

    Ok(Analysis { collected, replayed, resolved, rows, exposure: summary, coverage, legal, rules, table_rows, rejected, warnings })
}

/// Counts what passes to the real sink, for `--strict` and the summary.
struct CountingSink<'a> {
    inner: &'a mut dyn RejectSink,
    count: u64,
    /// The first rejection, `file:line: reason`.
    first: Option<String>,
}

impl RejectSink for CountingSink<'_> {
    fn reject(&mut self, file: &str, rejection: &Rejection) -> Result<()> {
        self.count += 1;
        self.first.get_or_insert_with(|| format!("{file}:{}: {}", rejection.line, rejection.reason));
        self.inner.reject(file, rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::testing;

    #[test]
    fn the_stages_in_order_list_the_customers_reached_with_their_classes() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut rejects = Vec::new();
        let ui = Ui { quiet: true, color: false, progress: false };
        let analysis = analyze(&case, &Settings::default(), &mut rejects, &ui).unwrap();

        let listed: Vec<(&str, Vec<&str>)> =
            analysis.rows.iter().map(|r| (r.customer_id.as_str(), r.data_classes.iter().map(|c| c.as_str()).collect())).collect();
        assert_eq!(listed, [("C1", vec!["email_addresses", "names"]), ("C2", vec!["support_tickets"])], "C2 through ticket T2");
        assert_eq!(analysis.rejected, 1);
        assert_eq!(rejects.len(), 1, "the rejected row reached the sink");
        assert_eq!(analysis.legal.people.len(), 2);
        assert_eq!(analysis.coverage.sources.len(), 1);
    }

    #[test]
    fn strict_fails_on_a_rejected_record_before_the_later_stages() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let ui = Ui { quiet: true, color: false, progress: false };
        let settings = Settings { strict: true, ..Default::default() };
        let err = analyze(&case, &settings, &mut Vec::new(), &ui).err().expect("a rejected record fails --strict");
        assert!(matches!(err, Error::Strict(_)), "{err}");
        assert!(err.to_string().contains("audit.csv:6"), "{err}");
    }
}
