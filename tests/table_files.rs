//! Tables, exports and logs as the files warehouses and CRMs hand over (issue 21): the case in
//! testdata/cases/table-files (a HubSpot-style CRM: contacts, tickets, an audit log) is run with its tables as
//! CSV, as Parquet (written here from the CSV, typed: numbers, dates, timestamps, nulls), as the sheets of
//! contacts.xlsx (made by tools/make_xlsx.py) and as JSON arrays, and with its log as CSV, as a JSON array and as
//! Parquet: every run must list the same customers with the same classes.

use std::path::{Path, PathBuf};

use polars::prelude::{Column, DataFrame, DataType, NamedFrom, Series, TimeUnit};

use crate::common;

/// The fixture copied into a temporary folder (the Parquet files are written there).
fn fixture() -> (tempfile::TempDir, PathBuf) {
    common::case_copy("table-files")
}

/// `analyze` on `case`; the exit code, stderr and the notification list's text (empty when not written).
fn analyze(case: &Path) -> (i32, String, String) {
    let out = common::bin().arg("analyze").arg(case).arg("--force").arg("--quiet").output().unwrap();
    let list = std::fs::read_to_string(case.parent().unwrap().join("affected_customers.csv")).unwrap_or_default();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned(), list)
}

/// The case file with `replacements` made (each must be found), written as `name` beside it.
fn variant(dir: &Path, name: &str, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(dir.join("case.toml")).unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "`{from}` is not in case.toml");
        text = text.replacen(from, to, 1);
    }
    // The variant lives in a folder of its own (its outputs too): every path goes one folder up.
    let text: String = text
        .lines()
        .map(|line| match line.strip_prefix("path = \"") {
            Some(rest) if !rest.starts_with("../") => format!("path = \"../{rest}\n"),
            _ => format!("{line}\n"),
        })
        .collect();
    let path = dir.join(name).join("case.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// How a CSV column is typed in the Parquet file written from it.
#[derive(Clone, Copy)]
enum Typed {
    Text,
    Integer,
    Date,
    /// A timestamp without a zone (Parquet `isAdjustedToUTC = false`).
    WallTime,
    /// A timestamp in UTC (`isAdjustedToUTC = true`), from RFC 3339 text.
    Utc,
    /// A `|`-separated cell as a list of strings.
    List,
}

/// The CSV at `csv` as a typed data frame (empty cells are nulls), as a Spark or pandas job would write it.
fn frame_of(csv: &Path, types: &[(&str, Typed)]) -> DataFrame {
    let rows = common::read_csv(csv);
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let columns = header
        .iter()
        .map(|name| {
            let cells: Vec<Option<&str>> = rows.iter().map(|r| Some(r[name].as_str()).filter(|c| !c.is_empty())).collect();
            let typed = types.iter().find(|(c, _)| c == name).map_or(Typed::Text, |(_, t)| *t);
            let name = name.as_str().into();
            let series = match typed {
                Typed::Text => Series::new(name, cells),
                Typed::Integer => Series::new(name, cells.iter().map(|c| c.map(|c| c.parse::<i64>().unwrap())).collect::<Vec<_>>()),
                Typed::Date => {
                    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
                    let days: Vec<Option<i32>> =
                        cells.iter().map(|c| c.map(|c| (chrono::NaiveDate::parse_from_str(c, "%Y-%m-%d").unwrap() - epoch).num_days() as i32)).collect();
                    Series::new(name, days).cast(&DataType::Date).unwrap()
                }
                Typed::WallTime | Typed::Utc => {
                    let micros: Vec<Option<i64>> = cells
                        .iter()
                        .map(|c| {
                            c.map(|c| match typed {
                                Typed::Utc => chrono::DateTime::parse_from_rfc3339(c).unwrap().timestamp_micros(),
                                _ => chrono::NaiveDateTime::parse_from_str(c, "%Y-%m-%d %H:%M:%S").unwrap().and_utc().timestamp_micros(),
                            })
                        })
                        .collect();
                    let zone = matches!(typed, Typed::Utc).then_some(polars::prelude::TimeZone::UTC);
                    Series::new(name, micros).cast(&DataType::Datetime(TimeUnit::Microseconds, zone)).unwrap()
                }
                Typed::List => {
                    let lists: Vec<Series> =
                        cells.iter().map(|c| Series::new("".into(), c.map(|c| c.split('|').collect::<Vec<_>>()).unwrap_or_default())).collect();
                    Series::new(name, lists)
                }
            };
            Column::from(series)
        })
        .collect();
    DataFrame::new_infer_height(columns).unwrap()
}

fn write_parquet(csv: &Path, types: &[(&str, Typed)], out: &Path, group_rows: usize) {
    breachscope::read::parquet::write_parquet(out, &frame_of(csv, types), group_rows).unwrap();
}

const CUSTOMER_TYPES: [(&str, Typed); 3] = [("Record ID", Typed::Integer), ("Date of Birth", Typed::Date), ("Create Date", Typed::WallTime)];
const TICKET_TYPES: [(&str, Typed); 3] = [("Ticket ID", Typed::Integer), ("Associated Contact ID", Typed::Integer), ("Create date", Typed::WallTime)];

/// `customer_id → data_classes` of a notification list.
fn classes(list: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(list.as_bytes());
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (key, classes) = (at("customer_id"), at("data_classes"));
    reader.records().map(|r| r.unwrap()).map(|r| (r[key].to_string(), r[classes].to_string())).collect()
}

/// The answer the fixture's plan gives: 1001 (email and phone shown), 1002 (through ticket 502), 1003 (a view
/// naming no field: every column), 1006 (name parts and birth date exported); not 1004 (another account), not
/// 1005 (outside the window).
fn expected() -> Vec<(String, String)> {
    [
        ("1001", "email_addresses;phone_numbers"),
        ("1002", "support_tickets"),
        ("1003", "dates_of_birth;email_addresses;geographic_locations;names;phone_numbers"),
        ("1006", "dates_of_birth;names"),
    ]
    .iter()
    .map(|(k, c)| (k.to_string(), c.to_string()))
    .collect()
}

#[test]
fn every_kind_of_table_gives_the_answer_of_its_csv() {
    let (_tmp, dir) = fixture();
    let (code, stderr, reference) = analyze(&dir.join("case.toml"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(classes(&reference), expected());
    assert!(reference.contains("1002,Bob Stone,bob.stone@example.com,,"), "an empty phone stays empty: {reference}");

    // Parquet: numbers, dates and timestamps typed, the empty phone and region nulls, two rows per row group.
    write_parquet(&dir.join("customers.csv"), &CUSTOMER_TYPES, &dir.join("customers.parquet"), 2);
    write_parquet(&dir.join("tickets.csv"), &TICKET_TYPES, &dir.join("tickets.parquet"), 3);
    let parquet = variant(&dir, "parquet", &[("path = \"customers.csv\"", "path = \"customers.parquet\""), ("path = \"tickets.csv\"", "path = \"tickets.parquet\"")]);
    // The workbook: keys stored as numbers, dates as date cells, two sheets (so each table names its sheet).
    let xlsx = variant(
        &dir,
        "xlsx",
        &[("path = \"customers.csv\"", "path = \"contacts.xlsx\"\nsheet = \"Contacts\""), ("path = \"tickets.csv\"", "path = \"contacts.xlsx\"\nsheet = \"Tickets\"")],
    );
    // JSON arrays: pretty-printed customers with numbers and nulls, tickets minified on one line.
    let json = variant(&dir, "json", &[("path = \"customers.csv\"", "path = \"customers.json\""), ("path = \"tickets.csv\"", "path = \"tickets.json\"")]);
    for case in [parquet, xlsx, json] {
        let (code, stderr, list) = analyze(&case);
        assert_eq!(code, 0, "{}: {stderr}", case.display());
        assert_eq!(list, reference, "{}: the same customers, names, contacts and classes as the CSV tables", case.display());
    }
}

#[test]
fn a_format_key_says_what_a_file_is_whatever_its_name() {
    let (_tmp, dir) = fixture();
    let (_, _, reference) = analyze(&dir.join("case.toml"));
    write_parquet(&dir.join("customers.csv"), &CUSTOMER_TYPES, &dir.join("customers.export"), 4);
    std::fs::copy(dir.join("contacts.xlsx"), dir.join("contacts.bin")).unwrap();
    let case = variant(
        &dir,
        "declared",
        &[
            ("path = \"customers.csv\"", "path = \"customers.export\"\nformat = \"parquet\""),
            ("path = \"tickets.csv\"", "path = \"contacts.bin\"\nformat = \"xlsx\"\nsheet = \"Tickets\""),
        ],
    );
    let (code, stderr, list) = analyze(&case);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(list, reference);
}

#[test]
fn a_log_as_a_json_array_or_as_parquet_gives_the_answer_of_its_csv() {
    let (_tmp, dir) = fixture();
    let (_, _, reference) = analyze(&dir.join("case.toml"));
    // The same audit log as a JSON array (object ids as numbers, the properties as a list) and as Parquet
    // (times as UTC timestamps, ids as integers, the properties as a list column).
    write_parquet(
        &dir.join("logs/crm_audit.csv"),
        &[("timestamp", Typed::Utc), ("object_id", Typed::Integer), ("properties", Typed::List)],
        &dir.join("logs/crm_audit.parquet"),
        3,
    );
    for (name, log, format) in [("json-log", "crm_audit.json", "jsonl"), ("parquet-log", "crm_audit.parquet", "csv")] {
        let case = variant(
            &dir,
            name,
            &[
                ("path = \"logs/crm_audit.csv\"\nformat = \"csv\"", &format!("path = \"logs/{log}\"\nformat = \"{format}\"")),
            ],
        );
        let (code, stderr, list) = analyze(&case);
        assert_eq!(code, 0, "{log}: {stderr}");
        assert_eq!(list, reference, "{log}");
        // Every record read, none rejected.
        let rejects = common::read_csv(&case.parent().unwrap().join("rejects.csv"));
        assert!(rejects.is_empty(), "{log}: {rejects:?}");
    }
    // Without `format`, a JSON array log is told from its content.
    let detected = variant(
        &dir,
        "detected",
        &[
            ("path = \"logs/crm_audit.csv\"\nformat = \"csv\"", "path = \"logs/crm_audit.json\""),
        ],
    );
    let (code, stderr, list) = analyze(&detected);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(list, reference);
    // Declared a CSV, a JSON file is refused with the format to set.
    let declared_csv = variant(&dir, "declared-csv", &[("path = \"logs/crm_audit.csv\"", "path = \"logs/crm_audit.json\"")]);
    let (code, stderr, _) = analyze(&declared_csv);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("crm_audit.json: this file is JSON, not CSV: set `format = \"jsonl\"`"), "{stderr}");
}

/// A rejected record of a Parquet log is named by its row, also after rows whose cells hold newlines.
#[test]
fn a_parquet_logs_rejected_row_is_named_by_its_row_number() {
    let (_tmp, dir) = fixture();
    let log = "timestamp,user,action,object_type,object_id,properties\n\
               2019-06-03T09:00:00Z,k.walsh,view,contact,1001,\"Email\nPhone Number\"\n\
               2019-06-03T09:01:00Z,k.walsh,view,contact,1002,\"Email\n\nPhone Number\"\n\
               not a time,k.walsh,view,contact,1003,Email\n";
    std::fs::write(dir.join("logs/multi.csv"), log).unwrap();
    write_parquet(&dir.join("logs/multi.csv"), &[], &dir.join("logs/multi.parquet"), 2);
    let case = variant(
        &dir,
        "multi",
        &[
            ("path = \"logs/crm_audit.csv\"", "path = \"logs/multi.parquet\"\nfields_separator = \"\\n\""),
        ],
    );
    let (code, stderr, list) = analyze(&case);
    assert_eq!(code, 0, "{stderr}");
    let keys: Vec<String> = classes(&list).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["1001", "1002"]);
    assert!(list.contains("customers.Email;customers.Phone Number"), "cells with newlines are read whole: {list}");
    let rejects = common::read_csv(&case.parent().unwrap().join("rejects.csv"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["line"], "3", "the third row, not the CSV text's sixth line: {rejects:?}");
    // `inspect` names it the same way.
    let out = common::bin().arg("inspect").arg(dir.join("logs/multi.parquet")).arg("--case").arg(&case).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("rejected line 3 column "), "{stdout}");
}

#[test]
fn cells_are_read_as_they_hold_them() {
    use breachscope::read::table::{Declared, TableFile};
    let (_tmp, dir) = fixture();
    write_parquet(&dir.join("customers.csv"), &CUSTOMER_TYPES, &dir.join("customers.parquet"), 4);
    let rows = |path: PathBuf, sheet: Option<&str>| {
        let table = TableFile::open_declared(&path, Default::default(), Declared { format: None, sheet }).unwrap();
        let mut rows = Vec::new();
        table
            .for_each_row(|line, row| {
                rows.push((line, row.iter().map(str::to_string).collect::<Vec<_>>()));
                Ok(())
            })
            .unwrap();
        (table.columns, rows)
    };
    let (csv_columns, csv_rows) = rows(dir.join("customers.csv"), None);
    for (path, sheet, first_line) in [
        (dir.join("customers.parquet"), None, 1),
        (dir.join("contacts.xlsx"), Some("Contacts"), 2),
        (dir.join("customers.json"), None, 2),
    ] {
        let (columns, rows) = rows(path.clone(), sheet);
        assert_eq!(columns, csv_columns, "{}", path.display());
        // Numbers as written (1001, not 1001.0), dates as dates, the empty phone empty.
        let cells: Vec<&Vec<String>> = rows.iter().map(|(_, r)| r).collect();
        let expected: Vec<&Vec<String>> = csv_rows.iter().map(|(_, r)| r).collect();
        assert_eq!(cells, expected, "{}", path.display());
        assert_eq!(rows[0].0, first_line, "{}: the first row's line", path.display());
    }
    assert_eq!(csv_rows[0].1[0], "1001");
    assert_eq!(csv_rows[0].1[7..9], ["1980-01-02", "2019-03-01 10:15:00"]);
}

#[test]
fn a_missing_sheet_or_an_unnamed_one_is_one_line_naming_the_sheets() {
    let (_tmp, dir) = fixture();
    for (name, table, says) in [
        ("missing", "path = \"contacts.xlsx\"\nsheet = \"Contacts 2019\"", "has no sheet `Contacts 2019` (its sheets: `Contacts`, `Tickets`)"),
        ("unnamed", "path = \"contacts.xlsx\"", "has several sheets (`Contacts`, `Tickets`): say which holds the table with `sheet"),
        ("not-a-workbook", "path = \"customers.csv\"\nsheet = \"Contacts\"", "`sheet` is for Excel workbooks (.xlsx)"),
        ("unknown-format", "path = \"customers.csv\"\nformat = \"orc\"", "unknown table format `orc` (known: csv, tsv, parquet, xlsx, json)"),
    ] {
        let case = variant(&dir, name, &[("path = \"customers.csv\"", table)]);
        let (code, stderr, _) = analyze(&case);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: one line: {stderr}");
    }
}

#[test]
fn a_corrupt_parquet_workbook_or_json_file_is_one_line_naming_it() {
    let (_tmp, dir) = fixture();
    write_parquet(&dir.join("customers.csv"), &CUSTOMER_TYPES, &dir.join("customers.parquet"), 4);
    let cut = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        std::fs::write(dir.join(name), &bytes[..bytes.len() * 2 / 3]).unwrap();
    };
    cut("customers.parquet");
    cut("contacts.xlsx");
    cut("customers.json");
    for (file, table, says) in [
        ("customers.parquet", "path = \"customers.parquet\"", "not a readable Parquet file"),
        ("contacts.xlsx", "path = \"contacts.xlsx\"\nsheet = \"Contacts\"", "not a readable Excel workbook (.xlsx)"),
        ("customers.json", "path = \"customers.json\"", "the file ends inside an element of the JSON array (cut short?)"),
    ] {
        let case = variant(&dir, &format!("bad-{file}"), &[("path = \"customers.csv\"", table)]);
        let (code, stderr, _) = analyze(&case);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stderr.contains(file) && stderr.contains(says), "{file}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{file}: one line: {stderr}");
    }
}

/// A declared export (a Salesforce report) saved as Excel or Parquet names the same rows as its CSV.
#[test]
fn a_declared_export_as_a_workbook_or_parquet_names_the_same_rows() {
    let case_dir = common::repo().join("testdata/cases/salesforce");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(common::repo().join("testdata/cases/table-files/vip-contacts.xlsx"), tmp.path().join("vip-contacts.xlsx")).unwrap();
    write_parquet(&case_dir.join("exports/vip-contacts.csv"), &[], &tmp.path().join("vip-contacts.parquet"), 1);
    // The case as it is, and with its export as each kind of file; every other path made absolute.
    let text = std::fs::read_to_string(case_dir.join("case.toml")).unwrap();
    let absolute = |text: &str| {
        let dir = case_dir.to_string_lossy();
        text.replace("path = \"customers.csv\"", &format!("path = \"{dir}/customers.csv\""))
            .replace("path = \"../../", &format!("path = \"{dir}/../../"))
            .replace("users = \"users.csv\"", &format!("users = \"{dir}/users.csv\""))
    };
    let mut lists = Vec::new();
    for export in ["exports/vip-contacts.csv", "vip-contacts.xlsx", "vip-contacts.parquet"] {
        let path = if export.starts_with("exports/") { case_dir.join(export) } else { tmp.path().join(export) };
        let case_text = absolute(&text).replace("path = \"exports/vip-contacts.csv\"", &format!("path = \"{}\"", path.display()));
        assert!(case_text.contains(&path.display().to_string()), "{case_text}");
        let case = tmp.path().join(export.replace(['/', '.'], "-")).join("case.toml");
        std::fs::create_dir_all(case.parent().unwrap()).unwrap();
        std::fs::write(&case, case_text).unwrap();
        let (code, stderr, list) = analyze(&case);
        assert_eq!(code, 0, "{export}: {stderr}");
        lists.push(list);
    }
    assert!(lists[0].contains("0035j00000AbCd3AAA") && lists[0].contains("0035j00000AbCd4AAA"), "the export's rows are listed: {}", lists[0]);
    assert_eq!(lists[1], lists[0], "the export as a workbook");
    assert_eq!(lists[2], lists[0], "the export as Parquet");
}
