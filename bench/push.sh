# Push a 20-layer, 1 GB image to a local registry (distribution 2.8 on loopback, started by setup) whose
# storage is wiped before every run, so every blob is uploaded: strata push from its store vs skopeo copy
# from an OCI layout of the same blobs. Both send the gzip blobs as they are (no recompression).
DESCRIPTION="push a 20-layer 1 GB image to an empty local registry (peer: skopeo copy oci: → docker://)"
GOAL_KIND=ratio
GOAL=0.8
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.bash"

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  reg_start
  reg_seed big bench/big:1
  rm -rf "$STRATA_ROOT"
  strata pull -q "$REG/bench/big:1" >/dev/null
  LAYOUT=$(reg_layout big)
  cat "$LAYOUT"/blobs/sha256/* "$STRATA_ROOT"/blobs/sha256/* >/dev/null
  note "registry $REG; image: $(reg_describe big); strata pushes from its store, skopeo from $LAYOUT"
}
prepare_strata() { reg_wipe; strata tag "$REG/bench/big:1" "$REG/push/strata$1:1"; sync; }
run_strata()     { strata push -q "$REG/push/strata$1:1"; }
prepare_peer()   { reg_wipe; sync; }
run_peer()       { skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:1" "docker://$REG/push/skopeo$1:1"; }
report() {
  note "registry storage after the last (skopeo) push: $(du -sh registry-storage | cut -f1) (a full upload)"
}
cleanup() { reg_stop; rm -rf "$STRATA_ROOT" registry-storage; }
