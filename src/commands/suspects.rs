//! `breachscope suspects CASE.toml --victims FILE`: from the customers who reported scam contact to a
//! ranked list of accounts. The ranking CSV goes to --out or stdout; the top 10, the greedy cover and
//! the caveats go to stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use comfy_table::Cell;

use crate::insider::activity;

use crate::insider::activity::Activity;
use crate::case::{Case, Overrides};
use crate::cli::SuspectsArgs;
use crate::error::{exit, Error, Result};
use crate::insider::stats::format_p;
use crate::insider::suspects;
use crate::insider::suspects::SuspectRow;
use crate::ui::Ui;
use crate::insider::victims;
use crate::insider::victims::CustomerIndex;

pub fn run(args: &SuspectsArgs, ui: &Ui, inputs: &crate::read::input::InputDefaults, reading: &crate::parts::Reading) -> Result<i32> {
    let listing = args.listing.as_deref().map(crate::commands::scan::load_listing).transpose()?;
    let case = Case::load(&args.case, &Overrides { all_accounts: true, inputs: *inputs, listing, ..Default::default() })?;
    if let Some(out) = &args.out {
        crate::output::files::check_writable(out, args.force)?;
    }
    let index = CustomerIndex::read(&case)?;
    if index.keys.is_empty() {
        return Err(Error::input(&case.schema.customers().file.path, "the customers table has no rows"));
    }
    let victims = victims::read(&args.victims, &case, &index)?;
    if victims.customers.is_empty() {
        return Err(Error::input(
            &args.victims,
            format!("none of its {} row(s) matched a customer of the case (by {})", victims.rows, columns_text(&victims.columns)),
        ));
    }
    let activity::Gathered { groups, touches } = crate::commands::scan::gather_activity(&case, &args.aliases, &index.keys, &args.parts, reading, ui)?;
    let rows = suspects::rank(&touches.per_group, &victims.customers, index.keys.len());
    let reached: BTreeMap<String, BTreeSet<String>> =
        touches.per_group.iter().map(|(g, t)| (g.clone(), suspects::victims_reached(t, &victims.customers))).collect();
    let cover = suspects::greedy_cover(&rows, &reached, 3);

    let csv = suspects::to_csv(&rows);
    match &args.out {
        Some(path) => crate::output::files::write_atomic(path, &csv)?,
        None => std::io::stdout().lock().write_all(&csv).map_err(|source| Error::Write { path: "<stdout>".into(), source })?,
    }
    if !ui.quiet {
        eprint!("{}", summary(&victims, &index, &rows, &groups, &cover, args.out.as_deref()));
    }
    Ok(exit::OK)
}

fn columns_text(columns: &[(&str, String)]) -> String {
    columns.iter().map(|(role, c)| format!("{role} column `{c}`")).collect::<Vec<_>>().join(", ")
}

fn summary(
    victims: &victims::Victims,
    index: &CustomerIndex,
    rows: &[SuspectRow],
    groups: &BTreeMap<String, Activity>,
    cover: &[suspects::CoverStep],
    out: Option<&std::path::Path>,
) -> String {
    let mut s = String::new();
    let by: Vec<String> = victims.matched_by.iter().map(|(k, v)| format!("{v} by {k}")).collect();
    s.push_str(&format!(
        "Victims: {} customer(s) from {} row(s) ({}); {} customers in the table; using {}\n",
        victims.customers.len(),
        victims.rows,
        by.join(", "),
        index.keys.len(),
        columns_text(&victims.columns)
    ));
    let dated = victims.customers.values().filter(|d| d.is_some()).count();
    if victims.columns.iter().any(|(r, _)| *r == "report date") {
        s.push_str(&format!("Only accesses up to each victim's report count ({dated} dated; undated victims count every access).\n"));
    }
    if !victims.unmatched.is_empty() {
        let first: Vec<String> = victims.unmatched.iter().take(5).map(|(l, v)| format!("line {l}: {v}")).collect();
        s.push_str(&format!("!! {} row(s) matched no customer and are left out: {}\n", victims.unmatched.len(), first.join("; ")));
    }
    if !victims.ambiguous.is_empty() {
        s.push_str(&format!("{} row(s) matched several customer rows; all of them count as victims.\n", victims.ambiguous.len()));
    }
    s.push('\n');

    let mut t = crate::ui::table(["#", "actor", "accounts", "victims", "share", "customers", "expected", "lift", "p-value"]);
    let num = crate::ui::num;
    for (i, r) in rows.iter().take(10).enumerate() {
        t.add_row(vec![
            num((i + 1).to_string()),
            Cell::new(&r.actor),
            Cell::new(groups.get(&r.actor).map(|g| g.accounts.join(", ")).unwrap_or_default()),
            num(r.victims_touched.to_string()),
            num(format!("{:.1}%", r.victim_share * 100.0)),
            num(r.customers_touched.to_string()),
            num(format!("{:.1}", r.expected)),
            num(format!("{:.1}", r.lift)),
            num(format_p(r.ln_p)),
        ]);
    }
    s.push_str(&format!("Accounts ranked by victims touched against chance (top {} of {}):\n{t}\n", rows.len().min(10), rows.len()));

    let threshold = crate::insider::suspects::cover_threshold_ln(rows.len()).exp();
    if cover.is_empty() {
        s.push_str(&format!("No account touched more victims than chance explains (p < {threshold:.2e}, Bonferroni over {} accounts).\n", rows.len()));
    } else {
        let steps: Vec<String> = cover.iter().map(|c| format!("{} (+{} → {})", c.actor, c.added, c.covered)).collect();
        let last = cover.last().map(|c| c.covered).unwrap_or(0);
        s.push_str(&format!(
            "Fewest accounts covering most victims (greedy, up to 3, among accounts with p < {threshold:.2e}): {} — {} of {} victims\n",
            steps.join(", "),
            last,
            victims.customers.len()
        ));
    }
    let bulk: Vec<String> = groups
        .iter()
        .filter(|(_, g)| g.whole_table_reads + g.unresolved_queries > 0)
        .map(|(name, g)| {
            format!(
                "{name} ({}, {} naming no key)",
                crate::ui::plural(g.whole_table_reads, "whole-table read", "whole-table reads"),
                crate::ui::plural(g.unresolved_queries, "query", "queries")
            )
        })
        .collect();
    if !bulk.is_empty() {
        s.push_str(&format!(
            "!! These accounts read rows the logs do not name, so any victim may be among them and their rank understates them: {}\n",
            bulk.join("; ")
        ));
    }
    if let Some(path) = out {
        s.push_str(&format!("ranking: {}\n", path.display()));
    }
    s
}
