# `strata run --rm busybox true` against `docker run --rm busybox true`: the cost of starting and
# tearing down one container (snapshot mount, namespaces, exec, wait, cleanup). The layer snapshot is
# made once in setup, as docker's image layers are already unpacked.
DESCRIPTION="run --rm busybox true (container start to exit)"
GOAL_KIND=ratio
GOAL=0.5

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
cleanup() { rm -rf "$STRATA_ROOT"; dk rmi -f bench/run:1 >/dev/null 2>&1 || true; }
