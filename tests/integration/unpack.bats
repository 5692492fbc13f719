#!/usr/bin/env bats
# berth-unpack, the real worker in its real sandbox, driven by tests/tools/unpack-call exactly as
# the broker drives it (fork + exec, clean environment, channel at fd 3, the layer directory at
# fd 5, the blob passed with MSG_U_LAYER). Rootful as root; rootless as berthtest, with the tool
# itself run by `berth unshare`, so the worker is uid 0 in the user's namespace.
#
# Every run also checks that the worker was not killed (a SIGSYS would be a syscall missing
# from workers/unpack/seccomp.policy), and the hostile layers check a sentinel directory beside
# the layer directory that must stay exactly as it was.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	TEST_UID=$(id -u "$TEST_USER")
	TEST_GID=$(id -g "$TEST_USER")
	WORKER="$BERTH_TOP/libexec/berth/berth-unpack"
	# tests/integration/run may run a copy of bin/ and libexec/ only: the tool is then found in
	# the build tree it was copied from.
	local t=""
	for t in "$BERTH_TOP/tests/tools/unpack-call" \
		"$BERTH_SRC/$([ "${SANITIZE:-0}" = 1 ] && echo build/san/)tests/tools/unpack-call"; do
		[ -x "$t" ] && break
	done
	[ -x "$t" ] || fail "tests/tools/unpack-call is not built (make tools)"
	# A directory berthtest can reach, holding the tool, the blobs, the layer directories and
	# the sentinel.
	W="$(user_dir "$TEST_USER")/w"
	install -d -m 0755 "$W"
	install -m 0755 "$t" "$W/unpack-call"
	TOOL="$W/unpack-call"
	# The sentinel: owned by the test user, so that the rootless worker too could write there
	# if it ever got out.
	install -d -m 0777 -o "$TEST_USER" -g "$TEST_GID" "$W/outside"
	printf keep >"$W/outside/keep"
	chown "$TEST_USER:$TEST_GID" "$W/outside/keep"
	chmod 0666 "$W/outside/keep"
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

# ---------------------------------------------------------------- helpers

# layer_dir NAME: a new, empty layer directory owned by the test user; prints its path.
layer_dir() {
	install -d -m 0755 -o "$TEST_USER" -g "$TEST_GID" "$W/$1"
	echo "$W/$1"
}

# unpack rootful|rootless BLOB DIR [TOOL OPTIONS...]: runs the worker; sets status, output,
# stderr (of the tool; the worker's stderr is the tool's).
unpack() {
	local mode=$1 blob=$2 dir=$3
	shift 3
	if [ "$mode" = rootless ]; then
		run --separate-stderr berth_as "$TEST_USER" unshare "$TOOL" --worker "$WORKER" \
			--rootless "$@" "$blob" "$dir"
	else
		run --separate-stderr "$TOOL" --worker "$WORKER" "$@" "$blob" "$dir"
	fi
	echo "unpack-call ($mode): status $status" >&2
	echo "$output" >&2
	echo "stderr: $stderr" >&2
}

assert_alive() {
	[[ $output != *"died:"* ]] || fail "the worker was killed: $output"
}

# result KEY: a field of the tool's result line.
result() {
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$output" | head -n 1
}

assert_ok() {
	assert_alive
	[ "$status" -eq 0 ] || fail "unpack-call failed (status $status): $output; $stderr"
	assert_line_re "$output" '^diff_id=sha256:[0-9a-f]{64} entries=[0-9]+ bytes=[0-9]+ skipped=[0-9]+$'
	assert_line_re "$output" '^worker exited with status 0$'
}

# assert_refused TEXT: the worker answered with an error containing TEXT, and lived.
assert_refused() {
	assert_alive
	[ "$status" -eq 1 ] || fail "expected status 1, got $status: $output"
	assert_line_re "$output" '^error: '
	assert_contains "$output" "$1" "the error"
	[[ $output != *diff_id=* ]] || fail "a refused layer reported a result: $output"
}

assert_outside_untouched() {
	assert_eq "$(ls -A "$W/outside")" keep "the sentinel directory's entries"
	assert_eq "$(cat "$W/outside/keep")" keep "the sentinel file"
	assert_eq "$(stat -c %h "$W/outside/keep")" 1 "the sentinel's link count"
}

# entries DIR: one line per entry (path, type, mode, link target, mtime, link count), sorted.
entries() {
	(cd "$1" && find . -printf '%p|%y|%m|%l|%Ts|%n\n' | sort)
}

# owners DIR: path and numeric owner of each entry, sorted.
owners() {
	(cd "$1" && find . -printf '%p %U:%G\n' | sort)
}

# mklayer KIND OUT [ARG]: writes a tar built with python3's tarfile module.
mklayer() {
	python3 - "$@" <<'EOF'
import io, sys, tarfile

kind, out = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else ""
entries = []

def add(name, type=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=0, gid=0, pax=None,
        major=0, minor=0):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.linkname, t.uid, t.gid = type, mode, link, uid, gid
    t.mtime, t.devmajor, t.devminor = 1600000000, major, minor
    if pax:
        t.pax_headers = pax
    entries.append((t, data))

if kind == "hostile":
    # arg: the sentinel directory's absolute path.
    add("ok", data=b"ok")
    add("../escape", data=b"bad")                        # skipped
    add("../outside/pwned", data=b"bad")                 # skipped
    add("a/../../x", data=b"bad")                        # skipped
    add("/abs/path", data=b"inside")                     # written inside, as abs/path
    add("evil", tarfile.SYMTYPE, link=arg)               # kept, never followed:
    add("evil/pwned", data=b"bad")                       #   skipped
    add("evil/keep", data=b"overwritten")                #   skipped
    add("up", tarfile.SYMTYPE, link="..")
    add("up/outside/pwned", data=b"bad")                 # skipped
    add("hl", tarfile.LNKTYPE, link="evil/keep")         # skipped: through a symlink
    add("hl2", tarfile.LNKTYPE, link="../../etc/passwd") # skipped
    add("hl3", tarfile.LNKTYPE, link="../outside/keep")  # skipped
    add("hl4", tarfile.LNKTYPE, link="up/outside/keep")  # skipped
    add("xa", data=b"x", pax={"SCHILY.xattr.user.ok": "1",
                              "SCHILY.xattr.user.big": "B" * 70000,          # skipped
                              "SCHILY.xattr.trusted.overlay.opaque": "y",    # skipped
                              "SCHILY.xattr.user.overlay.redirect": "/etc"}) # skipped
    add(".wh..wh.plnk")                                  # skipped
    add("d/.wh..")                                       # skipped
elif kind == "whiteouts":
    add("d/", tarfile.DIRTYPE, mode=0o755)
    add("d/victim", data=b"gone soon")
    add("d/.wh.victim")
    add("d/.wh.lower")
    add("d/stays", data=b"s")
elif kind == "opaque":
    add("o/", tarfile.DIRTYPE, mode=0o755)
    add("o/.wh..wh..opq")
    add("o/keep", data=b"k")
elif kind == "nodes":
    add("dev/null", tarfile.CHRTYPE, mode=0o666, major=1, minor=3)
    add("dev/sda", tarfile.BLKTYPE, mode=0o660, major=8, minor=0, gid=6)
    add("fifo", tarfile.FIFOTYPE, mode=0o600)
elif kind == "modes":
    add("su", data=b"su", mode=0o4755)
    add("sg", data=b"sg", mode=0o2755)
    add("tmp/", tarfile.DIRTYPE, mode=0o1777)
    add("ro/", tarfile.DIRTYPE, mode=0o555)
    add("ro/file", data=b"ro", mode=0o400, uid=1000, gid=1000)
    add("unmapped", data=b"u", uid=100000, gid=100000)
elif kind == "many":
    for i in range(int(arg)):
        add("f%d" % i, data=b"")
elif kind == "bigfile":
    add("zeros", data=b"\0" * int(arg))
elif kind == "padded":
    add("small", data=b"s")
else:
    sys.exit("unknown kind " + kind)

b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
    for e, data in entries:
        if e.type == tarfile.REGTYPE:
            e.size = len(data)
            t.addfile(e, io.BytesIO(data))
        else:
            t.addfile(e)
raw = b.getvalue()
if kind == "padded":
    raw += b"\0" * int(arg)
open(out, "wb").write(raw)
EOF
	chmod 0644 "$2"
}

# A busybox-like tree, the way a real base layer looks, tarred by GNU tar (posix format, so
# user xattrs and a sparse file are in it too) and compressed by gzip.
make_busybox_layer() {
	local src=$W/src
	mkdir -p "$src"/{bin,etc,root,tmp,usr/bin,usr/lib,home/user,var/empty,dev}
	cp /bin/true "$src/bin/busybox"
	chmod 0755 "$src/bin/busybox"
	ln -s busybox "$src/bin/sh"
	ln -s busybox "$src/bin/ls"
	ln "$src/bin/busybox" "$src/bin/cat"
	ln -s /bin/busybox "$src/usr/bin/env"
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' \
		>"$src/etc/passwd"
	printf 'root:*::0:::::\n' >"$src/etc/shadow"
	chmod 0640 "$src/etc/shadow"
	chgrp 42 "$src/etc/shadow"
	printf 'export PS1=x\n' >"$src/home/user/.profile"
	chown -R 1000:1000 "$src/home/user"
	chmod 0700 "$src/root"
	chmod 1777 "$src/tmp"
	truncate -s 1M "$src/usr/lib/sparse"
	printf DATA | dd of="$src/usr/lib/sparse" bs=1 seek=500000 conv=notrunc status=none
	printf 'xattr\n' >"$src/usr/lib/attr"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.berth", b"yes")' \
		"$src/usr/lib/attr"
	find "$src" -depth -exec touch -h -d @1600000000 {} +
	tar --format=posix --xattrs --xattrs-include='user.*' --sparse --numeric-owner \
		-C "$src" -cf - . | gzip -n >"$W/busybox.tar.gz"
	chmod 0644 "$W/busybox.tar.gz"
}

# ---------------------------------------------------------------- ordinary layers

@test "rootful: a busybox-like gzip layer extracts exactly, diff_id = sha256 of gzip -dc" {
	make_busybox_layer
	local out want
	out=$(layer_dir out)
	want=sha256:$(gzip -dc "$W/busybox.tar.gz" | sha256sum | cut -d' ' -f1)
	unpack rootful "$W/busybox.tar.gz" "$out"
	assert_ok
	assert_eq "$(result diff_id)" "$want" diff_id
	assert_eq "$(result bytes)" "$(gzip -dc "$W/busybox.tar.gz" | wc -c)" bytes
	assert_eq "$(result skipped)" 0 skipped
	assert_eq "$(entries "$out")" "$(entries "$W/src")" "the extracted tree"
	assert_eq "$(owners "$out")" "$(owners "$W/src")" "owners"
	diff -r --no-dereference "$W/src" "$out" || fail "contents differ"
	assert_eq "$(stat -c %s "$out/usr/lib/sparse")" 1048576 "the sparse file's size"
	assert_eq "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.berth").decode())' \
		"$out/usr/lib/attr")" yes "user.berth xattr"
	assert_outside_untouched
}

@test "rootless: the same layer extracts in the user namespace, owners mapped" {
	make_busybox_layer
	local out want
	out=$(layer_dir out)
	want=sha256:$(gzip -dc "$W/busybox.tar.gz" | sha256sum | cut -d' ' -f1)
	unpack rootless "$W/busybox.tar.gz" "$out"
	assert_ok
	assert_eq "$(result diff_id)" "$want" diff_id
	assert_eq "$(result skipped)" 0 skipped
	assert_eq "$(entries "$out")" "$(entries "$W/src")" "the extracted tree"
	diff -r --no-dereference "$W/src" "$out" || fail "contents differ"
	# In the namespace: 0 is the user, N >= 1 is 200000 + N - 1.
	assert_eq "$(stat -c %u:%g "$out/bin/busybox")" "$TEST_UID:$TEST_GID" "root's files"
	assert_eq "$(stat -c %u:%g "$out/home/user/.profile")" "200999:200999" "uid 1000's files"
	assert_eq "$(stat -c %g "$out/etc/shadow")" 200041 "gid 42"
	assert_eq "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.berth").decode())' \
		"$out/usr/lib/attr")" yes "user.berth xattr"
	assert_outside_untouched
}

@test "plain and zstd layers give the same tree and diff_id as gzip" {
	make_busybox_layer
	local ref out want c
	gzip -dc "$W/busybox.tar.gz" >"$W/busybox.tar"
	zstd -q -c "$W/busybox.tar" >"$W/busybox.tar.zst"
	chmod 0644 "$W/busybox.tar" "$W/busybox.tar.zst"
	want=sha256:$(sha256sum <"$W/busybox.tar" | cut -d' ' -f1)
	ref=$(entries "$W/src")
	for c in tar tar.zst; do
		out=$(layer_dir "out-$c")
		unpack rootful "$W/busybox.$c" "$out" --media-type application/vnd.oci.image.layer.v1.tar
		assert_ok
		assert_eq "$(result diff_id)" "$want" "diff_id of busybox.$c"
		assert_eq "$(entries "$out")" "$ref" "tree from busybox.$c"
	done
	out=$(layer_dir out-rootless)
	unpack rootless "$W/busybox.tar.zst" "$out"
	assert_ok
	assert_eq "$(result diff_id)" "$want" "diff_id, rootless zstd"
}

@test "a real tree (/usr/share/zoneinfo and /usr/share/doc) extracts as GNU tar extracts it" {
	# Thousands of entries, hard links, symlinks, deep and wide directories: the paths a
	# small hand-made layer does not reach (glibc's qsort, for one, asks for sysinfo on a
	# large array; a missing seccomp entry shows up as SIGSYS here).
	local ref out mode
	tar -C / -cf - usr/share/zoneinfo usr/share/doc 2>/dev/null | zstd -q -1 >"$W/real.tar.zst"
	chmod 0644 "$W/real.tar.zst"
	ref=$(layer_dir ref)
	zstd -q -dc "$W/real.tar.zst" | tar -C "$ref" -xpf -
	for mode in rootful rootless; do
		out=$(layer_dir "out-$mode")
		unpack "$mode" "$W/real.tar.zst" "$out" --max-entries 1000000 \
			--max-bytes 10000000000
		assert_ok
		assert_eq "$(result diff_id)" \
			"sha256:$(zstd -q -dc "$W/real.tar.zst" | sha256sum | cut -d' ' -f1)" "$mode diff_id"
		assert_eq "$(result skipped)" 0 "$mode skipped"
		# The root, usr and usr/share have no entry in this tar: their mtimes are the
		# extraction's.
		assert_eq "$(entries "$out" | grep -vE '^\.(/usr(/share)?)?\|')" \
			"$(entries "$ref" | grep -vE '^\.(/usr(/share)?)?\|')" "$mode: the tree"
		diff -r --no-dereference "$ref" "$out" >/dev/null || fail "$mode: contents differ"
	done
}

@test "trailing padding after the tar end is part of the diff_id" {
	local out
	mklayer padded "$W/padded.tar" 30000
	out=$(layer_dir out)
	unpack rootful "$W/padded.tar" "$out"
	assert_ok
	assert_eq "$(result diff_id)" "sha256:$(sha256sum <"$W/padded.tar" | cut -d' ' -f1)" diff_id
	assert_eq "$(result bytes)" "$(stat -c %s "$W/padded.tar")" bytes
}

# ---------------------------------------------------------------- whiteouts, nodes, modes

@test "whiteouts become 0:0 character devices, rootful and rootless" {
	local mode out
	mklayer whiteouts "$W/wh.tar"
	for mode in rootful rootless; do
		out=$(layer_dir "out-$mode")
		unpack "$mode" "$W/wh.tar" "$out"
		assert_ok
		assert_eq "$(stat -c '%F %t:%T' "$out/d/victim")" "character special file 0:0" \
			"$mode: d/victim"
		assert_eq "$(stat -c '%F %t:%T' "$out/d/lower")" "character special file 0:0" \
			"$mode: d/lower"
		assert_eq "$(ls -A "$out/d" | sort | tr '\n' ' ')" "lower stays victim " \
			"$mode: d/ (no .wh. file left)"
	done
}

@test "rootless: an opaque directory gets user.overlay.opaque=y" {
	local out
	mklayer opaque "$W/opq.tar"
	out=$(layer_dir out)
	unpack rootless "$W/opq.tar" "$out"
	assert_ok
	assert_eq "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' \
		"$out/o")" y "user.overlay.opaque"
	[ ! -e "$out/o/.wh..wh..opq" ] || fail "the marker file was created"
	assert_eq "$(cat "$out/o/keep")" k "o/keep"
}

@test "rootful: an opaque directory gets user.overlay.opaque=y too (overlays use userxattr)" {
	# trusted.* would need CAP_SYS_ADMIN, which berth-unpack does not keep: berth's overlay
	# mounts use userxattr in both modes, so the marker is user.overlay.opaque.
	local out
	mklayer opaque "$W/opq.tar"
	out=$(layer_dir out)
	unpack rootful "$W/opq.tar" "$out"
	assert_alive
	[ "$status" -eq 0 ] || fail "rootful opaque layer refused: $output"
	assert_eq "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' \
		"$out/o")" y "user.overlay.opaque"
}

@test "device nodes and fifos: made rootful, skipped rootless" {
	local out
	mklayer nodes "$W/nodes.tar"
	out=$(layer_dir out-rootful)
	unpack rootful "$W/nodes.tar" "$out"
	assert_ok
	assert_eq "$(result skipped)" 0 skipped
	assert_eq "$(stat -c '%F %t:%T %a' "$out/dev/null")" "character special file 1:3 666" dev/null
	assert_eq "$(stat -c '%F %t:%T %a %g' "$out/dev/sda")" "block special file 8:0 660 6" dev/sda
	assert_eq "$(stat -c '%F %a' "$out/fifo")" "fifo 600" fifo
	out=$(layer_dir out-rootless)
	unpack rootless "$W/nodes.tar" "$out"
	assert_ok
	assert_eq "$(result skipped)" 3 skipped
	assert_eq "$(find "$out" -mindepth 1 -not -type d | wc -l)" 0 "nodes made rootless"
}

@test "setuid and setgid bits: kept rootful, dropped rootless; unmapped owners are counted" {
	local out
	mklayer modes "$W/modes.tar"
	out=$(layer_dir out-rootful)
	unpack rootful "$W/modes.tar" "$out"
	assert_ok
	assert_eq "$(stat -c %a "$out/su") $(stat -c %a "$out/sg")" "4755 2755" "rootful modes"
	assert_eq "$(stat -c %a "$out/tmp") $(stat -c %a "$out/ro")" "1777 555" "directory modes"
	assert_eq "$(stat -c %u "$out/unmapped")" 100000 "rootful owner"
	out=$(layer_dir out-rootless)
	unpack rootless "$W/modes.tar" "$out"
	assert_ok
	assert_eq "$(stat -c %a "$out/su") $(stat -c %a "$out/sg")" "755 755" "rootless modes"
	assert_eq "$(stat -c %a "$out/tmp") $(stat -c %a "$out/ro")" "1777 555" "directory modes"
	assert_eq "$(stat -c %u:%g "$out/ro/file")" "200999:200999" "mapped owner"
	# 100000 is beyond the 65536 mapped ids: the file stays the namespace root's.
	assert_eq "$(stat -c %u "$out/unmapped")" "$TEST_UID" "unmapped owner"
	assert_eq "$(cat "$out/ro/file")" ro "a file in a read-only directory"
}

# ---------------------------------------------------------------- hostile layers

# check_hostile OUT: what the hostile layer must leave behind.
check_hostile() {
	local out=$1
	assert_eq "$(cat "$out/ok")" ok "ok"
	assert_eq "$(cat "$out/abs/path")" inside "an absolute name, inside"
	assert_eq "$(readlink "$out/evil")" "$W/outside" "the symlink, stored as it is"
	assert_eq "$(readlink "$out/up")" ".." "the relative symlink"
	for f in escape x pwned hl hl2 hl3 hl4 a plnk; do
		[ ! -e "$out/$f" ] && [ ! -L "$out/$f" ] || fail "$f was created in the layer"
	done
	[ ! -e "$W/escape" ] && [ ! -e "$W/x" ] && [ ! -e "$W/pwned" ] ||
		fail "something was created beside the layer: $(ls -A "$W")"
	assert_eq "$(python3 -c 'import os, sys; print(sorted(os.listxattr(sys.argv[1])))' "$out/xa")" \
		"['user.ok']" "xattrs of xa"
	assert_outside_untouched
}

@test "rootful: a hostile layer is neutralised and nothing outside is touched" {
	local out
	mklayer hostile "$W/hostile.tar" "$W/outside"
	gzip -n -c "$W/hostile.tar" >"$W/hostile.tar.gz"
	chmod 0644 "$W/hostile.tar.gz"
	out=$(layer_dir out)
	unpack rootful "$W/hostile.tar.gz" "$out"
	assert_ok
	assert_eq "$(result entries)" 17 entries
	assert_eq "$(result skipped)" 15 skipped
	check_hostile "$out"
}

@test "rootless: a hostile layer is neutralised and nothing outside is touched" {
	local out
	mklayer hostile "$W/hostile.tar" "$W/outside"
	out=$(layer_dir out)
	unpack rootless "$W/hostile.tar" "$out"
	assert_ok
	assert_eq "$(result skipped)" 15 skipped
	check_hostile "$out"
}

# ---------------------------------------------------------------- refused layers

@test "malformed and oversized layers are refused with an error, never a crash" {
	local out mode
	make_busybox_layer
	head -c 8192 /dev/urandom >"$W/garbage"
	head -c 2000 "$W/busybox.tar.gz" >"$W/truncated.tar.gz"
	gzip -n -c "$W/busybox.tar.gz" >"$W/twice.tar.gz.gz"
	mklayer bigfile "$W/big.tar" 4194304
	gzip -n "$W/big.tar"
	mklayer padded "$W/padbomb.tar" 4194304
	zstd -q --rm "$W/padbomb.tar"
	mklayer many "$W/many.tar" 100
	chmod 0644 "$W/garbage" "$W/truncated.tar.gz" "$W/twice.tar.gz.gz" "$W/big.tar.gz" \
		"$W/padbomb.tar.zst"
	for mode in rootful rootless; do
		out=$(layer_dir "garbage-$mode")
		unpack "$mode" "$W/garbage" "$out"
		assert_refused "not a tar layer"
		out=$(layer_dir "truncated-$mode")
		unpack "$mode" "$W/truncated.tar.gz" "$out"
		assert_refused "extracting the layer"
		out=$(layer_dir "twice-$mode")
		unpack "$mode" "$W/twice.tar.gz.gz" "$out"
		assert_refused "compressed more than once"
		out=$(layer_dir "big-$mode")
		unpack "$mode" "$W/big.tar.gz" "$out" --max-bytes 1048576
		assert_refused "more than 1048576 bytes"
		out=$(layer_dir "padbomb-$mode")
		unpack "$mode" "$W/padbomb.tar.zst" "$out" --max-bytes 1048576
		assert_refused "larger than 1048576 bytes uncompressed"
		out=$(layer_dir "many-$mode")
		unpack "$mode" "$W/many.tar" "$out" --max-entries 50
		assert_refused "more than 50 entries"
		out=$(layer_dir "nolimit-$mode")
		unpack "$mode" "$W/many.tar" "$out" --max-entries 0
		assert_refused "no limits"
	done
	assert_outside_untouched
}

# ---------------------------------------------------------------- the worker's protocol

@test "one layer per worker: a second request ends it" {
	local out
	mklayer padded "$W/l.tar" 0
	out=$(layer_dir out)
	unpack rootful "$W/l.tar" "$out" --twice
	assert_alive
	assert_line_re "$output" '^diff_id=sha256:'
	assert_line_re "$output" '^second request: channel closed$'
	assert_line_re "$output" '^worker exited with status 1$'
	assert_contains "$stderr" "a second layer request"
}

@test "without a layer directory at fd 5 the worker starts (berth info) but refuses a layer" {
	local out
	mklayer padded "$W/l.tar" 0
	out=$(layer_dir out)
	unpack rootful "$W/l.tar" "$out" --no-dir
	assert_refused "without a layer directory at fd 5"
	assert_line_re "$output" '^worker exited with status 0$'
	unpack rootless "$W/l.tar" "$out" --no-dir
	assert_refused "without a layer directory at fd 5"
	assert_eq "$(ls -A "$out")" "" "the directory"
}

@test "a non-directory at fd 5 is a usage error before the sandbox" {
	mklayer padded "$W/l.tar" 0
	unpack rootful "$W/l.tar" "$W/l.tar" --any-fd5
	assert_alive
	[ "$status" -eq 1 ] || fail "expected status 1"
	assert_contains "$stderr" "fd 5 is not a directory"
	assert_line_re "$output" 'worker exited with status 1$'
}

@test "berth-unpack's sandbox holds with a layer directory at fd 5" {
	local out
	out=$(layer_dir out)
	# The sandbox with the layer grant in place: Landlock enforced, and still no creating a
	# file in /tmp, no socket, no exec.
	run --separate-stderr bash -c 'exec 5<"$1"; shift; "$@" --sandbox-status' _ "$out" "$WORKER"
	[ "$status" -eq 0 ] || fail "--sandbox-status: $status $stderr"
	assert_line_re "$output" '^Seccomp: 2$'
	assert_line_re "$output" '^Landlock: (enforced \(ABI [0-9]+\)|unsupported \(ABI 0\))$'
	for s in open-write socket execve; do
		run --separate-stderr bash -c 'exec 5<"$1"; shift; "$@"' _ "$out" "$WORKER" \
			--try-syscall "$s"
		[ "$status" -eq 159 ] || [ "$output" = "denied: EACCES" ] ||
			fail "--try-syscall $s with fd 5: status $status, '$output'"
	done
	assert_eq "$(ls -A "$out")" "" "the layer directory"
}
