#!/bin/bash
# `make bench-run`: container start-up, side by side.
#
#   - `berth run --rm IMAGE /bin/true` (BENCH_RUN_RUNS, default 20), against the bare runtime
#     (`runc run` on a bundle of the same root filesystem, copied out of berth's store, with the
#     config `runc spec` writes) and `podman run --rm` where Podman is installed: mean, p95 and
#     min, and each one's ratio to the bare runtime;
#   - `berth ps -a` over 1000 created containers (BENCH_PS_CONTAINERS);
#   - peak RSS of the frontend and of the broker, as berth reports them at --log-level debug.
#
# Builds its image from busybox-static (scripts/mkimage.sh), loads it through skopeo's
# oci-archive; installs nothing. Run as root (rootful berth and runc).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BERTH_TOP=${BERTH_TOP:-$top}
berth=$BERTH_TOP/bin/berth
n=${BENCH_RUN_RUNS:-20}
n_ps=${BENCH_PS_CONTAINERS:-1000}

[ -x "$berth" ] || { echo "bench-run: $berth is missing: build first ('make')" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "bench-run: skopeo is needed (make deps)" >&2; exit 1; }
runc=$(command -v runc || true)

tmp=$(mktemp -d /tmp/berth-bench-run.XXXXXX)
cleanup() {
	if [ -n "$runc" ]; then
		"$runc" --root "$tmp/runc" delete -f bench-bare >/dev/null 2>&1 || true
		"$runc" --root "$tmp/runc" delete -f bench-same >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp" 2>/dev/null || true
}
trap cleanup EXIT
chmod 0755 "$tmp"
store=(--root "$tmp/store" --runroot "$tmp/run")
b() { "$berth" "${store[@]}" "$@"; }

"$top/scripts/mkimage.sh" --quiet "$tmp/img"
skopeo --insecure-policy copy -q "oci:$tmp/img:latest" "oci-archive:$tmp/img.tar:bench:1"
b load -q -i "$tmp/img.tar" >/dev/null

# timed N OUT CMD...: one wall time per line (microseconds), after one warm-up run.
timed() {
	local runs=$1 out=$2 i t0 t1
	shift 2
	: >"$out"
	"$@" >/dev/null
	for ((i = 0; i < runs; i++)); do
		t0=${EPOCHREALTIME/[.,]/}
		"$@" >/dev/null
		t1=${EPOCHREALTIME/[.,]/}
		echo $((t1 - t0)) >>"$out"
	done
}

stats() {
	sort -n "$1" | awk '
		{ v[NR] = $1; sum += $1 }
		END {
			i = int(NR * 0.95); if (i < NR * 0.95) i++; if (i < 1) i = 1
			printf "%.2f %.2f %.2f\n", sum / NR / 1000, v[i] / 1000, v[1] / 1000
		}'
}

timed "$n" "$tmp/berth.us" b run --rm bench:1 /bin/true

bare=-
same=-
if [ -n "$runc" ]; then
	mkdir -p "$tmp/bundle/rootfs"
	for l in "$tmp"/store/layers/*; do
		cp -a "$l/." "$tmp/bundle/rootfs/"
	done
	(cd "$tmp/bundle" && "$runc" spec)
	jq '.process.terminal = false | .process.args = ["/bin/true"]' "$tmp/bundle/config.json" \
		>"$tmp/bundle/c.json"
	mv "$tmp/bundle/c.json" "$tmp/bundle/config.json"
	timed "$n" "$tmp/bare.us" "$runc" --root "$tmp/runc" run --bundle "$tmp/bundle" bench-bare
	bare=$(stats "$tmp/bare.us" | awk '{ print $1 }')
	# The same runtime and root filesystem with the config.json berth generates (capabilities,
	# masked paths, cgroup mount, berth's seccomp profile): what berth adds beyond the runtime.
	cid=$(b create bench:1 /bin/true)
	mkdir -p "$tmp/bundle2"
	jq --arg r "$tmp/bundle/rootfs" '.root.path = $r' \
		"$tmp/store/containers/$cid/userdata/config.json" >"$tmp/bundle2/config.json"
	timed "$n" "$tmp/same.us" "$runc" --root "$tmp/runc" run --bundle "$tmp/bundle2" bench-same
	same=$(stats "$tmp/same.us" | awk '{ print $1 }')
	b rm "$cid" >/dev/null
fi

# Podman with the settings this kind of host needs (its default crun refuses hybrid cgroups,
# and its default RLIMIT_NOFILE is above what a process without CAP_SYS_RESOURCE may set).
podman_stats=
podman_note="(no podman)"
pm=(podman --root "$tmp/podman" --runroot "$tmp/podman-run" --runtime runc)
if command -v podman >/dev/null; then
	"${pm[@]}" load -q -i "$tmp/img.tar" >/dev/null 2>&1 || true
	if "${pm[@]}" run --rm --ulimit host localhost/bench:1 /bin/true >/dev/null 2>"$tmp/pm.err"
	then
		timed "$n" "$tmp/podman.us" "${pm[@]}" run --rm --ulimit host localhost/bench:1 /bin/true
		podman_stats=$(stats "$tmp/podman.us")
	else
		podman_note="(podman failed: $(head -c 60 "$tmp/pm.err"))"
	fi
fi

for ((i = 0; i < n_ps; i++)); do
	b create bench:1 /bin/true >/dev/null
done
timed 20 "$tmp/ps.us" b ps -a

"$berth" --log-level debug "${store[@]}" run --rm bench:1 /bin/true 2>"$tmp/log" >/dev/null
fe=$(sed -n 's/.*peak RSS of berth: \([0-9]*\) kB.*/\1/p' "$tmp/log" | tail -n 1)
br=$(sed -n 's/.*peak RSS of berth-broker: \([0-9]*\) kB.*/\1/p' "$tmp/log" | tail -n 1)
"$berth" --log-level debug "${store[@]}" ps -a 2>"$tmp/log" >/dev/null
fe_ps=$(sed -n 's/.*peak RSS of berth: \([0-9]*\) kB.*/\1/p' "$tmp/log" | tail -n 1)
br_ps=$(sed -n 's/.*peak RSS of berth-broker: \([0-9]*\) kB.*/\1/p' "$tmp/log" | tail -n 1)

ratio() {
	[ "$2" = - ] && { echo -; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
}

echo "berth bench-run: $BERTH_TOP (rootful), $(nproc) cores, kernel $(uname -r)"
fmt='%-38s %5s %9s %9s %9s %10s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
	printf "$fmt" command runs "mean ms" "p95 ms" "min ms" "vs runc"
	read -r m p mi <<<"$(stats "$tmp/berth.us")"
	printf "$fmt" "berth run --rm IMAGE /bin/true" "$n" "$m" "$p" "$mi" "$(ratio "$m" "$bare")"
	if [ "$same" != - ]; then
		read -r m2 p2 mi2 <<<"$(stats "$tmp/same.us")"
		printf "$fmt" "runc run (berth's config.json)" "$n" "$m2" "$p2" "$mi2" \
			"$(ratio "$m2" "$bare")"
		echo "  berth vs runc with the same config.json: $(ratio "$m" "$same")"
	fi
	if [ "$bare" != - ]; then
		read -r m p mi <<<"$(stats "$tmp/bare.us")"
		printf "$fmt" "runc run (bare bundle)" "$n" "$m" "$p" "$mi" "1.00x"
	else
		printf "$fmt" "runc run (bare bundle)" - - - - "(no runc)"
	fi
	if [ -n "$podman_stats" ]; then
		read -r m p mi <<<"$podman_stats"
		printf "$fmt" "podman run --rm IMAGE /bin/true" "$n" "$m" "$p" "$mi" "$(ratio "$m" "$bare")"
	else
		printf "$fmt" "podman run --rm IMAGE /bin/true" - - - - "$podman_note"
	fi
	read -r m p mi <<<"$(stats "$tmp/ps.us")"
	printf "$fmt" "berth ps -a ($n_ps containers)" 20 "$m" "$p" "$mi" ""
}
echo "peak RSS: run: frontend ${fe:--} kB, broker ${br:--} kB; ps -a: frontend ${fe_ps:--} kB," \
	"broker ${br_ps:--} kB"
