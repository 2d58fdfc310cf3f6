//! `breachscope profile CASE.toml`: per account and month, activity against the peers' baseline. The CSV
//! goes to --out or stdout; the flagged accounts go to stderr.

use std::io::Write;

use comfy_table::Cell;

use crate::insider::activity;
use crate::case::{Case, Overrides};
use crate::cli::ProfileArgs;
use crate::error::{exit, Error, Result};
use crate::insider::profile;
use crate::ui::Ui;
use crate::insider::victims::CustomerIndex;

pub fn run(args: &ProfileArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults, reading: &crate::parts::Reading) -> Result<i32> {
    let listing = args.listing.as_deref().map(crate::commands::scan::load_listing).transpose()?;
    let case = Case::load(&args.case, &Overrides { all_accounts: true, inputs: *inputs, listing, ..Default::default() })?;
    if let Some(out) = &args.out {
        crate::output::files::check_writable(out, args.force)?;
    }
    let index = CustomerIndex::read(&case)?;
    let assignments = profile::read_assignments(&case)?;
    let activity::Gathered { groups, touches } = crate::commands::scan::gather_activity(&case, &args.aliases, &index.keys, &args.parts, reading, ui)?;
    let rows = profile::profile(&groups, &touches, assignments.as_ref(), &case.profile);

    let csv = profile::to_csv(&rows);
    match &args.out {
        Some(path) => crate::output::files::write_atomic(path, &csv)?,
        None => std::io::stdout().lock().write_all(&csv).map_err(|source| Error::Write { path: "<stdout>".into(), source })?,
    }
    if !ui.quiet {
        let flagged: Vec<&profile::ProfileRow> = rows.iter().filter(|r| !r.flags.is_empty()).collect();
        let months: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.month.as_str()).collect();
        eprintln!("{} account(s) or people over {} month(s); {} row(s) flagged against their peers", groups.len(), months.len(), flagged.len());
        if !flagged.is_empty() {
            let mut t = crate::ui::table(["month", "actor", "why"]);
            for r in &flagged {
                t.add_row(vec![Cell::new(&r.month), Cell::new(&r.actor), Cell::new(r.flags.join("\n"))]);
            }
            eprintln!("{t}");
        }
        if case.profile.assignment.is_none() {
            eprintln!("(no [profile] assignment column: unassigned_customers is left empty)");
        }
        if let Some(out) = &args.out {
            eprintln!("profile: {}", out.display());
        }
    }
    Ok(exit::OK)
}
