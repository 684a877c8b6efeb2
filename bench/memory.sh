# Peak memory with a 2 GiB layer: strata save, load and image unpack must each stay under 100 MB of
# peak RSS (issue 3). The timed pair is `save` of that image (strata vs docker save) so the usual ratio
# table comes out; peak RSS is taken with /usr/bin/time (%M) on every timed strata run, and once more
# for load and unpack in `report`, next to dockerd's RSS growth while it saves and loads the same image.
# The layer (1 GiB file, 4 × 256 MiB files, 2,000 small files; about half random, half zeros) is
# generated on the fly under the scratch dir and removed by cleanup.
DESCRIPTION="save of an image with a 2 GiB layer (peak RSS of save/load/unpack vs 100 MB in report)"
GOAL_KIND=ratio
GOAL=1.0
RSS_GOAL_KB=$((100 * 1024))

# Appends N MiB to FILE: 4 MiB blocks, alternately random (from a 64 MiB pool) and zeros.
fill() {
  local file=$1 mib=$2 i
  for ((i = 0; i < mib / 4; i++)); do
    if ((i % 2)); then head -c 4M /dev/zero; else dd if=pool bs=4M count=1 skip=$((i / 2 % 16)) status=none; fi
  done >"$file"
}
setup() {
  rm -rf "$STRATA_ROOT" tree layer.tar
  head -c 64M /dev/urandom >pool
  mkdir -p tree/big tree/small
  fill tree/big/one-gib 1024
  local i
  for i in 1 2 3 4; do fill "tree/big/part-$i" 256; done
  for i in $(seq 2000); do printf 'small file %d\n' "$i" >"tree/small/f$i"; done
  tar -C tree -cf layer.tar .
  rm -rf tree pool
  strata import layer.tar bench/memory:1 >/dev/null
  dk import layer.tar bench/memory:1 >/dev/null
  dk save -o docker.tar bench/memory:1
  rm -f layer.tar
  note "layer: $(du -h docker.tar | cut -f1) uncompressed, strata blob $(du -ch "$STRATA_ROOT"/blobs/sha256/* | tail -1 | cut -f1)"
}
prepare_strata() { rm -f out.tar; sync; }
run_strata()     { /usr/bin/time -f %M -o "rss-save-$1.txt" "$STRATA_BIN" --root "$STRATA_ROOT" save -o out.tar bench/memory:1; }
prepare_peer()   { rm -f out.tar; sync; }
run_peer()       { dk save -o out.tar bench/memory:1; }

dockerd_pid() { cat "$(dirname "${DOCKER_HOST#unix://}")/bench-docker.pid"; }
# Runs ARGS while sampling dockerd's RSS every 50 ms; prints its peak and the growth over its RSS before, in KB.
dockerd_growth() {
  local pid before sampler
  pid=$(dockerd_pid)
  before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  echo "$before" >dockerd-max.txt
  ( max=0; while :; do r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status"); ((r > max)) && { max=$r; echo "$max" >dockerd-max.txt; }; sleep 0.05; done ) &
  sampler=$!
  "$@" >/dev/null
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  echo "$(cat dockerd-max.txt) $(($(cat dockerd-max.txt) - before))"
}
peer_text() { awk -v p="$1" -v g="$2" 'BEGIN { printf "dockerd peak RSS %.1f MB (grew %.1f MB)", p / 1024, g / 1024 }'; }
rss_line() {  # NAME KB [PEER_TEXT]
  local verdict=ok
  (($2 <= RSS_GOAL_KB)) || verdict="OVER the 100 MB goal"
  printf '  %-22s peak RSS %7.1f MB  (%s)%s\n' "$1" "$(awk -v k="$2" 'BEGIN { print k / 1024 }')" "$verdict" "${3:+   $3}"
}
report() {
  local save_kb load_kb unpack_kb t0 t1 dk_save dk_load failed=0
  save_kb=$(sort -n rss-save-*.txt | tail -1)
  rm -f out.tar
  dk_save=$(dockerd_growth dk save -o out.tar bench/memory:1)
  rm -f out.tar

  rm -rf load-root
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o rss-load.txt "$STRATA_BIN" --root load-root load -i docker.tar >/dev/null
  t1=$EPOCHREALTIME
  load_kb=$(cat rss-load.txt)
  local strata_load_ms; strata_load_ms=$(elapsed_ms "$t0" "$t1")
  rm -rf load-root
  dk rmi -f bench/memory:1 >/dev/null; dk image prune -f >/dev/null
  t0=$EPOCHREALTIME
  dk_load=$(dockerd_growth dk load -i docker.tar)
  t1=$EPOCHREALTIME
  local docker_load_ms; docker_load_ms=$(elapsed_ms "$t0" "$t1")

  rm -rf out-unpack
  /usr/bin/time -f %M -o rss-unpack.txt "$STRATA_BIN" --root "$STRATA_ROOT" image unpack bench/memory:1 out-unpack
  unpack_kb=$(cat rss-unpack.txt)
  rm -rf out-unpack

  note "peak RSS with a 2 GiB layer (goal: each strata command under 100 MB):"
  rss_line "strata save" "$save_kb" "docker save: $(peer_text $dk_save)"
  rss_line "strata load" "$load_kb" "docker load: $(peer_text $dk_load)"
  rss_line "strata image unpack" "$unpack_kb"
  note "load of docker's archive: strata $strata_load_ms ms, docker $docker_load_ms ms (one run each)"
  for kb in "$save_kb" "$load_kb" "$unpack_kb"; do ((kb <= RSS_GOAL_KB)) || failed=1; done
  ((failed == 0)) || { echo "bench memory: peak RSS over the 100 MB goal" >&2; return 1; }
}
cleanup() {
  rm -rf "$STRATA_ROOT" load-root out.tar out-unpack docker.tar tree pool layer.tar rss-*.txt dockerd-max.txt
  dk rmi -f bench/memory:1 >/dev/null 2>&1 || true
}
