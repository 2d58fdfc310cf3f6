//! The case file as written (TOML): its sections, deserialised as they stand. Unknown keys are errors, so a
//! typo never silently changes a case. `Case::load` checks them and builds the case.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub case: CaseSection,
    pub customers: CustomersSection,
    #[serde(default)]
    pub tables: Vec<LinkedTableSection>,
    #[serde(default)]
    pub logs: Vec<LogSection>,
    #[serde(default)]
    pub classes: BTreeMap<String, String>,
    /// Person → the accounts they used (`"Kate Walsh" = ["k.walsh", "rpt_k.walsh"]`).
    #[serde(default)]
    pub people: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub profile: ProfileSection,
    #[serde(default)]
    pub exports: Vec<ExportSection>,
    #[serde(default)]
    pub organisation: OrganisationSection,
    /// `"table.column" = "hashed"`: columns stored hashed, encrypted or tokenised (or `plain`, against a
    /// guess); the legal stage applies each statute's encryption clause to them.
    #[serde(default)]
    pub protection: BTreeMap<String, String>,
    #[serde(default)]
    pub notice: NoticeSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSection {
    pub name: String,
    #[serde(default)]
    pub actors: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub discovered: Option<String>,
    /// When the breach was determined (confirmed); some statutes' clocks run from it.
    pub determined: Option<String>,
    /// Until when law enforcement asked that notice to individuals wait.
    pub law_enforcement_delay_until: Option<String>,
    /// `report` (default) or `include`: whether whole-table reads put every row on the list.
    pub table_access: Option<String>,
    /// Shortest silence reported as a log gap (`2h`, `90min`, `1d`) (the coverage gap finder).
    pub min_gap: Option<String>,
    /// `report` (default) or `strict`: every log gap inside the window is a finding.
    pub coverage: Option<String>,
    /// When the actors' accounts were disabled: any access after it is a containment failure.
    pub disabled_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersSection {
    pub path: String,
    pub key: String,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnNames>,
    /// The table's character encoding (default utf-8).
    pub encoding: Option<String>,
    /// `text` (default: exact, trimmed) or `numeric` (`007` = `7`); see `read::keys`.
    pub key_type: Option<String>,
    /// Columns holding other systems' ids of the row (`sf_id`): a log naming the row by one finds it.
    #[serde(default)]
    pub ids: Vec<String>,
    /// The attributes a key-value or document store keeps of a row (columns of the table): what a whole-item
    /// read (DynamoDB `GetItem`, MongoDB `find` without a projection) shows.
    pub attributes: Option<Vec<String>>,
    /// The kind of file (`csv`, `tsv`, `parquet`, `xlsx`, `json`); default: told by its name or first bytes.
    pub format: Option<String>,
    /// An Excel workbook's sheet holding the table (default: its only sheet).
    pub sheet: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkedTableSection {
    pub name: String,
    pub path: String,
    pub key: String,
    pub customer: String,
    /// The table's character encoding (default utf-8).
    pub encoding: Option<String>,
    /// `text` (default: exact, trimmed) or `numeric` (`007` = `7`); see `read::keys`.
    pub key_type: Option<String>,
    /// As `[customers] ids`.
    #[serde(default)]
    pub ids: Vec<String>,
    /// As `[customers] attributes`.
    pub attributes: Option<Vec<String>>,
    /// As `[customers] format`.
    pub format: Option<String>,
    /// As `[customers] sheet`.
    pub sheet: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub path: String,
    pub name: Option<String>,
    pub format: Option<String>,
    /// pgaudit stderr logs: PostgreSQL's `log_line_prefix` setting.
    pub log_line_prefix: Option<String>,
    /// Web access logs: the server's own format string (Apache `LogFormat`, nginx `log_format`).
    pub log_format: Option<String>,
    /// csv/jsonl logs: what separates the names in a fields cell (default: the first of `|`, `;`, `,` in it).
    pub fields_separator: Option<String>,
    /// csv/jsonl logs: the log's action names → `read`, `write`, `session` or `none` (see the vocabulary).
    #[serde(default)]
    pub actions: BTreeMap<String, String>,
    /// csv/jsonl logs: `show` (default: an edit form shows the record) or `nothing` (writes show nothing).
    pub writes: Option<String>,
    #[serde(default)]
    pub routes: Vec<RouteSection>,
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    #[serde(default)]
    pub tables: BTreeMap<String, String>,
    /// The zone of timestamps written without one (MariaDB server_audit), and of PostgreSQL's zone
    /// abbreviations: `UTC`, `+02:00`, `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// A CSV naming the log's account ids (Salesforce USER_ID, Zendesk user_id).
    pub users: Option<String>,
    /// mongodb-audit logs inside a shipper's JSON envelope: the dotted path of the key holding each record
    /// (`message`, `event.original`, `mongoaudit`), as a JSON string or an object.
    pub record_path: Option<String>,
    /// Snowflake: the QUERY_HISTORY export (CSV) whose QUERY_TEXT and EXECUTION_STATUS the ACCESS_HISTORY rows
    /// are joined to by QUERY_ID.
    pub query_history: Option<String>,
    /// The log's character encoding (default: `--encoding`, else utf-8).
    pub encoding: Option<String>,
    /// What a view of a record shows where the log does not say: `TABLE` or `TABLE:ACTION` (a case table or
    /// the log's name for it in `[logs.tables]`, and optionally the log's action) → `table.column` list.
    #[serde(default)]
    pub views: BTreeMap<String, Vec<String>>,
    /// The attributes this log's store keeps per table (overrides the table's `attributes`).
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSection {
    pub path: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `[profile]` as written in the case file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSection {
    /// `"08:00-18:00"` (local time; an end before the start spans midnight).
    pub work_hours: Option<String>,
    /// The offset of local time from UTC: `"+02:00"`, `"-0500"`, `"Z"`.
    pub utc_offset: Option<String>,
    /// Local time's zone, with its daylight saving: `"Europe/Berlin"` (or an offset, as `utc_offset`).
    pub time_zone: Option<String>,
    /// Working days: `["Mon", "Tue", "Wed", "Thu", "Fri"]` (the default).
    pub work_days: Option<Vec<String>>,
    /// `table.column` naming the account a row is assigned to (`tickets.assignee`): customers an account
    /// touched with no such row assigned to it are counted.
    pub assignment: Option<String>,
    /// An event naming at least this many records is a bulk operation (default 100).
    pub bulk_records: Option<usize>,
    /// Robust z-score at or above which an account is flagged (default 3.5).
    pub z_threshold: Option<f64>,
}

/// `[organisation]` as written (checked into `case::organisation::Organisation`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSection {
    pub name: Option<String>,
    /// GDPR: the country (ISO code) of the main establishment in the EU/EEA.
    pub main_establishment: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_address: Option<String>,
    pub website: Option<String>,
    pub dpo_name: Option<String>,
    pub dpo_contact: Option<String>,
}

/// `[notice]` as written (checked into `case::notice::Notice`): what the letters say that the analysis
/// cannot know.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSection {
    pub what_happened: Option<String>,
    pub what_we_are_doing: Option<String>,
    pub likely_consequences: Option<String>,
    pub contact: Option<String>,
    pub notice_date: Option<String>,
    pub law_enforcement_delayed: Option<bool>,
    pub signatory: Option<String>,
    #[serde(default)]
    pub address: Vec<String>,
    pub credit_monitoring_provider: Option<String>,
    pub credit_monitoring_months: Option<u32>,
    pub credit_monitoring_url: Option<String>,
    pub credit_monitoring_code: Option<String>,
    pub credit_monitoring_enrol_by: Option<String>,
}

/// `[[exports]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSection {
    /// The case table whose rows the export holds.
    pub table: String,
    /// The file the object contained (CSV, Parquet, xlsx or JSON; relative to the case file).
    pub path: String,
    /// The column of the CSV holding the table's key (default: the table's key column name).
    pub key_column: Option<String>,
    /// S3: the bucket and object key.
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// Salesforce: the report id (15 or 18 characters).
    pub report_id: Option<String>,
    /// SharePoint/OneDrive: the file's URL as the Microsoft 365 audit log names it (`ObjectId`).
    pub url: Option<String>,
    /// As `[customers] format`: the kind of file the export is.
    pub format: Option<String>,
    /// As `[customers] sheet`.
    pub sheet: Option<String>,
}

/// A role's column in `[customers.columns]`: one column, or (for `name`) several joined with a space
/// (`name = ["first_name", "last_name"]`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ColumnNames {
    One(String),
    Several(Vec<String>),
}
