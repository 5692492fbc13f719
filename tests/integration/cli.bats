#!/usr/bin/env bats
# The command line as a user sees it, rootful: version, info, help, the errors, and the process
# chain behind `berth info` (the broker and every sandboxed worker). Each test has its own store
# (helpers.bash: berth) and checks afterwards that no berth process outlived the command.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	assert_no_berth_procs
}

# ---------------------------------------------------------------- version

@test "--version and -v print the version" {
	run -0 --separate-stderr berth --version
	assert_eq "$output" "berth version $BERTH_VERSION"
	run -0 --separate-stderr berth -v
	assert_eq "$output" "berth version $BERTH_VERSION"
}

@test "version prints the version, API version, build date and OS/Arch" {
	run -0 --separate-stderr berth version
	local v=${BERTH_VERSION//./\\.}
	assert_line_re "$output" "^Version: +$v\$"
	assert_line_re "$output" '^API Version: +1$'
	assert_line_re "$output" '^Built: +[^ ].*$'
	assert_line_re "$output" "^OS/Arch: +linux/$(goarch)\$"
}

@test "version --format json" {
	run -0 --separate-stderr berth version --format json
	assert_json '.Client.Version == $v' --arg v "$BERTH_VERSION"
	assert_json '.Client.APIVersion == "1"'
	assert_json '.Client.OsArch == $a' --arg a "linux/$(goarch)"
}

@test "version and info print nothing on stderr by default" {
	run -0 --separate-stderr berth version
	assert_eq "$stderr" "" "stderr of berth version"
	run -0 --separate-stderr berth info
	assert_eq "$stderr" "" "stderr of berth info"
}

# ---------------------------------------------------------------- info

@test "info prints the host, store, workers and version sections" {
	run -0 --separate-stderr berth info
	local s
	for s in host store workers version; do
		assert_line_re "$output" "^$s:\$" "berth info"
	done
}

@test "info --format json and -f json describe this host" {
	local cgv cgl f
	read -r cgv cgl <<<"$(host_cgroup)"
	for f in "--format json" "-f json"; do
		# shellcheck disable=SC2086 # the flag and its value are two words
		run -0 --separate-stderr berth info $f
		assert_json '.host.arch == $a' --arg a "$(goarch)"
		assert_json '.host.os == "linux"'
		assert_json '.host.kernel == $k' --arg k "$(uname -r)"
		assert_json '.host.hostname == $h' --arg h "$(uname -n)"
		assert_json '.host.cgroupVersion == $v' --arg v "$cgv"
		assert_json '.host.cgroupLayout == $l' --arg l "$cgl"
		assert_json '.host.security.rootless == false'
		assert_json '.host.pausePid == 0'
		assert_json '.version.Version == $v' --arg v "$BERTH_VERSION"
		assert_json '.version.APIVersion == "1"'
	done
}

@test "info lists the OCI runtimes, each with its version, and a working default" {
	run -0 --separate-stderr berth info --format json
	assert_json '[.host.ociRuntimes[].name] | index("crun") != null and index("runc") != null'
	local n i name path version status
	n=$(json '.host.ociRuntimes | length')
	for ((i = 0; i < n; i++)); do
		name=$(json ".host.ociRuntimes[$i].name")
		path=$(json ".host.ociRuntimes[$i].path")
		version=$(json ".host.ociRuntimes[$i].version")
		status=$(json ".host.ociRuntimes[$i].status")
		[[ $path == /* && -x $path ]] || fail "runtime $name: path '$path' is not an absolute executable"
		assert_eq "$version" "$("$path" --version | head -n 1)" "runtime $name version"
		[ -n "$status" ] && [ "$status" != null ] || fail "runtime $name has no status"
	done
	assert_json '.host.defaultRuntime | type == "string" and length > 0'
	assert_json '.host.defaultRuntime as $d | [.host.ociRuntimes[] | select(.name == $d)][0].status == "ok"'
}

@test "info reports all five workers, each sandboxed" {
	run -0 --separate-stderr berth info --format json
	assert_json '[.workers[].role] | sort == ["fetch", "launch", "netsetup", "unpack", "verify"]'
	assert_json '[.workers[].pid] | all(type == "number" and . > 0) and (unique | length) == 5'
	assert_json 'all(.workers[]; .seccomp == 2 and .noNewPrivs == true)'
	assert_json 'all(.workers[]; (.seccompFilters | type == "number") and .seccompFilters >= 1)'
	assert_json 'all(.workers[]; (.capEff | test("^[0-9a-f]{16}$")) and (.capBnd | test("^[0-9a-f]{16}$")))'
	assert_json 'all(.workers[]; .libraries | type == "array" and all(type == "string"))'
	# The two workers that parse registry bytes hold nothing: nobody, no capabilities.
	assert_json 'all(.workers[] | select(.role == "fetch" or .role == "verify");
		.uid == 65534 and .capEff == "0000000000000000")'
	# The monitor keeps CAP_KILL only.
	assert_json '.workers[] | select(.role == "launch") | .capEff == "0000000000000020"'
	assert_json '.workers[] | select(.role == "fetch") | any(.libraries[]; startswith("libcurl "))'
}

@test "no worker holds a capability that no berth role needs" {
	run -0 --separate-stderr berth info --format json
	local n i role cap bit
	n=$(json '.workers | length')
	[ "$n" -gt 0 ]
	for ((i = 0; i < n; i++)); do
		role=$(json ".workers[$i].role")
		cap=$(json ".workers[$i].capEff")
		# SYS_MODULE 16, SYS_RAWIO 17, SYS_PTRACE 19, SYS_BOOT 22, MAC_OVERRIDE 32,
		# MAC_ADMIN 33, BPF 39
		for bit in 16 17 19 22 32 33 39; do
			! cap_has "$cap" "$bit" || fail "worker $role holds capability $bit (CapEff $cap)"
		done
	done
}

@test "workers apply Landlock where the kernel has it" {
	run -0 --separate-stderr berth info --format json
	local abi
	abi=$(landlock_abi)
	if [ "$abi" -gt 0 ]; then
		assert_json 'all(.workers[]; .landlock | test("^enforced \\(ABI [1-9][0-9]*\\)$"))'
		assert_json 'all(.workers[]; .landlock | capture("ABI (?<n>[0-9]+)").n | tonumber <= $k)' \
			--argjson k "$abi"
	else
		assert_json 'all(.workers[]; (.landlock | type == "string") and (.landlock | startswith("enforced") | not))'
	fi
}

@test "the workers of a command do not outlive it" {
	run -0 --separate-stderr berth info --format json
	local pid comm
	sleep 0.2
	for pid in $(json '.workers[].pid'); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
		[[ $comm != berth* ]] || fail "worker pid $pid ($comm) is still running"
	done
	assert_no_berth_procs
}

# ---------------------------------------------------------------- the store

@test "--root and --runroot choose the store: 0700 directories and a WAL state DB" {
	local root=$BATS_TEST_TMPDIR/root run=$BATS_TEST_TMPDIR/run
	[ ! -e "$root" ] || fail "$root exists before the test"
	[ ! -e "$run" ] || fail "$run exists before the test"
	run -0 --separate-stderr berth info --format json
	assert_json '.store.graphRoot == $r' --arg r "$root"
	assert_json '.store.runRoot == $r' --arg r "$run"
	assert_json '.store.stateDb == $d' --arg d "$root/state.db"
	assert_json '.store.graphDriverName | type == "string" and length > 0'
	assert_json '.store.dbSchemaVersion | type == "number" and . >= 1'
	local schema
	schema=$(json '.store.dbSchemaVersion')
	assert_eq "$(stat -c %a "$root")" 700 "mode of --root"
	assert_eq "$(stat -c %a "$run")" 700 "mode of --runroot"
	[ -f "$root/state.db" ] || fail "$root/state.db was not created"

	assert_eq "$(sqlite3 "$root/state.db" 'PRAGMA journal_mode')" wal "journal_mode"
	assert_eq "$(sqlite3 "$root/state.db" 'PRAGMA user_version')" "$schema" "user_version"
	assert_eq "$(sqlite3 "$root/state.db" "SELECT count(*) FROM sqlite_master
		WHERE type = 'table' AND name IN ('images', 'containers')")" 2 "tables images, containers"
	assert_eq "$(sqlite3 "$root/state.db" 'SELECT count(*) FROM images')" 0 "rows in images"
	assert_eq "$(sqlite3 "$root/state.db" 'SELECT count(*) FROM containers')" 0 "rows in containers"

	# Opening an existing store again works and keeps its schema.
	run -0 --separate-stderr berth info --format json
	assert_json '.store.dbSchemaVersion == $s' --argjson s "$schema"
}

@test "a relative --root or --runroot is refused" {
	cd "$BATS_TEST_TMPDIR"
	run -125 --separate-stderr berth_raw --root rel/root --runroot "$BATS_TEST_TMPDIR/run" info
	assert_line_re "$stderr" '^Error: ' "stderr"
	assert_contains "$stderr" "--root" "stderr"
	[ ! -e rel ] || fail "berth created the relative path"

	run -125 --separate-stderr berth_raw --root "$BATS_TEST_TMPDIR/root" --runroot rel/run info
	assert_line_re "$stderr" '^Error: ' "stderr"
	assert_contains "$stderr" "--runroot" "stderr"
	[ ! -e rel ] || fail "berth created the relative path"
}

# ---------------------------------------------------------------- errors and help

@test "an unknown command fails with 125" {
	run -125 --separate-stderr berth foo
	assert_contains "$stderr" 'Error: unrecognized command `berth foo`' "stderr"
}

@test "no command fails with 125 and says a command is missing" {
	run -125 --separate-stderr berth
	assert_line_re "$stderr" '^Error: ' "stderr"
	assert_contains "$stderr" "missing command" "stderr"
}

@test "an unknown global flag fails with 125" {
	run -125 --separate-stderr berth --bogus info
	assert_contains "$stderr" "Error: unknown flag: --bogus" "stderr"
	assert_eq "$output" "" "stdout"
}

@test "an unknown command flag fails with 125" {
	run -125 --separate-stderr berth info --bogus
	assert_contains "$stderr" "Error: unknown flag: --bogus" "stderr"
	assert_eq "$output" "" "stdout"
}

@test "an unknown log level fails with 125 and names it" {
	run -125 --separate-stderr berth --log-level nope info
	assert_line_re "$stderr" '^Error: ' "stderr"
	assert_contains "$stderr" "nope" "stderr"
}

@test "an unsupported --format fails with 125" {
	run -125 --separate-stderr berth info --format yaml
	assert_line_re "$stderr" '^Error: ' "stderr"
	assert_eq "$output" "" "stdout"
}

@test "help and --help print usage on stdout" {
	local args
	for args in "help" "--help" "info --help" "version --help" "unshare --help"; do
		# shellcheck disable=SC2086 # split into words on purpose
		run -0 --separate-stderr berth $args
		assert_line_re "$output" '^Usage:' "stdout of berth $args"
	done
	run -0 --separate-stderr berth help
	local c
	for c in info unshare version; do
		assert_line_re "$output" "^ +$c( |\$)" "berth help (command $c)"
	done
}

@test "--log-level debug shows the broker and the workers being started" {
	run -0 --separate-stderr berth --log-level debug info --format json
	# stdout stays a clean JSON document; the debug lines go to stderr.
	assert_json '.workers | length == 5'
	assert_contains "$stderr" "broker" "debug output"
	local r
	for r in fetch verify unpack netsetup launch; do
		assert_contains "$stderr" "$r" "debug output"
	done
}

# ---------------------------------------------------------------- processes and binaries

@test "no berth process outlives a command" {
	run -0 --separate-stderr berth info
	assert_no_berth_procs
	run -0 --separate-stderr berth version
	assert_no_berth_procs
	run -125 --separate-stderr berth foo
	assert_no_berth_procs
}

@test "each binary links only the libraries its job needs" {
	local b lib
	# The broker and the frontend must not link the parsers of untrusted input (STYLE.md 11).
	for b in bin/berth libexec/berth/berth-broker; do
		run -0 ldd "$BERTH_TOP/$b"
		# libyaml too: registries.d is parsed in berth-verify (DESIGN.md: no YAML in the broker).
		for lib in libcurl libarchive libgpgme libyaml; do
			[[ $output != *"$lib"* ]] || fail "$b links $lib"
		done
	done
	run -0 ldd "$BERTH_TOP/bin/berth"
	for lib in libsqlite3 libevent libseccomp; do
		[[ $output != *"$lib"* ]] || fail "bin/berth links $lib"
	done
	for b in verify unpack netsetup launch pause sign; do
		run -0 ldd "$BERTH_TOP/libexec/berth/berth-$b"
		[[ $output != *libcurl* ]] || fail "berth-$b links libcurl"
	done
	for b in fetch verify netsetup launch pause sign; do
		run -0 ldd "$BERTH_TOP/libexec/berth/berth-$b"
		[[ $output != *libarchive* ]] || fail "berth-$b links libarchive"
	done
	run -0 ldd "$BERTH_TOP/libexec/berth/berth-fetch"
	assert_contains "$output" libcurl "ldd berth-fetch"
}
