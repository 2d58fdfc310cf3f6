//! Helpdesk access-log requests (Zendesk): the case's routes first; otherwise the built-in paths
//! `/api/v2/tickets/{id}[.json][/...]`, `/agent/tickets/{id}`, the same for `users`, and `show_many?ids=1,2`,
//! mapped to the case tables named for `tickets`/`users` in `[logs.tables]` (or case tables of those names).
//! List and search requests read records the log does not name: unresolved.

use crate::evidence::route;

use crate::evidence::access::{Access, DefaultView, RecordAccess};

use crate::evidence::interpreter::Interpreter;

pub fn interpret(it: &Interpreter<'_>, method: &str, url: &str, status: u16) -> Access {
    match route::interpret(it, method, url, status) {
        Access::NoRoute => builtin(it, method, url).unwrap_or(Access::NoRoute),
        other => other,
    }
}

fn builtin(it: &Interpreter<'_>, method: &str, url: &str) -> Option<Access> {
    let path = url.split_once("://").map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or("/")).unwrap_or(url);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').map(|s| s.strip_suffix(".json").unwrap_or(s)).collect();
    let (action, rest) = match segments.as_slice() {
        ["api", "v2", rest @ ..] => ("api", rest),
        ["agent", rest @ ..] => ("agent", rest),
        _ => return None,
    };
    let statement = format!("{method} {url}");
    match rest {
        ["search" | "search/export", ..] | ["views", _, "tickets"] => {
            let any = ["tickets", "users"].iter().any(|k| it.table(k).is_some());
            any.then(|| Access::Unresolved { statement, reason: "search or view listing: which records it returned is not logged".into(), fields: None })
        }
        [kind @ ("tickets" | "users"), tail @ ..] => {
            let table = it.table(kind)?;
            let all = it.schema.tables[table].fields().collect::<Vec<_>>();
            // What one ticket or user read shows: the case's view for it (`tickets:agent`, `tickets`), else the
            // built-in default (the table's own columns, an assumption).
            let view = || it.view(table, &[kind], action, DefaultView::HelpdeskRecord);
            match tail.first() {
                None => Some(Access::Unresolved { statement, reason: format!("{kind} list: which records it returned is not logged"), fields: Some(all) }),
                Some(&"show_many") => {
                    let ids: Vec<String> = query
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .filter(|(k, _)| *k == "ids")
                        .flat_map(|(_, v)| percent_encoding::percent_decode_str(v).decode_utf8_lossy().split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
                        .filter(|s| !s.is_empty())
                        .collect();
                    Some(if ids.is_empty() {
                        Access::Unresolved { statement, reason: "show_many without ids".into(), fields: Some(all) }
                    } else {
                        Access::Records(vec![RecordAccess::viewed(table, ids, view())])
                    })
                }
                Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => Some(Access::Records(vec![RecordAccess::viewed(table, vec![id.to_string()], view())])),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::interpreter::testing;

    #[test]
    fn builtin_ticket_and_user_paths() {
        let schema = testing::schema();
        let mut log = testing::log();
        log.table_names.insert("users".to_string(), 0);
        let it = Interpreter::new(&schema, &log);
        let named = |url: &str| match interpret(&it, "GET", url, 200) {
            Access::Records(r) => Some((r[0].table, r[0].keys.clone())),
            _ => None,
        };
        assert_eq!(named("/api/v2/tickets/123.json"), Some((1, vec!["123".into()])));
        assert_eq!(named("https://acme.zendesk.com/api/v2/tickets/123/comments.json"), Some((1, vec!["123".into()])));
        assert_eq!(named("/agent/tickets/7"), Some((1, vec!["7".into()])));
        assert_eq!(named("/api/v2/users/42.json"), Some((0, vec!["42".into()])));
        assert_eq!(named("/api/v2/tickets/show_many.json?ids=1%2C2,3"), Some((1, vec!["1".into(), "2".into(), "3".into()])));
        assert!(matches!(interpret(&it, "GET", "/api/v2/tickets.json?page=2", 200), Access::Unresolved { .. }));
        assert!(matches!(interpret(&it, "GET", "/api/v2/help_center/articles.json", 200), Access::NoRoute));
        assert!(matches!(interpret(&it, "HEAD", "/api/v2/tickets/1.json", 200), Access::Nothing(_)));
    }
}
