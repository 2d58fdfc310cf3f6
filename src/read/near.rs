//! Account names near a wanted one: an actor written `K.Walsh` when the logs write `k.walsh` matches
//! nothing (accounts match exactly, never by guessing), so the run says which accounts the logs hold
//! that look like it. Near means, ignoring case: the same name, at most one or two edits away (one for
//! names under six characters, none under three), or one name a prefix of the other or a part of it
//! between separators (`k.walsh@acme.com`, `ACME\k.walsh`, `rpt_k.walsh`; the shorter at least three
//! characters).
//!
//! [`NearNames::might_be_near`] is what a reader can afford on every record: a 64-bit mask of the
//! characters a name holds, compared with the wanted names' masks, turns nearly every other account away
//! in a few nanoseconds and never turns a near one away; [`nearness`] then decides.

/// How an account is near a wanted name, closest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nearness {
    /// The same name in another case (`K.Walsh`, `k.walsh`).
    CaseOnly,
    /// This many characters inserted, removed or replaced.
    Edits(usize),
    /// One name starts with the other (`k.walsh`, `k.walsh2019`).
    Prefix,
    /// One name is a part of the other between separators (`k.walsh`, `ACME\k.walsh`).
    Part,
}

impl Nearness {
    pub fn describe(self) -> String {
        match self {
            Nearness::CaseOnly => "differs only in upper/lower case".into(),
            Nearness::Edits(1) => "one character different".into(),
            Nearness::Edits(n) => format!("{n} characters different"),
            Nearness::Prefix => "one name starts with the other".into(),
            Nearness::Part => "one name is part of the other".into(),
        }
    }
}

/// Edits allowed for a wanted name of `chars` characters.
fn max_edits(chars: usize) -> usize {
    match chars {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    }
}

/// The shortest name a prefix or part match counts for.
const MIN_PART: usize = 3;

/// How `account` is near `name`; `None` when it is not, or is `name` itself.
pub fn nearness(name: &str, account: &str) -> Option<Nearness> {
    if name == account || account.is_empty() {
        return None;
    }
    let (a, b) = (name.to_lowercase(), account.to_lowercase());
    if a == b {
        return Some(Nearness::CaseOnly);
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let allowed = max_edits(a.len());
    if allowed > 0 && a.len().abs_diff(b.len()) <= allowed {
        let edits = edit_distance(&a, &b);
        if edits <= allowed {
            return Some(Nearness::Edits(edits));
        }
    }
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if short.len() < MIN_PART {
        return None;
    }
    if long.starts_with(short) {
        return Some(Nearness::Prefix);
    }
    let separated = |c: Option<&char>| c.is_none_or(|c| !c.is_alphanumeric());
    let part = (1..=long.len() - short.len()).any(|at| {
        long[at..].starts_with(short) && separated(long.get(at - 1)) && separated(long.get(at + short.len()))
    });
    part.then_some(Nearness::Part)
}

/// Levenshtein distance (insertions, deletions, substitutions).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The bit of a byte in a name's mask: ASCII letters without case, digits and common separators each
/// their own; any other ASCII byte one of a few shared bits; any byte of a multi-byte character [`OTHER`].
const BIT: [u8; 256] = {
    let mut table = [63u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = (b as u8).to_ascii_lowercase();
        table[b] = match c {
            b'a'..=b'z' => c - b'a',
            b'0'..=b'9' => 26 + c - b'0',
            b'.' => 36,
            b'_' => 37,
            b'-' => 38,
            b'@' => 39,
            b'\\' => 40,
            b' ' => 41,
            _ => 42 + c % 20,
        };
        b += 1;
    }
    table
};

/// A name's mask: the bits of its bytes (an ASCII letter and its capital share one; bytes that share a
/// bit only let more names through the quick test, never fewer).
#[inline]
fn mask(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |m, b| m | 1 << BIT[*b as usize])
}

const OTHER: u64 = 1 << 63;

#[derive(Clone, Debug)]
struct Wanted {
    name: String,
    mask: u64,
    /// Bytes; equal to characters when the name is ASCII (`mask` has no [`OTHER`] bit).
    len: usize,
    edits: usize,
}

/// The wanted names, ready to tell near accounts quickly.
#[derive(Clone, Debug, Default)]
pub struct NearNames {
    wanted: Vec<Wanted>,
}

impl NearNames {
    pub fn new(names: &[String]) -> NearNames {
        let wanted = names
            .iter()
            .map(|n| Wanted { name: n.clone(), mask: mask(n.as_bytes()), len: n.len(), edits: max_edits(n.chars().count()) })
            .collect();
        NearNames { wanted }
    }

    /// False only for an account near none of the names (true for every near one, and for a few
    /// others): cheap enough for every record.
    #[inline]
    pub fn might_be_near(&self, account: &str) -> bool {
        let bytes = account.as_bytes();
        let m = mask(bytes);
        self.wanted.iter().any(|w| {
            if (m | w.mask) & OTHER != 0 {
                return true; // not ASCII: lengths in bytes say nothing of characters
            }
            let (extra, missing) = ((m & !w.mask).count_ones() as usize, (w.mask & !m).count_ones() as usize);
            // Within the edits, each edit brings at most one character in and takes one out.
            let by_edits = bytes.len().abs_diff(w.len) <= w.edits && extra <= w.edits && missing <= w.edits;
            // A prefix or part: every character of the shorter name is in the longer.
            let by_part = if bytes.len() >= w.len { w.len >= MIN_PART && missing == 0 } else { bytes.len() >= MIN_PART && extra == 0 };
            by_edits || by_part
        })
    }

    /// The names `account` is near, with how (none for an account that is one of the names).
    pub fn near(&self, account: &str) -> Vec<(&str, Nearness)> {
        if !self.might_be_near(account) || self.wanted.iter().any(|w| w.name == account) {
            return Vec::new();
        }
        self.wanted.iter().filter_map(|w| nearness(&w.name, account).map(|n| (w.name.as_str(), n))).collect()
    }

    pub fn is_near(&self, account: &str) -> bool {
        !self.near(account).is_empty()
    }
}

/// How many near accounts a counter keeps (near accounts are few; a log of thousands of look-alike
/// names would not grow it further).
pub const NEAR_KEPT: usize = 64;

/// Records of accounts near the wanted names, counted as a reader meets them: a handful of names, so a
/// list searched in order (no map, no allocation for accounts that are not near).
#[derive(Clone, Debug, Default)]
pub struct NearCounts {
    /// Account → records, in the order first met.
    pub counts: Vec<(String, u64)>,
    /// Accounts that passed the quick test but are not near (not counted; kept so they are judged once).
    far: Vec<String>,
    /// Verdicts for accounts met lately (a log's records come from a few accounts, and looking a verdict
    /// up costs less than the quick test).
    cache: Vec<Verdict>,
}

/// The verdict on an account of up to 16 bytes (near one of the names or not), stored by its bytes
/// (`len` 0: empty slot).
#[derive(Clone, Copy, Debug, Default)]
struct Verdict {
    len: u8,
    head: u64,
    tail: u64,
    near: bool,
}

/// Slots of [`NearCounts::cache`] (a power of two).
const CACHE_SLOTS: usize = 256;

impl NearCounts {
    /// Counts a record of `account` when it is near one of `names`.
    #[inline]
    pub fn note(&mut self, names: &NearNames, account: &str) {
        if self.judge(names, account) {
            self.count(account);
        }
    }

    /// Whether `account` is near one of `names`, remembered for accounts of up to 16 bytes (held whole in
    /// the slot, so a verdict is never another account's): most records cost a slot look-up.
    #[inline]
    fn judge(&mut self, names: &NearNames, account: &str) -> bool {
        let bytes = account.as_bytes();
        if bytes.is_empty() || bytes.len() > 16 {
            return names.might_be_near(account) && self.judge_slow(names, account);
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        // From 8 bytes on, the first and the last 8 (overlapping) with the length hold the name whole.
        let (head, tail) = if bytes.len() >= 8 { (word(0), word(bytes.len() - 8)) } else { (bytes.iter().rev().fold(0, |h, b| h << 8 | u64::from(*b)), 0) };
        let len = bytes.len() as u8;
        let slot = ((head ^ tail.rotate_left(29) ^ u64::from(len)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % CACHE_SLOTS;
        if self.cache.is_empty() {
            self.cache = vec![Verdict::default(); CACHE_SLOTS];
        }
        let v = self.cache[slot];
        if v.len == len && v.head == head && v.tail == tail {
            return v.near;
        }
        let near = names.might_be_near(account) && self.judge_slow(names, account);
        self.cache[slot] = Verdict { len, head, tail, near };
        near
    }

    /// The full test, for an account that passed the quick one (accounts judged far are kept, so a long
    /// name that is not cached is judged once).
    #[cold]
    fn judge_slow(&mut self, names: &NearNames, account: &str) -> bool {
        if self.counts.iter().any(|(a, _)| a == account) {
            return true;
        }
        if self.far.iter().any(|a| a == account) {
            return false;
        }
        let near = names.is_near(account);
        if !near && self.far.len() < NEAR_KEPT {
            self.far.push(account.to_string());
        }
        near
    }

    fn count(&mut self, account: &str) {
        if let Some((_, n)) = self.counts.iter_mut().find(|(a, _)| a == account) {
            *n += 1;
        } else if self.counts.len() < NEAR_KEPT {
            self.counts.push((account.to_string(), 1));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The counts, handed on (the list of accounts judged far stays).
    pub fn take(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> NearNames {
        NearNames::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn case_edits_prefixes_and_parts_are_near() {
        assert_eq!(nearness("K.Walsh", "k.walsh"), Some(Nearness::CaseOnly));
        assert_eq!(nearness("k.walsh", "k.walsh"), None, "the name itself is not a near match");
        assert_eq!(nearness("k.walsh", "k.welsh"), Some(Nearness::Edits(1)));
        assert_eq!(nearness("k.walsh", "kwalsh"), Some(Nearness::Edits(1)));
        assert_eq!(nearness("K.Walsh", "k.walshe"), Some(Nearness::Edits(1)), "case is ignored in edits");
        assert_eq!(nearness("k.walsh", "j.welsh"), Some(Nearness::Edits(2)));
        assert_eq!(nearness("k.walsh", "k.walsh@acme.example"), Some(Nearness::Prefix));
        assert_eq!(nearness("kate.walsh@acme.example", "kate.walsh"), Some(Nearness::Prefix));
        assert_eq!(nearness("k.walsh", "ACME\\k.walsh"), Some(Nearness::Part));
        assert_eq!(nearness("k.walsh", "svc_k.walsh_ro"), Some(Nearness::Part));
        assert_eq!(nearness("k.walsh", "agent07"), None);
        assert_eq!(nearness("k.walsh", "walsh.k"), None);
        assert_eq!(nearness("k.walsh", "xxk.walshyy"), None, "inside a word, four edits away: not near");
        assert_eq!(nearness("bob", "rob"), Some(Nearness::Edits(1)));
        assert_eq!(nearness("bo", "ro"), None, "two-letter names: only case");
        assert_eq!(nearness("Jo", "jo"), Some(Nearness::CaseOnly));
        assert_eq!(nearness("José", "JOSÉ"), Some(Nearness::CaseOnly), "case folding beyond ASCII");
        assert_eq!(nearness("josé", "jose"), Some(Nearness::Edits(1)));
    }

    #[test]
    fn closer_sorts_first() {
        let mut kinds = vec![Nearness::Part, Nearness::Edits(2), Nearness::Prefix, Nearness::CaseOnly, Nearness::Edits(1)];
        kinds.sort();
        assert_eq!(kinds, [Nearness::CaseOnly, Nearness::Edits(1), Nearness::Edits(2), Nearness::Prefix, Nearness::Part]);
    }

    #[test]
    fn the_quick_test_never_turns_a_near_account_away() {
        let wanted = ["k.walsh", "K.Walsh", "rpt_k.walsh", "bob", "José", "kate.walsh@acme.example"];
        let accounts = [
            "k.walsh", "K.WALSH", "k.walshe", "kwalsh", "j.welsh", "k.walsh@acme.example", "ACME\\k.walsh", "rpt_k.walsh", "rpt-k.walsh",
            "bob", "rob", "bobby", "jose", "JOSÉ", "kate.walsh", "agent07", "walsh.k", "", "-", "k", "ké.walsh",
        ];
        for w in wanted {
            let n = names(&[w]);
            for a in accounts {
                if nearness(w, a).is_some() {
                    assert!(n.might_be_near(a), "{a} is near {w} but the quick test turned it away");
                }
            }
        }
    }

    #[test]
    fn the_quick_test_turns_most_other_accounts_away() {
        let n = names(&["k.walsh", "rpt_k.walsh"]);
        let others: Vec<String> = (0..200).map(|i| format!("agent{i:03}")).chain((0..50).map(|i| format!("user{i}@corp.example"))).collect();
        let passed = others.iter().filter(|a| n.might_be_near(a)).count();
        assert_eq!(passed, 0, "no generated agent name looks like k.walsh");
        assert!(n.might_be_near("k.walshe"));
    }

    /// The verdict cache gives each account its own verdict: names that share a slot, a head or a tail
    /// (`k.walsh01` / `x.walsh01`, 8 and 9 to 16 bytes, longer ones not cached).
    #[test]
    fn remembered_verdicts_are_each_accounts_own() {
        let n = names(&["k.walsh", "rpt_k.walsh"]);
        let mut counts = NearCounts::default();
        let mut accounts: Vec<String> = Vec::new();
        for stem in ["k.walsh", "x.walsh", "k.walshe", "rpt_k.walsh", "rpt_x.walsh", "agent", "k.walsh@acme.example.org"] {
            accounts.push(stem.to_string());
            for i in 0..300 {
                accounts.push(format!("{stem}{i}"));
                accounts.push(format!("{i}{stem}"));
            }
        }
        for round in 0..3 {
            for a in &accounts {
                assert_eq!(counts.judge(&n, a), n.is_near(a), "round {round}: {a}");
            }
        }
    }

    #[test]
    fn counts_near_accounts_only_and_judges_each_once() {
        let n = names(&["K.Walsh"]);
        let mut counts = NearCounts::default();
        for a in ["k.walsh", "agent01", "k.walsh", "walsh.k", "k.walshe", "walsh.k", "k.walsh"] {
            counts.note(&n, a);
        }
        assert_eq!(counts.counts, [("k.walsh".to_string(), 3), ("k.walshe".to_string(), 1)]);
        assert_eq!(counts.far, ["walsh.k"], "passed the quick test, judged far once");
        assert_eq!(counts.take(), [("k.walsh".to_string(), 3), ("k.walshe".to_string(), 1)]);
        assert!(counts.is_empty());
        counts.note(&n, "walsh.k");
        assert!(counts.is_empty(), "still far");
    }
}
