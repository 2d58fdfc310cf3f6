#!/usr/bin/env python3
"""The Spark driver against the plain `breachscope analyze`, with PySpark in local mode (local[2]):

1. the bundled example case (`breachscope demo`): outputs byte-identical;
2. a generated case split into 40 log files (some gzip): outputs byte-identical;
3. the same case's log as one file read in byte ranges: outputs byte-identical;
4. a corrupt gzip: the Spark run fails with the plain run's message, and writes no output.

    python spark/test_spark.py --binary target/debug/breachscope

Prints SKIP and exits 0 when pyspark, pyarrow or java is missing, unless the environment variable CI is set
(then it fails). `tests/spark.rs` runs it (see BREACHSCOPE_PYSPARK_PYTHON there).
"""

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

OUTPUTS = ["affected_customers.csv", "report.json", "rejects.csv", "affected_people.csv", "jurisdictions.csv", "actions.csv", "manifest.json"]


def missing():
    """What this machine lacks to run the test, or None."""
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed for {sys.executable}"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "java is not installed"
    return None


def plain(binary, case, out):
    """The plain analyze with every output in `out`: (exit code, stderr)."""
    os.makedirs(out, exist_ok=True)
    cmd = [binary, "-q", "analyze", case]
    for flag, name in zip(["--out", "--report", "--rejects", "--people", "--jurisdictions", "--actions", "--manifest"], OUTPUTS):
        cmd += [flag, os.path.join(out, name)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stderr


def manifest_sans_run(path):
    with open(path) as f:
        m = json.load(f)
    for key in ["command_line", "started_at", "finished_at", "working_directory"]:
        m.pop(key, None)
    return m


def assert_same(plain_dir, spark_dir, what):
    for name in OUTPUTS:
        a, b = os.path.join(plain_dir, name), os.path.join(spark_dir, name)
        assert os.path.exists(a) == os.path.exists(b), f"{what}: {name} written by one run only"
        if not os.path.exists(a):
            continue
        if name == "manifest.json":
            assert manifest_sans_run(a) == manifest_sans_run(b), f"{what}: manifest differs"
        else:
            with open(a, "rb") as x, open(b, "rb") as y:
                assert x.read() == y.read(), f"{what}: {name} differs"
    with open(os.path.join(spark_dir, "affected_customers.csv")) as f:
        rows = f.read().splitlines()
    assert len(rows) > 1, f"{what}: no customer listed"
    return len(rows) - 1


def compare(sc, binary, case, work, what, split_bytes=256 << 20):
    """Plain analyze, then the Spark run writing to the same paths (report.json names them)."""
    import breachscope_spark

    out = os.path.join(work, "out")
    code, stderr = plain(binary, case, out)
    assert code == 0, f"{what}: plain analyze failed: {stderr}"
    os.rename(out, os.path.join(work, "plain"))
    started = time.time()
    code = breachscope_spark.run_case(sc, case, out, binary, parts=os.path.join(work, "parts"), split_bytes=split_bytes, quiet=True)
    assert code == 0, f"{what}: the Spark run's analyze failed ({code})"
    customers = assert_same(os.path.join(work, "plain"), out, what)
    print(f"ok: {what}: {customers} customer(s) listed, outputs identical ({time.time() - started:.1f}s on Spark)")


def generated(binary, work, files):
    """A generated CSV audit case (`breachscope generate --audit-only`), its log split into `files` files (every
    fifth gzip); `files` 1 keeps the one log."""
    case_dir = os.path.join(work, "case")
    subprocess.run([binary, "-q", "generate", "--audit-only", "--customers", "800", "--events", "6000", "--affected", "60", case_dir], check=True)
    log = os.path.join(case_dir, "logs", "crm_audit.csv")
    if files > 1:
        with open(log) as f:
            header, *rows = f.read().splitlines(keepends=True)
        os.remove(log)
        per = -(-len(rows) // files)
        for i in range(files):
            text = (header + "".join(rows[i * per:(i + 1) * per])).encode()
            name = os.path.join(case_dir, "logs", f"crm_audit_{i:02}.csv")
            if i % 5 == 4:
                with gzip.open(name + ".gz", "wb") as f:
                    f.write(text)
            else:
                with open(name, "wb") as f:
                    f.write(text)
        case = os.path.join(case_dir, "case.toml")
        with open(case) as f:
            text = f.read()
        assert 'path = "logs/crm_audit.csv"' in text
        with open(case, "w") as f:
            f.write(text.replace('path = "logs/crm_audit.csv"', 'path = "logs/crm_audit_*"'))
    return os.path.join(case_dir, "case.toml")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    args = p.parse_args()
    why = missing()
    if why:
        if os.environ.get("CI"):
            print(f"FAIL: the Spark test cannot run in CI: {why}", file=sys.stderr)
            sys.exit(1)
        print(f"SKIP: the Spark test needs PySpark, pyarrow and Java: {why}")
        return
    import breachscope_spark

    binary = os.path.abspath(args.binary)
    spark = breachscope_spark.spark_context("local[2]")
    sc = spark.sparkContext
    root = tempfile.mkdtemp(prefix="breachscope-spark-test-")
    try:
        # 1. The bundled example case.
        work = os.path.join(root, "demo")
        subprocess.run([binary, "-q", "demo", os.path.join(work, "case")], check=True, capture_output=True)
        for name in os.listdir(os.path.join(work, "case")):
            if name in OUTPUTS:
                os.remove(os.path.join(work, "case", name))
        compare(sc, binary, os.path.join(work, "case", "case.toml"), work, "the example case")

        # 2. Forty log files.
        work = os.path.join(root, "forty")
        case = generated(binary, work, 40)
        compare(sc, binary, case, work, "a case of 40 log files")

        # 3. One log in byte ranges (and a task that hashes it).
        work = os.path.join(root, "ranges")
        case = generated(binary, work, 1)
        size = os.path.getsize(os.path.join(os.path.dirname(case), "logs", "crm_audit.csv"))
        compare(sc, binary, case, work, "one log in 4 byte ranges", split_bytes=size // 4 + 1)
        parts = [n for n in os.listdir(os.path.join(work, "parts")) if n.endswith(".part.json")]
        assert len(parts) == 5, f"4 ranges and a digest: {parts}"

        # 4. A corrupt gzip fails like the plain run, naming the file, and writes nothing.
        work = os.path.join(root, "corrupt")
        case = generated(binary, work, 40)
        bad = os.path.join(os.path.dirname(case), "logs", "crm_audit_09.csv.gz")
        with open(bad, "rb") as f:
            data = f.read()
        with open(bad, "wb") as f:
            f.write(data[: len(data) // 2])
        code, plain_error = plain(binary, case, os.path.join(work, "plain"))
        assert code != 0, "the plain run fails on a corrupt gzip"
        try:
            breachscope_spark.run_case(sc, case, os.path.join(work, "out"), binary, parts=os.path.join(work, "parts"), quiet=True)
            raise AssertionError("the Spark run did not fail on a corrupt gzip")
        except breachscope_spark.BreachscopeFailed as e:
            spark_error = str(e)
        # The same message, the file named as the case names it.
        case_dir = os.path.dirname(case) + os.sep
        plain_line = plain_error.strip().splitlines()[-1].replace(case_dir, "")
        assert plain_line == spark_error, f"plain: {plain_line}\nspark: {spark_error}"
        assert "crm_audit_09.csv.gz" in spark_error, spark_error
        assert not any(os.path.exists(os.path.join(work, "out", n)) for n in OUTPUTS), "no output written"
        print(f"ok: a corrupt gzip fails on Spark as in the plain run: {spark_error}")
    finally:
        spark.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
