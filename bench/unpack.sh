# Unpack the Debian bookworm minbase image (~200 MB rootfs, one gzip layer) into an empty directory:
# `strata image unpack` vs `umoci unpack` (the "docker" column). Both read the very same gzip blob —
# the OCI layout for umoci is built from strata's stored layer — with the page cache warm and their
# output directories removed (and synced) before every run. umoci also writes its mtree manifest and
# runtime config; that is part of what `umoci unpack` costs. Every run unpacks into a directory of its own
# and the outputs are deleted only at the end: on ext4 the inode allocator scans past inodes freed in the
# last ~30 s, so deleting the previous output right before a run bills both tools seconds of kernel time.
DESCRIPTION="image unpack of debian:bookworm vs umoci unpack"
GOAL_KIND=ratio
GOAL=0.3

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  command -v umoci >/dev/null || { echo "umoci is not installed" >&2; return 1; }
  rm -rf "$STRATA_ROOT" oci
  strata import "$DEBIAN_ROOTFS" bench/unpack:1 >/dev/null
  local config layer size csize diff_id config_sum manifest manifest_sum
  layer=$(find "$STRATA_ROOT/blobs/sha256" -type f -size +10M -printf '%f\n' | head -1)
  size=$(stat -c %s "$STRATA_ROOT/blobs/sha256/$layer")
  diff_id=$(strata image inspect --format '{{index .RootFS.Layers 0}}' bench/unpack:1)
  mkdir -p oci/blobs/sha256
  echo '{"imageLayoutVersion":"1.0.0"}' >oci/oci-layout
  cp "$STRATA_ROOT/blobs/sha256/$layer" oci/blobs/sha256/
  config='{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["'$diff_id'"]}}'
  csize=${#config}; config_sum=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" >"oci/blobs/sha256/$config_sum"
  manifest='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'$config_sum'","size":'$csize'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:'$layer'","size":'$size'}]}'
  manifest_sum=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
  printf '%s' "$manifest" >"oci/blobs/sha256/$manifest_sum"
  echo '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'$manifest_sum'","size":'${#manifest}',"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' >oci/index.json
  note "layer: $(du -h "oci/blobs/sha256/$layer" | cut -f1) gzip, shared by both; $(command -v umoci) $(umoci --version 2>/dev/null | head -1)"
}
warm() { cat oci/blobs/sha256/* "$STRATA_ROOT/metadata.db" >/dev/null; }
next_out() { local n; n=$(( $(cat run.count 2>/dev/null || echo 0) + 1 )); echo $n >run.count; echo "out/$1-$n"; }
prepare_strata() { mkdir -p out; OUT=$(next_out strata); sync; warm; }
run_strata()     { strata image unpack bench/unpack:1 "$OUT"; }
prepare_peer()   { mkdir -p out; OUT=$(next_out umoci); sync; warm; }
run_peer()       { umoci unpack --image oci:t "$OUT"; }
report() {
  rm -rf out-strata; sleep 1
  /usr/bin/time -v "$STRATA_BIN" --root "$STRATA_ROOT" image unpack bench/unpack:1 out-strata 2>rss.txt
  note "strata image unpack peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' rss.txt)"
  note "files: $(find out-strata | wc -l) entries, $(du -sh out-strata | cut -f1)"
}
cleanup() { rm -rf "$STRATA_ROOT" oci out-strata out run.count; }
# Measured 2026-11 on the 2-core CI VM: strata 4.8 s vs umoci 10.5 s (ratio 0.46). File creation costs
# ~600 µs of kernel time here; GNU tar -x of the uncompressed rootfs alone took 4.8–6.1 s in the same window.
