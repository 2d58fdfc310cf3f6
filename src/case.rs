//! The case file (TOML): what to read, whom to look for, when. Loaded once, checked against the table
//! headers, and turned into a [`Case`] whose paths are absolute and whose columns are known to exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::classes::{self, DataClass};
use crate::error::{Error, Result};
use crate::table::TableFile;
use crate::timefmt::{self, DayEnd, Timestamp};

// ---------------------------------------------------------------------------------------------------
// The file as written

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: CaseSection,
    customers: CustomersSection,
    #[serde(default)]
    tables: Vec<LinkedTableSection>,
    #[serde(default)]
    logs: Vec<LogSection>,
    #[serde(default)]
    classes: BTreeMap<String, String>,
    /// Person → the accounts they used (`"Kate Walsh" = ["k.walsh", "rpt_k.walsh"]`).
    #[serde(default)]
    people: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    profile: crate::profile::ProfileSection,
    #[serde(default)]
    exports: Vec<crate::export::ExportSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSection {
    name: String,
    #[serde(default)]
    actors: Vec<String>,
    since: Option<String>,
    until: Option<String>,
    discovered: Option<String>,
    /// `report` (default) or `include`: whether whole-table reads put every row on the list.
    table_access: Option<String>,
    /// Shortest silence reported as a log gap (`2h`, `90min`, `1d`); see [`crate::coverage`].
    min_gap: Option<String>,
    /// `report` (default) or `strict`: every log gap inside the window is a finding.
    coverage: Option<String>,
    /// When the actors' accounts were disabled: any access after it is a containment failure.
    disabled_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomersSection {
    path: String,
    key: String,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    /// The table's character encoding (default utf-8).
    encoding: Option<String>,
    /// `text` (default: exact, trimmed) or `numeric` (`007` = `7`); see [`crate::keys`].
    key_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkedTableSection {
    name: String,
    path: String,
    key: String,
    customer: String,
    /// The table's character encoding (default utf-8).
    encoding: Option<String>,
    /// `text` (default: exact, trimmed) or `numeric` (`007` = `7`); see [`crate::keys`].
    key_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    path: String,
    name: Option<String>,
    format: Option<String>,
    /// pgaudit stderr logs: PostgreSQL's `log_line_prefix` setting.
    log_line_prefix: Option<String>,
    /// Web access logs: the server's own format string (Apache `LogFormat`, nginx `log_format`).
    log_format: Option<String>,
    #[serde(default)]
    routes: Vec<RouteSection>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    #[serde(default)]
    tables: BTreeMap<String, String>,
    /// The zone of timestamps written without one (MariaDB server_audit): `UTC`, `+02:00`.
    time_zone: Option<String>,
    /// A CSV naming the log's account ids (Salesforce USER_ID, Zendesk user_id).
    users: Option<String>,
    /// The log's character encoding (default: `--encoding`, else utf-8).
    encoding: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSection {
    path: String,
    #[serde(default)]
    fields: Vec<String>,
}

// ---------------------------------------------------------------------------------------------------
// The checked case

/// Roles of customer columns that the notification list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Name,
    Email,
    Phone,
    Country,
    Region,
    Segment,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Name, Role::Email, Role::Phone, Role::Country, Role::Region, Role::Segment];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Name => "name",
            Role::Email => "email",
            Role::Phone => "phone",
            Role::Country => "country",
            Role::Region => "region",
            Role::Segment => "segment",
        }
    }

    /// Column names tried, in order, when the case does not name the column for this role.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Name => &["full_name", "name", "customer_name", "display_name", "fullname"],
            Role::Email => &["email", "email_address", "e_mail", "mail"],
            Role::Phone => &["phone", "phone_number", "telephone", "mobile", "tel"],
            Role::Country => &["country", "country_code", "nation"],
            Role::Region => &["region", "state", "province", "county", "state_code"],
            Role::Segment => &["segment", "account_type", "customer_type", "type", "tier"],
        }
    }
}

/// Index of a case table: 0 is always the customers table.
pub type TableId = usize;
pub const CUSTOMERS: TableId = 0;

/// Index of a column across all case tables (`table.column`).
pub type FieldId = usize;

#[derive(Clone, Debug)]
pub struct TableSpec {
    pub name: String,
    pub file: TableFile,
    pub key: String,
    pub key_index: usize,
    /// For linked tables: the column holding the customers key.
    pub customer_column: Option<(String, usize)>,
    /// Field id of this table's first column.
    pub first_field: FieldId,
    /// How this table's keys are compared (`key_type`).
    pub key_type: crate::keys::KeyType,
}

impl TableSpec {
    pub fn field(&self, column: usize) -> FieldId {
        self.first_field + column
    }

    pub fn field_of(&self, column: &str) -> Option<FieldId> {
        self.file.column_index(column).map(|i| self.field(i))
    }

    /// `raw` as this table's keys are compared (see [`crate::keys`]).
    pub fn canonical_key<'a>(&self, raw: &'a str) -> std::borrow::Cow<'a, str> {
        self.key_type.canonical(raw)
    }

    pub fn fields(&self) -> std::ops::Range<FieldId> {
        self.first_field..self.first_field + self.file.columns.len()
    }
}

/// All tables of the case with their columns and the data class of each column.
#[derive(Clone, Debug)]
pub struct Schema {
    pub tables: Vec<TableSpec>,
    /// `table.column` for each field id.
    pub field_names: Vec<String>,
    /// Data class of each field id (`None`: identifies a row only, or is not personal data).
    pub field_classes: Vec<Option<DataClass>>,
    /// Customer columns by role.
    pub roles: BTreeMap<Role, usize>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<TableId> {
        self.tables.iter().position(|t| t.name == name)
    }

    pub fn customers(&self) -> &TableSpec {
        &self.tables[CUSTOMERS]
    }

    pub fn field_count(&self) -> usize {
        self.field_names.len()
    }

    /// A `table.column` reference.
    pub fn field(&self, qualified: &str) -> Option<FieldId> {
        let (table, column) = qualified.split_once('.')?;
        self.tables.get(self.table(table)?)?.field_of(column)
    }

    pub fn table_of_field(&self, field: FieldId) -> TableId {
        self.tables.iter().rposition(|t| t.first_field <= field).unwrap_or(CUSTOMERS)
    }
}

/// The window of the case (both ends inclusive; open where not set).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Window {
    pub fn contains(&self, t: &Timestamp) -> bool {
        self.since.is_none_or(|s| *t >= s) && self.until.is_none_or(|u| *t <= u)
    }
}

/// A request path template: `/support/tickets/{tickets}`.
#[derive(Clone, Debug)]
pub struct Route {
    pub template: String,
    pub segments: Vec<RouteSegment>,
    pub fields: Vec<FieldId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouteSegment {
    Literal(String),
    Any,
    Capture(TableId),
}

#[derive(Clone, Debug)]
pub struct LogSpec {
    /// The name shown in `sources` (the `name` key, or the path as written).
    pub name: String,
    pub pattern: String,
    pub files: Vec<PathBuf>,
    /// The declared format; `None` means detect from content.
    pub format: Option<String>,
    pub log_line_prefix: Option<String>,
    /// Web access logs: the server's format string (checked when the case is loaded); `None`: the
    /// common/combined layouts.
    pub log_format: Option<String>,
    pub routes: Vec<Route>,
    pub map: BTreeMap<String, String>,
    /// The log's table names → case tables (`public.customers` and `customers` are found without it).
    pub table_names: BTreeMap<String, TableId>,
    /// The zone of timestamps the log writes without one: its `time_zone`, else `--assume-tz`.
    pub time_zone: Option<chrono::FixedOffset>,
    /// Account ids → names, from the log's `users` table.
    pub users: BTreeMap<String, String>,
    /// The files' character encoding: the log's `encoding`, else `--encoding`, else UTF-8.
    pub encoding: crate::encoding::TextEncoding,
}

/// What to do with the rows of a table the actors read whole (no filter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableAccessPolicy {
    /// State the table, time and row count in the report and summary; list no customer for it.
    #[default]
    Report,
    /// List every row of the table, with evidence grade `table`.
    Include,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub file: PathBuf,
    pub dir: PathBuf,
    /// The case file's text, as read.
    pub text: String,
    pub actors: Vec<String>,
    pub window: Window,
    pub discovered: Option<NaiveDate>,
    pub table_access: TableAccessPolicy,
    pub schema: Schema,
    pub logs: Vec<LogSpec>,
    /// Gap finding and strictness (`[case] min_gap`, `coverage`).
    pub coverage: crate::coverage::CoverageSettings,
    /// When the actors' accounts were disabled (containment check).
    pub disabled_at: Option<Timestamp>,
    /// Person → accounts, from `[people]` (sorted, checked: an account belongs to one person).
    pub people: BTreeMap<String, Vec<String>>,
    /// `[profile]` settings for `breachscope profile`.
    pub profile: crate::profile::ProfileSettings,
    /// Files that left the system, with the rows they held (`[[exports]]`).
    pub exports: Vec<crate::export::Export>,
    /// `--assume-tz`: the zone of other zoneless times read for the case (the victims' report dates).
    pub assume_tz: Option<chrono::FixedOffset>,
}

/// Overrides from the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub actors: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub disabled_at: Option<String>,
    /// Commands that look at every account (`suspects`, `profile`) need no `actors`.
    pub all_accounts: bool,
    /// `--encoding` (and other defaults for reading the logs).
    pub inputs: crate::input::InputDefaults,
}

impl Case {
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Case> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        Case::from_text(path, text, overrides)
    }

    /// As [`Case::load`], with the case file's `text` given (`path` names it in errors and is the base of its
    /// relative paths; the tables and logs it names are read from disk).
    pub fn from_text(path: &Path, text: String, overrides: &Overrides) -> Result<Case> {
        let parsed: CaseFile = toml::from_str(&text).map_err(|e| toml_error(path, &text, e))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        let bad = |message: String| Error::input(path, message);

        let mut actors = if overrides.actors.is_empty() { parsed.case.actors.clone() } else { overrides.actors.clone() };
        actors.retain(|a| !a.trim().is_empty());
        actors.sort();
        actors.dedup();
        if actors.is_empty() && !overrides.all_accounts {
            return Err(bad("no actors: set `actors` in [case] or pass --actor".into()));
        }

        let since_text = overrides.since.clone().or(parsed.case.since.clone());
        let until_text = overrides.until.clone().or(parsed.case.until.clone());
        let assume_tz = overrides.inputs.assume_tz;
        let since = since_text
            .map(|s| timefmt::parse_bound_in(&s, DayEnd::Start, assume_tz).map_err(|e| bad(format!("since: {e}"))))
            .transpose()?;
        let until = until_text
            .map(|s| timefmt::parse_bound_in(&s, DayEnd::End, assume_tz).map_err(|e| bad(format!("until: {e}"))))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(bad(format!("the window is empty: since {} is after until {}", timefmt::format_utc(&s), timefmt::format_utc(&u))));
            }
        }
        let discovered = parsed
            .case
            .discovered
            .as_deref()
            .map(|d| parse_date(d, assume_tz).map_err(|e| bad(format!("discovered: {e}"))))
            .transpose()?;

        let table_access = match parsed.case.table_access.as_deref() {
            None | Some("report") => TableAccessPolicy::Report,
            Some("include") => TableAccessPolicy::Include,
            Some(other) => return Err(bad(format!("table_access = `{other}`: expected `report` or `include`"))),
        };
        let coverage = crate::coverage::CoverageSettings::from_case(parsed.case.min_gap.as_deref(), parsed.case.coverage.as_deref()).map_err(bad)?;
        let disabled_at = overrides
            .disabled_at
            .clone()
            .or(parsed.case.disabled_at.clone())
            .map(|s| timefmt::parse_bound_in(&s, DayEnd::Start, assume_tz).map_err(|e| bad(format!("disabled_at: {e}"))))
            .transpose()?;
        let people = check_people(&parsed.people).map_err(bad)?;

        let schema = build_schema(path, &dir, &parsed)?;
        let profile = crate::profile::ProfileSettings::from_section(&parsed.profile, &schema).map_err(|e| bad(format!("[profile] {e}")))?;
        let mut logs = Vec::with_capacity(parsed.logs.len());
        for (i, section) in parsed.logs.iter().enumerate() {
            logs.push(build_log(path, &dir, &schema, i, section, &overrides.inputs)?);
        }
        if logs.is_empty() {
            return Err(bad("no [[logs]]: the case names no access log to read".into()));
        }
        let mut exports = Vec::with_capacity(parsed.exports.len());
        for (i, section) in parsed.exports.iter().enumerate() {
            exports.push(crate::export::build(path, &dir, &schema, i, section)?);
        }
        let mut names: Vec<&str> = logs.iter().map(|l| l.name.as_str()).collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(format!("two [[logs]] share the name `{}`: give each a distinct `name`", w[0])));
        }

        Ok(Case {
            name: parsed.case.name.clone(),
            file: path.to_path_buf(),
            dir,
            text,
            actors,
            window: Window { since, until },
            discovered,
            table_access,
            schema,
            logs,
            coverage,
            disabled_at,
            people,
            profile,
            exports,
            assume_tz,
        })
    }
}

/// `[people]`: trimmed, sorted, no empty names, no account under two people.
fn check_people(people: &BTreeMap<String, Vec<String>>) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (person, accounts) in people {
        if person.trim().is_empty() {
            return Err("[people]: a person has an empty name".into());
        }
        let mut list: Vec<String> = accounts.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        list.sort();
        list.dedup();
        if list.is_empty() {
            return Err(format!("[people] `{person}` lists no account"));
        }
        for account in accounts.iter().map(|a| a.trim()) {
            if let Some(other) = owner.insert(account, person) {
                if other != person {
                    return Err(format!("[people]: account `{account}` is listed under both `{other}` and `{person}`"));
                }
            }
        }
        out.insert(person.trim().to_string(), list);
    }
    Ok(out)
}

fn parse_date(text: &str, assume_tz: Option<chrono::FixedOffset>) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .or_else(|_| timefmt::parse_zoned_in(text, assume_tz).map(|t| t.date_naive()).map_err(|_| ()))
        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

fn toml_error(path: &Path, text: &str, err: toml::de::Error) -> Error {
    let message = err.message().to_string();
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() as u64 + 1;
            let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u64 + 1;
            Error::input_at(path, line, column, message)
        }
        None => Error::input(path, message),
    }
}

fn build_schema(case_path: &Path, dir: &Path, parsed: &CaseFile) -> Result<Schema> {
    let bad = |message: String| Error::input(case_path, message);
    let mut tables = Vec::new();
    let mut field_names = Vec::new();

    let table_encoding = |section: &str, name: &Option<String>| match name {
        Some(name) => crate::encoding::TextEncoding::parse(name).map_err(|m| bad(format!("{section} encoding: {m}"))),
        None => Ok(crate::encoding::TextEncoding::UTF8),
    };
    let customers_file = TableFile::open_encoded(&dir.join(&parsed.customers.path), table_encoding("[customers]", &parsed.customers.encoding)?)?;
    let key_index = customers_file
        .column_index(&parsed.customers.key)
        .ok_or_else(|| bad(format!("[customers] key `{}` is not a column of {}", parsed.customers.key, customers_file.path.display())))?;
    let key_type = |section: &str, name: &Option<String>| match name {
        Some(name) => crate::keys::KeyType::parse(name).map_err(|m| bad(format!("{section} {m}"))),
        None => Ok(crate::keys::KeyType::Text),
    };
    tables.push(TableSpec {
        name: "customers".into(),
        key: parsed.customers.key.clone(),
        key_index,
        customer_column: None,
        first_field: 0,
        file: customers_file,
        key_type: key_type("[customers]", &parsed.customers.key_type)?,
    });

    for section in &parsed.tables {
        if section.name == "customers" || tables.iter().any(|t: &TableSpec| t.name == section.name) {
            return Err(bad(format!("[[tables]] name `{}` is used twice", section.name)));
        }
        let file = TableFile::open_encoded(&dir.join(&section.path), table_encoding(&format!("[[tables]] {}:", section.name), &section.encoding)?)?;
        let key_index = file
            .column_index(&section.key)
            .ok_or_else(|| bad(format!("[[tables]] {}: key `{}` is not a column of {}", section.name, section.key, file.path.display())))?;
        let customer_index = file.column_index(&section.customer).ok_or_else(|| {
            bad(format!("[[tables]] {}: customer column `{}` is not a column of {}", section.name, section.customer, file.path.display()))
        })?;
        tables.push(TableSpec {
            name: section.name.clone(),
            key: section.key.clone(),
            key_index,
            customer_column: Some((section.customer.clone(), customer_index)),
            first_field: 0,
            file,
            key_type: key_type(&format!("[[tables]] {}:", section.name), &section.key_type)?,
        });
    }

    for table in &mut tables {
        table.first_field = field_names.len();
        field_names.extend(table.file.columns.iter().map(|c| format!("{}.{}", table.name, c)));
    }

    // Customer column roles: named in the case, else guessed from the header.
    let customers = &tables[CUSTOMERS];
    let mut roles = BTreeMap::new();
    for (role_name, column) in &parsed.customers.columns {
        let role = Role::ALL
            .into_iter()
            .find(|r| r.as_str() == role_name)
            .ok_or_else(|| bad(format!("[customers.columns] unknown role `{role_name}` (roles: name, email, phone, country, region, segment)")))?;
        let index = customers
            .file
            .column_index(column)
            .ok_or_else(|| bad(format!("[customers.columns] {role_name} = `{column}` is not a column of {}", customers.file.path.display())))?;
        roles.insert(role, index);
    }
    for role in Role::ALL {
        if roles.contains_key(&role) {
            continue;
        }
        let lower: Vec<String> = customers.file.columns.iter().map(|c| c.to_lowercase()).collect();
        if let Some(i) = role.candidates().iter().find_map(|cand| lower.iter().position(|c| c == cand)) {
            roles.insert(role, i);
        }
    }

    // Data classes: overrides, then roles, then names. Keys and customer links identify rows only.
    let mut field_classes: Vec<Option<DataClass>> = vec![None; field_names.len()];
    for table in &tables {
        for (i, column) in table.file.columns.iter().enumerate() {
            let is_link = table.customer_column.as_ref().is_some_and(|(_, c)| *c == i);
            let is_customer_key = table.first_field == 0 && i == table.key_index;
            field_classes[table.field(i)] = if is_link || is_customer_key { None } else { classes::guess(&table.name, column) };
        }
    }
    for (role, index) in &roles {
        let class = match role {
            Role::Name => Some(DataClass::Names),
            Role::Email => Some(DataClass::EmailAddresses),
            Role::Phone => Some(DataClass::PhoneNumbers),
            Role::Country | Role::Region => Some(DataClass::GeographicLocations),
            Role::Segment => None,
        };
        field_classes[*index] = class;
    }
    let schema_so_far = Schema { tables: tables.clone(), field_names: field_names.clone(), field_classes: vec![], roles: roles.clone() };
    for (field, class) in &parsed.classes {
        let id = schema_so_far
            .field(field)
            .ok_or_else(|| bad(format!("[classes] `{field}` is not a `table.column` of the case's tables")))?;
        field_classes[id] = match class.as_str() {
            "none" | "" => None,
            name => Some(DataClass::parse(name).ok_or_else(|| {
                let known: Vec<&str> = DataClass::ALL.iter().map(|c| c.as_str()).collect();
                bad(format!("[classes] `{field}` = `{name}`: unknown data class (known: {}, or none)", known.join(", ")))
            })?),
        };
    }

    Ok(Schema { tables, field_names, field_classes, roles })
}

fn build_log(case_path: &Path, dir: &Path, schema: &Schema, index: usize, section: &LogSection, inputs: &crate::input::InputDefaults) -> Result<LogSpec> {
    let label = section.name.clone().unwrap_or_else(|| section.path.clone());
    let bad = |message: String| Error::input(case_path, format!("[[logs]] #{} ({label}): {message}", index + 1));
    let files = crate::input::expand_glob(dir, &section.path)?;

    let mut table_names = BTreeMap::new();
    for (log_name, case_table) in &section.tables {
        let id = schema.table(case_table).ok_or_else(|| bad(format!("[logs.tables] {log_name} = `{case_table}`: no such case table")))?;
        table_names.insert(log_name.clone(), id);
    }

    let mut routes = Vec::new();
    for route in &section.routes {
        let mut segments = Vec::new();
        for seg in route.path.trim_matches('/').split('/') {
            segments.push(if let Some(table) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                RouteSegment::Capture(
                    schema.table(table).ok_or_else(|| bad(format!("route `{}`: {{{table}}} is not a case table", route.path)))?,
                )
            } else if seg == "*" {
                RouteSegment::Any
            } else {
                RouteSegment::Literal(seg.to_string())
            });
        }
        if segments.iter().filter(|s| matches!(s, RouteSegment::Capture(_))).count() != 1 {
            return Err(bad(format!("route `{}` must capture exactly one {{table}}", route.path)));
        }
        let mut fields = Vec::new();
        for field in &route.fields {
            fields.push(schema.field(field).ok_or_else(|| bad(format!("route `{}`: field `{field}` is not a `table.column` of the case's tables", route.path)))?);
        }
        routes.push(Route { template: route.path.clone(), segments, fields });
    }

    // The log's own `time_zone` wins over `--assume-tz`.
    let time_zone = section
        .time_zone
        .as_deref()
        .map(|z| timefmt::parse_zone(z).ok_or_else(|| bad(format!("time_zone `{z}`: use UTC or an offset such as +02:00"))))
        .transpose()?
        .or(inputs.assume_tz);
    let encoding = match &section.encoding {
        Some(name) => crate::encoding::TextEncoding::parse(name).map_err(|m| bad(format!("encoding: {m}")))?,
        None => inputs.encoding.unwrap_or_default(),
    };
    // The server's format string reads a web log: checked here, so that a mistake in it is one error naming it.
    if let Some(layout) = &section.log_format {
        if let Some(declared) = section.format.as_deref().filter(|f| crate::ingest::Format::parse_name(f) != Some(crate::ingest::Format::Combined)) {
            return Err(bad(format!("log_format is for web access logs, not `format = \"{declared}\"`: set `format = \"combined\"` or leave `format` out")));
        }
        crate::ingest::combined::LayoutParser::new(layout, time_zone).map_err(|m| bad(format!("log_format: {m}")))?;
    }
    let users = match &section.users {
        Some(p) => crate::ingest::accounts::load(&dir.join(p))?,
        None => BTreeMap::new(),
    };

    Ok(LogSpec {
        name: label,
        pattern: section.path.clone(),
        files,
        format: section.format.clone(),
        log_line_prefix: section.log_line_prefix.clone(),
        log_format: section.log_format.clone(),
        routes,
        map: section.map.clone(),
        table_names,
        time_zone,
        users,
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_inclusive() {
        let t = |s: &str| timefmt::parse_zoned(s).unwrap();
        let w = Window { since: Some(t("2019-06-01T00:00:00Z")), until: Some(t("2019-09-30T23:59:59Z")) };
        assert!(w.contains(&t("2019-06-01T00:00:00Z")));
        assert!(w.contains(&t("2019-09-30T23:59:59Z")));
        assert!(!w.contains(&t("2019-05-31T23:59:59Z")));
        assert!(!w.contains(&t("2019-10-01T00:00:00Z")));
    }
}
