# A small multi-step Dockerfile on busybox, no cache: strata build --no-cache vs BuildKit --no-cache.
DESCRIPTION="build a 6-step busybox Dockerfile with --no-cache"
GOAL_KIND=ratio
GOAL=1.0

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
RUN echo $V > /v.txt && ls /dd | wc -l > /count
RUN ["/bin/sh", "-c", "echo exec > /exec.txt"]
CMD ["sh"]
DF
  strata import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
  dk import "$BUSYBOX_ROOTFS" bench/busybox:latest >/dev/null
}
run_strata() { strata build --no-cache -q -t bench/build-cold:latest ctx >/dev/null; }
run_peer()   { DOCKER_BUILDKIT=1 dk build --no-cache --network host -q -t bench/build-cold:latest ctx >/dev/null; }
cleanup()    { dk rmi -f bench/build-cold:latest bench/busybox:latest >/dev/null 2>&1 || true; }
