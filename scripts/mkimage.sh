#!/bin/bash
# Builds a tiny OCI image layout from the host's busybox-static, with no network:
#
#   scripts/mkimage.sh [--quiet] OUTDIR [LAYER-DIR...]
#
#  1. The base layer: bin/busybox and applet symlinks, a minimal /etc, as one gzip layer. Each
#     LAYER-DIR given adds one more layer holding that directory's contents. Everything is
#     byte-for-byte reproducible (sorted tar, mtime 0, uid/gid 0, gzip -n), so the same inputs
#     always give the same digests.
#  2. An image config (the host's OCI platform, Cmd ["/bin/sh"]), a manifest, index.json with
#     ref.name "latest", and oci-layout.
#  3. Checks what it wrote: every blob's sha256 matches its name, every descriptor's size
#     matches its blob, and each config diff_id is the sha256 of its uncompressed layer.
#
# OUTDIR is replaced. Prints a summary of the image unless --quiet. Used by scripts/demo.sh
# and by the integration tests (tests/integration/registry.bash: make_test_image).
set -euo pipefail

quiet=0
if [ "${1:-}" = --quiet ]; then
	quiet=1
	shift
fi
[ $# -ge 1 ] || {
	echo "usage: scripts/mkimage.sh [--quiet] OUTDIR [LAYER-DIR...]" >&2
	exit 64
}
img=$1
shift
extra_layers=("$@")
busybox=/bin/busybox

die() {
	echo "mkimage: $*" >&2
	exit 1
}

for t in jq sha256sum gzip tar dpkg; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/deps.sh as root"
done
[ -x "$busybox" ] || die "$busybox is missing: install busybox-static (scripts/deps.sh)"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; the image needs busybox-static's static binary"
fi
for d in "${extra_layers[@]}"; do
	[ -d "$d" ] || die "layer directory $d does not exist"
done

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# The OCI platform of this machine, from Debian's architecture name.
variant=
case $(dpkg --print-architecture) in
amd64) arch=amd64 ;;
arm64) arch=arm64 variant=v8 ;;
armhf) arch=arm variant=v7 ;;
armel) arch=arm variant=v5 ;;
i386) arch=386 ;;
ppc64el) arch=ppc64le ;;
s390x) arch=s390x ;;
riscv64) arch=riscv64 ;;
mips64el) arch=mips64le ;;
*) die "no OCI architecture name known for $(dpkg --print-architecture)" ;;
esac

# ---------------------------------------------------------------- 1. the layers

rm -rf "$img"
mkdir -p "$img/blobs/sha256"
work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir "$rootfs"

install -d -m 0755 "$rootfs/bin" "$rootfs/etc" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
install -d -m 0700 "$rootfs/root"
install -d -m 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
applets=(sh ash ls echo cat cp mv rm mkdir rmdir ln chmod chown id env true false sleep ps uname
	hostname wc head tail grep sed awk find sort uniq date du df mount umount ip ping wget vi
	touch pwd which kill free top printf test expr)
have=$("$busybox" --list)
n_applets=0
for a in "${applets[@]}"; do
	if grep -qxF "$a" <<<"$have"; then
		ln -s busybox "$rootfs/bin/$a"
		n_applets=$((n_applets + 1))
	fi
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"

layer_digests=()
layer_sizes=()
diff_ids=()
tar_sizes=()

# add_layer DIR [NAMES...]: one reproducible layer (ustar: short names only, no pax times,
# then gzip without a name or timestamp) of DIR's NAMES (default: everything in DIR).
add_layer() {
	local dir=$1 d
	shift
	local names=("$@")
	if [ ${#names[@]} -eq 0 ]; then
		mapfile -t names < <(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort)
	fi
	[ ${#names[@]} -gt 0 ] || die "layer directory $dir is empty"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=ustar \
		-C "$dir" -cf "$work/layer.tar" "${names[@]}"
	diff_ids+=("sha256:$(sha "$work/layer.tar")")
	tar_sizes+=("$(size "$work/layer.tar")")
	gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
	d=$(sha "$work/layer.tar.gz")
	layer_digests+=("$d")
	layer_sizes+=("$(size "$work/layer.tar.gz")")
	mv "$work/layer.tar.gz" "$img/blobs/sha256/$d"
	rm -f "$work/layer.tar"
}

add_layer "$rootfs" bin dev etc proc root sys tmp
for d in "${extra_layers[@]}"; do
	add_layer "$d"
done

# ---------------------------------------------------------------- 2. config, manifest, index

# put_json FILE-IN-WORK: stores a JSON document (compact, no trailing newline) as a blob and
# prints its digest.
put_json() {
	local d
	d=$(sha "$work/$1")
	mv "$work/$1" "$img/blobs/sha256/$d"
	echo "$d"
}

bb_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
diffs_json=$(printf '%s\n' "${diff_ids[@]}" | jq -R . | jq -cs .)
history_json=$(jq -cn --argjson n "${#diff_ids[@]}" \
	--arg by "scripts/mkimage.sh: busybox-static $bb_version from the build host" '
	[range(0; $n) | { created: "1970-01-01T00:00:00Z",
		created_by: (if . == 0 then $by else "scripts/mkimage.sh: extra layer \(.)" end) }]')
jq -cjn --arg arch "$arch" --arg variant "$variant" --argjson diffs "$diffs_json" \
	--argjson history "$history_json" '
	{
		created: "1970-01-01T00:00:00Z",
		architecture: $arch,
		os: "linux",
		config: {
			Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
			Cmd: ["/bin/sh"],
			WorkingDir: "/"
		},
		rootfs: { type: "layers", diff_ids: $diffs },
		history: $history
	} + (if $variant == "" then {} else { variant: $variant } end)' >"$work/config.json"
config_size=$(size "$work/config.json")
config_digest=$(put_json config.json)

layers_json=$(for i in "${!layer_digests[@]}"; do
	jq -cn --arg d "sha256:${layer_digests[$i]}" --argjson s "${layer_sizes[$i]}" \
		'{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s }'
done | jq -cs .)
jq -cjn --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
	--argjson layers "$layers_json" '
	{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs },
		layers: $layers
	}' >"$work/manifest.json"
manifest_size=$(size "$work/manifest.json")
manifest_digest=$(put_json manifest.json)

jq -cjn --arg md "sha256:$manifest_digest" --argjson ms "$manifest_size" --arg arch "$arch" \
	--arg variant "$variant" '
	{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $md,
			size: $ms,
			platform: ({ architecture: $arch, os: "linux" }
				+ (if $variant == "" then {} else { variant: $variant } end)),
			annotations: { "org.opencontainers.image.ref.name": "latest" }
		}]
	}' >"$img/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$img/oci-layout"

# ---------------------------------------------------------------- 3. check what was written

bad() {
	echo "mkimage: the image layout is invalid: $*" >&2
	exit 1
}

# blob_ok DESCRIPTOR-JSON: the blob it names exists with that size.
blob_ok() {
	local digest sz hex
	digest=$(jq -r .digest <<<"$1")
	sz=$(jq -r .size <<<"$1")
	[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || bad "malformed digest '$digest'"
	hex=${digest#sha256:}
	[ -f "$img/blobs/sha256/$hex" ] || bad "blob $digest is missing"
	[ "$(size "$img/blobs/sha256/$hex")" = "$sz" ] || bad "blob $digest is not $sz bytes"
}

jq -e '.imageLayoutVersion == "1.0.0"' "$img/oci-layout" >/dev/null || bad "oci-layout"
n_blobs=0
for b in "$img"/blobs/sha256/*; do
	name=$(basename "$b")
	[[ $name =~ ^[0-9a-f]{64}$ ]] || bad "blob file name '$name' is not a sha256 hex digest"
	[ "$(sha "$b")" = "$name" ] || bad "blob $name does not hash to its name"
	n_blobs=$((n_blobs + 1))
done
# Identical layers share one blob.
want_blobs=$((2 + $(printf '%s\n' "${layer_digests[@]}" | sort -u | wc -l)))
[ "$n_blobs" -eq "$want_blobs" ] ||
	bad "expected $want_blobs blobs (layers, config, manifest), found $n_blobs"

jq -e '.schemaVersion == 2 and (.manifests | length) == 1' "$img/index.json" >/dev/null ||
	bad "index.json"
mdesc=$(jq -c '.manifests[0]' "$img/index.json")
blob_ok "$mdesc"
manifest=$img/blobs/sha256/$(jq -r '.digest | ltrimstr("sha256:")' <<<"$mdesc")
jq -e '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.manifest.v1+json"' \
	"$manifest" >/dev/null || bad "manifest"
blob_ok "$(jq -c .config "$manifest")"
config=$img/blobs/sha256/$(jq -r '.config.digest | ltrimstr("sha256:")' "$manifest")
n_layers=$(jq '.layers | length' "$manifest")
[ "$(jq '.rootfs.diff_ids | length' "$config")" = "$n_layers" ] ||
	bad "the config's diff_ids do not match the manifest's layers"
for ((i = 0; i < n_layers; i++)); do
	ldesc=$(jq -c ".layers[$i]" "$manifest")
	blob_ok "$ldesc"
	layer=$img/blobs/sha256/$(jq -r '.digest | ltrimstr("sha256:")' <<<"$ldesc")
	want=$(jq -r ".rootfs.diff_ids[$i]" "$config")
	got=sha256:$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || bad "layer $i: uncompressed sha256 $got, config says $want"
done
jq -e --slurpfile c "$config" '.manifests[0].platform.architecture == $c[0].architecture
	and .manifests[0].platform.os == $c[0].os' "$img/index.json" >/dev/null ||
	bad "index platform differs from the config"
listing=$(tar -tvzf "$img/blobs/sha256/${layer_digests[0]}")
grep -qE '^-rwxr-xr-x 0/0 .* bin/busybox$' <<<"$listing" || bad "layer lacks an executable bin/busybox"
grep -qE ' bin/sh -> busybox$' <<<"$listing" || bad "layer lacks the bin/sh symlink"

[ "$quiet" -eq 1 ] && exit 0

short() { echo "${1:0:12}"; }
echo "== OCI image layout: $img (checked: $n_blobs blobs, digests and sizes match)"
echo "   index.json  -> manifest  sha256:$(short "$manifest_digest")  $manifest_size bytes  (ref.name \"latest\", linux/$arch)"
echo "   manifest    -> config    sha256:$(short "$config_digest")  $config_size bytes  (Cmd [\"/bin/sh\"])"
for i in "${!layer_digests[@]}"; do
	echo "               -> layer     sha256:$(short "${layer_digests[$i]}")  ${layer_sizes[$i]} bytes gzip"
done
echo "   layer diff_id            sha256:$(short "${diff_ids[0]#sha256:}")  ${tar_sizes[0]} bytes tar: bin/busybox + $n_applets applet links, /etc/passwd, /etc/group"
for ((i = 1; i < ${#diff_ids[@]}; i++)); do
	echo "   layer diff_id            sha256:$(short "${diff_ids[$i]#sha256:}")  ${tar_sizes[$i]} bytes tar: ${extra_layers[$((i - 1))]}"
done
echo
