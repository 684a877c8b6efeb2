# Two-platform builds (linux/amd64 + linux/arm64) into an index, against buildah's `bud --platform A,B --manifest`
# (docker 20.10 cannot build for two platforms without a buildx builder). The timed pair is a COPY-only Dockerfile
# (no emulation); report() adds the single-platform build, the cached two-platform rebuild, a two-platform build
# whose RUN step runs under QEMU for arm64, and the cross-compilation pattern (a `--platform=$BUILDPLATFORM` stage
# with a CPU-bound RUN, then a per-target COPY of its output: Strata solves the shared stage once, buildah once per
# platform), for both tools.
DESCRIPTION="two-platform COPY-only build (strata vs buildah --platform)"
GOAL_KIND=ratio
GOAL=1.0
PEER=buildah
source "$(dirname "${BASH_SOURCE[0]}")/lib/confinement.bash"   # median_ms

setup() {
  command -v buildah >/dev/null || { echo "buildah is needed for this benchmark" >&2; return 1; }
  mkdir -p ctx-copy/files ctx-run ctx-shared
  if [ ! -f ctx-copy/.made ]; then
    for i in $(seq 1 200); do head -c 20000 /dev/urandom > ctx-copy/files/f$i; done
    touch ctx-copy/.made
  fi
  printf '.made\n' > ctx-copy/.dockerignore
  printf 'FROM scratch\nARG TARGETPLATFORM\nCOPY files /files\nLABEL built.for=$TARGETPLATFORM\n' > ctx-copy/Dockerfile
  # The emulated case: each platform's busybox tree (Debian's arm64 busybox-static, fetched by install-test-tools).
  local deb
  deb=$(ls /var/cache/strata-tests/busybox-static_*_arm64.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { echo "no arm64 busybox-static: run scripts/install-test-tools" >&2; return 1; }
  rm -rf arm64-tree && mkdir -p arm64-tree && dpkg-deb -x "$deb" arm64-tree
  (cd arm64-tree && mkdir -p tmp etc && for a in sh uname; do ln -sf busybox bin/$a; done && tar -cf ../ctx-run/rootfs-arm64.tar .)
  cp "$BUSYBOX_ROOTFS" ctx-run/rootfs-amd64.tar
  printf 'FROM scratch\nARG TARGETARCH\nADD rootfs-${TARGETARCH}.tar /\nRUN uname -m > /arch\n' > ctx-run/Dockerfile
  # The shared stage: native on the build platform, no target argument, so one solve serves both platforms.
  cp "$BUSYBOX_ROOTFS" ctx-shared/rootfs.tar
  printf 'FROM --platform=$BUILDPLATFORM scratch AS build\nADD rootfs.tar /\nRUN seq 1 2000000 | md5sum > /sum\nFROM scratch\nCOPY --from=build /sum /sum\n' \
    > ctx-shared/Dockerfile
  strata buildx install-emulators >/dev/null
}
prepare_peer() { buildah manifest rm bench-multi >/dev/null 2>&1 || true; }
run_strata() { strata build --no-cache -q --platform linux/amd64,linux/arm64 -t bench/multi ctx-copy >/dev/null; }
run_peer() {
  buildah bud --isolation chroot --no-cache -q --platform linux/amd64,linux/arm64 --manifest bench-multi ctx-copy >/dev/null 2>>buildah.log
}
report() {
  local single two cached emulated peer_emulated
  single=$(median_ms strata build --no-cache -q --platform linux/amd64 -t bench/multi-single ctx-copy)
  two=$(cut -f1 "$BENCH_DIR/times.tsv" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  note "single-platform build $single ms; two-platform $two ms: $(awk -v a="$two" -v b="$single" 'BEGIN { printf "%.2f", a / b }')x (goal <= 1.3x)"
  strata build -q --platform linux/amd64,linux/arm64 -t bench/multi ctx-copy >/dev/null
  cached=$(median_ms strata build -q --platform linux/amd64,linux/arm64 -t bench/multi ctx-copy)
  note "two-platform cached rebuild $cached ms (goal <= 80 ms)"
  emulated=$(median_ms strata build --no-cache -q --platform linux/amd64,linux/arm64 -t bench/multi-run ctx-run)
  peer_emulated=$(median_ms sh -c 'buildah manifest rm bench-multi-run >/dev/null 2>&1; buildah bud --isolation chroot --no-cache -q --platform linux/amd64,linux/arm64 --manifest bench-multi-run ctx-run')
  note "two-platform build with RUN under QEMU: strata $emulated ms, buildah $peer_emulated ms, ratio $(awk -v a="$emulated" -v b="$peer_emulated" 'BEGIN { printf "%.3f", a / b }')"
  local shared peer_shared shared_single
  shared=$(median_ms strata build --no-cache -q --platform linux/amd64,linux/arm64 -t bench/multi-shared ctx-shared)
  shared_single=$(median_ms strata build --no-cache -q --platform linux/amd64 -t bench/multi-shared-single ctx-shared)
  peer_shared=$(median_ms sh -c 'buildah manifest rm bench-multi-shared >/dev/null 2>&1; buildah bud --isolation chroot --no-cache -q --platform linux/amd64,linux/arm64 --manifest bench-multi-shared ctx-shared')
  note "two-platform build with a shared \$BUILDPLATFORM stage: strata $shared ms (single platform $shared_single ms), buildah $peer_shared ms, ratio $(awk -v a="$shared" -v b="$peer_shared" 'BEGIN { printf "%.3f", a / b }')"
}
cleanup() {
  buildah manifest rm bench-multi >/dev/null 2>&1 || true
  buildah manifest rm bench-multi-run >/dev/null 2>&1 || true
  buildah manifest rm bench-multi-shared >/dev/null 2>&1 || true
  buildah rmi --prune >/dev/null 2>&1 || true
}
