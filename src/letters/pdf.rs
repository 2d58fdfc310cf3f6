//! PDF letters through headless Chromium, where it is installed (`BREACHSCOPE_CHROMIUM`, else `chromium` or
//! `chromium-browser` on the PATH or in /usr/bin). Each letter's HTML is printed from a private temporary
//! folder; the PDF's bytes are then written like every other output (temporary file, renamed at the end).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium binary, if any.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BREACHSCOPE_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.exists().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(PathBuf::from("/usr/bin"));
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Some(found) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
            return Some(found);
        }
    }
    None
}

/// Prints `html` (a complete page) to PDF bytes with `chrome`; fails after 120 s.
pub fn print(chrome: &Path, html: &str) -> std::io::Result<Vec<u8>> {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("letter.html");
    let pdf = dir.path().join("letter.pdf");
    std::fs::write(&page, html)?;
    let mut child = Command::new(chrome)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                return Err(std::io::Error::other(format!("chromium exited with {status}")));
            }
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("chromium did not finish within 120 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let bytes = std::fs::read(&pdf)?;
    if !bytes.starts_with(b"%PDF") {
        return Err(std::io::Error::other("chromium wrote no PDF"));
    }
    Ok(bytes)
}
