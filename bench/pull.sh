# Pull a 20-layer, 1 GB image from a local registry (distribution 2.8 on loopback, started by setup):
# strata into an empty store vs skopeo copy into an empty OCI directory. Each run starts from nothing.
# report: peak RSS of strata pull of that image (goal under 100 MB), and the Debian image pulled both ways.
# Both check every blob digest and neither decodes the tars: strata proves diffIDs on first use, so the report
# also times that deferred pass (the first `strata images` after a pull decodes all 20 layers).
DESCRIPTION="pull a 20-layer 1 GB image from a local registry (peer: skopeo copy docker:// → oci:)"
GOAL_KIND=ratio
GOAL=0.7
RSS_GOAL_KB=$((100 * 1024))
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.bash"

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  reg_start
  reg_seed big bench/big:1
  note "registry $REG (pid $REG_PID); image: $(reg_describe big), 1 GB unpacked"
}
prepare_strata() { rm -rf "$STRATA_ROOT"; sync; }
run_strata()     { strata pull -q "$REG/bench/big:1"; }
prepare_peer()   { rm -rf oci-out; sync; }
run_peer()       { skopeo copy -q --src-tls-verify=false "docker://$REG/bench/big:1" oci:oci-out:1; }

# median_ms CMD...: runs CMD (after PREP, if set) 3 times, prints the median wall time in ms.
median_ms() {
  local i t0 t1 times=()
  for i in 1 2 3; do
    ${PREP:+$PREP}; sync
    t0=$EPOCHREALTIME; "$@" >/dev/null; t1=$EPOCHREALTIME
    times+=("$(elapsed_ms "$t0" "$t1")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}
report() {
  rm -rf "$STRATA_ROOT"; sync
  /usr/bin/time -f %M -o rss-pull.txt "$STRATA_BIN" --root "$STRATA_ROOT" pull -q "$REG/bench/big:1" >/dev/null
  local kb verdict=ok; kb=$(cat rss-pull.txt)
  ((kb <= RSS_GOAL_KB)) || verdict="OVER the 100 MB goal"
  note "strata pull (1 GB image) peak RSS: $(awk -v k="$kb" 'BEGIN { printf "%.1f MB", k / 1024 }') ($verdict)"
  local t0 t1; t0=$EPOCHREALTIME
  "$STRATA_BIN" --root "$STRATA_ROOT" images >/dev/null
  t1=$EPOCHREALTIME
  note "deferred decode: the first strata images after that pull (diffIDs proven, sizes measured) took $(elapsed_ms "$t0" "$t1") ms"
  reg_seed debian bench/debian:1
  local s p
  s=$(PREP="rm -rf $STRATA_ROOT" median_ms "$STRATA_BIN" --root "$STRATA_ROOT" pull -q "$REG/bench/debian:1")
  p=$(PREP="rm -rf oci-out" median_ms skopeo copy -q --src-tls-verify=false "docker://$REG/bench/debian:1" oci:oci-out:1)
  note "debian ($(reg_describe debian)), median of 3: strata pull $s ms, skopeo copy $p ms, ratio $(awk -v a="$s" -v b="$p" 'BEGIN { printf "%.3f", a / b }')"
}
cleanup() { reg_stop; rm -rf "$STRATA_ROOT" oci-out registry-storage rss-pull.txt; }
