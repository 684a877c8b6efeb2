# Pull a 20-layer, 1 GB image from a local registry (distribution 2.8 on loopback, started by setup):
# strata into an empty store vs docker pull after the image and its layers were removed (docker also
# unpacks every layer into its graph driver; strata stores the blobs and decodes them on first use, so the
# report also times strata pull followed by that first use).
DESCRIPTION="pull a 20-layer 1 GB image from a local registry (peer: docker pull)"
GOAL_KIND=ratio
GOAL=0.5
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.bash"

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  reg_start
  reg_seed big bench/big:1
  note "registry $REG (pid $REG_PID); image: $(reg_describe big), 1 GB unpacked"
  dk_drop_repo "$REG/bench/big"
}
prepare_strata() { rm -rf "$STRATA_ROOT"; sync; }
run_strata()     { strata pull -q "$REG/bench/big:1"; }
prepare_peer()   { dk_drop_repo "$REG/bench/big"; sync; }
run_peer()       { dk pull -q "$REG/bench/big:1"; }
report() {
  rm -rf "$STRATA_ROOT"; sync
  local t0 t1; t0=$EPOCHREALTIME
  "$STRATA_BIN" --root "$STRATA_ROOT" pull -q "$REG/bench/big:1" >/dev/null
  "$STRATA_BIN" --root "$STRATA_ROOT" images >/dev/null
  t1=$EPOCHREALTIME
  note "strata pull + first use (images decodes every layer, diffIDs proven): $(elapsed_ms "$t0" "$t1") ms"
}
cleanup() { dk_drop_repo "$REG/bench/big"; reg_stop; rm -rf "$STRATA_ROOT" registry-storage; }
