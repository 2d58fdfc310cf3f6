//! Web requests: the request path against the case's routes (`/support/tickets/{tickets}`).

use percent_encoding::percent_decode_str;

use crate::evidence::access::{Access, DefaultView, FieldsFrom, RecordAccess};

use crate::evidence::interpreter::Interpreter;
use crate::case::logs::RouteSegment;

pub fn interpret(it: &Interpreter<'_>, method: &str, target: &str, status: u16) -> Access {
    if method.eq_ignore_ascii_case("HEAD") || method.eq_ignore_ascii_case("OPTIONS") {
        return Access::Nothing(format!("{} request returns no content", method.to_ascii_uppercase()));
    }
    if (300..400).contains(&status) && status != 304 {
        return Access::Nothing("redirect: no record content returned".into());
    }
    let path = request_path(target);
    let segments: Vec<String> = path.trim_matches('/').split('/').map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned()).collect();
    for route in &it.log.routes {
        if route.segments.len() != segments.len() {
            continue;
        }
        let mut captured = None;
        let matched = route.segments.iter().zip(&segments).all(|(pattern, seg)| match pattern {
            RouteSegment::Literal(lit) => lit == seg,
            RouteSegment::Any => !seg.is_empty(),
            RouteSegment::Capture { table, prefix, suffix } => {
                // The key is what stands between the segment's fixed parts, and is never empty.
                match seg.strip_prefix(prefix.as_str()).and_then(|rest| rest.strip_suffix(suffix.as_str())).filter(|key| !key.is_empty()) {
                    Some(key) => {
                        captured = Some((*table, key.to_string()));
                        true
                    }
                    None => false,
                }
            }
        });
        if let (true, Some((table, key))) = (matched, captured) {
            let shown = if route.fields.is_empty() { it.view(table, &[], method, DefaultView::RoutePage) } else { (route.fields.clone(), FieldsFrom::Given) };
            return Access::Records(vec![RecordAccess::viewed(table, vec![key], shown)]);
        }
    }
    Access::NoRoute
}

/// Every field a web log's requests can show: its routes' `fields`, or for a route without them what its
/// table's view shows (declared, else every column). A request that matches no route shows nothing.
pub fn route_fields(it: &Interpreter<'_>) -> Vec<crate::case::schema::FieldId> {
    let mut out = Vec::new();
    for route in &it.log.routes {
        if route.fields.is_empty() {
            for table in route.segments.iter().filter_map(|s| if let RouteSegment::Capture { table, .. } = s { Some(*table) } else { None }) {
                let declared: Vec<_> = it.log.views.iter().filter(|v| v.table == table).flat_map(|v| v.fields.iter().copied()).collect();
                out.extend(declared);
                out.extend(it.view(table, &[], "", DefaultView::RoutePage).0);
            }
        } else {
            out.extend(route.fields.iter().copied());
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The path of a request target: no scheme/host, no query, no fragment.
fn request_path(target: &str) -> &str {
    let without_host = match target.find("://") {
        Some(i) => target[i + 3..].find('/').map(|j| &target[i + 3 + j..]).unwrap_or("/"),
        None => target,
    };
    without_host.split(['?', '#']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(request_path("/support/tickets/T-1?tab=notes"), "/support/tickets/T-1");
        assert_eq!(request_path("https://crm.example/support/x#top"), "/support/x");
    }
}
