#!/usr/bin/env bash
# Issue 14's series classifier at scale, clic beside the Python pipeline a team would
# otherwise run (benches/series_classifier/python_pipeline.py: pydicom, the ct-segmentation
# example's numpy preprocessing, onnxruntime), in one run on one machine.
#
#   benches/series_classifier.sh            SERIES="10 100" (default), SIDE=256, SLICES=64
#
# Each workload (make_workload.py: brain-MR-like series, one study each, a study-level
# triage manifest) is generated once under $CLIC_BENCH_DIR (default /tmp/clic-series).
# clic runs cold (no .clic/). Wall time and peak RSS (GNU time's %M: the largest process).
# Needs python3 with numpy, pydicom, onnx, onnxruntime; GNU time. CLIC_BIN picks the
# binary (default target/release/clic, built first).
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD/benches/series_classifier
work=${CLIC_BENCH_DIR:-/tmp/clic-series}
if [ -z "${CLIC_BIN:-}" ]; then cargo build --release --quiet; fi
clic=${CLIC_BIN:-$PWD/target/release/clic}
mkdir -p "$work"
measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }; awk '{printf "%s %d\n", $1, $2 / 1024}' "$work/time"; }
printf '%-7s %-28s %8s %9s\n' series run wall_s peak_MiB
for n in ${SERIES:-10 100}; do
  dir=$work/s$n
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 "$here/make_workload.py" "$dir" "$n" "${SIDE:-256}" "${SLICES:-64}"
    touch "$dir/.complete"
  fi
  for p in 1 2; do
    read -r w m <<<"$(measure python3 "$here/python_pipeline.py" "$dir" --procs "$p")"
    printf '%-7s %-28s %8s %9s\n' "$n" "python, $p process(es)" "$w" "$m"
  done
  rm -rf "$dir/.clic"
  read -r w m <<<"$(measure "$clic" bench "$dir")"
  printf '%-7s %-28s %8s %9s\n' "$n" "clic bench, cold" "$w" "$m"
done
