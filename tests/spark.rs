//! The Spark driver (spark/breachscope_spark.py) with PySpark in local mode: spark/test_spark.py checks that
//! the example case, a 40-file case and a log read in byte ranges give the plain run's outputs byte for
//! byte, and that a corrupt gzip fails with the plain run's message. The Python with pyspark and pyarrow is
//! `BREACHSCOPE_PYSPARK_PYTHON` (default `python3`); without it (or without Java) the test prints SKIP and
//! passes, unless `CI` is set: then it fails.

use crate::common::repo;

#[test]
fn spark_local_mode_gives_the_plain_runs_outputs() {
    let python = std::env::var("BREACHSCOPE_PYSPARK_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let ready = std::process::Command::new(&python).args(["-c", "import pyspark, pyarrow"]).output();
    let java = std::process::Command::new("java").arg("-version").output();
    let missing = match (&ready, &java) {
        (Ok(r), _) if !r.status.success() => Some(format!("{python} has no pyspark or pyarrow (set BREACHSCOPE_PYSPARK_PYTHON)")),
        (Err(e), _) => Some(format!("{python}: {e}")),
        (_, Err(e)) => Some(format!("java: {e}")),
        _ => None,
    };
    if let Some(why) = missing {
        assert!(!ci, "the Spark test must run in CI: {why}");
        println!("SKIP: the Spark test: {why}");
        return;
    }
    let binary = assert_cmd::cargo::cargo_bin("breachscope");
    let output = std::process::Command::new(&python)
        .arg(repo().join("spark/test_spark.py"))
        .arg("--binary")
        .arg(&binary)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
    assert!(output.status.success(), "spark/test_spark.py failed:\n{stdout}\n{}", tail.join("\n"));
    assert_eq!(stdout.matches("ok: ").count(), 4, "every check ran:\n{stdout}");
    println!("{stdout}");
}
