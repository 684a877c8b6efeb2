# `image analyze` (dive's layer efficiency) of the Debian base plus two layers that overwrite and delete files,
# read from the store as streams. Peer: dive is not packaged for Debian 12; the peer is what dive does first with
# a daemon image: `docker save` to a file, then read every layer's tar listing. report: peak RSS (goal ≤ 150 MB).
DESCRIPTION="image analyze of the Debian base + 2 layers (peer: docker save + list every layer)"
GOAL_KIND=strata_ms
GOAL=500
setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  rm -rf "$STRATA_ROOT" ctx; mkdir -p ctx
  strata import "$DEBIAN_ROOTFS" bench/debian:base >/dev/null
  dk import "$DEBIAN_ROOTFS" bench/debian:base >/dev/null
  head -c 8000000 /dev/urandom > ctx/blob
  printf 'FROM bench/debian:base\nCOPY blob /opt/blob\nRUN cp /opt/blob /opt/blob2 && rm -rf /usr/share/doc /opt/blob\n' > ctx/Dockerfile
  strata build -q -t bench/debian:analyze ctx >/dev/null
  DOCKER_BUILDKIT=0 dk build -q -t bench/debian:analyze ctx >/dev/null
  strata image analyze bench/debian:analyze >/dev/null   # the first read proves the layers; time the steady state
}
run_strata() { strata image analyze bench/debian:analyze; }
run_peer() {
  rm -rf peer; mkdir -p peer/x
  dk save -o peer/image.tar bench/debian:analyze
  tar -xf peer/image.tar -C peer/x
  local layer; for layer in peer/x/*/layer.tar; do tar -tvf "$layer" >/dev/null; done
}
report() {
  local rss; rss=$( { /usr/bin/time -f %M "$STRATA_BIN" --root "$STRATA_ROOT" image analyze bench/debian:analyze >/dev/null; } 2>&1 | tail -1)
  note "peak RSS of strata image analyze: $((rss / 1024)) MB (goal ≤ 150 MB)"
  strata image analyze bench/debian:analyze | sed -n '1,6p' | while IFS= read -r line; do note "$line"; done
}
cleanup() { rm -rf "$STRATA_ROOT" peer ctx; dk rmi bench/debian:analyze bench/debian:base >/dev/null; }
