#!/usr/bin/env bats
# Images end to end through the whole process chain: berth pull from a real registry (Debian's
# docker-registry with TLS, Basic auth and the token flow), images / inspect / tag / untag /
# rmi, rootful and rootless; skopeo as the independent client that pushed what berth pulls and
# that reports what berth must agree with; and a registry whose stored bytes were tampered with.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	registry_start main
	registry_start basic --auth
	registry_start token --token
	export IMG=$BERTH_IT_TMP/images-image
	mkdir -p "$BERTH_IT_TMP/images-layer2/etc" "$BERTH_IT_TMP/images-layer3"
	echo "second layer" >"$BERTH_IT_TMP/images-layer2/etc/motd"
	# OCI whiteouts: /root deleted, /tmp made opaque.
	mkdir -p "$BERTH_IT_TMP/images-layer2/tmp"
	: >"$BERTH_IT_TMP/images-layer2/.wh.root"
	: >"$BERTH_IT_TMP/images-layer2/tmp/.wh..wh..opq"
	head -c 3000000 /dev/urandom >"$BERTH_IT_TMP/images-layer3/big.bin"
	make_test_image "$IMG" "$BERTH_IT_TMP/images-layer2" "$BERTH_IT_TMP/images-layer3"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/test/busybox:latest"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/test/busybox:v2"
	push_test_image "$IMG" "$REGISTRY_BASIC_ADDR/private/busybox:latest"
	push_test_image "$IMG" "$REGISTRY_TOKEN_ADDR/tok/busybox:latest"
	# The CA, readable by the rootless test user too.
	export CERTS=$BERTH_IT_TMP/images-certs
	install -d -m 0755 "$CERTS"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	export REF=$REGISTRY_MAIN_ADDR/test/busybox:latest
}

teardown_file() {
	registry_stop main
	registry_stop basic
	registry_stop token
}

# skopeo's view of the pushed image, the independent answer.
skopeo_digest() {
	skopeo inspect --cert-dir "$CERTS" --format '{{.Digest}}' "docker://$1"
}

@test "pull from a TLS registry: image ID, progress lines, images row, inspect agrees with skopeo" {
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REF"
	[ "$status" -eq 0 ] || fail "pull failed: $stderr"
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "stdout is not an image ID: $output"
	id=$output
	[[ "$stderr" == *"Trying to pull $REF..."* ]]
	[[ "$stderr" == *"Copying blob"* ]]
	[[ "$stderr" == *"Writing manifest to image destination"* ]]
	# The ID is the config digest skopeo reports.
	cfg=$(skopeo inspect --cert-dir "$CERTS" --config "docker://$REF" | sha256sum | cut -d' ' -f1)
	raw=$(skopeo inspect --cert-dir "$CERTS" --raw "docker://$REF" | jq -r .config.digest)
	[ "$raw" = "sha256:$id" ] || fail "config digest $raw, image ID $id"
	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "$output" = "$REGISTRY_MAIN_ADDR/test/busybox:latest ${id:0:12}" ] || fail "images: $output"
	run berth image inspect "$REF"
	[ "$status" -eq 0 ]
	assert_json ".[0].Id == \"$id\""
	assert_json ".[0].Digest == \"$(skopeo_digest "$REF")\""
	assert_json '.[0].RootFS.Layers | length == 3'
	assert_json '.[0].Config.Cmd == ["/bin/sh"]'
	assert_json '.[0].Os == "linux"'
	: "$cfg"
}

@test "layers are unpacked once and shared; a second pull skips them" {
	berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox:v2"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'skipped: already exists' <<<"$stderr")" -eq 3 ] || fail "$stderr"
	[ "$(ls "$BATS_TEST_TMPDIR/root/layers" | wc -l)" -eq 3 ]
	# The unpacked content is the layers' content.
	top=$(ls "$BATS_TEST_TMPDIR/root/layers")
	found=0
	for l in $top; do
		[ -f "$BATS_TEST_TMPDIR/root/layers/$l/etc/motd" ] && found=1
	done
	[ "$found" -eq 1 ]
	cmp <(cat "$BATS_TEST_TMPDIR"/root/layers/*/big.bin) "$BERTH_IT_TMP/images-layer3/big.bin"
	# Whiteouts in overlay form, rootful too: a 0:0 character device and user.overlay.opaque.
	l2=$(dirname "$(ls "$BATS_TEST_TMPDIR"/root/layers/*/etc/motd)")/..
	[ "$(stat -c '%F %t:%T' "$l2/root")" = "character special file 0:0" ] || fail "$(stat -c '%F %t:%T' "$l2/root")"
	[ ! -e "$l2/.wh.root" ]
	[ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$l2/tmp")" = y ]
}

@test "pull by digest, and a manifest digest that does not match is refused" {
	d=$(skopeo_digest "$REF")
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox@$d"
	[ "$status" -eq 0 ] || fail "$stderr"
	bogus=sha256:$(printf 'x%.0s' {1..64} | tr x 0)
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox@$bogus"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"Error: "*"manifest unknown"* ]] || fail "$stderr"
	# The registry serves other bytes under the manifest's digest: berth hashes what it got.
	berth rmi -a >/dev/null
	data=$(find "$REGISTRY_MAIN_DIR" -path "*blobs/sha256/*/${d#sha256:}/data")
	[ -f "$data" ]
	cp "$data" "$BATS_TEST_TMPDIR/orig"
	jq -c '. + {"annotations": {"tampered": "yes"}}' "$data" >"$BATS_TEST_TMPDIR/tampered"
	cp "$BATS_TEST_TMPDIR/tampered" "$data"
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox@$d"
	cp "$BATS_TEST_TMPDIR/orig" "$data"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"digest mismatch"* ]] || fail "$stderr"
	run berth images -q
	[ -z "$output" ]
}

@test "registry errors are clear: unknown tag, unknown CA, --tls-verify=false" {
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox:nope"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"manifest unknown"* ]] || fail "$stderr"
	run --separate-stderr berth pull "$REF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"x509"* ]] || fail "$stderr"
	[[ "$stderr" == *"certs.d"* ]] || fail "the error does not say how to fix it: $stderr"
	run --separate-stderr berth pull --tls-verify=false "$REF"
	[ "$status" -eq 0 ] || fail "$stderr"
	# Nothing half-done is left by the failures.
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/layers" | grep tmp- || true)" ]
}

@test "registries that need credentials: Basic and the token flow" {
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REGISTRY_BASIC_ADDR/private/busybox"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"unauthorized"* || "$stderr" == *"authentication required"* ]] || fail "$stderr"
	run --separate-stderr berth pull --cert-dir "$CERTS" --creds "$REGISTRY_USER:wrong" \
		"$REGISTRY_BASIC_ADDR/private/busybox"
	[ "$status" -eq 125 ]
	run --separate-stderr berth pull --cert-dir "$CERTS" \
		--creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$REGISTRY_BASIC_ADDR/private/busybox"
	[ "$status" -eq 0 ] || fail "$stderr"
	run --separate-stderr berth pull --cert-dir "$CERTS" \
		--creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$REGISTRY_TOKEN_ADDR/tok/busybox"
	[ "$status" -eq 0 ] || fail "$stderr"
	# The password never reaches the logs.
	run --separate-stderr berth --log-level debug pull --cert-dir "$CERTS" \
		--creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$REGISTRY_TOKEN_ADDR/tok/busybox"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"$REGISTRY_PASSWORD"* ]]
}

@test "tag, untag, rmi: names move, the last name takes the image, its layers and blobs" {
	berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null
	run berth tag busybox mybox:v1 other/x
	[ "$status" -eq 0 ]
	run berth images --format '{{.Repository}}:{{.Tag}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "$REGISTRY_MAIN_ADDR/test/busybox:latest localhost/mybox:v1 localhost/other/x:latest " ] || fail "$output"
	run berth untag busybox other/x
	[ "$status" -eq 0 ]
	run berth rmi mybox:v1
	[ "$output" = "Untagged: localhost/mybox:v1" ]
	run berth rmi "$REF"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted: "* ]]
	run berth images -q
	[ -z "$output" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/layers")" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/blobs/sha256")" ]
	run --separate-stderr berth rmi nothere
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"nothere: image not known"* ]]
	run berth rmi
	[ "$status" -eq 125 ]
}

@test "images --filter, --format json, -q and --digests" {
	berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null
	run berth images --filter dangling=true -q
	[ -z "$output" ]
	run berth images --filter reference=busybox -q
	[ "$(wc -l <<<"$output")" -eq 1 ]
	run berth images --filter reference=nomatch -q
	[ -z "$output" ]
	run berth images --format json
	assert_json 'length == 1 and (.[0].Names | length == 1)'
	run berth images --digests
	[[ "$output" == *"DIGEST"*"sha256:"* ]]
	run --separate-stderr berth images --filter bogus=1
	[ "$status" -eq 125 ]
}

@test "a registry serving tampered bytes under a digest: refused, nothing stored" {
	# Overwrite a stored layer blob in the registry's own storage: it serves the wrong bytes
	# under the right name, as a compromised or broken registry would.
	local m layer data
	d=$(skopeo_digest "$REF")
	m=$(skopeo inspect --cert-dir "$CERTS" --raw "docker://$REF")
	layer=$(jq -r '.layers[1].digest' <<<"$m")
	data=$(find "$REGISTRY_MAIN_DIR" -path "*blobs/sha256/*/${layer#sha256:}/data")
	[ -f "$data" ]
	cp "$data" "$BATS_TEST_TMPDIR/orig"
	size=$(stat -c %s "$data")
	head -c "$size" /dev/urandom >"$data"
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REF"
	cp "$BATS_TEST_TMPDIR/orig" "$data"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"digest mismatch"*"$layer"* || "$stderr" == *"$layer"*"digest mismatch"* ]] || fail "$stderr"
	run berth images -q
	[ -z "$output" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/blobs/sha256")" ] || fail "blobs left: $(ls "$BATS_TEST_TMPDIR/root/blobs/sha256")"
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/layers")" ]
}

@test "rootless pull: files belong to the user, the store is private" {
	run --separate-stderr berth_as "$TEST_USER" pull --cert-dir "$CERTS" "$REF"
	[ "$status" -eq 0 ] || fail "$stderr"
	d=$(user_dir "$TEST_USER")
	[ "$(stat -c %U "$d/data/berth")" = "$TEST_USER" ]
	[ "$(stat -c %a "$d/data/berth")" = 700 ]
	f=$(find "$d/data/berth/layers" -name busybox -type f | head -n 1)
	[ -n "$f" ]
	[ "$(stat -c %U "$f")" = "$TEST_USER" ]
	run berth_as "$TEST_USER" images --format '{{.Repository}}'
	[ "$output" = "$REGISTRY_MAIN_ADDR/test/busybox" ]
	run berth_as "$TEST_USER" rmi "$REF"
	[ "$status" -eq 0 ]
	[ -z "$(ls "$d/data/berth/layers")" ]
}

@test "history lists the config's history with layer sizes; image prune removes dangling images" {
	berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null
	run berth history --format '{{.ID}} {{.SizeBytes}}' "$REF"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 3 ] || fail "$output"
	[[ "$(head -n 1 <<<"$output")" =~ ^[0-9a-f]{12}\ [1-9] ]] || fail "$output"
	# The 3 MB random layer is the top one.
	[ "$(head -n 1 <<<"$output" | cut -d' ' -f2)" -ge 3000000 ]
	run berth history -q "$REF"
	[ "$(sed -n 2p <<<"$output")" = "<missing>" ]
	# Not dangling: prune keeps it; without -f and without a yes it does nothing.
	run berth image prune -f
	[ -z "$output" ]
	berth untag "$REF"
	run berth image prune </dev/null
	[ "$status" -eq 0 ]
	[ "$(berth images -q | wc -l)" -eq 1 ]
	run berth image prune -f
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "$output"
	[ -z "$(berth images -q)" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR/root/layers")" ]
}

@test "registries.conf: aliases, search registries, enforcing short names, blocked and mirrored registries" {
	conf=$BATS_TEST_TMPDIR/registries.conf
	cat >"$conf" <<CONF
unqualified-search-registries = ["$REGISTRY_MAIN_ADDR"]
short-name-mode = "enforcing"

[aliases]
"mybusy" = "$REGISTRY_MAIN_ADDR/test/busybox"

[[registry]]
prefix = "blocked.example/test"
location = "$REGISTRY_MAIN_ADDR/test"
blocked = true

[[registry]]
prefix = "mirrored.example/test"
location = "unreachable.invalid/test"
[[registry.mirror]]
location = "$REGISTRY_MAIN_ADDR/test"
CONF
	export CONTAINERS_REGISTRIES_CONF=$conf
	run --separate-stderr berth pull --cert-dir "$CERTS" mybusy
	[ "$status" -eq 0 ] || fail "$stderr"
	run berth images --format '{{.Repository}}'
	[ "$output" = "$REGISTRY_MAIN_ADDR/test/busybox" ]
	# One search registry: the short name resolves to it.
	run --separate-stderr berth pull --cert-dir "$CERTS" test/busybox:v2
	[ "$status" -eq 0 ] || fail "$stderr"
	run --separate-stderr berth pull --cert-dir "$CERTS" blocked.example/test/busybox
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"blocked"* ]] || fail "$stderr"
	# The mirror serves it; the image keeps the name that was asked for.
	run --separate-stderr berth pull --cert-dir "$CERTS" mirrored.example/test/busybox
	[ "$status" -eq 0 ] || fail "$stderr"
	run berth images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *"mirrored.example/test/busybox:latest"* ]] || fail "$output"
	# Two search registries and no alias: enforcing mode refuses to guess.
	sed -i "1s|.*|unqualified-search-registries = [\"$REGISTRY_MAIN_ADDR\", \"other.invalid\"]|" "$conf"
	run --separate-stderr berth pull --cert-dir "$CERTS" nothing/busybox
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"short-name"* ]] || fail "$stderr"
	# A malformed file is an error naming the file, never a silent default.
	echo 'unqualified-search-registries = [' >"$conf"
	run --separate-stderr berth pull "$REF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"$conf"* ]] || fail "$stderr"
}

@test "push: blobs and manifest byte for byte, skopeo reads it back; registries that need credentials" {
	berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null
	d=$(skopeo_digest "$REF")
	run --separate-stderr berth push --cert-dir "$CERTS" "$REF" "$REGISTRY_MAIN_ADDR/copy/busybox:pushed"
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$stderr" == *"Writing manifest to image destination"* ]]
	# The same manifest digest: nothing was re-encoded on the way.
	[ "$(skopeo_digest "$REGISTRY_MAIN_ADDR/copy/busybox:pushed")" = "$d" ]
	skopeo copy --src-cert-dir "$CERTS" "docker://$REGISTRY_MAIN_ADDR/copy/busybox:pushed" \
		"oci:$BATS_TEST_TMPDIR/back:x" >/dev/null
	# A second push finds every blob there already.
	run --separate-stderr berth push --cert-dir "$CERTS" "$REF" "$REGISTRY_MAIN_ADDR/copy/busybox:pushed"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'skipped: already exists' <<<"$stderr")" -eq 3 ] || fail "$stderr"
	# A registry that needs credentials: refused without, accepted with --creds.
	run --separate-stderr berth push --cert-dir "$CERTS" "$REF" "$REGISTRY_BASIC_ADDR/mine/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"unauthorized"* ]] || fail "$stderr"
	run --separate-stderr berth push --cert-dir "$CERTS" --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
		"$REF" "$REGISTRY_TOKEN_ADDR/mine/busybox:1"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(skopeo inspect --cert-dir "$CERTS" --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" \
		--format '{{.Digest}}' "docker://$REGISTRY_TOKEN_ADDR/mine/busybox:1")" = "$d" ]
	run --separate-stderr berth push --cert-dir "$CERTS" nosuchimage "$REGISTRY_MAIN_ADDR/x/y:z"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"nosuchimage: image not known"* ]]
}

@test "login checks the credentials and keeps them in auth.json; pull and push use them; logout" {
	af=$BATS_TEST_TMPDIR/auth.json
	run --separate-stderr berth login --authfile "$af" --cert-dir "$CERTS" -u "$REGISTRY_USER" \
		-p wrong "$REGISTRY_BASIC_ADDR"
	[ "$status" -eq 125 ]
	[ ! -e "$af" ] || [ "$(jq '.auths | length' "$af")" -eq 0 ]
	run --separate-stderr berth login --authfile "$af" --cert-dir "$CERTS" -u "$REGISTRY_USER" \
		--password-stdin "$REGISTRY_BASIC_ADDR" <<<"$REGISTRY_PASSWORD"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$output" = "Login Succeeded!" ]
	[ "$(stat -c %a "$af")" = 600 ]
	# The entry is the one every tool of the ecosystem reads.
	[ "$(jq -r ".auths[\"$REGISTRY_BASIC_ADDR\"].auth" "$af" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASSWORD" ]
	run --separate-stderr berth pull --authfile "$af" --cert-dir "$CERTS" "$REGISTRY_BASIC_ADDR/private/busybox"
	[ "$status" -eq 0 ] || fail "$stderr"
	run --separate-stderr berth push --authfile "$af" --cert-dir "$CERTS" \
		"$REGISTRY_BASIC_ADDR/private/busybox" "$REGISTRY_BASIC_ADDR/private/again:1"
	[ "$status" -eq 0 ] || fail "$stderr"
	# The token flow with the stored credentials.
	berth login --authfile "$af" --cert-dir "$CERTS" -u "$REGISTRY_USER" \
		-p "$REGISTRY_PASSWORD" "$REGISTRY_TOKEN_ADDR" >/dev/null
	run --separate-stderr berth pull --authfile "$af" --cert-dir "$CERTS" "$REGISTRY_TOKEN_ADDR/tok/busybox"
	[ "$status" -eq 0 ] || fail "$stderr"
	run berth logout --authfile "$af" "$REGISTRY_BASIC_ADDR"
	[ "$output" = "Removed login credentials for $REGISTRY_BASIC_ADDR" ]
	run --separate-stderr berth pull --authfile "$af" --cert-dir "$CERTS" "$REGISTRY_BASIC_ADDR/private/busybox"
	[ "$status" -eq 125 ]
	run --separate-stderr berth logout --authfile "$af" "$REGISTRY_BASIC_ADDR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"not logged into"* ]]
	run berth logout --authfile "$af" --all
	[ "$status" -eq 0 ]
	[ "$(jq '.auths | length' "$af")" -eq 0 ]
}

@test "progress: bars with bytes and speed on a terminal, plain lines in a pipe, nothing with -q" {
	# script(1) gives berth a terminal.
	run script -qec "$BERTH_TOP/bin/berth --root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run pull --cert-dir $CERTS $REF" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"Copying blob "*" done   | "*"MB"* ]] || fail "$output"
	[[ "$output" == *$'\033[1A'* ]] || fail "no redraw on a terminal"
	berth rmi -a >/dev/null
	run --separate-stderr berth pull --cert-dir "$CERTS" "$REF"
	[[ "$stderr" != *$'\033'* ]] || fail "escape sequences in a pipe"
	[[ "$stderr" == *"Copying blob "*" done"* ]]
	berth rmi -a >/dev/null
	run --separate-stderr berth pull -q --cert-dir "$CERTS" "$REF"
	[ -z "$stderr" ] || fail "-q printed: $stderr"
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
}

# Every layer the database names has its directory, and nothing half-done is left.
store_consistent() {
	local root=$BATS_TEST_TMPDIR/root c
	for c in $(sqlite3 "$root/state.db" 'SELECT chain_id FROM layers'); do
		[ -d "$root/layers/$c" ] || fail "layer $c is recorded but its directory is gone"
	done
	for c in $(sqlite3 "$root/state.db" 'SELECT chain_id FROM image_layers'); do
		[ -n "$(sqlite3 "$root/state.db" "SELECT 1 FROM layers WHERE chain_id = '$c'")" ] ||
			fail "an image names layer $c that is not recorded"
	done
	[ -z "$(ls "$root/layers" | grep -v '^[0-9a-f]\{64\}$' || true)" ] || fail "leftovers: $(ls "$root/layers")"
}

@test "concurrent pulls sharing layers, and pulls beside rmi, keep the store consistent" {
	berth pull -q --cert-dir "$CERTS" "$REF" >"$BATS_TEST_TMPDIR/a" 2>&1 &
	p1=$!
	berth pull -q --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/test/busybox:v2" >"$BATS_TEST_TMPDIR/b" 2>&1 &
	p2=$!
	wait "$p1" || fail "first pull: $(cat "$BATS_TEST_TMPDIR/a")"
	wait "$p2" || fail "second pull: $(cat "$BATS_TEST_TMPDIR/b")"
	[ "$(ls "$BATS_TEST_TMPDIR/root/layers" | wc -l)" -eq 3 ]
	store_consistent
	for i in 1 2 3; do
		berth rmi -a >/dev/null 2>&1 &
		r=$!
		berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || true
		wait "$r" || true
		store_consistent
	done
	# Whatever the interleaving, a final pull makes a complete image.
	run berth pull -q --cert-dir "$CERTS" "$REF"
	[ "$status" -eq 0 ]
	store_consistent
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/root/state.db" 'SELECT COUNT(*) FROM image_layers')" -eq 3 ]
}

@test "kill -9 of a pull at any moment: no partial blob is visible, the next command cleans up" {
	local root=$BATS_TEST_TMPDIR/root
	for delay in 0.05 0.1 0.15 0.2 0.3; do
		berth pull -q --cert-dir "$CERTS" "$REF" >/dev/null 2>&1 &
		sleep "$delay"
		# The whole command: frontend, broker and workers, and none of them left running.
		local pat="$BERTH_TOP/(bin/berth|libexec/berth/berth-(broker|fetch|verify|unpack))"
		pkill -9 -f "$pat" || true
		wait || true
		for _ in $(seq 50); do pgrep -f "$pat" >/dev/null || break; pkill -9 -f "$pat" || true; sleep 0.1; done
		# Every stored blob is what its name says.
		for b in "$root"/blobs/sha256/*; do
			[ -e "$b" ] || continue
			[ "$(sha256sum "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "partial blob $b"
		done
		berth images >/dev/null
		store_consistent
		berth rmi -a >/dev/null 2>&1 || true
	done
	run berth pull -q --cert-dir "$CERTS" "$REF"
	[ "$status" -eq 0 ]
	store_consistent
}
