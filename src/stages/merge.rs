//! Collect's result, file by file: [`collect`](crate::stages::collect) gathers each file (or byte range of a
//! file) into a [`Collected`] of its own and merges them, in the case's file order, into the run's. The merge
//! is associative, so the same files give the same result whether they were read here one after another or
//! as parts by `breachscope scan` on other machines (merged by `analyze --parts`): there is one merge, and
//! the plain `analyze` goes through it too.
//!
//! Everything a file adds is either a sum (counts), a union (fields, sources), a minimum or maximum (first
//! and last times), or a list continued in file order (queries, whole-table reads, the actors' marks, the
//! first few lines kept of each kind), with the same caps as when read in one go.

use std::collections::BTreeMap;

use fixedbitset::FixedBitSet;

use crate::read::near::NEAR_KEPT;
use crate::stages::collect::{Collected, Lines, Unaccounted, ViewUse};

fn add_counts<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k).or_default() += n;
    }
}

fn union(into: &mut FixedBitSet, from: &FixedBitSet) {
    into.grow(from.len());
    into.union_with(from);
}

impl Lines {
    /// The lines of the files read after these.
    pub fn merge(&mut self, other: Lines) {
        self.count += other.count;
        for place in other.first {
            if self.first.len() < Self::KEPT {
                self.first.push(place);
            }
        }
    }
}

impl ViewUse {
    fn merge(&mut self, other: ViewUse) {
        add_counts(&mut self.declared, other.declared);
        for (view, tables) in other.assumed {
            add_counts(self.assumed.entry(view).or_default(), tables);
        }
        union(&mut self.assumed_fields, &other.assumed_fields);
    }
}

impl Unaccounted {
    fn merge(&mut self, other: Unaccounted) {
        for (actor, lines) in other.rejected_of_actor {
            self.rejected_of_actor.entry(actor).or_default().merge(lines);
        }
        self.rejected_unknown.merge(other.rejected_unknown);
        self.rejected_of_others += other.rejected_of_others;
        self.without_account.merge(other.without_account);
        union(&mut self.without_account_fields, &other.without_account_fields);
        self.without_account_unknown_fields |= other.without_account_unknown_fields;
        self.without_account_unread += other.without_account_unread;
    }

    fn shift_lines(&mut self, lines: u64) {
        let lists = self.rejected_of_actor.values_mut().chain([&mut self.rejected_unknown, &mut self.without_account]);
        for list in lists {
            list.first.iter_mut().for_each(|(_, line)| *line += lines);
        }
    }
}

/// Near-named accounts counted in the order first met, as one counter over all files would have kept them:
/// the first [`NEAR_KEPT`] accounts met.
fn merge_near(into: &mut Vec<(String, u64)>, from: Vec<(String, u64)>) {
    for (account, n) in from {
        if let Some((_, m)) = into.iter_mut().find(|(a, _)| *a == account) {
            *m += n;
        } else if into.len() < NEAR_KEPT {
            into.push((account, n));
        }
    }
}

impl Collected {
    /// Adds what collect gathered from the files after this one's, in the case's file order. `same_file`:
    /// `other` is the next byte range of this one's last file (its counts and coverage join that file's).
    pub fn merge(&mut self, other: Collected, same_file: bool) {
        let same_file = same_file && !self.files.is_empty();
        for (mine, theirs) in self.touched.iter_mut().zip(other.touched) {
            if mine.is_empty() {
                // The first file's keys as they are: put in one by one, growing the map, they were a
                // twentieth of the 1M-event benchmark's time, on one core.
                *mine = theirs;
                continue;
            }
            for (key, touch) in theirs {
                match mine.get_mut(&key) {
                    Some(t) => t.merge(&touch),
                    None => {
                        mine.insert(key, touch);
                    }
                }
            }
        }
        let mut files = other.files.into_iter();
        if same_file {
            if let Some(next) = files.next() {
                self.files.last_mut().expect("same_file has a last file").add_range(next);
            }
        }
        self.files.extend(files);
        self.unresolved_queries.extend(other.unresolved_queries);
        self.table_accesses.extend(other.table_accesses);
        add_counts(&mut self.unknown_fields, other.unknown_fields);
        add_counts(&mut self.unmatched_paths, other.unmatched_paths);
        add_counts(&mut self.unknown_actions, other.unknown_actions);
        add_counts(&mut self.other_tables, other.other_tables);
        add_counts(&mut self.actor_events, other.actor_events);
        union(&mut self.possibly_exposed, &other.possibly_exposed);
        self.unresolved_without_fields += other.unresolved_without_fields;
        self.replays.extend(other.replays);
        self.coverage.merge(other.coverage, same_file);
        add_counts(&mut self.events_per_day, other.events_per_day);
        self.after_disabled.extend(other.after_disabled);
        self.failed_after_disabled += other.failed_after_disabled;
        for (mine, theirs) in self.views.iter_mut().zip(other.views) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.unaccounted.iter_mut().zip(other.unaccounted) {
            mine.merge(theirs);
        }
        add_counts(&mut self.actor_records, other.actor_records);
        for r in other.actor_rejects {
            match self.actor_rejects.iter_mut().find(|m| m.actor == r.actor && m.source_index == r.source_index) {
                Some(m) => {
                    m.records += r.records;
                    m.missing_zone += r.missing_zone;
                }
                None => self.actor_rejects.push(r),
            }
        }
        add_counts(&mut self.near_accounts, other.near_accounts);
        merge_near(&mut self.near_met, other.near_met);
    }

    /// Once every file is merged: the near-named accounts met go into [`Collected::near_accounts`].
    pub fn finish(&mut self) {
        for (account, n) in std::mem::take(&mut self.near_met) {
            *self.near_accounts.entry(account).or_default() += n;
        }
    }

    /// Adds `lines` to every line number (a byte range's records are numbered from the range's first line;
    /// this moves them on to the file's lines). `file`: the file as shown in outputs.
    pub fn shift_lines(&mut self, lines: u64, file: &str) {
        if lines == 0 {
            return;
        }
        for q in &mut self.unresolved_queries {
            q.origin.line += lines;
        }
        for a in &mut self.table_accesses {
            a.origin.line += lines;
        }
        for r in &mut self.replays {
            r.origin.line += lines;
        }
        for a in &mut self.after_disabled {
            a.origin.line += lines;
        }
        self.coverage.shift_lines(lines);
        for u in &mut self.unaccounted {
            u.shift_lines(lines);
        }
        // `file:line: reason`, as collect writes it.
        let prefix = format!("{file}:");
        for r in &mut self.actor_rejects {
            let moved = r.first.strip_prefix(&prefix).and_then(|rest| {
                let (line, reason) = rest.split_once(':')?;
                Some(format!("{prefix}{}:{reason}", line.parse::<u64>().ok()? + lines))
            });
            if let Some(moved) = moved {
                r.first = moved;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_accounts_keep_the_first_met_across_files() {
        let mut a: Vec<(String, u64)> = (0..NEAR_KEPT - 1).map(|i| (format!("a{i}"), 1)).collect();
        merge_near(&mut a, vec![("a0".into(), 2), ("b".into(), 3), ("c".into(), 4)]);
        assert_eq!(a.len(), NEAR_KEPT);
        assert_eq!(a[0], ("a0".to_string(), 3));
        assert_eq!(a.last().unwrap(), &("b".to_string(), 3), "c came after the cap");
    }

    #[test]
    fn lines_keep_the_first_few_in_file_order() {
        let mut a = Lines { count: 4, first: (1..=4).map(|l| ("a".to_string(), l)).collect() };
        a.merge(Lines { count: 3, first: (1..=3).map(|l| ("b".to_string(), l)).collect() });
        assert_eq!(a.count, 7);
        assert_eq!(a.first.len(), Lines::KEPT);
        assert_eq!(a.first.last().unwrap(), &("b".to_string(), 1));
    }
}
