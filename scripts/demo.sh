#!/bin/bash
# `make demo`: what berth can show today, with no network.
#
#  1. Builds a tiny OCI image layout from the host's busybox-static in build/demo/image
#     (scripts/mkimage.sh): one gzip layer (bin/busybox and applet symlinks, a minimal /etc),
#     an image config and a manifest, byte-for-byte reproducible (sorted tar, mtime 0,
#     uid/gid 0, gzip -n).
#  2. Checks what it wrote (mkimage.sh again): every blob's sha256 matches its name, every
#     descriptor's size matches its blob, and the config's diff_id is the sha256 of the
#     uncompressed layer.
#  3. Runs `berth info` and `berth info --format json | jq .workers`: the frontend, the broker
#     and every sandboxed worker, round trip.
#
# Images and containers are not implemented yet; the image is built for when they are.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BERTH_TOP=${BERTH_TOP:-$top}
berth_bin=$BERTH_TOP/bin/berth
demo=$top/build/demo
img=$demo/image

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$berth_bin" ] || die "$berth_bin is missing: build first ('make')"
command -v jq >/dev/null || die "jq is missing: run scripts/deps.sh as root"

# ---------------------------------------------------------------- 1 and 2. the image

# Built and checked by scripts/mkimage.sh, which prints its summary.
"$top/scripts/mkimage.sh" "$img" | sed "s|$top/||"

# ---------------------------------------------------------------- 3. berth itself

store=(--root "$demo/store" --runroot "$demo/run")
who=rootful
[ "$(id -u)" -eq 0 ] || who=rootless
echo "== berth info ($who; the demo keeps its store in ${demo#"$top"/}/store)"
echo "\$ bin/berth --root build/demo/store --runroot build/demo/run info"
"$berth_bin" "${store[@]}" info
echo
echo "== every worker answered from inside its sandbox:"
echo "\$ bin/berth --root build/demo/store --runroot build/demo/run info --format json | jq '.workers'"
"$berth_bin" "${store[@]}" info --format json | jq '.workers'
echo
echo "pull, run and the rest come with the images and containers work; the image above is ready for them."
