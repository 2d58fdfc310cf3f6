//! End-to-end: what a view shows, per source (`[logs.views]`, `attributes`, `ids`), the classes that rest on
//! assumed views (`assumed_classes`), and statements that always hold ("NOT exposed" only where nothing the
//! actors did could have shown a class; "not held" with what was looked at; unresolved accesses per event).
//! Each test writes its own small case.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{bin, read_csv, read_json};

/// Customers in Massachusetts, where a name with a card number must be notified and a name, e-mail and
/// phone alone need not. `sf_id` holds each row's 15-character Salesforce Contact id.
const CUSTOMERS: &str = "customer_id,sf_id,full_name,email,phone,country,state,card_number\n\
C1,0035j00000AbCd1,Ann Lee,ann@example.com,+1 617-555-0101,US,MA,4111111111111111\n\
C2,0035j00000AbCd2,Bob Stone,bob@example.com,+1 617-555-0102,US,MA,5500000000000004\n\
C3,0035j00000AbCd3,Cy Doe,cy@example.com,+1 617-555-0103,US,MA,340000000000009\n\
C4,0035j00000AbCd4,Di Roe,di@example.com,+1 617-555-0104,US,MA,6011000000000004\n";

const USERS: &str = "Id,Username\n0055j00000AT6I1AAL,k.walsh\n0055j00000BX7J2AAM,j.doe\n";

/// Salesforce Event Monitoring URI and LightningPageView files, in the layout of
/// testdata/logs/salesforce (Salesforce's EventLogFile field reference): k.walsh opens the Contact pages of C1
/// and C2 (classic URI, 18-character ids with their case suffix `AAF`), and the Lightning record page of C3.
const URI_LOG: &str = r#""EVENT_TYPE","TIMESTAMP","REQUEST_ID","ORGANIZATION_ID","USER_ID","RUN_TIME","CPU_TIME","URI","SESSION_KEY","LOGIN_KEY","USER_TYPE","REQUEST_STATUS","DB_TOTAL_TIME","REFERRER_URI","TIMESTAMP_DERIVED","USER_ID_DERIVED","CLIENT_IP","URI_ID_DERIVED"
"URI","20190603101500.123","4u6LyuMrDvb_G-l1cJIQk-","00D5j00000DgAYG","0055j00000AT6I1","83","27","/0035j00000AbCd1","kdZ0k1ZbQ3w3W6pC","Ffn6qFkyyHq5pWm3","S","S","18030553","/home/home.jsp","2019-06-03T10:15:00.123Z","0055j00000AT6I1AAL","10.0.0.9","0035j00000AbCd1AAF"
"URI","20190603101700.000","4u6LyuMrDvb_G-l1cJIQk1","00D5j00000DgAYG","0055j00000AT6I1","60","20","/0035j00000AbCd2","kdZ0k1ZbQ3w3W6pC","Ffn6qFkyyHq5pWm3","S","S","12030553","/home/home.jsp","2019-06-03T10:17:00.000Z","0055j00000AT6I1AAL","10.0.0.9","0035j00000AbCd2AAF"
"#;

const LIGHTNING_LOG: &str = r#""EVENT_TYPE","TIMESTAMP","REQUEST_ID","ORGANIZATION_ID","USER_ID","CLIENT_ID","SESSION_KEY","LOGIN_KEY","USER_TYPE","APP_NAME","DEVICE_PLATFORM","BROWSER_NAME","DURATION","EFFECTIVE_PAGE_TIME","PAGE_START_TIME","PAGE_ENTITY_ID","PAGE_ENTITY_TYPE","PAGE_CONTEXT","PAGE_URL","PAGE_APP_NAME","PREVPAGE_ENTITY_ID","PREVPAGE_ENTITY_TYPE","PREVPAGE_CONTEXT","PREVPAGE_URL","TIMESTAMP_DERIVED","USER_ID_DERIVED","CLIENT_IP"
"LightningPageView","20190603102000.000","TID:1000","00D5j00000DgAYG","0055j00000AT6I1","","kdZ0k1ZbQ3w3W6pC","Ffn6qFkyyHq5pWm3","Standard","one:one","SFX:BROWSER:DESKTOP","CHROME","2100","1800","1559557200000","0035j00000AbCd3AAF","Contact","force:recordLayout","/lightning/r/Contact/0035j00000AbCd3AAF/view","LightningSales","","","","","2019-06-03T10:20:00.000Z","0055j00000AT6I1AAL","10.0.0.9"
"#;

const CASE_HEAD: &str = r#"
[case]
name = "views"
actors = ["k.walsh"]
since = "2019-06-01"
until = "2019-06-30"
discovered = "2019-07-01"
"#;

/// Writes `files` and `case.toml` (`CASE_HEAD` + `case`) into a temporary folder.
fn write_case(case: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let path = dir.path().join("case.toml");
    std::fs::write(&path, format!("{CASE_HEAD}{case}")).unwrap();
    (dir, path)
}

/// Runs `analyze` (outputs beside the case file) and returns stderr.
fn analyze(case: &Path) -> String {
    let out = bin().arg("analyze").arg(case).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "analyze failed: {stderr}");
    stderr
}

/// customer_id → (data_classes, assumed_classes) of the notification list.
fn listed(dir: &Path) -> BTreeMap<String, (String, String)> {
    read_csv(&dir.join("affected_customers.csv")).into_iter().map(|r| (r["customer_id"].clone(), (r["data_classes"].clone(), r["assumed_classes"].clone()))).collect()
}

/// customer_ids → (notify, assumed_classes) of affected_people.csv.
fn people(dir: &Path) -> BTreeMap<String, (String, String)> {
    read_csv(&dir.join("affected_people.csv")).into_iter().map(|r| (r["customer_ids"].clone(), (r["notify"].clone(), r["assumed_classes"].clone()))).collect()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn salesforce_case(views: &str) -> (tempfile::TempDir, PathBuf) {
    let case = format!(
        r#"
[customers]
path = "customers.csv"
key = "customer_id"
ids = ["sf_id"]

[[logs]]
name = "salesforce"
path = "logs/*.csv"
format = "salesforce"
users = "users.csv"

[logs.tables]
Contact = "customers"
{views}
"#
    );
    write_case(&case, &[("customers.csv", CUSTOMERS), ("users.csv", USERS), ("logs/2019-06-03_URI.csv", URI_LOG), ("logs/2019-06-03_LightningPageView.csv", LIGHTNING_LOG)])
}

#[test]
fn a_crm_page_with_no_declared_view_is_assumed_to_show_every_column_and_says_so() {
    let (dir, case) = salesforce_case("");
    let stderr = analyze(&case);
    // The log names Contacts by their 18-character ids; the table holds the 15-character ones in `sf_id`.
    let rows = listed(dir.path());
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["C1", "C2", "C3"]);
    for (id, (classes, assumed)) in &rows {
        assert!(classes.contains("credit_cards"), "{id}: {classes}");
        // Every class of these customers rests on the assumption: no access said which fields it showed.
        assert_eq!(classes, assumed, "{id}");
    }
    // Name + card number is a Massachusetts duty: it rests on the assumption, and the report says whose.
    for (ids, (notify, assumed)) in people(dir.path()) {
        assert_eq!(notify, "required", "{ids}");
        assert!(assumed.contains("credit_cards"), "{ids}: {assumed}");
    }
    let report = read_json(&dir.path().join("report.json"));
    let source = &report["exposure"]["views"][0];
    assert_eq!(source["source"], "salesforce");
    assert_eq!(source["defaults"][0]["default"], "record_page");
    assert_eq!(source["defaults"][0]["accesses"], 3);
    assert_eq!(strings(&source["views_assumed"]["tables"]), ["customers"]);
    assert!(strings(&source["views_assumed"]["assumed_classes"]).contains(&"credit_cards".to_string()), "{source}");
    let duties = report["legal"]["duties_resting_on_assumed_views"].as_array().unwrap();
    assert_eq!(duties.len(), 3);
    assert!(duties.iter().all(|d| d["notify"] == "required" && d["notify_without_assumed"] == "not_required"), "{duties:?}");
    assert_eq!(report["records_touched"][0]["keys_found_by_second_id"], 3);
    assert!(stderr.contains("VIEWS ASSUMED in salesforce"), "{stderr}");
    assert!(stderr.contains("SENSITIVE credit_cards"), "{stderr}");
    assert!(stderr.contains("The duty of 3 people rests on ASSUMED views"), "{stderr}");
    assert!(report["legal"]["statement"]["lines"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with("ASSUMED: no view was declared for salesforce")));
}

#[test]
fn a_declared_crm_view_without_the_card_column_lists_no_card_and_the_duty_follows() {
    let (dir, case) = salesforce_case(
        r#"
[logs.views]
customers = ["customers.full_name", "customers.email", "customers.phone", "customers.state"]
"#,
    );
    let stderr = analyze(&case);
    let rows = listed(dir.path());
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["C1", "C2", "C3"]);
    for (id, (classes, assumed)) in &rows {
        assert_eq!(classes, "email_addresses;geographic_locations;names;phone_numbers", "{id}");
        assert_eq!(assumed, "", "{id}");
    }
    for (ids, (notify, assumed)) in people(dir.path()) {
        assert_eq!((notify.as_str(), assumed.as_str()), ("not_required", ""), "{ids}");
    }
    let report = read_json(&dir.path().join("report.json"));
    // Nothing could have shown the card column: it can be stated NOT exposed.
    assert_eq!(strings(&report["legal"]["statement"]["not_exposed"]), ["credit_cards"]);
    assert!(report["legal"]["statement"]["not_exposed_blocked_by"].is_null());
    let source = &report["exposure"]["views"][0];
    assert_eq!(source["declared"]["[logs.views] customers"], 3);
    assert!(source["views_assumed"].is_null());
    assert!(report["legal"]["duties_resting_on_assumed_views"].as_array().unwrap().is_empty());
    assert!(!stderr.contains("VIEWS ASSUMED"), "{stderr}");
}

#[test]
fn a_view_per_object_and_action_wins_over_the_table_view() {
    let (dir, case) = salesforce_case(
        r#"
[logs.views]
customers = ["customers.full_name", "customers.email"]
"Contact:LightningPageView" = ["customers.full_name", "customers.email", "customers.card_number"]
"Contact:Chatter" = ["customers.phone"]
"#,
    );
    let stderr = analyze(&case);
    let rows = listed(dir.path());
    assert_eq!(rows["C1"].0, "email_addresses;names", "the classic page: the table's view");
    assert_eq!(rows["C3"].0, "credit_cards;email_addresses;names", "the Lightning record page: its own view");
    assert_eq!(rows["C3"].1, "", "declared, not assumed");
    let p = people(dir.path());
    assert_eq!(p["C1"].0, "not_required");
    assert_eq!(p["C3"].0, "required");
    // A declared view no access used is named (a misspelt name or action shows).
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(strings(&report["exposure"]["views"][0]["declared_unused"]), ["[logs.views] Contact:Chatter"]);
    assert!(stderr.contains("[logs.views] Contact:Chatter in salesforce was never applied to the actors' accesses"), "{stderr}");
}

/// A CloudTrail file (`{"Records": [...]}`) in the layout of testdata/logs/cloudtrail (AWS's CloudTrail
/// DynamoDB data-event reference): k.walsh reads C1's item with `GetItem` and no projection.
fn cloudtrail(records: &[serde_json::Value]) -> String {
    serde_json::json!({ "Records": records }).to_string()
}

fn dynamodb_event(name: &str, time: &str, params: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEID:k.walsh", "arn": "arn:aws:sts::123456789012:assumed-role/SupportRole/k.walsh", "accountId": "123456789012"},
        "eventTime": time,
        "eventSource": "dynamodb.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/1.16.170 Python/3.7.3",
        "requestParameters": params,
        "responseElements": null,
        "requestID": "EXAMPLEREQ",
        "eventID": format!("e-{name}-{time}"),
        "readOnly": true,
        "resources": [],
        "eventType": "AwsApiCall",
        "managementEvent": false,
        "recipientAccountId": "123456789012",
        "eventCategory": "Data"
    })
}

fn dynamodb_case(customers_extra: &str, log_extra: &str) -> (tempfile::TempDir, PathBuf) {
    let log = cloudtrail(&[dynamodb_event("GetItem", "2019-06-03T10:00:00Z", serde_json::json!({"tableName": "customers", "key": {"customer_id": "C1"}}))]);
    let case = format!(
        r#"
[customers]
path = "customers.csv"
key = "customer_id"
{customers_extra}

[[logs]]
name = "dynamodb"
path = "logs/trail.json"
format = "cloudtrail"
{log_extra}
"#
    );
    write_case(&case, &[("customers.csv", CUSTOMERS), ("logs/trail.json", &log)])
}

#[test]
fn a_dynamodb_item_exposes_the_attributes_the_store_keeps_not_the_table_export() {
    // Not declared: every column of the table export, assumed (the card column comes with it).
    let (dir, case) = dynamodb_case("", "");
    let stderr = analyze(&case);
    let rows = listed(dir.path());
    assert!(rows["C1"].0.contains("credit_cards"));
    assert!(rows["C1"].1.contains("credit_cards"), "{:?}", rows["C1"]);
    assert!(stderr.contains("VIEWS ASSUMED in dynamodb: DynamoDB item reads without a projection of customers"), "{stderr}");
    assert!(stderr.contains("`attributes = [...]`"), "{stderr}");

    // The item holds fewer attributes than the table has columns: those, and nothing rests on an assumption.
    for (customers_extra, log_extra) in [(r#"attributes = ["full_name", "email"]"#, ""), ("", "[logs.attributes]\ncustomers = [\"full_name\", \"email\"]")] {
        let (dir, case) = dynamodb_case(customers_extra, log_extra);
        let stderr = analyze(&case);
        let rows = listed(dir.path());
        assert_eq!(rows["C1"], ("email_addresses;names".to_string(), String::new()), "{customers_extra}{log_extra}");
        let report = read_json(&dir.path().join("report.json"));
        assert_eq!(report["exposure"]["by_field"]["customers.customer_id"], 1, "the key is always in the item");
        assert!(strings(&report["legal"]["statement"]["not_exposed"]).contains(&"credit_cards".to_string()));
        assert!(!stderr.contains("VIEWS ASSUMED"), "{stderr}");
    }
}

const AUDIT_CASE: &str = r#"
[customers]
path = "customers.csv"
key = "customer_id"

[[logs]]
name = "crm"
path = "audit.csv"
format = "csv"
"#;

#[test]
fn an_actor_whose_only_record_is_rejected_leaves_nothing_stated_not_exposed() {
    // k.walsh's only record has a time without a zone: rejected. a.other's records are not the actors'.
    let audit = "event_time,user_name,entity,entity_id,fields_viewed\n\
2019-06-03 10:00:00,k.walsh,customers,C1,full_name|card_number\n\
2019-06-03T11:00:00Z,a.other,customers,C2,full_name|card_number\n";
    let (dir, case) = write_case(AUDIT_CASE, &[("customers.csv", CUSTOMERS), ("audit.csv", audit)]);
    let stderr = analyze(&case);
    assert!(listed(dir.path()).is_empty());
    let report = read_json(&dir.path().join("report.json"));
    let statement = &report["legal"]["statement"];
    assert_eq!(strings(&statement["not_exposed"]), Vec::<String>::new(), "{statement}");
    let blocked = strings(&statement["cannot_be_ruled_out"]);
    for class in ["credit_cards", "names", "email_addresses"] {
        assert!(blocked.contains(&class.to_string()), "{class}: {blocked:?}");
    }
    let why = statement["not_exposed_blocked_by"].as_str().unwrap();
    assert!(why.contains("1 rejected record of k.walsh in audit.csv line 2"), "{why}");
    assert!(!statement["lines"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("NOT exposed")), "{statement}");
    assert!(stderr.contains("CANNOT be ruled out"), "{stderr}");
    assert!(stderr.contains("1 rejected record of k.walsh in audit.csv line 2"), "{stderr}");

    // Another account's rejected record does not block: the card column is stated NOT exposed.
    let audit = "event_time,user_name,entity,entity_id,fields_viewed\n\
2019-06-03T10:00:00Z,k.walsh,customers,C1,full_name\n\
2019-06-03 11:00:00,a.other,customers,C2,full_name|card_number\n";
    let (dir, case) = write_case(AUDIT_CASE, &[("customers.csv", CUSTOMERS), ("audit.csv", audit)]);
    analyze(&case);
    let report = read_json(&dir.path().join("report.json"));
    assert!(strings(&report["legal"]["statement"]["not_exposed"]).contains(&"credit_cards".to_string()), "{}", report["legal"]["statement"]);
    assert_eq!(read_csv(&dir.path().join("rejects.csv")).len(), 1);
}

#[test]
fn a_field_is_assumed_only_where_no_other_access_showed_it() {
    // C1: one row saying which fields (name, e-mail), one saying none (every column, assumed). C2: named
    // fields only.
    let audit = "event_time,user_name,entity,entity_id,fields_viewed\n\
2019-06-03T10:00:00Z,k.walsh,customers,C1,full_name|email\n\
2019-06-03T10:05:00Z,k.walsh,customers,C1,\n\
2019-06-03T10:10:00Z,k.walsh,customers,C2,full_name|phone\n";
    let (dir, case) = write_case(AUDIT_CASE, &[("customers.csv", CUSTOMERS), ("audit.csv", audit)]);
    let stderr = analyze(&case);
    let rows = listed(dir.path());
    assert_eq!(rows["C1"].0, "credit_cards;email_addresses;geographic_locations;names;phone_numbers");
    assert_eq!(rows["C1"].1, "credit_cards;geographic_locations;phone_numbers", "names and e-mail were shown by a row that said so");
    assert_eq!(rows["C2"], ("names;phone_numbers".to_string(), String::new()));
    let p = people(dir.path());
    assert_eq!(p["C1"], ("required".to_string(), "credit_cards;geographic_locations;phone_numbers".to_string()));
    assert_eq!(p["C2"], ("not_required".to_string(), String::new()));
    let report = read_json(&dir.path().join("report.json"));
    let duties = report["legal"]["duties_resting_on_assumed_views"].as_array().unwrap();
    assert_eq!(duties.len(), 1, "{duties:?}");
    assert_eq!(duties[0]["notify_without_assumed"], "not_required");
    assert_eq!(report["exposure"]["views"][0]["defaults"][0]["default"], "audit_record");
    assert!(stderr.contains("VIEWS ASSUMED in crm"), "{stderr}");
}

const WEB_CASE: &str = r#"
[customers]
path = "customers.csv"
key = "customer_id"

[[logs]]
name = "portal"
path = "access.log"
format = "combined"

[[logs.routes]]
path = "/support/customers/{customers}"
fields = ["customers.full_name", "customers.email"]

[[logs.routes]]
path = "/billing/cards/{customers}"
fields = ["customers.card_number"]
"#;

#[test]
fn an_access_without_an_account_that_reached_case_data_keeps_its_fields_from_being_called_not_exposed() {
    let line = |user: &str, path: &str| format!("203.0.113.9 - {user} [03/Jun/2019:10:00:00 +0000] \"GET {path} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n");
    let base = format!("{}{}", line("k.walsh", "/support/customers/C1"), line("-", "/static/app.css"));
    // An anonymous request for a stylesheet reaches no case data: the card column is NOT exposed.
    let (dir, case) = write_case(WEB_CASE, &[("customers.csv", CUSTOMERS), ("access.log", &base)]);
    analyze(&case);
    let report = read_json(&dir.path().join("report.json"));
    assert!(strings(&report["legal"]["statement"]["not_exposed"]).contains(&"credit_cards".to_string()));

    // An anonymous request for a card page: whose it was is unknown, so card data cannot be ruled out.
    let log = format!("{base}{}", line("-", "/billing/cards/C2"));
    let (dir, case) = write_case(WEB_CASE, &[("customers.csv", CUSTOMERS), ("access.log", &log)]);
    analyze(&case);
    let report = read_json(&dir.path().join("report.json"));
    let statement = &report["legal"]["statement"];
    assert!(!strings(&statement["not_exposed"]).contains(&"credit_cards".to_string()), "{statement}");
    assert!(strings(&statement["cannot_be_ruled_out"]).contains(&"credit_cards".to_string()), "{statement}");
    assert!(statement["not_exposed_blocked_by"].as_str().unwrap().contains("1 access without an account reached case data in access.log line 3"), "{statement}");
    // The web log can show only its routes' fields: the anonymous access does not keep what no route shows
    // (phone numbers) from being stated NOT exposed.
    assert!(strings(&statement["not_exposed"]).contains(&"phone_numbers".to_string()), "{statement}");
    assert_eq!(listed(dir.path()).keys().collect::<Vec<_>>(), ["C1"], "an anonymous access lists no one");
}

#[test]
fn unresolved_accesses_are_counted_per_event() {
    // One TransactGetItems naming three items by an attribute that is not the table's key: one event, three
    // lookups whose records the log does not name.
    let items: Vec<serde_json::Value> =
        ["a@example.com", "b@example.com", "c@example.com"].iter().map(|e| serde_json::json!({"get": {"tableName": "customers", "key": {"email": e}}})).collect();
    let log = cloudtrail(&[dynamodb_event("TransactGetItems", "2019-06-03T10:00:00Z", serde_json::json!({"transactItems": items}))]);
    let case = r#"
[customers]
path = "customers.csv"
key = "customer_id"
attributes = ["full_name", "email"]

[[logs]]
name = "dynamodb"
path = "logs/trail.json"
format = "cloudtrail"
"#;
    let (dir, case) = write_case(case, &[("customers.csv", CUSTOMERS), ("logs/trail.json", &log)]);
    let stderr = analyze(&case);
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["totals"]["unresolved_queries"], 3);
    assert_eq!(report["totals"]["unresolved_query_events"], 1);
    assert!(stderr.contains("1 unresolved access event(s) (3 lookups)"), "{stderr}");
    let why = report["legal"]["statement"]["not_exposed_blocked_by"].as_str().unwrap();
    assert!(why.starts_with("1 unresolved query of k.walsh in logs/trail.json line 1"), "{why}");
    // The store keeps names and e-mails only: the card column is still NOT exposed.
    let mut not_exposed = strings(&report["legal"]["statement"]["not_exposed"]);
    not_exposed.sort();
    assert_eq!(not_exposed, ["credit_cards", "geographic_locations", "phone_numbers"]);
}

#[test]
fn not_held_says_what_was_looked_at() {
    let audit = "event_time,user_name,entity,entity_id,fields_viewed\n2019-06-03T10:00:00Z,k.walsh,customers,C1,full_name\n";
    let (dir, case) = write_case(AUDIT_CASE, &[("customers.csv", CUSTOMERS), ("audit.csv", audit)]);
    analyze(&case);
    let statement = read_json(&dir.path().join("report.json"))["legal"]["statement"].clone();
    assert!(strings(&statement["not_held"]).contains(&"government_issued_ids".to_string()));
    let basis = statement["not_held_basis"].as_str().unwrap();
    assert!(basis.contains("the column names of the case's tables customers (8 columns)"), "{basis}");
    assert!(basis.contains("no free-text column was exposed"), "{basis}");
    let line = strings(&statement["lines"]).into_iter().find(|l| l.starts_with("Not held in any column")).unwrap();
    assert!(line.contains("government_issued_ids") && line.contains("looked at"), "{line}");

    // With ticket subjects exposed: what the scan looks for, what it does not; an SSN found there is held.
    let tickets = "ticket_number,customer_id,subject
T1,C1,Refund please
T2,C2,my SSN is 123-45-6789
";
    let audit = "event_time,user_name,entity,entity_id,fields_viewed
2019-06-03T10:00:00Z,k.walsh,tickets,T1,subject
2019-06-03T10:01:00Z,k.walsh,tickets,T2,subject
";
    let case = format!("{AUDIT_CASE}\n[[tables]]\nname = \"tickets\"\npath = \"tickets.csv\"\nkey = \"ticket_number\"\ncustomer = \"customer_id\"\n");
    let (dir, case) = write_case(&case, &[("customers.csv", CUSTOMERS), ("tickets.csv", tickets), ("audit.csv", audit)]);
    analyze(&case);
    let statement = read_json(&dir.path().join("report.json"))["legal"]["statement"].clone();
    let not_held = strings(&statement["not_held"]);
    assert!(!not_held.contains(&"government_issued_ids".to_string()), "found in a ticket: {not_held:?}");
    assert!(not_held.contains(&"bank_account_numbers".to_string()), "{not_held:?}");
    let basis = statement["not_held_basis"].as_str().unwrap();
    assert!(basis.contains("free text (tickets.subject) of the records the actors reached"), "{basis}");
    assert!(basis.contains("scanned for") && basis.contains("IBANs"), "{basis}");
    assert!(basis.contains("not scanned: free text of records the actors did not reach"), "{basis}");
    assert!(basis.contains("account numbers in other formats"), "{basis}");
}

#[test]
fn views_ids_and_attributes_are_checked_when_the_case_loads() {
    for (extra, log_extra, message) in [
        ("", "[logs.views]\nContcat = [\"customers.full_name\"]", "[logs.views] `Contcat`: `Contcat` is neither a case table nor a name in [logs.tables]"),
        ("", "[logs.views]\ncustomers = [\"customers.nickname\"]", "[logs.views] `customers`: `customers.nickname` is not a `table.column`"),
        ("ids = [\"salesforce_id\"]", "", "[customers] ids: `salesforce_id` is not a column"),
        ("attributes = [\"nickname\"]", "", "[customers] attributes: `nickname` is not a column of customers"),
        ("", "[logs.attributes]\ncustomers = [\"nickname\"]", "[logs.attributes] `customers`: `nickname` is not a column of customers"),
    ] {
        let (_dir, case) = dynamodb_case(extra, log_extra);
        let out = bin().arg("analyze").arg(&case).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}{log_extra}: {stderr}");
        assert!(stderr.contains(message), "{extra}{log_extra}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

/// A fixture case with keys appended to its last `[[logs]]` entry.
fn fixture_with(name: &str, appended: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, case_dir) = crate::common::case_copy(name);
    let case = case_dir.join("case.toml");
    let text = std::fs::read_to_string(&case).unwrap();
    // The fixture's logs are outside its folder: keep the relative paths working from the copy.
    let logs = crate::common::repo().join("testdata/logs");
    let text = text.replace("../../logs/", &format!("{}/", logs.display()));
    std::fs::write(&case, format!("{text}\n{appended}\n")).unwrap();
    (dir, case)
}

#[test]
fn a_declared_zendesk_ticket_view_shows_the_requester_the_default_leaves_out() {
    let (_dir, case) = fixture_with(
        "zendesk",
        "[logs.views]\ntickets = [\"tickets.ticket_number\", \"tickets.subject\", \"customers.full_name\", \"customers.email\", \"customers.phone\"]",
    );
    let stderr = analyze(&case);
    let rows = listed(case.parent().unwrap());
    // Customers seen through ticket reads: the requester's name, e-mail and phone, declared (not assumed).
    assert_eq!(rows["90001"], ("email_addresses;names;phone_numbers;support_tickets".to_string(), String::new()));
    // A user read has no declared view: every column of the user's table, assumed, and said so.
    assert_eq!(rows["90003"].1, "email_addresses;geographic_locations;names;phone_numbers");
    assert!(stderr.contains("VIEWS ASSUMED in zendesk: ticket and user reads (agent pages, API) of customers"), "{stderr}");
}

#[test]
fn a_mongodb_document_exposes_the_attributes_the_store_keeps() {
    let (_dir, case) = fixture_with("mongodb-audit", "[logs.attributes]\ncustomers = [\"full_name\", \"email\"]");
    analyze(&case);
    let rows = listed(case.parent().unwrap());
    // C002 and C003 were read whole (no projection): the document holds names and e-mails only.
    assert_eq!(rows["C002"], ("email_addresses;names".to_string(), String::new()));
    assert_eq!(rows["C003"], ("email_addresses;names".to_string(), String::new()));
    // A projection still says what it returned; a tickets document (no attributes declared) is assumed.
    assert_eq!(rows["C004"].0, "phone_numbers");
    assert_eq!(rows["C006"], ("support_tickets".to_string(), "support_tickets".to_string()));
}
