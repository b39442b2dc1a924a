#!/usr/bin/env bash
# JPEG 2000 lossless decode at real size (2048 x 2048, 12 bits): C OpenJPEG against the
# pure-Rust openjp2 (both through jpeg2k::Image::from_bytes, as dicom-rs calls them) and
# pydicom + pylibjpeg-openjpeg, one after the other in one run, each on one core.
#   bash tools/codecs/bench_j2k.sh [N_FILES] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-10}"; rounds="${2:-3}"
work="${TMPDIR:-/tmp}/clic-j2k-bench"
[ -f "$work/data/$(printf '%02d' $((n - 1))).j2k" ] || python3 "$here/bench_j2k.py" make "$work/data" "$n"
for backend in rust c; do
  CARGO_TARGET_DIR="$work/target-$backend" cargo build --quiet --release \
    --manifest-path "$here/j2k-bench/Cargo.toml" --features "$backend"
done
for backend in rust c; do
  taskset -c 0 "$work/target-$backend/release/j2k-bench" "$work/data" "$rounds"
done
OMP_NUM_THREADS=1 taskset -c 0 python3 "$here/bench_j2k.py" time "$work/data" "$rounds"
