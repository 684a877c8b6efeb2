# COPY of a 20,000-file, ~500 MB context: a cold build (no cache) and a rebuild after touching one file.
# BENCH_COPY_MODE=touch times the rebuild after one file changed instead of the cold build.
# buildah (`buildah bud --isolation chroot`) is compared by hand when installed: see report().
DESCRIPTION="COPY a 20,000-file 500 MB context (${BENCH_COPY_MODE:-cold})"
GOAL_KIND=ratio
GOAL=0.7

setup() {
  mkdir -p ctx/files
  if [ ! -f ctx/.made ]; then
    for dir in $(seq 1 100); do
      mkdir -p ctx/files/$dir
      for i in $(seq 1 200); do head -c 25000 /dev/urandom > ctx/files/$dir/f$i; done
    done
    touch ctx/.made
  fi
  printf 'FROM bench/busybox:latest\nCOPY files /files\n' > ctx/Dockerfile
  printf '.made\n' > ctx/.dockerignore
  strata import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  dk import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then
    strata build -q -t bench/build-copy ctx >/dev/null
    DOCKER_BUILDKIT=1 dk build -q -t bench/build-copy ctx >/dev/null
  fi
}
prepare_strata() { [ "${BENCH_COPY_MODE:-cold}" = touch ] && date +%s%N > ctx/files/1/f1 || true; }
prepare_peer()   { [ "${BENCH_COPY_MODE:-cold}" = touch ] && date +%s%N > ctx/files/1/f1 || true; }
run_strata() {
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then strata build -q -t bench/build-copy ctx >/dev/null
  else strata build --no-cache -q -t bench/build-copy ctx >/dev/null; fi
}
run_peer() {
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then DOCKER_BUILDKIT=1 dk build -q -t bench/build-copy ctx >/dev/null
  else DOCKER_BUILDKIT=1 dk build --no-cache -q -t bench/build-copy ctx >/dev/null; fi
}
report() {
  if command -v buildah >/dev/null; then
    local t0 t1; t0=$(now_s)
    buildah bud --isolation chroot -q -t bench/build-copy ctx >/dev/null 2>&1 || true
    t1=$(now_s); note "buildah bud --isolation chroot: $(elapsed_ms "$t0" "$t1") ms (buildah has no bench/busybox image unless loaded)"
  else
    note "buildah not installed (ask the lead to add it to scripts/peers-up)"
  fi
}
cleanup() { dk rmi -f bench/build-copy bench/busybox:latest >/dev/null 2>&1 || true; }
