#!/usr/bin/env bats
# berth save end to end: images pulled from a real TLS registry are saved as docker-archive and
# oci-archive, rootful and rootless, to -o and to a redirected stdout, and read back by skopeo,
# the independent reader, whose digests must be the originals (diff_ids for docker-archive's
# uncompressed layers, blob digests for oci-archive). Plus Podman's refusals (a terminal,
# unknown images, formats), multi-image archives, and a layer tampered with in the store.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	registry_start main
	export IMG=$BERTH_IT_TMP/save-image IMG2=$BERTH_IT_TMP/save-image2
	mkdir -p "$BERTH_IT_TMP/save-layer2/etc" "$BERTH_IT_TMP/save-layer3/srv"
	echo "second layer" >"$BERTH_IT_TMP/save-layer2/etc/motd"
	head -c 300000 /dev/urandom >"$BERTH_IT_TMP/save-layer3/srv/data.bin"
	# Two images sharing their base layer.
	make_test_image "$IMG" "$BERTH_IT_TMP/save-layer2"
	make_test_image "$IMG2" "$BERTH_IT_TMP/save-layer3"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/test/busybox:latest"
	push_test_image "$IMG2" "$REGISTRY_MAIN_ADDR/test/other:1"
	# The same image with a Docker schema 2 manifest, as Docker Hub serves most images.
	skopeo --insecure-policy copy --quiet --format v2s2 \
		--dest-cert-dir "$(registry_pki)/certs.d" "oci:$IMG:latest" \
		"docker://$REGISTRY_MAIN_ADDR/test/docker:v2s2" 3>&-
	export CERTS=$BERTH_IT_TMP/save-certs
	install -d -m 0755 "$CERTS"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	export REF=$REGISTRY_MAIN_ADDR/test/busybox:latest REF2=$REGISTRY_MAIN_ADDR/test/other:1
	export REF3=$REGISTRY_MAIN_ADDR/test/docker:v2s2
}

teardown_file() {
	registry_stop main
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

# The originals, as skopeo reads them from the registry.
orig_config_digest() {
	skopeo inspect --cert-dir "$CERTS" --raw "docker://$1" | jq -r .config.digest
}
orig_layers() {
	skopeo inspect --cert-dir "$CERTS" --raw "docker://$1" | jq -c '[.layers[].digest]'
}
orig_diff_ids() {
	skopeo inspect --cert-dir "$CERTS" --config "docker://$1" | jq -c .rootfs.diff_ids
}
orig_manifest_digest() {
	skopeo inspect --cert-dir "$CERTS" --format '{{.Digest}}' "docker://$1"
}

# pull REF: prints the image ID.
pull() {
	berth pull -q --cert-dir "$CERTS" "$1"
}

# check_docker_archive FILE REF [SKOPEO-SUFFIX]: skopeo copies the image out of the archive;
# its config is the original and its layers are the original diff_ids.
check_docker_archive() {
	local out=$BATS_TEST_TMPDIR/dir-$RANDOM dg
	skopeo --insecure-policy copy --quiet "docker-archive:$1${3:-}" "dir:$out" ||
		fail "skopeo could not read $1${3:-}"
	assert_eq "$(jq -r .config.digest "$out/manifest.json")" "$(orig_config_digest "$2")" \
		"config digest"
	assert_eq "$(jq -c '[.layers[].digest]' "$out/manifest.json")" "$(orig_diff_ids "$2")" \
		"layer digests"
	# The blobs skopeo extracted have those digests.
	for dg in $(jq -r '.layers[].digest' "$out/manifest.json"); do
		assert_eq "sha256:$(sha256sum <"$out/${dg#sha256:}" | cut -d' ' -f1)" "$dg" "layer blob"
	done
}

@test "save -o: a docker-archive skopeo reads, with the original config and diff_ids" {
	id=$(pull "$REF")
	run --separate-stderr berth save -o "$BATS_TEST_TMPDIR/a.tar" "$REF"
	[ "$status" -eq 0 ] || fail "save failed: $stderr"
	[ -z "$output" ] || fail "stdout: $output"
	first=$(orig_layers "$REF" | jq -r '.[0] | ltrimstr("sha256:")')
	assert_contains "$stderr" "Copying blob ${first:0:12} done"
	assert_contains "$stderr" "Copying config ${id:0:10} done"
	assert_contains "$stderr" "Writing manifest to image destination"
	assert_contains "$stderr" "Storing signatures"
	check_docker_archive "$BATS_TEST_TMPDIR/a.tar" "$REF"
	# manifest.json as Podman writes it: config by digest, the name, layers by diff_id.
	output=$(tar -xOf "$BATS_TEST_TMPDIR/a.tar" manifest.json)
	assert_json 'length == 1'
	assert_json ".[0].Config == \"$id.json\""
	assert_json ".[0].RepoTags == [\"$REF\"]"
	assert_json ".[0].Layers == ($(orig_diff_ids "$REF") | map(ltrimstr(\"sha256:\") + \".tar\"))"
	# Entries: owned by 0:0 (numeric only, no user names), read-only, the config byte for byte.
	tar -tvf "$BATS_TEST_TMPDIR/a.tar" | awk '{ print $1, $2 }' | sort -u >"$BATS_TEST_TMPDIR/modes"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/modes")" "-r--r--r-- 0/0" "modes and owners"
	assert_eq "sha256:$(tar -xOf "$BATS_TEST_TMPDIR/a.tar" "$id.json" | sha256sum | cut -d' ' -f1)" \
		"sha256:$id" "config file"
	skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/a.tar" >"$BATS_TEST_TMPDIR/inspect.json"
	output=$(cat "$BATS_TEST_TMPDIR/inspect.json")
	assert_json ".Layers == $(orig_diff_ids "$REF")"
	assert_no_berth_procs
}

@test "save to a redirected stdout: quiet, and the same bytes as -o" {
	pull "$REF" >/dev/null
	berth save -q -o "$BATS_TEST_TMPDIR/a.tar" "$REF"
	run --separate-stderr bash -c "'$BERTH_TOP/bin/berth' --root '$BATS_TEST_TMPDIR/root' \
		--runroot '$BATS_TEST_TMPDIR/run' save '$REF' >'$BATS_TEST_TMPDIR/b.tar'"
	[ "$status" -eq 0 ] || fail "save failed: $stderr"
	[ -z "$stderr" ] || fail "stdout saves are quiet in Podman: $stderr"
	cmp "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/b.tar" || fail "the archives differ"
	# Through a pipe too.
	berth save "$REF" | cat >"$BATS_TEST_TMPDIR/c.tar"
	cmp "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/c.tar" || fail "the piped archive differs"
	# A reader that stops early fails the save, clearly.
	run --separate-stderr bash -c "'$BERTH_TOP/bin/berth' --root '$BATS_TEST_TMPDIR/root' \
		--runroot '$BATS_TEST_TMPDIR/run' save '$REF' | head -c 1000 >/dev/null; \
		exit \${PIPESTATUS[0]}"
	[ "$status" -eq 125 ] || fail "status $status: $stderr"
	assert_contains "$stderr" "writing the archive: Broken pipe"
	# -q silences -o too.
	run --separate-stderr berth save -q -o "$BATS_TEST_TMPDIR/d.tar" "$REF"
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "-q: $stderr"
	# `image save` is the same command.
	berth image save -q -o "$BATS_TEST_TMPDIR/e.tar" "$REF"
	cmp "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/e.tar"
}

@test "save refuses to write an archive to a terminal, as Podman does" {
	pull "$REF" >/dev/null
	run script -qec "'$BERTH_TOP/bin/berth' --root '$BATS_TEST_TMPDIR/root' \
		--runroot '$BATS_TEST_TMPDIR/run' save '$REF'" /dev/null
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_contains "$output" "Error: refusing to save to terminal. Use -o flag or redirect"
	# A terminal on stdout is fine with -o.
	run script -qec "'$BERTH_TOP/bin/berth' --root '$BATS_TEST_TMPDIR/root' \
		--runroot '$BATS_TEST_TMPDIR/run' save -q -o '$BATS_TEST_TMPDIR/t.tar' '$REF'" /dev/null
	[ "$status" -eq 0 ] || fail "status $status: $output"
	check_docker_archive "$BATS_TEST_TMPDIR/t.tar" "$REF"
}

@test "save --format oci-archive: an OCI layout with the original manifest, config and blobs" {
	pull "$REF" >/dev/null
	run --separate-stderr berth save --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" "$REF"
	[ "$status" -eq 0 ] || fail "save failed: $stderr"
	assert_contains "$stderr" "Writing manifest to image destination"
	out=$BATS_TEST_TMPDIR/oci-out
	skopeo --insecure-policy copy --quiet "oci-archive:$BATS_TEST_TMPDIR/o.tar" "dir:$out"
	assert_eq "sha256:$(sha256sum <"$out/manifest.json" | cut -d' ' -f1)" \
		"$(orig_manifest_digest "$REF")" "manifest digest"
	assert_eq "$(jq -r .config.digest "$out/manifest.json")" "$(orig_config_digest "$REF")" \
		"config digest"
	assert_eq "$(jq -c '[.layers[].digest]' "$out/manifest.json")" "$(orig_layers "$REF")" \
		"layer digests"
	# The layout itself.
	output=$(tar -xOf "$BATS_TEST_TMPDIR/o.tar" oci-layout)
	assert_json '.imageLayoutVersion == "1.0.0"'
	output=$(tar -xOf "$BATS_TEST_TMPDIR/o.tar" index.json)
	assert_json '.schemaVersion == 2'
	assert_json '.manifests | length == 1'
	assert_json ".manifests[0].digest == \"$(orig_manifest_digest "$REF")\""
	assert_json '.manifests[0].mediaType == "application/vnd.oci.image.manifest.v1+json"'
	assert_json ".manifests[0].annotations[\"org.opencontainers.image.ref.name\"] == \"$REF\""
	for f in $(tar -tf "$BATS_TEST_TMPDIR/o.tar" | grep '^blobs/sha256/.'); do
		assert_eq "$(tar -xOf "$BATS_TEST_TMPDIR/o.tar" "$f" | sha256sum | cut -d' ' -f1)" \
			"${f#blobs/sha256/}" "blob $f"
	done
	run skopeo inspect "oci-archive:$BATS_TEST_TMPDIR/o.tar"
	[ "$status" -eq 0 ]
	assert_json ".Layers == $(orig_layers "$REF")"
}

@test "an image with a Docker schema 2 manifest saves to both formats" {
	pull "$REF3" >/dev/null
	run skopeo inspect --cert-dir "$CERTS" --raw "docker://$REF3"
	assert_json '.mediaType == "application/vnd.docker.distribution.manifest.v2+json"'
	berth save -q -o "$BATS_TEST_TMPDIR/d.tar" "$REF3"
	check_docker_archive "$BATS_TEST_TMPDIR/d.tar" "$REF3"
	berth save -q --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" "$REF3"
	out=$BATS_TEST_TMPDIR/oci-out
	skopeo --insecure-policy copy --quiet "oci-archive:$BATS_TEST_TMPDIR/o.tar" "dir:$out"
	assert_eq "$(jq -r .config.digest "$out/manifest.json")" "$(orig_config_digest "$REF3")" \
		"config digest"
	assert_eq "$(jq -c '[.layers[].digest]' "$out/manifest.json")" "$(orig_layers "$REF3")" \
		"layer digests"
	# The manifest as it was pulled (berth does not convert it).
	output=$(tar -xOf "$BATS_TEST_TMPDIR/o.tar" index.json)
	assert_json '.manifests[0].mediaType == "application/vnd.docker.distribution.manifest.v2+json"'
	assert_json ".manifests[0].digest == \"$(orig_manifest_digest "$REF3")\""
}

@test "save -m: several images in one docker-archive, shared layers once; extra names without -m" {
	pull "$REF" >/dev/null
	pull "$REF2" >/dev/null
	run --separate-stderr berth save -m -o "$BATS_TEST_TMPDIR/m.tar" "$REF" "$REF2"
	[ "$status" -eq 0 ] || fail "save failed: $stderr"
	assert_contains "$stderr" "skipped: already exists"
	check_docker_archive "$BATS_TEST_TMPDIR/m.tar" "$REF" ":@0"
	check_docker_archive "$BATS_TEST_TMPDIR/m.tar" "$REF2" ":@1"
	check_docker_archive "$BATS_TEST_TMPDIR/m.tar" "$REF2" ":$REF2"
	output=$(tar -xOf "$BATS_TEST_TMPDIR/m.tar" manifest.json)
	assert_json "[.[].RepoTags] == [[\"$REF\"], [\"$REF2\"]]"
	base=$(orig_diff_ids "$REF" | jq -r '.[0] | ltrimstr("sha256:")')
	assert_eq "$(tar -tf "$BATS_TEST_TMPDIR/m.tar" | grep -c "^$base.tar\$")" 1 "shared layer"
	# Without -m the other arguments are more names for the first image.
	run --separate-stderr berth save -q -o "$BATS_TEST_TMPDIR/n.tar" "$REF" extra:1 "$REF2"
	[ "$status" -eq 0 ] || fail "save failed: $stderr"
	output=$(tar -xOf "$BATS_TEST_TMPDIR/n.tar" manifest.json)
	assert_json "length == 1"
	assert_json ".[0].RepoTags == [\"localhost/extra:1\", \"$REF2\", \"$REF\"]"
	assert_json ".[0].Config == \"$(orig_config_digest "$REF" | cut -d: -f2).json\""
	# -m is docker-archive only.
	run berth save -m --format oci-archive -o "$BATS_TEST_TMPDIR/x.tar" "$REF" "$REF2"
	[ "$status" -eq 125 ]
	assert_contains "$output" 'unsupported format "oci-archive" for saving multiple images (only docker-archive)'
	[ ! -e "$BATS_TEST_TMPDIR/x.tar" ] || fail "a failed save left its output"
	# By ID: no name.
	id=$(pull "$REF")
	berth save -q -o "$BATS_TEST_TMPDIR/i.tar" "${id:0:12}"
	output=$(tar -xOf "$BATS_TEST_TMPDIR/i.tar" manifest.json)
	assert_json '.[0].RepoTags == []'
}

@test "save of an unknown image: exit 125, Podman's message, no output file left" {
	pull "$REF" >/dev/null
	run berth save -o "$BATS_TEST_TMPDIR/none.tar" nosuch:latest
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_eq "$output" "Error: nosuch:latest: image not known"
	[ ! -e "$BATS_TEST_TMPDIR/none.tar" ] || fail "the output file was left"
	# A second, unknown image with -m fails the whole save.
	run berth save -m -o "$BATS_TEST_TMPDIR/none.tar" "$REF" nosuch
	[ "$status" -eq 125 ]
	[ ! -e "$BATS_TEST_TMPDIR/none.tar" ] || fail "the output file was left"
	# An existing file that the save cannot replace stays as it was... not here: -o truncates
	# it as Podman does, and removes it on failure. /dev/null is never removed.
	run berth save -o /dev/null nosuch
	[ "$status" -eq 125 ]
	[ -c /dev/null ] || fail "/dev/null was removed"
}

@test "save refuses what Podman refuses: formats, --compress, names with ':', no arguments" {
	run berth save --format tar -o "$BATS_TEST_TMPDIR/x.tar" x
	[ "$status" -eq 125 ]
	assert_eq "$output" "Error: format value must be one of oci-dir oci-archive docker-dir docker-archive"
	run berth save --compress -o "$BATS_TEST_TMPDIR/x.tar" x
	[ "$status" -eq 125 ]
	assert_eq "$output" "Error: --compress can only be set when --format is 'docker-dir'"
	run berth save --format oci-dir -o "$BATS_TEST_TMPDIR/x" x
	[ "$status" -eq 125 ]
	assert_contains "$output" "oci-dir is not supported"
	run berth save -o "$BATS_TEST_TMPDIR/a:b.tar" x
	[ "$status" -eq 125 ]
	assert_contains "$output" "invalid filename (should not contain ':')"
	run berth save -o "$BATS_TEST_TMPDIR/x.tar"
	[ "$status" -eq 125 ]
	assert_eq "$output" "Error: need at least 1 argument"
	[ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
}

@test "a layer blob tampered with in the store: the save fails and says which layer" {
	pull "$REF" >/dev/null
	layer=$(orig_layers "$REF" | jq -r '.[0]')
	blob=$BATS_TEST_TMPDIR/root/blobs/sha256/${layer#sha256:}
	[ -f "$blob" ] || fail "no stored blob $blob"
	# One byte in the middle of the compressed stream.
	printf '\x5a' | dd of="$blob" bs=1 seek=$(($(stat -c %s "$blob") / 2)) conv=notrunc status=none
	run berth save -o "$BATS_TEST_TMPDIR/t.tar" "$REF"
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_contains "$output" "Error: the stored layer $layer of image "
	assert_contains "$output" "is damaged (remove the image and pull it again)"
	[ ! -e "$BATS_TEST_TMPDIR/t.tar" ] || fail "the output file was left"
	# oci-archive copies blobs as stored: their digest is checked.
	run berth save --format oci-archive -o "$BATS_TEST_TMPDIR/t.tar" "$REF"
	[ "$status" -eq 125 ] || fail "status $status: $output"
	assert_contains "$output" "Error: the stored layer $layer of image "
	assert_contains "$output" "digest is sha256:"
	assert_contains "$output" "expected $layer"
	[ ! -e "$BATS_TEST_TMPDIR/t.tar" ] || fail "the output file was left"
	# Through stdout: the reader never sees a complete archive.
	run bash -c "'$BERTH_TOP/bin/berth' --root '$BATS_TEST_TMPDIR/root' \
		--runroot '$BATS_TEST_TMPDIR/run' save '$REF' >'$BATS_TEST_TMPDIR/s.tar'"
	[ "$status" -eq 125 ]
	run tar -tf "$BATS_TEST_TMPDIR/s.tar"
	[[ "$output" != *manifest.json* ]] || fail "the stdout archive looks complete: $output"
	assert_no_berth_procs
}

@test "rootless save: the user's file, docker-archive and oci-archive read back" {
	d=$(user_dir "$TEST_USER")
	run --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$REF"
	[ "$status" -eq 0 ] || fail "pull: $stderr"
	run --separate-stderr berth_as "$TEST_USER" save -o "$d/data/a.tar" "$REF"
	[ "$status" -eq 0 ] || fail "save: $stderr"
	assert_contains "$stderr" "Storing signatures"
	assert_eq "$(stat -c %U "$d/data/a.tar")" "$TEST_USER" "owner of the archive"
	check_docker_archive "$d/data/a.tar" "$REF"
	run --separate-stderr berth_as "$TEST_USER" save --format oci-archive -o data/o.tar "$REF"
	[ "$status" -eq 0 ] || fail "save: $stderr"
	run skopeo inspect "oci-archive:$d/data/o.tar"
	[ "$status" -eq 0 ]
	assert_json ".Layers == $(orig_layers "$REF")"
	# To stdout, and an unknown image.
	berth_as "$TEST_USER" save "$REF" >"$BATS_TEST_TMPDIR/u.tar"
	cmp "$d/data/a.tar" "$BATS_TEST_TMPDIR/u.tar" || fail "stdout archive differs"
	run berth_as "$TEST_USER" save -o data/n.tar nosuch
	[ "$status" -eq 125 ]
	assert_eq "$output" "Error: nosuch: image not known"
	[ ! -e "$d/data/n.tar" ]
	# A path the user cannot write is the user's own error, not the broker's business.
	run berth_as "$TEST_USER" save -o /root/x.tar "$REF"
	[ "$status" -eq 125 ]
	assert_contains "$output" "Permission denied"
	[ ! -e /root/x.tar ]
	assert_no_berth_procs
}
