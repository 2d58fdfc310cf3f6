//! Account-id → name tables for logs that write ids instead of names (Salesforce `USER_ID`, Zendesk `user_id`):
//! a CSV with a header whose first id-like column holds the id and whose first name-like column the name.
//! Salesforce ids are compared on their first 15 characters, so 15- and 18-character ids match.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::read::table::TableFile;

const ID_COLUMNS: [&str; 5] = ["user_id", "id", "userid", "actor_id", "agent_id"];
const NAME_COLUMNS: [&str; 7] = ["username", "user_name", "name", "login", "email", "account", "account_name"];

/// Reads the table: id → name.
pub fn load(path: &Path) -> Result<BTreeMap<String, String>> {
    let table = TableFile::open(path)?;
    let lower: Vec<String> = table.columns.iter().map(|c| c.to_lowercase()).collect();
    let find = |names: &[&str]| names.iter().find_map(|n| lower.iter().position(|c| c == n));
    let id = find(&ID_COLUMNS).ok_or_else(|| Error::input(path, format!("users table: no id column (one of {})", ID_COLUMNS.join(", "))))?;
    let name =
        find(&NAME_COLUMNS).ok_or_else(|| Error::input(path, format!("users table: no name column (one of {})", NAME_COLUMNS.join(", "))))?;
    let mut map = BTreeMap::new();
    table.for_each_row(|_, row| {
        let (k, v) = (row[id].trim(), row[name].trim());
        if !k.is_empty() && !v.is_empty() {
            map.insert(normalise_id(k).to_string(), v.to_string());
        }
        Ok(())
    })?;
    Ok(map)
}

/// The form ids are compared in: an 18-character Salesforce id is its 15-character id plus a checksum.
/// All-digit ids (Zendesk) are left whole.
pub fn normalise_id(id: &str) -> &str {
    if id.len() == 18 && id.bytes().all(|b| b.is_ascii_alphanumeric()) && id.bytes().any(|b| b.is_ascii_alphabetic()) {
        &id[..15]
    } else {
        id
    }
}

/// The account's name from the table, or the id itself.
pub fn name_of(users: &BTreeMap<String, String>, id: &str) -> String {
    users.get(normalise_id(id)).cloned().unwrap_or_else(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_and_eighteen_character_ids_match() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.csv");
        std::fs::write(&path, "Id,Username\n0055j00000AT6I1AAL,k.walsh@example.com\n").unwrap();
        let users = load(&path).unwrap();
        assert_eq!(name_of(&users, "0055j00000AT6I1"), "k.walsh@example.com");
        assert_eq!(name_of(&users, "0055j00000AT6I1AAL"), "k.walsh@example.com");
        assert_eq!(name_of(&users, "0055j00000ZZZZZ"), "0055j00000ZZZZZ");
        assert_eq!(normalise_id("123456789012345678"), "123456789012345678");
    }
}
