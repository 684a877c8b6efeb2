# Pull a 20-layer, 1 GB image from a local registry (distribution 2.8 on loopback, started by setup):
# strata into an empty store vs docker pull after the image and its layers were removed (docker also
# unpacks every layer into its graph driver; strata stores the blobs and verifies diffIDs).
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
cleanup() { dk_drop_repo "$REG/bench/big"; reg_stop; rm -rf "$STRATA_ROOT" registry-storage; }
