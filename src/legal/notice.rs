//! What a notice to a person must (and must not) say under a rule: the rules file's `[rules.notice]` table
//! (title, headings in order, minimum type size, required clauses, forbidden content, agencies whose contacts
//! the letter must give), each with its citation. `letters` drafts from it; a rule without one gets the
//! plain-language default. Decision support for counsel, not legal advice.

use serde::{Deserialize, Serialize};

/// The sections a letter may have, in the default order, with their default headings (California's model
/// headings, Cal. Civ. Code §1798.82(d)(1), used as plain-language defaults elsewhere).
pub const SECTIONS: [(&str, &str); 7] = [
    ("what_happened", "What Happened"),
    ("information_involved", "What Information Was Involved"),
    ("likely_consequences", "What This May Mean for You"),
    ("what_we_are_doing", "What We Are Doing"),
    ("what_you_can_do", "What You Can Do"),
    ("more_information", "For More Information"),
    ("your_rights", "Your Rights"),
];

/// The default letter's sections (the plain-language default where a rule says nothing).
pub const DEFAULT_SECTIONS: [&str; 5] = ["what_happened", "information_involved", "what_we_are_doing", "what_you_can_do", "more_information"];

/// Clauses a rule may require in the letter.
pub const CLAUSES: [&str; 16] = [
    "organisation_contact",
    "information_involved",
    "breach_dates",
    "notice_date",
    "law_enforcement_delay",
    "what_happened",
    "what_we_are_doing",
    "what_you_can_do",
    "remain_vigilant",
    "fraud_alerts_and_freezes",
    "police_report",
    "security_freeze",
    "credit_monitoring",
    "dpo_contact",
    "likely_consequences",
    "change_credentials",
];

/// What a rule may forbid the letter to say.
pub const FORBIDDEN: [&str; 2] = ["nature_of_breach", "number_affected"];

/// Agencies whose contacts a rule may require by id (their details are in [`agency`]).
pub const AGENCIES: [&str; 2] = ["ftc", "cra"];

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub heading: String,
}

/// A state (or other) agency whose contact the letter must print.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub website: String,
}

/// `[rules.notice]`: the content rules of a notice to individuals under one rule.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NoticeRule {
    /// Where the content rules are (e.g. `Cal. Civ. Code §1798.82(d)`).
    pub citation: String,
    /// The title the law prescribes (`Notice of Data Breach`).
    #[serde(default)]
    pub title: Option<String>,
    /// The sections, in order, with the headings the law prescribes (default: [`DEFAULT_SECTIONS`]).
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Whether the headings' wording and order are prescribed (California): a template that changes them is refused.
    #[serde(default)]
    pub headings_prescribed: bool,
    /// The smallest type size the law allows, in points.
    #[serde(default)]
    pub min_font_pt: Option<u32>,
    /// Clauses the letter must hold (see [`CLAUSES`]).
    #[serde(default)]
    pub require: Vec<String>,
    /// What the letter must not say (see [`FORBIDDEN`]).
    #[serde(default)]
    pub forbid: Vec<String>,
    /// Agencies (by id: [`AGENCIES`]) whose contacts the letter must give.
    #[serde(default)]
    pub agencies: Vec<String>,
    /// Other agencies (a state attorney general) whose contacts the letter must give.
    #[serde(default)]
    pub state_agencies: Vec<Agency>,
    /// What the offer needs besides the elements (California: the business was the source of the breach).
    #[serde(default)]
    pub credit_monitoring_condition: String,
    /// How the rule was checked and what it leaves to counsel.
    #[serde(default)]
    pub notes: String,
}

impl NoticeRule {
    /// The sections in order (the rule's, else the default).
    pub fn sections(&self) -> Vec<Section> {
        if self.sections.is_empty() {
            DEFAULT_SECTIONS.iter().map(|id| Section { id: id.to_string(), heading: default_heading(id).to_string() }).collect()
        } else {
            self.sections.clone()
        }
    }

    pub fn requires(&self, clause: &str) -> bool {
        self.require.iter().any(|c| c == clause)
    }

    pub fn forbids(&self, what: &str) -> bool {
        self.forbid.iter().any(|c| c == what)
    }

    /// Checks the table's vocabulary; the message names the rule.
    pub fn check(&self, rule: &str) -> Result<(), String> {
        let bad = |what: &str, value: &str, known: &[&str]| format!("bad rules file: rule `{rule}` notice: unknown {what} `{value}` (known: {})", known.join(", "));
        if self.citation.trim().is_empty() {
            return Err(format!("bad rules file: rule `{rule}` has a notice without citation"));
        }
        let ids: Vec<&str> = SECTIONS.iter().map(|(id, _)| *id).collect();
        for s in &self.sections {
            if !ids.contains(&s.id.as_str()) {
                return Err(bad("section", &s.id, &ids));
            }
        }
        for c in &self.require {
            if !CLAUSES.contains(&c.as_str()) {
                return Err(bad("clause", c, &CLAUSES));
            }
        }
        for f in &self.forbid {
            if !FORBIDDEN.contains(&f.as_str()) {
                return Err(bad("forbidden content", f, &FORBIDDEN));
            }
        }
        for a in &self.agencies {
            if !AGENCIES.contains(&a.as_str()) {
                return Err(bad("agency", a, &AGENCIES));
            }
        }
        Ok(())
    }
}

pub fn default_heading(section: &str) -> &'static str {
    SECTIONS.iter().find(|(id, _)| *id == section).map_or("", |(_, h)| h)
}

/// The contacts of the agencies named by id. Checked against the agencies' own pages (see
/// `tools/notice-rules.toml`): the FTC's identity-theft site and the three nationwide consumer reporting agencies.
pub fn agency(id: &str) -> Vec<Agency> {
    let a = |name: &str, phone: &str, address: &str, website: &str| Agency { name: name.into(), phone: phone.into(), address: address.into(), website: website.into() };
    match id {
        "ftc" => vec![a(
            "Federal Trade Commission",
            "1-877-438-4338",
            "600 Pennsylvania Avenue NW, Washington, DC 20580",
            "https://www.identitytheft.gov",
        )],
        "cra" => vec![
            a("Equifax", "1-888-298-0045", "P.O. Box 105788, Atlanta, GA 30348-5788", "https://www.equifax.com/personal/credit-report-services/"),
            a("Experian", "1-888-397-3742", "P.O. Box 9554, Allen, TX 75013", "https://www.experian.com/help/"),
            a("TransUnion", "1-800-916-8800", "P.O. Box 2000, Chester, PA 19016", "https://www.transunion.com/credit-help"),
        ],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_words_are_refused_with_the_rule() {
        let rule = NoticeRule { citation: "x".into(), require: vec!["what_hapened".into()], ..Default::default() };
        let err = rule.check("US-CA").unwrap_err();
        assert!(err.contains("`US-CA`") && err.contains("unknown clause `what_hapened`"), "{err}");
        let rule = NoticeRule { citation: " ".into(), ..Default::default() };
        assert!(rule.check("US-CA").unwrap_err().contains("without citation"));
        let rule = NoticeRule { citation: "x".into(), agencies: vec!["fbi".into()], ..Default::default() };
        assert!(rule.check("US-CA").is_err());
    }

    #[test]
    fn default_sections_have_the_model_headings() {
        let rule = NoticeRule::default();
        let headings: Vec<String> = rule.sections().into_iter().map(|s| s.heading).collect();
        assert_eq!(headings, ["What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"]);
        assert_eq!(agency("cra").len(), 3);
    }
}
