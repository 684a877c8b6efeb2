# `trust sign` of an image already in a local registry (distribution 2.8 on loopback), the key's scrypt included:
# strata vs an independent implementation of cosign's formats (Tests/IntegrationTests/Fixtures/cosign-client.py,
# PyNaCl + cryptography; Debian packages no cosign and docker's trust needs a Notary server). Both decrypt the key,
# resolve the digest, read the existing .sig manifest and append one signature. report: `verify` of an image with
# 10 signatures (goal ≤ 60 ms), and pull with content trust on vs off (goal ≤ 1.1×).
DESCRIPTION="trust sign of a pushed image, key decryption included (peer: cosign-format client in Python)"
GOAL_KIND=strata_ms
GOAL=150
source "$(dirname "${BASH_SOURCE[0]}")/lib/registry.bash"
TRUST_PY=
TRUST_CLIENT=$repo/Tests/IntegrationTests/Fixtures/cosign-client.py

setup() {
  [ -s "$DEBIAN_ROOTFS" ] || { echo "no Debian rootfs at '$DEBIAN_ROOTFS'" >&2; return 1; }
  TRUST_PY=$("$repo/scripts/test-venv")
  reg_start
  reg_seed debian bench/debian:1
  rm -rf "$STRATA_ROOT" xdg keys py; mkdir -p keys py
  export XDG_CONFIG_HOME=$BENCH_DIR/xdg STRATA_TRUST_PASSPHRASE=bench-pass
  strata trust key generate k --dir keys >/dev/null
  "$TRUST_PY" "$TRUST_CLIENT" genkey py bench-pass
  note "registry $REG; image: $(reg_describe debian); strata signs the registry's manifest (no local copy)"
}
run_strata() { strata trust sign --key k "$REG/bench/debian:1"; }
run_peer()   { "$TRUST_PY" "$TRUST_CLIENT" sign "$REG" bench/debian 1 py/cosign.key bench-pass; }

# median_of N CMD...: the median wall time of N runs of CMD, in ms (PREP, if set, runs untimed before each).
median_of() {
  local n=$1 i t0 t1 times=(); shift
  for i in $(seq "$n"); do
    ${PREP:+$PREP}
    t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; t1=$EPOCHREALTIME
    times+=("$(elapsed_ms "$t0" "$t1")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p"
}
report() {
  # verify: an image with exactly 10 signatures by one key.
  strata import -c 'CMD ["/bin/sh"]' "$BUSYBOX_ROOTFS" "$REG/bench/ten:1" >/dev/null
  strata push -q "$REG/bench/ten:1" >/dev/null
  "$TRUST_PY" "$TRUST_CLIENT" many "$REG" bench/ten 1 py/cosign.key bench-pass 10
  local v pv
  v=$(median_of 9 "$STRATA_BIN" --root "$STRATA_ROOT" verify --key py/cosign.pub "$REG/bench/ten:1")
  pv=$(median_of 9 "$TRUST_PY" "$TRUST_CLIENT" verify "$REG" bench/ten 1 py/cosign.pub)
  local verdict=ok; awk -v a="$v" 'BEGIN { exit !(a <= 60) }' || verdict="OVER the 60 ms goal"
  note "verify of 10 signatures, median of 9: strata $v ms ($verdict), python cosign-format client $pv ms"
  # pull with content trust on (policy: sigstoreSigned by k for the repository) vs off, the Debian image.
  cat >policy.json <<JSON
{"default": [{"type": "insecureAcceptAnything"}],
 "transports": {"docker": {"$REG/bench/debian": [{"type": "sigstoreSigned", "keyPath": "$BENCH_DIR/keys/k.pub",
   "signedIdentity": {"type": "matchRepository"}}]}}}
JSON
  local on off
  off=$(PREP="rm -rf $BENCH_DIR/pull-root" median_of 5 "$STRATA_BIN" --root "$BENCH_DIR/pull-root" pull -q "$REG/bench/debian:1")
  on=$(PREP="rm -rf $BENCH_DIR/pull-root" median_of 5 env DOCKER_CONTENT_TRUST=1 "$STRATA_BIN" --root "$BENCH_DIR/pull-root" \
       pull -q --signature-policy policy.json "$REG/bench/debian:1")
  DOCKER_CONTENT_TRUST=1 "$STRATA_BIN" --root "$BENCH_DIR/pull-root" pull -q --signature-policy policy.json "$REG/bench/debian:1" >/dev/null \
    || { echo "bench: the content-trust pull was refused" >&2; return 1; }
  local ratio; ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
  verdict=ok; awk -v r="$ratio" 'BEGIN { exit !(r <= 1.1) }' || verdict="OVER the 1.1x goal"
  note "pull of the Debian image, median of 5: content trust on $on ms, off $off ms, ratio $ratio ($verdict)"
}
cleanup() { reg_stop; rm -rf "$STRATA_ROOT" registry-storage xdg keys py pull-root policy.json; }
