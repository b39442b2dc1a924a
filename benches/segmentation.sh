#!/usr/bin/env bash
# Issue 14's segmentation benchmark at real size: `clic bench` cold beside the Python
# pipeline a team would otherwise run (benches/segmentation/python_pipeline.py: pydicom,
# the example's preprocess.py, onnxruntime, MONAI's metrics as tools/metrics.py), in one
# run on one machine, on the same generated workload.
#
#   benches/segmentation.sh [CASES...]          default: 10 100
#
# Each workload (benches/segmentation/make_workload.py, deterministic): CASES CT series of
# SIZE x SIZE (default 512) x SLICES (default 100) single-frame int16 files, liver and
# spleen NIfTI reference masks, the ct-segmentation example's model and manifest
# (`use performance`, lenient claims). Generated once under $CLIC_BENCH_DIR (default
# /tmp/clic-segmentation), about 51 MB a series at 512 x 512 x 100.
#
# For each size, under /usr/bin/time -v: clic bench cold (the project's .clic/ removed),
# the Python pipeline in 1 process and in 2 processes (PY_PROCS, default "1 2"). Prints
# wall time, cases/s, the peak RSS of the largest process (GNU time) and the peak of the
# process tree's summed RSS (treepeak.py, sampled every 0.1 s), the speed ratio to the
# 1-process Python pipeline, and whether clic's mean Dice per structure equals Python's
# within 1e-4 (compare.py). PY_MAX_CASES (default: no limit) skips the Python pipeline
# above that many cases (it takes about a minute and 5 GB a case at 512 x 512 x 100).
#
# Needs python3 with the example's requirements (numpy, pydicom, nibabel, onnxruntime,
# torch, monai, pingouin, pandas), GNU time, bc. Builds clic in release first (cargo build
# --release at workspace level, ~10 min cold on 2 cores); CLIC_BIN runs another binary.
# Timings are of a shared machine: run it on a quiet one to quote them.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD/benches/segmentation
work=${CLIC_BENCH_DIR:-/tmp/clic-segmentation}
slices=${SLICES:-100}
size=${SIZE:-512}
py_procs=${PY_PROCS:-1 2}
py_max=${PY_MAX_CASES:-}
sizes=("$@")
if [ $# -eq 0 ]; then sizes=(10 100); fi
if [ -z "${CLIC_BIN:-}" ]; then cargo build --release --quiet; fi
clic=${CLIC_BIN:-$PWD/target/release/clic}
mkdir -p "$work"

make() { # DIR CASES -> a generated project, once
  local dir=$1 stamp="cases $2 slices $slices size $size"
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ]; then return; fi
  rm -rf "$dir"
  python3 "$here/make_workload.py" "$dir" --cases "$2" --slices "$slices" --size "$size" >&2
  echo "$stamp" >"$dir/.complete"
}

measure() { # STDOUT_FILE command... -> "wall_s maxrss_MiB tree_MiB"
  local out=$1
  shift
  /usr/bin/time -v -o "$work/time" python3 "$here/treepeak.py" "$work/tree" "$@" >"$out" 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    echo "FAILED: $*" >&2
    exit 1
  }
  local wall kib tree
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/time")
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  read -r tree <"$work/tree"
  echo "$wall $((kib / 1024)) $((tree / 1024))"
}

row() { # cases label wall mib tree_mib [baseline_wall]
  local ratio=""
  if [ -n "${6:-}" ]; then ratio=$(printf '%.2fx' "$(echo "$6 / $3" | bc -l)"); fi
  printf '%-6s %-30s %9s %8.3f %11s %11s %8s\n' "$1" "$2" "$3" "$(echo "$1 / $3" | bc -l)" "$4" "$5" "$ratio"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
  "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clic: $("$clic" --version) ($clic); python: $(python3 -c 'import sys, onnxruntime, monai, pydicom; print(sys.version.split()[0], "onnxruntime", onnxruntime.__version__, "monai", monai.__version__, "pydicom", pydicom.__version__)')"
echo "workload: ${size} x ${size} x ${slices} CT series (int16), liver + spleen NIfTI masks, under $work"

for n in "${sizes[@]}"; do
  dir=$work/cases-$n-slices-$slices
  make "$dir" "$n"
  printf '\n%-6s %-30s %9s %8s %11s %11s %8s\n' cases "${size}x${size}x${slices}" wall_s cases/s maxrss_MiB tree_MiB py1/this
  rm -rf "$dir/.clic"
  read -r wc mc tc <<<"$(measure "$work/clic-$n.json" "$clic" bench "$dir" --format json)"
  results=()
  w1=""
  if [ -z "$py_max" ] || [ "$n" -le "$py_max" ]; then
    for p in $py_procs; do
      read -r wp mp tp <<<"$(measure "$work/python-$n-$p.out" python3 "$here/python_pipeline.py" "$dir" --procs "$p" --out "$work/python-$n-$p.json")"
      if [ "$p" = 1 ]; then w1=$wp; fi
      results+=("$p $wp $mp $tp")
    done
  fi
  row "$n" "clic bench, cold" "$wc" "$mc" "$tc" "$w1"
  for r in "${results[@]}"; do
    read -r p wp mp tp <<<"$r"
    row "$n" "python, $p process(es)" "$wp" "$mp" "$tp" "$w1"
  done
  if [ ${#results[@]} -eq 0 ]; then
    echo "       (python pipeline skipped: PY_MAX_CASES=$py_max)"
  else
    first=${results[0]%% *}
    echo "check (clic against python, $first process(es)):"
    python3 "$here/compare.py" "$work/clic-$n.json" "$work/python-$n-$first.json" | sed 's/^/  /' || {
      echo "  CHECK FAILED" >&2
    }
  fi
done
