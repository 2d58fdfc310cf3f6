//! Regulator filing drafts: per jurisdiction whose regulator notice analyze found due (or to assess), the
//! fields the regulator's form asks for (state attorneys general such as Texas' online form, California's
//! sample-letter upload, the ICO, OPC and OAIC report forms): who files, residents affected and notified,
//! data classes, the dates (breach, discovery, notice), the measures, the contacts, the sample letter; as
//! JSON and Markdown, with placeholders where the case does not say.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::case::Case;
use crate::legal::rules::Rule;
use crate::letters::inputs::PersonRow;
use crate::letters::merge::{class_words, placeholder};

/// The form a regulator offers, where known (what to look for; the fields below are the ones such forms ask).
fn form(jurisdiction: &str, rule: Option<&Rule>) -> &'static str {
    match jurisdiction {
        "US-CA" => "California Attorney General: online 'Submit Data Security Breach' form, with a sample copy of the notice sent to residents (upload the sample letter, personal data removed)",
        "US-TX" => "Texas Attorney General: online 'Data Security Breach Report' form",
        "US-NY" => "New York: AG, Department of State and State Police (New York State Security Breach Reporting Form)",
        "US-MA" => "Massachusetts: AG and OCABR (OCABR online 'Data Breach Notification Form')",
        "GB" => "ICO: 'Report a personal data breach' form (UK GDPR Art. 33)",
        "CA" => "Office of the Privacy Commissioner of Canada: 'PIPEDA breach report form'",
        "AU" => "OAIC: 'Notifiable Data Breach form' (statement under s. 26WK)",
        _ if rule.is_some_and(|r| r.id == "EU-GDPR") => "the competent supervisory authority's breach notification form (GDPR Art. 33(3))",
        _ => "the regulator's own form or letter",
    }
}

/// One filing draft.
#[derive(Clone, Debug, Serialize)]
pub struct Filing {
    pub draft: &'static str,
    pub jurisdiction: String,
    pub rule: String,
    pub citation: String,
    pub regulator: String,
    /// `required` or `assess`, as analyze found it.
    pub regulator_notice: String,
    pub regulator_deadline: String,
    pub form: &'static str,
    pub organisation: BTreeMap<&'static str, String>,
    pub residents_affected: usize,
    pub residents_notified: usize,
    /// Customer rows of those residents (GDPR Art. 33(3)(a): approximate number of records).
    pub records: usize,
    pub data_classes: Vec<String>,
    pub data_classes_plain: Vec<String>,
    pub breach_start: String,
    pub breach_end: String,
    pub discovered: String,
    pub notice_date: String,
    pub law_enforcement_delayed: String,
    pub what_happened: String,
    pub likely_consequences: String,
    pub measures: String,
    pub credit_monitoring_months_offered: String,
    pub sample_letter: String,
    pub placeholders: Vec<&'static str>,
    pub note: &'static str,
}

pub const DRAFT: &str = "DRAFT for counsel's review: not to be filed as it stands";

/// The filing draft for `jurisdiction`, from its `jurisdictions.csv` row and its people.
pub fn build(case: &Case, row: &BTreeMap<String, String>, people: &[&PersonRow], rule: Option<&Rule>, sample_letter: &str) -> Filing {
    let mut placeholders = Vec::new();
    let mut need = |clause: &'static str, value: Option<String>| -> String {
        value.unwrap_or_else(|| {
            if !placeholders.contains(&clause) {
                placeholders.push(clause);
            }
            placeholder(clause).0.to_string()
        })
    };
    let org = &case.organisation;
    let n = &case.notice;
    let jurisdiction = row.get("jurisdiction").cloned().unwrap_or_default();
    let mut organisation = BTreeMap::new();
    organisation.insert("name", need("organisation_name", org.name.clone()));
    let contact: Vec<String> = [n.contact.clone(), org.contact_phone.clone(), org.contact_email.clone()].into_iter().flatten().collect();
    organisation.insert("contact", need("organisation_contact", (!contact.is_empty()).then(|| contact.join("; "))));
    organisation.insert("address", org.contact_address.clone().unwrap_or_default());
    organisation.insert("website", org.website.clone().unwrap_or_default());
    let gdpr = rule.is_some_and(|r| r.notice.as_ref().is_some_and(|n| n.requires("dpo_contact")));
    let dpo: Vec<String> = [org.dpo_name.clone(), org.dpo_contact.clone()].into_iter().flatten().collect();
    organisation.insert("dpo", if gdpr { need("dpo_contact", (!dpo.is_empty()).then(|| dpo.join(", "))) } else { dpo.join(", ") });
    let classes: BTreeSet<String> = people.iter().flat_map(|p| p.data_classes.iter().cloned()).collect();
    let notified = people.iter().filter(|p| p.notify == "required").count();
    let first = people.iter().map(|p| p.first_access.clone()).min().unwrap_or_default();
    let last = people.iter().map(|p| p.last_access.clone()).max().unwrap_or_default();
    let discovered = case.discovered.map(|d| d.to_string()).unwrap_or_else(|| "[DATE OF DISCOVERY: set [case] discovered]".to_string());
    let credit = rule
        .and_then(|r| r.credit_monitoring_months)
        .map(|required| n.credit_monitoring.months.map_or_else(|| format!("{required} (the law's minimum; set [notice] credit_monitoring_months)"), |m| m.to_string()))
        .unwrap_or_default();
    Filing {
        draft: DRAFT,
        jurisdiction,
        rule: rule.map(|r| r.id.clone()).unwrap_or_default(),
        citation: row.get("citation").cloned().unwrap_or_default(),
        regulator: row.get("regulator").cloned().unwrap_or_default(),
        regulator_notice: row.get("regulator_notice").cloned().unwrap_or_default(),
        regulator_deadline: row.get("regulator_deadline").cloned().unwrap_or_default(),
        form: form(row.get("jurisdiction").map_or("", String::as_str), rule),
        organisation,
        residents_affected: people.len(),
        residents_notified: notified,
        records: people.iter().map(|p| p.customer_ids.len()).sum(),
        data_classes_plain: classes.iter().map(|c| class_words(c)).collect(),
        data_classes: classes.into_iter().collect(),
        breach_start: first,
        breach_end: last,
        discovered,
        notice_date: need("notice_date", n.notice_date.map(|d| d.to_string())),
        law_enforcement_delayed: need("law_enforcement_delay", n.law_enforcement_delayed.map(|d| if d { "yes" } else { "no" }.to_string())),
        what_happened: need("what_happened", n.what_happened.clone()),
        likely_consequences: n.likely_consequences.clone().unwrap_or_default(),
        measures: need("what_we_are_doing", n.what_we_are_doing.clone()),
        credit_monitoring_months_offered: credit,
        sample_letter: sample_letter.to_string(),
        placeholders,
        note: crate::legal::report::DISCLAIMER,
    }
}

/// The filing as Markdown for people (the JSON holds the same fields).
pub fn markdown(f: &Filing) -> String {
    let mut out = String::new();
    out.push_str(&format!("# DRAFT regulator filing: {} ({})\n\n", f.jurisdiction, f.regulator));
    out.push_str(&format!("**{}.** {}\n\n", f.draft, f.note));
    let mut row = |k: &str, v: &str| out.push_str(&format!("| {k} | {} |\n", v.replace('|', "\\|").replace('\n', "<br>")));
    row("field", "value");
    row("---", "---");
    row("Regulator", &f.regulator);
    row("Rule", &format!("{} ({})", f.rule, f.citation));
    row("Notice to the regulator", &format!("{} (as analyze found it)", f.regulator_notice));
    row("Deadline", &f.regulator_deadline);
    row("Form", f.form);
    for (k, v) in &f.organisation {
        row(&format!("Organisation {k}"), v);
    }
    row("Residents affected", &f.residents_affected.to_string());
    row("Residents notified (notify = required)", &f.residents_notified.to_string());
    row("Customer records", &f.records.to_string());
    row("Data classes", &f.data_classes_plain.join("; "));
    row("Breach (first and last access)", &format!("{} to {}", f.breach_start, f.breach_end));
    row("Discovered", &f.discovered);
    row("Notice to individuals", &f.notice_date);
    row("Delayed by law enforcement", &f.law_enforcement_delayed);
    row("What happened", &f.what_happened);
    row("Likely consequences", &f.likely_consequences);
    row("Measures taken or proposed", &f.measures);
    row("Credit monitoring offered (months)", &f.credit_monitoring_months_offered);
    row("Sample letter", &f.sample_letter);
    row("Placeholders still to fill", &f.placeholders.join(", "));
    out
}
