# Load the Debian bookworm image from a docker-archive written by docker save: strata (layer compressed with
# parallel gzip into the store, diffID checked) into an empty store, docker after its copy was removed.
DESCRIPTION="load debian (~200 MB layer) from a docker-archive into an empty store"
GOAL_KIND=ratio
GOAL=0.5

drop_peer_images() {
  dk images -q --no-trunc bench/load | sort -u | xargs -r /usr/bin/docker rmi -f >/dev/null
  dk image prune -f >/dev/null
}
setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  dk import "$DEBIAN_ROOTFS" bench/load:1 >/dev/null
  dk save -o in.tar bench/load:1
  note "input: docker save of the debian rootfs, $(du -h in.tar | cut -f1); page cache warmed"
  cat in.tar >/dev/null
}
prepare_strata() { rm -rf "$STRATA_ROOT"; sync; }
run_strata()     { strata load -i in.tar >/dev/null; }
prepare_peer()   { drop_peer_images; sync; }
run_peer()       { dk load -i in.tar >/dev/null; }
report() {
  rm -rf "$STRATA_ROOT"
  /usr/bin/time -v "$STRATA_BIN" --root "$STRATA_ROOT" load -i in.tar >/dev/null 2>rss.txt
  note "strata load peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' rss.txt)"
}
cleanup() { rm -rf "$STRATA_ROOT" in.tar; drop_peer_images; }
