//! Which format a log is in (declared, or told from its first bytes), and the parser for it.

use crate::error::{Error, Result};
use crate::ingest::event::{Format, LogParser, ParserSettings};
use crate::ingest::formats::{bigquery, cloudtrail, combined, generic_csv, jsonl, m365_audit, mongodb, mssql_audit, mysql_audit, oracle_audit, pgaudit, salesforce, snowflake, zendesk};
use crate::ingest::prefilter;

/// Guesses the format from the first bytes of a file (decompressed). Order matters: a pgaudit csvlog is
/// also CSV, so the specific formats are tried first.
pub fn detect_format(sample: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(sample);
    if pgaudit::looks_like(&text) {
        return Some(Format::Pgaudit);
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if combined::looks_like(first) {
        return Some(Format::Combined);
    }
    if let Some(format) = detect_audit_format(&text, first) {
        return Some(format);
    }
    if first.starts_with('{') || crate::read::json_array::looks_like(sample) {
        return Some(Format::Jsonl);
    }
    if first.contains(',') || first.contains('\t') {
        return Some(Format::Csv);
    }
    None
}

/// The audit formats told apart by their content (checked before the generic csv/jsonl).
fn detect_audit_format(text: &str, first: &str) -> Option<Format> {
    let unquoted = first.trim_start_matches('\u{feff}');
    if unquoted.starts_with("\"EVENT_TYPE\"") || unquoted.starts_with("EVENT_TYPE,") {
        return Some(Format::Salesforce);
    }
    if mysql_audit::looks_like(text) {
        return Some(Format::MysqlAudit);
    }
    if text.contains("\"atype\"") || text.contains("\\\"atype\\\"") {
        return Some(Format::MongodbAudit);
    }
    // CloudTrail events, and the digest files delivered beside them (read as CloudTrail, they are ignored with
    // their reason).
    if text.contains("\"eventSource\"") && text.contains("\"eventName\"") || text.contains("\"digestStartTime\"") && text.contains("\"awsAccountId\"") {
        return Some(Format::Cloudtrail);
    }
    if zendesk::looks_like(first) {
        return Some(Format::Zendesk);
    }
    if mssql_audit::looks_like(text) {
        return Some(Format::MssqlAudit);
    }
    if oracle_audit::looks_like(unquoted) {
        return Some(Format::OracleAudit);
    }
    if snowflake::looks_like(text) {
        return Some(Format::SnowflakeAccess);
    }
    if bigquery::looks_like(text) {
        return Some(Format::BigqueryAudit);
    }
    if m365_audit::looks_like(unquoted) {
        return Some(Format::M365Audit);
    }
    None
}

/// Builds the parser for `format`. `sample` is the start of the file, used to settle layout details
/// (csvlog or stderr, CSV header, log_line_prefix) before reading.
pub fn parser_for(format: Format, settings: &ParserSettings, sample: &[u8], path: &std::path::Path) -> Result<Box<dyn LogParser>> {
    if settings.record_path.is_some() && format != Format::MongodbAudit {
        return Err(Error::input(path, format!("record_path is read for mongodb-audit logs, and this log is read as {format}: set format = \"mongodb-audit\" or remove record_path")));
    }
    Ok(match format {
        Format::Combined => match &settings.log_format {
            Some(layout) => Box::new(combined::LayoutParser::new(layout, settings.time_zone).map_err(|m| Error::input(path, format!("log_format: {m}")))?),
            None => Box::new(combined::CombinedParser),
        },
        Format::Pgaudit => Box::new(
            pgaudit::PgauditParser::new(settings.log_line_prefix.as_deref(), sample).map_err(|m| Error::input(path, m))?.in_zone(settings.time_zone),
        ),
        Format::Csv => {
            if json_start(sample) {
                return Err(Error::input(path, "this file is JSON, not CSV: set `format = \"jsonl\"` for this log (JSON Lines or a JSON array)"));
            }
            Box::new(generic_csv::CsvParser::new(&settings.map, sample).map_err(|m| Error::input(path, near_miss_hint(sample, m)))?.in_zone(settings.time_zone))
        }
        Format::Jsonl => Box::new(jsonl::JsonlParser::new(&settings.map).map_err(|m| Error::input(path, near_miss_hint(sample, m)))?.in_zone(settings.time_zone)),
        Format::MysqlAudit => Box::new(mysql_audit::MysqlAuditParser::new(settings, sample)),
        Format::MongodbAudit => Box::new(mongodb::MongodbParser { time_zone: settings.time_zone, record_path: settings.record_path.clone() }),
        Format::Cloudtrail => Box::new(cloudtrail::CloudtrailParser { time_zone: settings.time_zone }),
        Format::Salesforce => Box::new(salesforce::SalesforceParser::new(settings, sample).map_err(|m| Error::input(path, m))?),
        Format::Zendesk => Box::new(zendesk::ZendeskParser::new(settings, sample).map_err(|m| Error::input(path, m))?),
        Format::MssqlAudit => Box::new(mssql_audit::MssqlAuditParser),
        Format::OracleAudit => Box::new(oracle_audit::OracleAuditParser::new(settings)),
        Format::SnowflakeAccess => Box::new(snowflake::SnowflakeParser::new(settings).map_err(|m| Error::input(path, m))?),
        Format::BigqueryAudit => Box::new(bigquery::BigqueryParser),
        Format::M365Audit => Box::new(m365_audit::M365Parser),
    })
}

/// Whether a file starts (after a byte-order mark and whitespace) with a JSON object or array of objects.
fn json_start(sample: &[u8]) -> bool {
    let text = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') || crate::read::json_array::looks_like(sample)
}

/// As [`parser_for`], for a reader that will use only the events of some accounts (when given): parsers
/// that can (the generic CSV) then count other accounts' records cheaply (see [`prefilter`]).
pub fn parser_for_accounts(
    format: Format,
    settings: &ParserSettings,
    sample: &[u8],
    path: &std::path::Path,
    interest: Option<prefilter::AccountsOfInterest<'_>>,
) -> Result<Box<dyn LogParser>> {
    match (format, interest) {
        (Format::Csv, Some(interest)) if !json_start(sample) => {
            let parser =
                generic_csv::CsvParser::new(&settings.map, sample).map_err(|m| Error::input(path, near_miss_hint(sample, m)))?.in_zone(settings.time_zone);
            Ok(Box::new(parser.only_accounts(interest)))
        }
        _ => parser_for(format, settings, sample, path),
    }
}

/// Picks the declared format, or detects it from the file's first bytes. A declared format is trusted, whatever
/// the file's start looks like (a csvlog whose first AUDIT line is far in, a rotated file without one, a digest
/// file the glob caught): its parser ignores what is not of the format, with the reason, and a file with no
/// record of it is named in the report. Telling formats apart is `inspect`'s job (see [`looks_unlike`]).
pub fn resolve_format(declared: Option<&str>, sample: &[u8], path: &std::path::Path) -> Result<Format> {
    match declared {
        Some(name) => Format::parse_name(name).ok_or_else(|| {
            let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            Error::input(path, format!("unknown log format `{name}` (known: {})", known.join(", ")))
        }),
        None => detect_format(sample).ok_or_else(|| Error::input(path, "cannot tell the log format: set `format` for this log")),
    }
}

/// For `inspect`: the format the file's start looks like when it is not the declared one (`None`: it matches,
/// or nothing can be told). A generic CSV or JSON export is compatible with any CSV or JSON content.
pub fn looks_unlike(declared: Format, sample: &[u8]) -> Option<Format> {
    let seen = detect_format(sample)?;
    let json = sample.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[');
    let compatible = seen == declared || (declared == Format::Csv && !json && seen == Format::Csv) || (declared == Format::Jsonl && json && seen == Format::Jsonl);
    (!compatible).then_some(seen)
}

/// A file close to a supported format but read as a generic CSV or JSON export, whose mapping failed: the format
/// it looks like and the key to set, before the mapping's own message.
fn near_miss_hint(sample: &[u8], message: String) -> String {
    match near_miss(sample) {
        Some((name, format)) => {
            format!("this looks like {name}, not a generic export mapped column by column: set `format = \"{format}\"` for this log ({message})")
        }
        None => message,
    }
}

/// What a file read as a generic export looks like, when it is a supported format: a description and the format.
pub fn near_miss(sample: &[u8]) -> Option<(&'static str, Format)> {
    let text = String::from_utf8_lossy(sample);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(first.as_bytes());
    let record = reader.records().next().and_then(|r| r.ok());
    let field = |i: usize| record.as_ref().and_then(|r| r.get(i)).unwrap_or_default();
    static TIME: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let time = TIME.get_or_init(|| regex::Regex::new(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d").expect("static"));
    let fields = record.as_ref().map_or(0, |r| r.len());
    // csvlog: log_time, user_name, database_name, process_id, connection_from, session_id, session_line_num,
    // command_tag, session_start_time, virtual_transaction_id, transaction_id, error_severity, ...
    const SEVERITIES: [&str; 12] = ["DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "INFO", "NOTICE", "WARNING", "ERROR", "LOG", "FATAL", "PANIC"];
    if (22..=30).contains(&fields) && time.is_match(field(0)) && SEVERITIES.contains(&field(11)) {
        return Some(("a PostgreSQL csvlog (log_destination = 'csvlog')", Format::Pgaudit));
    }
    // Percona audit_log CSV: NAME, RECORD (`id_time`), TIMESTAMP, COMMAND_CLASS, CONNECTION_ID, STATUS, SQLTEXT, ...
    static RECORD_ID: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let record_id = RECORD_ID.get_or_init(|| regex::Regex::new(r"^\d+_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d").expect("static"));
    if fields >= 6 && record_id.is_match(field(1)) && time.is_match(field(2)) {
        return Some(("a Percona audit_log CSV (audit_log_format = CSV)", Format::MysqlAudit));
    }
    match detect_format(sample)? {
        Format::Csv | Format::Jsonl | Format::Combined => None,
        Format::Pgaudit => Some(("a PostgreSQL log with pgaudit AUDIT records", Format::Pgaudit)),
        Format::MysqlAudit => Some(("a MySQL, MariaDB or Percona audit log", Format::MysqlAudit)),
        Format::MongodbAudit => Some(("a MongoDB audit log", Format::MongodbAudit)),
        Format::Cloudtrail => Some(("an AWS CloudTrail log", Format::Cloudtrail)),
        Format::Salesforce => Some(("a Salesforce EventLogFile", Format::Salesforce)),
        Format::Zendesk => Some(("a Zendesk access-log export", Format::Zendesk)),
        Format::MssqlAudit => Some(("SQL Server Audit records (fn_get_audit_file output)", Format::MssqlAudit)),
        Format::OracleAudit => Some(("an Oracle UNIFIED_AUDIT_TRAIL export", Format::OracleAudit)),
        Format::SnowflakeAccess => Some(("a Snowflake ACCESS_HISTORY export", Format::SnowflakeAccess)),
        Format::BigqueryAudit => Some(("a BigQuery Cloud Audit Logs export", Format::BigqueryAudit)),
        Format::M365Audit => Some(("a Microsoft 365 unified audit log export", Format::M365Audit)),
    }
}

/// Checks a log's `log_format` (the server's own format string) before any file is read: it must be for a
/// web access log and compile. The message names the key; the caller names the case file and the log.
pub fn check_log_format(declared: Option<&str>, layout: &str, time_zone: Option<crate::read::timefmt::Zone>) -> std::result::Result<(), String> {
    if let Some(declared) = declared.filter(|f| Format::parse_name(f) != Some(Format::Combined)) {
        return Err(format!("log_format is for web access logs, not `format = \"{declared}\"`: set `format = \"combined\"` or leave `format` out"));
    }
    combined::LayoutParser::new(layout, time_zone).map(|_| ()).map_err(|m| format!("log_format: {m}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSVLOG: &str = "2019-06-06 07:00:00.000 UTC,\"k.walsh\",\"supportdb\",4242,\"10.0.0.9:5432\",5cf7a1.1,1,\"authentication\",2019-06-05 08:00:00 UTC,3/12,0,LOG,00000,\"connection authorized: user=k.walsh database=supportdb\",,,,,,,,,\"psql\",\"client backend\",,0\n";
    const PERCONA_CSV: &str = "\"Query\",\"22567_2021-06-30T16:10:09\",\"2021-06-30T16:19:00 UTC\",\"select\",\"2\",0,\"select count(*) from one\",\"root[root] @ localhost []\",\"localhost\",\"\",\"\",\"\"\n";
    const DIGEST: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","logFiles":[]}"#;

    #[test]
    fn a_declared_format_is_trusted_and_inspect_is_told_what_the_file_looks_like() {
        let path = std::path::Path::new("x.csv");
        // A csvlog whose start has no AUDIT line is a PostgreSQL log (statements without pgaudit are evidence
        // too), declared or not; declared as a generic CSV, inspect is told what it looks like.
        assert_eq!(resolve_format(Some("pgaudit"), CSVLOG.as_bytes(), path).unwrap(), Format::Pgaudit);
        assert_eq!(resolve_format(None, CSVLOG.as_bytes(), path).unwrap(), Format::Pgaudit);
        assert_eq!(looks_unlike(Format::Pgaudit, CSVLOG.as_bytes()), None);
        assert_eq!(looks_unlike(Format::Csv, CSVLOG.as_bytes()), Some(Format::Pgaudit));
        assert_eq!(looks_unlike(Format::Csv, b"a,b\n1,2\n"), None);
        // A digest file is CloudTrail's, declared or not.
        assert_eq!(resolve_format(None, DIGEST.as_bytes(), path).unwrap(), Format::Cloudtrail);
        assert_eq!(looks_unlike(Format::Cloudtrail, DIGEST.as_bytes()), None);
        assert!(resolve_format(Some("nonsense"), b"", path).is_err());
    }

    #[test]
    fn record_path_is_refused_for_formats_that_do_not_read_it() {
        let settings = ParserSettings { record_path: Some("message".into()), ..Default::default() };
        let path = std::path::Path::new("x.log");
        let err = parser_for(Format::MysqlAudit, &settings, b"", path).err().expect("refused").to_string();
        assert!(err.contains("record_path is read for mongodb-audit logs") && err.contains("mysql-audit"), "{err}");
        assert!(parser_for(Format::MongodbAudit, &settings, b"", path).is_ok());
    }

    #[test]
    fn enterprise_and_warehouse_audit_exports_are_detected() {
        for (text, format) in [
            (include_str!("../../testdata/logs/mssql-audit/CRM_Audit_fn_get_audit_file.csv"), Format::MssqlAudit),
            (include_str!("../../testdata/logs/oracle-audit/unified_audit_trail_19c.csv"), Format::OracleAudit),
            (include_str!("../../testdata/logs/oracle-audit/unified_audit_trail_12c.csv"), Format::OracleAudit),
            (include_str!("../../testdata/logs/snowflake/access_history.csv"), Format::SnowflakeAccess),
            (include_str!("../../testdata/logs/bigquery/data_access_gcloud.json"), Format::BigqueryAudit),
            (include_str!("../../testdata/logs/m365/audit_log_search_2019-06.csv"), Format::M365Audit),
        ] {
            assert_eq!(detect_format(text.as_bytes()), Some(format));
            assert_eq!(near_miss(text.as_bytes()).map(|(_, f)| f), Some(format));
        }
    }

    #[test]
    fn files_close_to_a_supported_format_are_named() {
        assert_eq!(near_miss(CSVLOG.as_bytes()).map(|(_, f)| f), Some(Format::Pgaudit));
        assert_eq!(near_miss(PERCONA_CSV.as_bytes()).map(|(_, f)| f), Some(Format::MysqlAudit));
        assert_eq!(near_miss(b"event_time,user_name,entity\n2019-06-01T00:00:00Z,k,Customer\n"), None);
        let message = near_miss_hint(CSVLOG.as_bytes(), "no time column: set `time` in [logs.map]".into());
        assert!(message.starts_with("this looks like a PostgreSQL csvlog") && message.contains("`format = \"pgaudit\"`"), "{message}");
        assert!(message.ends_with("(no time column: set `time` in [logs.map])"), "{message}");
    }
}
