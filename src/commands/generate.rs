//! `breachscope generate DIR`: a synthetic case with a planted insider and its expected answer.

use crate::cli::GenerateArgs;
use crate::error::{exit, Error, Result};
use crate::generate::support_case::{generate, GenerateOptions};
use crate::generate::audit::{generate_audit, AuditOptions};
use crate::ui::Ui;

pub fn run(args: &GenerateArgs, ui: &Ui) -> Result<i32> {
    ensure_empty_or_forced(&args.dir, args.force)?;
    let opts = GenerateOptions { customers: args.customers, events: args.events, affected: args.affected, seed: args.seed, agents: args.agents, victims: args.victims };
    if opts.customers == 0 {
        return Err(Error::Usage("--customers must be at least 1".into()));
    }
    let summary = if args.audit_only {
        let audit = AuditOptions { customers: opts.customers, events: opts.events, affected: opts.affected, seed: opts.seed };
        generate_audit(&args.dir, &audit)?
    } else {
        generate(&args.dir, &opts)?
    };
    ui.note(&format!(
        "wrote {}: {} customers, {} tickets, {} log records, {} customers expected affected",
        args.dir.display(),
        summary.customers,
        summary.tickets,
        summary.log_lines,
        summary.affected
    ));
    if args.parquet {
        let written = crate::generate::parquet::write_parquet_copy(&args.dir)?;
        ui.note(&format!("wrote {} as Parquet, and case_parquet.toml naming them", written.join(", ")));
    }
    if let Some((written, possible)) = summary.victims {
        if written < opts.victims {
            ui.warn(&format!(
                "victims.csv has {written} victim(s), not the {} asked for: only {possible} of the insider's customers were looked up directly \
                 with an email of their own (the ones a report can name). Raise --affected (or --events) for more.",
                opts.victims
            ));
        }
    }
    Ok(exit::OK)
}

/// A folder to write into must be new or empty, unless `force`.
pub fn ensure_empty_or_forced(dir: &std::path::Path, force: bool) -> Result<()> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() && !force {
            return Err(Error::OutputExists { path: dir.to_path_buf() });
        }
    }
    Ok(())
}
