#!/usr/bin/env bats
# Containers through the real chain: berth-launch running runc on an overlay of the stored
# layers, rootful and rootless; the security defaults checked from inside the container;
# exit codes as Podman's; ps/rm; images in use; no mount and no process left behind.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	export IMG=$BERTH_IT_TMP/ctr-image
	make_test_image "$IMG"
	export ARCHIVE=$BERTH_IT_TMP/ctr-image.tar
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "oci-archive:$ARCHIVE:localhost/bb:1"
	chmod 0644 "$ARCHIVE"
	# bb:1 with a second layer whose /etc/passwd and /etc/group have a user "app" in two
	# supplementary groups (for -u NAME).
	make_users_layer "$BERTH_IT_TMP/users-layer"
	USERS_ARCHIVE=$(make_test_archive users-image localhost/bb-users:1 "$BERTH_IT_TMP/users-layer")
	export USERS_ARCHIVE
}

setup() {
	berth load -q -i "$ARCHIVE" >/dev/null
	berth_as "$TEST_USER" load -q -i "$ARCHIVE" >/dev/null
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

# The mounts of berth's container roots still in place (rootful: here; rootless: in the
# namespace berth-pause holds).
container_mounts() {
	local pid
	{
		cat /proc/self/mountinfo
		for pid in $(pause_pids); do
			cat "/proc/$pid/mountinfo"
		done
	} | grep -F -e "$BATS_RUN_TMPDIR" -e "$BERTH_IT_TMP" |
		grep '/containers/[0-9a-f]\{64\}/merged' || true
}

@test "run: output, the container's exit code, --rm, ps and rm, rootful and rootless" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b run --rm bb:1 /bin/sh -c 'echo out; echo err >&2; exit 7'
		[ "$status" -eq 7 ] || fail "$who: status $status: $stderr"
		assert_eq "$output" "out"
		assert_eq "$stderr" "err"
		run $b ps -a -q
		[ -z "$output" ] || fail "$who: --rm left $output"
		run $b run --name keep -e GREETING=hi -w /etc --entrypoint /bin/sh bb:1 \
			-c 'echo "$GREETING $(pwd) $(id -u)"'
		[ "$status" -eq 0 ] || fail "$who: run --name keep: $output"
		assert_eq "$output" "hi /etc 0"
		run $b run --rm -u 1000:1000 bb:1 id
		assert_eq "$output" "uid=1000 gid=1000"
		run $b ps -a --format '{{.Names}} {{.Status}} {{.Image}}'
		[[ "$output" == "keep Exited (0) "*" localhost/bb:1" ]] || fail "$who: ps: $output"
		run $b ps -q
		[ -z "$output" ] || fail "$who: ps without -a lists $output"
		run $b ps -a --format json
		assert_json '.[0].Names == ["keep"]'
		assert_json '.[0].ExitCode == 0'
		run $b inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.Config.WorkingDir}} {{.Path}}' keep
		assert_eq "$output" "exited 0 /etc /bin/sh"
		run $b container inspect keep
		assert_json '.[0].Name == "keep" and .[0].ImageName == "localhost/bb:1"'
		assert_json '.[0].BoundingCaps | length == 11'
		run $b container exists keep
		[ "$status" -eq 0 ]
		run $b container inspect bb:1
		[ "$status" -eq 125 ] && [[ "$output" == *"no such container bb:1"* ]] ||
			fail "$who: container inspect of an image: $status $output"
		run $b rm keep
		[ "$status" -eq 0 ] || fail "$who: rm: $output"
		assert_eq "$output" keep
		run $b container exists keep
		[ "$status" -eq 1 ]
		run $b rm keep
		[ "$status" -eq 1 ] && [[ "$output" == *"no container with name or ID \"keep\""* ]] ||
			fail "$who: rm of a removed container: $status $output"
	done
	[ -z "$(container_mounts)" ] || fail "mounts left: $(container_mounts)"
	assert_no_berth_procs
}

@test "exit codes: 127 for a missing command, 126 for one that cannot run, 125 for berth" {
	run -127 --separate-stderr berth run --rm bb:1 /no/such/thing
	[ "$status" -eq 127 ] && [[ "$stderr" == *"not found"* ]] || fail "$status $stderr"
	run -127 --separate-stderr berth run --rm bb:1 nosuchcmd
	[ "$status" -eq 127 ] || fail "$status $stderr"
	run --separate-stderr berth run --rm bb:1 /etc/passwd
	[ "$status" -eq 126 ] && [[ "$stderr" == *"permission denied"* ]] || fail "$status $stderr"
	run --separate-stderr berth run --rm nosuchimage:1 true
	[ "$status" -eq 125 ] && [[ "$stderr" == *"nosuchimage:1"* ]] || fail "$status $stderr"
	run --separate-stderr berth run --rm --cpus 0 bb:1 true
	[ "$status" -eq 125 ] && [[ "$stderr" == *"--cpus"* ]] || fail "$status $stderr"
	run --separate-stderr berth run --rm --cap-add CAP_FOO bb:1 true
	[ "$status" -eq 125 ] && [[ "$stderr" == *"CAP_FOO"* ]] || fail "$status $stderr"
	[ -z "$(container_mounts)" ] || fail "mounts left: $(container_mounts)"
}

@test "security defaults seen from inside: capabilities, seccomp, masked and read-only paths" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run $b run --rm bb:1 grep -E '^(CapEff|CapBnd|CapInh|CapAmb|Seccomp|NoNewPrivs):' \
			/proc/self/status
		[[ "$output" == *"CapEff:	00000000800405fb"* ]] || fail "$who: $output"
		[[ "$output" == *"CapBnd:	00000000800405fb"* ]] || fail "$who: $output"
		[[ "$output" == *"CapInh:	0000000000000000"* ]] || fail "$who: $output"
		[[ "$output" == *"CapAmb:	0000000000000000"* ]] || fail "$who: $output"
		[[ "$output" == *"Seccomp:	2"* ]] || fail "$who: $output"
		[[ "$output" == *"NoNewPrivs:	0"* ]] || fail "$who: $output"
		run $b run --rm --security-opt no-new-privileges bb:1 grep NoNewPrivs /proc/self/status
		[[ "$output" == *"NoNewPrivs:	1"* ]] || fail "$who: $output"
		# Masked: empty (the files this kernel has); read-only: refused.
		run $b run --rm bb:1 sh -c 'for f in /proc/keys /proc/timer_list /proc/kcore; do
			[ -e $f ] && echo "$f $(wc -c <$f)"; done; ls -A /sys/firmware | wc -l'
		[[ "$output" == *"/proc/keys 0"* && "$output" == *"/proc/timer_list 0"* ]] ||
			fail "$who: masked: $output"
		[ "${output##*$'\n'}" = 0 ] || fail "$who: /sys/firmware: $output"
		run $b run --rm bb:1 sh -c 'echo 1 >/proc/sys/kernel/domainname'
		[ "$status" -ne 0 ] && [[ "$output" == *"Read-only file system"* ]] ||
			fail "$who: /proc/sys: $output"
		# The profile answers EPERM for a namespace the container may not make, which the
		# kernel alone would allow (an unprivileged user namespace).
		run $b run --rm bb:1 /bin/busybox unshare -U true
		[ "$status" -ne 0 ] && [[ "$output" == *"Operation not permitted"* ]] ||
			fail "$who: unshare: $status $output"
		run $b run --rm --security-opt seccomp=unconfined bb:1 /bin/busybox unshare -U true
		[ "$status" -eq 0 ] || fail "$who: unconfined unshare: $status $output"
		# --read-only: the root is read-only, /tmp is a tmpfs.
		run $b run --rm --read-only bb:1 sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
		[[ "$output" == *"Read-only file system"* && "$output" == *tmp-ok* ]] ||
			fail "$who: read-only: $output"
		# --privileged lifts them.
		run $b run --rm --privileged bb:1 grep -E '^(CapEff|Seccomp):' /proc/self/status
		[[ "$output" == *"Seccomp:	0"* ]] || fail "$who: privileged: $output"
		[[ "$output" != *"CapEff:	00000000800405fb"* ]] || fail "$who: privileged: $output"
	done
}

@test "rootless: files the container makes belong to the user's mapped IDs; the store is private" {
	run berth_as "$TEST_USER" run --name files bb:1 sh -c 'touch /root-file; touch /uf && chown 1000:1000 /uf'
	[ "$status" -eq 0 ] || fail "$output"
	d=$(user_dir "$TEST_USER")/data/berth
	id=$(berth_as "$TEST_USER" ps -a -q --no-trunc)
	up=$d/containers/$id/upper
	[ "$(stat -c %u "$up/root-file")" = "$(id -u "$TEST_USER")" ] || fail "root-file: $(stat -c %u "$up/root-file")"
	# Container uid 1000 is subordinate uid 200000 + 999.
	[ "$(stat -c %u "$up/uf")" = 200999 ] || fail "uf: $(stat -c %u "$up/uf")"
	[ "$(stat -c %a "$d")" = 700 ]
	berth_as "$TEST_USER" rm files >/dev/null
	[ ! -e "$d/containers/$id" ]
}

@test "an image a container uses is kept by rmi and prune; rmi -f removes the containers" {
	berth create --name user1 bb:1 true >/dev/null
	run berth rmi bb:1
	[ "$status" -ne 0 ] && [[ "$output" == *"image is in use by a container"* ]] || fail "$output"
	run berth images -q
	[ -n "$output" ]
	berth untag bb:1
	berth image prune -f >/dev/null
	[ -n "$(berth images -q)" ] || fail "prune removed an image in use"
	id=$(berth images -q)
	run berth rmi -f "$id"
	[ "$status" -eq 0 ] || fail "$output"
	[ -z "$(berth ps -a -q)" ] || fail "containers left after rmi -f"
	[ -z "$(berth images -q)" ] || fail "image left after rmi -f"
}

@test "crun is refused with the reason on this host's cgroups; runc works when named" {
	command -v crun >/dev/null || skip "crun is not installed"
	if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
		run --separate-stderr berth run --rm --runtime crun bb:1 true
		[ "$status" -eq 125 ] && [[ "$stderr" == *"hybrid cgroups"* ]] || fail "$stderr"
	fi
	run berth --runtime runc run --rm bb:1 true
	[ "$status" -eq 0 ] || fail "$output"
}

@test "20 containers at once from two users, all succeed, none sees the other's" {
	pids=()
	for i in $(seq 10); do
		berth run --rm bb:1 sh -c "echo root-$i" >"$BATS_TEST_TMPDIR/r$i" 2>&1 &
		pids+=($!)
		berth_as "$TEST_USER" run --rm bb:1 sh -c "echo user-$i" >"$BATS_TEST_TMPDIR/u$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a run failed: $(cat "$BATS_TEST_TMPDIR"/[ru]*)"
	done
	for i in $(seq 10); do
		assert_eq "$(cat "$BATS_TEST_TMPDIR/r$i")" "root-$i"
		assert_eq "$(cat "$BATS_TEST_TMPDIR/u$i")" "user-$i"
	done
	[ -z "$(berth ps -a -q)" ] || fail "rootful containers left"
	[ -z "$(berth_as "$TEST_USER" ps -a -q)" ] || fail "rootless containers left"
	[ -z "$(container_mounts)" ] || fail "mounts left: $(container_mounts)"
}

# The pids of a process and everything below it, parents first.
tree_pids() {
	local p
	echo "$1"
	for p in $(pgrep -P "$1"); do
		tree_pids "$p"
	done
}

# Kills a process and everything below it at once: all are stopped first, so none sees
# another die (and records it) before it dies itself.
kill_tree() {
	local pids p
	pids=$(tree_pids "$1")
	for p in $pids; do
		kill -STOP "$p" 2>/dev/null || true
	done
	for p in $pids; do
		kill -9 "$p" 2>/dev/null || true
	done
}

@test "kill -9 of a run and everything under it: ps tells the truth, rm cleans up" {
	berth run --name victim bb:1 sleep 60 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(berth ps --format '{{.Names}}')" = victim ] && break
		sleep 0.1
	done
	[ "$(berth ps --format '{{.Names}} {{.State}}')" = "victim running" ] || fail "not running"
	kill_tree "$pid"
	wait "$pid" 2>/dev/null || true
	run --separate-stderr berth ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == "victim Exited (137) "* ]] || fail "ps: $output"
	[[ "$stderr" == *"ended without an exit status"* ]] || fail "$stderr"
	[ -z "$(container_mounts)" ] || fail "mounts left: $(container_mounts)"
	run berth rm victim
	[ "$status" -eq 0 ] || fail "$output"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/root/containers")" ]
	# The name is free again, and the container runs again from scratch.
	run berth run --rm --name victim bb:1 true
	[ "$status" -eq 0 ] || fail "$output"
}

@test "run -u NAME[:GROUP]: resolved in the container's /etc/passwd and /etc/group" {
	load_archive "$USERS_ARCHIVE"
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b run --rm -u app bb-users:1 id
		[ "$status" -eq 0 ] || fail "$who: status $status: $stderr"
		assert_eq "$output" "uid=1000(app) gid=1001(app) groups=10(wheel),29(audio)"
		run --separate-stderr $b run --rm -u app bb-users:1 /bin/sh -c 'echo $HOME'
		assert_eq "$output" "/home/app"
		run --separate-stderr $b run --rm -u app:staff bb-users:1 id
		assert_eq "$output" "uid=1000(app) gid=50(staff)"
		run --separate-stderr $b run --rm -u app:77 bb-users:1 id
		assert_eq "$output" "uid=1000(app) gid=77"
		run --separate-stderr $b run --rm -u 4242:wheel bb-users:1 id
		assert_eq "$output" "uid=4242 gid=10(wheel)"
		# create keeps the name; start resolves it in the mounted root.
		run $b create --name named -u app bb-users:1 id
		[ "$status" -eq 0 ] || fail "$who: create: $output"
		run $b start -a named
		assert_eq "$output" "uid=1000(app) gid=1001(app) groups=10(wheel),29(audio)"
		run $b rm named
		run --separate-stderr $b run --rm -u nobody bb-users:1 id
		[ "$status" -eq 125 ] || fail "$who: status $status: $stderr"
		assert_eq "$stderr" "Error: unable to find user nobody: no matching entries in passwd file"
		run --separate-stderr $b run --rm -u app:nogroup bb-users:1 id
		[ "$status" -eq 125 ] || fail "$who: status $status: $stderr"
		assert_eq "$stderr" "Error: unable to find group nogroup: no matching entries in group file"
		# A malformed line is no user (runc would read its uid as 0).
		run --separate-stderr $b run --rm -u bad bb-users:1 id
		[ "$status" -eq 125 ] || fail "$who: status $status: $stderr"
		run $b ps -a -q
		[ -z "$output" ] || fail "$who: left $output"
	done
	[ -z "$(container_mounts)" ] || fail "mounts left: $(container_mounts)"
	assert_no_berth_procs
}

@test "the image's User by name is resolved at start; -u overrides it" {
	# The files of bb-users:1 again, imported as one layer with USER app.
	local img=$BERTH_IT_TMP/users-image r=$BATS_TEST_TMPDIR/users-rootfs m l
	mkdir -p "$r"
	m=$(jq -r '.manifests[0].digest' "$img/index.json")
	for l in $(jq -r '.layers[].digest' "$img/blobs/${m/://}"); do
		tar -xf "$img/blobs/${l/://}" -C "$r"
	done
	tar -C "$r" -cf "$BERTH_IT_TMP/users-rootfs.tar" .
	chmod 0644 "$BERTH_IT_TMP/users-rootfs.tar"
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b import -q -c 'USER app' "$BERTH_IT_TMP/users-rootfs.tar" \
			userapp:1
		[ "$status" -eq 0 ] || fail "$who: import: $stderr"
		run --separate-stderr $b run --rm userapp:1 id
		[ "$status" -eq 0 ] || fail "$who: status $status: $stderr"
		assert_eq "$output" "uid=1000(app) gid=1001(app) groups=10(wheel),29(audio)"
		run --separate-stderr $b run --rm -u root userapp:1 id -u
		assert_eq "$output" "0"
	done
}

@test "30 creates at once get 30 distinct generated names" {
	pids=()
	for i in $(seq 30); do
		berth create bb:1 true >/dev/null 2>"$BATS_TEST_TMPDIR/e$i" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a create failed: $(cat "$BATS_TEST_TMPDIR"/e*)"
	done
	[ "$(berth ps -a --format '{{.Names}}' | sort -u | wc -l)" -eq 30 ]
	berth rm -a >/dev/null
}

@test "ps --filter: id, name, label, status, exited, ancestor, before, since; labels shown; restart --all" {
	berth run -d --name a1 -l app=x -l tier bb:1 sleep 100 >/dev/null
	berth run -d --name a2 -l app=y bb:1 sleep 100 >/dev/null
	berth create --name c1 bb:1 true >/dev/null
	berth run --name e3 bb:1 sh -c 'exit 3' || true
	f() { berth ps --filter "$@" --format '{{.Names}}' | tr '\n' ' '; }
	assert_eq "$(f status=running)" "a2 a1 "
	assert_eq "$(f status=exited)" "e3 "
	assert_eq "$(f status=created)" "c1 "
	assert_eq "$(f label=app=x)" "a1 "
	assert_eq "$(f label=app)" "a2 a1 "
	assert_eq "$(f label=tier)" "a1 "
	assert_eq "$(f label=app=y --filter label=tier)" ""
	assert_eq "$(f name=^a)" "a2 a1 "
	assert_eq "$(f name=a1 --filter name=c1)" "c1 a1 "
	assert_eq "$(f status=running --filter name=a1)" "a1 "
	assert_eq "$(f exited=3)" "e3 "
	assert_eq "$(f exited=0)" ""
	assert_eq "$(f before=c1)" "a2 a1 "
	assert_eq "$(f since=a2)" "e3 c1 "
	assert_eq "$(f ancestor=localhost/bb)" "e3 c1 a2 a1 "
	assert_eq "$(f id="$(berth ps -a -q --filter name=c1)")" "c1 "
	run --separate-stderr berth ps --filter nosuch=1
	[ "$status" -eq 125 ] && [[ "$stderr" == *"nosuch is an invalid filter"* ]] || fail "$stderr"
	run --separate-stderr berth ps --filter status=sleeping
	[ "$status" -eq 125 ] && [[ "$stderr" == *"sleeping is not a valid status"* ]] || fail "$stderr"
	run --separate-stderr berth ps --filter before=nope
	[ "$status" -eq 125 ] && [[ "$stderr" == *'"nope"'* ]] || fail "$stderr"
	run berth ps -a --filter name=a1 --format '{{.Labels}}'
	assert_eq "$output" "map[app:x tier:]"
	run berth ps -a --filter name=a --format json
	assert_json '[.[].Labels] == [{"app":"y"}, {"app":"x","tier":""}]'
	run berth inspect --format '{{index .Config.Labels "app"}}' a1
	assert_eq "$output" "x"
	# restart --all: every container, running or not, oldest first, by ID.
	ids=$(berth ps -a -q --no-trunc | tac | tr '\n' ' ')
	run --separate-stderr berth restart --all -t 0
	[ "$status" -eq 0 ] || fail "restart --all: $stderr"
	assert_eq "$(tr '\n' ' ' <<<"$output")" "$ids"
	assert_eq "$(f status=running)" "a2 a1 "
	berth rm -a -f >/dev/null
}
