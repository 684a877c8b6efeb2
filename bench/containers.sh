# A kept container's life as a script drives it: `run --name` without --rm, `ps -a`, `rm`, against docker doing the
# same. Strata records the container in its store (name, image, exit code); docker's daemon does the same in its own.
DESCRIPTION="run --name (kept) + ps -a + rm of one container"
GOAL_KIND=ratio
GOAL=0.5

setup() {
  [ -s "$BUSYBOX_ROOTFS" ] || { echo "no busybox rootfs at '$BUSYBOX_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT"
  dk import -c 'CMD ["/bin/sh"]' "$BUSYBOX_ROOTFS" bench/containers:1 >/dev/null
  dk save bench/containers:1 | strata load >/dev/null
  strata run --rm bench/containers:1 true   # makes the layer snapshot
  dk run --rm --network host bench/containers:1 true
}
run_strata() {
  strata run --name bench-kept bench/containers:1 sh -c 'echo x > /f' >/dev/null
  strata ps -a >/dev/null
  strata rm bench-kept >/dev/null
}
run_peer() {
  dk run --network host --name bench-kept bench/containers:1 sh -c 'echo x > /f' >/dev/null
  dk ps -a >/dev/null
  dk rm bench-kept >/dev/null
}
cleanup() {
  rm -rf "$STRATA_ROOT"
  dk rm -f bench-kept >/dev/null 2>&1 || true
  dk rmi -f bench/containers:1 >/dev/null 2>&1 || true
}
