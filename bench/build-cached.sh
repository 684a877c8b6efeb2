# Rebuild with everything cached: the same Dockerfile and context as the previous build.
DESCRIPTION="rebuild a 6-step busybox Dockerfile with every step cached (ms)"
GOAL_KIND=ratio
GOAL=0.5

setup() {
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
RUN echo $V > /v.txt
RUN ["/bin/sh", "-c", "echo exec > /exec.txt"]
CMD ["sh"]
DF
  strata import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  dk import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  strata build -q -t bench/build-cached:latest ctx >/dev/null
  DOCKER_BUILDKIT=1 dk build --network host -q -t bench/build-cached:latest ctx >/dev/null
}
run_strata() { strata build -q -t bench/build-cached:latest ctx >/dev/null; }
run_peer()   { DOCKER_BUILDKIT=1 dk build --network host -q -t bench/build-cached:latest ctx >/dev/null; }
cleanup()    { dk rmi -f bench/build-cached:latest bench/busybox:latest >/dev/null 2>&1 || true; }
