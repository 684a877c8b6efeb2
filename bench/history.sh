# `history` of one imported busybox image in an otherwise empty store.
DESCRIPTION="history of one image"
GOAL_KIND=strata_ms
GOAL=20
setup() {
  rm -rf "$STRATA_ROOT"
  strata import -c 'CMD ["/bin/sh"]' "$BUSYBOX_ROOTFS" bench/one:latest >/dev/null
  dk import -c 'CMD ["/bin/sh"]' "$BUSYBOX_ROOTFS" bench/one:latest >/dev/null
}
run_strata() { strata history bench/one:latest; }
run_peer()   { dk history bench/one:latest; }
cleanup()    { rm -rf "$STRATA_ROOT"; dk rmi bench/one:latest >/dev/null; }
