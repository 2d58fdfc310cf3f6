//! End-to-end tests of web access logs whose account is not in the first fields: `analyze` on the small cases of
//! testdata/cases/web-access/ (one case file per layout, over the fixtures of testdata/logs/web/) against the
//! customers each must list; `inspect` with and without `--log-format`; bad format strings; the real sample
//! in ../shared/samples/web_access when it is there.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn cases() -> PathBuf {
    crate::common::repo().join("testdata/cases/web-access")
}

fn logs() -> PathBuf {
    crate::common::repo().join("testdata/logs/web")
}

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("breachscope").expect("binary built");
    cmd.env("NO_COLOR", "1");
    cmd
}

struct Analyzed {
    /// Customer keys of affected_customers.csv, in file order.
    listed: Vec<String>,
    /// rejects.csv rows: line, column, reason.
    rejects: Vec<(u64, u64, String)>,
}

/// `analyze` with its outputs in a temporary folder, for its exit code and messages.
fn run_analyze(case_file: &Path) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.arg("analyze").arg(case_file).arg("--quiet");
    for (flag, name) in [("--out", "a.csv"), ("--report", "r.json"), ("--rejects", "rej.csv"), ("--people", "p.csv"), ("--jurisdictions", "j.csv"), ("--actions", "act.csv")] {
        cmd.arg(flag).arg(dir.path().join(name));
    }
    cmd.output().unwrap()
}

fn analyze(case_file: &Path) -> Analyzed {
    let dir = tempfile::tempdir().unwrap();
    let (list, rejects) = (dir.path().join("affected_customers.csv"), dir.path().join("rejects.csv"));
    bin()
        .arg("analyze")
        .arg(case_file)
        .arg("--out")
        .arg(&list)
        .arg("--report")
        .arg(dir.path().join("report.json"))
        .arg("--rejects")
        .arg(&rejects)
        .arg("--people")
        .arg(dir.path().join("people.csv"))
        .arg("--jurisdictions")
        .arg(dir.path().join("jurisdictions.csv"))
        .arg("--actions")
        .arg(dir.path().join("actions.csv"))
        .arg("--quiet")
        .assert()
        .success();
    let listed = csv::Reader::from_path(&list).unwrap().records().map(|r| r.unwrap()[0].to_string()).collect();
    let mut reader = csv::Reader::from_path(&rejects).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no `{name}` column in rejects.csv"));
    let (line, column, reason) = (at("line"), at("column"), at("reason"));
    let rejects = reader.records().map(|r| r.unwrap()).map(|r| (r[line].parse().unwrap(), r[column].parse().unwrap(), r[reason].to_string())).collect();
    Analyzed { listed, rejects }
}

fn expected(variant: &str) -> Vec<String> {
    std::fs::read_to_string(cases().join(format!("expected_{variant}.txt"))).unwrap().lines().map(str::to_string).collect()
}

/// A copy of a case file in a temporary folder, its relative paths made absolute, edited by `edit`.
fn edited_case(variant: &str, edit: impl Fn(String) -> String) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(cases().join(format!("{variant}.toml")))
        .unwrap()
        .replace("\"customers.csv\"", &format!("{:?}", cases().join("customers.csv")))
        .replace("\"../../logs/web/", &format!("\"{}/", logs().display()));
    let path = dir.path().join("case.toml");
    std::fs::write(&path, edit(text)).unwrap();
    (dir, path)
}

struct Inspected {
    code: i32,
    stdout: String,
    stderr: String,
}

fn inspect(file: &Path, extra: &[&str]) -> Inspected {
    let out = bin().arg("inspect").arg(file).args(["-n", "50"]).args(extra).output().unwrap();
    Inspected {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `records:  R read = E access events + I ignored + J rejected`
fn counts(stdout: &str) -> (u64, u64, u64, u64) {
    let line = stdout.lines().find(|l| l.starts_with("records:")).unwrap_or_else(|| panic!("no records line in {stdout}"));
    let n: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    (n[0], n[1], n[2], n[3])
}

/// The accounts of the events `inspect --json` shows, in line order (`None`: no account).
fn accounts(file: &Path, extra: &[&str]) -> Vec<Option<String>> {
    let out = bin().arg("inspect").arg(file).args(["-n", "50", "--json"]).args(extra).assert().success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["actor"].as_str().map(str::to_string))
        .collect()
}

const APACHE_FORMAT: &str = r#"%v %h %l %u %t "%r" %>s %b %D "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i""#;
const NGINX_FORMAT: &str = r#"$remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $upstream_addr $request_time"#;

fn some(names: &[&str]) -> Vec<Option<String>> {
    names.iter().map(|n| (*n != "-").then(|| n.to_string())).collect()
}

#[test]
fn vhost_combined_lists_the_accounts_customers() {
    // Before: the account read was `- k.walsh`, and the list was empty.
    let a = analyze(&cases().join("vhost-combined.toml"));
    assert_eq!(a.listed, expected("vhost-combined"));
    assert_eq!(a.listed, ["C001", "C002"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
    assert_eq!(accounts(&logs().join("other_vhosts_access.log"), &[]), some(&["k.walsh", "k.walsh", "k.walsh", "j.smith", "-", "-", "-"]));
}

#[test]
fn nginx_host_first_lists_the_accounts_customers() {
    let a = analyze(&cases().join("nginx-host.toml"));
    assert_eq!(a.listed, expected("nginx-host"));
    assert_eq!(a.listed, ["C003", "C006"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
    assert_eq!(accounts(&logs().join("nginx_host_access.log"), &[]), some(&["k.walsh", "k.walsh", "j.smith", "-", "-", "-", "-"]));
}

#[test]
fn proxy_chain_first_lists_the_accounts_customers_and_rejects_the_unclear_line() {
    let a = analyze(&cases().join("proxy-chain.toml"));
    assert_eq!(a.listed, expected("proxy-chain"));
    assert_eq!(a.listed, ["C008", "C009"]);
    // `... 127.0.0.1 - Kate Walsh [...]`: not read as `Walsh` (nor anyone), rejected with the reason; C010 is not listed.
    assert_eq!(a.rejects.len(), 1, "{:?}", a.rejects);
    let (line, column, reason) = &a.rejects[0];
    assert_eq!((*line, *column), (5, 33));
    assert!(reason.contains("cannot be told apart") && reason.contains("log_format"), "{reason}");
    assert_eq!(accounts(&logs().join("proxy_chain_access.log"), &[]), some(&["k.walsh", "k.walsh", "j.smith", "-", "-"]));
}

#[test]
fn apache_log_format_reads_a_name_with_spaces() {
    let a = analyze(&cases().join("log-format-apache.toml"));
    assert_eq!(a.listed, expected("log-format-apache"));
    assert_eq!(a.listed, ["C010", "C011"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
    // Without the format string, the two `Kate Walsh` lines are rejected and nobody is listed.
    let (_dir, case) = edited_case("log-format-apache", |t| t.lines().filter(|l| !l.starts_with("log_format")).collect::<Vec<_>>().join("\n"));
    let a = analyze(&case);
    assert!(a.listed.is_empty(), "{:?}", a.listed);
    assert_eq!(a.rejects.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), [(1, 34), (2, 34)]);
}

#[test]
fn nginx_log_format_reads_iso_times_and_upstream_lists() {
    let a = analyze(&cases().join("log-format-nginx.toml"));
    assert_eq!(a.listed, expected("log-format-nginx"));
    assert_eq!(a.listed, ["C002", "C005", "C012"]);
    assert!(a.rejects.is_empty(), "{:?}", a.rejects);
}

#[test]
fn inspect_with_and_without_log_format() {
    let apache = logs().join("custom_apache_access.log");
    let r = inspect(&apache, &[]);
    assert_eq!(counts(&r.stdout), (5, 3, 0, 2), "{}", r.stdout);
    assert!(r.stdout.contains("rejected line 1 column 34:"), "{}", r.stdout);
    let r = inspect(&apache, &["--log-format", APACHE_FORMAT]);
    assert_eq!(counts(&r.stdout), (5, 5, 0, 0), "{}", r.stdout);
    assert_eq!(accounts(&apache, &["--log-format", APACHE_FORMAT]), some(&["Kate Walsh", "Kate Walsh", "j.smith", "-", "-"]));

    let nginx = logs().join("custom_nginx_access.log");
    let r = inspect(&nginx, &[]);
    assert_eq!(counts(&r.stdout), (5, 0, 0, 5), "{}", r.stdout);
    assert_eq!(accounts(&nginx, &["--log-format", NGINX_FORMAT]), some(&["k.walsh", "k.walsh", "k.walsh", "j.smith", "-"]));
    let r = inspect(&nginx, &["--log-format", NGINX_FORMAT]);
    assert!(r.stdout.contains("2019-07-09T06:16:05Z"), "{}", r.stdout);

    // Debian's LogFormat line as written in apache2.conf (with its backslashes) reads the vhost file.
    let vhost = logs().join("other_vhosts_access.log");
    let debian = r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#;
    assert_eq!(accounts(&vhost, &["--log-format", debian]), accounts(&vhost, &[]));
    // The plain combined format does not fit it: every line is rejected, none read with `- k.walsh`.
    let r = inspect(&vhost, &["--log-format", r#"%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#]);
    assert_eq!(counts(&r.stdout), (7, 0, 0, 7), "{}", r.stdout);
    assert!(r.stdout.contains("does not match `log_format`"), "{}", r.stdout);
}

#[test]
fn bad_log_formats_are_one_line_errors_naming_the_key() {
    for (format, says) in [
        (r#"%v %h %l %Z %t "%r" %>s %b"#, "unknown directive `%Z` at character 10: use Apache's LogFormat directives"),
        (r#"%v %h %l %t "%r" %>s %b"#, "no account field: add `%u` (Apache) or `$remote_user` (nginx)"),
        (r#"$remote_addr - $remote_user "$request" $status"#, "no time field: add `%t`"),
    ] {
        let (_dir, case) = edited_case("log-format-apache", |t| {
            t.lines().map(|l| if l.starts_with("log_format") { format!("log_format = '{format}'") } else { l.to_string() }).collect::<Vec<_>>().join("\n")
        });
        let out = run_analyze(&case);
        assert_eq!(out.status.code(), Some(2), "{format}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("[[logs]] #1 (web): log_format: ") && err.contains(says), "{format}: {err}");

        let r = inspect(&logs().join("custom_apache_access.log"), &["--log-format", format]);
        assert_eq!(r.code, 2);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("--log-format: ") && r.stderr.contains(says), "{}", r.stderr);
    }
    // log_format is for web logs only.
    let (_dir, case) = edited_case("log-format-apache", |t| t.replace("format = \"combined\"", "format = \"pgaudit\""));
    let out = run_analyze(&case);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log_format is for web access logs"), "{}", String::from_utf8_lossy(&out.stderr));
    // A format that reads a line more than one way with different accounts rejects it, with the reason.
    let r = inspect(&logs().join("proxy_chain_access.log"), &["--log-format", r#"%{X-Forwarded-For}i %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#]);
    assert!(r.stdout.contains("rejected line 5 column 33: `log_format` reads this line more than one way (account `Kate Walsh` or `Walsh`)"), "{}", r.stdout);
}

/// The real sample (10,000 lines of combined format, no account on any line): the same count with and without
/// the format string, but for one line whose user agent was cut off (no closing quote), which the format
/// string rejects.
#[test]
fn real_apache_sample_with_and_without_log_format() {
    let sample = crate::common::repo().join("../shared/samples/web_access/elastic_examples_apache_logs");
    if !sample.is_file() {
        println!("note: {} does not exist; the real-sample check is skipped", sample.display());
        return;
    }
    let r = inspect(&sample, &[]);
    assert_eq!(counts(&r.stdout), (10_000, 10_000, 0, 0), "{}", r.stdout);
    assert!(r.stdout.contains("accounts: 1 distinct"));
    let r = inspect(&sample, &["--log-format", r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#]);
    assert_eq!(counts(&r.stdout), (10_000, 9_999, 0, 1), "{}", r.stdout);
    assert!(r.stdout.contains("rejected line 8899 column 112: does not match `log_format`: expected `%{User-agent}i` and its closing quote"), "{}", r.stdout);
}
