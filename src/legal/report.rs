//! What the legal stage produces: one [`Person`] per person on the list (or per customer row), the duties
//! per jurisdiction, and the `legal` block of report.json.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::classes::DataClass;
use crate::evidence::access::Grade;
use crate::legal::freetext::Finding;
use crate::legal::people::MergeStats;
use crate::legal::rules::Notify;
use crate::read::timefmt::Timestamp;

/// The statement counsel reads first (built by `legal::statement`).
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    /// Data class → customer rows with it exposed (columns and free text).
    pub exposed: BTreeMap<String, usize>,
    /// Classes the tables hold that nothing the actors did could have exposed (empty where that cannot be
    /// said of any class).
    pub not_exposed: Vec<DataClass>,
    /// Classes no listed customer had exposed but something could have (see `not_exposed_blocked_by`).
    pub cannot_be_ruled_out: Vec<DataClass>,
    /// What keeps `cannot_be_ruled_out` from being called not exposed.
    pub not_exposed_blocked_by: Option<String>,
    /// Sensitive classes no column of the case's tables holds and no free-text scan found.
    pub not_held: Vec<DataClass>,
    /// What `not_held` rests on: the columns looked at, the free text scanned and not scanned.
    pub not_held_basis: String,
    /// Segment → people affected (segment values mapped to consumer/business/government, else `other`).
    pub segments_affected: BTreeMap<String, usize>,
    pub segments_not_affected: Vec<String>,
    pub first_access: Option<String>,
    pub last_access: Option<String>,
    pub window_since: Option<String>,
    pub window_until: Option<String>,
    pub discovered: Option<String>,
    /// The statement as sentences.
    pub lines: Vec<String>,
}

/// The one line every legal output carries.
pub const DISCLAIMER: &str = "Decision support for counsel, not legal advice: counsel decides who is notified. `not_required` means no element the statute lists was found in the fields seen; sector duties (HIPAA, GLBA, NYDFS Part 500, PCI DSS, SEC), contracts and the law at the breach date beyond the rules file are not covered.";

/// One row per person (default) or one per customer row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Per {
    #[default]
    Person,
    Record,
}

/// The legal stage's options (set by the command line, in `commands`).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub per: Per,
    pub rules: Option<PathBuf>,
    pub excel: bool,
}

/// One person on the notification list.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub person_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Every distinct postal address among the person's rows (the customers table's `address` role).
    pub address: String,
    pub jurisdictions: Vec<String>,
    pub data_classes: Vec<DataClass>,
    /// Of `data_classes`, those that rest only on assumed views for every row of the person.
    pub assumed_classes: Vec<DataClass>,
    pub notify: Notify,
    /// The duty without the fields and findings that rest only on assumed views: where it differs from
    /// `notify`, the duty depends on the assumption.
    pub notify_without_assumed: Notify,
    pub basis: Vec<String>,
    pub deadline: Vec<String>,
    pub regulator: Vec<String>,
    pub customer_ids: Vec<String>,
    pub first_access: Timestamp,
    pub last_access: Timestamp,
    pub evidence: Grade,
    pub found_in: Vec<String>,
    pub segments: Vec<String>,
    /// The duty in each of the person's jurisdictions.
    /// The person's duty in each of their jurisdictions, sorted by jurisdiction.
    pub duties: Vec<(String, Notify)>,
    /// The rules' elements exposed for the person (all their rows), for duties that turn on one element
    /// (credit monitoring after an SSN).
    pub elements: Vec<String>,
}

/// One row of counsel's action list: one recipient and one duty.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    /// Who is told or what is done: a regulator by name, `individuals in US-TX`, the consumer reporting
    /// agencies, the organisation's own assessment.
    pub recipient: String,
    /// `regulator_notice`, `individual_notice`, `cra_notice`, `credit_monitoring` or `assessment`.
    pub duty: &'static str,
    /// `required`, `assess` or `not_required` (a threshold not met, no one to notify).
    pub status: Notify,
    pub jurisdictions: Vec<String>,
    pub rule: String,
    /// The people the duty concerns (the count the threshold compares, for a regulator).
    pub people: usize,
    /// The computed due date (`YYYY-MM-DD`, or a UTC time for a deadline in hours); empty where the law
    /// sets no days or the case gives no date to count from.
    pub due: String,
    /// How the date was counted, or the statute's wording.
    pub deadline: String,
    /// Why this status: thresholds, counts, conditions.
    pub basis: String,
    /// How to file: the channel's name and address as the rules file holds them.
    pub channel: String,
    pub channel_address: String,
    /// What the filing or offer must contain.
    pub contents: String,
    pub citation: String,
    pub last_checked: Option<NaiveDate>,
}

/// The duties in one jurisdiction.
#[derive(Clone, Debug, Serialize)]
pub struct JurisdictionSummary {
    pub jurisdiction: String,
    pub rule: Option<String>,
    pub citation: String,
    pub people: usize,
    pub notify_required: usize,
    pub notify_assess: usize,
    pub notify_not_required: usize,
    pub individual_deadline: String,
    pub regulator: String,
    pub regulator_threshold: Option<u64>,
    /// `required`, `assess`, `not_required` (threshold not met or no one to notify) or `none` (no such duty).
    pub regulator_notice: String,
    pub regulator_deadline: String,
    pub cra_threshold: Option<u64>,
    pub cra_notice: String,
    /// The rule's effective date, or (when the research gives no date) its latest amendment.
    pub effective: String,
    pub confidence: String,
    pub last_checked: Option<NaiveDate>,
    /// The rule's notes: scope limits, exceptions, corrections found when it was checked.
    pub rule_notes: String,
    /// Where the law in force on the breach date (its first access) is not the current rule: which version
    /// decided and the current law beside it, or a warning that no earlier version is recorded.
    pub law_at_breach: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FreeTextReport {
    pub columns_scanned: Vec<String>,
    pub customers_with_findings: usize,
    pub by_class: BTreeMap<String, usize>,
    /// Where each finding is (table.column, record key) and its class; never the value.
    pub findings: Vec<Finding>,
}

/// A person whose duty depends on assumed views: without the classes that rest only on them, the duty
/// would be `notify_without_assumed`.
#[derive(Clone, Debug, Serialize)]
pub struct AssumedDuty {
    pub person_id: String,
    pub notify: Notify,
    pub notify_without_assumed: Notify,
    pub assumed_classes: Vec<DataClass>,
}

/// The `legal` block of report.json.
#[derive(Clone, Debug, Serialize)]
pub struct LegalReport {
    pub note: &'static str,
    pub rules_source: String,
    pub rules_version: String,
    pub per: &'static str,
    pub people: usize,
    pub merges: MergeStats,
    pub rows_jurisdiction_from: BTreeMap<String, usize>,
    pub notify: BTreeMap<String, usize>,
    pub jurisdictions: Vec<JurisdictionSummary>,
    pub free_text: FreeTextReport,
    pub statement: Statement,
    /// People whose duty depends on assumed views (see `exposure.views`).
    pub duties_resting_on_assumed_views: Vec<AssumedDuty>,
    /// Counsel's action list (also actions.csv): one row per recipient and duty.
    pub actions: Vec<Action>,
    /// What the action list could not settle (no lead authority named, no date to count from), with the fix.
    pub action_notes: Vec<String>,
    pub outputs: BTreeMap<String, String>,
}

/// What the legal stage computed.
pub struct Outcome {
    /// Shared: the output layer writes the people list while the stage makes its summaries.
    pub people: Arc<Vec<Person>>,
    pub report: LegalReport,
}
