//! Audit-export rows that name a table and a record (`entity`, `entity_id`, `fields_viewed`), and what the
//! row's action does: reads expose the fields they name; writes too (an edit form shows the record), marked
//! `edited`, unless the case says the system's writes show nothing; session actions show nothing; an action
//! the vocabulary does not know is read as a read (the safe side), and collect counts it.

use crate::evidence::access::{Access, DefaultView, FieldsFrom, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::logs::{ActionKind, LogSpec};
use crate::case::schema::CUSTOMERS;
use crate::evidence::access::Grade;

/// Words of actions that only sign in or out (see [`builtin_kind`]).
const SESSION: &[&str] = &["login", "logon", "logout", "logoff", "loggedin", "loggedout", "signin", "signout", "session", "authenticate", "auth", "mfa", "sso"];
/// Words of actions that write a record.
const WRITE: &[&str] = &["update", "updated", "edit", "edited", "modify", "modified", "change", "changed", "delete", "deleted", "remove", "removed", "insert", "inserted", "create", "created", "add", "added", "write", "save", "saved", "patch", "put", "post", "merge", "merged"];
/// Words of actions that read a record.
const READ: &[&str] = &["view", "viewed", "read", "select", "get", "export", "exported", "download", "downloaded", "print", "printed", "search", "searched", "show", "open", "opened", "list", "query", "lookup", "access", "accessed", "display", "fetch", "copy", "reveal", "unmask"];

/// The built-in action vocabulary (whole words of the action, any case): the first list a word of the
/// action is in decides. `None`: not known (read as a read, and counted).
pub fn builtin_kind(action: &str) -> Option<ActionKind> {
    // Words of ASCII letters and digits, compared without their case and without copies (the actors'
    // every event is asked: a lower-cased copy and the joined pairs were five allocations each).
    let words = || action.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    // `sign in`, `log_out` written apart: neighbouring words joined count too.
    let joined = |entry: &str, a: &str, b: &str| {
        entry.len() == a.len() + b.len() && entry[..a.len()].eq_ignore_ascii_case(a) && entry[a.len()..].eq_ignore_ascii_case(b)
    };
    kind_by_list(|list| {
        words().any(|w| list.iter().any(|entry| entry.eq_ignore_ascii_case(w)))
            || words().zip(words().skip(1)).any(|(a, b)| list.iter().any(|entry| joined(entry, a, b)))
    })
}

/// The kind of the first of the vocabulary's lists that `has` finds a word of.
fn kind_by_list(has: impl Fn(&[&str]) -> bool) -> Option<ActionKind> {
    [(SESSION, ActionKind::Session), (WRITE, ActionKind::Write), (READ, ActionKind::Read)].into_iter().find(|(list, _)| has(list)).map(|(_, kind)| kind)
}

/// What `action` does in this log: the case's `[logs.actions]`, else the built-in vocabulary; `None` when
/// neither knows it.
pub fn action_kind(log: &LogSpec, action: &str) -> Option<ActionKind> {
    let declared = || log.actions.get(&action.trim().to_lowercase()).copied();
    if log.actions.is_empty() { None } else { declared() }.or_else(|| builtin_kind(action))
}

pub fn interpret(it: &Interpreter<'_>, action: Option<&str>, table: Option<&str>, record: Option<&str>, fields: Option<&str>) -> Access {
    let kind = action.and_then(|a| action_kind(it.log, a)).unwrap_or(ActionKind::Read);
    match (kind, action) {
        (ActionKind::Session, Some(a)) => return Access::Nothing(format!("session or sign-in action `{a}` (no record shown)")),
        (ActionKind::Nothing, Some(a)) => return Access::Nothing(format!("action `{a}` shows no record ([logs.actions])")),
        (ActionKind::Write, Some(a)) if !it.log.writes_show => {
            return Access::Nothing(format!("write `{a}` (the case says this system's writes show nothing: writes = \"nothing\")"))
        }
        _ => {}
    }
    let grade = if kind == ActionKind::Write { Grade::Edited } else { Grade::Named };
    let Some(record) = record else {
        return Access::Nothing("no record named".into());
    };
    let table_id = match table {
        Some(name) => match it.table(name) {
            Some(id) => id,
            None => return Access::OtherTables(vec![name.to_string()]),
        },
        None => CUSTOMERS,
    };
    let spec = &it.schema.tables[table_id];
    let mut ids = Vec::new();
    let mut unknown_fields = Vec::new();
    if let Some(list) = fields {
        for name in field_names(list, it.log.fields_separator.as_deref()) {
            let id = if name.contains('.') {
                it.schema.field(name).or_else(|| {
                    let (t, c) = name.rsplit_once('.')?;
                    it.table(t).and_then(|t| it.schema.tables[t].field_of(c))
                })
            } else {
                spec.field_of(name).or_else(|| {
                    spec.file.columns.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| spec.field(i))
                })
            };
            match id {
                Some(id) => ids.push(id),
                None => unknown_fields.push(name.to_string()),
            }
        }
    }
    let mut from = FieldsFrom::Given;
    if ids.is_empty() && unknown_fields.is_empty() {
        // A record view that does not say which fields it showed: what the case declares such a view shows,
        // else all of the record's columns (an assumption).
        let names: Vec<&str> = table.into_iter().collect();
        (ids, from) = it.view(table_id, &names, action.unwrap_or_default(), DefaultView::AuditRecord);
    }
    ids.sort_unstable();
    ids.dedup();
    // One cell may name several records: `C1|C2` or `C1; C2`.
    let keys: Vec<String> = record.split(['|', ';']).map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect();
    if keys.is_empty() {
        return Access::Nothing("no record named".into());
    }
    Access::Records(vec![RecordAccess { unknown_fields, grade, from, ..RecordAccess::named(table_id, keys, ids) }])
}

/// The field names in a mapped fields cell: split on the log's `fields_separator` when set, else on the
/// first of `|`, `;` or `,` that the cell holds; never on spaces (`Nom complet` is one column).
pub fn field_names<'a>(cell: &'a str, separator: Option<&str>) -> Vec<&'a str> {
    let parts: Vec<&'a str> = match separator.filter(|s| !s.is_empty()) {
        Some(sep) => cell.split(sep).collect(),
        None => match cell.find(['|', ';', ',']) {
            Some(at) => {
                let sep = cell[at..].chars().next().expect("found");
                cell.split(sep).collect()
            }
            None => vec![cell],
        },
    };
    parts.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::{builtin_kind, field_names, kind_by_list};
    use crate::case::logs::ActionKind;
    use proptest::prelude::*;

    /// The vocabulary's reading as first written (a lower-cased copy, its words and their pairs joined).
    fn builtin_kind_as_written(action: &str) -> Option<ActionKind> {
        let lower = action.to_ascii_lowercase();
        let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let joined: Vec<String> = words.windows(2).map(|w| format!("{}{}", w[0], w[1])).collect();
        kind_by_list(|list| words.iter().any(|w| list.contains(w)) || joined.iter().any(|w| list.contains(&w.as_str())))
    }

    proptest! {
        /// Words of the vocabulary in any case, split or joined by any separator, with other words and
        /// characters around: the kind the copying reading gave.
        #[test]
        fn the_vocabulary_reads_as_it_did(parts in proptest::collection::vec(prop_oneof![
            Just("view"), Just("VIEWED"), Just("sign"), Just("In"), Just("log"), Just("out"), Just("up"), Just("date"),
            Just("Export"), Just("previewer"), Just("é"), Just("-"), Just("_"), Just(" "), Just("."), Just("x9"), Just("")
        ], 0..6)) {
            let action = parts.concat();
            prop_assert_eq!(builtin_kind(&action), builtin_kind_as_written(&action), "{}", action);
        }
    }

    #[test]
    fn the_action_vocabulary_reads_words_not_substrings() {
        assert_eq!(builtin_kind("VIEW"), Some(ActionKind::Read));
        assert_eq!(builtin_kind("record.viewed"), Some(ActionKind::Read));
        assert_eq!(builtin_kind("Export to CSV"), Some(ActionKind::Read));
        assert_eq!(builtin_kind("UPDATE"), Some(ActionKind::Write));
        assert_eq!(builtin_kind("contact_deleted"), Some(ActionKind::Write));
        assert_eq!(builtin_kind("LOGIN"), Some(ActionKind::Session));
        assert_eq!(builtin_kind("user.sign in"), Some(ActionKind::Session));
        assert_eq!(builtin_kind("log_out"), Some(ActionKind::Session));
        assert_eq!(builtin_kind("previewer"), None, "a word, not a substring");
        assert_eq!(builtin_kind("ESCALATE"), None);
    }

    #[test]
    fn a_fields_cell_is_never_split_on_spaces() {
        assert_eq!(field_names("Nom complet|Courriel|Téléphone", None), ["Nom complet", "Courriel", "Téléphone"]);
        assert_eq!(field_names("full_name, email", None), ["full_name", "email"]);
        assert_eq!(field_names("a;b,c", None), ["a", "b,c"], "the first separator in the cell");
        assert_eq!(field_names("Adresse postale", None), ["Adresse postale"]);
        assert_eq!(field_names("name / email", Some("/")), ["name", "email"]);
        assert_eq!(field_names("a|b", Some(" / ")), ["a|b"]);
        assert!(field_names(" ", None).is_empty());
    }
}
