# `strata run --rm busybox true` against `docker run --rm busybox true`: the cost of starting and
# tearing down one container (snapshot mount, namespaces, exec, wait, cleanup). The layer snapshot is
# made once in setup, as docker's image layers are already unpacked.
DESCRIPTION="run --rm busybox true (container start to exit)"
GOAL_KIND=ratio
GOAL=0.5
source "$(dirname "${BASH_SOURCE[0]}")/lib/confinement.bash"

setup() {
  [ -s "$BUSYBOX_ROOTFS" ] || { echo "no busybox rootfs at '$BUSYBOX_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT"
  dk import -c 'CMD ["/bin/sh"]' "$BUSYBOX_ROOTFS" bench/run:1 >/dev/null
  dk save bench/run:1 | strata load >/dev/null
  strata run --rm bench/run:1 true   # makes the layer snapshot
  dk run --rm bench/run:1 true       # warms the daemon
}
run_strata() { strata run --rm bench/run:1 true; }
run_peer()   { dk run --rm bench/run:1 true; }
# The cost of docker's confinement: the same run confined and with the filter, the masks and the capability drop
# turned off (--privileged would also copy every host device node, which costs more than it saves).
# BASELINE_BIN=<an older strata> times that binary too (e.g. one from before confinement).
report() {
  local confined unconfined
  confined=$(median_ms strata run --rm bench/run:1 true)
  unconfined=$(median_ms strata run --rm --cap-add ALL --security-opt seccomp=unconfined \
    --security-opt systempaths=unconfined bench/run:1 true)
  confinement_note "run --rm true" "$confined" "$unconfined"
  if [ -x "${BASELINE_BIN:-}" ]; then
    note "baseline $BASELINE_BIN: $(median_ms "$BASELINE_BIN" --root "$STRATA_ROOT" run --rm bench/run:1 true) ms"
  fi
}
cleanup() { rm -rf "$STRATA_ROOT"; dk rmi -f bench/run:1 >/dev/null 2>&1 || true; }
