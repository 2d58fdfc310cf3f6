//! People, not rows: customer rows that are one person are grouped. Two rows are one person when their
//! normalised e-mail addresses are equal (case; dots and `+tags` only for providers that ignore them), or
//! their phone numbers are equal in E.164 and their normalised names are equal.

use std::collections::BTreeMap;

// Maps keyed by rows' addresses and numbers: SipHash's protection is not needed for a case's own tables.
use foldhash::{HashMap, HashMapExt};

use crate::legal::jurisdiction::country_code;

/// Providers whose mailboxes ignore dots in the local part and `+tag` suffixes.
const DOT_AND_PLUS_BLIND: [&str; 2] = ["gmail.com", "googlemail.com"];
/// Providers that ignore `+tag` suffixes but not dots.
const PLUS_BLIND: [&str; 6] = ["outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com"];

/// The address a mailbox is reached by: lower case; for Gmail, dots and `+tag` dropped and
/// googlemail.com read as gmail.com; for providers that ignore `+tag`, the tag dropped. `None` for a cell
/// that is not an address.
pub fn normalise_email(cell: &str) -> Option<String> {
    let t = cell.trim().to_lowercase();
    let (local, domain) = t.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') {
        return None;
    }
    let mut local = local.to_string();
    let mut domain = domain.to_string();
    if DOT_AND_PLUS_BLIND.contains(&domain.as_str()) {
        local = local.split('+').next().unwrap_or_default().replace('.', "");
        domain = "gmail.com".to_string();
    } else if PLUS_BLIND.contains(&domain.as_str()) {
        local = local.split('+').next().unwrap_or_default().to_string();
    }
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// A name compared across rows: letters and digits only, lower case, words sorted (so "Lee, Ann" is
/// "Ann Lee"). Empty when the cell has none.
pub fn normalise_name(cell: &str) -> String {
    let mut words: Vec<String> = cell
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    words.sort();
    words.join(" ")
}

/// A phone number in E.164, read with the row's country as the default region, and the number's own
/// country when the numbering plan tells it. `None` when it cannot be read as a phone number.
pub fn normalise_phone(cell: &str, country: &str) -> Option<(String, Option<String>)> {
    let number = parse_phone(cell, country)?;
    Some((e164(&number), phone_country(&number)))
}

/// The phone number in a cell (see [`normalise_phone`]).
pub fn parse_phone(cell: &str, country: &str) -> Option<phonenumber::PhoneNumber> {
    let t = cell.trim();
    if t.chars().filter(|c| c.is_ascii_digit()).count() < 6 {
        return None;
    }
    let region = country_code(country).and_then(|c| c.parse::<phonenumber::country::Id>().ok());
    phonenumber::parse(region, t).ok()
}

/// The regions of the North American Numbering Plan (calling code 1), as the phone metadata lists them.
const NANP_REGIONS: [&str; 25] = [
    "US", "CA", "AG", "AI", "AS", "BB", "BM", "BS", "DM", "DO", "GD", "GU", "JM", "KN", "KY", "LC", "MP", "MS", "PR", "SX",
    "TC", "TT", "VC", "VG", "VI",
];

/// A North American number's E.164 form without the `phonenumber` parser, for the shapes where its answer is
/// known: `+1` and ten digits (`+14155550199`, `+1 4155550199`, `+1 (415) 555-0199`, `+1-415-555-0199`), or the
/// ten digits alone with a NANP country (`(415) 555-0199`, `415.555.0199`), the area code starting 2-9. `None`
/// for every other cell (the parser reads those). Why: the parser matches regular expressions under one global
/// lock, and customer tables are mostly such numbers (68,000 of them took most of the legal phase); the
/// property tests below check that the answers are the parser's.
pub fn nanp_e164(cell: &str, country: &str) -> Option<String> {
    let t = cell.trim();
    let (plus, rest) = match t.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    // The digit runs and the text between them (before the first, between each two, after the last).
    let mut runs: Vec<&str> = Vec::with_capacity(4);
    let mut gaps: Vec<&str> = Vec::with_capacity(5);
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        let gap_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        gaps.push(&rest[gap_start..i]);
        if i == bytes.len() || runs.len() == 4 {
            break;
        }
        let run_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        runs.push(&rest[run_start..i]);
    }
    if gaps.len() != runs.len() + 1 || !gaps.last().is_some_and(|g| g.is_empty()) {
        return None;
    }
    let plain = |g: &str| matches!(g, " " | "-" | ".");
    let closing = |g: &str| matches!(g, ")" | ") " | ")-");
    let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    let national: String = match (plus, lens.as_slice()) {
        (true, [11]) if runs[0].starts_with('1') && gaps[0].is_empty() => runs[0][1..].to_string(),
        (true, [1, 10]) if runs[0] == "1" && gaps[0].is_empty() && plain(gaps[1]) => runs[1].to_string(),
        (true, [1, 3, 3, 4]) if runs[0] == "1" && gaps[0].is_empty() && plain(gaps[3]) => {
            let bracketed = matches!(gaps[1], " (" | "(") && closing(gaps[2]);
            if !(bracketed || (plain(gaps[1]) && plain(gaps[2]))) {
                return None;
            }
            [runs[1], runs[2], runs[3]].concat()
        }
        (false, [10]) if gaps[0].is_empty() && is_nanp_country(country) => runs[0].to_string(),
        (false, [3, 3, 4]) if plain(gaps[2]) && is_nanp_country(country) => {
            let bracketed = gaps[0] == "(" && closing(gaps[1]);
            if !(bracketed || (gaps[0].is_empty() && plain(gaps[1]))) {
                return None;
            }
            [runs[0], runs[1], runs[2]].concat()
        }
        _ => return None,
    };
    if !(b'2'..=b'9').contains(&national.as_bytes()[0]) {
        return None;
    }
    Some(format!("+1{national}"))
}

fn is_nanp_country(country: &str) -> bool {
    let t = country.trim();
    // The common spellings first: no allocation for them.
    t == "US" || t == "CA" || country_code(t).is_some_and(|c| NANP_REGIONS.contains(&c.as_str()))
}

pub fn e164(number: &phonenumber::PhoneNumber) -> String {
    number.format().mode(phonenumber::Mode::E164).to_string()
}

/// The country (ISO alpha-2) a number belongs to. Costly for shared calling codes (+1 is checked against
/// every NANP country's number patterns): ask only when the address does not say.
pub fn phone_country(number: &phonenumber::PhoneNumber) -> Option<String> {
    number.country().id().map(|id| id.as_ref().to_string())
}

/// One row's keys for grouping.
#[derive(Clone, Debug, Default)]
pub struct RowKeys {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: String,
}

/// Why rows were merged, counted per reason.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MergeStats {
    pub rows: usize,
    pub people: usize,
    pub rows_merged: usize,
    pub by_reason: BTreeMap<String, usize>,
    /// People whose rows carry different names (merged by e-mail): worth a look before letters go out.
    pub people_with_different_names: usize,
    /// Rows that share an e-mail address but whose names disagree (family members with one mailbox):
    /// kept apart as different people. Each entry: the rows of each person sharing the address (row
    /// indices here; customer ids in the report).
    #[serde(skip)]
    pub shared_email_rows: Vec<Vec<Vec<usize>>>,
    /// The same as customer ids, per shared address: one list per person (dropped by `--redact`).
    pub shared_email_kept_apart: Vec<Vec<Vec<String>>>,
    /// How many addresses are shared by rows kept apart.
    pub shared_emails: usize,
}

/// Whether two normalised names (see [`normalise_name`]) can be one person's: every word of the shorter
/// matches a word of the longer (equal, or an initial of it), and the longer's other words are initials
/// ("A Lee" and "Ann B Lee" agree; "Ann Lee" and "Bob Lee" do not). An empty name agrees with any.
pub fn names_agree(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() || a == b {
        return true;
    }
    let (short, long): (Vec<&str>, Vec<&str>) = {
        let (x, y): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
        if x.len() <= y.len() { (x, y) } else { (y, x) }
    };
    let mut used = vec![false; long.len()];
    for w in &short {
        let matches = |l: &str| l == *w || (w.chars().count() == 1 && l.starts_with(w)) || (l.chars().count() == 1 && w.starts_with(l));
        // Prefer an exact match, then an initial.
        let pick = (0..long.len()).find(|i| !used[*i] && long[*i] == *w).or_else(|| (0..long.len()).find(|i| !used[*i] && matches(long[*i])));
        match pick {
            Some(i) => used[i] = true,
            None => return false,
        }
    }
    long.iter().zip(&used).all(|(w, u)| *u || w.chars().count() == 1)
}

/// Groups rows into people. Returns, for each row, the index of its group (groups numbered in order of
/// their first row) and the counts.
pub fn group(rows: &[RowKeys]) -> (Vec<usize>, MergeStats) {
    group_in_shards(rows, SHARDS)
}

/// Shards the addresses and the (number, name) pairs are split into, so that each shard's rows are gone
/// through on any core (a row's joins depend only on the rows before it with its address, or its number and
/// name): one after another, the 68,000 rows' look-ups, each a cache miss or more, were 27-80 ms of one core
/// at the start of the legal stage while the other had little to do (perf).
const SHARDS: usize = 8;

/// The joins a row makes, found in its shards: with the first row of the mailbox's person it is, and with
/// the first row of its number and name.
#[derive(Clone, Copy, Default)]
struct RowJoins {
    email: Option<usize>,
    phone: Option<usize>,
    /// Its address is used by more than one person.
    shared_address: bool,
}

/// [`group`] with the keys split into `shards`: the joins found per shard (each shard's rows in row order),
/// then made in row order, so the people and the counts by reason are those of one pass over the rows.
fn group_in_shards(rows: &[RowKeys], shards: usize) -> (Vec<usize>, MergeStats) {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::with_seed(0x7065_6f70);
    // Each row's shard for its address and for its number and name (`shards` where it has none).
    let shard_of: Vec<(usize, usize)> = rows
        .par_iter()
        .map(|row| {
            let email = row.email.as_ref().map_or(shards, |e| (state.hash_one(e.as_str()) % shards as u64) as usize);
            let phone = match &row.phone {
                Some(phone) if !row.name.is_empty() => (state.hash_one((phone.as_str(), row.name.as_str())) % shards as u64) as usize,
                _ => shards,
            };
            (email, phone)
        })
        .collect();
    let found: Vec<Vec<(usize, RowJoins)>> = (0..shards).into_par_iter().map(|shard| shard_joins(rows, &shard_of, shard, shards)).collect();
    let mut joins = vec![RowJoins::default(); rows.len()];
    for (i, found) in found.into_iter().flatten() {
        let row = &mut joins[i];
        row.email = row.email.or(found.email);
        row.phone = row.phone.or(found.phone);
        row.shared_address |= found.shared_address;
    }
    let mut joined = Joined::new(rows.len());
    for (i, row) in joins.iter().enumerate() {
        if let Some(first) = row.email {
            joined.join(first, i, "same e-mail address");
        }
        if let Some(first) = row.phone {
            joined.join(first, i, "same phone number and name");
        }
    }
    // Groups numbered in order of their first row; per group, its first name and whether another differs.
    let mut group_of_root = vec![usize::MAX; rows.len()];
    let mut groups = Vec::with_capacity(rows.len());
    let mut group_names: Vec<(&str, bool)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let root = joined.root(i);
        if group_of_root[root] == usize::MAX {
            group_of_root[root] = group_names.len();
            group_names.push(("", false));
        }
        let g = group_of_root[root];
        groups.push(g);
        let (first, differs) = &mut group_names[g];
        if first.is_empty() {
            *first = &row.name;
        } else if !row.name.is_empty() && *first != row.name {
            *differs = true;
        }
    }
    let people_with_different_names = group_names.iter().filter(|(_, differs)| *differs).count();
    let shared = shared_email_rows(rows, &groups, &|i| joins[i].shared_address);
    let stats = merge_stats(rows.len(), group_names.len(), joined.by_reason, people_with_different_names, shared);
    (groups, stats)
}

/// The joins of the rows whose address or whose number and name are in `shard` (see [`RowJoins`]), in row
/// order.
fn shard_joins(rows: &[RowKeys], shard_of: &[(usize, usize)], shard: usize, shards: usize) -> Vec<(usize, RowJoins)> {
    // (Keys spread evenly over the shards: room for a shard's share at once.)
    let share = rows.len() / shards + 1;
    let mut out = Vec::new();
    // Per address, the people using it so far, in order (a row of each, and their names). Kept in flat
    // lists linked by index, not a vector per address and per person: a list per row was most of the
    // grouping's time, in allocating and freeing (68,000 rows: 70 ms).
    let mut mailboxes: HashMap<&str, u32> = HashMap::with_capacity(share);
    let mut boxes: Vec<Mailbox> = Vec::with_capacity(share);
    let mut people: Vec<MailboxPerson> = Vec::with_capacity(share);
    let mut names: Vec<(&str, u32)> = Vec::with_capacity(share);
    let mut first_phone_name: HashMap<(&str, &str), usize> = HashMap::with_capacity(share);
    // Per row with an address here, its mailbox (to tell at the end whether the address is shared).
    let mut row_box: Vec<(usize, u32)> = Vec::with_capacity(share);
    for (i, row) in rows.iter().enumerate() {
        let (email_shard, phone_shard) = shard_of[i];
        let mut joins = RowJoins::default();
        if email_shard == shard {
            let email = row.email.as_deref().expect("a shard only for an address");
            let name = row.name.as_str();
            let index = *mailboxes.entry(email).or_insert_with(|| {
                boxes.push(Mailbox { first: NONE, last: NONE, people: 0 });
                (boxes.len() - 1) as u32
            });
            row_box.push((i, index));
            let mailbox = &mut boxes[index as usize];
            // The same mailbox is one person only where the names agree (or one side has none).
            let mut fitting = std::iter::successors(Some(mailbox.first).filter(|p| *p != NONE), |p| Some(people[*p as usize].next).filter(|n| *n != NONE))
                .filter(|p| names_of(&names, people[*p as usize].names).all(|n| names_agree(n, name)));
            let chosen = match (fitting.next(), fitting.next().is_some()) {
                (None, _) => None,
                // A row without a name beside several people of one mailbox: whose it is cannot be told.
                (Some(_), true) if name.is_empty() => None,
                (Some(first), _) => Some(first),
            };
            match chosen {
                Some(p) => {
                    joins.email = Some(people[p as usize].row);
                    if !name.is_empty() {
                        people[p as usize].names = push_name(&mut names, name, people[p as usize].names);
                    }
                }
                None => {
                    let names_head = if name.is_empty() { NONE } else { push_name(&mut names, name, NONE) };
                    people.push(MailboxPerson { row: i, names: names_head, next: NONE });
                    let added = (people.len() - 1) as u32;
                    if mailbox.last == NONE {
                        mailbox.first = added;
                    } else {
                        people[mailbox.last as usize].next = added;
                    }
                    mailbox.last = added;
                    mailbox.people += 1;
                }
            }
        }
        if phone_shard == shard {
            let phone = row.phone.as_deref().expect("a shard only for a number with a name");
            match first_phone_name.get(&(phone, row.name.as_str())) {
                Some(&j) => joins.phone = Some(j),
                None => {
                    first_phone_name.insert((phone, &row.name), i);
                }
            }
        }
        if joins.email.is_some() || joins.phone.is_some() {
            out.push((i, joins));
        }
    }
    for (i, index) in row_box {
        if boxes[index as usize].people > 1 {
            out.push((i, RowJoins { shared_address: true, ..RowJoins::default() }));
        }
    }
    out
}

/// Per address used by more than one person (`shared`: whether row `i`'s is), each person's rows in row
/// order; sorted.
fn shared_email_rows(rows: &[RowKeys], groups: &[usize], shared: &dyn Fn(usize) -> bool) -> Vec<Vec<Vec<usize>>> {
    let mut by_address: BTreeMap<&str, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some(email) = &row.email {
            if shared(i) {
                by_address.entry(email.as_str()).or_default().entry(groups[i]).or_default().push(i);
            }
        }
    }
    let mut rows_of: Vec<Vec<Vec<usize>>> = by_address.into_values().map(|people| people.into_values().collect()).filter(|p: &Vec<Vec<usize>>| p.len() > 1).collect();
    rows_of.sort();
    rows_of
}

fn merge_stats(rows: usize, people: usize, by_reason: BTreeMap<String, usize>, people_with_different_names: usize, shared_email_rows: Vec<Vec<Vec<usize>>>) -> MergeStats {
    MergeStats {
        rows,
        people,
        rows_merged: rows - people,
        by_reason,
        people_with_different_names,
        shared_emails: shared_email_rows.len(),
        shared_email_rows,
        shared_email_kept_apart: Vec::new(),
    }
}

/// Rows joined into people (union-find over row indexes; a group's root is its lowest row), with the joins
/// counted by reason.
struct Joined {
    parent: Vec<usize>,
    by_reason: BTreeMap<String, usize>,
}

impl Joined {
    fn new(rows: usize) -> Joined {
        Joined { parent: (0..rows).collect(), by_reason: BTreeMap::new() }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins the groups of rows `a` and `b`, counted under `reason` when they were apart.
    fn join(&mut self, a: usize, b: usize, reason: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
            match self.by_reason.get_mut(reason) {
                Some(n) => *n += 1,
                None => {
                    self.by_reason.insert(reason.to_string(), 1);
                }
            }
        }
    }
}

/// The end of a list in [`group`]'s flat lists.
const NONE: u32 = u32::MAX;

/// An address's people in [`group`]: the first and last of them (indexes of the people list) and how many.
struct Mailbox {
    first: u32,
    last: u32,
    people: u32,
}

/// A person of an address in [`group`]: a row of theirs, the head of their names' list, the next person.
struct MailboxPerson {
    row: usize,
    names: u32,
    next: u32,
}

/// Puts `name` at the head of a list (whose head was `next`) in [`group`]'s flat name list: the new head.
fn push_name<'n>(names: &mut Vec<(&'n str, u32)>, name: &'n str, next: u32) -> u32 {
    names.push((name, next));
    (names.len() - 1) as u32
}

/// The names of a list in [`group`]'s flat name list, from its head.
fn names_of<'n>(names: &'n [(&'n str, u32)], head: u32) -> impl Iterator<Item = &'n str> + 'n {
    std::iter::successors(Some(head).filter(|h| *h != NONE), move |h| Some(names[*h as usize].1).filter(|n| *n != NONE)).map(move |h| names[h as usize].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grouping as first written, with a vector per address and person: the reference for [`group`].
    fn group_by_maps(rows: &[RowKeys]) -> (Vec<usize>, MergeStats) {
        let mut joined = Joined::new(rows.len());
        // Per address: the people using it so far (a row of each, and their names).
        let mut by_email: HashMap<&str, Vec<(usize, Vec<&str>)>> = HashMap::new();
        let mut first_phone_name: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(email) = &row.email {
                let people = by_email.entry(email.as_str()).or_default();
                let name = row.name.as_str();
                // The same mailbox is one person only where the names agree (or one side has none).
                let fits: Vec<usize> = (0..people.len()).filter(|p| people[*p].1.iter().all(|n| names_agree(n, name))).collect();
                let chosen = match fits.as_slice() {
                    [] => None,
                    [one] => Some(*one),
                    // A row without a name beside several people of one mailbox: whose it is cannot be told.
                    _ if name.is_empty() => None,
                    [first, ..] => Some(*first),
                };
                match chosen {
                    Some(p) => {
                        joined.join(people[p].0, i, "same e-mail address");
                        if !name.is_empty() {
                            people[p].1.push(name);
                        }
                    }
                    None => people.push((i, if name.is_empty() { vec![] } else { vec![name] })),
                }
            }
            // Joined to the first row with its phone number and name.
            if let Some(phone) = &row.phone {
                if !row.name.is_empty() {
                    match first_phone_name.get(&(phone.as_str(), row.name.as_str())) {
                        Some(&j) => joined.join(j, i, "same phone number and name"),
                        None => {
                            first_phone_name.insert((phone, &row.name), i);
                        }
                    }
                }
            }
        }
        let mut ids: HashMap<usize, usize> = HashMap::new();
        let mut groups = Vec::with_capacity(rows.len());
        for i in 0..rows.len() {
            let root = joined.root(i);
            let next = ids.len();
            groups.push(*ids.entry(root).or_insert(next));
        }
        let mut names: HashMap<usize, std::collections::BTreeSet<&str>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            if !rows[i].name.is_empty() {
                names.entry(*g).or_default().insert(&rows[i].name);
            }
        }
        let people_with_different_names = names.values().filter(|n| n.len() > 1).count();
        let shared = shared_email_rows(rows, &groups, &|i| rows[i].email.as_deref().is_some_and(|email| by_email.get(email).is_some_and(|p| p.len() > 1)));
        (groups, merge_stats(rows.len(), ids.len(), joined.by_reason, people_with_different_names, shared))
    }

    /// The parser's answer for a cell (the slow path).
    fn parsed_e164(cell: &str, country: &str) -> Option<String> {
        parse_phone(cell, country).map(|n| e164(&n))
    }

    #[test]
    fn nanp_numbers_in_common_shapes_skip_the_parser() {
        for (cell, country) in [
            ("+1 201-555-0123", "US"),
            ("+1 (415) 555.0199", "DE"),
            ("+14155550199", ""),
            ("(415) 555-0199", "US"),
            ("415 555 0199", "Canada"),
            ("4155550199", "PR"),
        ] {
            let fast = nanp_e164(cell, country);
            assert!(fast.is_some(), "{cell} {country}");
            assert_eq!(fast, parsed_e164(cell, country), "{cell} {country}");
        }
        // Other shapes are the parser's: another calling code, an area code starting 0/1, no NANP country for
        // a national number, an extension, letters.
        for (cell, country) in [
            ("+44 20 7946 0958", "GB"),
            ("+1 015-555-0123", "US"),
            ("415 555 0199", "GB"),
            ("415 555 0199", ""),
            ("+1 415 555 0199 ext 12", "US"),
            ("+1 415 555 0199 x12", "US"),
            ("1-800-FLOWERS", "US"),
            ("+1 415 555 01999", "US"),
        ] {
            assert_eq!(nanp_e164(cell, country), None, "{cell} {country}");
        }
    }

    proptest::proptest! {
        /// Whatever the cell, the shortcut either declines or gives the parser's own E.164 answer.
        #[test]
        fn nanp_shortcut_agrees_with_the_parser(
            plus in proptest::bool::ANY,
            one in proptest::bool::ANY,
            groups in proptest::collection::vec(proptest::sample::select(vec!["415", "555", "0199", "201", "015", "4155550199", "1", "12", "99999", "800"]), 1..5),
            seps in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", ".", "(", ")", ") ", " (", ")-", "  ", "/", "x", " ext "]), 6),
            country in proptest::sample::select(vec!["US", "CA", "PR", "JM", "GB", "DE", "", "us", "United States", "Canada", "MX"]),
            lead in proptest::sample::select(vec!["", "(", " "]),
        ) {
            let mut cell = String::new();
            if plus { cell.push('+'); }
            if one { cell.push('1'); cell.push_str(seps[5]); }
            cell.push_str(lead);
            for (i, g) in groups.iter().enumerate() {
                cell.push_str(g);
                if i + 1 < groups.len() { cell.push_str(seps[i % 5]); }
            }
            if let Some(fast) = nanp_e164(&cell, country) {
                proptest::prop_assert_eq!(Some(fast), parsed_e164(&cell, country), "cell {:?} country {:?}", cell, country);
            }
        }

        /// Ten NANP digits in any of the accepted shapes are always taken by the shortcut.
        #[test]
        fn nanp_shortcut_takes_plain_north_american_numbers(area in 200u32..1000, exchange in 0u32..1000, line in 0u32..10000,
            sep in proptest::sample::select(vec!["", " ", "-", "."]), country in proptest::sample::select(vec!["US", "CA", "PR"])) {
            let cell = format!("+1 {area:03}{sep}{exchange:03}{sep}{line:04}");
            let fast = nanp_e164(&cell, country);
            proptest::prop_assert!(fast.is_some());
            proptest::prop_assert_eq!(fast, parsed_e164(&cell, country));
            for shape in [format!("+1 ({area:03}) {exchange:03}-{line:04}"), format!("+1{area:03}{exchange:03}{line:04}"),
                          format!("({area:03}) {exchange:03}-{line:04}"), format!("{area:03}{sep}{exchange:03}{sep}{line:04}")] {
                let fast = nanp_e164(&shape, country);
                proptest::prop_assert!(fast.is_some(), "{}", shape);
                proptest::prop_assert_eq!(fast.clone(), parsed_e164(&shape, country), "{}", shape);
            }
        }
    }

    #[test]
    fn gmail_ignores_dots_and_tags_other_providers_do_not() {
        assert_eq!(normalise_email(" Ann.Lee+support@GMail.com").as_deref(), Some("annlee@gmail.com"));
        assert_eq!(normalise_email("annlee@googlemail.com").as_deref(), Some("annlee@gmail.com"));
        assert_eq!(normalise_email("Ann.Lee@example.com").as_deref(), Some("ann.lee@example.com"));
        assert_eq!(normalise_email("ann+x@example.com").as_deref(), Some("ann+x@example.com"));
        assert_eq!(normalise_email("ann+x@outlook.com").as_deref(), Some("ann@outlook.com"));
        assert_eq!(normalise_email("not an address"), None);
        assert_eq!(normalise_email(""), None);
    }

    #[test]
    fn phones_become_e164_with_the_row_country() {
        assert_eq!(normalise_phone("020 7946 0958", "GB").map(|p| p.0).as_deref(), Some("+442079460958"));
        assert_eq!(normalise_phone("+44 20 7946 0958", "").map(|p| p.0).as_deref(), Some("+442079460958"));
        assert_eq!(normalise_phone("(202) 555-0101", "US").map(|p| p.0).as_deref(), Some("+12025550101"));
        assert_eq!(normalise_phone("030 123456", "Germany").map(|p| p.0).as_deref(), Some("+4930123456"));
        assert_eq!(normalise_phone("n/a", "US"), None);
        // A national number without a country cannot be read.
        assert_eq!(normalise_phone("020 7946 0958", ""), None);
    }

    #[test]
    fn the_phones_country_is_known_for_valid_numbers() {
        let (_, country) = normalise_phone("+44 20 7946 0958", "").unwrap();
        assert_eq!(country.as_deref(), Some("GB"));
        let (_, country) = normalise_phone("+49 30 901820", "").unwrap();
        assert_eq!(country.as_deref(), Some("DE"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Few addresses, numbers and names, so that rows meet: shared mailboxes with names that agree,
        /// disagree or are missing, and numbers shared with or without the same name.
        #[test]
        fn grouping_in_flat_lists_gives_what_the_maps_gave(
            picks in proptest::collection::vec((0usize..4, 0usize..3, 0usize..6), 0..40),
        ) {
            let emails = [None, Some("ann@x.com"), Some("fam@x.com"), Some("bob@y.org")];
            let phones = [None, Some("+12025550101"), Some("+12025550102")];
            let names = ["", "ann lee", "a lee", "bob lee", "ann b lee", "b lee"];
            let rows: Vec<RowKeys> = picks
                .iter()
                .map(|(e, p, n)| RowKeys { email: emails[*e].map(String::from), phone: phones[*p].map(String::from), name: names[*n].to_string() })
                .collect();
            let (expected_groups, expected) = group_by_maps(&rows);
            // In one shard (one pass over the rows), in the shards `group` uses, and in a few more.
            for shards in [1, 2, 3, SHARDS, 16] {
                let (groups, stats) = group_in_shards(&rows, shards);
                proptest::prop_assert_eq!(&groups, &expected_groups, "{} shards", shards);
                proptest::prop_assert_eq!(
                    (stats.people, stats.rows_merged, &stats.by_reason, stats.people_with_different_names, stats.shared_emails, &stats.shared_email_rows),
                    (expected.people, expected.rows_merged, &expected.by_reason, expected.people_with_different_names, expected.shared_emails, &expected.shared_email_rows),
                    "{} shards", shards
                );
            }
        }
    }

    #[test]
    fn rows_merge_by_email_or_phone_with_name() {
        let row = |email: &str, phone: &str, name: &str| RowKeys {
            email: normalise_email(email),
            phone: normalise_phone(phone, "US").map(|p| p.0),
            name: normalise_name(name),
        };
        let rows = vec![
            row("ann.lee@gmail.com", "202-555-0101", "Ann Lee"),
            row("annlee+shop@gmail.com", "", "A. Lee"),   // same mailbox
            row("bob@example.com", "+1 202 555 0101", "Lee, Ann"), // same phone + same name
            row("carl@example.com", "202-555-0101", "Carl Lee"), // same phone, other name: not merged
            row("", "", ""),
        ];
        let (groups, stats) = group(&rows);
        assert_eq!(groups, [0, 0, 0, 1, 2]);
        assert_eq!(stats.people, 3);
        assert_eq!(stats.rows_merged, 2);
        assert_eq!(stats.by_reason["same e-mail address"], 1);
        assert_eq!(stats.by_reason["same phone number and name"], 1);
        // "Ann Lee" and "A. Lee" share a mailbox.
        assert_eq!(stats.people_with_different_names, 1);
    }
}
