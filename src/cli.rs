//! Command-line definitions (clap derive), all in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "breachscope", version, about = "Which customer records did an account touch, what did each expose, and whom to notify")]
pub struct Cli {
    /// Print nothing on stderr but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Read timestamps without a zone as being in this zone (`UTC`, an offset such as `+02:00` or `-05:00`,
    /// or an IANA name such as `Europe/Berlin`); without it they are rejected.
    #[arg(long, global = true, value_name = "ZONE", allow_hyphen_values = true)]
    pub assume_tz: Option<String>,

    /// The character encoding of the logs: utf-8 (default), latin1 (iso-8859-1, windows-1252), utf-16le,
    /// utf-16be. A log's `encoding` in the case file wins.
    #[arg(long, global = true, value_name = "ENCODING")]
    pub encoding: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a case: read its logs, find what the actors touched, write the notification list and report.
    Analyze(AnalyzeArgs),
    /// Read log files of a case and write one part per file (or byte range) for `analyze --parts`.
    Scan(ScanArgs),
    /// Write the bundled example case into DIR, analyse it and print the summary.
    Demo(DemoArgs),
    /// Tell a log file's format and record count, and show its first parsed events.
    Inspect(InspectArgs),
    /// Write a synthetic case (customers, tickets, logs, case.toml and its expected answer) into DIR.
    Generate(GenerateArgs),
    /// Rank every account by how many reported victims it touched, against chance.
    Suspects(SuspectsArgs),
    /// Per account and month: customers touched, events, after-hours share, bulk operations; flag outliers.
    Profile(ProfileArgs),
    /// Re-hash the inputs and outputs of an analyze run against its manifest.json (exit 1 on any difference).
    Verify(VerifyArgs),
    /// After analyze: DRAFT notice letters per person and jurisdiction, and regulator filing drafts.
    Letters(LettersArgs),
}

#[derive(Debug, Args)]
pub struct LettersArgs {
    /// The case file (TOML) that analyze ran on; its [organisation] and [notice] fill the letters.
    pub case: PathBuf,
    /// Folder for the letters, templates, filings, index and manifest [default: letters/ beside the case file].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Your own templates: US-CA.html, a rule id (EU-GDPR.html) or default.html, with {{field}} markers.
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// Also draft letters for people whose duty is `assess` (default: only `required`).
    #[arg(long, value_name = "NOTIFY", value_parser = ["assess"])]
    pub include: Vec<String>,
    /// Printable files (HTML, PDF) for only N letters, spread over the jurisdictions; letters.csv has all.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// The analyze run's manifest [default: manifest.json beside the case file].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The rules file analyze used [default: the one its manifest names].
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Fail (exit 4, nothing written) when any clause is a placeholder or any point is left to counsel.
    #[arg(long)]
    pub strict: bool,
    /// HTML letters only, even where Chromium is installed.
    #[arg(long)]
    pub no_pdf: bool,
    /// Overwrite existing files in the output folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The case file (TOML).
    pub case: PathBuf,
    /// Only these log files of the case [default: all of them].
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with = "stdin")]
    pub files: Vec<PathBuf>,
    /// Read one of the case's log files from stdin (as stored: gzip and zstd are told by their bytes).
    #[arg(long, requires = "file_name")]
    pub stdin: bool,
    /// With --stdin: the file as the case names it (its path relative to the case file's folder).
    #[arg(long, value_name = "NAME", requires = "stdin")]
    pub file_name: Option<String>,
    /// With --stdin: the file's log (its `name` in the case file); checked.
    #[arg(long, value_name = "NAME", requires = "stdin")]
    pub source: Option<String>,
    /// Only the records starting in bytes START..END of one uncompressed file (see the README). With
    /// --stdin, stdin holds the file's first min(START, 65536) bytes, then its bytes from START on.
    #[arg(long, value_name = "START:END")]
    pub byte_range: Option<String>,
    /// Only the file's SHA-256 and size (for a file scanned in byte ranges).
    #[arg(long, conflicts_with = "byte_range")]
    pub digest_only: bool,
    /// The files of logs listed elsewhere (JSON: each log's `path` as written → its files, URIs or paths
    /// relative to the case file's folder), instead of matched here; analyze --parts takes the same.
    #[arg(long, value_name = "FILE")]
    pub listing: Option<PathBuf>,
    /// Print the case's log files (JSON: index, file as shown, log, path) on stdout and write nothing.
    #[arg(long, conflicts_with_all = ["stdin", "byte_range", "digest_only"])]
    pub list: bool,
    /// Also keep every account's activity, so that `suspects --parts` and `profile --parts` can run from
    /// the parts (the file is read a second time).
    #[arg(long)]
    pub all_accounts: bool,
    /// The folder to write the parts into (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "list")]
    pub out: Option<PathBuf>,
    /// Overwrite parts already in the folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The manifest file, or the folder holding manifest.json.
    pub manifest: PathBuf,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The case file (TOML).
    pub case: PathBuf,
    /// Notification list CSV [default: affected_customers.csv beside the case file].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Report JSON [default: report.json beside the case file].
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Rejected records CSV [default: rejects.csv beside the case file].
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Account under investigation (repeatable); replaces the case's `actors`.
    #[arg(long = "actor", value_name = "ID")]
    pub actors: Vec<String>,
    /// Start of the window (RFC 3339 or YYYY-MM-DD, inclusive); replaces the case's `since`.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// End of the window (inclusive); replaces the case's `until`.
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Every log gap inside the window is a finding (as `coverage = "strict"` in the case).
    #[arg(long)]
    pub strict_coverage: bool,
    /// Shortest silence reported as a log gap, e.g. 2h, 90min, 1d (as `min_gap` in the case).
    #[arg(long, value_name = "DURATION")]
    pub min_gap: Option<String>,
    /// When the actors' accounts were disabled; any access after it is reported as a containment failure.
    /// Replaces the case's `disabled_at`.
    #[arg(long, value_name = "T")]
    pub disabled_at: Option<String>,
    /// Also write a self-contained HTML report for people (print-friendly).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Chain-of-custody manifest JSON [default: manifest.json beside the report].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Fail (exit 4, nothing written) when any log record is rejected.
    #[arg(long)]
    pub strict: bool,
    /// Merge the parts `scan` wrote into these folders instead of reading the logs.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub parts: Vec<PathBuf>,
    /// With --parts: the listing the parts were scanned with (see `scan --listing`).
    #[arg(long, value_name = "FILE", requires = "parts")]
    pub listing: Option<PathBuf>,
    /// Write only a summary report.json (and --html) without personal data, safe to share widely: counts,
    /// no customer names, emails, phones, keys, statements or request paths; no notification list,
    /// legal CSVs or rejects.
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub legal: LegalArgs,
}

/// The legal outputs' options (decision support for counsel).
#[derive(Debug, Default, Args)]
pub struct LegalArgs {
    /// Legal notification list CSV, one row per person [default: affected_people.csv beside the case file].
    #[arg(long, value_name = "FILE")]
    pub people: Option<PathBuf>,
    /// Per-jurisdiction summary CSV [default: jurisdictions.csv beside the case file].
    #[arg(long, value_name = "FILE")]
    pub jurisdictions: Option<PathBuf>,
    /// Counsel's action list CSV, one row per recipient and duty [default: actions.csv beside the case file].
    #[arg(long, value_name = "FILE")]
    pub actions: Option<PathBuf>,
    /// Notification rules file (TOML) instead of the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// One row per person (customer rows of one person merged) or per customer record.
    #[arg(long, value_enum, default_value = "person")]
    pub per: PerArg,
    /// Write the legal CSVs for spreadsheets: UTF-8 BOM and CRLF line ends.
    #[arg(long)]
    pub excel: bool,
}

#[derive(Debug, Args)]
pub struct SuspectsArgs {
    /// The case file (TOML); its `actors` are not needed.
    pub case: PathBuf,
    /// CSV of customers who reported scam contact: a customer key, email or phone column, and optionally a
    /// report date column.
    #[arg(long, value_name = "FILE")]
    pub victims: PathBuf,
    /// Ranking CSV [default: stdout].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Group an account under a person: ACCOUNT=PERSON (repeatable); adds to the case's [people].
    #[arg(long = "alias", value_name = "ACCOUNT=PERSON")]
    pub aliases: Vec<String>,
    /// Read every account's activity from parts `scan --all-accounts` wrote into these folders.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub parts: Vec<PathBuf>,
    /// With --parts: the listing the parts were scanned with (see `scan --listing`).
    #[arg(long, value_name = "FILE", requires = "parts")]
    pub listing: Option<PathBuf>,
    /// Overwrite an existing --out file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The case file (TOML); its `actors` are not needed.
    pub case: PathBuf,
    /// Profile CSV [default: stdout].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Group an account under a person: ACCOUNT=PERSON (repeatable); adds to the case's [people].
    #[arg(long = "alias", value_name = "ACCOUNT=PERSON")]
    pub aliases: Vec<String>,
    /// Read every account's activity from parts `scan --all-accounts` wrote into these folders.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub parts: Vec<PathBuf>,
    /// With --parts: the listing the parts were scanned with (see `scan --listing`).
    #[arg(long, value_name = "FILE", requires = "parts")]
    pub listing: Option<PathBuf>,
    /// Overwrite an existing --out file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to write the example case into.
    #[arg(default_value = "breachscope-demo")]
    pub dir: PathBuf,
    /// Overwrite the folder's files if it already holds a demo.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The log file (plain, .gz or .zst).
    pub file: PathBuf,
    /// The format, instead of detecting it (combined, pgaudit, csv, jsonl, mysql-audit, mongodb-audit, cloudtrail, salesforce, zendesk).
    #[arg(long, short)]
    pub format: Option<String>,
    /// How many parsed events to show.
    #[arg(long, short = 'n', default_value_t = 5)]
    pub limit: usize,
    /// For pgaudit stderr logs: the server's log_line_prefix.
    #[arg(long)]
    pub log_line_prefix: Option<String>,
    /// For web access logs: the server's own format string, Apache LogFormat (`%h %l %u %t "%r" %>s %b`) or
    /// nginx log_format (`$remote_addr - $remote_user [$time_local] "$request" $status ...`).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// The zone of timestamps the log writes without one (MariaDB server_audit), and of PostgreSQL's zone
    /// abbreviations (CEST, CST): UTC, +02:00, -05:00, Europe/Berlin, America/Chicago.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub time_zone: Option<String>,
    /// A CSV naming account ids (Salesforce USER_ID, Zendesk user_id): id and name columns.
    #[arg(long)]
    pub users: Option<std::path::PathBuf>,
    /// mongodb-audit: the dotted path of the key holding each record in a shipper's JSON envelope (`message`,
    /// `event.original`); as the log's `record_path`.
    #[arg(long, value_name = "PATH")]
    pub record_path: Option<String>,
    /// Print the events as JSON Lines on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Read the file with a case's settings for its log (format, map, time zone, prefix, users, encoding);
    /// flags given here override them.
    #[arg(long, value_name = "CASE.toml")]
    pub case: Option<PathBuf>,
    /// With --case: the `[[logs]]` source (its `name`, or its path as written) whose settings to use
    /// [default: the source whose files include FILE].
    #[arg(long, value_name = "NAME", requires = "case")]
    pub source: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write the case into (created if missing; must be empty unless --force).
    pub dir: PathBuf,
    #[arg(long, default_value_t = 3000)]
    pub customers: usize,
    /// Colleagues' background events.
    #[arg(long, default_value_t = 12000)]
    pub events: usize,
    /// Customers the planted insider reaches.
    #[arg(long, default_value_t = 240)]
    pub affected: usize,
    #[arg(long, default_value_t = 2019)]
    pub seed: u64,
    /// Extra honest support agents (agent01 is four times as busy as the others).
    #[arg(long, default_value_t = 0)]
    pub agents: usize,
    /// Customers of the insider's who reported scam calls (written to victims.csv).
    #[arg(long, default_value_t = 50)]
    pub victims: usize,
    /// Write only the customers and tickets tables and one CSV audit log, streamed (any size; the benchmark's case).
    #[arg(long)]
    pub audit_only: bool,
    /// Also write the tables and the CSV audit log as Parquet, with case_parquet.toml naming them.
    #[arg(long)]
    pub parquet: bool,
    #[arg(long)]
    pub force: bool,
}

/// `--per`: one row per person or per customer record (the legal stage's [`crate::legal::report::Per`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PerArg {
    #[default]
    Person,
    Record,
}

impl From<PerArg> for crate::legal::report::Per {
    fn from(per: PerArg) -> Self {
        match per {
            PerArg::Person => crate::legal::report::Per::Person,
            PerArg::Record => crate::legal::report::Per::Record,
        }
    }
}
