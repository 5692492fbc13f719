#!/usr/bin/env bats
# run/create flags resolved by the broker (broker/ctrflags.c): --group-add, --env-host, --pull,
# --userns, containers.conf, --init. Real runc, rootful, and rootless where the flag differs.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	# bb-users:1: busybox with the groups of make_users_layer (audio 29, staff 50; "app" in
	# wheel 10 and audio).
	make_users_layer "$BERTH_IT_TMP/ctrflags-users"
	ARCHIVE=$(make_test_archive ctrflags-image localhost/bb-users:1 "$BERTH_IT_TMP/ctrflags-users")
	export ARCHIVE
	# For --pull: a TLS registry, one that asks for credentials, two images that differ by a
	# /marker file, and the test CA where the rootless user can read it.
	registry_start pull
	registry_start pullauth --auth
	local v
	for v in v1 v2; do
		mkdir -p "$BERTH_IT_TMP/ctrflags-$v-layer"
		echo "$v" >"$BERTH_IT_TMP/ctrflags-$v-layer/marker"
		chmod 0644 "$BERTH_IT_TMP/ctrflags-$v-layer/marker"
		make_test_image "$BERTH_IT_TMP/ctrflags-$v" "$BERTH_IT_TMP/ctrflags-$v-layer"
	done
	export CERTS=$BERTH_IT_TMP/ctrflags-certs
	install -d -m 0755 "$CERTS"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
}

teardown_file() {
	registry_stop pull
	registry_stop pullauth
}

setup() {
	load_archive "$ARCHIVE"
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

@test "--group-add: gids and names from the container's /etc/group, rootful and rootless" {
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b run --rm --group-add 50 --group-add audio bb-users:1 id -G
		[ "$status" -eq 0 ] || fail "$who: status $status: $stderr"
		assert_eq "$output" "0 29 50" "$who: id -G (the kernel sorts the list)"
		# The user's own groups first, then the added ones.
		run --separate-stderr $b run --rm -u app --group-add staff bb-users:1 id -G
		[ "$status" -eq 0 ] || fail "$who: -u app: status $status: $stderr"
		assert_eq "$output" "1001 10 29 50" "$who: -u app id -G"
		# A created container resolves the name when it starts.
		run $b create --name g --group-add wheel bb-users:1 id -G
		[ "$status" -eq 0 ] || fail "$who: create: $output"
		run $b start -a g
		assert_eq "$output" "0 10" "$who: start -a"
		$b rm g >/dev/null
		run --separate-stderr $b run --rm --group-add nosuch bb-users:1 id -G
		[ "$status" -eq 125 ] || fail "$who: unknown group: status $status"
		assert_contains "$stderr" "unable to find group nosuch"
		run --separate-stderr $b run --rm --group-add keep-groups bb-users:1 id -G
		[ "$status" -eq 125 ] || fail "$who: keep-groups: status $status"
		assert_contains "$stderr" "keep-groups"
		run --separate-stderr $b run --rm --group-add 4294967295 bb-users:1 id -G
		[ "$status" -eq 125 ] || fail "$who: gid out of range: status $status"
		run $b ps -a -q
		[ -z "$output" ] || fail "$who: containers left: $output"
	done
	assert_no_berth_procs
}

@test "--env-host: the frontend's environment, under the image's Env and -e" {
	# Rootful: this shell's environment. The image sets PATH, which stays the image's.
	run --separate-stderr env BERTH_T1=from-host BERTH_T2=host PATH="/host/bin:$PATH" \
		"$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" \
		run --rm --env-host -e BERTH_T2=flag bb-users:1 \
		sh -c 'echo "$BERTH_T1 $BERTH_T2 $PATH"'
	[ "$status" -eq 0 ] || fail "status $status: $stderr"
	[[ $output == "from-host flag "* ]] || fail "env: $output"
	[[ $output != *"/host/bin"* ]] || fail "the host's PATH replaced the image's: $output"
	# Without the flag, nothing of it.
	run env BERTH_T1=from-host "$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" \
		--runroot "$BATS_TEST_TMPDIR/run" run --rm bb-users:1 sh -c 'echo "[$BERTH_T1]"'
	assert_eq "$output" "[]"
	# Rootless: the user's environment as berth_as sets it (USER, LOGNAME, XDG_RUNTIME_DIR).
	run berth_as "$TEST_USER" run --rm --env-host bb-users:1 sh -c 'echo "$USER $LOGNAME"'
	assert_eq "$output" "$TEST_USER $TEST_USER"
}

@test "--pull always|missing|never|newer, with pull's --cert-dir, --tls-verify, --authfile, -q" {
	ref=$REGISTRY_PULL_ADDR/test/bb:1
	push_test_image "$BERTH_IT_TMP/ctrflags-v1" "$ref"
	run --separate-stderr berth run --rm --pull never "$ref" true
	[ "$status" -eq 125 ] || fail "never: status $status"
	assert_eq "$stderr" "Error: $ref: image not known"
	# missing (the default) pulls, with the pull's flags: without the CA, TLS fails.
	run --separate-stderr berth run --rm "$ref" true
	[ "$status" -eq 125 ] || fail "no CA: status $status: $stderr"
	run berth run --rm --pull never "$ref" true
	[ "$status" -eq 125 ] || fail "a failed pull stored the image"
	run --separate-stderr berth run --rm --cert-dir "$CERTS" "$ref" cat /marker
	[ "$status" -eq 0 ] || fail "missing: status $status: $stderr"
	assert_eq "$output" v1
	assert_contains "$stderr" "Trying to pull $ref"
	# The registry moves on; missing and never keep what is stored, newer takes the new one.
	push_test_image "$BERTH_IT_TMP/ctrflags-v2" "$ref"
	run --separate-stderr berth run --rm --cert-dir "$CERTS" "$ref" cat /marker
	assert_eq "$output" v1 "missing with the image stored"
	assert_eq "$stderr" "" "missing with the image stored: stderr"
	run berth run --rm --pull never "$ref" cat /marker
	assert_eq "$output" v1 "never"
	run --separate-stderr berth run --rm -q --pull newer --cert-dir "$CERTS" "$ref" cat /marker
	[ "$status" -eq 0 ] || fail "newer: status $status: $stderr"
	assert_eq "$output" v2 "newer"
	assert_eq "$stderr" "" "newer -q: stderr"
	# always, and --tls-verify=false needs no CA.
	push_test_image "$BERTH_IT_TMP/ctrflags-v1" "$ref"
	run --separate-stderr berth run --rm --pull always --tls-verify=false "$ref" cat /marker
	[ "$status" -eq 0 ] || fail "always: status $status: $stderr"
	assert_eq "$output" v1 "always"
	# newer keeps the stored image when the registry cannot be reached (no CA): Podman's rule.
	push_test_image "$BERTH_IT_TMP/ctrflags-v2" "$ref"
	run --separate-stderr berth run --rm --pull newer "$ref" cat /marker
	[ "$status" -eq 0 ] || fail "newer, registry refused: status $status: $stderr"
	assert_eq "$output" v1 "newer, registry refused"
	run --separate-stderr berth run --rm --pull sometimes "$ref" true
	[ "$status" -eq 125 ] || fail "bad policy: status $status"
	assert_contains "$stderr" 'invalid pull policy "sometimes"'
	# --authfile: what berth login stored.
	priv=$REGISTRY_PULLAUTH_ADDR/private/bb:1
	push_test_image "$BERTH_IT_TMP/ctrflags-v2" "$priv"
	af=$BATS_TEST_TMPDIR/auth.json
	run --separate-stderr berth run --rm --cert-dir "$CERTS" --authfile "$af" "$priv" true
	[ "$status" -eq 125 ] || fail "no credentials: status $status"
	berth login --authfile "$af" --cert-dir "$CERTS" -u "$REGISTRY_USER" \
		-p "$REGISTRY_PASSWORD" "$REGISTRY_PULLAUTH_ADDR" >/dev/null
	run --separate-stderr berth run --rm --cert-dir "$CERTS" --authfile "$af" "$priv" cat /marker
	[ "$status" -eq 0 ] || fail "--authfile: status $status: $stderr"
	assert_eq "$output" v2 "--authfile"
	# Rootless: the same pull into the user's store; create pulls too.
	run --separate-stderr berth_as "$TEST_USER" create --name p --cert-dir "$CERTS" "$ref" cat /marker
	[ "$status" -eq 0 ] || fail "rootless create: status $status: $stderr"
	run berth_as "$TEST_USER" start -a p
	assert_eq "$output" v2 "rootless"
	assert_no_berth_procs
}

@test "--userns keep-id: the user's own IDs inside, rootless; host; rootful refused" {
	uid=$(id -u "$TEST_USER")
	gid=$(id -g "$TEST_USER")
	run --separate-stderr berth_as "$TEST_USER" run --name k --userns keep-id bb-users:1 \
		sh -c 'id -u; id -g; touch /tmp/mine; cat /proc/self/uid_map'
	[ "$status" -eq 0 ] || fail "keep-id: status $status: $stderr"
	assert_eq "$(sed -n 1p <<<"$output")" "$uid" "id -u"
	assert_eq "$(sed -n 2p <<<"$output")" "$gid" "id -g"
	# The user's uid is the user itself on the host: 0 of berth-pause's namespace; the
	# subordinate IDs fill the rest.
	assert_line_re "$output" "^ *$uid +0 +1$" "uid_map"
	assert_line_re "$output" "^ *0 +1 +$uid$" "uid_map"
	# What it wrote belongs to the user on the host.
	id=$(berth_as "$TEST_USER" inspect --format '{{.Id}}' k)
	f=$(user_dir "$TEST_USER")/data/berth/containers/$id/upper/tmp/mine
	assert_eq "$(stat -c %u:%g "$f")" "$uid:$gid" "owner of the file on the host"
	berth_as "$TEST_USER" rm k >/dev/null
	# keep-id:uid=,gid=, and -u over the default user.
	run berth_as "$TEST_USER" run --rm --userns keep-id:uid=1000,gid=1001 bb-users:1 id
	assert_eq "$output" "uid=1000(app) gid=1001(app)"
	run berth_as "$TEST_USER" run --rm --userns keep-id -u 0 bb-users:1 id -u
	assert_eq "$output" "0" "keep-id -u 0"
	run berth_as "$TEST_USER" run --rm --userns host bb-users:1 id -u
	assert_eq "$output" "0" "host"
	run --separate-stderr berth_as "$TEST_USER" run --rm --userns keep-id:size=3 bb-users:1 true
	[ "$status" -eq 125 ] || fail "keep-id:size=3: status $status"
	run --separate-stderr berth run --rm --userns keep-id bb-users:1 true
	[ "$status" -eq 125 ] || fail "rootful keep-id: status $status"
	assert_contains "$stderr" "--userns=keep-id is only supported rootless"
	assert_no_berth_procs
}

@test "--userns nomap: only the subordinate IDs; the image's owners as they are inside; rootful refused" {
	local d sub id dir before
	d=$(user_dir "$TEST_USER")
	sub=$(awk -F: -v u="$TEST_USER" '$1 == u { print $2; exit }' /etc/subuid)
	run --separate-stderr berth_as "$TEST_USER" run --name n --userns nomap bb-users:1 \
		sh -c 'id -u; stat -c %u:%g /etc/passwd /bin/busybox; cat /proc/self/uid_map; echo x >/etc/mine; stat -c %u /etc/mine'
	[ "$status" -eq 0 ] || fail "nomap: status $status: $stderr"
	assert_eq "$(sed -n 1p <<<"$output")" 0 "id -u"
	# The image's files are root's inside (a copy with its owners shifted by one), so root in
	# the container can write to /etc.
	assert_eq "$(sed -n 2,3p <<<"$output" | tr '\n' ' ')" "0:0 0:0 " "owners inside"
	# Container 0 is berth-pause's 1: the user's own uid is not mapped.
	assert_line_re "$output" "^ *0 +1 +65536$" "uid_map"
	assert_eq "$(sed -n 5p <<<"$output")" 0 "owner of a new file inside"
	id=$(berth_as "$TEST_USER" inspect --format '{{.Id}}' n)
	dir=$d/data/berth/containers/$id
	assert_eq "$(stat -c %u "$dir/upper/etc/mine")" "$sub" "owner of the file on the host (the first subordinate uid)"
	[ -d "$dir/nomap-lower" ] || fail "no nomap-lower copy"
	# Other users still cannot enter the store: only the container's root has an ACL entry.
	assert_eq "$(stat -c %a "$dir")" 710 "mode of the container directory (the ACL mask)"
	run runuser -u nobody -- ls "$dir"
	[ "$status" -ne 0 ] || fail "nobody can list $dir"
	# A second start reuses the copy; a copy left half-made (a start killed while copying,
	# its image still mounted) is unmounted and made again.
	# (The next command's store scan unmounts it; the start removes the rest.)
	run --separate-stderr berth_as "$TEST_USER" unshare sh -c "rm -rf '$dir/nomap-lower' &&
		mkdir -p '$dir/nomap-build/src' && mount -t tmpfs none '$dir/nomap-build/src' &&
		grep -q '$id/nomap-build/src' /proc/self/mountinfo"
	[ "$status" -eq 0 ] || fail "planting a half-made copy: $stderr"
	run --separate-stderr berth_as "$TEST_USER" start -a n
	[ "$status" -eq 0 ] || fail "restart: status $status: $stderr"
	[ ! -e "$dir/nomap-build" ] || fail "nomap-build left behind"
	[ -d "$dir/nomap-lower" ] || fail "no nomap-lower after the restart"
	run --separate-stderr berth_as "$TEST_USER" rm n
	[ "$status" -eq 0 ] || fail "rm: status $status: $stderr"
	[ ! -e "$dir" ] || fail "$dir left behind"
	run --separate-stderr berth_as "$TEST_USER" unshare cat /proc/self/mountinfo
	[[ $output != *"$id"* ]] || fail "a mount of the container is left: $output"
	# A directory above the store the container's root cannot search: the user is told which.
	chmod 0700 "$d/data"
	run --separate-stderr berth_as "$TEST_USER" run --rm --userns nomap bb-users:1 true
	chmod 0755 "$d/data"
	[ "$status" -eq 125 ] || fail "unreachable store: status $status"
	assert_contains "$stderr" "cannot reach $d/data (mode 0700)"
	run --separate-stderr berth run --rm --userns nomap bb-users:1 true
	[ "$status" -eq 125 ] || fail "rootful nomap: status $status"
	assert_contains "$stderr" "--userns=nomap is only supported rootless"
	assert_no_berth_procs
}

@test "containers.conf: env, default_capabilities, seccomp_profile, pids_limit, [engine] runtime" {
	conf=$BATS_TEST_TMPDIR/containers.conf
	cat >"$BATS_TEST_TMPDIR/seccomp.json" <<-'JSON'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
	JSON
	cat >"$conf" <<-EOF
	# the keys berth honours, and one it does not know
	[containers]
	env = ["FROMCONF=yes", "FOO=conf"]
	default_capabilities = ["CHOWN", "NET_RAW"]
	seccomp_profile = "$BATS_TEST_TMPDIR/seccomp.json"
	pids_limit = 77
	tz = "local"
	[engine]
	runtime = "runc"
	EOF
	run --separate-stderr env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" run --rm -e FOO=flag \
		bb-users:1 sh -c 'echo "$FROMCONF $FOO"; grep CapEff /proc/self/status
			mkdir /tmp/d 2>/dev/null && echo mkdir-allowed || echo mkdir-denied'
	[ "$status" -eq 0 ] || fail "status $status: $stderr"
	assert_eq "$(sed -n 1p <<<"$output")" "yes flag" "env"
	# CHOWN (0) and NET_RAW (13) only.
	assert_line_re "$output" $'^CapEff:\t0000000000002001$' "capabilities"
	assert_eq "$(sed -n 3p <<<"$output")" "mkdir-denied" "seccomp_profile"
	# pids_limit where the host has the pids controller (rootful on v1 or hybrid here).
	if [ -d /sys/fs/cgroup/pids ]; then
		run env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" \
			--runroot "$BATS_TEST_TMPDIR/run" create --name p bb-users:1 true
		run berth inspect --format '{{.Id}}' p
		assert_eq "$(jq -r .linux.resources.pids.limit \
			"$BATS_TEST_TMPDIR/root/containers/$output/userdata/config.json")" 77 "pids_limit"
		berth rm p >/dev/null
	fi
	# Without CONTAINERS_CONF none of it (the system files have none of these keys here).
	run berth run --rm bb-users:1 sh -c 'echo "[$FROMCONF]"'
	assert_eq "$output" "[]"
	# [engine] runtime names the runtime as --runtime would.
	sed -i 's/^runtime = .*/runtime = "nosuchruntime"/' "$conf"
	run --separate-stderr env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" run --rm bb-users:1 true
	[ "$status" -eq 125 ] || fail "engine.runtime: status $status"
	assert_contains "$stderr" "nosuchruntime"
	# An error names the file and line.
	printf '[containers]\npids_limit = "many"\n' >"$conf"
	run --separate-stderr env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" run --rm bb-users:1 true
	[ "$status" -eq 125 ] || fail "bad file: status $status"
	assert_contains "$stderr" "$conf:2: containers.pids_limit"
	# Rootless: the user's ~/.config/containers/containers.conf.
	home=$(getent passwd "$TEST_USER" | cut -d: -f6)
	install -d -o "$TEST_USER" "$home/.config" "$home/.config/containers"
	printf '[containers]\nenv = ["FROMCONF=user"]\n' >"$home/.config/containers/containers.conf"
	run --separate-stderr berth_as "$TEST_USER" run --rm bb-users:1 sh -c 'echo "[$FROMCONF]"'
	rm -f "$home/.config/containers/containers.conf"
	[ "$status" -eq 0 ] || fail "rootless: status $status: $stderr"
	assert_eq "$output" "[user]" "rootless user file"
}

@test "--init: berth-init is pid 1, passes the exit code on, reaps orphans, forwards SIGTERM" {
	# Static (it needs nothing from the image), in the sanitizer tree too.
	run ldd "$BERTH_TOP/libexec/berth/berth-init"
	assert_contains "$output" "statically linked" "ldd berth-init"
	for who in root user; do
		if [ $who = root ]; then b=berth; else b="berth_as $TEST_USER"; fi
		run --separate-stderr $b run --rm --init bb-users:1 sh -c 'cat /proc/1/comm; exit 5'
		[ "$status" -eq 5 ] || fail "$who: status $status: $stderr"
		assert_eq "$output" "berth-init" "$who: pid 1"
		run $b run --rm --init bb-users:1 sh -c 'kill -9 $$'
		[ "$status" -eq 137 ] || fail "$who: killed child: status $status"
		run -127 --separate-stderr $b run --rm --init bb-users:1 nosuchcmd
		[ "$status" -eq 127 ] || fail "$who: not found: status $status: $stderr"
	done
	# An orphan that exits is reaped by berth-init; without it, pid 1 (a sleep) leaves it a
	# zombie, which shows that the check can fail.
	for init in "" --init; do
		berth run -d --name z $init bb-users:1 sh -c '(sleep 0.2 &); exec sleep 30' >/dev/null
		sleep 1.5
		run berth exec z sh -c 'grep -l "^State:.Z" /proc/[0-9]*/status'
		if [ -n "$init" ]; then
			[ -z "$output" ] || fail "--init: zombies left: $output"
		else
			[ -n "$output" ] || fail "without --init no zombie: the check cannot fail"
		fi
		berth rm -f z >/dev/null
	done
	# berth stop's SIGTERM reaches the command: sleep dies of it (143) at once instead of
	# being killed after the timeout.
	berth run -d --name s --init bb-users:1 sleep 100 >/dev/null
	start=$SECONDS
	berth stop -t 20 s >/dev/null
	[ $((SECONDS - start)) -lt 10 ] || fail "the stop waited for its timeout"
	run berth wait s
	assert_eq "$output" 143 "exit code after SIGTERM"
	berth rm s >/dev/null
	# --init-path, and containers.conf's init and init_path.
	run --separate-stderr berth run --rm --init --init-path /nonexistent bb-users:1 true
	[ "$status" -eq 125 ] || fail "--init-path missing: status $status"
	assert_contains "$stderr" "--init-path /nonexistent: No such file or directory"
	conf=$BATS_TEST_TMPDIR/containers.conf
	printf '[containers]\ninit = true\ninit_path = "%s"\n' \
		"$BERTH_TOP/libexec/berth/berth-init" >"$conf"
	run env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" \
		--runroot "$BATS_TEST_TMPDIR/run" run --rm bb-users:1 cat /proc/1/comm
	assert_eq "$output" "berth-init" "containers.conf init"
	run env CONTAINERS_CONF="$conf" "$BERTH_TOP/bin/berth" --root "$BATS_TEST_TMPDIR/root" \
		--runroot "$BATS_TEST_TMPDIR/run" run --rm --init=false bb-users:1 cat /proc/1/comm
	assert_eq "$output" "cat" "--init=false over containers.conf"
	assert_no_berth_procs
}

@test "wait as the monitor exits: the exit code, never 'reaching its monitor'" {
	# The race: wait finds the monitor holding the lock, then it exits before pidfd_getfd.
	# Commands that end within 0-90 ms of the wait hit it about once in twenty runs.
	for i in $(seq 60); do
		id=$(berth run -d bb-users:1 sh -c "sleep 0.0$((i % 10)); exit 3")
		run --separate-stderr berth wait "$id"
		[ "$status" -eq 0 ] && [ "$output" = 3 ] || fail "run $i: status $status: $output $stderr"
		berth rm "$id" >/dev/null
	done
}
