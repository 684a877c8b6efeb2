# A small multi-step Dockerfile on busybox, no cache: strata build --no-cache vs BuildKit --no-cache
# (and, in report, buildah bud, which caches nothing unless asked).
DESCRIPTION="build a 6-step busybox Dockerfile with --no-cache"
GOAL_KIND=ratio
GOAL=1.0
source "$(dirname "${BASH_SOURCE[0]}")/lib/buildah.bash"

setup()      { small_build_setup; }
run_strata() { strata build --no-cache -q -t bench/build-cold:latest ctx >/dev/null; }
run_peer()   { DOCKER_BUILDKIT=1 dk build --no-cache --network host -q -t bench/build-cold:latest ctx >/dev/null; }
report()     { buildah_compare bench/build-cold:latest ctx 5; }
cleanup() {
  dk rmi -f bench/build-cold:latest bench/busybox:latest >/dev/null 2>&1 || true
  buildah_cleanup localhost/bench/build-cold:latest localhost/bench/busybox:latest
}
