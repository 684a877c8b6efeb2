# The cost of confinement: medians of RUNS timed calls, shared by run.sh and build-cached.sh.
# median_ms CMD...   runs CMD (output discarded) $RUNS times, prints the median wall time in ms
median_ms() {
  local i t0 t1 times=()
  for i in $(seq "$RUNS"); do
    t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; t1=$EPOCHREALTIME
    times+=("$(elapsed_ms "$t0" "$t1")")
  done
  printf '%s\n' "${times[@]}" | python3 -c 'import statistics,sys; print(f"{statistics.median(float(l) for l in sys.stdin):.1f}")'
}

# confinement_note LABEL CONFINED_MS UNCONFINED_MS
confinement_note() {
  note "$1: confined $2 ms, unconfined $3 ms: confinement costs $(awk -v a="$2" -v b="$3" 'BEGIN { printf "%+.1f ms (%+.1f%%)", a - b, (a - b) * 100 / b }')"
}
