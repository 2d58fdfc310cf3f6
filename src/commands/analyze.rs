//! `breachscope analyze CASE.toml`: the flags turned into the case's settings and the outputs' paths, the
//! analysis run ([`crate::analysis`]), its outputs written ([`crate::output::write`]), the summary printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analysis::{self, Settings};
use crate::case::{Case, Overrides};
use crate::cli::AnalyzeArgs;
use crate::error::{exit, Error, Result};
use crate::output::report::{self, Report};
use crate::output::write::{self, OutputRole, Outputs, RunRecord, WriteOptions};
use crate::read::timefmt::format_utc;
use crate::ui::Ui;

pub fn run(args: &AnalyzeArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults) -> Result<i32> {
    let overrides = Overrides {
        actors: args.actors.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        disabled_at: args.disabled_at.clone(),
        all_accounts: false,
        inputs: *inputs,
    };
    let mut case = Case::load(&args.case, &overrides)?;
    if args.strict_coverage {
        case.coverage.strict = true;
    }
    if let Some(text) = &args.min_gap {
        case.coverage.min_gap = crate::case::settings::parse_min_gap(text).map_err(|e| Error::Usage(format!("--min-gap: {e}")))?;
    }
    let settings = Settings {
        legal: crate::legal::report::Options { per: args.legal.per.into(), rules: args.legal.rules.clone(), excel: args.legal.excel },
        strict: args.strict,
    };
    let options = WriteOptions { force: args.force, redact: args.redact, excel: args.legal.excel };
    let outputs = Outputs::plan(output_paths(&case.dir, args), options)?;
    let report = analyze_and_write(&case, &settings, &outputs, ui)?;
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
    }
    Ok(exit::OK)
}

/// Each output's path: the flag's, else the default file beside the case file (the manifest beside the
/// report).
pub fn output_paths(case_dir: &Path, args: &AnalyzeArgs) -> BTreeMap<OutputRole, PathBuf> {
    let given = |role: OutputRole| match role {
        OutputRole::NotificationList => args.out.clone(),
        OutputRole::Report => args.report.clone(),
        OutputRole::Rejects => args.rejects.clone(),
        OutputRole::AffectedPeople => args.legal.people.clone(),
        OutputRole::Jurisdictions => args.legal.jurisdictions.clone(),
        OutputRole::Actions => args.legal.actions.clone(),
        OutputRole::HtmlReport => args.html.clone(),
        OutputRole::Manifest => args.manifest.clone().or_else(|| args.report.as_deref().and_then(Path::parent).map(|dir| dir.join("manifest.json"))),
    };
    OutputRole::ALL
        .into_iter()
        .filter_map(|role| Some((role, given(role).or_else(|| role.default_file().map(|name| case_dir.join(name)))?)))
        .collect()
}

/// Runs the analysis and writes every output of `outputs`; returns the report. The case file and tables are
/// hashed for the manifest while the logs are read.
pub fn analyze_and_write(case: &Case, settings: &Settings, outputs: &Outputs, ui: &Ui) -> Result<Report> {
    let started_at = format_utc(&chrono::Utc::now());
    let manifest_dir = outputs.manifest_dir();
    let report = std::thread::scope(|scope| {
        let case_and_tables = scope.spawn(|| crate::output::manifest::case_and_tables(case, manifest_dir));
        let mut rejects = outputs.rejects()?;
        let analysis = analysis::analyze(case, settings, &mut rejects, ui)?;
        let record = RunRecord {
            started_at,
            rules_source: settings.legal.rules.as_ref().map_or("built-in".to_string(), |p| p.display().to_string()),
            case_and_tables: case_and_tables.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
        };
        let _phase = ui.phase("writing outputs");
        write::write(case, analysis, outputs, rejects, record)
    })?;
    if report.totals.records_rejected > 0 {
        if let Some(path) = outputs.path(OutputRole::Rejects) {
            ui.warn(&format!("{} record(s) rejected: see {}", report.totals.records_rejected, path.display()));
        }
    }
    Ok(report)
}
