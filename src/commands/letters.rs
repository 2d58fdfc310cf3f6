//! `breachscope letters CASE.toml`: after `analyze`, DRAFT notice letters per person and jurisdiction and
//! regulator filing drafts, from analyze's outputs (found through its manifest, checked against its hashes),
//! the case's `[organisation]` and `[notice]`, and the rules analyze used. Never rewrites analyze's outputs.

use std::path::{Path, PathBuf};

use crate::case::{Case, Overrides};
use crate::cli::LettersArgs;
use crate::error::{exit, Error, Result};
use crate::legal::rules::RuleSet;
use crate::letters::{self, write};
use crate::ui::Ui;

pub fn run(args: &LettersArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults) -> Result<i32> {
    let case = Case::load(&args.case, &Overrides { all_accounts: true, inputs: *inputs, ..Default::default() })?;
    let manifest_path = args.manifest.clone().unwrap_or_else(|| case.dir.join("manifest.json"));
    if !manifest_path.is_file() {
        return Err(Error::input(
            &manifest_path,
            format!("no analyze manifest here: run `breachscope analyze {}` first (or give --manifest FILE)", args.case.display()),
        ));
    }
    let outputs = letters::inputs::read(&manifest_path)?;
    let rules = load_rules(args, &outputs)?;
    let options = letters::Options {
        include_assess: args.include.iter().any(|i| i == "assess"),
        sample: args.sample,
        template_dir: args.template.clone(),
    };
    let draft = letters::draft(&case, &outputs, &rules, &options)?;
    let warnings: Vec<String> = draft.warnings.iter().map(|w| format!("!! {}. Fix: {}", w.message, w.fix)).collect();
    if args.strict && !draft.warnings.is_empty() {
        for w in &warnings {
            eprintln!("{w}");
        }
        return Err(Error::Strict(format!("--strict: {} warning(s) about the letters (listed above); nothing written", draft.warnings.len())));
    }
    let dir = args.out.clone().unwrap_or_else(|| case.dir.join("letters"));
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
    let chromium = if args.no_pdf { None } else { letters::pdf::chromium() };
    if chromium.is_none() && !args.no_pdf && !draft.printable.is_empty() {
        eprintln!("breachscope: note: no Chromium found (chromium, chromium-browser, or BREACHSCOPE_CHROMIUM): HTML letters only, no PDF");
    }
    let write_options = write::WriteOptions {
        force: args.force,
        chromium,
        command_line: crate::output::manifest::command_line(),
        rules_source: rules.source.clone(),
        rules_version: rules.version.clone(),
        case_file: case.file.clone(),
    };
    let phase = ui.phase("drafting letters");
    let written = write::write(&dir, &draft, &outputs, &case.name, &write_options)?;
    drop(phase);
    if !ui.quiet {
        eprint!("{}", summary(&draft, &written, &dir, &warnings));
    }
    for failure in &written.pdf_failures {
        eprintln!("breachscope: warning: PDF not printed for {failure}");
    }
    Ok(exit::OK)
}

/// The rules analyze used: `--rules`, else the file its manifest names (relative to the folder analyze ran
/// in), else the built-in rules; their version must be the manifest's.
fn load_rules(args: &LettersArgs, outputs: &letters::inputs::AnalyzeOutputs) -> Result<RuleSet> {
    let recorded = &outputs.manifest.rules;
    let path: Option<PathBuf> = match &args.rules {
        Some(p) => Some(p.clone()),
        None if recorded.source == "built-in" => None,
        None => {
            let p = PathBuf::from(&recorded.source);
            Some(if p.is_absolute() { p } else { Path::new(&outputs.manifest.working_directory).join(p) })
        }
    };
    let rules = RuleSet::load(path.as_deref())?;
    if rules.version != recorded.version {
        return Err(Error::Usage(format!(
            "the rules ({}) are version {}, but analyze decided the duties with version {} ({}): give the same rules with --rules, or run analyze again",
            rules.source, rules.version, recorded.version, recorded.source
        )));
    }
    Ok(rules)
}

fn summary(draft: &letters::Draft, written: &write::Written, dir: &Path, warnings: &[String]) -> String {
    let mut out = String::new();
    for w in warnings {
        out.push_str(&format!("{w}\n"));
    }
    let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for l in &draft.letters {
        *by.entry(l.jurisdiction.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(j, n)| format!("{j} {n}")).collect();
    out.push_str(&format!("Letters drafted: {} ({})\n", draft.letters.len(), parts.join(", ")));
    if !draft.not_drafted.is_empty() {
        let parts: Vec<String> = draft.not_drafted.iter().map(|(k, v)| format!("{v} {k}")).collect();
        out.push_str(&format!("No letter (by notify): {} (--include assess drafts the `assess` ones too)\n", parts.join(", ")));
    }
    for (j, why) in &draft.defaults {
        out.push_str(&format!("{j}: {why}\n"));
    }
    out.push_str(&format!(
        "Printable letters: {} HTML, {} PDF; filing drafts: {}; templates: {}\n",
        draft.printable.len(),
        written.pdfs,
        draft.filings.len(),
        draft.templates.len()
    ));
    out.push_str(&format!("Written to {} (index.html links everything; letters-manifest.json lists what was read and written)\n", dir.display()));
    if !warnings.is_empty() {
        out.push_str(&format!("!! {} warning(s) above: placeholders are printed in the letters until the case says what they need\n", warnings.len()));
    }
    out.push_str(&format!("{}. {}\n", write::DRAFT, crate::legal::report::DISCLAIMER));
    out
}
