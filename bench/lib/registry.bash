# Shared by the registry benchmarks (bench/pull*.sh, bench/push.sh); sourced, not a benchmark itself.
# A private distribution 2.8 registry on a free loopback port with its storage under the benchmark's scratch
# dir (no blob-descriptor cache, so wiping the storage between runs really empties it), and the two images:
#   big     20 gzip layers, 50 MiB of files each (1 GB unpacked): half random, half Debian bytes (~3:1)
#   debian  the Debian bookworm rootfs as one gzip layer
# The OCI layouts are generated once and kept in $BENCH_WORK/registry-images (delete it to regenerate).

REG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REG_IMAGES=${BENCH_WORK:-/tmp/strata-bench}/registry-images
REG_PID=
REG=

reg_start() {
  local port storage=$BENCH_DIR/registry-storage
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$storage"; mkdir -p "$storage"
  cat >registry.yml <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  setsid /usr/bin/docker-registry serve registry.yml >registry.log 2>&1 </dev/null &
  REG_PID=$!
  # The subshell's EXIT: stops the registry even when setup or a run fails (and with KEEP=1).
  trap reg_stop EXIT
  REG=127.0.0.1:$port
  local i
  for i in $(seq 100); do
    curl -sf "http://$REG/v2/" >/dev/null && return 0
    sleep 0.1
  done
  echo "registry did not start, see $BENCH_DIR/registry.log" >&2
  return 1
}

reg_stop() {
  [ -n "$REG_PID" ] || return 0
  kill "$REG_PID" 2>/dev/null || true
  wait "$REG_PID" 2>/dev/null || true
  REG_PID=
}

# Empties the registry's storage (the registry keeps no state elsewhere).
reg_wipe() { rm -rf "$BENCH_DIR/registry-storage/docker"; }

# reg_layout NAME: path of the OCI layout of image NAME (big | debian), generated when missing.
reg_layout() {
  local name=$1 dir=$REG_IMAGES/$1
  if [ ! -s "$dir/index.json" ]; then
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    case "$name" in
      big) python3 "$REG_LIB_DIR/make-layout.py" synthetic "$dir.tmp" 20 50 "$DEBIAN_ROOTFS" >&2 ;;
      debian) python3 "$REG_LIB_DIR/make-layout.py" tar "$dir.tmp" "$DEBIAN_ROOTFS" >&2 ;;
      *) echo "unknown bench image $name" >&2; return 1 ;;
    esac
    rm -rf "$dir"; mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# reg_seed NAME REPO:TAG: pushes image NAME to the registry (docker v2s2 manifest, blobs as they are).
reg_seed() {
  local layout
  layout=$(reg_layout "$1")
  skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$layout:1" "docker://$REG/$2" >/dev/null
  # Warm the page cache for the registry's copy, as for every other benchmark's input.
  cat "$BENCH_DIR"/registry-storage/docker/registry/v2/blobs/sha256/*/*/data >/dev/null
}

# Sizes of a layout: "N layers, X MB compressed".
reg_describe() {
  python3 - "$(reg_layout "$1")" <<'PY'
import json, os, sys
d = sys.argv[1]
index = json.load(open(os.path.join(d, "index.json")))
m = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(open(os.path.join(d, "blobs", "sha256", m)))
total = sum(l["size"] for l in manifest["layers"])
print(f'{len(manifest["layers"])} layers, {total / 1e6:.0f} MB compressed')
PY
}

# Docker peer: forget every image of repository REPO (and dangling layers) so the next pull downloads.
dk_drop_repo() {
  dk images -q --no-trunc "$1" | sort -u | xargs -r /usr/bin/docker rmi -f >/dev/null
  dk image prune -f >/dev/null
}
