# `sbom` of the Debian base (one 120 MB layer, ~90 dpkg packages), read from the store as a stream.
# Peer: no SBOM tool is packaged for Debian 12 (syft and trivy are not), so the peer is the first step they take
# with a daemon image plus the inventory itself: `docker save` to a file, the status database extracted from the
# layer, and `dpkg-query -W` over it. report: peak RSS of strata (goal ≤ 150 MB) and the SPDX/CycloneDX timings.
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
run_strata() { strata sbom bench/debian:sbom; }
run_peer() { export_inventory bench/debian:sbom; }
report() {
  local f t0 t1
  for f in spdx-json cyclonedx-json; do
    t0=$EPOCHREALTIME; strata sbom --format "$f" -o sbom.out bench/debian:sbom; t1=$EPOCHREALTIME
    note "sbom --format $f: $(elapsed_ms "$t0" "$t1") ms, $(wc -c < sbom.out) bytes"
  done
  local rss; rss=$( { /usr/bin/time -f %M "$STRATA_BIN" --root "$STRATA_ROOT" sbom bench/debian:sbom >/dev/null; } 2>&1 | tail -1)
  note "peak RSS of strata sbom: $((rss / 1024)) MB (goal ≤ 150 MB)"
}
cleanup() { rm -rf "$STRATA_ROOT" peer sbom.out; dk rmi bench/debian:sbom >/dev/null; }
