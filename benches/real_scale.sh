#!/usr/bin/env bash
# Issue 13's benchmark at real scale, clic beside the Python pipeline a team would
# otherwise run (benches/real_scale/python_pipeline.py), in one run on one machine.
#
#   benches/real_scale.sh [throughput] [incremental] [memory]     default: all three
#
# throughput   SCANS (default 60) radiographs of 2048 x 2048 at 12 bits, per codec
#              (uncompressed, JPEG 2000 lossless, JPEG-LS lossless), a ResNet-18
#              [N,3,224,224] model: clic bench cold (no .clic/) against the Python
#              pipeline in 1 and 2 processes. Wall time, scans/s, peak memory.
# incremental  INCR_SCANS (default 1000) scans of INCR_SIZE (default 512): cold, warm
#              and unchanged, a new model version on the same scans, one scan changed.
# memory       cold clic bench on 1,000 and 10,000 scans of MEM_SIZE (default 256): peak
#              memory of the second over the first.
#
# The workloads are generated once, deterministically (make_workload.py), under
# $CLIC_BENCH_DIR (default /tmp/clic-real-scale). clic uses ONNX Runtime when the
# onnxruntime wheel is installed (as the Python pipeline does); CLIC_BACKEND=tract
# forces tract. Needs python3 with numpy, pydicom 3, onnx, onnxruntime, pylibjpeg +
# pylibjpeg-openjpeg, pyjpegls; GNU time, bc. Builds clic in release first (~20 min cold).
#
# Figures, where the cores idle, the lower bounds (benches/real_scale/lower_bounds.py: ONNX
# Runtime alone, the decoder alone, ONNX Runtime's invariance to threads and batch size) and
# which targets 2 cores can reach: benches/real_scale/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD/benches/real_scale
work=${CLIC_BENCH_DIR:-/tmp/clic-real-scale}
scans=${SCANS:-60}
parts=("$@")
if [ $# -eq 0 ]; then parts=(throughput incremental memory); fi
# CLIC_BIN runs another build (e.g. a debug one, to try the script) instead.
if [ -z "${CLIC_BIN:-}" ]; then cargo build --release --quiet; fi
clic=${CLIC_BIN:-$PWD/target/release/clic}
mkdir -p "$work"

make() { # DIR SCANS SIZE CODEC -> a generated project, once
  local dir=$1
  [ -f "$dir/.complete" ] && return
  rm -rf "$dir"
  python3 "$here/make_workload.py" "$dir" --scans "$2" --size "$3" --codec "$4" >/dev/null
  touch "$dir/.complete"
}

measure() { # command... -> "wall_s peak_MiB"
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    cat "$work/stderr" >&2; exit 1; }
  read -r wall kib <"$work/time"
  echo "$wall $((kib / 1024))"
}

row() { # scans label wall mib [baseline_wall]
  local ratio=""
  if [ -n "${5:-}" ]; then ratio=$(echo "scale=2; $5 / $3" | bc -l)x; fi
  printf '%-7s %-38s %8s %9.1f %9s %8s\n' "$1" "$2" "$3" "$(echo "$1 / $3" | bc -l)" "$4" "$ratio"
}

header() { printf '\n%-7s %-38s %8s %9s %9s %8s\n' scans "$1" wall_s scans/s peak_MiB "${2:-}"; }

for part in "${parts[@]}"; do
  case $part in
  throughput)
    header "throughput, 2048x2048 12-bit" "py2/this"
    for codec in uncompressed j2k jpegls; do
      dir=$work/throughput-$codec-$scans
      make "$dir" "$scans" 2048 "$codec"
      read -r w2 m2 <<<"$(measure python3 "$here/python_pipeline.py" "$dir" --procs 2)"
      read -r w1 m1 <<<"$(measure python3 "$here/python_pipeline.py" "$dir" --procs 1)"
      rm -rf "$dir/.clic"
      read -r wc mc <<<"$(measure "$clic" bench "$dir")"
      row "$scans" "$codec: python, 1 process" "$w1" "$m1" "$w2"
      row "$scans" "$codec: python, 2 processes" "$w2" "$m2" "$w2"
      row "$scans" "$codec: clic bench, cold" "$wc" "$mc" "$w2"
    done
    ;;
  incremental)
    n=${INCR_SCANS:-1000}
    dir=$work/incremental-$n
    make "$dir" "$n" "${INCR_SIZE:-512}" uncompressed
    header "incremental, ${INCR_SIZE:-512}x${INCR_SIZE:-512} uncompressed" "cold/this"
    cp "$dir/model.clic" "$dir/model.clic.orig"
    cp "$dir/model/resnet18.onnx" "$dir/resnet18.onnx.orig"
    rm -rf "$dir/.clic"
    read -r wc mc <<<"$(measure "$clic" bench "$dir")"
    row "$n" "cold" "$wc" "$mc" "$wc"
    read -r w m <<<"$(measure "$clic" bench "$dir")"
    row "$n" "warm, unchanged" "$w" "$m" "$wc"
    # A new model version (other seeded weights) on the unchanged scans.
    python3 - "$dir" <<'PY'
import hashlib, sys
from pathlib import Path
sys.path.insert(0, "benches/real_scale")
from resnet18 import build
d = Path(sys.argv[1])
(d / "model/resnet18.onnx").write_bytes(build(2))
sha = hashlib.sha256((d / "model/resnet18.onnx").read_bytes()).hexdigest()
m = (d / "model.clic.orig").read_text()
old = hashlib.sha256((d / "resnet18.onnx.orig").read_bytes()).hexdigest()
(d / "model.clic").write_text(m.replace(old, sha).replace('version "1.0.1"', 'version "1.0.2"'))
PY
    read -r w m <<<"$(measure "$clic" bench "$dir")"
    row "$n" "new model version, same scans" "$w" "$m" "$wc"
    # One scan changed: a pixel of the first file, at the same size.
    cp "$dir/data/reference/scan-000000.dcm" "$dir/scan-000000.dcm.orig"
    python3 - "$dir/data/reference/scan-000000.dcm" <<'PY'
import sys
import pydicom
ds = pydicom.dcmread(sys.argv[1])
a = ds.pixel_array.copy()
a[10, 10] = (int(a[10, 10]) + 7) % 4096
ds.PixelData = a.tobytes()
ds.save_as(sys.argv[1])
PY
    read -r w m <<<"$(measure "$clic" bench "$dir")"
    row "$n" "one scan changed" "$w" "$m" "$wc"
    # Back to the generated state for the next run.
    cp "$dir/model.clic.orig" "$dir/model.clic"
    cp "$dir/resnet18.onnx.orig" "$dir/model/resnet18.onnx"
    cp "$dir/scan-000000.dcm.orig" "$dir/data/reference/scan-000000.dcm"
    ;;
  memory)
    header "memory, ${MEM_SIZE:-256}x${MEM_SIZE:-256} uncompressed" "mem/1k"
    base=""
    for n in 1000 10000; do
      dir=$work/memory-$n
      make "$dir" "$n" "${MEM_SIZE:-256}" uncompressed
      rm -rf "$dir/.clic"
      read -r w m <<<"$(measure "$clic" bench "$dir")"
      if [ -z "$base" ]; then base=$m; fi
      printf '%-7s %-38s %8s %9.1f %9s %7.2fx\n' "$n" "clic bench, cold" "$w" \
        "$(echo "$n / $w" | bc -l)" "$m" "$(echo "$m / $base" | bc -l)"
    done
    ;;
  *) echo "unknown part: $part (throughput, incremental, memory)" >&2; exit 2 ;;
  esac
done
