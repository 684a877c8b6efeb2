# `images` on a store holding IMAGES_N (default 10,000) tags of one imported image. Both stores are built
# once and kept between runs (they are slow to make: one process / API call per tag).
N=${IMAGES_N:-10000}
DESCRIPTION="images, store with $N tags of one image"
GOAL_KIND=strata_ms
GOAL=50
STRATA_ROOT=$BENCH_DIR/root-$N
JOBS=${SETUP_JOBS:-4}

setup() {
  local t0 have
  have=$(cat "$STRATA_ROOT.ready" 2>/dev/null || echo 0)
  if [ "$have" != "$N" ]; then
    rm -rf "$STRATA_ROOT" "$STRATA_ROOT.ready"
    t0=$(now_s)
    strata import "$BUSYBOX_ROOTFS" bench/many:t1 >/dev/null
    # One strata process per tag, $JOBS at a time (this also exercises concurrent writers).
    seq 2 "$N" | xargs -P "$JOBS" -I{} "$STRATA_BIN" --root "$STRATA_ROOT" tag bench/many:t1 bench/many:t{}
    note "strata setup: $N tags in $(elapsed_ms "$t0" "$(now_s)") ms ($JOBS parallel \`strata tag\`)"
    have=$(strata images -q | wc -l)
    [ "$have" = "$N" ] || { echo "strata store has $have rows, expected $N" >&2; return 1; }
    echo "$N" >"$STRATA_ROOT.ready"
  fi
  local sock=${DOCKER_HOST#unix://} id
  dk image inspect bench/many:t1 >/dev/null 2>&1 || dk import "$BUSYBOX_ROOTFS" bench/many:t1 >/dev/null
  id=$(dk image inspect -f '{{.Id}}' bench/many:t1)
  have=$(dk images -q bench/many | wc -l)
  if [ "$have" -lt "$N" ]; then
    t0=$(now_s)
    # The API directly: the docker CLI's own start-up would dominate a 10,000-call loop.
    seq 2 "$N" | xargs -P "$JOBS" -I{} curl -fsS -o /dev/null --unix-socket "$sock" \
      -X POST "http://docker/v1.41/images/$id/tag?repo=bench/many&tag=t{}"
    note "docker setup: $N tags in $(elapsed_ms "$t0" "$(now_s)") ms ($JOBS parallel API calls)"
  fi
  note "rows: strata $(strata images | wc -l), docker $(dk images | wc -l) (incl. header)"
}
run_strata() { strata images; }
run_peer()   { dk images; }
