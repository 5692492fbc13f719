#!/usr/bin/env bats
# The workers' sandboxes, proven from the outside (bubblewrap's try-syscall habit). Every
# worker binary, and berth-pause, accepts
#   --try-syscall NAME   enter its real sandbox, make one syscall (sandbox/try_syscall.c), print
#                        "allowed" or "denied: ERRNO"; a call the filter kills ends the process
#                        by SIGSYS (status 159) before anything is printed;
#   --sandbox-status     enter its real sandbox, print Seccomp/NoNewPrivs/CapEff/Landlock lines.
# Each test checks every role and lists every role that failed, not only the first.
#
# BERTH_TOP: the build tree holding libexec/berth/ (default: the top of the source tree).

bats_require_minimum_version 1.5.0

ROLES="fetch verify unpack netsetup launch pause"

setup_file() {
	export BERTH_TOP="${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
	export LIBEXEC="$BERTH_TOP/libexec/berth"
	local r
	for r in $ROLES; do
		if [ ! -x "$LIBEXEC/berth-$r" ]; then
			echo "missing $LIBEXEC/berth-$r: build first (make), or set BERTH_TOP" >&2
			return 1
		fi
	done
	# Whether the kernel has Landlock decides if Landlock's own denials can be checked.
	LANDLOCK_LINE=$("$LIBEXEC/berth-verify" --sandbox-status | sed -n 's/^Landlock: //p')
	export LANDLOCK_LINE
	if [ -z "$LANDLOCK_LINE" ]; then
		echo "berth-verify --sandbox-status printed no Landlock line" >&2
		return 1
	fi
}

setup() {
	FAILURES=""
}

have_landlock() {
	[[ "$LANDLOCK_LINE" == enforced* ]]
}

# try ROLE NAME: runs the worker; sets $status, $output (stdout), $stderr.
try() {
	run --separate-stderr "$LIBEXEC/berth-$1" --try-syscall "$2"
}

fail_role() {
	FAILURES+="  berth-$1 --try-syscall $2: expected $3; got status $status, stdout '${output}'"
	FAILURES+=", stderr '${stderr:0:300}'"$'\n'
}

report() {
	if [ -n "$FAILURES" ]; then
		printf 'sandbox check failed:\n%s' "$FAILURES" >&2
		return 1
	fi
}

# The filter killed the call: SIGSYS, and nothing saying it ran.
expect_killed() {
	try "$1" "$2"
	if [ "$status" -ne 159 ] || [[ "$output" == *allowed* ]]; then
		fail_role "$1" "$2" "SIGSYS (status 159)"
	fi
}

# The call came back with exactly this errno (from an `-> errno` rule or from the kernel).
expect_errno() {
	try "$1" "$2"
	if [ "$status" -ne 0 ] || [ "$output" != "denied: $3" ]; then
		fail_role "$1" "$2" "'denied: $3'"
	fi
}

expect_allowed() {
	try "$1" "$2"
	if [ "$status" -ne 0 ] || [ "$output" != "allowed" ]; then
		fail_role "$1" "$2" "'allowed'"
	fi
}

# Killed by the filter, or failed with one of the errnos given (e.g. EPERM).
expect_killed_or_errno() {
	local role=$1 name=$2 e
	shift 2
	try "$role" "$name"
	[ "$status" -eq 159 ] && [[ "$output" != *allowed* ]] && return 0
	for e in "$@"; do
		[ "$status" -eq 0 ] && [ "$output" = "denied: $e" ] && return 0
	done
	fail_role "$role" "$name" "SIGSYS or 'denied: $*'"
}

# Killed by the filter, or refused by Landlock (EACCES). Without Landlock in the kernel, a
# call the filter lets through cannot be checked: that is recorded as a skip, never a pass.
LANDLOCK_SKIPPED=""
expect_killed_or_landlock() {
	try "$1" "$2"
	[ "$status" -eq 159 ] && [[ "$output" != *allowed* ]] && return 0
	if ! have_landlock; then
		LANDLOCK_SKIPPED+=" $1"
		return 0
	fi
	if [ "$status" -ne 0 ] || [ "$output" != "denied: EACCES" ]; then
		fail_role "$1" "$2" "SIGSYS or Landlock's 'denied: EACCES'"
	fi
}

report_landlock() {
	report
	if [ -n "$LANDLOCK_SKIPPED" ]; then
		skip "kernel has no Landlock ($LANDLOCK_LINE): not checked for$LANDLOCK_SKIPPED"
	fi
}

# ------------------------------------------------------------------ status

# check_status ROLE: runs --sandbox-status and records what is wrong in FAILURES.
check_status() {
	# Capabilities kept per role (bits of CapEff), as in workers/*/policy.c; a process only
	# keeps what it had, so the expectation is the role's set within this shell's own.
	local -A role_caps=(
		[fetch]=0 [verify]=0 [pause]=0
		[unpack]=$(( (1<<0) | (1<<1) | (1<<3) | (1<<4) | (1<<27) | (1<<31) ))
		[netsetup]=$(( (1<<12) | (1<<13) | (1<<21) ))
		[launch]=$(( 1<<5 ))
	)
	local role=$1 mine want got
	mine=$((16#$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)))
	if [ "$status" -ne 0 ]; then
		FAILURES+="  berth-$role --sandbox-status: status $status, stderr '$stderr'"$'\n'
		return
	fi
	grep -qx 'Seccomp: 2' <<<"$output" ||
		FAILURES+="  berth-$role: not in seccomp filter mode: '$output'"$'\n'
	grep -qx 'NoNewPrivs: 1' <<<"$output" ||
		FAILURES+="  berth-$role: no_new_privs not set: '$output'"$'\n'
	got=$(sed -n 's/^CapEff: //p' <<<"$output")
	want=$(printf '%016x' $(( ${role_caps[$role]} & mine )))
	[ "$got" = "$want" ] ||
		FAILURES+="  berth-$role: CapEff '$got', expected $want"$'\n'
	# Every role asks for Landlock: where the kernel has it, it must be enforced.
	got=$(sed -n 's/^Landlock: //p' <<<"$output")
	[[ "$got" == "enforced (ABI "* || "$got" == "unsupported (ABI 0)" ]] ||
		FAILURES+="  berth-$role: Landlock '$got'"$'\n'
	[ "$got" = "$LANDLOCK_LINE" ] ||
		FAILURES+="  berth-$role: Landlock '$got' but verify's is '$LANDLOCK_LINE'"$'\n'
}

@test "every worker runs with seccomp filter mode, no_new_privs and only its capabilities" {
	for role in fetch verify unpack netsetup launch; do
		run --separate-stderr "$LIBEXEC/berth-$role" --sandbox-status
		check_status "$role"
	done
	report
}

@test "berth-pause runs with seccomp filter mode, no_new_privs and no capability" {
	run --separate-stderr "$LIBEXEC/berth-pause" --sandbox-status
	check_status pause
	report
}

# ------------------------------------------------------------------ never allowed anywhere

@test "ptrace is killed or refused in every worker" {
	for role in $ROLES; do expect_killed_or_errno "$role" ptrace EPERM; done
	report
}

@test "execve is killed in every worker" {
	# If execve ran, /bin/echo would print "allowed".
	for role in $ROLES; do expect_killed "$role" execve; done
	report
}

@test "mount and unshare are killed in every worker" {
	for role in $ROLES; do
		expect_killed "$role" mount
		expect_killed "$role" unshare
	done
	report
}

@test "fork (clone without CLONE_THREAD) is killed in every worker" {
	for role in $ROLES; do expect_killed "$role" clone; done
	report
}

@test "clone3 fails with ENOSYS (glibc falls back to clone), and is killed in pause" {
	for role in fetch verify unpack netsetup launch; do expect_errno "$role" clone3 ENOSYS; done
	expect_killed pause clone3
	report
}

@test "writable+executable memory is killed in every worker (mmap and mprotect)" {
	for role in $ROLES; do
		expect_killed "$role" mmap-wx
		expect_killed "$role" mprotect-wx
	done
	report
}

@test "bpf and keyctl are killed in every worker" {
	for role in $ROLES; do
		expect_killed "$role" bpf
		expect_killed "$role" keyctl
	done
	report
}

# ------------------------------------------------------------------ sockets and network

@test "socket is allowed only in fetch and netsetup (the filter is not deny-all)" {
	expect_allowed fetch socket
	expect_allowed netsetup socket
	for role in verify unpack launch pause; do expect_killed "$role" socket; done
	report
}

@test "unix sockets: fetch gets EACCES (glibc's nscd probe), every other worker is killed" {
	expect_errno fetch socket-unix EACCES
	for role in verify unpack netsetup launch pause; do expect_killed "$role" socket-unix; done
	report
}

@test "TCP connect reaches the kernel only in fetch" {
	# 127.0.0.1:1 refuses: the call went through the filter and Landlock.
	expect_errno fetch connect ECONNREFUSED
	for role in verify unpack netsetup launch pause; do expect_killed "$role" connect; done
	report
}

@test "setns: only netsetup, only into a network namespace" {
	# fd -1: an allowed call fails with EBADF, having passed the filter.
	expect_errno netsetup setns EBADF
	for role in fetch verify unpack launch pause; do expect_killed "$role" setns; done
	for role in $ROLES; do expect_killed "$role" setns-user; done
	report
}

# ------------------------------------------------------------------ signals

@test "kill is killed except in launch, the container monitor" {
	# kill(1, 0) probes pid 1: root with CAP_KILL may (allowed), anyone else gets EPERM.
	try launch kill-1
	if [ "$status" -ne 0 ] || { [ "$output" != allowed ] && [ "$output" != "denied: EPERM" ]; }; then
		fail_role launch kill-1 "'allowed' or 'denied: EPERM'"
	fi
	for role in fetch verify unpack netsetup pause; do expect_killed "$role" kill-1; done
	report
}

# ------------------------------------------------------------------ files (Landlock)

@test "no worker can create a file in /tmp" {
	touch "$BATS_TEST_TMPDIR/start"
	for role in $ROLES; do expect_killed_or_landlock "$role" open-write; done
	local left
	left=$(find /tmp -maxdepth 1 -name 'berth-try-[0-9]*' -newer "$BATS_TEST_TMPDIR/start")
	[ -z "$left" ] || FAILURES+="  files left in /tmp: $left"$'\n'
	report_landlock
}

@test "no worker can read /etc/passwd" {
	for role in $ROLES; do expect_killed_or_landlock "$role" open-etc; done
	report_landlock
}

@test "only fetch can open /etc/ssl (CA certificates)" {
	if [ ! -d /etc/ssl ]; then
		skip "/etc/ssl does not exist on this host"
	fi
	for role in verify unpack netsetup launch pause; do
		expect_killed_or_landlock "$role" open-etc-ssl
	done
	expect_allowed fetch open-etc-ssl
	report_landlock
}
