//! The case file (TOML): what to read, whom to look for, when. Loaded once, checked against the table
//! headers, and turned into a [`Case`] whose paths are absolute and whose columns are known to exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::read::timefmt;
use crate::read::timefmt::{DayEnd, Timestamp};

pub mod clock;
pub mod exports;
pub mod file;
pub mod logs;
pub mod notice;
pub mod organisation;
pub mod schema;
pub mod settings;

use file::CaseFile;
use logs::{build_log, LogSpec};
use schema::{build_schema, Schema};
use settings::TableAccessPolicy;
use timefmt::Window;

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
    /// The dates deadlines run from: `discovered`, `determined`, `law_enforcement_delay_until`.
    pub clock: crate::case::clock::Clock,
    pub table_access: TableAccessPolicy,
    pub schema: Schema,
    pub logs: Vec<LogSpec>,
    /// Gap finding and strictness (`[case] min_gap`, `coverage`).
    pub coverage: crate::case::settings::CoverageSettings,
    /// When the actors' accounts were disabled (containment check).
    pub disabled_at: Option<Timestamp>,
    /// Person → accounts, from `[people]` (sorted, checked: an account belongs to one person).
    pub people: BTreeMap<String, Vec<String>>,
    /// `[profile]` settings for `breachscope profile`.
    pub profile: crate::case::settings::ProfileSettings,
    /// Files that left the system, with the rows they held (`[[exports]]`).
    pub exports: Vec<crate::case::exports::Export>,
    /// `--assume-tz`: the zone of other zoneless times read for the case (the victims' report dates).
    pub assume_tz: Option<crate::read::timefmt::Zone>,
    /// `[organisation]`: who notifies (action list, letters).
    pub organisation: crate::case::organisation::Organisation,
    /// `[protection]`: columns declared hashed, encrypted, tokenised or plain.
    pub protection: BTreeMap<crate::case::schema::FieldId, Protection>,
    /// `[notice]`: what the letters say that the analysis cannot know.
    pub notice: crate::case::notice::Notice,
}

/// How a column's values are stored, as `[protection]` declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Stored as written (overrides a guess from the column's name or values).
    Plain,
    Hashed,
    Encrypted,
    /// Encrypted, and the key (or the means to decrypt) was exposed too.
    EncryptedKeyExposed,
    Tokenised,
}

impl Protection {
    pub const NAMES: [&'static str; 5] = ["plain", "hashed", "encrypted", "encrypted_key_exposed", "tokenised"];

    pub fn parse(text: &str) -> Option<Protection> {
        Some(match text {
            "plain" => Protection::Plain,
            "hashed" => Protection::Hashed,
            "encrypted" => Protection::Encrypted,
            "encrypted_key_exposed" => Protection::EncryptedKeyExposed,
            "tokenised" | "tokenized" => Protection::Tokenised,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protection::Plain => "plain",
            Protection::Hashed => "hashed",
            Protection::Encrypted => "encrypted",
            Protection::EncryptedKeyExposed => "encrypted, key exposed",
            Protection::Tokenised => "tokenised",
        }
    }
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
    pub inputs: crate::read::input::InputDefaults,
    /// `--listing`: the files of logs (by their `path` as written) listed elsewhere (object storage, HDFS,
    /// or files not on this machine: the Spark driver lists them), instead of matched on this machine.
    pub listing: Option<BTreeMap<String, Vec<String>>>,
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
        // An error names where the value came from: the flag, or the case file's key.
        let bound_error = |flag: bool, key: &str, e: String| if flag { Error::Usage(format!("--{key}: {e}")) } else { bad(format!("{key}: {e}")) };
        let since = since_text
            .map(|s| timefmt::parse_bound_in(&s, DayEnd::Start, assume_tz).map_err(|e| bound_error(overrides.since.is_some(), "since", e)))
            .transpose()?;
        let until = until_text
            .map(|s| timefmt::parse_bound_in(&s, DayEnd::End, assume_tz).map_err(|e| bound_error(overrides.until.is_some(), "until", e)))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(bad(format!("the window is empty: since {} is after until {}", timefmt::format_utc(&s), timefmt::format_utc(&u))));
            }
        }
        // The clock dates: an error names the key's line and says what to write.
        let at_key = |key: &str, message: String| {
            let (line, column) = clock::key_position(&text, key);
            if line > 0 {
                Error::input_at(path, line, column, message)
            } else {
                bad(message)
            }
        };
        let clock_date = |key: &str, value: &Option<String>| {
            value.as_deref().map(|d| clock::parse_date(key, d, assume_tz).map_err(|e| at_key(key, e))).transpose()
        };
        let clock = clock::Clock {
            discovered: clock_date("discovered", &parsed.case.discovered)?,
            determined: clock_date("determined", &parsed.case.determined)?,
            law_enforcement_delay_until: clock_date("law_enforcement_delay_until", &parsed.case.law_enforcement_delay_until)?,
        };
        clock.check().map_err(|(key, e)| at_key(key, e))?;
        let discovered = clock.discovered;

        let table_access = match parsed.case.table_access.as_deref() {
            None | Some("report") => TableAccessPolicy::Report,
            Some("include") => TableAccessPolicy::Include,
            Some(other) => return Err(bad(format!("table_access = `{other}`: expected `report` or `include`"))),
        };
        let coverage = crate::case::settings::CoverageSettings::from_case(parsed.case.min_gap.as_deref(), parsed.case.coverage.as_deref()).map_err(bad)?;
        let disabled_at = overrides
            .disabled_at
            .clone()
            .or(parsed.case.disabled_at.clone())
            .map(|s| {
                timefmt::parse_bound_in(&s, DayEnd::Start, assume_tz).map_err(|e| {
                    if overrides.disabled_at.is_some() {
                        Error::Usage(format!("--disabled-at: {e}"))
                    } else {
                        bad(format!("disabled_at: {e}"))
                    }
                })
            })
            .transpose()?;
        let people = check_people(&parsed.people).map_err(bad)?;

        let schema = build_schema(path, &dir, &parsed)?;
        let profile = crate::case::settings::ProfileSettings::from_section(&parsed.profile, &schema).map_err(|e| bad(format!("[profile] {e}")))?;
        let mut logs = Vec::with_capacity(parsed.logs.len());
        for (i, section) in parsed.logs.iter().enumerate() {
            logs.push(build_log(path, &dir, &schema, i, section, &overrides.inputs, overrides.listing.as_ref())?);
        }
        if logs.is_empty() {
            return Err(bad("no [[logs]]: the case names no access log to read".into()));
        }
        let mut exports = Vec::with_capacity(parsed.exports.len());
        for (i, section) in parsed.exports.iter().enumerate() {
            exports.push(crate::case::exports::build(path, &dir, &schema, i, section)?);
        }
        let organisation = crate::case::organisation::Organisation::from_section(&parsed.organisation).map_err(|e| bad(format!("[organisation] {e}")))?;
        let mut protection = BTreeMap::new();
        for (field, value) in &parsed.protection {
            let id = schema.field(field).ok_or_else(|| bad(format!("[protection] `{field}` is not a `table.column` of the case's tables")))?;
            let p = Protection::parse(value.trim())
                .ok_or_else(|| bad(format!("[protection] `{field}` = `{value}`: expected one of {}", Protection::NAMES.join(", "))))?;
            protection.insert(id, p);
        }
        let notice = crate::case::notice::Notice::from_section(&parsed.notice, &schema.customers().file.columns).map_err(|e| bad(format!("[notice] {e}")))?;
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
            clock,
            table_access,
            schema,
            logs,
            coverage,
            disabled_at,
            people,
            profile,
            exports,
            assume_tz,
            organisation,
            protection,
            notice,
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
