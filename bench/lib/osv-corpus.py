#!/usr/bin/env python3
"""Writes a synthetic OSV corpus as a zip (as osv.dev publishes per ecosystem), for the scan benchmark.

Every record is a real OSV record from Tests/ScanTests/Fixtures/osv with its id, package name and versions
changed, so the shapes (ranges, severities, aliases, database_specific) are real ones. A tenth of the records are
Debian 12 records; one in ten of those (2,000 of 200,000, about what Debian's real feed holds for the ~60 source
packages of a base image) names a source package read from stdin (one per line), so a scan of a Debian image
matches real work; the rest are spread over names no image here holds, in Debian, PyPI, npm, Go and Maven.

    osv-corpus.py COUNT OUT.zip < debian-source-names.txt
"""
import copy, json, pathlib, random, sys, zipfile

count, out = int(sys.argv[1]), sys.argv[2]
debian = [line.strip() for line in sys.stdin if line.strip()] or ["zlib"]
fixtures = pathlib.Path(__file__).resolve().parents[2] / "Tests/ScanTests/Fixtures/osv"
records = [json.loads(p.read_text()) for p in sorted(fixtures.rglob("*.json"))]
records = [r for r in records if not r.get("withdrawn") and r.get("affected")]
deb = [r for r in records if any(a["package"]["ecosystem"].startswith("Debian") for a in r["affected"])]
lang = [r for r in records if r not in deb]
rng = random.Random(42)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
    for i in range(count):
        to_debian = i % 10 == 0
        to_image = i % 100 == 0
        r = copy.deepcopy(rng.choice(deb if to_debian else lang))
        r["id"] = f"{r['id']}-BENCH{i}"
        r["aliases"] = [f"CVE-2099-{i:07d}"]
        for a in r["affected"]:
            if to_debian:
                a["package"]["ecosystem"] = "Debian:12"
                a["package"]["name"] = rng.choice(debian) if to_image else f"{rng.choice(debian)}-bench-{i % 3000}"
            else:
                a["package"]["name"] = f"{a['package']['name']}-bench-{i % 5000}"
            a["package"].pop("purl", None)
        z.writestr(f"{r['id']}.json", json.dumps(r))
