#!/usr/bin/env python3
"""breachscope on Apache Spark: the log scan as Spark tasks, the rest of the analysis on the driver.

    python spark/breachscope_spark.py CASE.toml --out DIR [--master URL] [--binary PATH]
    spark-submit spark/breachscope_spark.py CASE.toml --out DIR [--binary PATH]

1. Lists the case's log files: local paths (as breachscope itself matches them: `breachscope scan --list`)
   and object-store/HDFS URIs (`s3://`, `gs://`, `abfss://`, `hdfs://`, `file://`), listed through
   pyarrow.fs on the driver and handed to breachscope as a listing (`--listing`).
2. Splits big plain (uncompressed) CSV logs into byte ranges (`--split-bytes`), each with one more task that
   hashes the whole file for the manifest (`scan --digest-only`).
3. Ships the binary and the case folder (without its logs) to the executors (SparkContext.addFile).
4. Each task streams its file's bytes (or its range, after the file's first 64 KiB) through pyarrow.fs into
   `breachscope scan --stdin` (gzip and zstd are decompressed by breachscope) and copies the part it writes
   into the parts folder (local or a URI).
5. Runs `breachscope analyze CASE --parts ...` on the driver, writing the usual outputs into DIR: they equal
   a plain `breachscope analyze` of the same files byte for byte (report.json and manifest apart from the
   command line and times).

A task that fails (a corrupt gzip, a record breachscope rejects the whole file for) fails the job with
breachscope's own one-line message, and nothing is written into DIR.
"""

import argparse
import fnmatch
import hashlib
import json
import os
import posixpath
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

# As breachscope's RANGE_HEAD: bytes of a file's start sent before a range that starts later.
RANGE_HEAD = 64 * 1024
CHUNK = 1 << 20
DEFAULT_SPLIT = 256 << 20
# Bytes of files one Spark task scans, about (small files are grouped).
DEFAULT_BATCH = 256 << 20
# Marks breachscope's message in a failed task's exception (built so that it is not in this source).
FAILED = "BREACHSCOPE" + "_FAILED: "
GLOB_CHARS = "*?["


def fail(message):
    print(f"breachscope-spark: error: {message}", file=sys.stderr)
    sys.exit(1)


def is_uri(path):
    return "://" in path


def filesystem(uri_or_path):
    """(pyarrow FileSystem, path inside it) for a URI or a local path."""
    from pyarrow import fs

    if is_uri(uri_or_path):
        return fs.FileSystem.from_uri(uri_or_path)
    return fs.LocalFileSystem(), os.path.abspath(uri_or_path)


def list_uri(pattern, sizes):
    """The files a URI pattern (`s3://bucket/logs/*.json.gz`) matches, as URIs, sorted; their sizes go into
    `sizes` (the listing has them: no request per file)."""
    from pyarrow import fs as pafs

    scheme, rest = pattern.split("://", 1)
    parts = rest.split("/")
    fixed = []
    for p in parts:
        if any(c in p for c in GLOB_CHARS):
            break
        fixed.append(p)
    base_uri = f"{scheme}://" + "/".join(fixed)
    filesys, base = pafs.FileSystem.from_uri(base_uri)
    if len(fixed) == len(parts):
        info = filesys.get_file_info(base)
        if info.type != pafs.FileType.File:
            return []
        sizes[pattern] = info.size
        return [pattern]
    prefix = base_uri[: len(base_uri) - len(base)] if base_uri.endswith(base) else f"{scheme}://"
    wanted = base + "/" + "/".join(parts[len(fixed):]) if base else "/".join(parts[len(fixed):])
    infos = filesys.get_file_info(pafs.FileSelector(base, recursive="**" in pattern or len(parts) - len(fixed) > 1))
    found = sorted((i.path, i.size) for i in infos if i.type == pafs.FileType.File and fnmatch.fnmatchcase(i.path, wanted))
    for p, size in found:
        sizes[prefix + p] = size
    return [prefix + p for p, _ in found]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def breachscope_error(stderr):
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "(no message)"


def case_logs(case_path):
    """The [[logs]] sections of the case file: (path as written, declared format)."""
    with open(case_path, "rb") as f:
        data = f.read()
    if tomllib is None:
        raise BreachscopeFailed("Python 3.11 or later is needed (tomllib)")
    case = tomllib.loads(data.decode("utf-8"))
    return [(log["path"], log.get("format")) for log in case.get("logs", [])]


def plan(case, split_bytes, binary, work):
    """The listing (every log's files) and the tasks."""
    logs = case_logs(case)
    uri_listing = {}
    sizes = {}
    for pattern, _ in logs:
        if is_uri(pattern):
            files = list_uri(pattern, sizes)
            if not files:
                raise BreachscopeFailed(f"{pattern}: no log file matches this URI")
            uri_listing[pattern] = files
    listing_path = os.path.join(work, "listing.json")
    with open(listing_path, "w") as f:
        json.dump(uri_listing, f)
    listed = run([binary, "-q", "scan", case, "--listing", listing_path, "--list"])
    if listed.returncode != 0:
        raise BreachscopeFailed(breachscope_error(listed.stderr))
    files = json.loads(listed.stdout)
    # Every log listed (local ones as breachscope matched them), for the executors, which have no logs.
    listing = {}
    for f in files:
        listing.setdefault(f["pattern"], []).append(f["path"] if is_uri(f["path"]) else f["file"])
    with open(listing_path, "w") as f:
        json.dump(listing, f, indent=1, sort_keys=True)
    formats = dict(logs)
    tasks = []
    for f in files:
        filesys, inner = filesystem(f["path"])
        size = sizes[f["path"]] if f["path"] in sizes else filesys.get_file_info(inner).size
        base = {"file": f["file"], "source": f["source"], "path": f["path"], "bytes": size}
        splittable = formats.get(f["pattern"]) == "csv" and size > split_bytes
        if splittable:
            # Only a big CSV log is opened here: compressed and Parquet files are read whole.
            with filesys.open_input_stream(inner, compression=None) as stream:
                head = stream.read(4)
            splittable = not (head.startswith(b"\x1f\x8b") or head.startswith(b"\x28\xb5\x2f\xfd") or head.startswith(b"PAR1"))
        if splittable:
            for start in range(0, size, split_bytes):
                end = start + split_bytes if start + split_bytes < size else size + 1
                tasks.append(dict(base, kind="range", start=start, end=end, bytes=min(split_bytes, size - start)))
            tasks.append(dict(base, kind="digest", bytes=0))
        else:
            tasks.append(dict(base, kind="whole"))
    return listing_path, tasks


def case_archive(case, listing_path, work, skip):
    """The case folder without its log files, zipped (with the listing), for the executors."""
    case_dir = os.path.dirname(os.path.abspath(case))
    with open(listing_path) as f:
        listing = json.load(f)
    logs = {os.path.normpath(os.path.join(case_dir, p)) for files in listing.values() for p in files if not is_uri(p)}
    archive = os.path.join(work, "breachscope-case.zip")
    named = None
    skip_dirs = {os.path.abspath(p) for p in [work, *skip]}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for root, dirs, names in os.walk(case_dir):
            dirs[:] = sorted(d for d in dirs if os.path.abspath(os.path.join(root, d)) not in skip_dirs)
            for name in sorted(names):
                full = os.path.join(root, name)
                if os.path.normpath(full) in logs:
                    continue
                z.write(full, os.path.relpath(full, case_dir))
        z.write(listing_path, "__breachscope_listing.json")
    # Named by its content: a Spark context takes each file name once.
    with open(archive, "rb") as f:
        named = os.path.join(work, f"breachscope-case-{hashlib.sha256(f.read()).hexdigest()[:16]}.zip")
    os.rename(archive, named)
    return named


def batches(tasks, batch_bytes):
    """Tasks grouped into Spark tasks of about `batch_bytes` each (CloudTrail delivers many small files: a
    Spark task per file would cost more to schedule than to read), in order."""
    out, current, size = [], [], 0
    for t in tasks:
        if current and size + t["bytes"] > batch_bytes:
            out.append(current)
            current, size = [], 0
        current.append(t)
        size += t["bytes"]
    if current:
        out.append(current)
    return out


def task_runner(binary_name, archive_name, case_name, parts_dir, env):
    """The function each Spark task runs on its batch of files (closes over plain values only)."""

    def run_task(task):
        from pyspark import SparkFiles

        binary = SparkFiles.get(binary_name)
        mode = os.stat(binary).st_mode
        if not mode & stat.S_IXUSR:
            os.chmod(binary, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        archive = SparkFiles.get(archive_name)
        # One unpacked case per executor and archive.
        digest = hashlib.sha256(open(archive, "rb").read()).hexdigest()[:16]
        case_dir = os.path.join(tempfile.gettempdir(), f"breachscope-case-{digest}")
        if not os.path.isdir(case_dir):
            unpack = tempfile.mkdtemp(prefix="breachscope-case-")
            with zipfile.ZipFile(archive) as z:
                z.extractall(unpack)
            try:
                os.rename(unpack, case_dir)
            except OSError:
                shutil.rmtree(unpack, ignore_errors=True)  # another task unpacked it first
        case = os.path.join(case_dir, case_name)
        out = tempfile.mkdtemp(prefix="breachscope-part-")
        try:
            cmd = [binary, "-q", "scan", case, "--listing", os.path.join(case_dir, "__breachscope_listing.json"), "--stdin",
                   "--file-name", task["file"], "--source", task["source"], "--out", out, "--force"]
            if task["kind"] == "range":
                cmd += ["--byte-range", f"{task['start']}:{task['end']}"]
            elif task["kind"] == "digest":
                cmd += ["--digest-only"]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, **env))
            filesys, inner = filesystem(task["path"])
            try:
                if task["kind"] == "range":
                    with filesys.open_input_file(inner) as f:
                        head = f.read_at(min(task["start"], RANGE_HEAD), 0)
                        proc.stdin.write(head)
                        f.seek(task["start"])
                        while True:
                            chunk = f.read(CHUNK)
                            if not chunk:
                                break
                            proc.stdin.write(chunk)
                else:
                    with filesys.open_input_stream(inner, compression=None) as f:
                        while True:
                            chunk = f.read(CHUNK)
                            if not chunk:
                                break
                            proc.stdin.write(chunk)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # a range: breachscope read what it needs and closed its input
            stderr = proc.stderr.read().decode("utf-8", "replace")
            if proc.wait() != 0:
                raise RuntimeError(FAILED + breachscope_error(stderr))
            written = sorted(os.listdir(out))
            dest_fs, dest = filesystem(parts_dir)
            # The Parquet file first: a part's JSON names a complete part.
            for name in sorted(written, key=lambda n: n.endswith(".part.json")):
                with open(os.path.join(out, name), "rb") as src, dest_fs.open_output_stream(posixpath.join(dest, name)) as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
            return written
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def run_batch(batch):
        return [name for task in batch for name in run_task(task)]

    return run_batch


class BreachscopeFailed(Exception):
    """breachscope (a task's scan, or the analysis) failed; the message is breachscope's own line."""


def run_case(sc, case, out, binary, parts=None, split_bytes=DEFAULT_SPLIT, force=False, analyze_args=(), quiet=False, batch_bytes=DEFAULT_BATCH):
    """Scans the case's logs as Spark tasks on `sc` and analyses the parts on the driver, writing the
    outputs into `out`. Returns analyze's exit code; raises BreachscopeFailed when a task fails."""
    case = os.path.abspath(case)
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    parts_dir = parts or os.path.join(out, "parts")
    if not is_uri(parts_dir):
        parts_dir = os.path.abspath(parts_dir)
        if os.path.isdir(parts_dir) and os.listdir(parts_dir) and not force:
            raise BreachscopeFailed(f"{parts_dir}: the parts folder is not empty (give --force to replace its parts, or another --parts)")
        if force and os.path.isdir(parts_dir):
            shutil.rmtree(parts_dir)
    dest_fs, dest = filesystem(parts_dir)
    dest_fs.create_dir(dest, recursive=True)
    work = tempfile.mkdtemp(prefix="breachscope-spark-")
    try:
        listing, tasks = plan(case, split_bytes, binary, work)
        archive = case_archive(case, listing, work, [out] + ([] if is_uri(parts_dir) else [parts_dir]))
        sc.addFile(binary)
        sc.addFile(archive)
        if __name__ != "__main__":
            # Imported (as the tests do): the tasks' functions live in this module, which the workers import.
            sc.addPyFile(os.path.abspath(__file__))
        env = {k: v for k, v in os.environ.items() if k.startswith("BREACHSCOPE_")}
        runner = task_runner(os.path.basename(binary), os.path.basename(archive), os.path.basename(case), parts_dir, env)
        # At least 4 Spark tasks per slot, so that every executor core has work (sizes are as stored: a
        # compressed file reads as several times its size).
        total = sum(t["bytes"] for t in tasks)
        batch_bytes = max(1, min(batch_bytes, total // (4 * max(1, sc.defaultParallelism)) + 1))
        if not quiet:
            print(f"breachscope-spark: {len(tasks)} scan(s) of {len({t['file'] for t in tasks})} log file(s) in {len(batches(tasks, batch_bytes))} Spark task(s)", file=sys.stderr)
        try:
            grouped = batches(tasks, batch_bytes)
            sc.parallelize(grouped, max(1, len(grouped))).map(runner).collect()
        except Exception as e:  # a task's breachscope error, as breachscope said it
            text = str(e)
            if FAILED in text:
                raise BreachscopeFailed(text[text.rindex(FAILED) + len(FAILED):].splitlines()[0]) from None
            raise
        # The parts on the driver (copied here when they went to object storage).
        local_parts = parts_dir
        if is_uri(parts_dir):
            from pyarrow import fs as pafs

            local_parts = os.path.join(work, "parts")
            pafs.copy_files(parts_dir, local_parts)
        cmd = [binary] + (["-q"] if quiet else []) + ["analyze", case, "--listing", listing, "--parts", local_parts]
        for flag, name in [("--out", "affected_customers.csv"), ("--report", "report.json"), ("--rejects", "rejects.csv"),
                           ("--people", "affected_people.csv"), ("--jurisdictions", "jurisdictions.csv"),
                           ("--actions", "actions.csv"), ("--manifest", "manifest.json")]:
            cmd += [flag, os.path.join(out, name)]
        if force:
            cmd.append("--force")
        cmd += list(analyze_args)
        return subprocess.run(cmd).returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


def spark_context(master=None):
    """A Spark context (the session's); in local mode the workers run this Python (with pyarrow)."""
    if (master or os.environ.get("MASTER", "local")).startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("breachscope")
    if master:
        builder = builder.master(master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def find_binary(name):
    binary = shutil.which(name) or (name if os.path.isfile(name) else None)
    if not binary:
        raise BreachscopeFailed(f"{name}: no such binary (give --binary PATH or put breachscope on the PATH)")
    return os.path.abspath(binary)


def main():
    p = argparse.ArgumentParser(description="Run breachscope's log scan as Spark tasks and the analysis on the driver.", epilog="Flags after -- go to breachscope analyze (--html FILE, --per record, --strict...).")
    p.add_argument("case", help="the case file (TOML); its log paths may be local or URIs (s3://, gs://, abfss://, hdfs://, file://)")
    p.add_argument("--out", required=True, help="folder for the outputs (notification list, report.json, manifest...)")
    p.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    p.add_argument("--binary", default="breachscope", help="the breachscope binary (default: breachscope on the PATH)")
    p.add_argument("--parts", help="where the tasks write the parts: a folder or a URI (default: OUT/parts)")
    p.add_argument("--split-bytes", type=int, default=DEFAULT_SPLIT, help="plain CSV logs larger than this are read in byte ranges of this size (default 256 MiB)")
    p.add_argument("--batch-bytes", type=int, default=DEFAULT_BATCH, help="small files are grouped into Spark tasks of about this many bytes (default 256 MiB; 0: a task per file)")
    p.add_argument("--force", action="store_true", help="overwrite outputs and parts")
    argv = sys.argv[1:]
    # After `--`: more flags for breachscope analyze (--html FILE, --per record...).
    analyze_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = p.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.analyze_args = analyze_args
    try:
        binary = find_binary(args.binary)
        spark = spark_context(args.master)
        try:
            code = run_case(spark.sparkContext, args.case, args.out, binary, args.parts, args.split_bytes, args.force, args.analyze_args, batch_bytes=args.batch_bytes)
        finally:
            spark.stop()
    except BreachscopeFailed as e:
        fail(str(e))
    sys.exit(code)


if __name__ == "__main__":
    main()
