//! From the notification list to the letters: after `analyze`, from its outputs (read back and checked
//! against its manifest), a notice draft per person and jurisdiction following that jurisdiction's content
//! rules (the rules file's `[rules.notice]`), the merge data as `letters.csv`, printable HTML (and PDF)
//! letters, per-jurisdiction templates, regulator filing drafts, an index and a manifest of what was read
//! and written. Everything is a DRAFT for counsel. Depends on `case`, `legal` (rules), `read` and the
//! output helpers; never on `commands`.

pub mod filings;
pub mod inputs;
pub mod merge;
pub mod pdf;
pub mod render;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use regex::Regex;

use crate::case::Case;
use crate::error::{Error, Result};
use crate::legal::rules::RuleSet;
use crate::letters::filings::Filing;
use crate::letters::inputs::{AnalyzeOutputs, PersonRow};
use crate::letters::merge::{Context, Letter};
use crate::letters::render::Template;

/// How letters are drafted (from the command line).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also draft letters for people whose duty is `assess`.
    pub include_assess: bool,
    /// Printable files for only this many letters (spread over the jurisdictions); letters.csv has all.
    pub sample: Option<usize>,
    /// The user's templates (`US-CA.html`, `EU-GDPR.html`, `default.html`).
    pub template_dir: Option<PathBuf>,
}

/// Something a letter or filing needs and does not have, or a problem counsel must settle, with its fix.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct Warning {
    /// `placeholder` (a clause drafted as a visible placeholder) or `check` (a point counsel must settle).
    pub kind: &'static str,
    pub jurisdiction: String,
    /// The clause (placeholders) or the problem's words.
    pub clause: String,
    pub letters: usize,
    pub message: String,
    pub fix: String,
}

/// What `letters` drafted.
pub struct Draft {
    pub letters: Vec<Letter>,
    /// The template of each jurisdiction drafted (built-in or the user's).
    pub templates: BTreeMap<String, Template>,
    /// Indexes into `letters` of those with printable files (all, or the `--sample`).
    pub printable: Vec<usize>,
    pub filings: Vec<Filing>,
    pub warnings: Vec<Warning>,
    /// People on the list not drafted, by their `notify`.
    pub not_drafted: BTreeMap<String, usize>,
    /// Jurisdictions drafted with the plain-language default, and why.
    pub defaults: BTreeMap<String, String>,
}

/// A count of residents in a text (`1,234 customers`): forbidden where the law forbids the number affected.
fn count_re() -> Regex {
    Regex::new(r"(?i)\b\d[\d,.]*\s+(?:[a-z]+\s+)?(?:residents|customers|people|persons|individuals|accounts|records|consumers|users)\b").expect("static regex")
}

/// Drafts every letter and filing; nothing is written here.
pub fn draft(case: &Case, outputs: &AnalyzeOutputs, rules: &RuleSet, options: &Options) -> Result<Draft> {
    let chosen: Vec<&PersonRow> = outputs.people.iter().filter(|p| p.notify == "required" || options.include_assess && p.notify == "assess").collect();
    let mut not_drafted = BTreeMap::new();
    for p in outputs.people.iter().filter(|p| !(p.notify == "required" || options.include_assess && p.notify == "assess")) {
        *not_drafted.entry(p.notify.clone()).or_insert(0) += 1;
    }
    let wanted: BTreeSet<&str> = chosen.iter().flat_map(|p| p.customer_ids.iter().map(String::as_str)).collect();
    let addresses = inputs::addresses(case, &wanted)?;
    let ctx = Context { organisation: &case.organisation, notice: &case.notice, addresses: &addresses };

    let mut letters = Vec::new();
    let mut templates: BTreeMap<String, Template> = BTreeMap::new();
    let mut defaults = BTreeMap::new();
    let mut checks: BTreeMap<(String, String), usize> = BTreeMap::new();
    for person in &chosen {
        if person.jurisdictions.len() > 1 {
            *checks
                .entry((
                    person.jurisdictions.join(";"),
                    format!("the person's rows name {} places: a draft for each ({}); send the one for where the person lives", person.jurisdictions.len(), person.jurisdictions.join(", ")),
                ))
                .or_default() += 1;
        }
        for jurisdiction in &person.jurisdictions {
            let rule = rules.for_jurisdiction(jurisdiction);
            if !templates.contains_key(jurisdiction) {
                let notice_rule = merge::notice_rule(rule);
                let note = match rule {
                    None => format!("No rule for {jurisdiction} in the rules file: plain-language default."),
                    Some(r) if r.notice.is_none() => format!("{}: no content rule in the rules file: plain-language default.", r.id),
                    Some(r) => format!("{} ({}). {}", notice_rule.citation, r.id, notice_rule.notes),
                };
                if rule.is_none_or(|r| r.notice.is_none()) {
                    defaults.insert(jurisdiction.clone(), note.clone());
                }
                let us = jurisdiction == "US" || jurisdiction.starts_with("US-");
                let template = match &options.template_dir {
                    Some(dir) => render::custom(dir, jurisdiction, rule.map(|r| r.id.as_str()))?.unwrap_or_else(|| render::builtin(&notice_rule, &note, us)),
                    None => render::builtin(&notice_rule, &note, us),
                };
                let path = || PathBuf::from(if template.source == "built-in" { "(built-in template)".to_string() } else { template.source.clone() });
                if let Some((line, column, name)) = render::unknown_marker(&template) {
                    return Err(Error::input_at(path(), line, column, format!("`{{{{{name}}}}}` is no merge field (fields: {})", merge::FIELDS.join(", "))));
                }
                let has_agencies = !notice_rule.agencies.is_empty() || !notice_rule.state_agencies.is_empty();
                let problems = render::check(&template, &notice_rule, has_agencies);
                if !problems.is_empty() {
                    return Err(Error::input(path(), format!("the template for {jurisdiction} does not follow its content rules: {}", problems.join("; "))));
                }
                templates.insert(jurisdiction.clone(), template);
            }
            letters.push(merge::build(person, jurisdiction, rule, &ctx));
        }
    }

    // Placeholders and problems, counted per jurisdiction and clause.
    let mut placeholders: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for letter in &letters {
        for clause in &letter.placeholders {
            *placeholders.entry((letter.jurisdiction.clone(), clause)).or_default() += 1;
        }
        for problem in &letter.problems {
            *checks.entry((letter.jurisdiction.clone(), problem.clone())).or_default() += 1;
        }
    }
    let mut warnings = Vec::new();
    for ((jurisdiction, clause), n) in placeholders {
        let rule = rules.for_jurisdiction(&jurisdiction);
        let citation = rule.and_then(|r| r.notice.as_ref()).map_or_else(|| "plain-language default".to_string(), |n| n.citation.clone());
        let (text, fix) = merge::placeholder(clause);
        warnings.push(Warning {
            kind: "placeholder",
            jurisdiction: jurisdiction.clone(),
            clause: clause.to_string(),
            letters: n,
            message: format!("{jurisdiction}: clause `{clause}` drafted as the placeholder {text} in {n} letter(s) ({citation})"),
            fix: fix.to_string(),
        });
    }
    for ((jurisdiction, problem), n) in checks {
        warnings.push(Warning {
            kind: "check",
            jurisdiction: jurisdiction.clone(),
            clause: problem.clone(),
            letters: n,
            message: format!("{problem} ({n} letter(s))"),
            fix: "counsel to settle before the letters go out".to_string(),
        });
    }
    // A number of residents where the law forbids it.
    let re = count_re();
    let texts = [
        ("what_happened", &case.notice.what_happened),
        ("what_we_are_doing", &case.notice.what_we_are_doing),
        ("likely_consequences", &case.notice.likely_consequences),
        ("contact", &case.notice.contact),
    ];
    for jurisdiction in templates.keys() {
        let Some(notice) = rules.for_jurisdiction(jurisdiction).and_then(|r| r.notice.as_ref()) else { continue };
        if !notice.forbids("number_affected") {
            continue;
        }
        for (key, text) in texts {
            if let Some(m) = text.as_deref().and_then(|t| re.find(t)) {
                let n = letters.iter().filter(|l| &l.jurisdiction == jurisdiction).count();
                warnings.push(Warning {
                    kind: "check",
                    jurisdiction: jurisdiction.clone(),
                    clause: format!("number_affected in [notice] {key}"),
                    letters: n,
                    message: format!("{jurisdiction}: [notice] {key} states a number (`{}`), which {} forbids in a letter", m.as_str(), notice.citation),
                    fix: format!("remove the number from [notice] {key}"),
                });
            }
        }
    }

    let printable = sample(&letters, options.sample);
    let mut filings = Vec::new();
    for (jurisdiction, row) in &outputs.jurisdictions {
        let notice = row.get("regulator_notice").map(String::as_str).unwrap_or("");
        if notice != "required" && notice != "assess" {
            continue;
        }
        let people: Vec<&PersonRow> = outputs.people.iter().filter(|p| p.jurisdictions.contains(jurisdiction)).collect();
        let sample_letter = if templates.contains_key(jurisdiction) { format!("templates/{jurisdiction}.html") } else { String::new() };
        filings.push(filings::build(case, row, &people, rules.for_jurisdiction(jurisdiction), &sample_letter));
    }
    Ok(Draft { letters, templates, printable, filings, warnings, not_drafted, defaults })
}

/// The letters with printable files: all, or `n` taken in turn from each jurisdiction (so the sample shows
/// every template).
fn sample(letters: &[Letter], n: Option<usize>) -> Vec<usize> {
    let Some(n) = n else { return (0..letters.len()).collect() };
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in letters.iter().enumerate() {
        by.entry(l.jurisdiction.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    let mut round = 0;
    while out.len() < n && by.values().any(|v| v.len() > round) {
        for v in by.values() {
            if out.len() < n {
                if let Some(i) = v.get(round) {
                    out.push(*i);
                }
            }
        }
        round += 1;
    }
    out.sort_unstable();
    out
}
