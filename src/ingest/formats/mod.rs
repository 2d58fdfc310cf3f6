//! One parser per log format; each file says which exports it reads and from which public samples its
//! layout was taken.

pub mod bigquery;
pub mod cloudtrail;
pub mod combined;
pub mod generic_csv;
pub mod jsonl;
pub mod m365_audit;
pub mod mongodb;
pub mod mssql_audit;
pub mod mysql_audit;
pub mod oracle_audit;
pub mod pgaudit;
pub mod salesforce;
pub mod snowflake;
pub mod zendesk;
