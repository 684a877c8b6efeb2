# Pull an image that is already here (the 20-layer 1 GB image, pulled once in setup): strata must answer
# from one manifest HEAD and its store; the peer is docker pull of an image docker already has.
DESCRIPTION="pull again: the 1 GB image is already in the store (peer: docker pull of an image it has)"
GOAL_KIND=strata_ms
GOAL=50
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.bash"

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  reg_start
  reg_seed big bench/big:1
  rm -rf "$STRATA_ROOT"
  strata pull -q "$REG/bench/big:1" >/dev/null
  dk pull -q "$REG/bench/big:1" >/dev/null
  note "registry $REG; image: $(reg_describe big), pulled once by both before timing"
}
run_strata() { strata pull -q "$REG/bench/big:1"; }
run_peer()   { dk pull -q "$REG/bench/big:1"; }
cleanup() { dk_drop_repo "$REG/bench/big"; reg_stop; rm -rf "$STRATA_ROOT" registry-storage; }
