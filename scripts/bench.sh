#!/bin/bash
# `make bench`: a micro-benchmark of what berth does today.
#
#   - wall time of `berth version` (BENCH_VERSION_RUNS, default 50) and `berth info`
#     (BENCH_INFO_RUNS, default 20): mean, p95 and min per run;
#   - peak RSS with GNU time (/usr/bin/time -f %M), when it is installed: the largest single
#     process of each command (GNU time reports the largest of the process and the children it
#     waited for), and the broker with its workers alone, by running the broker under GNU time
#     from a copy of the build tree.
#
# Installs nothing. Uses a throwaway store in a temporary directory; run as root it measures
# rootful berth, as another user rootless berth.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BERTH_TOP=${BERTH_TOP:-$top}
berth=$BERTH_TOP/bin/berth
n_version=${BENCH_VERSION_RUNS:-50}
n_info=${BENCH_INFO_RUNS:-20}

[ -x "$berth" ] || {
	echo "bench: $berth is missing: build first ('make')" >&2
	exit 1
}

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Rootful fetch and verify run as uid 65534: they must reach the copied tree below. (berth
# creates its own store directories 0700.)
chmod 0755 "$tmp"
store=(--root "$tmp/store" --runroot "$tmp/run")

# run_timed N OUT ARGS...: runs berth N times, one wall time per line (microseconds) in OUT.
run_timed() {
	local n=$1 out=$2 i t0 t1
	shift 2
	: >"$out"
	"$berth" "${store[@]}" "$@" >/dev/null # warm-up, and fail early if the command fails
	for ((i = 0; i < n; i++)); do
		t0=${EPOCHREALTIME/[.,]/}
		"$berth" "${store[@]}" "$@" >/dev/null
		t1=${EPOCHREALTIME/[.,]/}
		echo $((t1 - t0)) >>"$out"
	done
}

# stats FILE: "mean p95 min" in milliseconds.
stats() {
	sort -n "$1" | awk '
		{ v[NR] = $1; sum += $1 }
		END {
			i = int(NR * 0.95); if (i < NR * 0.95) i++; if (i < 1) i = 1
			printf "%.2f %.2f %.2f\n", sum / NR / 1000, v[i] / 1000, v[1] / 1000
		}'
}

gnu_time=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	gnu_time=/usr/bin/time
fi

# peak_rss ARGS...: the largest of 3 runs' peak RSS in kB.
peak_rss() {
	local i kb max=0
	for i in 1 2 3; do
		"$gnu_time" -f %M -o "$tmp/rss" "$berth" "${store[@]}" "$@" >/dev/null
		kb=$(tail -n 1 "$tmp/rss")
		[ "$kb" -gt "$max" ] && max=$kb
	done
	echo "$max"
}

# broker_rss: the broker (with the workers it waits for) under GNU time, from a copy of the
# build tree whose berth-broker is a wrapper; "-" when the frontend does not accept that.
broker_rss() {
	local t=$tmp/tree
	mkdir -p "$t/libexec"
	cp -a "$BERTH_TOP/bin" "$t/"
	cp -a "$BERTH_TOP/libexec/berth" "$t/libexec/"
	mv "$t/libexec/berth/berth-broker" "$t/libexec/berth/berth-broker.real"
	# The broker gets a clean environment, so the paths are written into the wrapper.
	cat >"$t/libexec/berth/berth-broker" <<EOF
#!/bin/sh
exec $gnu_time -a -f %M -o $tmp/broker-rss $t/libexec/berth/berth-broker.real "\$@"
EOF
	chmod 0755 "$t/libexec/berth/berth-broker"
	: >"$tmp/broker-rss"
	if "$t/bin/berth" "${store[@]}" info >/dev/null 2>&1 && [ -s "$tmp/broker-rss" ]; then
		sort -n "$tmp/broker-rss" | tail -n 1
	else
		echo "-"
	fi
}

mode=rootful
[ "$(id -u)" -eq 0 ] || mode=rootless
echo "berth bench: $BERTH_TOP ($mode), $(nproc) cores, kernel $(uname -r)"
echo

run_timed "$n_version" "$tmp/version.us" version
run_timed "$n_info" "$tmp/info.us" info
read -r v_mean v_p95 v_min <<<"$(stats "$tmp/version.us")"
read -r i_mean i_p95 i_min <<<"$(stats "$tmp/info.us")"

if [ -n "$gnu_time" ]; then
	v_rss=$(peak_rss version)
	i_rss=$(peak_rss info)
	b_rss=$(broker_rss)
else
	v_rss=- i_rss=- b_rss=-
fi

fmt='%-26s %5s %9s %9s %9s %12s\n'
# shellcheck disable=SC2059 # the format is the constant above
{
	printf "$fmt" command runs "mean ms" "p95 ms" "min ms" "peak RSS kB"
	printf "$fmt" "berth version" "$n_version" "$v_mean" "$v_p95" "$v_min" "$v_rss"
	printf "$fmt" "berth info" "$n_info" "$i_mean" "$i_p95" "$i_min" "$i_rss"
	printf "$fmt" "  broker + workers (info)" - - - - "$b_rss"
}
echo
echo "times: wall clock of each run (bash's EPOCHREALTIME), after one warm-up run."
if [ -n "$gnu_time" ]; then
	echo "peak RSS: the largest single process of the command. \`berth version\` runs only the"
	echo "frontend; \`berth info\` runs the frontend, the broker and the five workers, and the"
	echo "broker row is the broker with the workers it waited for, without the frontend."
else
	echo "peak RSS: not measured (GNU time, /usr/bin/time, is not installed)."
fi
