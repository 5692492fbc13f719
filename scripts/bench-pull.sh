#!/bin/bash
# `make bench-pull`: pull of a 3-layer image of about 150 MB (incompressible and compressible
# files, gzip) from a local TLS registry (Debian's docker-registry on 127.0.0.1) into an empty
# store, side by side with the practical limit -- curl downloading the same blobs in parallel
# plus `tar -xzf` of each -- and with `skopeo copy docker://... dir:` plus tar where skopeo is
# installed. Wall time is the median of BENCH_PULL_RUNS (default 3); peak RSS of the berth
# frontend and broker are their own (getrusage, reported at --log-level debug), and of the
# whole command (GNU time: the largest process, workers included).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BERTH_TOP=${BERTH_TOP:-$top}
export BERTH_SRC=$top
runs=${BENCH_PULL_RUNS:-3}
berth=$BERTH_TOP/bin/berth
[ -x "$berth" ] || { echo "bench-pull: build first ('make')" >&2; exit 1; }
for t in docker-registry skopeo curl openssl; do
	command -v "$t" >/dev/null || { echo "bench-pull: $t is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

export BERTH_IT_TMP
BERTH_IT_TMP=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
chmod 0755 "$BERTH_IT_TMP"
# shellcheck source=../tests/integration/registry.bash
. "$top/tests/integration/registry.bash"
cleanup() {
	registry_stop bench >/dev/null 2>&1 || true
	rm -rf "$BERTH_IT_TMP"
}
trap cleanup EXIT

registry_start bench >/dev/null
mkdir -p "$BERTH_IT_TMP/l2" "$BERTH_IT_TMP/l3"
head -c $((75 * 1024 * 1024)) /dev/urandom >"$BERTH_IT_TMP/l2/random.bin"
# Compressible: text that gzip shrinks about 5x.
python3 -c '
import random, sys
random.seed(7)
words = [("%x" % random.getrandbits(24)) for _ in range(4000)]
out = sys.stdout
n = 0
while n < 75 * 1024 * 1024:
    line = " ".join(random.choice(words) for _ in range(12)) + "\n"
    out.write(line); n += len(line)
' >"$BERTH_IT_TMP/l3/text.txt"
make_test_image "$BERTH_IT_TMP/img" "$BERTH_IT_TMP/l2" "$BERTH_IT_TMP/l3"
REF=$REGISTRY_BENCH_ADDR/bench/big:latest
push_test_image "$BERTH_IT_TMP/img" "$REF"
CERTS=$BERTH_IT_TMP/certs
install -d -m 0755 "$CERTS"
install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"

manifest=$(jq -r '.manifests[0].digest' "$BERTH_IT_TMP/img/index.json")
layers=$(jq -r '.layers[].digest' "$BERTH_IT_TMP/img/blobs/sha256/${manifest#sha256:}")
total=$(jq '[.layers[].size] | add' "$BERTH_IT_TMP/img/blobs/sha256/${manifest#sha256:}")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

# berth
: >"$BERTH_IT_TMP/berth.t"
: >"$BERTH_IT_TMP/berth.rss"
for ((i = 0; i < runs; i++)); do
	s=$BERTH_IT_TMP/store-$i
	t0=$(now)
	/usr/bin/time -f %M -o "$BERTH_IT_TMP/all.rss" "$berth" --log-level debug --root "$s/root" \
		--runroot "$s/run" pull -q --cert-dir "$CERTS" "$REF" >/dev/null 2>"$BERTH_IT_TMP/log"
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$BERTH_IT_TMP/berth.t"
	fe=$(sed -n 's/.*peak RSS of berth: \([0-9]*\) kB.*/\1/p' "$BERTH_IT_TMP/log" | tail -n 1)
	br=$(sed -n 's/.*peak RSS of berth-broker: \([0-9]*\) kB.*/\1/p' "$BERTH_IT_TMP/log" | tail -n 1)
	echo "$fe $br $(cat "$BERTH_IT_TMP/all.rss")" >>"$BERTH_IT_TMP/berth.rss"
	rm -rf "$s"
done

# curl + tar: the blobs in parallel, then each extracted
: >"$BERTH_IT_TMP/curl.t"
for ((i = 0; i < runs; i++)); do
	d=$BERTH_IT_TMP/curl-$i
	mkdir -p "$d/rootfs"
	args=()
	for l in $layers; do
		args+=(-o "$d/${l#sha256:}" "https://$REGISTRY_BENCH_ADDR/v2/bench/big/blobs/$l")
	done
	t0=$(now)
	curl -sS --no-progress-meter --parallel --parallel-max 3 -L --cacert "$REGISTRY_CA" "${args[@]}"
	for l in $layers; do tar -xzf "$d/${l#sha256:}" -C "$d/rootfs"; done
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$BERTH_IT_TMP/curl.t"
	rm -rf "$d"
done

# skopeo + tar
: >"$BERTH_IT_TMP/skopeo.t"
for ((i = 0; i < runs; i++)); do
	d=$BERTH_IT_TMP/skopeo-$i
	mkdir -p "$d/rootfs"
	t0=$(now)
	skopeo copy --quiet --src-cert-dir "$CERTS" "docker://$REF" "dir:$d/dir"
	for l in $layers; do tar -xzf "$d/dir/${l#sha256:}" -C "$d/rootfs"; done
	t1=$(now)
	echo "$t1 - $t0" | bc >>"$BERTH_IT_TMP/skopeo.t"
	rm -rf "$d"
done

b=$(median <"$BERTH_IT_TMP/berth.t")
c=$(median <"$BERTH_IT_TMP/curl.t")
k=$(median <"$BERTH_IT_TMP/skopeo.t")
fe=$(awk '{ print $1 }' "$BERTH_IT_TMP/berth.rss" | sort -n | tail -n 1)
br=$(awk '{ print $2 }' "$BERTH_IT_TMP/berth.rss" | sort -n | tail -n 1)
all=$(awk '{ print $3 }' "$BERTH_IT_TMP/berth.rss" | sort -n | tail -n 1)
echo "bench-pull: 3 layers, $((total / 1024 / 1024)) MiB compressed, from $REGISTRY_BENCH_ADDR (TLS), $runs runs, median"
printf '%-30s %10s %10s\n' "" "wall s" "vs curl+tar"
printf '%-30s %10.2f %10.2f\n' "berth pull" "$b" "$(echo "$b / $c" | bc -l)"
printf '%-30s %10.2f %10.2f\n' "curl (parallel) + tar -xzf" "$c" 1
printf '%-30s %10.2f %10.2f\n' "skopeo copy dir: + tar -xzf" "$k" "$(echo "$k / $c" | bc -l)"
echo "peak RSS: berth frontend ${fe} kB, berth-broker ${br} kB, largest berth process ${all} kB"
