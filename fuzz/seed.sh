#!/usr/bin/env bash
# Seeds the fuzz corpus (fuzz/corpus/compile/, gitignored) with every .clic file of
# the repository. Safe to re-run: files are named by content hash.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
corpus="$here/corpus/compile"
mkdir -p "$corpus"
n=0
while IFS= read -r -d '' f; do
  sum="$(sha1sum "$f" | cut -c1-40)"
  cp "$f" "$corpus/seed-$sum"
  n=$((n + 1))
done < <(find "$root" -name '*.clic' -type f \
  -not -path "$root/target/*" -not -path "$root/fuzz/*" -not -path '*/.git/*' -print0)
echo "seeded $n files into $corpus"

# The DICOM target (fuzz/corpus/dicom/): every scan of the examples and the runner's
# test data.
corpus="$here/corpus/dicom"
mkdir -p "$corpus"
n=0
while IFS= read -r -d '' f; do
  sum="$(sha1sum "$f" | cut -c1-40)"
  cp "$f" "$corpus/seed-$sum"
  n=$((n + 1))
done < <(find "$root/examples" "$root/runner/tests/data" -name '*.dcm' -type f -print0)
echo "seeded $n files into $corpus"
