# `sbom` of the Debian base (one 120 MB layer, ~90 dpkg packages), read from the store as a stream.
# Peer: no SBOM tool is packaged for Debian 12 (syft and trivy are not), so the peer is the first step they take
# with a daemon image plus the inventory itself: `docker save` to a file, the status database extracted from the
# layer, and `dpkg-query -W` over it. The timed runs are cold: the catalog cache (<root>/scan/catalog) is emptied
# before each, so the layer is read every time. report: the warm run (answered from the cache), peak RSS (goal
# ≤ 150 MB) and the SPDX/CycloneDX timings.
DESCRIPTION="sbom of the Debian base (peer: docker save + extract var/lib/dpkg + dpkg-query)"
GOAL_KIND=strata_ms
source "$(dirname "${BASH_SOURCE[0]}")/lib/export-inventory.bash"
GOAL=300
setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT"
  strata import "$DEBIAN_ROOTFS" bench/debian:sbom >/dev/null
  dk import "$DEBIAN_ROOTFS" bench/debian:sbom >/dev/null
  strata sbom bench/debian:sbom >/dev/null   # the first read proves the imported layer; time the steady state
}
prepare_strata() { rm -rf "$STRATA_ROOT/scan/catalog"; }
run_strata() { strata sbom bench/debian:sbom; }
run_peer() { export_inventory bench/debian:sbom; }
report() {
  local f t0 t1 warm=()
  strata sbom bench/debian:sbom >/dev/null
  for f in 1 2 3 4 5; do t0=$EPOCHREALTIME; strata sbom bench/debian:sbom >/dev/null; t1=$EPOCHREALTIME; warm+=("$(elapsed_ms "$t0" "$t1")"); done
  note "warm (catalog cache): median $(printf '%s\n' "${warm[@]}" | sort -n | sed -n 3p) ms of 5"
  for f in spdx-json cyclonedx-json; do
    t0=$EPOCHREALTIME; strata sbom --format "$f" -o sbom.out bench/debian:sbom; t1=$EPOCHREALTIME
    note "sbom --format $f: $(elapsed_ms "$t0" "$t1") ms, $(wc -c < sbom.out) bytes"
  done
  local rss; rss=$( { /usr/bin/time -f %M "$STRATA_BIN" --root "$STRATA_ROOT" sbom bench/debian:sbom >/dev/null; } 2>&1 | tail -1)
  note "peak RSS of strata sbom: $((rss / 1024)) MB (goal ≤ 150 MB)"
}
cleanup() { rm -rf "$STRATA_ROOT" peer sbom.out; dk rmi bench/debian:sbom >/dev/null; }
