# The content digest of a 20,000-file / 500 MB build context (what a `COPY . /app` cache key needs):
# strata's context checksum with an empty stat cache (every file hashed, on all cores) against
# `tar c | sha256sum` as the peer. The warm case (stat cache filled, nothing changed) and the one-file-changed
# case are reported after timing. Page cache warmed for both sides; the full build comparison against
# BuildKit comes with the executor.
DESCRIPTION="checksum a 20,000-file / 500 MB context, cold stat cache (peer: tar c | sha256sum)"
GOAL_KIND=ratio
GOAL=0.7

CTX_FILES=${CTX_FILES:-20000}
CTX_MB=${CTX_MB:-500}

setup() {
  if [ ! -f ctx/.complete ] || [ "$(cat ctx/.complete)" != "$CTX_FILES/$CTX_MB" ]; then
    rm -rf ctx; mkdir -p ctx
    # Sizes follow a rough source-tree shape: many small files, a few large ones; 100 files per directory.
    python3 - "$CTX_FILES" "$CTX_MB" <<'PY'
import os, random, sys
files, total = int(sys.argv[1]), int(sys.argv[2]) << 20
random.seed(5)
weights = [random.paretovariate(1.2) for _ in range(files)]
scale = total / sum(weights)
block = os.urandom(1 << 20)
for i, w in enumerate(weights):
    d = f"ctx/src/m{i // 1000:02d}/p{(i // 100) % 10}"
    os.makedirs(d, exist_ok=True)
    size = max(1, int(w * scale))
    with open(f"{d}/f{i:05d}.dat", "wb") as f:
        while size > 0:
            n = min(size, len(block)); f.write(block[:n]); size -= n
PY
    printf 'build\n*.log\n' > ctx/.dockerignore
    echo "$CTX_FILES/$CTX_MB" > ctx/.complete
  fi
  note "context: $(find ctx -type f | wc -l) files, $(du -sh ctx | cut -f1); page cache warmed"
  tar c -C ctx . >/dev/null
}
prepare_strata() { rm -rf statcache; }
run_strata()     { strata context-checksum --cache-dir statcache ctx; }
run_peer()       { tar c -C ctx . | sha256sum; }
report() {
  local t0 t1
  strata context-checksum --cache-dir statcache ctx >/dev/null
  t0=$(now_s); strata context-checksum --cache-dir statcache --stats ctx >/dev/null 2>warm.txt; t1=$(now_s)
  note "warm (stat cache filled, nothing changed): $(elapsed_ms "$t0" "$t1") ms, $(cat warm.txt)"
  local victim; victim=$(find ctx/src -name '*.dat' | head -1)
  printf 'x' >>"$victim"
  t0=$(now_s); strata context-checksum --cache-dir statcache --stats ctx >/dev/null 2>one.txt; t1=$(now_s)
  note "one file changed: $(elapsed_ms "$t0" "$t1") ms, $(cat one.txt)"
  truncate -s -1 "$victim"
}
cleanup() { rm -rf statcache; }
