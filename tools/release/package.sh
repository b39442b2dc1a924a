#!/usr/bin/env bash
# Packs a built clic binary as a release asset, in the layout cargo-binstall expects
# ([package.metadata.binstall] in Cargo.toml):
#
#   OUT/clic-VERSION-TARGET.tar.gz          clic-VERSION-TARGET/{clic, LICENSE, README.md}
#   OUT/clic-VERSION-TARGET.tar.gz.sha256   "<sha256>  clic-VERSION-TARGET.tar.gz" (sha256sum -c)
#
# Usage: tools/release/package.sh BINARY VERSION TARGET OUT
# The archive is deterministic for a given binary: sorted names, fixed owner and times.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 BINARY VERSION TARGET OUT" >&2
  exit 2
fi
binary=$1 version=$2 target=$3 out=$4
root="$(cd "$(dirname "$0")/../.." && pwd)"
name="clic-$version-$target"
[ -x "$binary" ] || { echo "$0: $binary is not an executable file" >&2; exit 2; }
case "$version" in
  v*) echo "$0: the version is given without its v ($version)" >&2; exit 2 ;;
esac
mkdir -p "$out"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/clic"
chmod 755 "$stage/$name/clic"
cp "$root/LICENSE" "$root/README.md" "$stage/$name/"
chmod 644 "$stage/$name/LICENSE" "$stage/$name/README.md"
# GNU tar (Linux) and bsdtar (macOS) take different flags for a reproducible archive.
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime='1970-01-01 00:00:00Z' -cf - "$name" | gzip -n > "$out/$name.tar.gz.tmp"
else
  tar -C "$stage" --uid 0 --gid 0 -cf - "$name" | gzip -n > "$out/$name.tar.gz.tmp"
fi
mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
( cd "$out" && if command -v sha256sum >/dev/null; then sha256sum "$name.tar.gz"; else shasum -a 256 "$name.tar.gz"; fi ) > "$out/$name.tar.gz.sha256.tmp"
mv "$out/$name.tar.gz.sha256.tmp" "$out/$name.tar.gz.sha256"
echo "$out/$name.tar.gz"
