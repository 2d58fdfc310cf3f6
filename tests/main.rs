//! Every integration test, built as one binary (a change to the crate links one test binary, not twenty).
//! One module per subject; `common` holds the helpers the end-to-end tests share.

mod common;

mod analyze_cli;
mod architecture;
mod audit_scale;
mod coverage;
mod coverage_bursty;
mod declared_formats;
mod enterprise_db;
mod example_case;
mod formats_e2e;
mod formats_props;
mod fuzz_regressions;
mod html_report;
mod insider;
mod inspect_cli;
mod legal;
mod legal_actions;
mod legal_decisions;
mod letters;
mod malformed;
mod parallel_files;
mod parser_properties;
mod parts;
mod postgres_e2e;
mod prefilter_properties;
mod progress_terminal;
mod reliability;
mod syslog_envelopes;
mod replay;
mod spark;
mod table_files;
mod views;
mod web_log_properties;
mod warnings;
mod web_logs_e2e;
