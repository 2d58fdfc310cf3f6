//! `breachscope verify DIR|MANIFEST`: re-hashes an analyze run's inputs and outputs against its manifest.
//! Exit 0 when every file matches, 1 on any difference, 2 when the manifest cannot be read.

use crate::cli::VerifyArgs;
use crate::error::{exit, Result};
use crate::output::manifest;
use crate::ui::Ui;

pub fn run(args: &VerifyArgs, ui: &Ui) -> Result<i32> {
    let path = if args.manifest.is_dir() { args.manifest.join("manifest.json") } else { args.manifest.clone() };
    let loaded = manifest::load(&path)?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let differences = manifest::verify(&loaded, base);
    let checked = loaded.inputs.len() + loaded.outputs.len();
    // The verdict is data: one line per difference on stdout, then the summary on stderr.
    for d in &differences {
        println!("DIFFERS\t{}\t{}", d.path, d.what);
    }
    if differences.is_empty() {
        ui.note(&format!(
            "verified: all {checked} files ({} inputs, {} outputs) match {} (run of {})",
            loaded.inputs.len(),
            loaded.outputs.len(),
            path.display(),
            loaded.finished_at
        ));
        Ok(exit::OK)
    } else {
        eprintln!("breachscope: {} of {checked} files differ from {}", differences.len(), path.display());
        Ok(exit::DIFFERS)
    }
}
