# Rebuild with everything cached: the same Dockerfile and context as the previous build
# (buildah in report: `bud --layers`, its cache).
DESCRIPTION="rebuild a 6-step busybox Dockerfile with every step cached (ms)"
GOAL_KIND=ratio
GOAL=0.5
source "$(dirname "${BASH_SOURCE[0]}")/lib/buildah.bash"
source "$(dirname "${BASH_SOURCE[0]}")/lib/confinement.bash"

setup() {
  small_build_setup
  strata build -q -t bench/build-cached:latest ctx >/dev/null
  DOCKER_BUILDKIT=1 dk build --network host -q -t bench/build-cached:latest ctx >/dev/null
  if command -v buildah >/dev/null; then buildah bud --isolation chroot --layers -q -t bench/build-cached:latest ctx >/dev/null 2>&1; fi
}
run_strata() { strata build -q -t bench/build-cached:latest ctx >/dev/null; }
run_peer()   { DOCKER_BUILDKIT=1 dk build --network host -q -t bench/build-cached:latest ctx >/dev/null; }
# A fully cached build runs no RUN step, so confinement costs it nothing; one uncached RUN step is shown confined
# and with --security=insecure (privileged: no filter, no masks, every capability, but also every host device
# node copied into its /dev, so "unconfined" is the dearer of the two).
report() {
  buildah_compare bench/build-cached:latest ctx 5 --layers
  mkdir -p run-step
  printf 'FROM bench/busybox:latest\nRUN true\n' >run-step/Dockerfile
  printf 'FROM bench/busybox:latest\nRUN --security=insecure true\n' >run-step/Dockerfile.insecure
  confinement_note "uncached RUN true" "$(median_ms strata build --no-cache -q run-step)" \
    "$(median_ms strata build --no-cache -q --allow security.insecure -f run-step/Dockerfile.insecure run-step)"
}
cleanup() {
  dk rmi -f bench/build-cached:latest bench/busybox:latest >/dev/null 2>&1 || true
  buildah_cleanup localhost/bench/build-cached:latest localhost/bench/busybox:latest
}
