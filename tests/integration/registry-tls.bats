#!/usr/bin/env bats
# The registry client's TLS beyond a CA: client certificates from certs.d (a docker-registry
# that requires one, mutual TLS) for pull, push and login, rootful (--cert-dir) and rootless
# (the user's certs.d); and plain-HTTP registries, reached only when TLS verification is off
# (--tls-verify=false, or `insecure = true` in registries.conf), as Podman does: https first,
# http when the registry does not speak TLS. skopeo is the independent client that pushed what
# berth pulls and reads back what berth pushed.

bats_require_minimum_version 1.5.0
load helpers
load registry

setup_file() {
	registry_start mtls --mtls
	registry_start plain --http
	export IMG=$BERTH_IT_TMP/tls-image
	make_test_image "$IMG"
	push_test_image "$IMG" "$REGISTRY_MTLS_ADDR/test/busybox:latest"
	push_test_image "$IMG" "$REGISTRY_PLAIN_ADDR/test/busybox:latest"
	# --cert-dir directories: the CA with the client pair, and the CA alone.
	export CERTS=$BERTH_IT_TMP/tls-certs CA_ONLY=$BERTH_IT_TMP/tls-ca-only
	install -d -m 0755 "$CERTS" "$CA_ONLY"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	install -m 0644 "$REGISTRY_CLIENT_CERT" "$CERTS/client.cert"
	install -m 0600 "$REGISTRY_CLIENT_KEY" "$CERTS/client.key"
	install -m 0644 "$REGISTRY_CA" "$CA_ONLY/ca.crt"
	export MREF=$REGISTRY_MTLS_ADDR/test/busybox:latest
	export PREF=$REGISTRY_PLAIN_ADDR/test/busybox:latest
	# The rootless user's own certs.d for the mTLS registry (removed in teardown_file).
	export USER_CERTS=/home/$TEST_USER/.config/containers/certs.d/$REGISTRY_MTLS_ADDR
}

teardown_file() {
	registry_stop mtls
	registry_stop plain
	rm -rf "$USER_CERTS"
}

skopeo_mtls_digest() {
	skopeo inspect --cert-dir "$REGISTRY_CLIENT_CERT_DIR" --format '{{.Digest}}' "docker://$1"
}

skopeo_plain_digest() {
	skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1"
}

# install_user_certs: the CA and the client pair in the test user's certs.d, owned by the user.
install_user_certs() {
	local g
	g=$(id -g "$TEST_USER")
	install -d -m 0755 -o "$TEST_USER" -g "$g" "/home/$TEST_USER/.config" \
		"/home/$TEST_USER/.config/containers" "/home/$TEST_USER/.config/containers/certs.d"
	install -d -m 0700 -o "$TEST_USER" -g "$g" "$USER_CERTS"
	install -m 0644 -o "$TEST_USER" -g "$g" "$REGISTRY_CA" "$USER_CERTS/ca.crt"
	install -m 0644 -o "$TEST_USER" -g "$g" "$REGISTRY_CLIENT_CERT" "$USER_CERTS/client.cert"
	install -m 0600 -o "$TEST_USER" -g "$g" "$REGISTRY_CLIENT_KEY" "$USER_CERTS/client.key"
}

# ---------------------------------------------------------------- client certificates

@test "mTLS, rootful: pull, push and login with the client certificate in --cert-dir" {
	run --separate-stderr berth pull --cert-dir "$CERTS" "$MREF"
	[ "$status" -eq 0 ] || fail "pull: $stderr"
	id=$output
	raw=$(skopeo inspect --cert-dir "$REGISTRY_CLIENT_CERT_DIR" --raw "docker://$MREF" |
		jq -r .config.digest)
	[ "$raw" = "sha256:$id" ] || fail "config digest $raw, image ID $id"
	d=$(skopeo_mtls_digest "$MREF")
	run --separate-stderr berth push --cert-dir "$CERTS" "$MREF" "$REGISTRY_MTLS_ADDR/copy/busybox:1"
	[ "$status" -eq 0 ] || fail "push: $stderr"
	[ "$(skopeo_mtls_digest "$REGISTRY_MTLS_ADDR/copy/busybox:1")" = "$d" ]
	af=$BATS_TEST_TMPDIR/auth.json
	run --separate-stderr berth login --authfile "$af" --cert-dir "$CERTS" -u someone \
		-p something "$REGISTRY_MTLS_ADDR"
	[ "$status" -eq 0 ] || fail "login: $stderr"
	[ "$output" = "Login Succeeded!" ]
	# With verification off, the client certificate is still presented (https first).
	run --separate-stderr berth pull --tls-verify=false --cert-dir "$CERTS" "$MREF"
	[ "$status" -eq 0 ] || fail "pull --tls-verify=false: $stderr"
	# The key never shows up in what berth prints, even with debug logging.
	run --separate-stderr berth --log-level debug pull --cert-dir "$CERTS" "$MREF"
	key_line=$(grep -v -- '-----' "$REGISTRY_CLIENT_KEY" | head -n 1)
	[[ "$stderr" != *"$key_line"* ]] || fail "the key was printed"
}

@test "mTLS, rootless: pull, push and login with the client certificate in the user's certs.d" {
	install_user_certs
	run --separate-stderr berth_as "$TEST_USER" pull "$MREF"
	[ "$status" -eq 0 ] || fail "pull: $stderr"
	d=$(skopeo_mtls_digest "$MREF")
	run --separate-stderr berth_as "$TEST_USER" push "$MREF" "$REGISTRY_MTLS_ADDR/rootless/busybox:1"
	[ "$status" -eq 0 ] || fail "push: $stderr"
	[ "$(skopeo_mtls_digest "$REGISTRY_MTLS_ADDR/rootless/busybox:1")" = "$d" ]
	run --separate-stderr berth_as "$TEST_USER" login -u someone -p something "$REGISTRY_MTLS_ADDR"
	[ "$status" -eq 0 ] || fail "login: $stderr"
	# A key the user's files hold no partner for is an error naming the file.
	rm "$USER_CERTS/client.cert"
	run --separate-stderr berth_as "$TEST_USER" pull "$MREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"missing client certificate $USER_CERTS/client.cert for key $USER_CERTS/client.key"* ]] ||
		fail "$stderr"
	rm -rf "$USER_CERTS"
}

@test "mTLS: without a client certificate the registry refuses, and the error says what to add" {
	run --separate-stderr berth pull --cert-dir "$CA_ONLY" "$MREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"the registry requires a client certificate"* ]] || fail "$stderr"
	[[ "$stderr" == *"NAME.cert and NAME.key"* ]] || fail "$stderr"
	run --separate-stderr berth login --authfile "$BATS_TEST_TMPDIR/auth.json" \
		--cert-dir "$CA_ONLY" -u someone -p something "$REGISTRY_MTLS_ADDR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"requires a client certificate"* ]] || fail "$stderr"
	[ ! -e "$BATS_TEST_TMPDIR/auth.json" ] || [ "$(jq '.auths | length' "$BATS_TEST_TMPDIR/auth.json")" -eq 0 ]
	# A certificate from a CA the registry does not trust is refused as well.
	dir=$BATS_TEST_TMPDIR/other
	mkdir "$dir"
	cp "$REGISTRY_CA" "$dir/ca.crt"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=stranger -keyout "$dir/me.key" -out "$dir/me.cert" 2>/dev/null
	run --separate-stderr berth pull --cert-dir "$dir" "$MREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"did not accept berth's client certificate"* ]] || fail "$stderr"
}

@test "certs.d: a .cert without its .key is an error naming the file, before any connection" {
	dir=$BATS_TEST_TMPDIR/half
	mkdir "$dir"
	cp "$REGISTRY_CA" "$dir/ca.crt"
	cp "$REGISTRY_CLIENT_CERT" "$dir/client.cert"
	run --separate-stderr berth pull --cert-dir "$dir" "$MREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"missing key $dir/client.key for client certificate $dir/client.cert"* ]] ||
		fail "$stderr"
	run --separate-stderr berth push --cert-dir "$dir" "$MREF" "$REGISTRY_MTLS_ADDR/x/y:1"
	[ "$status" -eq 125 ]
	run --separate-stderr berth login --authfile "$BATS_TEST_TMPDIR/auth.json" --cert-dir "$dir" \
		-u someone -p something "$REGISTRY_MTLS_ADDR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"missing key $dir/client.key"* ]] || fail "$stderr"
	# A key that is not a key is refused by TLS, with the files to check.
	echo "not a key" >"$dir/client.key"
	run --separate-stderr berth pull --cert-dir "$dir" "$MREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"client certificate or key"* ]] || fail "$stderr"
}

# ---------------------------------------------------------------- plain HTTP

@test "plain HTTP with --tls-verify=false: pull, push and login over http" {
	run --separate-stderr berth pull --tls-verify=false "$PREF"
	[ "$status" -eq 0 ] || fail "pull: $stderr"
	id=$output
	raw=$(skopeo inspect --tls-verify=false --raw "docker://$PREF" | jq -r .config.digest)
	[ "$raw" = "sha256:$id" ] || fail "config digest $raw, image ID $id"
	d=$(skopeo_plain_digest "$PREF")
	run --separate-stderr berth push --tls-verify=false "$PREF" "$REGISTRY_PLAIN_ADDR/copy/busybox:1"
	[ "$status" -eq 0 ] || fail "push: $stderr"
	[ "$(skopeo_plain_digest "$REGISTRY_PLAIN_ADDR/copy/busybox:1")" = "$d" ]
	run --separate-stderr berth login --authfile "$BATS_TEST_TMPDIR/auth.json" --tls-verify=false \
		-u someone -p something "$REGISTRY_PLAIN_ADDR"
	[ "$status" -eq 0 ] || fail "login: $stderr"
	# Rootless the same.
	run --separate-stderr berth_as "$TEST_USER" pull --tls-verify=false "$PREF"
	[ "$status" -eq 0 ] || fail "rootless pull: $stderr"
}

@test "plain HTTP with insecure = true in registries.conf: pull and push without flags" {
	conf=$BATS_TEST_TMPDIR/registries.conf
	cat >"$conf" <<CONF
[[registry]]
location = "$REGISTRY_PLAIN_ADDR"
insecure = true
CONF
	export CONTAINERS_REGISTRIES_CONF=$conf
	run --separate-stderr berth pull "$PREF"
	[ "$status" -eq 0 ] || fail "pull: $stderr"
	d=$(skopeo_plain_digest "$PREF")
	run --separate-stderr berth push "$PREF" "$REGISTRY_PLAIN_ADDR/insecure/busybox:1"
	[ "$status" -eq 0 ] || fail "push: $stderr"
	[ "$(skopeo_plain_digest "$REGISTRY_PLAIN_ADDR/insecure/busybox:1")" = "$d" ]
	# login reads the same setting (this registry asks for no credentials, so any pass).
	run --separate-stderr berth login --authfile "$BATS_TEST_TMPDIR/auth.json" \
		-u someone -p something "$REGISTRY_PLAIN_ADDR"
	[ "$status" -eq 0 ] || fail "login: $stderr"
	# --tls-verify=true on the command line wins over the file: https only, refused.
	run --separate-stderr berth pull --tls-verify=true "$PREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--tls-verify=false"* ]] || fail "$stderr"
}

@test "plain HTTP with TLS verification on: refused, and the error names --tls-verify=false" {
	run --separate-stderr berth pull "$PREF"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"does not speak TLS"* ]] || fail "$stderr"
	[[ "$stderr" == *"--tls-verify=false"* ]] || fail "$stderr"
	[[ "$stderr" == *"insecure = true"* ]] || fail "$stderr"
	[ -z "$(berth images -q)" ]
	berth pull -q --tls-verify=false "$PREF" >/dev/null
	run --separate-stderr berth push "$PREF" "$REGISTRY_PLAIN_ADDR/refused/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--tls-verify=false"* ]] || fail "$stderr"
	run --separate-stderr berth login --authfile "$BATS_TEST_TMPDIR/auth.json" \
		-u someone -p something "$REGISTRY_PLAIN_ADDR"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--tls-verify=false"* ]] || fail "$stderr"
}

@test "--tls-verify=false and a registry that answers neither https nor http: one clear error" {
	port=$(free_port)
	run --separate-stderr berth pull --tls-verify=false "127.0.0.1:$port/x/y:1"
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"pinging container registry 127.0.0.1:$port"* ]] || fail "$stderr"
	[[ "$stderr" == *"over http"* ]] || fail "$stderr"
}

# ---------------------------------------------------------------- berth-fetch itself

@test "berth-fetch: client certificate and plain_http in MSG_F_GET and MSG_F_PUT; fd counts that disagree with the flags are refused" {
	fc=$BERTH_TOP/tests/tools/fetch-call
	[ -x "$fc" ] || fail "missing $fc: build it with 'make tools'"
	tls=(--ca "$REGISTRY_CA" --cert "$REGISTRY_CLIENT_CERT" --key "$REGISTRY_CLIENT_KEY")
	run "$fc" --registry "$REGISTRY_MTLS_ADDR" --repo test/busybox --manifest latest \
		--out "$BATS_TEST_TMPDIR/m" "${tls[@]}"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"status=200"* ]] || fail "$output"
	# One fd short of what has_client_cert announces: refused, nothing sent.
	run "$fc" --registry "$REGISTRY_MTLS_ADDR" --repo test/busybox --manifest latest \
		--out "$BATS_TEST_TMPDIR/m" "${tls[@]}" --drop-last-fd
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"fetch request with 3 fds (has_ca is set, has_client_cert is set)"* ]] ||
		fail "$output"
	head -c 5000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	d=sha256:$(sha256sum "$BATS_TEST_TMPDIR/blob" | cut -d' ' -f1)
	run "$fc" --registry "$REGISTRY_MTLS_ADDR" --repo worker/put --put-blob "$BATS_TEST_TMPDIR/blob" \
		--digest "$d" "${tls[@]}"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"existed=false"* ]] || fail "$output"
	run "$fc" --registry "$REGISTRY_MTLS_ADDR" --repo worker/put --put-blob "$BATS_TEST_TMPDIR/blob" \
		--digest "$d" --cert "$REGISTRY_CLIENT_CERT" --key "$REGISTRY_CLIENT_KEY" --drop-last-fd
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"upload request with 2 fds (has_ca is not set, has_client_cert is set)"* ]] ||
		fail "$output"
	# An upload over plain HTTP, when the request says so; https otherwise.
	run "$fc" --registry "$REGISTRY_PLAIN_ADDR" --repo worker/put --put-blob "$BATS_TEST_TMPDIR/blob" \
		--digest "$d" --plain-http
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"existed=false"* ]] || fail "$output"
	run "$fc" --registry "$REGISTRY_PLAIN_ADDR" --repo worker/put --put-blob "$BATS_TEST_TMPDIR/blob" \
		--digest "$d"
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"does not speak TLS"* ]] || fail "$output"
}
