# Shared helpers for the integration suites; each .bats file does `load helpers`.
#
# They run the real binaries of the build tree in $BERTH_TOP (set by tests/integration/run),
# rootful as the caller (root), or rootless as a test user through runuser with a clean
# environment, the way a user's login shell would start berth.

: "${BERTH_TOP:?BERTH_TOP is not set: run the suites through tests/integration/run}"
: "${BERTH_IT_TMP:?BERTH_IT_TMP is not set: run the suites through tests/integration/run}"
BERTH_SRC=${BERTH_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
# shellcheck disable=SC2034 # used by the suites
BERTH_VERSION=$(sed -n 's/^VERSION := *//p' "$BERTH_SRC/Makefile")

TEST_USER=berthtest
NOSUB_USER=berthnosub

# The process names of everything berth starts, except berth-pause (which is meant to stay).
BERTH_TRANSIENT='^berth(-(broker|fetch|verify|unpack|netsetup|launch|sign))?$'

# ---------------------------------------------------------------- running berth

# berth ARGS...: rootful, with this test's own store.
berth() {
	"$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" "$@"
}

# berth_raw ARGS...: the binary with exactly the given arguments.
berth_raw() {
	"$BERTH_TOP/bin/berth" "$@"
}

# user_dir USER: this test's directory for USER; it holds run/ (XDG_RUNTIME_DIR, 0700) and
# data/ (XDG_DATA_HOME), both owned by USER. Created on first use; prints the path.
user_dir() {
	local u=$1 d
	d="$BERTH_IT_TMP/$(basename "$BATS_TEST_FILENAME" .bats)-$BATS_TEST_NUMBER-$u"
	if [ ! -d "$d" ]; then
		install -d -m 0755 "$d"
		install -d -m 0700 -o "$u" -g "$(id -g "$u")" "$d/run"
		install -d -m 0755 -o "$u" -g "$(id -g "$u")" "$d/data"
	fi
	echo "$d"
}

# berth_as USER ARGS...: rootless, as USER, with a clean environment and this test's XDG
# directories; runs in the user's test directory so the cwd is one the user can reach.
berth_as() {
	local u=$1 d
	shift
	d=$(user_dir "$u")
	local san=()
	# The sanitizer build needs its options on the far side of env -i too.
	[ -n "${ASAN_OPTIONS:-}" ] && san+=("ASAN_OPTIONS=$ASAN_OPTIONS")
	[ -n "${UBSAN_OPTIONS:-}" ] && san+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")
	(
		cd "$d" || exit 1
		runuser -u "$u" -- env -i HOME="/home/$u" USER="$u" LOGNAME="$u" \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			XDG_RUNTIME_DIR="$d/run" XDG_DATA_HOME="$d/data" "${san[@]}" \
			"$BERTH_TOP/bin/berth" "$@"
	)
}

# load_archive ARCHIVE: loads an image archive into this test's rootful store and into
# $TEST_USER's rootless one.
load_archive() {
	berth load -q -i "$1" >/dev/null && berth_as "$TEST_USER" load -q -i "$1" >/dev/null
}

# ---------------------------------------------------------------- assertions

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# json FILTER [JQ ARGS...]: jq -r FILTER over $output (stdout of the last `run`).
json() {
	jq -r "${@:2}" "$1" <<<"$output"
}

# assert_json FILTER [JQ ARGS...]: FILTER over $output must be true.
assert_json() {
	if ! jq -e "${@:2}" "$1" <<<"$output" >/dev/null; then
		echo "--- document:" >&2
		jq . <<<"$output" >&2 2>/dev/null || echo "$output" >&2
		fail "jq -e '$1' ${*:2} is not true"
	fi
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]: fixed-string containment.
assert_contains() {
	[[ $1 == *"$2"* ]] || fail "${3:-text} does not contain '$2': $1"
}

# assert_line_re TEXT REGEX [WHAT]: some line of TEXT matches the extended regex.
assert_line_re() {
	grep -qE -- "$2" <<<"$1" || fail "${3:-output} has no line matching /$2/: $1"
}

# live_procs PS-SELECTION...: "pid comm" of each matching process that is not a zombie. (pid 1
# on some machines reaps orphans late, and a zombie has kept its name but is no process.)
live_procs() {
	ps "$@" -o pid=,stat=,comm= | awk '$2 !~ /^Z/ { print $1, $3 }'
}

# ours: keeps the "pid comm" lines whose executable is in the build tree under test, so that
# berth processes of another tree on the same machine (a developer's shell) do not count.
BERTH_TOP_REAL=$(realpath "$BERTH_TOP")
ours() {
	local pid comm exe
	while read -r pid comm; do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[[ $exe == "$BERTH_TOP_REAL"/* ]] && echo "$pid $comm"
	done
	return 0
}

# pause_pids USER[,USER...]: the live berth-pause processes of those users, from this tree.
pause_pids() {
	live_procs -u "$1" | awk '$2 == "berth-pause"' | ours | awk '{ print $1 }'
}

# assert_no_berth_procs: within a second, no berth process of this tree but berth-pause is left,
# for any user.
assert_no_berth_procs() {
	local _ left
	for _ in $(seq 20); do
		left=$(live_procs -e | awk -v re="$BERTH_TRANSIENT" '$2 ~ re' | ours)
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	fail "berth processes outlived the command: $left"
}

# ---------------------------------------------------------------- the host, for comparisons

# The Go/OCI architecture name of this machine, as berth reports it.
goarch() {
	case $(dpkg --print-architecture) in
	amd64) echo amd64 ;;
	arm64) echo arm64 ;;
	armhf | armel) echo arm ;;
	i386) echo 386 ;;
	ppc64el) echo ppc64le ;;
	s390x) echo s390x ;;
	riscv64) echo riscv64 ;;
	mips64el) echo mips64le ;;
	*) dpkg --print-architecture ;;
	esac
}

# "VERSION LAYOUT" of the host's cgroup mount: "v2 unified", "v1 hybrid" or "v1 legacy".
host_cgroup() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "v2 unified"
	elif [ -d /sys/fs/cgroup/unified ] &&
		[ "$(stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ]; then
		echo "v1 hybrid"
	else
		echo "v1 legacy"
	fi
}

# The kernel's Landlock ABI (landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION),
# syscall 444 on every architecture), or 0 without Landlock.
landlock_abi() {
	local abi
	abi=$(perl -e 'print syscall(444, 0, 0, 1)')
	[ "$abi" -gt 0 ] 2>/dev/null && echo "$abi" || echo 0
}

# cap_has HEX BIT: whether capability number BIT is set in a /proc CapEff-style hex mask.
cap_has() {
	(((16#$1 >> $2) & 1))
}

# ---------------------------------------------------------------- cleanup

# Kills the test users' pause processes (each test has its own XDG_RUNTIME_DIR, so its own).
kill_test_pause() {
	local pids _
	pids=$(pause_pids "$TEST_USER,$NOSUB_USER")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one pid per word
	kill -9 $pids 2>/dev/null || true
	for _ in $(seq 40); do
		[ -z "$(pause_pids "$TEST_USER,$NOSUB_USER")" ] && return 0
		sleep 0.05
	done
}

# Removes this test's user directories.
remove_user_dirs() {
	rm -rf --one-file-system \
		"$BERTH_IT_TMP/$(basename "$BATS_TEST_FILENAME" .bats)-$BATS_TEST_NUMBER-"*
}

# wait_until CMD...: up to 10 s for CMD to succeed.
wait_until() {
	local _
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# load_both ARCHIVE: the image archive loaded into the rootful store and the test user's.
load_both() {
	berth load -q -i "$1" >/dev/null
	berth_as "$TEST_USER" load -q -i "$1" >/dev/null
}

# clean_both: no container left in either store, no pause process, no user directories.
clean_both() {
	berth rm -a -f >/dev/null 2>&1 || true
	berth_as "$TEST_USER" rm -a -f >/dev/null 2>&1 || true
	kill_test_pause
	remove_user_dirs
}
