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

/// The date a statute's clock runs from: `discovered` (the case's `discovered`: discovery or notification of
/// the breach) or `determined` (the case's `determined`: when the breach was confirmed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockFrom {
    #[default]
    Discovered,
    Determined,
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
    // Corrections to how the rule is applied (tools/rule-corrections.toml, issue 17); each defaults to the
    // reading the research table gives.
    /// The statute's government-ID element is worded generically ("government-issued identification
    /// number", "other unique identification number issued on a government document"): a passport, military,
    /// tax, national or state ID number is that element. Without it, a specific ID the rule does not list is
    /// a question for counsel (`assess`), never silently `not_required`.
    #[serde(default)]
    pub government_id_generic: bool,
    /// The elements of `elements_alone` count without the name only where they would let someone assume
    /// the person's identity (Maine, Georgia): without the name they are a question (`assess`).
    #[serde(default)]
    pub elements_alone_conditional: bool,
    /// Elements that make the duty a question (`assess`) rather than required (Japan: an account number
    /// alone may or may not cause property damage).
    #[serde(default)]
    pub elements_assess: Vec<String>,
    /// Whom the statute reaches where it is not every business that holds the data (Georgia: information
    /// brokers and government data collectors): a duty is then `assess` with this reason.
    #[serde(default)]
    pub scope: String,
    /// The consumer-reporting-agency threshold counts every person notified, wherever they live (Texas:
    /// "more than 10,000 persons"), not only the jurisdiction's residents.
    #[serde(default)]
    pub cra_counts_all_persons: bool,
    /// An access that may have been for a wrongful purpose (an insider's) makes the breach reportable at
    /// any count: the ground and its citation (Japan, APPI Enforcement Rules Art. 7(iii)); empty: none.
    #[serde(default)]
    pub wrongful_purpose_reportable: String,
    /// Earlier versions of the rule, for breaches before `effective` (the law in force on the date of the
    /// breach decides).
    #[serde(default)]
    pub earlier: Vec<EarlierVersion>,
    // ---- What counsel's action list needs (tools/rule-actions.toml): when each clock starts, where and
    // how the regulator is told, what the filing holds, credit monitoring, assessments.
    /// The date the individual deadline's days run from.
    #[serde(default)]
    pub individual_deadline_from: ClockFrom,
    /// The date the regulator deadline's days or hours run from.
    #[serde(default)]
    pub regulator_deadline_from: ClockFrom,
    /// The statute lets notice to individuals wait for a law-enforcement delay (the case's
    /// `law_enforcement_delay_until` then moves the individual due date).
    #[serde(default)]
    pub law_enforcement_delay: bool,
    /// How the regulator is told: the channel's name (an online form, a portal, written notice) and its
    /// address (URL or postal), as the regulator publishes them.
    #[serde(default)]
    pub regulator_channel: String,
    #[serde(default)]
    pub regulator_channel_address: String,
    /// What the regulator filing must contain.
    #[serde(default)]
    pub regulator_contents: String,
    /// Months of credit monitoring (or identity-theft protection) to offer at no cost.
    #[serde(default)]
    pub credit_monitoring_months: Option<u32>,
    /// The elements whose exposure triggers the credit-monitoring duty.
    #[serde(default)]
    pub credit_monitoring_elements: Vec<String>,
    /// The duty's wording and conditions.
    #[serde(default)]
    pub credit_monitoring: String,
    /// Days within which a suspected breach must be assessed (Australia: 30), counted from `discovered`.
    #[serde(default)]
    pub assessment_days: Option<u32>,
    #[serde(default)]
    pub assessment: String,
    /// Supervisory authorities by country (GDPR: the lead authority is the main establishment's).
    #[serde(default)]
    pub authorities: BTreeMap<String, String>,
    /// What the action data above was checked against.
    #[serde(default)]
    pub action_sources: String,
    /// What a notice to individuals must and must not say (`[rules.notice]`; none: the plain-language default).
    #[serde(default)]
    pub notice: Option<crate::legal::notice::NoticeRule>,
}

/// The rule as it stood before an amendment: what differed, and until when (the day the next version took
/// effect). Fields left out are as in the current rule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierVersion {
    /// The first day the next version applied (this one applies to breaches before it).
    pub until: NaiveDate,
    /// The law that made the change (for the basis).
    pub changed_by: String,
    /// The statute text or source this version was checked against.
    pub sources: String,
    #[serde(default)]
    pub individual_deadline_days: Option<u32>,
    pub individual_deadline: Option<String>,
    #[serde(default)]
    pub elements_with_name: Option<Vec<String>>,
    #[serde(default)]
    pub elements_alone: Option<Vec<String>>,
    #[serde(default)]
    pub regulator_threshold: Option<u64>,
    #[serde(default)]
    pub regulator_deadline: Option<String>,
}

impl Rule {
    /// The rule as in force on `date` (the first access of the breach): the current rule from its
    /// effective date, else the earlier version covering `date` where the file records one. The flag says
    /// whether an earlier version was used.
    pub fn in_force_on(&self, date: NaiveDate) -> (std::borrow::Cow<'_, Rule>, Option<&EarlierVersion>) {
        let mut versions: Vec<&EarlierVersion> = self.earlier.iter().filter(|v| date < v.until).collect();
        versions.sort_by_key(|v| v.until);
        let Some(version) = versions.first().copied() else { return (std::borrow::Cow::Borrowed(self), None) };
        // Later versions' changes apply first, then this one's: each field takes the earliest value that
        // still covers `date`.
        let mut rule = self.clone();
        for v in versions.iter().rev() {
            if v.individual_deadline.is_some() || v.individual_deadline_days.is_some() {
                rule.individual_deadline_days = v.individual_deadline_days;
                if let Some(text) = &v.individual_deadline {
                    rule.individual_deadline = text.clone();
                }
            }
            if let Some(list) = &v.elements_with_name {
                rule.elements_with_name = list.clone();
            }
            if let Some(list) = &v.elements_alone {
                rule.elements_alone = list.clone();
            }
            if let Some(t) = v.regulator_threshold {
                rule.regulator_threshold = t;
            }
            if let Some(text) = &v.regulator_deadline {
                rule.regulator_deadline = text.clone();
            }
        }
        (std::borrow::Cow::Owned(rule), Some(version))
    }
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
            let earlier = rule.earlier.iter().flat_map(|v| v.elements_with_name.iter().chain(&v.elements_alone).flatten());
            for element in rule.elements_with_name.iter().chain(&rule.elements_alone).chain(&rule.elements_assess).chain(&rule.credit_monitoring_elements).chain(earlier) {
                if !known.contains(element.as_str()) {
                    return Err(bad(format!("bad rules file: rule `{}` lists unknown element `{element}`", rule.id)));
                }
            }
            if rule.credit_monitoring_months.is_some() && rule.credit_monitoring_elements.is_empty() {
                return Err(bad(format!("bad rules file: rule `{}` sets credit_monitoring_months but no credit_monitoring_elements", rule.id)));
            }
            if let Some(notice) = &rule.notice {
                notice.check(&rule.id).map_err(bad)?;
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

    /// The index in `rules` of `jurisdiction`'s rule.
    pub fn index_of(&self, jurisdiction: &str) -> Option<usize> {
        self.by_jurisdiction.get(jurisdiction).copied()
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
    /// Elements that rest only on hashed, encrypted or tokenised cells, and how that is known.
    pub protected: BTreeMap<String, Protected>,
}

impl Exposed {
    /// Adds another row's exposure: an element stays protected only while every row that exposed it did
    /// so in protected form.
    pub fn merge(&mut self, other: Exposed) {
        if self.elements.is_empty() && self.protected.is_empty() {
            // Into nothing (a person's first row): what the loop below makes, without moving each element
            // into a new set one by one.
            let Exposed { name, elements, secret, mut protected } = other;
            protected.retain(|element, _| elements.contains(element));
            (self.name, self.secret) = (self.name | name, self.secret | secret);
            (self.elements, self.protected) = (elements, protected);
            return;
        }
        self.merge_each(other);
    }

    /// [`Exposed::merge`] element by element.
    fn merge_each(&mut self, other: Exposed) {
        self.name |= other.name;
        self.secret |= other.secret;
        for element in other.elements {
            match other.protected.get(&element) {
                Some(p) if !self.elements.contains(&element) => {
                    self.protected.insert(element.clone(), p.clone());
                }
                Some(_) => {}
                None => {
                    self.protected.remove(&element);
                }
            }
            self.elements.insert(element);
        }
    }
}

/// An element that was exposed only in protected form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Protected {
    /// For the basis: `customers.password_hash: hashed (guessed from the column's name)`.
    pub what: String,
    /// The case declared it (`[protection]`); otherwise it is a guess.
    pub declared: bool,
    /// The case declared that the key (or the means to read it) was exposed too.
    pub key_exposed: bool,
}

/// The duty of one person under one rule and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub notify: Notify,
    /// The elements that triggered the duty (or made it a question).
    pub triggering: Vec<String>,
    pub reason: String,
}

/// Specific identity documents a statute's generic government-ID wording covers (the SSN is always listed
/// on its own).
const SPECIFIC_IDS: [&str; 4] = ["drivers_licenses", "passport_numbers", "military_ids", "taxpayer_ids"];

/// Decides the duty to notify one person under `rule`.
pub fn decide(rule: &Rule, exposed: &Exposed) -> Decision {
    let has = |e: &str| exposed.elements.contains(e);
    let in_with = |e: &str| rule.elements_with_name.iter().any(|x| x == e);
    let in_alone = |e: &str| rule.elements_alone.iter().any(|x| x == e);
    let name_needed = rule.name_required != "no";
    let name_ok = exposed.name || !name_needed;
    // Triggered elements, as shown: those that needed the name, those that did not.
    let mut with_name: BTreeSet<String> = BTreeSet::new();
    let mut alone: BTreeSet<String> = BTreeSet::new();
    let mut questions: BTreeSet<String> = BTreeSet::new();
    let mut notes: Vec<String> = Vec::new();
    let mut triggering: BTreeSet<String> = BTreeSet::new();
    for element in &exposed.elements {
        // The element as the statute lists it.
        let (listed, shown) = if in_with(element) || in_alone(element) || rule.elements_assess.contains(element) {
            (element.clone(), element.clone())
        } else if SPECIFIC_IDS.contains(&element.as_str()) && (in_with("government_issued_ids") || in_alone("government_issued_ids")) {
            if rule.government_id_generic {
                ("government_issued_ids".to_string(), format!("government_issued_ids ({element})"))
            } else {
                if name_ok || in_alone("government_issued_ids") {
                    questions.insert(format!(
                        "{element} exposed: government_issued_ids if the statute's identification-number wording covers it"
                    ));
                    triggering.insert(element.clone());
                }
                continue;
            }
        } else if element == "government_issued_ids" && ID_ELEMENTS.iter().any(|id| in_with(id) || in_alone(id)) {
            let candidates: Vec<&str> = ID_ELEMENTS.iter().copied().filter(|id| in_with(id) || in_alone(id)).collect();
            if name_ok || candidates.iter().any(|id| in_alone(id)) {
                questions.insert(format!("a government id of unknown type was exposed: {} if it is one", candidates.join(" or ")));
                triggering.insert(element.clone());
            }
            continue;
        } else {
            continue;
        };
        let path = if rule.elements_assess.contains(&listed) {
            questions.insert(format!("{shown}: reportable under this law only where it may cause harm (counsel to assess)"));
            triggering.insert(listed.clone());
            continue;
        } else if in_with(&listed) && exposed.name && name_needed {
            &mut with_name
        } else if in_alone(&listed) {
            if rule.elements_alone_conditional && !exposed.name {
                questions.insert(format!(
                    "{shown} without the name: counts only if it would let someone assume the person's identity"
                ));
                triggering.insert(listed.clone());
                continue;
            }
            &mut alone
        } else if in_with(&listed) && !name_needed {
            &mut alone
        } else if in_with(&listed) && rule.name_required == "partial" {
            questions.insert(format!("{shown} without the name (the statute counts some elements without a name)"));
            triggering.insert(listed.clone());
            continue;
        } else {
            continue;
        };
        // Hashed, encrypted or tokenised: the statute's encryption clause decides.
        if let Some(p) = exposed.protected.get(element) {
            let harbour = rule.encryption_safe_harbor.as_deref().unwrap_or("");
            match harbour {
                "yes" | "yes_unless_key" if p.key_exposed && harbour == "yes_unless_key" => {
                    notes.push(format!("{shown} rests on {} with its key also exposed: the encryption safe harbour does not apply", p.what));
                }
                "yes" | "yes_unless_key" if p.key_exposed => {
                    questions.insert(format!("{shown} rests on {} with its key also exposed: the statute's encryption exemption has no key clause", p.what));
                    triggering.insert(listed.clone());
                    continue;
                }
                "yes" | "yes_unless_key" if p.declared => {
                    notes.push(format!("{shown} rests on {}: the statute's encryption safe harbour applies", p.what));
                    continue;
                }
                "yes" | "yes_unless_key" => {
                    questions.insert(format!(
                        "{shown} rests on {}: if so, the statute's encryption safe harbour applies (declare it in [protection] to settle it)",
                        p.what
                    ));
                    triggering.insert(listed.clone());
                    continue;
                }
                "no" => notes.push(format!("{shown} rests on {}, but this law has no encryption safe harbour", p.what)),
                _ => notes.push(format!(
                    "{shown} rests on {}; the rules file records no encryption clause for this law: counsel to check whether one applies",
                    p.what
                )),
            }
        }
        path.insert(shown);
        triggering.insert(listed);
    }
    // A password beside an account or card number may be the code that permits access to it.
    if exposed.secret {
        for (number, with_code) in [("bank_account_numbers", "bank_account_numbers_with_code"), ("credit_cards", "credit_cards_with_code")] {
            if has(number) && !has(with_code) && ((in_with(with_code) && name_ok) || in_alone(with_code)) {
                questions.insert(format!(
                    "a password was exposed with the {}: {with_code} if it permits access to the account",
                    if number == "credit_cards" { "card number" } else { "account number" }
                ));
                triggering.insert(with_code.to_string());
            }
        }
        for element in ["account_passwords", "financial_access_codes"] {
            if (in_with(element) && name_ok) || in_alone(element) {
                questions.insert(format!("a password or code was exposed: {element} if it opens a financial account"));
                triggering.insert(element.to_string());
            }
        }
    }
    let mut triggered = Vec::new();
    if !with_name.is_empty() {
        triggered.push(format!("name + {}", with_name.iter().cloned().collect::<Vec<_>>().join(" + ")));
    }
    if !alone.is_empty() {
        triggered.push(alone.iter().cloned().collect::<Vec<_>>().join(" + "));
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    let mut decision = if !triggered.is_empty() {
        let mut reason = format!("{}: {}{notes}", rule.id, triggered.join("; "));
        if rule.risk_of_harm_exception {
            reason.push_str(" (a documented no-harm finding may remove the duty)");
        }
        if !rule.scope.is_empty() {
            reason.push_str(&format!("; the statute reaches only {}: required if the organisation is one", rule.scope));
            Decision { notify: Notify::Assess, triggering: triggering.into_iter().collect(), reason }
        } else {
            Decision { notify: Notify::Required, triggering: triggering.into_iter().collect(), reason }
        }
    } else if !questions.is_empty() {
        let list: Vec<String> = questions.into_iter().collect();
        let mut reason = format!("{}: {}{notes}", rule.id, list.join("; "));
        if !rule.scope.is_empty() {
            reason.push_str(&format!("; the statute reaches only {}", rule.scope));
        }
        Decision { notify: Notify::Assess, reason, triggering: triggering.into_iter().collect() }
    } else {
        match rule.otherwise {
            Otherwise::Assess => Decision {
                notify: Notify::Assess,
                triggering: vec![],
                reason: format!("{}: personal data exposed; the duty turns on a risk assessment{notes}", rule.id),
            },
            Otherwise::NotRequired => Decision {
                notify: Notify::NotRequired,
                triggering: vec![],
                reason: format!("{}: no listed data element exposed{notes}", rule.id),
            },
        }
    };
    if !rule.wrongful_purpose_reportable.is_empty() && decision.notify != Notify::Required {
        decision.reason = format!("{}: {}; on the data alone: {}", rule.id, rule.wrongful_purpose_reportable, decision.reason);
        decision.notify = Notify::Required;
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(name: bool, elements: &[&str], secret: bool) -> Exposed {
        Exposed { name, elements: elements.iter().map(|e| e.to_string()).collect(), secret, ..Default::default() }
    }

    /// The element-by-element merge of `other` into `into`.
    fn merged_one_by_one(mut into: Exposed, other: Exposed) -> Exposed {
        into.merge_each(other);
        into
    }

    #[test]
    fn a_first_row_merged_into_nothing_is_what_merging_it_element_by_element_makes() {
        let protected = |what: &str| Protected { what: what.to_string(), declared: false, key_exposed: false };
        let mut first = exposed(true, &["ssn", "email"], false);
        first.protected.insert("ssn".into(), protected("customers.ssn_hash: hashed"));
        // A protection of an element the row did not expose is not carried into the person.
        first.protected.insert("password".into(), protected("customers.password: hashed"));
        let mut second = exposed(false, &["ssn", "phone"], true);
        second.protected.insert("phone".into(), protected("customers.phone_enc: encrypted"));
        for (a, b) in [(first.clone(), second.clone()), (second, first)] {
            let mut merged = Exposed::default();
            merged.merge(a.clone());
            assert_eq!(merged, merged_one_by_one(Exposed::default(), a.clone()));
            assert!(!merged.protected.contains_key("password"));
            merged.merge(b.clone());
            assert_eq!(merged, merged_one_by_one(merged_one_by_one(Exposed::default(), a), b));
        }
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
        for j in ["DE", "GB", "CA", "AU", "BR", "SG"] {
            assert_eq!(decide(rules.for_jurisdiction(j).unwrap(), &plain).notify, Notify::Assess, "{j}");
        }
        let card = exposed(true, &["credit_cards"], false);
        assert_eq!(decide(rules.for_jurisdiction("JP").unwrap(), &card).notify, Notify::Required);
        assert!(decide(rules.for_jurisdiction("JP").unwrap(), &card).reason.starts_with("JP-APPI: credit_cards"));
        assert_eq!(decide(rules.for_jurisdiction("SG").unwrap(), &card).notify, Notify::Required);
        assert_eq!(decide(rules.for_jurisdiction("DE").unwrap(), &card).notify, Notify::Assess);
    }

    fn rule(id: &str) -> Rule {
        RuleSet::builtin().for_jurisdiction(id).unwrap().clone()
    }

    // Issue 17, item 1. Tex. Bus. & Com. Code 521.002(a)(2)(A)(ii): "driver's license number or
    // government-issued identification number" - a passport number is one.
    #[test]
    #[allow(non_snake_case)] // the statute's own paragraph letters
    fn texas_passport_number_is_government_id_521_002_a_2_A_ii() {
        let d = decide(&rule("US-TX"), &exposed(true, &["passport_numbers"], false));
        assert_eq!(d.notify, Notify::Required);
        assert_eq!(d.reason, "US-TX: name + government_issued_ids (passport_numbers)");
        // Massachusetts lists a "state-issued identification card number" only: a passport is a question.
        let d = decide(&rule("US-MA"), &exposed(true, &["passport_numbers"], false));
        assert_eq!(d.notify, Notify::Assess, "{}", d.reason);
        assert!(d.reason.contains("passport_numbers exposed: government_issued_ids if"), "{}", d.reason);
        // California lists passports itself.
        assert_eq!(decide(&rule("US-CA"), &exposed(true, &["passport_numbers"], false)).notify, Notify::Required);
        assert_eq!(decide(&rule("US-TX"), &exposed(true, &["military_ids"], false)).notify, Notify::Required);
    }

    // Issue 17, item 2. 521.002(a)(2)(A)(iii): account number "in combination with any required security
    // code, access code, or password that would permit access to an individual's financial account".
    #[test]
    #[allow(non_snake_case)] // the statute's own paragraph letters
    fn texas_password_beside_account_number_is_assess_521_002_a_2_A_iii() {
        let d = decide(&rule("US-TX"), &exposed(true, &["bank_account_numbers"], true));
        assert_eq!(d.notify, Notify::Assess);
        assert!(d.reason.contains("a password was exposed with the account number: bank_account_numbers_with_code"), "{}", d.reason);
        // Without the password: nothing listed.
        assert_eq!(decide(&rule("US-TX"), &exposed(true, &["bank_account_numbers"], false)).notify, Notify::NotRequired);
    }

    // Issue 17, item 12: "name +" only where the element needs the name (Cal. Civ. Code 1798.82(h)(2):
    // credentials count alone).
    #[test]
    fn name_is_printed_only_for_elements_that_need_it_12() {
        let d = decide(&rule("US-CA"), &exposed(true, &["online_credentials"], true));
        assert_eq!(d.reason, "US-CA: online_credentials");
        let d = decide(&rule("US-CA"), &exposed(true, &["online_credentials", "social_security_numbers"], true));
        assert_eq!(d.reason, "US-CA: name + social_security_numbers; online_credentials");
    }

    // Issue 17, item 4: Cal. Civ. Code 1798.82(a), (i)(1): encrypted data counts only with its key.
    #[test]
    fn hashed_password_follows_the_encryption_clause_1798_82() {
        let mut e = exposed(true, &["online_credentials"], true);
        e.protected.insert(
            "online_credentials".into(),
            Protected { what: "customers.password_hash: hashed (guessed from the column's name)".into(), declared: false, key_exposed: false },
        );
        let d = decide(&rule("US-CA"), &e);
        assert_eq!(d.notify, Notify::Assess);
        assert!(d.reason.contains("customers.password_hash: hashed (guessed"), "{}", d.reason);
        // Declared: the safe harbour applies.
        e.protected.get_mut("online_credentials").unwrap().declared = true;
        assert_eq!(decide(&rule("US-CA"), &e).notify, Notify::NotRequired);
        // The key exposed too: California's clause ("unless the key ... was also acquired") no longer shields.
        e.protected.get_mut("online_credentials").unwrap().key_exposed = true;
        assert_eq!(decide(&rule("US-CA"), &e).notify, Notify::Required);
    }

    // Issue 17, item 14. 10 M.R.S. 1347(6)(E), O.C.G.A. 10-1-911(6)(E): elements without the name only
    // if sufficient to assume the identity; O.C.G.A. 10-1-911(2),(3): brokers and data collectors only;
    // APPI Enforcement Rules Art. 7(ii),(iii).
    #[test]
    fn maine_georgia_and_japan_conditions_14() {
        let ssn_alone = exposed(false, &["social_security_numbers"], false);
        let d = decide(&rule("US-ME"), &ssn_alone);
        assert_eq!(d.notify, Notify::Assess);
        assert!(d.reason.contains("without the name: counts only if it would let someone assume"), "{}", d.reason);
        assert_eq!(decide(&rule("US-ME"), &exposed(true, &["social_security_numbers"], false)).notify, Notify::Required);
        let d = decide(&rule("US-GA"), &exposed(true, &["social_security_numbers"], false));
        assert_eq!(d.notify, Notify::Assess);
        assert!(d.reason.contains("the statute reaches only information brokers"), "{}", d.reason);
        // Japan: an account number alone is a question on the data, but the insider ground reports anyway.
        let d = decide(&rule("JP"), &exposed(false, &["bank_account_numbers"], false));
        assert_eq!(d.notify, Notify::Required);
        assert!(d.reason.contains("Art. 7(iii)") && d.reason.contains("on the data alone: JP-APPI: bank_account_numbers: reportable"), "{}", d.reason);
        let mut jp = rule("JP");
        jp.wrongful_purpose_reportable.clear();
        assert_eq!(decide(&jp, &exposed(false, &["bank_account_numbers"], false)).notify, Notify::Assess);
    }

    // Issue 17, item 9. N.Y. Gen. Bus. Law 899-aa(2): 30 days only from 2024-12-21 (S2659-B).
    #[test]
    fn new_york_before_2024_12_21_has_no_day_count_899_aa_2() {
        let ny = rule("US-NY");
        let (old, version) = ny.in_force_on(NaiveDate::from_ymd_opt(2019, 6, 6).unwrap());
        assert!(version.is_some());
        assert_eq!(old.individual_deadline_days, None);
        assert!(old.individual_deadline.starts_with("the most expedient time possible"));
        // Before the SHIELD Act (2019-10-23) credentials and card numbers without a code were no element.
        let credentials = exposed(true, &["online_credentials", "credit_cards"], false);
        assert_eq!(decide(&old, &credentials).notify, Notify::NotRequired);
        let (shield, _) = ny.in_force_on(NaiveDate::from_ymd_opt(2020, 1, 10).unwrap());
        assert_eq!(decide(&shield, &credentials).notify, Notify::Required);
        assert_eq!(shield.individual_deadline_days, None);
        assert!(!shield.elements_with_name.contains(&"medical_information".to_string()));
        let (now, version) = ny.in_force_on(NaiveDate::from_ymd_opt(2025, 4, 10).unwrap());
        assert!(version.is_none());
        assert_eq!(now.individual_deadline_days, Some(30));
        assert!(now.elements_with_name.contains(&"medical_information".to_string()));
    }

    /// Issue 17 item 11: the action data of tools/rule-actions.toml reaches the built-in rules.
    #[test]
    fn action_data_is_in_the_builtin_rules() {
        let rules = RuleSet::builtin();
        let tx = rules.for_jurisdiction("US-TX").unwrap();
        // Tex. Bus. & Com. Code 521.053(i) (S.B. 768, 2023): the AG within 30 days after determination.
        assert_eq!((tx.regulator_deadline_days, tx.regulator_deadline_from), (Some(30), ClockFrom::Determined));
        assert_eq!(tx.individual_deadline_from, ClockFrom::Determined);
        assert!(tx.regulator_channel_address.starts_with("https://www.texasattorneygeneral.gov/"));
        // 9 V.S.A. 2435(b)(3): 14 business days from discovery.
        let vt = rules.for_jurisdiction("US-VT").unwrap();
        assert_eq!((vt.regulator_deadline_days, vt.regulator_deadline_unit), (Some(14), DayUnit::Business));
        // Credit monitoring: CA 12, CT 24, MA 18, DC 18, DE 12 months.
        for (j, months) in [("US-CA", 12), ("US-CT", 24), ("US-MA", 18), ("US-DC", 18), ("US-DE", 12)] {
            let rule = rules.for_jurisdiction(j).unwrap();
            assert_eq!(rule.credit_monitoring_months, Some(months), "{j}");
            assert!(rule.credit_monitoring_elements.contains(&"social_security_numbers".to_string()), "{j}");
        }
        assert_eq!(rules.for_jurisdiction("AU").unwrap().assessment_days, Some(30));
        assert_eq!(rules.for_jurisdiction("IE").unwrap().authorities["IE"], "Data Protection Commission (DPC)");
        let missing = BUILTIN.replacen("credit_monitoring_elements = [\"social_security_numbers\", \"drivers_licenses\", \"government_issued_ids\"]\n", "", 1);
        assert!(RuleSet::parse(&missing, "x").unwrap_err().2.contains("no credit_monitoring_elements"));
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
