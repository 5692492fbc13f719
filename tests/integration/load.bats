#!/usr/bin/env bats
# berth load and berth import, rootful and rootless: archives written by skopeo (the independent
# peer) in both formats, archives assembled by hand (several images, symlinked layers), hostile
# and broken archives, and kill -9 in the middle. After every refusal the store is exactly as
# it was: no image, no blob, no staging directory.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	export IMG=$BERTH_IT_TMP/load-image
	export IMG2=$BERTH_IT_TMP/load-image2
	mkdir -p "$BERTH_IT_TMP/load-layer2/etc" "$BERTH_IT_TMP/load-layer3"
	echo "second layer" >"$BERTH_IT_TMP/load-layer2/etc/motd"
	head -c 2000000 /dev/urandom >"$BERTH_IT_TMP/load-layer3/big.bin"
	make_test_image "$IMG" "$BERTH_IT_TMP/load-layer2"
	make_test_image "$IMG2" "$BERTH_IT_TMP/load-layer3"
	export A=$BERTH_IT_TMP/load-archives
	install -d -m 0755 "$A"
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "docker-archive:$A/docker.tar:busybox:v1"
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "oci-archive:$A/oci.tar:localhost/bb:v2"
	skopeo --insecure-policy copy -q "oci:$IMG2:latest" "docker-archive:$A/docker2.tar:other/img:v3"
	chmod 0644 "$A"/*.tar
}

teardown() {
	kill_test_pause
	remove_user_dirs
}

# The config digest skopeo reports for an archive: the image ID berth must arrive at.
skopeo_id() {
	skopeo inspect --raw "$1" | jq -r .config.digest | sed 's/^sha256://'
}

# The store holds nothing a failed command could have left: no image, no blob, no layer
# directory, no staging directory.
assert_store_empty() {
	local root=${1:-$BATS_TEST_TMPDIR/root}
	run berth images -q
	[ -z "$output" ] || fail "images left: $output"
	[ -z "$(ls -A "$root/layers" 2>/dev/null)" ] || fail "layers left: $(ls -A "$root/layers")"
	[ -z "$(ls -A "$root/blobs/sha256" 2>/dev/null)" ] ||
		fail "blobs left: $(ls -A "$root/blobs/sha256")"
}

@test "load a docker-archive written by skopeo: name, ID, layers and content agree" {
	run --separate-stderr berth load -i "$A/docker.tar"
	[ "$status" -eq 0 ] || fail "load: $stderr"
	assert_eq "$output" "Loaded image: docker.io/library/busybox:v1"
	[[ "$stderr" == *"Copying blob"* && "$stderr" == *"Writing manifest"* ]] || fail "$stderr"
	id=$(skopeo_id "docker-archive:$A/docker.tar")
	run berth image inspect busybox:v1
	[ "$status" -eq 0 ]
	assert_json ".[0].Id == \"$id\""
	assert_json '.[0].RootFS.Layers | length == 2'
	assert_json '.[0].Config.Cmd == ["/bin/sh"]'
	assert_json '.[0].ManifestType == "application/vnd.oci.image.manifest.v1+json"'
	# The layers are unpacked: the second layer's file is there.
	grep -rq "second layer" "$BATS_TEST_TMPDIR/root/layers"/*/etc/motd
	# Nothing of the staging is left, and -q prints only the result.
	run ls "$BATS_TEST_TMPDIR/root/layers"
	[[ "$output" != *tmp-* ]] || fail "staging left: $output"
	run --separate-stderr berth load -q -i "$A/docker.tar"
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "quiet load printed: $stderr"
	assert_eq "$output" "Loaded image: docker.io/library/busybox:v1"
}

@test "load an oci-archive from stdin, rootless: private store, same ID as rootful" {
	id=$(skopeo_id "oci-archive:$A/oci.tar")
	run --separate-stderr berth_as "$TEST_USER" load <"$A/oci.tar"
	[ "$status" -eq 0 ] || fail "rootless load: $stderr"
	assert_eq "$output" "Loaded image: localhost/bb:v2"
	run berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_eq "$output" "localhost/bb:v2 ${id:0:12}"
	d=$(user_dir "$TEST_USER")/data/berth
	[ "$(stat -c %a "$d")" = 700 ] || fail "store mode $(stat -c %a "$d")"
	[ "$(stat -c %U "$d/blobs/sha256/$id")" = "$TEST_USER" ] || fail "blob owner"
	run berth load <"$A/oci.tar"
	[ "$status" -eq 0 ]
	run berth images -q --no-trunc
	assert_eq "$output" "sha256:$id"
}

@test "a docker-archive of several images, with a layer shared through a symlink" {
	w=$BATS_TEST_TMPDIR/multi
	mkdir -p "$w/a" "$w/b" "$w/m"
	tar -C "$w/a" -xf "$A/docker.tar"
	tar -C "$w/b" -xf "$A/docker2.tar"
	cp -a "$w/a/." "$w/m/"
	cp -an "$w/b/." "$w/m/"
	# docker save writes a layer two images share once and links the other name to it.
	base=$(jq -r '.[0].Layers[0]' "$w/b/manifest.json")
	mkdir -p "$w/m/shared" "$w/m/linkdir"
	mv "$w/m/$base" "$w/m/shared/layer.tar"
	ln -s "../shared/layer.tar" "$w/m/linkdir/layer.tar"
	jq '.[0].Layers[0] = "linkdir/layer.tar"' "$w/b/manifest.json" >"$w/b.json"
	jq '.[0].Layers[0] = "shared/layer.tar"' "$w/a/manifest.json" >"$w/a.json"
	jq -s '.[0] + .[1]' "$w/a.json" "$w/b.json" >"$w/m/manifest.json"
	rm -f "$w/m/repositories"
	tar -C "$w/m" -cf "$w/multi.tar" .
	run --separate-stderr berth load -i "$w/multi.tar"
	[ "$status" -eq 0 ] || fail "load: $stderr"
	assert_eq "$output" "Loaded image: docker.io/library/busybox:v1
Loaded image: docker.io/other/img:v3"
	run berth images --format '{{.ID}}'
	[ "$(wc -l <<<"$output")" -eq 2 ] || fail "images: $output"
	# The shared base layer is unpacked once.
	[ "$(ls "$BATS_TEST_TMPDIR/root/layers" | wc -l)" -eq 3 ]
}

@test "import: a tarball from a file and from stdin, with --change and --message" {
	r=$BATS_TEST_TMPDIR/rootfs
	mkdir -p "$r/etc" "$r/bin"
	echo imported >"$r/etc/hello"
	tar -C "$r" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
	run --separate-stderr berth import -c 'CMD ["/bin/sh", "-c", "cat /etc/hello"]' \
		-c 'ENV GREETING=hi' -c 'EXPOSE 8080' -c 'LABEL team=core' -c 'WORKDIR /etc' \
		-c 'USER 1000' -m "from a tarball" "$BATS_TEST_TMPDIR/rootfs.tgz" myimage:1.0
	[ "$status" -eq 0 ] || fail "import: $stderr"
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "output: $output"
	id=${output#sha256:}
	run berth image inspect localhost/myimage:1.0
	[ "$status" -eq 0 ]
	assert_json ".[0].Id == \"$id\""
	assert_json '.[0].Config.Cmd == ["/bin/sh", "-c", "cat /etc/hello"]'
	assert_json '.[0].Config.Env == ["GREETING=hi"]'
	assert_json '.[0].Config.ExposedPorts == {"8080/tcp": {}}'
	assert_json '.[0].Config.Labels == {"team": "core"}'
	assert_json '.[0].Config.WorkingDir == "/etc"'
	assert_json '.[0].Config.User == "1000"'
	assert_json '.[0].History[0].comment == "from a tarball"'
	assert_json '.[0].RootFS.Layers | length == 1'
	diff=$(json '.[0].RootFS.Layers[0]')
	# The diff_id is the uncompressed tarball's digest; the layer holds its files.
	[ "$diff" = "sha256:$(gzip -dc "$BATS_TEST_TMPDIR/rootfs.tgz" | sha256sum | cut -d' ' -f1)" ]
	assert_eq "$(cat "$BATS_TEST_TMPDIR/root/layers/${diff#sha256:}/etc/hello")" imported
	# Uncompressed from stdin, rootless, without a name.
	tar -C "$r" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
	run --separate-stderr berth_as "$TEST_USER" import -q - <"$BATS_TEST_TMPDIR/rootfs.tar"
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "rootless import: $stderr"
	run berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "<none>:<none>"
	# Bad input: an unknown instruction, a URL, a file that is not there.
	run berth import -c 'RUN rm -rf /' "$BATS_TEST_TMPDIR/rootfs.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"RUN is not one of"* ]] || fail "$output"
	run berth import https://example.com/x.tar
	[ "$status" -eq 125 ] && [[ "$output" == *"download"* ]] || fail "$output"
	run berth import "$BATS_TEST_TMPDIR/nonexistent.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"nonexistent.tar"* ]] || fail "$output"
}

@test "broken and hostile archives are refused and leave the store as it was" {
	w=$BATS_TEST_TMPDIR/bad
	mkdir -p "$w"
	# Not an archive at all.
	head -c 5000 /dev/urandom >"$w/garbage"
	run berth load -i "$w/garbage"
	[ "$status" -eq 125 ] && [[ "$output" == *"not a tar archive"* ]] || fail "$output"
	assert_store_empty
	# A tar that is neither format.
	echo hi >"$w/f" && tar -C "$w" -cf "$w/plain.tar" f
	run berth load -i "$w/plain.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"supported image formats"* ]] || fail "$output"
	assert_store_empty
	# A docker-archive whose layer was changed after the config was written.
	mkdir -p "$w/d" && tar -C "$w/d" -xf "$A/docker.tar"
	layer=$(jq -r '.[0].Layers[1]' "$w/d/manifest.json")
	mkdir -p "$w/x/etc" && echo tampered >"$w/x/etc/motd"
	tar -C "$w/x" -cf "$w/d/$layer" .
	tar -C "$w/d" -cf "$w/tampered.tar" .
	run berth load -i "$w/tampered.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"does not match the image config"* ]] ||
		fail "$output"
	assert_store_empty
	# An oci-archive with a blob whose bytes are not its name.
	mkdir -p "$w/o" && tar -C "$w/o" -xf "$A/oci.tar"
	cfg=$(jq -r '.manifests[0].digest' "$w/o/index.json" | sed 's/sha256://')
	cfg=$(jq -r .config.digest "$w/o/blobs/sha256/$cfg" | sed 's/sha256://')
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' \
		>"$w/o/blobs/sha256/$cfg"
	tar -C "$w/o" -cf "$w/wrongdigest.tar" .
	run berth load -i "$w/wrongdigest.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"$cfg"* ]] || fail "$output"
	assert_store_empty
	# A manifest.json naming a file outside the archive, through "..", an absolute path
	# and a symlink that leads out; and an entry that tries to write outside.
	mkdir -p "$w/h" && tar -C "$w/h" -xf "$A/docker.tar"
	ln -s ../../../../etc/passwd "$w/h/escape.tar"
	jq '.[0].Layers[0] = "escape.tar"' "$w/h/manifest.json" >"$w/h/m" && mv "$w/h/m" "$w/h/manifest.json"
	python3 - "$w/h" "$w/hostile.tar" <<-'EOF'
		import io, os, sys, tarfile
		src, out = sys.argv[1], sys.argv[2]
		with tarfile.open(out, "w") as t:
		    for name in sorted(os.listdir(src)):
		        t.add(os.path.join(src, name), arcname=name)
		    for bad in ("../outside-sentinel", "/tmp/berth-abs-sentinel"):
		        data = b"pwned"
		        i = tarfile.TarInfo(bad)
		        i.size = len(data)
		        t.addfile(i, io.BytesIO(data))
	EOF
	run berth load -i "$w/hostile.tar"
	[ "$status" -eq 125 ] && [[ "$output" == *"has no file escape.tar"* ]] || fail "$output"
	[ ! -e "$BATS_TEST_TMPDIR/outside-sentinel" ] && [ ! -e /tmp/berth-abs-sentinel ] &&
		[ ! -e "$BATS_TEST_TMPDIR/root/outside-sentinel" ] || fail "an entry was written outside"
	assert_store_empty
	# Nothing on stdin, and a terminal on stdin.
	run berth load </dev/null
	[ "$status" -eq 125 ] || fail "$output"
	run script -qec "$BERTH_TOP/bin/berth --root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run load" /dev/null
	[ "$status" -eq 125 ] && [[ "$output" == *"cannot read from terminal"* ]] || fail "$output"
	assert_store_empty
}

@test "kill -9 of a load while it stages: the next command removes what it left" {
	w=$BATS_TEST_TMPDIR/big
	mkdir -p "$w/l"
	head -c 200000000 /dev/urandom >"$w/l/big.bin"
	make_test_image "$w/img" "$w/l"
	skopeo --insecure-policy copy -q "oci:$w/img:latest" "docker-archive:$w/big.tar:big:1"
	berth load -i "$w/big.tar" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		ls "$BATS_TEST_TMPDIR/root/layers" 2>/dev/null | grep -q '^tmp-' && break
		sleep 0.05
	done
	# The broker and its workers, children of this load only.
	for b in $(pgrep -P "$pid"); do
		pkill -9 -P "$b" || true
		kill -9 "$b" 2>/dev/null || true
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	run berth images -q
	[ "$status" -eq 0 ] && [ -z "$output" ] || fail "images: $output"
	run ls -A "$BATS_TEST_TMPDIR/root/layers"
	[ -z "$output" ] || fail "left behind: $output"
	# And the archive still loads.
	run berth load -q -i "$w/big.tar"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "save then load gives the same images back: docker-archive with -m, oci-archive" {
	berth load -q -i "$A/docker.tar" >/dev/null
	berth load -q -i "$A/docker2.tar" >/dev/null
	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	before=$(sort <<<"$output")
	berth save -q -m -o "$BATS_TEST_TMPDIR/both.tar" busybox:v1 other/img:v3
	berth save --format oci-archive busybox:v1 >"$BATS_TEST_TMPDIR/one-oci.tar"
	berth rmi -a -f >/dev/null
	assert_store_empty
	run --separate-stderr berth load -i "$BATS_TEST_TMPDIR/both.tar"
	[ "$status" -eq 0 ] || fail "load: $stderr"
	assert_eq "$output" "Loaded image: docker.io/library/busybox:v1
Loaded image: docker.io/other/img:v3"
	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_eq "$(sort <<<"$output")" "$before"
	berth rmi -a -f >/dev/null
	run --separate-stderr berth load -i "$BATS_TEST_TMPDIR/one-oci.tar"
	assert_eq "$output" "Loaded image: docker.io/library/busybox:v1"
	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_eq "$output" "$(grep busybox <<<"$before")"
}
