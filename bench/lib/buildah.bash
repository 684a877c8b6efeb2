# Shared by the build benchmarks: the second peer, `buildah bud --isolation chroot` (the issue's other reference).
# buildah_base NAME: strata's busybox image copied into buildah's storage as localhost/NAME (skopeo).
# buildah_compare TAG CTX RUNS [BUD FLAGS...]: times `buildah bud` RUNS times (after buildah_prepare, when the
# benchmark defines it) and prints its median against strata's median from the timed runs.
buildah_base() {
  strata save "$1" -o buildah-base.tar
  skopeo copy -q docker-archive:buildah-base.tar "containers-storage:localhost/$1"
  rm -f buildah-base.tar
}

buildah_compare() {
  local tag=$1 ctx=$2 runs=$3 i t0 t1 times=() s b
  shift 3
  if ! command -v buildah >/dev/null; then
    [ "${CI:-}" = true ] && { echo "buildah not installed" >&2; return 1; }
    note "buildah not installed: no buildah comparison"; return 0
  fi
  for i in $(seq "$runs"); do
    if declare -F buildah_prepare >/dev/null; then buildah_prepare; fi
    t0=$(now_s)
    buildah bud --isolation chroot -q "$@" -t "$tag" "$ctx" >/dev/null 2>>buildah.log
    t1=$(now_s); times+=("$(elapsed_ms "$t0" "$t1")")
  done
  b=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  s=$(cut -f1 "$BENCH_DIR/times.tsv" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  note "buildah bud --isolation chroot, median of $runs: $b ms; strata median $s ms; ratio strata/buildah $(awk -v a="$s" -v b="$b" 'BEGIN { printf "%.3f", a / b }')"
}

buildah_cleanup() { command -v buildah >/dev/null && buildah rmi -f "$@" >/dev/null 2>&1 || true; }

# The 6-step busybox build of build-cold and build-cached: context, Dockerfile and base image for every tool.
small_build_setup() {
  mkdir -p ctx/d
  printf 'hello\n' > ctx/a.txt
  for i in $(seq 1 50); do printf 'file %s\n' "$i" > ctx/d/f$i; done
  cat > ctx/Dockerfile <<'DF'
FROM bench/busybox:latest
ARG V=1
ENV A=b
WORKDIR /app
COPY a.txt .
COPY d /dd/
RUN echo $V > /v.txt && ls /dd | wc -l > /count
RUN ["/bin/sh", "-c", "echo exec > /exec.txt"]
CMD ["sh"]
DF
  strata import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  dk import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  if command -v buildah >/dev/null; then buildah_base bench/busybox:latest; fi
}
