# Make a gzip layer from a directory: `strata import TREE` (DirectoryTarStream → LayerIngest, parallel gzip
# level 1, both digests, blob stored) vs `tar -C TREE -c . | pigz -1 > file` (no digests, no store). The "docker"
# column of bench/run is that tar | pigz pipeline here; `report` adds pigz at its default level 6.
# The tree (500 MB, 20,000 files in 200 directories, sizes from 0 B to ~8 MB, 1/3 incompressible) is generated
# once with a fixed seed, so every run and every machine sees the same bytes.
# On a busy machine the wall times mostly measure each side's share of the CPUs, so `report` also prints
# the CPU seconds (user+sys) each side spends, which do not depend on the load.
DESCRIPTION="layer from a 500 MB / 20,000-file tree: strata import DIR vs tar | pigz -1"
GOAL_KIND=ratio
GOAL=1.0

TREE=tree
setup() {
  if [ ! -f "$TREE/.complete" ]; then
    rm -rf "$TREE"
    python3 - "$TREE" <<'PY'
import base64, os, random, sys
root = sys.argv[1]
rng = random.Random(20240601)
total, count, dirs = 500 * 1000 * 1000, 20_000, 200
# Mostly small files, a long tail of large ones (lognormal), scaled to the exact total.
raw = [rng.lognormvariate(8.5, 1.8) for _ in range(count)]
scale = total / sum(raw)
sizes = [int(r * scale) for r in raw]
sizes[0] += total - sum(sizes)
text_pool = base64.b64encode(rng.randbytes(3 << 20))   # compressible: 6 bits of entropy per byte
doubled = text_pool + text_pool
for i, size in enumerate(sizes):
    d = os.path.join(root, f"d{i % dirs:03d}")
    os.makedirs(d, exist_ok=True)
    if i % 3 == 0:
        data = rng.randbytes(size)
    else:
        start = rng.randrange(len(text_pool))
        data = doubled[start:start + size] if size <= len(text_pool) else (text_pool * (size // len(text_pool) + 1))[:size]
    with open(os.path.join(d, f"f{i:05d}.dat"), "wb") as f:
        f.write(data)
open(os.path.join(root, ".complete"), "w").close()
PY
  fi
  note "input: $(find "$TREE" -name "*.dat" | wc -l) files, $(du -sh --apparent-size "$TREE" | cut -f1); page cache warmed"
  tar -C "$TREE" -c . >/dev/null
}
prepare_strata() { rm -rf "$STRATA_ROOT"; sync; }
run_strata()     { strata import "$TREE" "bench/layer:$1"; }
prepare_peer()   { rm -f peer.tar.gz; sync; }
run_peer()       { tar -C "$TREE" -c . | pigz -1 >peer.tar.gz; }
report() {
  local t0 t1 blob
  t0=$(now_s); tar -C "$TREE" -c . | pigz >peer6.tar.gz; t1=$(now_s)
  note "tar | pigz (level 6): $(elapsed_ms "$t0" "$t1") ms, $(du -m peer6.tar.gz | cut -f1) MB"
  note "tar | pigz -1 output: $(du -m peer.tar.gz | cut -f1) MB"
  blob=$(find "$STRATA_ROOT" -type f -size +10M | head -1)
  [ -z "$blob" ] || note "strata layer blob: $(du -m "$blob" | cut -f1) MB"
  rm -rf "$STRATA_ROOT"
  /usr/bin/time -f "%U %S" -o cpu-strata.txt "$STRATA_BIN" --root "$STRATA_ROOT" import "$TREE" bench/layer:cpu >/dev/null
  /usr/bin/time -f "%U %S" -o cpu-peer.txt bash -c "tar -C '$TREE' -c . | pigz -1 >peer.tar.gz"
  note "CPU seconds (user+sys): strata $(awk '{print $1 + $2}' cpu-strata.txt), tar | pigz -1 $(awk '{print $1 + $2}' cpu-peer.txt)"
  rm -rf "$STRATA_ROOT"
  /usr/bin/time -v "$STRATA_BIN" --root "$STRATA_ROOT" import "$TREE" bench/layer:rss >/dev/null 2>rss.txt
  note "strata import peak RSS: $(awk -F': ' '/Maximum resident set size/ {printf "%.1f MB", $2/1024}' rss.txt)"
  rm -f peer6.tar.gz cpu-strata.txt cpu-peer.txt
}
cleanup() { rm -rf "$STRATA_ROOT" peer.tar.gz peer6.tar.gz; }
