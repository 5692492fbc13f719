#!/usr/bin/env bats
# Detached containers and their monitor: run -d, logs, stop, kill, wait, restart, exec,
# rm -f, container prune, rootful and rootless, with runc. What is left running between
# commands is only berth-launch (the monitor, and its idle cleanup child), never a broker and
# never a listening socket; a container's end is recorded with no berth command running.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	export IMG=$BERTH_IT_TMP/lc-image
	make_test_image "$IMG"
	export ARCHIVE=$BERTH_IT_TMP/lc-image.tar
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "oci-archive:$ARCHIVE:localhost/bb:1"
	chmod 0644 "$ARCHIVE"
}

setup() {
	load_both "$ARCHIVE"
}

teardown() {
	clean_both
}

# The store's container directory of the rootful or rootless store.
ctr_dir() {
	if [ "$1" = root ]; then
		echo "$BATS_TEST_TMPDIR/root/containers"
	else
		echo "$(user_dir "$TEST_USER")/data/berth/containers"
	fi
}

# logs_have WHO NAME PATTERN: up to 10 s for the container's logs to show PATTERN.
logs_have() {
	local b=berth _
	[ "$1" = root ] || b="berth_as $TEST_USER"
	for _ in $(seq 100); do
		$b logs "$2" 2>&1 | grep -q -- "$3" && return 0
		sleep 0.1
	done
	return 1
}

# No live berth-launch of this tree (zombies that the machine's init has not reaped yet do
# not count).
no_monitor() {
	[ -z "$(live_procs -e | awk '$2 == "berth-launch"' | ours)" ]
}

# No monitor and no broker of the tree under test (a cleanup child included).
no_berth_left() {
	[ -z "$(live_procs -e | awk '$2 == "berth-launch" || $2 == "berth-broker"' | ours)" ]
}

mounted() {
	local pid
	{
		cat /proc/self/mountinfo
		for pid in $(pause_pids "$TEST_USER"); do
			cat "/proc/$pid/mountinfo"
		done
	} | grep -c "/containers/$1/merged" || true
}

@test "run -d: ID printed, no broker and no listening socket left, logs, stop records the exit" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b run -d --name web bb:1 \
			sh -c 'echo ready; echo oops >&2; trap "echo bye; exit 3" TERM; while :; do sleep 0.1; done'
		[ "$status" -eq 0 ] || fail "$who: run -d: $status $stderr"
		[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "$who: not an ID: $output"
		id=$output
		# Daemonless: only the monitor (and its idle cleanup child) stays; no broker.
		left=$(live_procs -e | awk '$2 ~ /^berth/ && $2 != "berth-pause"' | ours)
		[ -n "$left" ] || fail "$who: no monitor left"
		if grep -v -q berth-launch <<<"$left"; then fail "$who: left: $left"; fi
		# ... and nothing berth started listens on a socket.
		for pid in $(awk '{print $1}' <<<"$left") $(pause_pids "$TEST_USER"); do
			if ss -xlpn | grep -q "pid=$pid,"; then fail "$who: pid $pid listens"; fi
			if ss -tulpn | grep -q "pid=$pid,"; then fail "$who: pid $pid listens (inet)"; fi
		done
		run $b ps --format '{{.Names}} {{.State}}'
		assert_eq "$output" "web running"
		logs_have $who web oops || fail "$who: no logs"
		run --separate-stderr $b logs web
		assert_eq "$output" "ready"
		assert_eq "$stderr" "oops"
		run --separate-stderr $b logs -t web
		[[ "$output" =~ ^20[0-9-]{8}T[0-9:.]+(Z|[+-][0-9:]+)\ ready$ ]] || fail "$who: -t: $output"
		run --separate-stderr $b stop web
		[ "$status" -eq 0 ] || fail "$who: stop: $stderr"
		assert_eq "$output" "web"
		run $b ps -a --format '{{.Names}} {{.Status}}'
		[[ "$output" == "web Exited (3) "* ]] || fail "$who: ps: $output"
		run $b logs --tail 1 web
		assert_eq "$output" "bye"
		[ "$(mounted "$id")" = 0 ] || fail "$who: root still mounted"
		assert_no_berth_procs
		$b rm web >/dev/null
	done
}

@test "a detached container's end is recorded by its monitor alone: --rm removes it, exit code kept" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		dir=$(ctr_dir $who)
		id=$($b run -d --rm bb:1 sh -c 'sleep 0.5; exit 4') || fail "$who: run -d"
		[ -d "$dir/$id" ] || fail "$who: no container directory"
		# No berth command runs meanwhile: the monitor's cleanup removes it.
		wait_until test ! -e "$dir/$id" || fail "$who: --rm container still there"
		[ "$(mounted "$id")" = 0 ] || fail "$who: root still mounted"
		wait_until no_monitor || fail "$who: monitor left"
		id=$($b run -d --name keep bb:1 sh -c 'exit 6') || fail "$who: run -d"
		wait_until no_monitor || fail "$who: monitor left"
		[ "$(mounted "$id")" = 0 ] || fail "$who: root still mounted after exit"
		run $b ps -a --format '{{.Names}} {{.Status}}'
		[[ "$output" == "keep Exited (6) "* ]] || fail "$who: ps: $output"
		run $b wait keep
		assert_eq "$output" "6"
		$b rm keep >/dev/null
	done
}

@test "kill -s, wait, restart, rm -f of a running container" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		$b run -d --name k bb:1 sh -c 'trap "echo usr1" USR1; while :; do sleep 0.1; done' >/dev/null
		run $b kill -s USR1 k
		[ "$status" -eq 0 ] || fail "$who: kill -s USR1: $output"
		assert_eq "$output" "k"
		logs_have $who k usr1 || fail "$who: USR1 not delivered"
		(sleep 0.5; $b kill k >/dev/null) &
		run $b wait k
		assert_eq "$output" "137"
		wait
		run --separate-stderr $b kill k
		[ "$status" -eq 125 ] || fail "$who: kill of a stopped container: $status"
		[[ "$stderr" == *"can only kill running containers"* ]] || fail "$who: $stderr"
		run $b restart k
		[ "$status" -eq 0 ] || fail "$who: restart: $output"
		run $b ps --format '{{.Names}} {{.State}}'
		assert_eq "$output" "k running"
		run $b rm k
		[ "$status" -eq 125 ] || fail "$who: rm of a running container: $status"
		id=$($b ps -q --no-trunc)
		run $b rm -f k
		[ "$status" -eq 0 ] || fail "$who: rm -f: $output"
		# The runtime's delete ran: no cgroup of the container is left (rootful, v1 here).
		[ $who = user ] || [ ! -e "/sys/fs/cgroup/pids/$id" ] || fail "cgroup left: $id"
		run $b ps -a -q
		assert_eq "$output" ""
		[ -z "$(ls -A "$(ctr_dir $who)")" ] || fail "$who: container directories left"
		assert_no_berth_procs
	done
}

@test "wait --condition running|created|removing waits for another command; never-states refused" {
	berth create --name w1 bb:1 sleep 100 >/dev/null
	run berth wait --condition created w1
	assert_eq "$output" "-1"
	(sleep 1; berth start w1 >/dev/null) &
	run berth wait --condition running w1
	wait
	[ "$status" -eq 0 ] || fail "wait running: $status $output"
	assert_eq "$output" "-1"
	run berth ps --format '{{.Names}} {{.State}}'
	assert_eq "$output" "w1 running"
	(sleep 1; berth rm -f w1 >/dev/null) &
	run berth wait --condition removing w1
	wait
	[ "$status" -eq 0 ] || fail "wait removing: $status $output"
	[ -z "$(berth ps -a -q)" ] || fail "w1 still there"
	berth create --name w2 bb:1 true >/dev/null
	run --separate-stderr berth wait --condition healthy w2
	[ "$status" -eq 125 ] && [[ "$stderr" == *"never healthy"* ]] || fail "$status $stderr"
	run --separate-stderr berth wait --condition sometime w2
	[ "$status" -eq 125 ] && [[ "$stderr" == *'invalid condition "sometime"'* ]] || fail "$stderr"
}

@test "stop: a container that ignores SIGTERM is killed after -t seconds" {
	berth run -d --name stubborn bb:1 sleep 100 >/dev/null
	start=$(date +%s%N)
	run --separate-stderr berth stop -t 1 stubborn
	[ "$status" -eq 0 ] || fail "stop: $stderr"
	[[ "$stderr" == *"StopSignal SIGTERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL"* ]] ||
		fail "stderr: $stderr"
	run berth ps -a --format '{{.Status}}'
	[[ "$output" == "Exited (137) "* ]] || fail "ps: $output"
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$elapsed" -lt 10000 ] || fail "stop took ${elapsed} ms"
}

@test "exec: exit codes, -e, -w, -u, -i, 126/127, and only on running containers" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		$b run -d --name x bb:1 sleep 100 >/dev/null
		run $b exec x sh -c 'echo in; exit 5'
		[ "$status" -eq 5 ] || fail "$who: exec status $status"
		assert_eq "$output" "in"
		run $b exec -e FOO=bar -w /tmp x sh -c 'echo $FOO $(pwd)'
		assert_eq "$output" "bar /tmp"
		run $b exec -u 1234:5678 x id
		assert_eq "$output" "uid=1234 gid=5678"
		run $b exec -u 1234 x sh -c 'grep CapEff /proc/self/status'
		[[ "$output" == *"0000000000000000" ]] || fail "$who: non-root exec keeps caps: $output"
		run $b exec -i x cat <<<"piped"
		assert_eq "$output" "piped"
		run $b exec x cat
		assert_eq "$output" ""
		run -127 --separate-stderr $b exec x nope
		[ "$status" -eq 127 ] || fail "$who: missing command: $status"
		run -126 --separate-stderr $b exec x /etc/passwd
		[ "$status" -eq 126 ] || fail "$who: not executable: $status"
		$b stop -t 0 x >/dev/null
		run --separate-stderr $b exec x true
		[ "$status" -eq 125 ] || fail "$who: exec in a stopped container: $status"
		[[ "$stderr" == *"can only create exec sessions on running containers"* ]] || fail "$stderr"
		$b rm x >/dev/null
	done
}

@test "logs -f follows until the container exits; --since/--until/--tail" {
	berth run -d --name f bb:1 sh -c 'for i in 1 2 3; do echo line $i; sleep 0.3; done' >/dev/null
	run timeout 20 "$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" \
		--runroot "$BATS_TEST_TMPDIR/run" logs -f f
	[ "$status" -eq 0 ] || fail "logs -f: $status"
	assert_eq "$output" "$(printf 'line 1\nline 2\nline 3')"
	run berth logs --tail 2 f
	assert_eq "$output" "$(printf 'line 2\nline 3')"
	run berth logs --since 1h f
	assert_eq "${#lines[@]}" 3
	run berth logs --until 2000-01-01T00:00:00Z f
	assert_eq "$output" ""
	run --separate-stderr berth logs --since yesterday f
	[ "$status" -eq 125 ] || fail "bad --since accepted"
}

@test "logs -f follows the log through its rotation (16 MiB) to the container's end" {
	berth run -d --name big bb:1 sh -c 'sleep 1; i=0; while [ $i -lt 18 ]; do
		head -c 1000000 /dev/zero | tr "\0" a | fold -w 1000; echo; i=$((i+1)); done; echo END' >/dev/null
	berth logs -f big >"$BATS_TEST_TMPDIR/followed"
	[ -s "$(ctr_dir root)/$(berth ps -a -q --no-trunc)/userdata/ctr.log.1" ] || fail "no rotation"
	assert_eq "$(tr -cd a <"$BATS_TEST_TMPDIR/followed" | wc -c)" 18000000
	assert_eq "$(tail -n 1 "$BATS_TEST_TMPDIR/followed")" "END"
	berth logs big >"$BATS_TEST_TMPDIR/after"
	cmp -s "$BATS_TEST_TMPDIR/followed" "$BATS_TEST_TMPDIR/after" || fail "logs -f and logs differ"
}

@test "kill -9 of the monitor: the container is stopped and recorded, nothing is left mounted" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		id=$($b run -d --name m bb:1 sleep 100) || fail "$who: run -d"
		mon=$(pgrep -f -o "berth-launch --run .*--id $id") || fail "$who: no monitor"
		ctr=$(pgrep -P "$mon" -x sleep) || fail "$who: no container init under the monitor"
		kill -9 "$mon"
		wait_until sh -c "ps -o stat= -p $ctr | grep -qv '^Z' && exit 1 || exit 0" ||
			fail "$who: container still runs"
		# The monitor's cleanup child (berth-broker --cleanup, once the monitor is gone)
		# records the end and unmounts; it may still be at work when the monitor is.
		wait_until no_berth_left || fail "$who: cleanup left"
		[ "$(mounted "$id")" = 0 ] || fail "$who: root still mounted"
		run --separate-stderr $b ps -a --format '{{.Names}} {{.Status}}'
		[[ "$output" == "m Exited (137) "* ]] || fail "$who: ps: $output"
		$b rm m >/dev/null
	done
}

@test "container prune removes what is not running, keeps what runs" {
	berth create --name c1 bb:1 true >/dev/null
	berth run --name c2 bb:1 true >/dev/null
	berth run -d --name c3 bb:1 sleep 100 >/dev/null
	run berth container prune -f
	[ "$status" -eq 0 ] || fail "prune: $output"
	assert_eq "${#lines[@]}" 2
	run berth ps -a --format '{{.Names}}'
	assert_eq "$output" "c3"
	run berth container prune <<<"n"
	run berth ps -a --format '{{.Names}}'
	assert_eq "$output" "c3"
}

# in_pty WHO COMMAND...: runs berth (rootful, or rootless as the test user) inside a terminal
# that script(1) makes, feeding it this function's stdin; prints the terminal's output.
in_pty() {
	local who=$1 cmd
	shift
	if [ "$who" = root ]; then
		cmd="$BERTH_TOP/bin/berth --root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run $*"
	else
		local d
		d=$(user_dir "$TEST_USER")
		cmd="cd $d && runuser -u $TEST_USER -- env -i HOME=/home/$TEST_USER PATH=/usr/bin:/bin"
		cmd+=" XDG_RUNTIME_DIR=$d/run XDG_DATA_HOME=$d/data $BERTH_TOP/bin/berth $*"
	fi
	timeout 30 script -qfec "stty rows 31 cols 101; $cmd; echo RC=\$?" /dev/null
}

@test "-t: a terminal in the container with the user's size; -it typed through a pty, detach, attach" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run in_pty $who run -t --rm bb:1 sh -c "'tty; stty size; exit 3'" </dev/null
		[[ "$output" == *"/dev/pts/0"* ]] || fail "$who: no terminal: $output"
		[[ "$output" == *"31 101"* ]] || fail "$who: window size: $output"
		[[ "$output" == *"RC=3"* ]] || fail "$who: exit code: $output"
		# Typing reaches the shell; ctrl-p ctrl-q detaches and the container runs on.
		run in_pty $who run -it --name sh1 bb:1 sh < <(sleep 2; printf 'echo hi-$((6*7))\r'
			sleep 1; printf '\x10\x11'; sleep 1)
		[[ "$output" == *"hi-42"* ]] || fail "$who: typed command did not run: $output"
		[[ "$output" == *"RC=0"* ]] || fail "$who: detach: $output"
		run $b ps --format '{{.Names}} {{.State}}'
		assert_eq "$output" "sh1 running"
		# attach: the same shell, its exit code.
		run in_pty $who attach sh1 < <(sleep 1; printf 'echo again-$((2+3))\r'; sleep 1
			printf 'exit 5\r'; sleep 1)
		[[ "$output" == *"again-5"* ]] || fail "$who: attach: $output"
		[[ "$output" == *"RC=5"* ]] || fail "$who: attach exit code: $output"
		wait_until no_monitor || fail "$who: monitor left"
		run $b ps -a --format '{{.Names}} {{.Status}}'
		[[ "$output" == "sh1 Exited (5) "* ]] || fail "$who: ps: $output"
		run $b logs sh1
		[[ "$output" == *"hi-42"* ]] || fail "$who: the log misses the terminal's output"
		run --separate-stderr $b attach sh1
		[ "$status" -eq 125 ] || fail "$who: attach to an exited container: $status"
		$b rm sh1 >/dev/null
	done
}

@test "exec -t: a terminal for the exec'd process with the user's size; -it typed through a pty" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		$b run -d --name x bb:1 sleep 300 >/dev/null
		run in_pty $who exec -t x sh -c "'tty; stty size; test -t 0 && echo in-tty; exit 4'" </dev/null
		[[ "$output" == *"/dev/pts/"* ]] || fail "$who: no terminal: $output"
		[[ "$output" == *"31 101"* ]] || fail "$who: window size: $output"
		[[ "$output" == *"in-tty"* ]] || fail "$who: stdin is not the terminal: $output"
		[[ "$output" == *"RC=4"* ]] || fail "$who: exit code: $output"
		run in_pty $who exec -it x sh < <(sleep 2; printf 'echo hi-$((6*7))\r'; sleep 1
			printf 'exit 6\r'; sleep 1)
		[[ "$output" == *"hi-42"* ]] || fail "$who: typed command did not run: $output"
		[[ "$output" == *"RC=6"* ]] || fail "$who: exec -it exit code: $output"
		run --separate-stderr $b exec -d -t x true
		[ "$status" -eq 125 ] || fail "$who: exec -d -t: $status"
		run $b logs x
		[ -z "$output" ] || fail "$who: exec output went to the container's log: $output"
		$b rm -f x >/dev/null
	done
}

@test "start -a -i of a container made with -t: the terminal raw (typing echoed once), its size" {
	berth create -t -i --name t1 bb:1 sh >/dev/null
	run in_pty root start -a -i t1 < <(sleep 2; printf 'echo typed-$((3*3)); stty size\r'
		sleep 1; printf 'exit 7\r'; sleep 1)
	[[ "$output" == *"typed-9"* && "$output" == *"31 101"* ]] || fail "start -a: $output"
	[[ "$output" == *"RC=7"* ]] || fail "exit code: $output"
	# Echoed by the container's terminal only, not by this one as well.
	[ "$(grep -c 'echo typed' <<<"$output")" = 1 ] || fail "echoed twice: $output"
}

@test "--detach-keys (attach, run -it): a sequence of the user's detaches; a malformed one is refused" {
	berth run -d -t -i --name k1 bb:1 sh >/dev/null
	run in_pty root attach --detach-keys ctrl-a,x k1 < <(sleep 1; printf 'echo seen-$((4*4))\r'
		sleep 1; printf '\x01x'; sleep 1)
	[[ "$output" == *"seen-16"* && "$output" == *"RC=0"* ]] || fail "detach: $output"
	run berth ps --format '{{.Names}} {{.State}}'
	assert_eq "$output" "k1 running"
	run --separate-stderr berth attach --detach-keys ctrl-1 k1
	[ "$status" -eq 125 ] && [[ "$stderr" == *'invalid detach keys "ctrl-1"'* ]] || fail "$stderr"
	# run -it takes them too (its monitor watches the typing).
	# ctrl-p ctrl-q no longer detach: the shell still answers after them.
	run in_pty root run -it --detach-keys ctrl-b,y --name k2 bb:1 sh < <(sleep 2
		printf 'echo run-$((5*5))\r'; sleep 1; printf '\x10\x11\r'; sleep 0.5
		printf 'echo still-$((2*3))\r'; sleep 1; printf '\x02y'; sleep 1)
	[[ "$output" == *"run-25"* && "$output" == *"still-6"* ]] || fail "run -it: $output"
	[[ "$output" == *"RC=0"* ]] || fail "run -it detach: $output"
	run berth ps --format '{{.Names}} {{.State}}' --filter name=k2
	assert_eq "$output" "k2 running"
	run --separate-stderr berth run --detach-keys ctrl- bb:1 true
	[ "$status" -eq 125 ] && [[ "$stderr" == *'invalid detach keys "ctrl-"'* ]] || fail "$stderr"
}

@test "attach to a detached container without a terminal: output, then its exit code" {
	berth run -d -i --name p bb:1 sh -c 'read line; echo "got $line"; exit 9' >/dev/null
	run berth attach p <<<"hello"
	[ "$status" -eq 9 ] || fail "attach: status $status: $output"
	assert_eq "$output" "got hello"
}
