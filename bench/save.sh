# Save the Debian bookworm image (~200 MB uncompressed layer) to a docker-archive file: strata (gzip blob →
# uncompressed tar, diffID checked while streaming) against docker save of the same image.
DESCRIPTION="save debian (~200 MB layer) as a docker-archive"
GOAL_KIND=ratio
GOAL=0.5

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT"
  strata import "$DEBIAN_ROOTFS" bench/save:1 >/dev/null
  dk import "$DEBIAN_ROOTFS" bench/save:1 >/dev/null
  note "image: debian rootfs $(du -h "$DEBIAN_ROOTFS" | cut -f1) imported into both stores"
}
prepare_strata() { rm -f out.tar; sync; }
run_strata()     { strata save -o out.tar bench/save:1; }
prepare_peer()   { rm -f out.tar; sync; }
run_peer()       { dk save -o out.tar bench/save:1; }
report() {
  rm -f out.tar
  /usr/bin/time -v "$STRATA_BIN" --root "$STRATA_ROOT" save -o out.tar bench/save:1 2>rss.txt
  note "strata save peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' rss.txt); archive $(du -h out.tar | cut -f1)"
  rm -f out.tar
}
cleanup() { rm -rf "$STRATA_ROOT" out.tar; dk rmi -f bench/save:1 >/dev/null 2>&1 || true; }
