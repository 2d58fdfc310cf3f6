//! `breachscope analyze CASE.toml`: the pipeline case → ingest → resolve → exposure → notification → report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::case::{Case, Overrides};
use crate::cli::AnalyzeArgs;
use crate::collect::{self, display_path, RejectsWriter};
use crate::error::{exit, Error, Result};
use crate::output::{self, AtomicFile};
use crate::report::{self, Report};
use crate::ui::Ui;
use crate::{exposure, notification, resolve};

/// Where the outputs go.
#[derive(Clone, Debug)]
pub struct OutputPaths {
    pub list: PathBuf,
    pub report: PathBuf,
    pub rejects: PathBuf,
    /// The HTML report for people, when asked for.
    pub html: Option<PathBuf>,
}

impl OutputPaths {
    pub fn for_case(case_dir: &Path, args: &AnalyzeArgs) -> OutputPaths {
        OutputPaths {
            list: args.out.clone().unwrap_or_else(|| case_dir.join("affected_customers.csv")),
            report: args.report.clone().unwrap_or_else(|| case_dir.join("report.json")),
            rejects: args.rejects.clone().unwrap_or_else(|| case_dir.join("rejects.csv")),
            html: args.html.clone(),
        }
    }
}

pub fn run(args: &AnalyzeArgs, ui: &Ui) -> Result<i32> {
    let overrides = Overrides {
        actors: args.actors.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        disabled_at: args.disabled_at.clone(),
        all_accounts: false,
    };
    let case = Case::load(&args.case, &overrides)?;
    let paths = OutputPaths::for_case(&case.dir, args);
    let report = analyze(&case, &paths, args.force, ui)?;
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
    }
    Ok(exit::OK)
}

/// Runs the whole analysis and writes the three outputs; returns the report.
pub fn analyze(case: &Case, paths: &OutputPaths, force: bool, ui: &Ui) -> Result<Report> {
    let all: Vec<&PathBuf> = [&paths.list, &paths.report, &paths.rejects].into_iter().chain(paths.html.as_ref()).collect();
    for (i, p) in all.iter().enumerate() {
        if all[..i].iter().any(|q| q == p) {
            return Err(Error::Usage(format!("{} is given for two outputs", p.display())));
        }
        output::check_writable(p, force)?;
    }
    let mut rejects = RejectsWriter::create(&paths.rejects)?;
    let collected = collect::collect(case, ui, &mut rejects)?;
    let resolved = resolve::resolve(case, &collected)?;
    let (rows, summary) = exposure::expose(case, &collected, &resolved);

    let mut outputs = BTreeMap::new();
    outputs.insert("notification_list".to_string(), shown(&paths.list, &case.dir));
    outputs.insert("report".to_string(), shown(&paths.report, &case.dir));
    outputs.insert("rejects".to_string(), shown(&paths.rejects, &case.dir));
    if let Some(html) = &paths.html {
        outputs.insert("html_report".to_string(), shown(html, &case.dir));
    }
    let report = report::build(case, collected, &resolved, summary, outputs);
    if !report.totals.reconciles() || report.inputs.iter().any(|f| !f.reconciles()) {
        return Err(Error::Usage("internal error: record counts do not reconcile; no output written".into()));
    }

    // Everything is computed: write to temporary files, then rename them all.
    let mut list = AtomicFile::create(&paths.list)?;
    std::io::Write::write_all(&mut list, &notification::to_csv(&rows)).map_err(|source| Error::Write { path: paths.list.clone(), source })?;
    let mut json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Write { path: paths.report.clone(), source: e.into() })?;
    json.push(b'\n');
    let mut report_file = AtomicFile::create(&paths.report)?;
    std::io::Write::write_all(&mut report_file, &json).map_err(|source| Error::Write { path: paths.report.clone(), source })?;
    let html_file = match &paths.html {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            std::io::Write::write_all(&mut file, crate::html::render(&report, &rows).as_bytes())
                .map_err(|source| Error::Write { path: path.clone(), source })?;
            Some(file)
        }
        None => None,
    };
    list.commit()?;
    report_file.commit()?;
    if let Some(file) = html_file {
        file.commit()?;
    }
    rejects.commit()?;
    if report.totals.records_rejected > 0 {
        ui.warn(&format!("{} record(s) rejected: see {}", report.totals.records_rejected, paths.rejects.display()));
    }
    Ok(report)
}

fn shown(path: &Path, base: &Path) -> String {
    display_path(path, base)
}
