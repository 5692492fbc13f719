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
