#!/usr/bin/env python3
"""A CloudTrail sample for the scale-out estimate (bench/spark.sh, spark/README.md): FILES gzip files shaped as
CloudTrail delivers them (`{"Records": [...]}`, one file per account, region and 5 minutes), RECORDS records
each, DynamoDB GetItem/Query calls of 200 colleagues and a few of the insider's, in a case copied from
testdata/cases/cloudtrail.

    python3 bench/cloudtrail_sample.py DIR [FILES] [RECORDS]    # default 100 files of 5,000 records
"""

import copy
import gzip
import json
import os
import random
import shutil
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fixture = os.path.join(root, "testdata", "cases", "cloudtrail")
sample = os.path.join(root, "testdata", "logs", "cloudtrail", "123456789012_CloudTrail_us-east-1_20190603T1005Z_EXAMPLE.json.gz")


def main():
    out = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    if os.path.exists(out):
        sys.exit(f"{out} exists")
    shutil.copytree(fixture, out)
    with open(os.path.join(out, "case.toml")) as f:
        text = f.read()
    with open(os.path.join(out, "case.toml"), "w") as f:
        f.write(text.replace('path = "../../logs/cloudtrail/*"', 'path = "logs/*.json.gz"'))
    os.makedirs(os.path.join(out, "logs"))
    with gzip.open(sample) as f:
        template = json.load(f)["Records"][0]
    rnd = random.Random(2019)
    accounts = [f"agent{i:03}" for i in range(200)]
    for n in range(files):
        minute = n * 5
        day, rest = divmod(minute, 24 * 60)
        stamp = f"201906{day % 28 + 1:02}T{rest // 60:02}{rest % 60:02}Z"
        records = []
        for i in range(per_file):
            r = copy.deepcopy(template)
            who = "k.walsh" if rnd.random() < 0.002 else rnd.choice(accounts)
            r["userIdentity"]["principalId"] = f"AROAEXAMPLEID:{who}"
            r["userIdentity"]["arn"] = f"arn:aws:sts::123456789012:assumed-role/SupportRole/{who}"
            second = rnd.randrange(300)
            r["eventTime"] = f"2019-06-{day % 28 + 1:02}T{rest // 60:02}:{rest % 60 + second // 60:02}:{second % 60:02}Z"
            r["requestParameters"]["key"] = {"customer_id": f"C{rnd.randrange(1, 1000):03}"}
            r["eventID"] = f"e-{n}-{i}"
            r["requestID"] = f"req-{n}-{i}"
            records.append(r)
        name = os.path.join(out, "logs", f"123456789012_CloudTrail_us-east-1_{stamp}_{n:05}.json.gz")
        with gzip.open(name, "wt", compresslevel=6) as f:
            json.dump({"Records": records}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
