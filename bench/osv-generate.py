#!/usr/bin/env python3
"""Writes a large OSV zip (osv.dev's all.zip layout: one ID.json per record) for the import benchmark by multiplying
the real records in Tests/ScanTests/Fixtures/osv: copy n of record R gets the ID "R-n" and its packages the names
"NAME-<n % names>" (so lookups hit a realistic number of records per package).

    bench/osv-generate.py OUT.zip [COUNT=200000] [NAMES=2000]

Then time the import and a match with the benchmark test:

    STRATA_OSV_BENCH_ZIP=OUT.zip swift test --skip-build --filter VulnerabilityBenchmarkTests
"""
import json, os, sys, zipfile

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
names = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ScanTests", "Fixtures", "osv")
templates = []
for directory, _, files in os.walk(root):
    for name in sorted(files):
        if name.endswith(".json"):
            record = json.load(open(os.path.join(directory, name)))
            if "withdrawn" not in record:
                templates.append(record)
templates.sort(key=lambda r: r["id"])
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    for n in range(count):
        record = json.loads(json.dumps(templates[n % len(templates)]))
        record["id"] = f'{record["id"]}-{n}'
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            package["name"] = f'{package["name"]}-{n % names}'
        z.writestr(record["id"] + ".json", json.dumps(record, indent=2))
print(f"{out}: {count} records from {len(templates)} templates, {os.path.getsize(out)} bytes")
