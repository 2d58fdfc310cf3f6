//! `breachscope demo [DIR]`: the bundled example case, written out and analysed.

use crate::case::{Case, Overrides};
use crate::cli::{AnalyzeArgs, DemoArgs};
use crate::commands::analyze::{analyze, OutputPaths};
use crate::commands::generate::ensure_empty_or_forced;
use crate::error::{exit, Result};
use crate::generate::support_case::{generate, GenerateOptions};
use crate::output::report;
use crate::ui::Ui;

pub fn run(args: &DemoArgs, ui: &Ui) -> Result<i32> {
    ensure_empty_or_forced(&args.dir, args.force)?;
    generate(&args.dir, &GenerateOptions::example())?;
    let case_file = args.dir.join("case.toml");
    ui.note(&format!("Example case written to {}; analysing {}\n", args.dir.display(), case_file.display()));
    let case = Case::load(&case_file, &Overrides::default())?;
    let analyze_args = AnalyzeArgs {
        case: case_file.clone(),
        out: None,
        report: None,
        rejects: None,
        actors: vec![],
        since: None,
        until: None,
        force: true,
        strict_coverage: false,
        min_gap: None,
        legal: Default::default(),
        disabled_at: None,
        html: None,
        manifest: None,
        strict: false,
        redact: false,
    };
    let paths = OutputPaths::for_case(&case.dir, &analyze_args);
    let report = analyze(&case, &paths, &crate::legal::report::Options::default(), true, ui)?;
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
        eprintln!("\nRun it yourself: breachscope analyze {} --force", case_file.display());
    }
    Ok(exit::OK)
}
