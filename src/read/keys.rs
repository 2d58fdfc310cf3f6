//! How record keys are compared: `key_type = "text"` (the default) or `"numeric"` on `[customers]` and
//! `[[tables]]`.
//!
//! Every key, from a log, a replayed query, an export or a table row, is put in its canonical form by
//! [`KeyType::canonical`] before it is compared, so the two sides always agree:
//!
//! - `text`: the key with surrounding whitespace removed; otherwise exact (`007` is not `7`, `C1` is not `c1`).
//! - `numeric`: surrounding whitespace removed, then an optional `+` or `-` sign and ASCII digits only are a
//!   number, compared as an integer of any length (`007`, `7`, `+7` and ` 7 ` are the same key; `-0` is `0`).
//!   Anything else (`7.0`, `1e3`, `7a`, `1,000`) is not a number and is compared as text (so it can still
//!   match the same text on the other side); in a table it is counted and reported (see [`KeyCheck`]).
//!
//! Table keys with surrounding whitespace match their trimmed form under both types and are counted and
//! reported too, so a padded export is visible, not silently repaired.

use std::borrow::Cow;

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    #[default]
    Text,
    Numeric,
}

/// A 64-bit hash of a canonical key, the same on every core and run: a table's keys are compared by it
/// to find keys on several rows without holding every key (equal hashes are then checked by the keys
/// themselves).
pub fn key_hash(canonical: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6b65_7973).hash_one(canonical)
}

/// A sieve over a set of canonical keys, tested on every core against each row of a table: one bit of a
/// small bitmap (16 to 32 bits for each key it has room for, see [`KeySieve::with_room`]) turns away most
/// keys outside the set; the others are looked up by their 64-bit [`key_hash`] in a flat set of the keys'
/// hashes. A hash table of 68,000 touched customers is megabytes read at random, and each key the bitmap let
/// through was a cache miss or two there to reach the key's text; the bitmap is a quarter of a megabyte and the hashes half a megabyte. Never says "no" to a key
/// of the set; says "yes" to a key outside it only when their 64-bit hashes are equal (about one in 2^64 for
/// each pair), so what it lets through is checked against the keys themselves where it is handed over.
pub struct KeySieve {
    bits: Vec<u64>,
    /// The bitmap's size in bits, less one (a power of two).
    mask: u64,
    hashes: std::collections::HashSet<u64, foldhash::fast::FixedState>,
}

impl KeySieve {
    pub fn new<'k>(keys: impl ExactSizeIterator<Item = &'k str>) -> KeySieve {
        let mut sieve = KeySieve::with_room(keys.len());
        keys.for_each(|key| sieve.insert_hash(key_hash(key)));
        sieve
    }

    /// An empty sieve with room for `keys` keys: its bitmap has 16 to 32 bits for each (a sieve given more
    /// keys than that turns fewer of the others away, and is as exact).
    pub fn with_room(keys: usize) -> KeySieve {
        let size = (keys * 16).next_power_of_two().max(1 << 12);
        KeySieve {
            bits: vec![0; size / 64],
            mask: size as u64 - 1,
            hashes: std::collections::HashSet::with_capacity_and_hasher(keys, foldhash::fast::FixedState::with_seed(0x7369_6576)),
        }
    }

    /// Puts in the key whose [`key_hash`] is `hash`.
    pub fn insert_hash(&mut self, hash: u64) {
        let bit = hash & self.mask;
        self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        self.hashes.insert(hash);
    }

    /// Whether the canonical key whose [`key_hash`] is `hash` may be one of the set's: true for every key of
    /// the set, and for another only when its hash is a key's. (The table reader hashes each key once, for
    /// this and for the key hashes it keeps.)
    #[inline]
    pub fn may_hold_hash(&self, hash: u64) -> bool {
        // (The hash's low bits choose the bit: foldhash's are as good as any.)
        let bit = hash & self.mask;
        self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0 && self.hashes.contains(&hash)
    }
}

impl KeyType {
    pub fn parse(name: &str) -> Result<KeyType, String> {
        match name.trim() {
            "text" => Ok(KeyType::Text),
            "numeric" => Ok(KeyType::Numeric),
            other => Err(format!("key_type `{other}`: expected `text` or `numeric`")),
        }
    }

    /// The form in which `raw` is compared with other keys of this type.
    pub fn canonical(self, raw: &str) -> Cow<'_, str> {
        let trimmed = crate::read::trim(raw);
        match self {
            KeyType::Text => Cow::Borrowed(trimmed),
            KeyType::Numeric => match canonical_integer(trimmed) {
                Some(n) => n,
                None => Cow::Borrowed(trimmed),
            },
        }
    }

    /// The order of keys of this type: text keys by their text; numeric keys by value (numbers first, then
    /// the keys that are not numbers, by text). Keys of the same value (`007`, `7`) are equal.
    pub fn compare(self, a: &str, b: &str) -> std::cmp::Ordering {
        match self {
            KeyType::Text => a.trim().cmp(b.trim()),
            KeyType::Numeric => match (canonical_integer(a.trim()), canonical_integer(b.trim())) {
                (Some(x), Some(y)) => compare_integers(&x, &y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.trim().cmp(b.trim()),
            },
        }
    }
}

/// Two canonical integers (no leading zeros, `-` for negatives) by value.
fn compare_integers(x: &str, y: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Greater, Less};
    match (x.starts_with('-'), y.starts_with('-')) {
        (true, false) => Less,
        (false, true) => Greater,
        (false, false) => (x.len(), x).cmp(&(y.len(), y)),
        (true, true) => (y.len(), y).cmp(&(x.len(), x)),
    }
}

/// The form in which a second id of a row (a `[customers] ids` column, and a key a log gives) is compared:
/// trimmed, and a Salesforce id in its 18-character form, so that the 15-character id a table export holds
/// and the 18-character one a log writes meet. A 15-character alphanumeric id gets its case-checksum suffix;
/// an 18-character one is kept as it is (its suffix is checked: a different suffix is another id). Anything
/// else is compared exactly.
pub fn second_id(raw: &str) -> Cow<'_, str> {
    let id = raw.trim();
    if id.len() == 15 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Cow::Owned(format!("{id}{}", salesforce_suffix(id)))
    } else {
        Cow::Borrowed(id)
    }
}

/// The three characters Salesforce appends to a 15-character id to make it case-insensitive: per five
/// characters, a bit for each upper-case letter, as `A`-`Z`, `0`-`5`.
pub fn salesforce_suffix(id15: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    id15.as_bytes()
        .chunks(5)
        .take(3)
        .map(|chunk| {
            let bits = chunk.iter().enumerate().filter(|(_, b)| b.is_ascii_uppercase()).fold(0usize, |n, (i, _)| n | (1 << i));
            ALPHABET[bits] as char
        })
        .collect()
}

/// `[+-]?[0-9]+` without leading zeros (and without `+`, and `0` for any zero); `None` if `text` is not
/// such a number. Any length: no overflow.
pub fn canonical_integer(text: &str) -> Option<Cow<'_, str>> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'+' => (false, &text[1..]),
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    let significant = if significant.is_empty() { "0" } else { significant };
    if negative && significant != "0" {
        Some(Cow::Owned(format!("-{significant}")))
    } else if significant.len() == text.len() {
        Some(Cow::Borrowed(text))
    } else {
        Some(Cow::Borrowed(significant))
    }
}

/// Whether [`KeyCheck::note`] would count the key `raw`: whitespace around it, or a `numeric` key that is
/// not a number (empty keys are not looked at).
pub fn is_suspect(raw: &str, key_type: KeyType) -> bool {
    let trimmed = crate::read::trim(raw);
    !trimmed.is_empty() && (trimmed.len() != raw.len() || (key_type == KeyType::Numeric && canonical_integer(trimmed).is_none()))
}

/// How many lines to name per kind of key problem.
const LINES_KEPT: usize = 10;

/// Problems with the keys of one table file, found while its rows are read: counted, with the first lines
/// (values are not kept: they may be personal data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyCheck {
    pub table: String,
    pub file: String,
    pub column: String,
    /// Keys with whitespace around them (matched trimmed).
    pub padded: u64,
    pub padded_lines: Vec<u64>,
    /// `numeric` keys that are not numbers (compared as text).
    pub not_numeric: u64,
    pub not_numeric_lines: Vec<u64>,
}

impl KeyCheck {
    pub fn new(table: &str, file: &str, column: &str) -> KeyCheck {
        KeyCheck { table: table.into(), file: file.into(), column: column.into(), ..Default::default() }
    }

    /// Looks at the key `raw` on `line`. Empty keys are not looked at.
    pub fn note(&mut self, line: u64, raw: &str, key_type: KeyType) {
        if !is_suspect(raw, key_type) {
            return;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return;
        }
        if trimmed.len() != raw.len() {
            self.padded += 1;
            if self.padded_lines.len() < LINES_KEPT {
                self.padded_lines.push(line);
            }
        }
        if key_type == KeyType::Numeric && canonical_integer(trimmed).is_none() {
            self.not_numeric += 1;
            if self.not_numeric_lines.len() < LINES_KEPT {
                self.not_numeric_lines.push(line);
            }
        }
    }

    pub fn is_clean(&self) -> bool {
        self.padded == 0 && self.not_numeric == 0
    }

    /// One line per problem, for the terminal (`customers.csv: 2 keys of customers.customer_id have
    /// whitespace around them (lines 4, 9); matched trimmed`).
    pub fn warnings(&self) -> Vec<String> {
        let lines = |l: &[u64], total: u64| {
            let list: Vec<String> = l.iter().map(u64::to_string).collect();
            let more = if total as usize > l.len() { ", ..." } else { "" };
            format!("line{} {}{more}", if total == 1 { "" } else { "s" }, list.join(", "))
        };
        let mut out = Vec::new();
        if self.padded > 0 {
            out.push(format!(
                "{}: {} key(s) of {}.{} have whitespace around them ({}); matched trimmed",
                self.file,
                self.padded,
                self.table,
                self.column,
                lines(&self.padded_lines, self.padded)
            ));
        }
        if self.not_numeric > 0 {
            out.push(format!(
                "{}: {} key(s) of {}.{} are not numbers although its key_type is numeric ({}); compared as text",
                self.file,
                self.not_numeric,
                self.table,
                self.column,
                lines(&self.not_numeric_lines, self.not_numeric)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_sieve_never_turns_away_a_key_of_its_set(keys in proptest::collection::vec("\\PC{0,12}", 0..400)) {
            let sieve = KeySieve::new(keys.iter().map(String::as_str));
            for key in &keys {
                proptest::prop_assert!(sieve.may_hold_hash(key_hash(key)));
            }
        }

        /// A sieve begun with some keys and given the rest later (resolve's customers: those touched, then
        /// those the linked tables reach), with room for more than it got, holds every key and no other.
        #[test]
        fn keys_put_in_later_are_held_too(keys in proptest::collection::vec("\\PC{0,12}", 0..400), split in 0usize..400, others in proptest::collection::vec("\\PC{0,12}", 0..50)) {
            let split = split.min(keys.len());
            let mut sieve = KeySieve::with_room(2 * keys.len() + 1);
            keys[..split].iter().for_each(|key| sieve.insert_hash(key_hash(key)));
            keys[split..].iter().for_each(|key| sieve.insert_hash(key_hash(key)));
            let hashes: std::collections::HashSet<u64> = keys.iter().map(|key| key_hash(key)).collect();
            for key in keys.iter().chain(&others) {
                proptest::prop_assert_eq!(sieve.may_hold_hash(key_hash(key)), hashes.contains(&key_hash(key)), "{:?}", key);
            }
        }
    }

    #[test]
    fn the_sieve_turns_away_most_other_keys() {
        let keys: Vec<String> = (0..68_000).map(|i| format!("C{:07}", i * 3)).collect();
        let sieve = KeySieve::new(keys.iter().map(String::as_str));
        let others = (0..200_000).map(|i| format!("C{:07}", i * 3 + 1)).filter(|k| sieve.may_hold_hash(key_hash(k))).count();
        // 2^21 bits for 68,000 keys: about 3 % of the bits set, so about one other key in 30 passes.
        assert!(others < 200_000 / 10, "{others} of 200000 other keys passed");
    }

    #[test]
    fn salesforce_ids_meet_in_their_18_character_form() {
        // The suffix of a published example: 001A0000006Vm9r → 001A0000006Vm9rIAC.
        assert_eq!(salesforce_suffix("001A0000006Vm9r"), "IAC");
        assert_eq!(second_id(" 001A0000006Vm9r "), "001A0000006Vm9rIAC");
        assert_eq!(second_id("001A0000006Vm9rIAC"), "001A0000006Vm9rIAC");
        // Case matters in a 15-character id: another case is another record, with another suffix.
        assert_ne!(second_id("001a0000006vm9r"), second_id("001A0000006Vm9r"));
        // Other ids are compared exactly (an 18-character key is not cut to 15).
        assert_eq!(second_id("CUST00000000000001"), "CUST00000000000001");
        assert_ne!(second_id("CUST00000000000001"), second_id("CUST00000000000002"));
        assert_eq!(second_id("42"), "42");
    }

    #[test]
    fn text_keys_are_exact_but_trimmed() {
        assert_eq!(KeyType::Text.canonical(" 007 "), "007");
        assert_ne!(KeyType::Text.canonical("007"), KeyType::Text.canonical("7"));
        assert_ne!(KeyType::Text.canonical("C1"), KeyType::Text.canonical("c1"));
    }

    #[test]
    fn numeric_keys_compare_as_integers() {
        for k in ["7", "007", "+7", " 0007 ", "+007"] {
            assert_eq!(KeyType::Numeric.canonical(k), "7", "{k}");
        }
        assert_eq!(KeyType::Numeric.canonical("-007"), "-7");
        assert_eq!(KeyType::Numeric.canonical("-0"), "0");
        assert_eq!(KeyType::Numeric.canonical("000"), "0");
        assert_eq!(KeyType::Numeric.canonical("123456789012345678901234567890"), "123456789012345678901234567890");
        for k in ["7.0", "1e3", "7a", "1,000", "+", "-", ""] {
            assert_eq!(KeyType::Numeric.canonical(k), k.trim(), "{k}");
        }
    }

    #[test]
    fn numeric_order_is_by_value() {
        let mut keys = vec!["X10", "0009", "-2", "007", "-10", "11", " 8 ", "100", "-0", "A"];
        keys.sort_by(|a, b| KeyType::Numeric.compare(a, b));
        assert_eq!(keys, ["-10", "-2", "-0", "007", " 8 ", "0009", "11", "100", "A", "X10"]);
        assert_eq!(KeyType::Numeric.compare("007", "+7"), std::cmp::Ordering::Equal);
        let mut text = vec!["9", "10", "007"];
        text.sort_by(|a, b| KeyType::Text.compare(a, b));
        assert_eq!(text, ["007", "10", "9"]);
    }

    #[test]
    fn check_counts_padded_and_non_numeric_keys_with_lines() {
        let mut check = KeyCheck::new("customers", "customers.csv", "customer_id");
        for (line, key) in [(2, "7"), (3, " 8 "), (4, "x9"), (5, ""), (6, " y ")] {
            check.note(line, key, KeyType::Numeric);
        }
        assert_eq!((check.padded, check.padded_lines.clone()), (2, vec![3, 6]));
        assert_eq!((check.not_numeric, check.not_numeric_lines.clone()), (2, vec![4, 6]));
        let w = check.warnings();
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("customers.csv: 2 key(s) of customers.customer_id have whitespace around them (lines 3, 6)"), "{w:?}");
        let mut text = KeyCheck::new("t", "t.csv", "k");
        text.note(2, "x9", KeyType::Text);
        assert!(text.is_clean());
    }
}
