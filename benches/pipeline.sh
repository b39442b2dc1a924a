#!/usr/bin/env bash
# The reference-set benchmark against a straightforward Python pipeline (pydicom + numpy +
# onnxruntime: examples/chest-xray-triage/tools/evaluate.py) on the same files, model and
# machine: wall time, scans per second and peak resident memory, for 1,000 and 10,000 scans.
#
#   benches/pipeline.sh [SIZES...]        default: 1000 10000
#
# The scan sets are the example's 309 reference scans repeated under new file names (every
# transfer syntax and photometric interpretation of the example, in the same mix), in
# $CLIC_BENCH_DIR (default /tmp/clic-pipeline-bench). Each clic run starts with an empty
# cache (.clic/ removed), so it decodes, preprocesses and scores every scan. Needs
# python3 with pydicom, numpy, onnxruntime, pylibjpeg + openjpeg (JPEG 2000), and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if [ $# -eq 0 ]; then sizes=(1000 10000); fi
work=${CLIC_BENCH_DIR:-/tmp/clic-pipeline-bench}
example=examples/chest-xray-triage
cargo build --release --quiet
clic=$PWD/target/release/clic

make_set() { # N -> $work/N, a copy of the example with N scans
  local n=$1 dir=$work/$1
  [ -f "$dir/.complete" ] && return
  rm -rf "$dir"
  mkdir -p "$dir/model" "$dir/data/reference"
  cp "$example/model/cxr.onnx" "$dir/model/"
  cp "$example/data/training-patients.txt" "$dir/data/"
  python3 - "$example/data/reference" "$dir/data/reference" "$n" <<'PY'
import os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
entries = []
for line in open(os.path.join(src, "labels.yaml")):
    s = line.strip()
    if s and not s.startswith("#"):
        key, _, rest = s.partition(":")
        entries.append((key.strip(), rest.strip()))
out = open(os.path.join(dst, "labels.yaml"), "w")
for k in range(n):
    name, value = entries[k % len(entries)]
    new = f"r{k // len(entries):03d}-{name}"
    shutil.copyfile(os.path.join(src, name), os.path.join(dst, new))
    out.write(f"{new}: {value}\n")
PY
  cp "$example/model.clic" "$dir/model.clic"
  touch "$dir/.complete"
}

measure() { # command... -> "wall_s peak_MiB"
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    cat "$work/stderr" >&2; exit 1; }
  read -r wall kib <"$work/time"
  echo "$wall $((kib / 1024))"
}

printf '%-8s %-22s %9s %10s %10s\n' scans pipeline wall_s scans_per_s peak_MiB
for n in "${sizes[@]}"; do
  make_set "$n"
  dir=$work/$n
  for backend in ort tract; do
    rm -rf "$dir/.clic"
    if [ "$backend" = tract ]; then export CLIC_BACKEND=tract; else unset CLIC_BACKEND; fi
    read -r wall mib <<<"$(measure "$clic" bench "$dir")"
    unset CLIC_BACKEND
    printf '%-8s %-22s %9s %10.0f %10s\n' "$n" "clic bench ($backend)" "$wall" "$(echo "$n / $wall" | bc -l)" "$mib"
  done
  read -r wall mib <<<"$(measure python3 "$example/tools/evaluate.py" \
    --model "$dir/model/cxr.onnx" --data "$dir/data/reference" --out "$dir/python-scores.csv")"
  printf '%-8s %-22s %9s %10.0f %10s\n' "$n" "python (evaluate.py)" "$wall" "$(echo "$n / $wall" | bc -l)" "$mib"
done
