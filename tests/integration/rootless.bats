#!/usr/bin/env bats
# Rootless berth: the user namespace built from /etc/subuid and /etc/subgid, `berth unshare`, the
# pause process that keeps the namespace between commands, the single-ID fallback, and the
# promise that nothing but berth-pause stays and nothing listens.
#
# As berthtest (subordinate ranges 200000:65536) and berthnosub (none); tests/integration/run
# creates both. Each test has its own XDG_RUNTIME_DIR and XDG_DATA_HOME, so its own pause
# process, which teardown kills.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	TEST_UID=$(id -u "$TEST_USER")
	TEST_GID=$(id -g "$TEST_USER")
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

# pause_count USER: how many (live) berth-pause processes USER has.
pause_count() {
	pause_pids "$1" | wc -l
}

# ---------------------------------------------------------------- the namespace

@test "rootless info maps the user to 0 and the subordinate range from 1" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	assert_json '.host.security.rootless == true'
	assert_json '.host.idMappings.uidmap | length == 2'
	assert_json '.host.idMappings.uidmap[0] == {container_id: 0, host_id: $id, size: 1}' \
		--argjson id "$TEST_UID"
	assert_json '.host.idMappings.uidmap[1] == {container_id: 1, host_id: 200000, size: 65536}'
	assert_json '.host.idMappings.gidmap | length == 2'
	assert_json '.host.idMappings.gidmap[0] == {container_id: 0, host_id: $id, size: 1}' \
		--argjson id "$TEST_GID"
	assert_json '.host.idMappings.gidmap[1] == {container_id: 1, host_id: 200000, size: 65536}'
	assert_json '.host.pausePid | type == "number" and . > 0'
	[[ $stderr != *subuid* ]] || fail "unexpected warning: $stderr"
}

@test "rootless workers are sandboxed too" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	assert_json '[.workers[].role] | sort == ["fetch", "launch", "netsetup", "unpack", "verify"]'
	assert_json 'all(.workers[]; .seccomp == 2 and .noNewPrivs == true)'
	assert_json 'all(.workers[] | select(.role == "fetch" or .role == "verify");
		.capEff == "0000000000000000")'
}

@test "unshare runs the command as uid 0 in the user namespace" {
	run -0 --separate-stderr berth_as "$TEST_USER" unshare id -u
	assert_eq "$output" 0 "id -u inside"
	run -0 --separate-stderr berth_as "$TEST_USER" unshare id -g
	assert_eq "$output" 0 "id -g inside"
}

@test "unshare shows the uid and gid mappings" {
	run -0 --separate-stderr berth_as "$TEST_USER" unshare cat /proc/self/uid_map
	assert_eq "$(awk '{ print $1, $2, $3 }' <<<"$output")" "0 $TEST_UID 1
1 200000 65536" "uid_map"
	run -0 --separate-stderr berth_as "$TEST_USER" unshare cat /proc/self/gid_map
	assert_eq "$(awk '{ print $1, $2, $3 }' <<<"$output")" "0 $TEST_GID 1
1 200000 65536" "gid_map"
}

@test "unshare exits with the command's exit code" {
	run -3 --separate-stderr berth_as "$TEST_USER" unshare sh -c 'exit 3'
	run -1 --separate-stderr berth_as "$TEST_USER" unshare false
	run -0 --separate-stderr berth_as "$TEST_USER" unshare true
}

@test "unshare: 127 for a command that does not exist, 126 for one that cannot run" {
	run -127 --separate-stderr berth_as "$TEST_USER" unshare /nonexistent/berth-no-such-cmd
	run -127 --separate-stderr berth_as "$TEST_USER" unshare berth-no-such-cmd
	run -126 --separate-stderr berth_as "$TEST_USER" unshare /etc/passwd
}

@test "unshare passes stdin and stdout through; no command runs a shell" {
	run -0 --separate-stderr berth_as "$TEST_USER" unshare cat <<<"through the namespace"
	assert_eq "$output" "through the namespace" "cat inside"
	run -4 --separate-stderr berth_as "$TEST_USER" unshare <<<'id -u; exit 4'
	assert_eq "$output" 0 "the shell's output"
}

@test "unshare as root is refused" {
	run -125 --separate-stderr berth unshare id
	assert_contains "$stderr" "Error: please use unshare with rootless" "stderr"
	assert_eq "$output" "" "stdout"
}

# ---------------------------------------------------------------- the pause process

@test "a second command reuses the pause process" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	local p1 p2
	p1=$(json '.host.pausePid')
	run -0 --separate-stderr berth_as "$TEST_USER" unshare true
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	p2=$(json '.host.pausePid')
	[ "$p1" -gt 0 ] || fail "pausePid is $p1"
	assert_eq "$p2" "$p1" "pausePid of the second run"
	assert_eq "$(pause_count "$TEST_USER")" 1 "berth-pause processes of $TEST_USER"
	assert_eq "$(pause_pids "$TEST_USER")" "$p1" "the berth-pause pid"
}

@test "a dead pause process is detected and replaced" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	local p1 p2 i
	p1=$(json '.host.pausePid')
	[ "$p1" -gt 0 ] || fail "pausePid is $p1"
	kill -9 "$p1"
	for i in $(seq 40); do
		[ -d "/proc/$p1" ] || break
		sleep 0.05
	done
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	p2=$(json '.host.pausePid')
	[ "$p2" -gt 0 ] || fail "pausePid is $p2"
	[ "$p2" != "$p1" ] || fail "pausePid is still the killed $p1"
	assert_eq "$(cat "/proc/$p2/comm")" berth-pause "comm of the new pause process"
	assert_eq "$(pause_count "$TEST_USER")" 1 "berth-pause processes of $TEST_USER"
	run -0 --separate-stderr berth_as "$TEST_USER" unshare id -u
	assert_eq "$output" 0 "id -u after the pause process was replaced"
}

@test "the pause process is sandboxed" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	local p
	p=$(json '.host.pausePid')
	[ "$p" -gt 0 ] || fail "pausePid is $p"
	assert_line_re "$(cat "/proc/$p/status")" '^Seccomp:[[:space:]]+2$' "/proc/$p/status"
	assert_line_re "$(cat "/proc/$p/status")" '^NoNewPrivs:[[:space:]]+1$' "/proc/$p/status"
}

# ---------------------------------------------------------------- without subordinate IDs

@test "without subordinate IDs: a single-ID mapping and a warning" {
	run -0 --separate-stderr berth_as "$NOSUB_USER" info --format json
	assert_contains "$stderr" "/etc/subuid" "the warning"
	[[ ${stderr,,} == *single* ]] || fail "the warning does not mention a single-ID mapping: $stderr"
	assert_json '.host.security.rootless == true'
	assert_json '.host.idMappings.uidmap == [{container_id: 0, host_id: $id, size: 1}]' \
		--argjson id "$(id -u "$NOSUB_USER")"
	assert_json '.host.idMappings.gidmap == [{container_id: 0, host_id: $id, size: 1}]' \
		--argjson id "$(id -g "$NOSUB_USER")"
	run -0 --separate-stderr berth_as "$NOSUB_USER" unshare id -u
	assert_eq "$output" 0 "id -u inside"
}

# ---------------------------------------------------------------- store, processes, sockets

@test "the rootless store directories are 0700 and the user's own" {
	run -0 --separate-stderr berth_as "$TEST_USER" info --format json
	local d
	d=$(user_dir "$TEST_USER")
	assert_eq "$(stat -c '%a %U' "$d/data/berth")" "700 $TEST_USER" "XDG_DATA_HOME/berth"
	assert_eq "$(stat -c '%a %U' "$d/run/berth")" "700 $TEST_USER" "XDG_RUNTIME_DIR/berth"
	assert_json '.store.graphRoot | startswith($p)' --arg p "$d/data/berth"
	assert_json '.store.runRoot | startswith($p)' --arg p "$d/run/berth"
	local db
	db=$(json '.store.stateDb')
	assert_eq "$(stat -c %U "$db")" "$TEST_USER" "owner of $db"
}

@test "nothing but berth-pause survives a rootless command" {
	run -0 --separate-stderr berth_as "$TEST_USER" info
	local i left
	for i in $(seq 20); do
		left=$(live_procs -u "$TEST_USER" | awk '$2 == "berth-broker"' | ours)
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || fail "berth-broker still running: $left"
	assert_no_berth_procs
	# What the user has left is exactly one pause process.
	assert_eq "$(live_procs -u "$TEST_USER" | awk '{ print $2 }')" berth-pause \
		"processes of $TEST_USER"
}

@test "no berth process listens on a socket" {
	run -0 --separate-stderr berth_as "$TEST_USER" info
	# Hold a command open so the broker is alive while the sockets are listed.
	berth_as "$TEST_USER" unshare sleep 2 </dev/null >/dev/null 2>&1 3>&- &
	local bg=$! i
	for i in $(seq 40); do
		live_procs -e | awk '$2 == "berth-broker"' | ours | grep -q . && break
		sleep 0.05
	done
	run -0 ss -xlpn
	[[ $output != *'"berth'* ]] || fail "a berth process listens on a unix socket: $output"
	run -0 ss -tulpn
	[[ $output != *'"berth'* ]] || fail "a berth process listens on a TCP or UDP port: $output"
	wait "$bg"
}
