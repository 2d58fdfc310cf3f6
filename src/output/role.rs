//! The files `analyze` writes, named once: report.json's `outputs`, the manifest, `--redact` and the
//! writer all use [`OutputRole`].

use serde::Serialize;

/// Every file `analyze` writes. Declared in the alphabetical order of their names, which is the order
/// report.json lists them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputRole {
    Actions,
    AffectedPeople,
    HtmlReport,
    Jurisdictions,
    Manifest,
    NotificationList,
    Rejects,
    Report,
}

impl OutputRole {
    pub const ALL: [OutputRole; 8] = [
        OutputRole::Actions,
        OutputRole::AffectedPeople,
        OutputRole::HtmlReport,
        OutputRole::Jurisdictions,
        OutputRole::Manifest,
        OutputRole::NotificationList,
        OutputRole::Rejects,
        OutputRole::Report,
    ];

    /// The name in report.json's `outputs` and in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            OutputRole::Actions => "actions",
            OutputRole::AffectedPeople => "affected_people",
            OutputRole::HtmlReport => "html_report",
            OutputRole::Jurisdictions => "jurisdictions",
            OutputRole::Manifest => "manifest",
            OutputRole::NotificationList => "notification_list",
            OutputRole::Rejects => "rejects",
            OutputRole::Report => "report",
        }
    }

    /// The file name beside the case file when no path is given (the HTML report has none: it is asked for).
    pub fn default_file(self) -> Option<&'static str> {
        match self {
            OutputRole::Actions => Some("actions.csv"),
            OutputRole::AffectedPeople => Some("affected_people.csv"),
            OutputRole::HtmlReport => None,
            OutputRole::Jurisdictions => Some("jurisdictions.csv"),
            OutputRole::Manifest => Some("manifest.json"),
            OutputRole::NotificationList => Some("affected_customers.csv"),
            OutputRole::Rejects => Some("rejects.csv"),
            OutputRole::Report => Some("report.json"),
        }
    }

    /// Whether `--redact` keeps the output (a report without customer-level detail, its HTML and manifest).
    pub fn kept_when_redacted(self) -> bool {
        matches!(self, OutputRole::Report | OutputRole::HtmlReport | OutputRole::Manifest)
    }
}
