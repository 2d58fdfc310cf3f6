//! Retrieved objects and reports: when the case declares what the object held (`[[exports]]`), every row of that
//! export is named. An S3 object the case does not declare is not a case record; a Salesforce report without a
//! declared export is unresolved (its rows are not in the log). An S3 object read through an access point whose
//! bucket the log does not give (a copy source naming the access point) matches a declared export by its key.

use crate::evidence::access::{Access, RecordAccess};

use crate::evidence::interpreter::Interpreter;

pub fn interpret(it: &Interpreter<'_>, store: &str, container: Option<&str>, name: &str, rows: Option<u64>) -> Access {
    let found = match store {
        "s3" => it
            .exports
            .iter()
            .find(|e| e.is_object(container, name))
            .or_else(|| container.is_none().then(|| it.exports.iter().find(|e| e.object_key.as_deref() == Some(name))).flatten()),
        "sharepoint" => it.exports.iter().find(|e| e.is_document(name)),
        _ => it.exports.iter().find(|e| e.is_report(name)),
    };
    if let Some(e) = found {
        return Access::Records(vec![RecordAccess {
            unknown_fields: e.unknown_fields.clone(),
            ..RecordAccess::named(e.table, e.keys.clone(), e.fields.clone())
        }]);
    }
    match store {
        "s3" => Access::Nothing("S3 object not declared in [[exports]]".into()),
        "sharepoint" => Access::Nothing("SharePoint/OneDrive file not declared in [[exports]]".into()),
        _ => Access::Unresolved {
            statement: match rows {
                Some(n) => format!("Salesforce report {name} ({n} rows)"),
                None => format!("Salesforce report {name}"),
            },
            reason: "the report's rows are not in the log: declare its export file in [[exports]] with report_id".into(),
            fields: None,
        },
    }
}
