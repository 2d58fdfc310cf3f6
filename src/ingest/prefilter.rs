//! The literal prefilter: nearly every record of a large log belongs to other accounts, and a record whose
//! bytes do not contain an account's name cannot be that account's. Searching the raw bytes for the names
//! (memchr's memmem, as ripgrep does) is far cheaper than reading every field of every record.
//!
//! The test is one-sided: a record that contains a name may still be another account's (the prefix-named
//! colleague `k.walshe`, the name inside a URL or a note), so such records are read in full.

use memchr::memmem::Finder;

/// The names of the accounts whose records must be read in full.
pub struct AccountFilter {
    finders: Vec<Finder<'static>>,
}

impl AccountFilter {
    /// `None` when the filter cannot help: no accounts, or an empty name (every record would match).
    pub fn new(accounts: &[String]) -> Option<AccountFilter> {
        if accounts.is_empty() || accounts.iter().any(|a| a.trim().is_empty()) {
            return None;
        }
        let mut names: Vec<&str> = accounts.iter().map(|a| a.trim()).collect();
        names.sort();
        names.dedup();
        // A name containing another one is found through the shorter one.
        let kept: Vec<&str> = names.iter().copied().filter(|n| !names.iter().any(|m| m != n && n.contains(m))).collect();
        Some(AccountFilter { finders: kept.into_iter().map(|n| Finder::new(n.as_bytes()).into_owned()).collect() })
    }

    /// Whether `bytes` may hold one of the accounts' records (contains one of the names).
    pub fn may_contain(&self, bytes: &[u8]) -> bool {
        self.finders.iter().any(|f| f.find(bytes).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_found_anywhere_and_only_literally() {
        let f = AccountFilter::new(&["k.walsh".into(), "rpt_k.walsh".into()]).unwrap();
        assert_eq!(f.finders.len(), 1, "rpt_k.walsh is found through k.walsh");
        assert!(f.may_contain(b"2019-06-01T00:00:00Z,k.walsh,view"));
        assert!(f.may_contain(b"x,k.walshe,y"));
        assert!(f.may_contain(b"x,j.smith,/search?q=k.walsh"));
        assert!(!f.may_contain(b"x,k_walsh,y"));
        assert!(!f.may_contain(b"x,K.WALSH,y"));
        assert!(AccountFilter::new(&[]).is_none());
        assert!(AccountFilter::new(&[" ".into()]).is_none());
    }
}
