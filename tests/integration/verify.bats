#!/usr/bin/env bats
# berth-verify, the real binary in its real sandbox, driven over IPC by tests/tools/verify-call
# exactly as the broker starts and talks to it (fork + exec, clean environment, the channel at
# fd 3, uid 65534 when run as root, each document passed as an fd). Each test checks the worker's
# answer and that the worker is still well afterwards: after the tool closes the channel the
# worker exits 0 (`worker-exit=0`), never by SIGSYS, and writes nothing on stderr.

bats_require_minimum_version 1.5.0
load helpers

OCI_M=application/vnd.oci.image.manifest.v1+json
OCI_I=application/vnd.oci.image.index.v1+json
DK_M=application/vnd.docker.distribution.manifest.v2+json
DK_L=application/vnd.docker.distribution.manifest.list.v2+json
SCHEMA1_MSG="manifest: Docker schema 1 manifests are not supported (deprecated); ask the image's publisher to push a schema 2 or OCI image"

# d WORD: a sha256 digest, as real ones look.
d() {
	echo "sha256:$(printf '%s' "$1" | sha256sum | cut -c1-64)"
}

setup_file() {
	# tests/integration/run may test a copy of bin/ and libexec/ only; the tool stays in the
	# build tree (or, for a default build, the source tree).
	VERIFY_CALL="$BERTH_TOP/tests/tools/verify-call"
	[ -x "$VERIFY_CALL" ] || VERIFY_CALL="$BERTH_SRC/tests/tools/verify-call"
	if [ ! -x "$VERIFY_CALL" ]; then
		echo "missing tests/tools/verify-call: build it first (make tools)" >&2
		return 1
	fi
	export VERIFY_CALL
	[ -x "$BERTH_TOP/libexec/berth/berth-verify" ] || {
		echo "missing $BERTH_TOP/libexec/berth/berth-verify: build first (make)" >&2
		return 1
	}

	local f=$BATS_FILE_TMPDIR
	cat >"$f/oci-manifest.json" <<EOF
{
  "schemaVersion": 2,
  "mediaType": "$OCI_M",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "$(d config)",
    "size": 1471
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
      "digest": "$(d layer0)",
      "size": 3408729
    },
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": "$(d layer1)",
      "size": 1024
    }
  ],
  "annotations": { "org.opencontainers.image.version": "3.19.1" }
}
EOF
	cat >"$f/oci-index.json" <<EOF
{"schemaVersion":2,"mediaType":"$OCI_I","manifests":[
 {"mediaType":"$OCI_M","digest":"$(d amd64)","size":1638,"platform":{"architecture":"amd64","os":"linux"}},
 {"mediaType":"$OCI_M","digest":"$(d armv7)","size":1638,"platform":{"architecture":"arm","os":"linux","variant":"v7"}},
 {"mediaType":"$OCI_M","digest":"$(d att)","size":840,"annotations":{"vnd.docker.reference.type":"attestation-manifest"},"platform":{"architecture":"unknown","os":"unknown"}},
 {"mediaType":"application/vnd.oci.artifact.manifest.v1+json","digest":"$(d sbom)","size":300}
]}
EOF
	cat >"$f/docker-manifest.json" <<EOF
{
   "schemaVersion": 2,
   "mediaType": "$DK_M",
   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7653, "digest": "$(d nginx-config)"},
   "layers": [
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 29126484, "digest": "$(d nginx0)"},
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 41383418, "digest": "$(d nginx1)"},
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 628, "digest": "$(d nginx2)"}
   ]
}
EOF
	cat >"$f/docker-list.json" <<EOF
{"schemaVersion":2,"mediaType":"$DK_L","manifests":[
 {"mediaType":"$DK_M","size":527,"digest":"$(d bb-amd64)","platform":{"architecture":"amd64","os":"linux"}},
 {"mediaType":"$DK_M","size":527,"digest":"$(d bb-arm64)","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}
]}
EOF
	cat >"$f/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"2024-01-27T00:30:56.150825642Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],
  "Cmd":["nginx","-g","daemon off;"],"Entrypoint":["/docker-entrypoint.sh"],"WorkingDir":"/srv",
  "User":"101:101","StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{}},"Volumes":null,
  "Labels":{"maintainer":"NGINX Docker Maintainers <docker-maint@nginx.com>"},"OnBuild":null},
 "rootfs":{"type":"layers","diff_ids":["$(d diff0)","$(d diff1)"]},
 "history":[{"created":"2024-01-27T00:30:56Z","created_by":"/bin/sh -c #(nop) ADD file:37a7 in / "},
  {"created":"2024-01-27T00:30:57Z","created_by":"/bin/sh -c #(nop)  CMD [\"nginx\"]","empty_layer":true}]}
EOF
	cat >"$f/schema1.json" <<EOF
{
   "schemaVersion": 1,
   "name": "library/busybox",
   "tag": "1.27",
   "architecture": "amd64",
   "fsLayers": [ { "blobSum": "$(d s1)" } ],
   "history": [ { "v1Compatibility": "{\"id\":\"x\"}" } ],
   "signatures": [ { "header": { "alg": "ES256" }, "signature": "abc", "protected": "def" } ]
}
EOF
	# Binary garbage, the same on every run: gzip's output.
	gzip -9 -n -c <"$f/docker-manifest.json" >"$f/garbage"
	cat "$f/oci-manifest.json" "$f/config.json" | gzip -1 -n -c >>"$f/garbage"
	head -c 300 "$f/oci-manifest.json" >"$f/truncated.json"
	{ cat "$f/oci-manifest.json"; echo '{"schemaVersion":2}'; } >"$f/trailing.json"
	printf '{"schemaVersion":2,"mediaType":"%s\\u0000x"}' "$OCI_M" >"$f/nul.json"
	head -c 5242880 /dev/zero >"$f/5MiB"
	# Exactly 4 MiB: a valid manifest padded with whitespace, which JSON allows.
	cp "$f/oci-manifest.json" "$f/4MiB.json"
	truncate -s 4194304 "$f/4MiB.json"
	tr '\0' ' ' <"$f/4MiB.json" >"$f/4MiB+1.json"
	cp "$f/4MiB+1.json" "$f/4MiB.json"
	printf ' ' >>"$f/4MiB+1.json"
}

# call ARGS...: runs verify-call; $status, $output (stdout) and $stderr as `run` sets them.
call() {
	run --separate-stderr "$VERIFY_CALL" "$@"
}

# has_line LINE: $output has exactly this line.
has_line() {
	grep -qxF -- "$1" <<<"$output" || fail "no line '$1' in: $output"
}

# The worker outlived everything it was sent and exited 0 when the channel closed, quietly.
assert_worker_ok() {
	has_line "worker-exit=0"
	if grep -q '^died:' <<<"$output"; then
		fail "the worker died: $output"
	fi
	assert_eq "$stderr" "" "stderr of berth-verify and verify-call"
}

# ---------------------------------------------------------------- accepted

@test "an OCI image manifest: config and layers with their digests" {
	local f=$BATS_FILE_TMPDIR
	call --media-type "$OCI_M" manifest "$f/oci-manifest.json"
	assert_eq "$status" 0 "exit status ($output)"
	has_line 'kind=image'
	has_line "media_type=$OCI_M"
	has_line 'schema_version=2'
	has_line 'config.media_type=application/vnd.oci.image.config.v1+json'
	has_line "config.digest=$(d config)"
	has_line 'config.size=1471'
	has_line 'layers=2'
	has_line "layers[0].digest=$(d layer0)"
	has_line 'layers[0].size=3408729'
	has_line 'layers[1].media_type=application/vnd.oci.image.layer.v1.tar+zstd'
	has_line "layers[1].digest=$(d layer1)"
	assert_worker_ok
}

@test "an OCI index: entries with their platforms, artifacts left out" {
	local f=$BATS_FILE_TMPDIR
	call --media-type "$OCI_I; charset=utf-8" manifest "$f/oci-index.json"
	assert_eq "$status" 0 "exit status ($output)"
	has_line 'kind=index'
	has_line 'manifests=3'
	has_line "manifests[0].digest=$(d amd64)"
	has_line 'manifests[0].platform=linux/amd64'
	has_line 'manifests[1].platform=linux/arm/v7'
	has_line 'manifests[2].platform=unknown/unknown'
	assert_worker_ok
}

@test "a Docker schema 2 manifest and a Docker manifest list" {
	local f=$BATS_FILE_TMPDIR
	call --media-type "$DK_M" manifest "$f/docker-manifest.json" \
		--media-type "$DK_L" manifest "$f/docker-list.json"
	assert_eq "$status" 0 "exit status ($output)"
	has_line "media_type=$DK_M"
	has_line 'config.media_type=application/vnd.docker.container.image.v1+json'
	has_line 'layers=3'
	has_line "layers[2].digest=$(d nginx2)"
	has_line "media_type=$DK_L"
	has_line 'manifests=2'
	has_line 'manifests[1].platform=linux/arm64/v8'
	assert_worker_ok
}

@test "an image config: diff_ids, Env, Cmd, Entrypoint, labels, history" {
	local f=$BATS_FILE_TMPDIR
	call config "$f/config.json"
	assert_eq "$status" 0 "exit status ($output)"
	has_line 'architecture=amd64'
	has_line 'os=linux'
	has_line 'diff_ids=2'
	has_line "diff_ids[0]=$(d diff0)"
	has_line "diff_ids[1]=$(d diff1)"
	has_line 'env[1]=LANG=C.UTF-8'
	has_line 'cmd=3'
	has_line 'cmd[2]=daemon off;'
	has_line 'entrypoint[0]=/docker-entrypoint.sh'
	has_line 'working_dir=/srv'
	has_line 'user=101:101'
	has_line 'stop_signal=SIGQUIT'
	has_line 'exposed_ports[0]=80/tcp'
	has_line 'labels[0]=maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>'
	has_line 'history=2'
	has_line 'history[1].empty_layer=true'
	if grep -q '^volumes' <<<"$output"; then
		fail "\"Volumes\": null must read as no volumes: $output"
	fi
	assert_worker_ok
}

@test "a document of exactly 4 MiB is read whole and parsed" {
	local f=$BATS_FILE_TMPDIR
	assert_eq "$(stat -c %s "$f/4MiB.json")" 4194304 "fixture size"
	call manifest "$f/4MiB.json"
	assert_eq "$status" 0 "exit status ($output)"
	has_line 'layers=2'
	assert_worker_ok
}

# ---------------------------------------------------------------- refused

@test "a 5 MiB document is refused with the 4 MiB limit, manifest and config" {
	local f=$BATS_FILE_TMPDIR
	call manifest "$f/5MiB" config "$f/5MiB" manifest "$f/4MiB+1.json"
	assert_eq "$status" 1 "exit status ($output)"
	has_line 'error: manifest is 5242880 bytes, more than the 4 MiB allowed'
	has_line 'error: image config is 5242880 bytes, more than the 4 MiB allowed'
	has_line 'error: manifest is 4194305 bytes, more than the 4 MiB allowed'
	assert_worker_ok
}

@test "a Docker schema 1 manifest is refused with advice" {
	local f=$BATS_FILE_TMPDIR
	call manifest "$f/schema1.json" \
		--media-type application/vnd.docker.distribution.manifest.v1+prettyjws \
		manifest "$f/schema1.json"
	assert_eq "$status" 1 "exit status ($output)"
	assert_eq "$(grep -cxF "error: $SCHEMA1_MSG" <<<"$output")" 2 "schema 1 errors in ($output)"
	assert_worker_ok
}

@test "garbage, truncated JSON, trailing data and NUL are refused; the worker carries on" {
	local f=$BATS_FILE_TMPDIR
	call manifest "$f/garbage" config "$f/garbage" manifest "$f/truncated.json" \
		manifest "$f/trailing.json" manifest "$f/nul.json" \
		--media-type "$OCI_M" manifest "$f/oci-manifest.json"
	assert_eq "$status" 1 "exit status ($output)"
	assert_line_re "$output" '^error: manifest: (invalid JSON|the document is not valid UTF-8)'
	assert_line_re "$output" '^error: image config: (invalid JSON|the document is not valid UTF-8)'
	assert_line_re "$output" '^error: manifest: the JSON document is truncated'
	assert_line_re "$output" '^error: manifest: unexpected data after the JSON document'
	assert_line_re "$output" '^error: manifest: a string contains a NUL character'
	# The last, good manifest still gets its answer from the same worker.
	has_line "layers[1].digest=$(d layer1)"
	# No error message carries a control character from the input.
	if grep '^error:' <<<"$output" | grep -q '\\x'; then
		fail "an error message echoes control characters: $output"
	fi
	assert_worker_ok
}

@test "a manifest served under another type, and a config that is not one, are refused" {
	local f=$BATS_FILE_TMPDIR
	call --media-type "$OCI_I" manifest "$f/oci-manifest.json" \
		--media-type text/html manifest "$f/oci-manifest.json" \
		config "$f/oci-manifest.json" manifest "$f/config.json"
	assert_eq "$status" 1 "exit status ($output)"
	has_line "error: manifest: the document says it is \"$OCI_M\" but was served as \"$OCI_I\""
	has_line 'error: manifest: served as "text/html", which is not an image manifest or index type'
	has_line 'error: image config: architecture is missing'
	has_line 'error: manifest: schemaVersion is missing'
	assert_worker_ok
}

@test "a hostile document is bounded in the sandbox: values, nesting" {
	local f=$BATS_FILE_TMPDIR
	{
		printf '{"schemaVersion":2,"x":['
		yes '{},' | head -n 1000000 | tr -d '\n'
		printf '{}]}'
	} >"$f/values.json"
	{
		printf '{"schemaVersion":2,"x":'
		head -c 100000 /dev/zero | tr '\0' '['
		head -c 100000 /dev/zero | tr '\0' ']'
		printf '}'
	} >"$f/deep.json"
	call manifest "$f/values.json" config "$f/deep.json"
	assert_eq "$status" 1 "exit status ($output)"
	assert_line_re "$output" '^error: manifest: the document holds more than 100000 JSON values'
	has_line 'error: image config: the JSON is nested more than 64 levels deep'
	assert_worker_ok
}

@test "a config within every field's limit but too big for the channel is refused in words" {
	local f=$BATS_FILE_TMPDIR i env=""
	# 250 entries of 1000 bytes: within the 256 x 8192 field limits, beyond the channel.
	for i in $(seq 250); do
		env+="\"V$i=$(head -c 1000 /dev/zero | tr '\0' x)\","
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Env":[%s"LAST=1"]},"rootfs":{"type":"layers","diff_ids":[]}}' \
		"$env" >"$f/bigcfg.json"
	call config "$f/bigcfg.json" config "$f/config.json"
	assert_eq "$status" 1 "exit status ($output)"
	assert_line_re "$output" '^error: image config: the parsed result is [0-9]+ bytes, more than the 196608 a worker may send$'
	has_line 'diff_ids=2'
	assert_worker_ok
}

@test "an fd that is not a regular file is refused" {
	call manifest /dev/null config /dev/zero
	assert_eq "$status" 1 "exit status ($output)"
	has_line 'error: manifest: the fd is not a regular file'
	has_line 'error: image config: the fd is not a regular file'
	assert_worker_ok
}

@test "every fuzz seed goes through the real worker, which survives them all" {
	local args=() s n=0
	for s in "$BERTH_SRC"/fuzz/corpus/fuzz_manifest/*; do
		# The first byte selects the parser (fuzz/fuzz_manifest.c): even manifest, odd config.
		tail -c +2 "$s" >"$BATS_TEST_TMPDIR/$(basename "$s")"
		if (($(od -An -tu1 -N1 "$s") % 2)); then
			args+=(config "$BATS_TEST_TMPDIR/$(basename "$s")")
		else
			args+=(manifest "$BATS_TEST_TMPDIR/$(basename "$s")")
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] || fail "only $n seeds in fuzz/corpus/fuzz_manifest"
	call "${args[@]}"
	assert_eq "$(grep -c '^== ' <<<"$output")" "$n" "answers ($output)"
	[ "$status" -le 1 ] || fail "exit status $status: $output"
	has_line 'kind=index'
	assert_line_re "$output" '^diff_ids='
	assert_worker_ok
}

@test "every sigstore attachment seed goes through the real worker, which survives them all" {
	local args=() s n=0 claims=("" "" application/json application/vnd.oci.image.manifest.v1+json
		application/vnd.oci.image.index.v1+json
		application/vnd.docker.distribution.manifest.v2+json
		"application/vnd.oci.image.manifest.v1+json; charset=utf-8")
	for s in "$BERTH_SRC"/fuzz/corpus/fuzz_sigattach/*; do
		# The first byte selects the claimed media type (fuzz/fuzz_sigattach.c); index 0 is
		# "no claim", which the broker sends as "".
		tail -c +2 "$s" >"$BATS_TEST_TMPDIR/$(basename "$s")"
		args+=(--media-type "${claims[$(($(od -An -tu1 -N1 "$s") % 7))]}" sigattach
			"$BATS_TEST_TMPDIR/$(basename "$s")")
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || fail "only $n seeds in fuzz/corpus/fuzz_sigattach"
	call "${args[@]}"
	assert_eq "$(grep -c '^== ' <<<"$output")" "$n" "answers ($output)"
	[ "$status" -le 1 ] || fail "exit status $status: $output"
	has_line 'sig_layers[0].media_type=application/vnd.dev.cosign.simplesigning.v1+json'
	has_line 'sig_layers[1].certificate=1 bundle=1'
	# Annotations come back verbatim for push's append; what a reply cannot carry is named.
	has_line 'sig_layers[0].annotations[org.example/note]=kept verbatim'
	has_line 'sig_unkept=subject'
	has_line 'error: signature attachment manifest: it was served as "application/vnd.oci.image.index.v1+json", not as an OCI image manifest'
	assert_worker_ok
}
