//! A small in-memory schema for the evidence modules' unit tests: `customers` (customer_id, full_name, email,
//! phone, state) and `tickets` (ticket_number, customer_id, subject), with a log whose `[logs.tables]` maps the
//! given names.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::case::{LogSpec, Schema, TableSpec};
use crate::classes;
use crate::table::TableFile;

pub fn schema() -> Schema {
    let table = |name: &str, key: &str, columns: &[&str], customer: Option<&str>| {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        TableSpec {
            name: name.into(),
            key: key.into(),
            key_index: columns.iter().position(|c| c == key).unwrap(),
            customer_column: customer.map(|c| (c.to_string(), columns.iter().position(|x| x == c).unwrap())),
            first_field: 0,
            file: TableFile { path: PathBuf::from(format!("{name}.csv")), delimiter: b',', columns },
        }
    };
    let mut tables = vec![
        table("customers", "customer_id", &["customer_id", "full_name", "email", "phone", "state"], None),
        table("tickets", "ticket_number", &["ticket_number", "customer_id", "subject"], Some("customer_id")),
    ];
    let mut field_names = Vec::new();
    let mut field_classes = Vec::new();
    for t in &mut tables {
        t.first_field = field_names.len();
        for (i, c) in t.file.columns.iter().enumerate() {
            field_names.push(format!("{}.{c}", t.name));
            let id_only = i == t.key_index || t.customer_column.as_ref().is_some_and(|(_, x)| *x == i);
            field_classes.push(if id_only { None } else { classes::guess(&t.name, c) });
        }
    }
    Schema { tables, field_names, field_classes, roles: BTreeMap::new() }
}

pub fn log(table_names: &[(&str, usize)]) -> LogSpec {
    LogSpec {
        name: "test".into(),
        pattern: "test.log".into(),
        files: Vec::new(),
        format: None,
        log_line_prefix: None,
        routes: Vec::new(),
        map: BTreeMap::new(),
        table_names: table_names.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        time_zone: None,
        users: BTreeMap::new(),
    }
}
