//! End-to-end: `analyze --html` renders in headless Chromium, shows the numbers of report.json, escapes
//! markup from the data, and fetches nothing. Needs the `chromium` binary: in CI (env `CI` set) its
//! absence is a failure; on a developer machine without it the test says why and passes.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BREACHSCOPE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Runs Chromium headless with `extra` flags on `page`; stdout goes to `out`. Fails after 90 s.
fn run_chromium(chrome: &Path, page: &Path, extra: &[String], out: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Process::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chrome.display()));
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            return;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn html_report_renders_in_chromium_and_shows_the_reports_numbers() {
    let Some(chrome) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is required in CI (/usr/bin/chromium missing: apt-get install -y chromium)");
        }
        eprintln!("skipped: no chromium binary at /usr/bin/chromium (set BREACHSCOPE_CHROMIUM, or CI=1 to make this a failure)");
        return;
    };
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases/peers/case.toml");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let report = dir.path().join("report.json");
    Command::cargo_bin("breachscope")
        .unwrap()
        .arg("analyze")
        .arg(&case)
        .arg("--out")
        .arg(dir.path().join("list.csv"))
        .arg("--report")
        .arg(&report)
        .arg("--rejects")
        .arg(dir.path().join("rejects.csv"))
        .arg("--people")
        .arg(dir.path().join("people.csv"))
        .arg("--jurisdictions")
        .arg(dir.path().join("jurisdictions.csv"))
        .arg("--actions")
        .arg(dir.path().join("actions.csv"))
        .arg("--html")
        .arg(&html)
        .arg("--quiet")
        .assert()
        .success();
    let source = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing to fetch.
    for needle in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!source.contains(needle), "the page contains {needle}");
    }
    assert_eq!(source.matches("http://").count(), source.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
    assert!(source.contains("@media print"));

    let dom_file = dir.path().join("dom.html");
    run_chromium(&chrome, &html, &["--dump-dom".to_string()], &dom_file);
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    assert!(dom.contains("<h1>Fixture: peers, an insider with two accounts, and a post-disable access</h1>"), "{dom}");

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let totals = &json["totals"];
    let events: u64 = json["events_by_actor"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let thousands = |n: u64| {
        let d = n.to_string();
        d.chars().enumerate().fold(String::new(), |mut s, (i, c)| {
            if i > 0 && (d.len() - i) % 3 == 0 {
                s.push(',');
            }
            s.push(c);
            s
        })
    };
    let stat = |id: &str, n: u64| {
        let needle = format!("id=\"{id}\" data-value=\"{n}\"><div class=\"n\">{}</div>", thousands(n));
        assert!(dom.contains(&needle), "{needle} not in the rendered page");
    };
    let customers = totals["customers_affected"].as_u64().unwrap();
    assert_eq!(customers, 33);
    stat("stat-customers", customers);
    stat("stat-events", events);
    stat("stat-table-reads", totals["table_accesses"].as_u64().unwrap());
    stat("stat-unresolved-queries", totals["unresolved_queries"].as_u64().unwrap());
    stat("stat-unresolved-keys", totals["unresolved_keys"].as_u64().unwrap());
    stat("stat-after-disabled", totals["accesses_after_disabled"].as_u64().unwrap());
    stat("stat-records-read", totals["records_read"].as_u64().unwrap());
    stat("stat-rejected", totals["records_rejected"].as_u64().unwrap());

    // One bar per day with access, with the day's count.
    let per_day = json["events_per_day"].as_object().unwrap();
    assert!(!per_day.is_empty());
    assert_eq!(dom.matches("<rect class=\"bar\" data-day=").count(), per_day.len());
    for (day, n) in per_day {
        let needle = format!("data-day=\"{day}\" data-value=\"{}\"", n.as_u64().unwrap());
        assert!(dom.contains(&needle), "{needle}");
    }
    // Customers per data class, as in the report.
    for held in json["exposure"]["held"].as_array().unwrap() {
        let needle = format!(">{}</text>", held["class"].as_str().unwrap());
        assert!(dom.contains(&needle), "{needle}");
        let value = format!("{}: {}</title>", held["class"].as_str().unwrap(), held["customers_exposed"]);
        assert!(dom.contains(&value), "{value}");
    }
    // What was not exposed.
    for class in json["exposure"]["held_not_exposed"].as_array().unwrap() {
        assert!(dom.contains(&format!("<span class=\"tag no\">{}</span>", class.as_str().unwrap())), "{class}");
    }
    // The containment failure is on the page.
    assert!(dom.contains("CONTAINMENT FAILED: the account was still used after it was disabled"));
    // The notification list's first rows, with markup from the data shown as text, not run.
    let list = &dom[dom.find("id=\"list\"").unwrap()..];
    let list = &list[..list.find("</table>").unwrap()];
    assert_eq!(list.matches("<tr>").count(), 1 + 20);
    assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt; Evil"));
    assert!(!dom.contains("<script>alert(1)"));

    // A screenshot renders (look at it when changing the layout).
    // The sections for counsel: coverage (timeline, gaps, the line for counsel) and whom to notify.
    let coverage = &json["coverage"];
    assert!(dom.contains("<h2>Coverage of the logs</h2>") && dom.contains("id=\"coverage-counsel\""));
    assert!(dom.contains(&format!("For counsel: {}", coverage["legal_summary"].as_str().unwrap().replace('&', "&amp;").replace('<', "&lt;"))));
    for source in coverage["sources"].as_array().unwrap() {
        for gap in source["gaps"].as_array().unwrap() {
            assert!(dom.contains(&format!("<span class=\"nw\">{}</span>", gap["start"].as_str().unwrap())), "gap start {}", gap["start"]);
        }
    }
    let legal = &json["legal"];
    assert!(dom.contains("<h2>Whom to notify</h2>"));
    stat("stat-people", legal["people"].as_u64().unwrap());
    for j in legal["jurisdictions"].as_array().unwrap() {
        let name = j["jurisdiction"].as_str().unwrap();
        assert!(dom.contains(&format!("<td>{name}</td>")), "{name} in the duties table");
        assert!(dom.contains(&format!("<title>{name}: {}</title>", j["people"])), "{name} in the chart");
    }
    // The day chart's caption says how its total relates to the headline's.
    let charted: u64 = per_day.values().map(|v| v.as_u64().unwrap()).sum();
    if charted != events {
        assert!(dom.contains(&format!("The headline's {} counts every successful event", thousands(events))), "the caption explains the difference");
    }

    // Printed: the headings are in the PDF, and no table is cut off at the page's right edge (the
    // notification list's last column header is on the page).
    let pdf = dir.path().join("report.pdf");
    run_chromium(&chrome, &html, &[format!("--print-to-pdf={}", pdf.display()), "--no-pdf-header-footer".to_string()], &dir.path().join("p.out"));
    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(pdf_bytes.starts_with(b"%PDF"), "a PDF was printed");
    match Process::new("pdftotext").arg("-layout").arg(&pdf).arg("-").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            for heading in ["Customers affected", "What was not exposed", "Coverage of the logs", "Whom to notify", "Notification list", "Logs read"] {
                assert!(text.contains(heading), "{heading} not in the printed PDF");
            }
            let list_start = text.find("Notification list").unwrap();
            let list = &text[list_start..];
            assert!(list.contains("evidence") && list.contains("accesses"), "the notification table's last columns are printed");
            assert!(text.contains(&format!("{}", thousands(totals["records_read"].as_u64().unwrap()))));
        }
        _ if std::env::var_os("CI").is_some() => panic!("pdftotext is required in CI (apt-get install -y poppler-utils)"),
        _ => eprintln!("pdftotext missing: the printed PDF's text was not checked"),
    }

    let png = dir.path().join("report.png");
    run_chromium(&chrome, &html, &[format!("--screenshot={}", png.display()), "--window-size=1200,2000".to_string()], &dir.path().join("s.out"));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "screenshot {} bytes", bytes.len());
}
