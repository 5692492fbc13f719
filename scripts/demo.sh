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
#  4. Starts Debian's docker-registry on 127.0.0.1 with a TLS certificate it generates, pushes
#     the image there with skopeo (an independent client), and pulls it with berth: berth-fetch
#     downloads, berth-verify parses, berth-unpack extracts, the broker hashes and records;
#     then `berth images`, `berth inspect` and `berth history`. The registry is stopped and
#     its files removed at the end.
#
# Containers are not implemented yet.
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

# ---------------------------------------------------------------- 4. a pull through the chain

for t in docker-registry skopeo openssl curl; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/deps.sh as root"
done
export BERTH_IT_TMP BERTH_SRC=$top
BERTH_IT_TMP=$(mktemp -d /tmp/berth-demo.XXXXXX)
chmod 0755 "$BERTH_IT_TMP"
# shellcheck source=../tests/integration/registry.bash
. "$top/tests/integration/registry.bash"
trap 'registry_stop demo >/dev/null 2>&1 || true; rm -rf "$BERTH_IT_TMP"' EXIT
registry_start demo >/dev/null
push_test_image "$img" "$REGISTRY_DEMO_ADDR/demo/busybox:latest"
certs=$BERTH_IT_TMP/certs
install -d -m 0755 "$certs"
install -m 0644 "$REGISTRY_CA" "$certs/ca.crt"
ref=$REGISTRY_DEMO_ADDR/demo/busybox:latest
echo "== a local registry on $REGISTRY_DEMO_ADDR (TLS, a CA made for the demo) holds the image"
echo "\$ bin/berth pull --cert-dir CA-DIR $ref"
"$berth_bin" "${store[@]}" rmi -a >/dev/null 2>&1 || true
"$berth_bin" "${store[@]}" pull --cert-dir "$certs" "$ref"
echo
echo "\$ bin/berth images"
"$berth_bin" "${store[@]}" images
echo
echo "\$ bin/berth inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} {{json .Config.Cmd}}' $ref"
"$berth_bin" "${store[@]}" inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} {{json .Config.Cmd}}' "$ref"
echo
echo "\$ bin/berth history $ref"
"$berth_bin" "${store[@]}" history "$ref"
echo
echo "\$ bin/berth run --rm $ref sh -c 'echo hello from a container; grep -E \"^(CapEff|Seccomp):\" /proc/self/status'"
"$berth_bin" "${store[@]}" run --rm "$ref" sh -c \
	'echo hello from a container; grep -E "^(CapEff|Seccomp):" /proc/self/status' ||
	echo "(the container could not run here: see the error above)"
echo
echo "\$ bin/berth ps -a"
"$berth_bin" "${store[@]}" ps -a
echo
echo "Detached containers, logs, exec and networks come with the next container work."
