# `scan image` of the Debian base against a 200,000-record OSV database (synthetic: real fixture records renamed,
# 2,000 of them on the image's Debian 12 source packages; bench/lib/osv-corpus.py). Peer: trivy and grype are not
# packaged for Debian 12; the peer is the inventory step an exporting scanner takes before any matching —
# `docker save` to a file, the dpkg database extracted, `dpkg-query -W`. report: `scan db import` of the 200,000
# records (goal ≤ 30 s) and peak RSS (goal ≤ 150 MB).
DESCRIPTION="scan image of the Debian base, 200,000 OSV records (peer: docker save + dpkg-query, no matching)"
GOAL_KIND=strata_ms
source "$(dirname "${BASH_SOURCE[0]}")/lib/export-inventory.bash"
GOAL=1000
RECORDS=${SCAN_RECORDS:-200000}
setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT"
  strata import "$DEBIAN_ROOTFS" bench/debian:scan >/dev/null
  dk import "$DEBIAN_ROOTFS" bench/debian:scan >/dev/null
  strata sbom --format json bench/debian:scan \
    | python3 -c 'import json,sys; print("\n".join(sorted({p.get("sourceName") or p["name"] for p in json.load(sys.stdin)["packages"]})))' \
    | python3 "$repo/bench/lib/osv-corpus.py" "$RECORDS" corpus.zip
  local t0 t1; t0=$EPOCHREALTIME
  strata scan db import corpus.zip >/dev/null
  t1=$EPOCHREALTIME
  IMPORT_MS=$(elapsed_ms "$t0" "$t1")
  strata scan image bench/debian:scan >/dev/null   # the first read proves the imported layer
}
prepare_strata() { rm -rf "$STRATA_ROOT/scan/catalog"; }   # cold: the layer is read every time
run_strata() { strata scan image bench/debian:scan; }
run_peer() { export_inventory bench/debian:scan; }
report() {
  local t0 t1 warm=() i
  strata scan image bench/debian:scan >/dev/null
  for i in 1 2 3 4 5; do t0=$EPOCHREALTIME; strata scan image bench/debian:scan >/dev/null; t1=$EPOCHREALTIME; warm+=("$(elapsed_ms "$t0" "$t1")"); done
  note "warm (catalog cache, matching only): median $(printf '%s\n' "${warm[@]}" | sort -n | sed -n 3p) ms of 5"
  local verdict=ok; awk -v a="$IMPORT_MS" 'BEGIN { exit !(a <= 30000) }' || verdict="OVER the 30 s goal"
  note "scan db import of $RECORDS records: $IMPORT_MS ms ($verdict), $(strata scan db status | sed -n 's/^Records: //p')"
  note "findings: $(strata scan image --format json bench/debian:scan | python3 -c 'import json,sys; print(sum(len(r.get("Vulnerabilities") or []) for r in json.load(sys.stdin).get("Results", [])))')"
  local rss; rss=$( { /usr/bin/time -f %M "$STRATA_BIN" --root "$STRATA_ROOT" scan image bench/debian:scan >/dev/null; } 2>&1 | tail -1)
  note "peak RSS of strata scan image: $((rss / 1024)) MB (goal ≤ 150 MB)"
  rss=$( { /usr/bin/time -f %M "$STRATA_BIN" --root "$STRATA_ROOT" scan db import corpus.zip >/dev/null; } 2>&1 | tail -1)
  note "peak RSS of strata scan db import: $((rss / 1024)) MB (goal ≤ 150 MB)"
}
cleanup() { rm -rf "$STRATA_ROOT" peer corpus.zip; dk rmi bench/debian:scan >/dev/null; }
