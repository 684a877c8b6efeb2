# A fresh store (a new CI runner) building with `--cache-from type=registry`: every step taken from the cache, the
# same image made, against a plain `strata pull` of that image on a fresh store (the issue's goal: <= 1.5x a pull).
# report() adds docker 20.10 on a cleared daemon building with `--cache-from` the inline-cache image it pushed
# (its own format), and checks that Strata's runs executed no RUN step.
DESCRIPTION="fresh store, build --cache-from type=registry (strata) vs plain pull of the image (strata pull)"
GOAL_KIND=ratio
GOAL=1.5
PEER=pull
source "$(dirname "${BASH_SOURCE[0]}")/lib/confinement.bash"   # median_ms

setup() {
  local fixture=$repo/Tests/IntegrationTests/Fixtures/registry-fixture
  "$fixture" stop "$BENCH_DIR/registry" >/dev/null 2>&1 || true
  rm -rf "$BENCH_DIR/registry" seed ctx
  eval "$("$fixture" start "$BENCH_DIR/registry")"
  export REGISTRY_HOST
  mkdir -p ctx
  # A base in the registry, a RUN that makes 24 MB of incompressible data, sources copied after it.
  STRATA_ROOT=$BENCH_DIR/seed strata import "$BUSYBOX_ROOTFS" "$REGISTRY_HOST/bench/base:1" >/dev/null
  STRATA_ROOT=$BENCH_DIR/seed strata push -q "$REGISTRY_HOST/bench/base:1" >/dev/null
  for i in $(seq 1 50); do head -c 4000 /dev/urandom > ctx/src$i; done
  printf 'FROM %s\nRUN head -c 24000000 /dev/urandom > /data\nRUN echo built > /stamp\nCOPY src* /src/\nRUN ls /src | wc -l > /count\n' \
    "$REGISTRY_HOST/bench/base:1" > ctx/Dockerfile
  STRATA_ROOT=$BENCH_DIR/seed strata buildx build -q --cache-to "type=registry,ref=$REGISTRY_HOST/bench/app:cache,mode=max" \
    --push -t "$REGISTRY_HOST/bench/app:1" ctx >/dev/null
}
prepare_strata() { rm -rf "$BENCH_DIR/fresh"; }
run_strata() {
  STRATA_ROOT=$BENCH_DIR/fresh strata build -q --cache-from "type=registry,ref=$REGISTRY_HOST/bench/app:cache" \
    -t "$REGISTRY_HOST/bench/app:1" ctx >/dev/null
}
prepare_peer() { rm -rf "$BENCH_DIR/pulled"; }
run_peer() { STRATA_ROOT=$BENCH_DIR/pulled strata pull -q "$REGISTRY_HOST/bench/app:1" >/dev/null; }
report() {
  rm -rf "$BENCH_DIR/fresh"
  local progress ran same
  progress=$(STRATA_ROOT=$BENCH_DIR/fresh strata build --progress plain --cache-from "type=registry,ref=$REGISTRY_HOST/bench/app:cache" \
    -t "$REGISTRY_HOST/bench/app:1" ctx 2>&1)
  ran=$(printf '%s\n' "$progress" | awk '/^#[0-9]+ \[.*RUN/ { id = $1 } $1 == id && $2 == "DONE" { n++ } END { print n + 0 }')
  same=$( [ "$(STRATA_ROOT=$BENCH_DIR/fresh strata inspect -f '{{.Id}}' "$REGISTRY_HOST/bench/app:1")" = \
            "$(STRATA_ROOT=$BENCH_DIR/seed strata inspect -f '{{.Id}}' "$REGISTRY_HOST/bench/app:1")" ] && echo yes || echo NO)
  note "fresh-store build: RUN steps executed: $ran (goal 0); same image ID as the seed build: $same"
  # docker 20.10: its own inline cache, on a daemon with no images and no build cache.
  DOCKER_BUILDKIT=1 dk build -q --network host --build-arg BUILDKIT_INLINE_CACHE=1 -t "$REGISTRY_HOST/bench/app:docker" ctx >/dev/null
  dk push -q "$REGISTRY_HOST/bench/app:docker" >/dev/null 2>&1 || dk push "$REGISTRY_HOST/bench/app:docker" >/dev/null
  local times=() i t0 t1
  for i in $(seq "$RUNS"); do
    dk rmi -f "$REGISTRY_HOST/bench/app:docker" "$REGISTRY_HOST/bench/app:again" "$REGISTRY_HOST/bench/base:1" >/dev/null 2>&1 || true
    dk builder prune -af >/dev/null 2>&1
    t0=$EPOCHREALTIME
    DOCKER_BUILDKIT=1 dk build -q --network host --cache-from "$REGISTRY_HOST/bench/app:docker" -t "$REGISTRY_HOST/bench/app:again" ctx >/dev/null
    t1=$EPOCHREALTIME
    times+=("$(elapsed_ms "$t0" "$t1")")
  done
  local docker_ms strata_ms
  docker_ms=$(printf '%s\n' "${times[@]}" | python3 -c 'import statistics,sys; print(f"{statistics.median(float(l) for l in sys.stdin):.1f}")')
  strata_ms=$(cut -f1 "$BENCH_DIR/times.tsv" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  note "docker 20.10 on a cleared daemon, build --cache-from its inline-cache image: $docker_ms ms; strata/docker $(awk -v a="$strata_ms" -v b="$docker_ms" 'BEGIN { printf "%.3f", a / b }')"
}
cleanup() {
  "$repo/Tests/IntegrationTests/Fixtures/registry-fixture" stop "$BENCH_DIR/registry" >/dev/null 2>&1 || true
  dk rmi -f "$REGISTRY_HOST/bench/app:docker" "$REGISTRY_HOST/bench/app:again" >/dev/null 2>&1 || true
}
