//! The notification rules: a versioned TOML file shipped in the binary (`rules/notification-rules.toml`,
//! overridable with `--rules FILE`), one rule per law, each with its citation, effective date and the date
//! it was last checked; and the decision for one person's exposed elements under one rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The rules file compiled into the binary.
pub const BUILTIN: &str = include_str!("../../rules/notification-rules.toml");
pub const BUILTIN_NAME: &str = "(built-in) rules/notification-rules.toml";

/// Element tokens a rule may list (the research table's vocabulary). Only some can be derived from the
/// case's data classes; the rest are accepted so a rule can be written as the statute reads.
pub const ELEMENTS: [&str; 30] = [
    "social_security_numbers",
    "taxpayer_ids",
    "drivers_licenses",
    "government_issued_ids",
    "passport_numbers",
    "military_ids",
    "student_ids",
    "employer_ids",
    "credit_cards",
    "credit_cards_with_code",
    "bank_account_numbers",
    "bank_account_numbers_with_code",
    "account_passwords",
    "financial_access_codes",
    "online_credentials",
    "authentication_tokens",
    "digital_signatures",
    "irs_ip_pins",
    "medical_information",
    "health_insurance_information",
    "biometric_data",
    "genetic_data",
    "dates_of_birth",
    "mothers_maiden_names",
    "precise_geolocation",
    "alpr_data",
    "age_verification_data",
    "birth_marriage_certificates",
    "tax_information",
    "employment_evaluations",
];

/// Identity-document elements: a government id of unknown type may be any of them.
const ID_ELEMENTS: [&str; 6] = ["social_security_numbers", "taxpayer_ids", "drivers_licenses", "government_issued_ids", "passport_numbers", "military_ids"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    Required,
    Assess,
    NotRequired,
}

impl Notify {
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Required => "required",
            Notify::Assess => "assess",
            Notify::NotRequired => "not_required",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Otherwise {
    NotRequired,
    Assess,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    #[default]
    Calendar,
    Business,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// The regulator threshold counts the people who must be notified (US states).
    #[default]
    Notified,
    /// It counts every affected person (GDPR: any breach; APPI > 1,000; PDPA significant scale).
    Affected,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub jurisdictions: Vec<String>,
    pub name: String,
    pub citation: String,
    #[serde(default)]
    pub effective: Option<NaiveDate>,
    #[serde(default)]
    pub amendment: String,
    pub last_checked: NaiveDate,
    pub confidence: String,
    #[serde(default)]
    pub sources: String,
    /// `yes`: listed elements count only with the person's name; `partial`: some elements count without
    /// it (the statute's wording decides, so the tool says `assess`); `no`: no name needed.
    pub name_required: String,
    #[serde(default)]
    pub elements_with_name: Vec<String>,
    #[serde(default)]
    pub elements_alone: Vec<String>,
    /// The duty when no listed element was exposed: `not_required` (US element statutes) or `assess`
    /// (risk-based regimes: any personal data may be notifiable).
    pub otherwise: Otherwise,
    #[serde(default)]
    pub encryption_safe_harbor: Option<String>,
    #[serde(default)]
    pub risk_of_harm_exception: bool,
    #[serde(default)]
    pub individual_deadline_days: Option<u32>,
    #[serde(default)]
    pub individual_deadline_unit: DayUnit,
    pub individual_deadline: String,
    #[serde(default)]
    pub regulator: Option<String>,
    #[serde(default)]
    pub regulator_threshold: u64,
    #[serde(default)]
    pub regulator_counts: Counts,
    #[serde(default)]
    pub regulator_deadline_hours: Option<u32>,
    #[serde(default)]
    pub regulator_deadline_days: Option<u32>,
    #[serde(default)]
    pub regulator_deadline_unit: DayUnit,
    #[serde(default)]
    pub regulator_deadline: String,
    #[serde(default)]
    pub cra_threshold: Option<u64>,
    #[serde(default)]
    pub notes: String,
    /// Months of free credit monitoring / identity-theft protection the rule requires be offered, where the
    /// elements of its `notice.credit_monitoring_elements` were exposed (none: no such duty).
    #[serde(default)]
    pub credit_monitoring_months: Option<u32>,
    /// What a notice to individuals must and must not say (`[rules.notice]`; none: the plain-language default).
    #[serde(default)]
    pub notice: Option<crate::legal::notice::NoticeRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: String,
    rules: Vec<Rule>,
}

/// A checked rules file.
#[derive(Debug)]
pub struct RuleSet {
    pub source: String,
    pub version: String,
    pub rules: Vec<Rule>,
    by_jurisdiction: BTreeMap<String, usize>,
}

impl RuleSet {
    pub fn builtin() -> RuleSet {
        RuleSet::parse(BUILTIN, BUILTIN_NAME).expect("the built-in rules file is checked by a test")
    }

    /// The rules in `path`, or the built-in rules when `None`. Errors name the file (and line:column).
    pub fn load(path: Option<&Path>) -> Result<RuleSet> {
        match path {
            None => Ok(RuleSet::builtin()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, format!("cannot read the rules file: {e}")))?;
                RuleSet::parse(&text, &path.display().to_string()).map_err(|(line, column, message)| {
                    if line > 0 {
                        Error::input_at(path, line, column, message)
                    } else {
                        Error::input(path, message)
                    }
                })
            }
        }
    }

    /// Parses and checks a rules file; the error is (line, column, message), line 0 when unknown.
    pub fn parse(text: &str, source: &str) -> std::result::Result<RuleSet, (u64, u64, String)> {
        let file: RulesFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            (line, column, format!("bad rules file: {}", e.message()))
        })?;
        let bad = |m: String| (0, 0, m);
        if file.version.trim().is_empty() {
            return Err(bad("bad rules file: `version` is empty".into()));
        }
        let known: BTreeSet<&str> = ELEMENTS.into_iter().collect();
        let mut by_jurisdiction = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for (i, rule) in file.rules.iter().enumerate() {
            if !ids.insert(rule.id.as_str()) {
                return Err(bad(format!("bad rules file: rule id `{}` appears twice", rule.id)));
            }
            if rule.citation.trim().is_empty() {
                return Err(bad(format!("bad rules file: rule `{}` has no citation", rule.id)));
            }
            if !matches!(rule.name_required.as_str(), "yes" | "no" | "partial") {
                return Err(bad(format!("bad rules file: rule `{}`: name_required must be yes, no or partial", rule.id)));
            }
            for element in rule.elements_with_name.iter().chain(&rule.elements_alone) {
                if !known.contains(element.as_str()) {
                    return Err(bad(format!("bad rules file: rule `{}` lists unknown element `{element}`", rule.id)));
                }
            }
            if let Some(notice) = &rule.notice {
                notice.check(&rule.id, &ELEMENTS).map_err(bad)?;
            }
            if rule.jurisdictions.is_empty() {
                return Err(bad(format!("bad rules file: rule `{}` names no jurisdiction", rule.id)));
            }
            for j in &rule.jurisdictions {
                if by_jurisdiction.insert(j.clone(), i).is_some() {
                    return Err(bad(format!("bad rules file: jurisdiction `{j}` is covered by two rules")));
                }
            }
        }
        Ok(RuleSet { source: source.to_string(), version: file.version, rules: file.rules, by_jurisdiction })
    }

    pub fn for_jurisdiction(&self, jurisdiction: &str) -> Option<&Rule> {
        self.by_jurisdiction.get(jurisdiction).map(|i| &self.rules[*i])
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u64 + 1;
    (line, column)
}

/// What one person had exposed, in the rules' vocabulary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposed {
    /// The person's name was exposed.
    pub name: bool,
    /// Element tokens (see [`ELEMENTS`]) derived from the exposed classes and columns.
    pub elements: BTreeSet<String>,
    /// A password or secret was exposed (whether it opens a financial account is unknown).
    pub secret: bool,
}

/// The duty of one person under one rule and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub notify: Notify,
    /// The elements that triggered the duty (or made it a question).
    pub triggering: Vec<String>,
    pub reason: String,
}

/// Decides the duty to notify one person under `rule`.
pub fn decide(rule: &Rule, exposed: &Exposed) -> Decision {
    let has = |e: &str| exposed.elements.contains(e);
    let mut triggered = BTreeSet::new();
    let mut questions = BTreeSet::new();
    let with_name_ok = exposed.name || rule.name_required == "no";
    for (list, needs_name) in [(&rule.elements_alone, false), (&rule.elements_with_name, true)] {
        for element in list {
            let element = element.as_str();
            if has(element) {
                if !needs_name || with_name_ok {
                    triggered.insert(element.to_string());
                } else if rule.name_required == "partial" {
                    questions.insert(format!("{element} without the name (the statute counts some elements without a name)"));
                }
            } else if matches!(element, "account_passwords" | "financial_access_codes") && exposed.secret && (!needs_name || with_name_ok) {
                questions.insert(format!("a password or code was exposed: {element} if it opens a financial account"));
            } else if ID_ELEMENTS.contains(&element)
                && has("government_issued_ids")
                && !rule.elements_with_name.iter().chain(&rule.elements_alone).any(|e| e == "government_issued_ids")
                && (!needs_name || with_name_ok)
            {
                questions.insert(format!("a government id of unknown type was exposed: {element} if it is one"));
            }
        }
    }
    if !triggered.is_empty() {
        let list: Vec<String> = triggered.into_iter().collect();
        let mut reason = format!("{}: {}{}", rule.id, if with_name_ok && rule.name_required != "no" { "name + " } else { "" }, list.join(" + "));
        if rule.risk_of_harm_exception {
            reason.push_str(" (a documented no-harm finding may remove the duty)");
        }
        return Decision { notify: Notify::Required, triggering: list, reason };
    }
    if !questions.is_empty() {
        let list: Vec<String> = questions.into_iter().collect();
        return Decision { notify: Notify::Assess, reason: format!("{}: {}", rule.id, list.join("; ")), triggering: list };
    }
    match rule.otherwise {
        Otherwise::Assess => Decision {
            notify: Notify::Assess,
            triggering: vec![],
            reason: format!("{}: personal data exposed; the duty turns on a risk assessment", rule.id),
        },
        Otherwise::NotRequired => Decision {
            notify: Notify::NotRequired,
            triggering: vec![],
            reason: format!("{}: no listed data element exposed", rule.id),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(name: bool, elements: &[&str], secret: bool) -> Exposed {
        Exposed { name, elements: elements.iter().map(|e| e.to_string()).collect(), secret }
    }

    #[test]
    fn builtin_rules_parse_and_cover_every_state_dc_and_territory() {
        let rules = RuleSet::builtin();
        let states = [
            "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI",
            "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA",
            "VI", "VT", "WA", "WI", "WV", "WY",
        ];
        for s in states {
            let rule = rules.for_jurisdiction(&format!("US-{s}")).unwrap_or_else(|| panic!("no rule for US-{s}"));
            assert!(!rule.citation.is_empty());
        }
        for j in ["DE", "FR", "GB", "CA", "AU", "JP", "BR", "SG", "PR"] {
            assert!(rules.for_jurisdiction(j).is_some(), "{j}");
        }
        assert!(rules.for_jurisdiction("US").is_none());
        assert!(rules.for_jurisdiction("IN").is_none());
    }

    #[test]
    fn us_states_do_not_trigger_on_name_email_phone_alone() {
        let rules = RuleSet::builtin();
        let e = exposed(true, &[], false);
        for rule in rules.rules.iter().filter(|r| r.id.starts_with("US-")) {
            assert_eq!(decide(rule, &e).notify, Notify::NotRequired, "{}", rule.id);
        }
    }

    #[test]
    fn ssn_with_name_triggers_california_and_texas() {
        let rules = RuleSet::builtin();
        let e = exposed(true, &["social_security_numbers"], false);
        for id in ["US-CA", "US-TX", "US-NY"] {
            let d = decide(rules.for_jurisdiction(id).unwrap(), &e);
            assert_eq!(d.notify, Notify::Required, "{id}");
            assert_eq!(d.triggering, ["social_security_numbers"]);
        }
        // Without the name: California needs it.
        let d = decide(rules.for_jurisdiction("US-CA").unwrap(), &exposed(false, &["social_security_numbers"], false));
        assert_eq!(d.notify, Notify::NotRequired);
        // Indiana counts an SSN alone.
        let d = decide(rules.for_jurisdiction("US-IN").unwrap(), &exposed(false, &["social_security_numbers"], false));
        assert_eq!(d.notify, Notify::Required);
        // New York ("partial" name rule) asks counsel.
        let d = decide(rules.for_jurisdiction("US-NY").unwrap(), &exposed(false, &["social_security_numbers"], false));
        assert_eq!(d.notify, Notify::Assess);
    }

    #[test]
    fn card_number_without_code_depends_on_the_state() {
        let rules = RuleSet::builtin();
        let e = exposed(true, &["credit_cards"], false);
        // Massachusetts: card number with or without code.
        assert_eq!(decide(rules.for_jurisdiction("US-MA").unwrap(), &e).notify, Notify::Required);
        // California needs the code.
        assert_eq!(decide(rules.for_jurisdiction("US-CA").unwrap(), &e).notify, Notify::NotRequired);
        let with_code = exposed(true, &["credit_cards", "credit_cards_with_code"], false);
        assert_eq!(decide(rules.for_jurisdiction("US-CA").unwrap(), &with_code).notify, Notify::Required);
    }

    #[test]
    fn online_credentials_without_name_trigger_california_not_delaware() {
        let rules = RuleSet::builtin();
        let e = exposed(false, &["online_credentials"], true);
        assert_eq!(decide(rules.for_jurisdiction("US-CA").unwrap(), &e).notify, Notify::Required);
        // Delaware lists credentials in the name-combination list.
        assert_eq!(decide(rules.for_jurisdiction("US-DE").unwrap(), &e).notify, Notify::NotRequired);
    }

    #[test]
    fn date_of_birth_counts_in_washington_and_north_dakota_only() {
        let rules = RuleSet::builtin();
        let e = exposed(true, &["dates_of_birth"], false);
        assert_eq!(decide(rules.for_jurisdiction("US-WA").unwrap(), &e).notify, Notify::Required);
        assert_eq!(decide(rules.for_jurisdiction("US-ND").unwrap(), &e).notify, Notify::Required);
        assert_eq!(decide(rules.for_jurisdiction("US-CA").unwrap(), &e).notify, Notify::NotRequired);
    }

    #[test]
    fn a_password_is_a_question_where_financial_codes_count() {
        let rules = RuleSet::builtin();
        let e = exposed(true, &[], true);
        assert_eq!(decide(rules.for_jurisdiction("US-GA").unwrap(), &e).notify, Notify::Assess);
        assert_eq!(decide(rules.for_jurisdiction("US-TX").unwrap(), &e).notify, Notify::NotRequired);
    }

    #[test]
    fn risk_regimes_assess_and_appi_requires_for_cards() {
        let rules = RuleSet::builtin();
        let plain = exposed(true, &[], false);
        for j in ["DE", "GB", "CA", "AU", "JP", "BR", "SG"] {
            assert_eq!(decide(rules.for_jurisdiction(j).unwrap(), &plain).notify, Notify::Assess, "{j}");
        }
        let card = exposed(true, &["credit_cards"], false);
        assert_eq!(decide(rules.for_jurisdiction("JP").unwrap(), &card).notify, Notify::Required);
        assert_eq!(decide(rules.for_jurisdiction("SG").unwrap(), &card).notify, Notify::Required);
        assert_eq!(decide(rules.for_jurisdiction("DE").unwrap(), &card).notify, Notify::Assess);
    }

    #[test]
    fn builtin_notice_rules_carry_the_content_rules_and_credit_monitoring() {
        let rules = RuleSet::builtin();
        let ca = rules.for_jurisdiction("US-CA").unwrap();
        let notice = ca.notice.as_ref().expect("California has content rules");
        assert_eq!(notice.title.as_deref(), Some("Notice of Data Breach"));
        let headings: Vec<&str> = notice.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"]);
        assert_eq!(notice.min_font_pt, Some(10));
        assert!(notice.citation.contains("1798.82(d)"));
        let ma = rules.for_jurisdiction("US-MA").unwrap().notice.as_ref().unwrap();
        assert!(ma.forbids("nature_of_breach") && ma.forbids("number_affected"));
        assert!(rules.for_jurisdiction("US-IL").unwrap().notice.as_ref().unwrap().agencies.contains(&"ftc".to_string()));
        let months: Vec<(&str, Option<u32>)> =
            ["US-CA", "US-CT", "US-MA", "US-DC", "US-DE", "US-TX"].iter().map(|j| (*j, rules.for_jurisdiction(j).unwrap().credit_monitoring_months)).collect();
        assert_eq!(months, [("US-CA", Some(12)), ("US-CT", Some(24)), ("US-MA", Some(18)), ("US-DC", Some(18)), ("US-DE", Some(12)), ("US-TX", None)]);
        assert!(rules.for_jurisdiction("DE").unwrap().notice.as_ref().unwrap().requires("dpo_contact"));
        // A misspelt clause in a notice table is refused when the rules load.
        let bad = BUILTIN.replacen("\"police_report\"", "\"police_reports\"", 1);
        assert!(RuleSet::parse(&bad, "x").unwrap_err().2.contains("unknown clause `police_reports`"));
    }

    #[test]
    fn malformed_files_are_rejected_with_a_position() {
        let err = RuleSet::parse("version = \"1\"\n[[rules]]\nid = 3\n", "x").unwrap_err();
        assert_eq!(err.0, 3, "{err:?}");
        let unknown = BUILTIN.replacen("\"social_security_numbers\"", "\"socks\"", 1);
        assert!(RuleSet::parse(&unknown, "x").unwrap_err().2.contains("unknown element `socks`"));
        let twice = format!("{BUILTIN}\n[[rules]]\nid = \"X\"\njurisdictions = [\"US-CA\"]\nname = \"x\"\ncitation = \"c\"\nlast_checked = \"2026-01-01\"\nconfidence = \"c\"\nname_required = \"yes\"\notherwise = \"assess\"\nindividual_deadline = \"x\"\n");
        assert!(RuleSet::parse(&twice, "x").unwrap_err().2.contains("covered by two rules"));
    }
}
