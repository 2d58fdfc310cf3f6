//! SQL Server Audit records as `sys.fn_get_audit_file` returns them, saved as CSV with its header (SSMS "Save
//! Results As" with column headers, `Invoke-Sqlcmd ... | Export-Csv`, whose `#TYPE` first line is skipped, or
//! `bcp`/`sqlcmd -s,` with the header). The `.sqlaudit` files themselves are binary: they are read by exporting
//! them through `fn_get_audit_file` (columns as in the Microsoft docs page of that function).
//!
//! - `action_id` (`varchar(4)`, space-padded as SSMS writes it): `SL` (SELECT), `EX` (EXECUTE), `IN`/`UP`/`DL`
//!   (writes) carry a T-SQL `statement`, read by the SQL rules in SQL Server's dialect (`[dbo].[customers]`,
//!   `TOP n`, `@variables`); logins (`LGIS`, `LGIF`, `LGO`...) and every other action are ignored with the reason.
//!   An `SL` record without a statement is a read of `database_name.schema_name.object_name` whose rows are unknown.
//! - One statement reading several objects is audited once per object: records of the same session and
//!   statement within two seconds count once. A statement longer than 4,000 characters is split over records with
//!   `sequence_number` 2, 3...: they are joined to the first.
//! - `event_time` is UTC (`datetime2`, written without a zone); a zone written after it is honoured.
//! - `succeeded` 0 (or `False`): the permission check failed, nothing was read.
//! - The account is `server_principal_name` (the login), else `session_server_principal_name`.
//! - `response_rows` (Azure SQL, Managed Instance) is the row count, compared with a replay's.

use std::collections::HashMap;
use std::io::BufRead;

use crate::ingest::csv_records;
use crate::ingest::csv_records::CsvRecord;
use crate::ingest::event::{Format, LogParser, Parameters, Parsed, Payload, RawEvent, Rejection, StatementText};
use crate::read::pieces::LineNumbered;
use crate::read::timefmt;
use crate::read::timefmt::Timestamp;

/// Actions whose statement is read as SQL.
const STATEMENT_ACTIONS: [&str; 5] = ["SL", "EX", "IN", "UP", "DL"];
/// Login, logout and authentication actions.
const LOGIN_ACTIONS: [&str; 7] = ["LGIS", "LGIF", "LGO", "LGB", "LGM", "LGSD", "DAGS"];

pub struct MssqlAuditParser;

/// Whether a file's start is `fn_get_audit_file` output with its header (after an `Export-Csv` `#TYPE` line).
pub fn looks_like(text: &str) -> bool {
    let columns = csv_records::header_columns(text);
    ["event_time", "action_id", "server_principal_name"].iter().all(|c| columns.iter().any(|h| h == c))
}

/// A record read, waiting for the records that continue its statement (`sequence_number` > 1).
struct Pending {
    line: u64,
    time: Timestamp,
    actor: Option<String>,
    failure: Option<String>,
    action: String,
    session: String,
    statement: Option<String>,
    object: Option<String>,
    rows: Option<u64>,
    continuations: Vec<u64>,
}

/// Reads the rows in order: holds one record until the next shows whether it continues it, and remembers each
/// session's last statement to count a statement audited once per object once.
#[derive(Default)]
struct State {
    pending: Option<Pending>,
    last: HashMap<(String, String), Timestamp>,
}

impl State {
    fn flush(&mut self, sink: &mut dyn FnMut(Parsed)) {
        let Some(p) = self.pending.take() else { return };
        let action = match p.action.as_str() {
            "SL" => "SQL Server SELECT",
            "EX" => "SQL Server EXECUTE",
            _ => "SQL Server statement",
        };
        let parsed = match &p.statement {
            Some(statement) => {
                let key = (p.session.clone(), statement.clone());
                let repeated = self.last.get(&key).is_some_and(|t| (p.time - *t).num_seconds().abs() <= 2);
                self.last.insert(key, p.time);
                if repeated {
                    Parsed::ignored(p.line, "statement already logged (record of another object of the same statement)")
                } else {
                    let payload = Payload::Sql {
                        statement: StatementText::Logged(statement.clone()),
                        parameters: Parameters::None,
                        class: Some(p.action.clone()),
                        object: p.object.clone(),
                        rows: p.rows,
                    };
                    Parsed::Event(RawEvent { line: p.line, time: p.time, actor: p.actor.clone(), failure: p.failure.clone(), payload })
                }
            }
            None if p.action == "SL" => match &p.object {
                Some(object) => Parsed::Event(RawEvent {
                    line: p.line,
                    time: p.time,
                    actor: p.actor.clone(),
                    failure: p.failure.clone(),
                    payload: Payload::TableRead { action: action.into(), tables: vec![object.clone()], rows: p.rows },
                }),
                None => Parsed::ignored(p.line, "SELECT record naming no object and no statement"),
            },
            None => Parsed::ignored(p.line, "statement record without a statement"),
        };
        sink(parsed);
        for line in p.continuations {
            sink(Parsed::ignored(line, "continuation of a long statement (sequence_number > 1), joined to its first record"));
        }
    }

    fn row(&mut self, line: u64, cell: &dyn Fn(&str) -> Option<String>, raw: &[u8], sink: &mut dyn FnMut(Parsed)) {
        // SSMS writes SQL NULL as the text `NULL`.
        let get = |name: &str| cell(name).filter(|v| v != "NULL");
        let Some(action) = get("action_id").map(|a| a.trim().to_ascii_uppercase()) else {
            self.flush(sink);
            return sink(Parsed::Rejected(Rejection::new(line, 0, "no action_id", raw).of_account(get("server_principal_name").as_deref())));
        };
        let time = match get("event_time").map(|t| timefmt::parse_zoned_in(&t, Some(timefmt::Zone::utc()))) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                self.flush(sink);
                let reason = format!("event_time: {e} (fn_get_audit_file writes `2019-06-03 10:15:00.1234567`, UTC; export it as text, not in a local date format)");
                return sink(Parsed::Rejected(Rejection::new(line, 0, reason, raw).of_account(get("server_principal_name").as_deref())));
            }
            None => {
                self.flush(sink);
                return sink(Parsed::Rejected(Rejection::new(line, 0, "no event_time", raw).of_account(get("server_principal_name").as_deref())));
            }
        };
        let session = get("session_id").unwrap_or_default();
        let sequence: u32 = get("sequence_number").and_then(|s| s.parse().ok()).unwrap_or(1);
        if sequence > 1 {
            if let Some(p) = self.pending.as_mut().filter(|p| p.session == session && p.time == time && p.action == action) {
                if let Some(more) = get("statement") {
                    p.statement.get_or_insert_with(String::new).push_str(&more);
                }
                p.continuations.push(line);
                return;
            }
        }
        self.flush(sink);
        if LOGIN_ACTIONS.contains(&action.as_str()) {
            return sink(Parsed::ignored(line, "login or logout"));
        }
        if !STATEMENT_ACTIONS.contains(&action.as_str()) {
            return sink(Parsed::ignored(line, "audit action that reads no table rows (not SELECT, EXECUTE or a write)"));
        }
        let actor = get("server_principal_name").or_else(|| get("session_server_principal_name"));
        let failure = match get("succeeded").map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "0" || s == "false" => Some("succeeded = 0 (permission check failed)".to_string()),
            Some(s) if s == "1" || s == "true" => None,
            Some(other) => {
                let reason = format!("succeeded is `{other}`, not 1/0 or True/False");
                return sink(Parsed::Rejected(Rejection::new(line, 0, reason, raw).of_account(actor.as_deref())));
            }
            None => None,
        };
        let object = get("object_name").map(|o| {
            [get("database_name"), get("schema_name"), Some(o)].into_iter().flatten().collect::<Vec<_>>().join(".")
        });
        self.pending = Some(Pending {
            line,
            time,
            actor,
            failure,
            action,
            session,
            statement: get("statement"),
            object,
            // 0 on SQL Server itself, where the column is not filled (Azure SQL and Managed Instance only).
            rows: get("response_rows").and_then(|r| r.parse().ok()).filter(|n| *n > 0),
            continuations: Vec::new(),
        });
    }
}

impl LogParser for MssqlAuditParser {
    fn format(&self) -> Format {
        Format::MssqlAudit
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        let skipped = csv_records::skip_export_csv_type_line(input)?;
        let mut state = State::default();
        let mut shifted = |mut p: Parsed| {
            p.shift_lines(skipped);
            sink(p)
        };
        csv_records::read(input, &mut |record| match record {
            CsvRecord::Row { line, get, raw } => state.row(line, get, raw, &mut shifted),
            CsvRecord::Rejected(r) => {
                state.flush(&mut shifted);
                shifted(Parsed::Rejected(r))
            }
        })?;
        state.flush(&mut shifted);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Parsed> {
        let mut out = Vec::new();
        MssqlAuditParser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    const HEADER: &str = "event_time,sequence_number,action_id,succeeded,session_id,server_principal_name,database_name,schema_name,object_name,statement,response_rows\n";

    #[test]
    fn selects_failures_objects_once_and_long_statements_joined() {
        let log = format!(
            "{HEADER}\
2019-06-03 10:15:00.1234567,1,SL  ,1,61,k.walsh,crm,dbo,customers,SELECT TOP 1 [email] FROM [dbo].[customers] WHERE [customer_id] = 'C1',1\n\
2019-06-03 10:16:00.0000000,1,SL  ,1,61,k.walsh,crm,dbo,customers,\"SELECT c.[email], t.[subject] FROM [dbo].[customers] c JOIN [dbo].[tickets] t ON t.[customer_id] = c.[customer_id] WHERE c.[customer_id] = 'C2'\",\n\
2019-06-03 10:16:00.0000000,1,SL  ,1,61,k.walsh,crm,dbo,tickets,\"SELECT c.[email], t.[subject] FROM [dbo].[customers] c JOIN [dbo].[tickets] t ON t.[customer_id] = c.[customer_id] WHERE c.[customer_id] = 'C2'\",\n\
2019-06-03 10:17:00.0000000,1,SL  ,0,61,k.walsh,crm,dbo,customers,SELECT * FROM customers WHERE customer_id = 'C3',\n\
2019-06-03 10:18:00.0000000,1,SL  ,1,61,k.walsh,crm,dbo,customers,SELECT email FROM customers WHERE custo,\n\
2019-06-03 10:18:00.0000000,2,SL  ,1,61,k.walsh,crm,dbo,customers,mer_id = 'C4',\n\
2019-06-03 10:19:00.0000000,1,LGIS,1,62,k.walsh,,,,,\n\
06/03/2019 10:20 AM,1,SL  ,1,61,k.walsh,crm,dbo,customers,SELECT 1,\n"
        );
        let out = parse(&log);
        assert_eq!(out.len(), 8, "{out:?}");
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.actor.as_deref(), e.time.to_rfc3339()), (2, Some("k.walsh"), "2019-06-03T10:15:00.123456700+00:00".to_string()));
        assert!(matches!(&e.payload, Payload::Sql { class: Some(c), object: Some(o), rows: Some(1), .. } if c == "SL" && o == "crm.dbo.customers"));
        assert!(matches!(&out[2], Parsed::Ignored { line: 4, .. }), "{:?}", out[2]);
        let Parsed::Event(e) = &out[3] else { panic!() };
        assert!(e.failure.is_some());
        let Parsed::Event(e) = &out[4] else { panic!() };
        assert!(matches!(&e.payload, Payload::Sql { statement: StatementText::Logged(s), .. } if s == "SELECT email FROM customers WHERE customer_id = 'C4'"));
        assert!(matches!(&out[5], Parsed::Ignored { line: 7, .. }));
        assert!(matches!(&out[6], Parsed::Ignored { line: 8, .. }));
        let Parsed::Rejected(r) = &out[7] else { panic!() };
        assert_eq!((r.line, r.actor.as_deref()), (9, Some("k.walsh")));
        assert!(r.reason.starts_with("event_time: "), "{}", r.reason);
    }

    #[test]
    fn export_csv_type_line_is_skipped_and_lines_stay_right() {
        let log = format!("#TYPE System.Data.DataRow\n{}\"2019-06-03 10:15:00\",\"1\",\"SL\",\"True\",\"61\",\"k.walsh\",\"crm\",\"dbo\",\"customers\",\"SELECT email FROM customers WHERE customer_id = 'C1'\",\"\"\n", HEADER.replace(',', "\",\"").replace("event_time", "\"event_time").replace("rows\n", "rows\"\n"));
        assert!(looks_like(&log));
        let out = parse(&log);
        let Parsed::Event(e) = &out[0] else { panic!("{out:?}") };
        assert_eq!((e.line, e.failure.is_none()), (3, true));
    }
}
