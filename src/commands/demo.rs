//! `breachscope demo [DIR]`: the bundled example case, written out and analysed.

use crate::analysis::Settings;
use crate::case::{Case, Overrides};
use crate::cli::DemoArgs;
use crate::commands::analyze::analyze_and_write;
use crate::commands::generate::ensure_empty_or_forced;
use crate::error::{exit, Result};
use crate::generate::support_case::{generate, GenerateOptions};
use crate::output::report;
use crate::output::write::{OutputRole, Outputs, WriteOptions};
use crate::ui::Ui;

pub fn run(args: &DemoArgs, ui: &Ui) -> Result<i32> {
    ensure_empty_or_forced(&args.dir, args.force)?;
    generate(&args.dir, &GenerateOptions::example())?;
    let case_file = args.dir.join("case.toml");
    ui.note(&format!("Example case written to {}; analysing {}\n", args.dir.display(), case_file.display()));
    let case = Case::load(&case_file, &Overrides::default())?;
    // Every output in its default place beside the case file (the folder was just written: overwrite).
    let paths = OutputRole::ALL.into_iter().filter_map(|role| Some((role, case.dir.join(role.default_file()?)))).collect();
    let outputs = Outputs::plan(paths, WriteOptions { force: true, ..Default::default() })?;
    let report = analyze_and_write(&case, &Settings::default(), &outputs, ui)?;
    if !ui.quiet {
        eprint!("{}", report::summary(&report));
        eprintln!("\nRun it yourself: breachscope analyze {} --force", case_file.display());
    }
    Ok(exit::OK)
}
