//! Everything `analyze` writes, and how: files written to a temporary name and renamed ([`files`]), the
//! notification list, the legal CSVs, report.json and the terminal summary, the HTML report, the
//! rejects file, the manifest, and the redacted report.

pub mod files;
pub mod html;
pub mod legal;
pub mod manifest;
pub mod notification;
pub mod redact;
pub mod rejects;
pub mod role;
pub mod write;
pub mod report;
