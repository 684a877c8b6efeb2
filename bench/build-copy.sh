# COPY of a 20,000-file, ~500 MB context: a cold build (no cache) and a rebuild after touching one file.
# BENCH_COPY_MODE=touch times the rebuild after one file changed instead of the cold build.
# report() compares buildah (`buildah bud --isolation chroot`) as well.
DESCRIPTION="COPY a 20,000-file 500 MB context (${BENCH_COPY_MODE:-cold})"
GOAL_KIND=ratio
GOAL=$([ "${BENCH_COPY_MODE:-cold}" = touch ] && echo 0.5 || echo 0.7)   # touch: the one-file-changed rebuild goal
source "$(dirname "${BASH_SOURCE[0]}")/lib/buildah.bash"   # buildah's goal for this one: ratio <= 0.5

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
# Each timed run starts from clean kernel caches: written back, dropped. Besides making "cold" mean cold, this
# keeps one tool's file deletions from taxing the other's file creations: on ext4 without a journal (this VM's
# disk) every new inode skips the ones freed in the last 1-5 minutes while their inode blocks stay cached
# (ext4 recently_deleted), which made whoever ran second pay for the other's cleanup.
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches || true; }
prepare_strata() { drop_caches; [ "${BENCH_COPY_MODE:-cold}" = touch ] && date +%s%N > ctx/files/1/f1 || true; }
prepare_peer()   { drop_caches; [ "${BENCH_COPY_MODE:-cold}" = touch ] && date +%s%N > ctx/files/1/f1 || true; }
run_strata() {
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then strata build -q -t bench/build-copy ctx >/dev/null
  else strata build --no-cache -q -t bench/build-copy ctx >/dev/null; fi
}
run_peer() {
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then DOCKER_BUILDKIT=1 dk build -q -t bench/build-copy ctx >/dev/null
  else DOCKER_BUILDKIT=1 dk build --no-cache -q -t bench/build-copy ctx >/dev/null; fi
}
# buildah (`buildah bud --isolation chroot`, the issue's second peer): the same build, 3 runs, against strata's
# median from the timed runs above (in touch mode with `--layers`, its cache).
buildah_prepare() { drop_caches; [ "${BENCH_COPY_MODE:-cold}" = touch ] && date +%s%N > ctx/files/1/f1 || true; }
report() {
  command -v buildah >/dev/null && buildah_base bench/busybox:latest
  if [ "${BENCH_COPY_MODE:-cold}" = touch ]; then
    command -v buildah >/dev/null && buildah bud --isolation chroot --layers -q -t bench/build-copy ctx >/dev/null 2>&1
    buildah_compare bench/build-copy ctx 3 --layers
  else
    buildah_compare bench/build-copy ctx 3
  fi
}
cleanup() {
  dk rmi -f bench/build-copy bench/busybox:latest >/dev/null 2>&1 || true
  buildah_cleanup localhost/bench/build-copy localhost/bench/busybox:latest
}
