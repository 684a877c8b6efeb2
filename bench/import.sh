# Import the Debian bookworm minbase rootfs (~200 MB tar) — strata into an empty store, docker after its
# copy of the image and layer were removed, so neither side gets a cache hit.
DESCRIPTION="import debian-rootfs.tar (~200 MB) into an empty store"
GOAL_KIND=ratio
GOAL=1.0

drop_peer_images() {
  dk images -q --no-trunc bench/import | sort -u | xargs -r /usr/bin/docker rmi -f >/dev/null
  dk image prune -f >/dev/null
}
setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  note "input: $DEBIAN_ROOTFS ($(du -h "$DEBIAN_ROOTFS" | cut -f1)); page cache warmed for both"
  cat "$DEBIAN_ROOTFS" >/dev/null
}
prepare_strata() { rm -rf "$STRATA_ROOT"; sync; }
run_strata()     { strata import "$DEBIAN_ROOTFS" "bench/import:$1"; }
prepare_peer()   { drop_peer_images; sync; }
run_peer()       { dk import "$DEBIAN_ROOTFS" "bench/import:$1"; }
report() {
  rm -rf "$STRATA_ROOT"
  /usr/bin/time -v "$STRATA_BIN" --root "$STRATA_ROOT" import "$DEBIAN_ROOTFS" bench/import:rss >/dev/null 2>rss.txt
  note "strata import peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' rss.txt)"
  local pid; pid=$(cat "$(dirname "${DOCKER_HOST#unix://}")/bench-docker.pid" 2>/dev/null || true)
  [ -z "$pid" ] || note "dockerd peak RSS so far (VmHWM, whole daemon lifetime): $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status")"
}
cleanup() { rm -rf "$STRATA_ROOT"; drop_peer_images; }
