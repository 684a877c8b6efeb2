# What attestations cost: a two-platform COPY-only build (linux/amd64 + linux/arm64, no emulation) with
# `--provenance=mode=max --sbom=true` against the same build without them. The peer is Strata itself: buildah cannot
# attest, and docker 20.10's daemon has no buildx builder that makes attestations. The image holds this machine's
# dpkg status (hundreds of packages) so the SBOM catalogers have work. report() adds the cached rebuild with and
# without attestations and the single-platform case (an index instead of a plain image).
DESCRIPTION="two-platform build with provenance max + SBOM (strata vs strata without attestations)"
GOAL_KIND=ratio
GOAL=1.3
PEER=strata-plain
source "$(dirname "${BASH_SOURCE[0]}")/lib/confinement.bash"   # median_ms

setup() {
  mkdir -p ctx/files
  if [ ! -f ctx/.made ]; then
    for i in $(seq 1 200); do head -c 20000 /dev/urandom > ctx/files/f$i; done
    touch ctx/.made
  fi
  cp /var/lib/dpkg/status ctx/status
  printf '.made\n' > ctx/.dockerignore
  printf 'FROM scratch\nARG TARGETPLATFORM\nCOPY status /var/lib/dpkg/status\nCOPY files /files\nLABEL built.for=$TARGETPLATFORM\n' \
    > ctx/Dockerfile
}
attested() { strata buildx build -q --provenance=mode=max --sbom=true "$@" ctx >/dev/null; }
plain() { strata buildx build -q "$@" ctx >/dev/null; }
run_strata() { attested --no-cache --platform linux/amd64,linux/arm64 -t bench/attest; }
run_peer() { plain --no-cache --platform linux/amd64,linux/arm64 -t bench/plain; }
report() {
  local cached_a cached_p single_a single_p
  attested --platform linux/amd64,linux/arm64 -t bench/attest
  plain --platform linux/amd64,linux/arm64 -t bench/plain
  cached_a=$(median_ms attested --platform linux/amd64,linux/arm64 -t bench/attest)
  cached_p=$(median_ms plain --platform linux/amd64,linux/arm64 -t bench/plain)
  note "two-platform cached rebuild: with attestations $cached_a ms, without $cached_p ms ($(awk -v a="$cached_a" -v b="$cached_p" 'BEGIN { printf "%+.1f ms", a - b }'))"
  single_a=$(median_ms attested --no-cache -t bench/attest-one)
  single_p=$(median_ms plain --no-cache -t bench/plain-one)
  note "single-platform uncached build: with attestations $single_a ms, without $single_p ms ($(awk -v a="$single_a" -v b="$single_p" 'BEGIN { printf "%+.1f ms", a - b }'))"
}
