#!/usr/bin/env bats
# Signing (issue 5): berth push --sign-by and berth image sign make containers-signature(5)
# "simple signing" signatures with the user's own GnuPG key (berth-sign, workers/sign/main.c)
# and store them as signature-N in the lookaside staging location (registries.d) or the
# --directory given. What berth writes is checked by others: Debian's skopeo verifies it under
# a signedBy policy, gpg decodes the payload, and berth pull accepts it under the same policy.
# Keys are made here; the rootless user's GnuPG homes belong to that user.

bats_require_minimum_version 1.5.0
load helpers
load registry
load signing

USER_CONF=/home/$TEST_USER/.config/containers

setup_file() {
	registry_start main
	export IMG=$BERTH_IT_TMP/trust-sign-image
	make_test_image "$IMG"
	export ARCHIVE=$BERTH_IT_TMP/trust-sign.tar
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "oci-archive:$ARCHIVE:localhost/app:1"
	chmod 0644 "$ARCHIVE"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/remote/app:1"
	export CERTS=$BERTH_IT_TMP/trust-sign-certs
	install -d -m 0755 "$CERTS"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	make_keys
}

teardown_file() {
	local h
	for h in "$GPG_A" "$GPG_B" "$GPG_C"; do
		runuser -u "$TEST_USER" -- env GNUPGHOME="$h" gpgconf --kill gpg-agent 2>/dev/null || true
	done
	GNUPGHOME=$GPG_ROOT gpgconf --kill gpg-agent 2>/dev/null || true
	registry_stop main
}

make_keys() {
	local k=$BERTH_IT_TMP/trust-sign-keys
	export GPG_A=$BERTH_IT_TMP/trust-sign-gpg-a GPG_B=$BERTH_IT_TMP/trust-sign-gpg-b
	export GPG_C=$BERTH_IT_TMP/trust-sign-gpg-c GPG_ROOT=$BERTH_IT_TMP/trust-sign-gpg-root
	export FPR_A FPR_B FPR_C FPR_ROOT KEY_A=$k/a.asc KEY_B=$k/b.asc KEY_ROOT=$k/root.asc
	FPR_A=$(gpg_gen_key "$GPG_A" alice "" "$TEST_USER")
	FPR_B=$(gpg_gen_key "$GPG_B" bob "" "$TEST_USER")
	FPR_C=$(gpg_gen_key "$GPG_C" carol 'c4rol pass' "$TEST_USER")
	FPR_ROOT=$(gpg_gen_key "$GPG_ROOT" root '' root)
	install -d -m 0755 "$k"
	GNUPGHOME=$GPG_A gpg --batch --armor --export "$FPR_A" >"$KEY_A" 2>/dev/null
	GNUPGHOME=$GPG_B gpg --batch --armor --export "$FPR_B" >"$KEY_B" 2>/dev/null
	GNUPGHOME=$GPG_ROOT gpg --batch --armor --export "$FPR_ROOT" >"$KEY_ROOT" 2>/dev/null
	GNUPGHOME=$GPG_A gpgconf --kill gpg-agent
	GNUPGHOME=$GPG_B gpgconf --kill gpg-agent
	GNUPGHOME=$GPG_ROOT gpgconf --kill gpg-agent
	chmod 0644 "$k"/*.asc
	printf 'c4rol pass\n' >"$k/pass-c"
	printf 'wrong\n' >"$k/pass-wrong"
	chmod 0644 "$k/pass-c" "$k/pass-wrong"
	export PASS_C=$k/pass-c PASS_WRONG=$k/pass-wrong
	# Sigstore key pairs in cosign's encrypted format.
	export COSIGN_KEY=$k/cosign.key COSIGN_PUB=$k/cosign.pub COSIGN_OTHER_PUB=$k/other.pub
	/usr/bin/python3 "$BERTH_SRC/tests/integration/cosign-keygen.py" "$k/cosign" 'cos pass'
	/usr/bin/python3 "$BERTH_SRC/tests/integration/cosign-keygen.py" "$k/other" 'other'
	printf 'cos pass\n' >"$k/pass-cosign"
	printf 'other\n' >"$k/pass-other"
	chmod 0644 "$k"/*.pub "$k/pass-cosign" "$k/pass-other"
	export PASS_COSIGN=$k/pass-cosign COSIGN_OTHER_KEY=$k/other.key PASS_OTHER=$k/pass-other
}

setup() {
	# Where the test user can reach (BATS_TEST_TMPDIR is root's alone).
	SIGS=$BERTH_IT_TMP/trust-sign-sigs-$BATS_TEST_NUMBER
	install -d -m 0755 -o "$TEST_USER" "$SIGS"
	berth images >/dev/null
}

teardown() {
	rm -rf "$USER_CONF/policy.json" "$USER_CONF/registries.d" "$SIGS"
	kill_test_pause
	remove_user_dirs
	assert_no_berth_procs
}

# user_regd KEY LOCATION: the test user's registries.d naming LOCATION for the test registry.
user_regd() {
	install -d -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "$USER_CONF" "$USER_CONF/registries.d"
	printf 'docker:\n  %s:\n    %s: %s\n' "$REGISTRY_MAIN_ADDR" "$1" "$2" \
		>"$USER_CONF/registries.d/sigs.yaml"
	chmod -R a+rX "$USER_CONF"
}

# berth_gpg GNUPGHOME ARGS...: berth_as the test user with that GnuPG home.
berth_gpg() {
	local home=$1 d
	shift
	d=$(user_dir "$TEST_USER")
	(
		cd "$d" || exit 1
		runuser -u "$TEST_USER" -- env -i HOME="/home/$TEST_USER" USER="$TEST_USER" \
			LOGNAME="$TEST_USER" PATH=/usr/sbin:/usr/bin:/sbin:/bin GNUPGHOME="$home" \
			XDG_RUNTIME_DIR="$d/run" XDG_DATA_HOME="$d/data" \
			${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
			${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} "$BERTH_TOP/bin/berth" "$@"
	)
}


# policy_for KEY: a policy.json in $BATS_TEST_TMPDIR requiring signedBy KEY for everything.
policy_for() {
	cat >"$BATS_TEST_TMPDIR/policy-$(basename "$1").json" <<EOF
{ "default": [ { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$1" } ] }
EOF
	echo "$BATS_TEST_TMPDIR/policy-$(basename "$1").json"
}

# skopeo_verify KEY LOOKASIDE REF: skopeo copies REF under a signedBy KEY policy, reading
# signatures from LOOKASIDE.
skopeo_verify() {
	local d=$BATS_TEST_TMPDIR/skopeo-regd
	install -d "$d"
	printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$REGISTRY_MAIN_ADDR" "$2" >"$d/sigs.yaml"
	rm -rf "$BATS_TEST_TMPDIR/copy"
	skopeo --policy "$(policy_for "$1")" --registries.d "$d" copy -q --src-cert-dir "$CERTS" \
		"docker://$3" "dir:$BATS_TEST_TMPDIR/copy"
}

# payload_of SIGFILE: the signed JSON, as gpg decodes it (the key need not be known).
payload_of() {
	gpg --batch --quiet --homedir "$BATS_TEST_TMPDIR/empty-gpg" --decrypt "$1" 2>/dev/null ||
		true
}

# gpg_agents_of HOME: the gpg-agent processes (of any user) serving that GnuPG home.
gpg_agents_of() {
	ps -e -o pid=,args= | awk -v h="$1" '$2 ~ /gpg-agent$/ && index($0, h)' || true
}

# no_agent_for HOME: true when no gpg-agent serves HOME (for wait_until).
no_agent_for() {
	[ -z "$(gpg_agents_of "$1")" ]
}

@test "push --sign-by: the signature is stored as signature-1, skopeo verifies it, berth pull accepts it" {
	local R=$REGISTRY_MAIN_ADDR d
	user_regd lookaside-staging "file://$SIGS"
	berth_as "$TEST_USER" load -q -i "$ARCHIVE" >/dev/null
	run -0 --separate-stderr berth_gpg "$GPG_A" push --cert-dir "$CERTS" --sign-by "$FPR_A" \
		localhost/app:1 "$R/signed/app:1"
	assert_contains "$stderr" "Signing manifest using simple signing"
	assert_contains "$stderr" "Storing signatures"
	d=$(digest_of "$R/signed/app:1")
	local sig="$SIGS/signed/app@sha256=${d#sha256:}/signature-1"
	[ -f "$sig" ] || fail "no $sig: $(find "$SIGS")"
	assert_eq "$(stat -c %a "$sig")" "644" "signature mode"
	assert_eq "$(stat -c %a "$(dirname "$sig")")" "755" "signature directory mode"
	assert_eq "$(find "$SIGS" -name '.signature-*')" "" "temporary files"
	# What it says.
	install -d -m 0700 "$BATS_TEST_TMPDIR/empty-gpg"
	local p
	p=$(payload_of "$sig")
	jq -e --arg r "$R/signed/app:1" --arg d "$d" --arg v "berth $BERTH_VERSION" '
		.critical.type == "atomic container signature" and
		.critical.identity["docker-reference"] == $r and
		.critical.image["docker-manifest-digest"] == $d and
		.optional.creator == $v and (.optional.timestamp | type == "number")' <<<"$p" >/dev/null ||
		fail "payload: $p"
	# skopeo: signedBy alice holds, signedBy bob does not.
	run -0 skopeo_verify "$KEY_A" "$SIGS" "$R/signed/app:1"
	run -1 skopeo_verify "$KEY_B" "$SIGS" "$R/signed/app:1"
	assert_contains "$output" "ignature"
	# berth pull under the user's signedBy policy, reading the same lookaside.
	user_regd lookaside "file://$SIGS"
	cat >"$USER_CONF/policy.json" <<EOF
{ "default": [ { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEY_A" } ] }
EOF
	chmod 0644 "$USER_CONF/policy.json"
	berth_as "$TEST_USER" rmi -a -f >/dev/null
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	cat >"$USER_CONF/policy.json" <<EOF
{ "default": [ { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEY_B" } ] }
EOF
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	assert_contains "$stderr" "which the policy does not name"
	# No agent berth started is left behind.
	wait_until no_agent_for "$GPG_A"
}

@test "push --sign-by twice adds signature-2; an agent the user runs is used and left running" {
	local R=$REGISTRY_MAIN_ADDR d
	user_regd lookaside "file://$SIGS"
	berth_as "$TEST_USER" load -q -i "$ARCHIVE" >/dev/null
	runuser -u "$TEST_USER" -- env GNUPGHOME="$GPG_A" gpgconf --launch gpg-agent
	[ -n "$(gpg_agents_of "$GPG_A")" ] || fail "the test's agent did not start"
	run -0 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" --sign-by "$FPR_A" \
		localhost/app:1 "$R/twice/app:1"
	run -0 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" --sign-by "$FPR_A" \
		localhost/app:1 "$R/twice/app:1"
	d=$(digest_of "$R/twice/app:1")
	run -0 ls "$SIGS/twice/app@sha256=${d#sha256:}"
	assert_eq "$output" "$(printf 'signature-1\nsignature-2')" "signatures"
	[ -n "$(gpg_agents_of "$GPG_A")" ] || fail "berth ended the user's own gpg-agent"
	runuser -u "$TEST_USER" -- env GNUPGHOME="$GPG_A" gpgconf --kill gpg-agent
}

@test "push --sign-by with a passphrase-protected key: --sign-passphrase-file; a wrong one pushes nothing" {
	local R=$REGISTRY_MAIN_ADDR d
	user_regd lookaside-staging "file://$SIGS"
	berth_as "$TEST_USER" load -q -i "$ARCHIVE" >/dev/null
	run -125 --separate-stderr berth_gpg "$GPG_C" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_C" --sign-passphrase-file "$PASS_WRONG" localhost/app:1 "$R/pass/app:1"
	assert_eq "$stderr" "Error: signing with key $FPR_C: wrong passphrase" "stderr"
	run -125 --separate-stderr berth_gpg "$GPG_C" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_C" localhost/app:1 "$R/pass/app:1"
	assert_eq "$stderr" "Error: signing with key $FPR_C: the key is protected by a passphrase: use --sign-passphrase-file" "stderr"
	run -1 skopeo inspect --cert-dir "$CERTS" "docker://$R/pass/app:1"
	assert_eq "$(find "$SIGS" -mindepth 1)" "" "signatures after refused pushes"
	run -0 --separate-stderr berth_gpg "$GPG_C" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_C" --sign-passphrase-file "$PASS_C" localhost/app:1 "$R/pass/app:1"
	d=$(digest_of "$R/pass/app:1")
	[ -f "$SIGS/pass/app@sha256=${d#sha256:}/signature-1" ] || fail "no signature: $(find "$SIGS")"
	GNUPGHOME=$GPG_C gpg --batch --armor --export "$FPR_C" >"$BATS_TEST_TMPDIR/c.asc" 2>/dev/null
	GNUPGHOME=$GPG_C gpgconf --kill gpg-agent
	run -0 skopeo_verify "$BATS_TEST_TMPDIR/c.asc" "$SIGS" "$R/pass/app:1"
	wait_until no_agent_for "$GPG_C"
}

@test "push --sign-by errors: unknown key, no location, an https location, no passphrase file: nothing pushed" {
	local R=$REGISTRY_MAIN_ADDR
	user_regd lookaside-staging "file://$SIGS"
	berth_as "$TEST_USER" load -q -i "$ARCHIVE" >/dev/null
	run -125 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_B" localhost/app:1 "$R/unknown/app:1"
	assert_eq "$stderr" "Error: no secret key $FPR_B in $GPG_A" "stderr"
	run -125 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" \
		--sign-by alice@berth.test localhost/app:1 "$R/unknown/app:1"
	assert_eq "$stderr" "Error: --sign-by alice@berth.test is not a key fingerprint (16 to 40 hexadecimal digits)" "stderr"
	run -125 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_A" --sign-passphrase-file /nonexistent/pass localhost/app:1 "$R/unknown/app:1"
	assert_eq "$stderr" "Error: reading --sign-passphrase-file /nonexistent/pass: No such file or directory" "stderr"
	run -125 --separate-stderr berth_gpg "$BATS_TEST_TMPDIR/nohome" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_A" localhost/app:1 "$R/unknown/app:1"
	assert_contains "$stderr" "Error: the GnuPG home $BATS_TEST_TMPDIR/nohome"
	rm -rf "$USER_CONF/registries.d"
	run -125 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_A" localhost/app:1 "$R/unknown/app:1"
	assert_eq "$stderr" "Error: cannot sign $R/unknown/app: registries.d names no lookaside or lookaside-staging location for it to write signatures to" "stderr"
	user_regd lookaside-staging "https://sigs.example.com/store"
	run -125 --separate-stderr berth_gpg "$GPG_A" push -q --cert-dir "$CERTS" \
		--sign-by "$FPR_A" localhost/app:1 "$R/unknown/app:1"
	assert_eq "$stderr" "Error: cannot sign $R/unknown/app: signatures can be written to file:// lookaside locations only, registries.d names https://sigs.example.com/store" "stderr"
	run -1 skopeo inspect --cert-dir "$CERTS" "docker://$R/unknown/app:1"
	assert_eq "$(find "$SIGS" -mindepth 1)" "" "signatures after refused pushes"
	wait_until no_agent_for "$GPG_A"
}

@test "image sign: signature-1 then signature-2 in --directory; skopeo verifies; without a location it is refused" {
	local R=$REGISTRY_MAIN_ADDR d dir=$BATS_TEST_TMPDIR/signed
	no_agent_for "$GPG_ROOT" || fail "before: $(gpg_agents_of "$GPG_ROOT")"
	d=$(digest_of "$R/remote/app:1")
	run -0 --separate-stderr env GNUPGHOME="$GPG_ROOT" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" image sign \
		--sign-by "$FPR_ROOT" --cert-dir "$CERTS" --directory "$dir" "docker://$R/remote/app:1"
	assert_eq "$output" "" "stdout"
	run -0 --separate-stderr env GNUPGHOME="$GPG_ROOT" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" image sign \
		--sign-by "$FPR_ROOT" --cert-dir "$CERTS" -d "$dir" "docker://$R/remote/app:1"
	run -0 ls "$dir/remote/app@sha256=${d#sha256:}"
	assert_eq "$output" "$(printf 'signature-1\nsignature-2')" "signatures"
	run -0 skopeo_verify "$KEY_ROOT" "$dir" "$R/remote/app:1"
	run -1 skopeo_verify "$KEY_A" "$dir" "$R/remote/app:1"
	install -d -m 0700 "$BATS_TEST_TMPDIR/empty-gpg"
	jq -e --arg r "$R/remote/app:1" --arg d "$d" \
		'.critical.identity["docker-reference"] == $r and .critical.image["docker-manifest-digest"] == $d' \
		<<<"$(payload_of "$dir/remote/app@sha256=${d#sha256:}/signature-2")" >/dev/null ||
		fail "payload of signature-2"
	# Rootful without --directory: /etc/containers/registries.d names nothing here.
	[ ! -e /etc/containers/registries.d ] || skip "this host has /etc/containers/registries.d"
	run -125 --separate-stderr env GNUPGHOME="$GPG_ROOT" "$BERTH_TOP/bin/berth" \
		--root "$BATS_TEST_TMPDIR/root" --runroot "$BATS_TEST_TMPDIR/run" image sign \
		--sign-by "$FPR_ROOT" --cert-dir "$CERTS" "docker://$R/remote/app:1"
	assert_eq "$stderr" "Error: cannot sign $R/remote/app: registries.d names no lookaside or lookaside-staging location for it to write signatures to" "stderr"
	wait_until no_agent_for "$GPG_ROOT"
}

@test "image sign: rootless into the staging location; an image not in the registry is an error" {
	local R=$REGISTRY_MAIN_ADDR d
	user_regd lookaside-staging "file://$SIGS"
	run -0 --separate-stderr berth_gpg "$GPG_A" image sign --sign-by "$FPR_A" \
		--cert-dir "$CERTS" "docker://$R/remote/app:1"
	d=$(digest_of "$R/remote/app:1")
	[ -f "$SIGS/remote/app@sha256=${d#sha256:}/signature-1" ] || fail "no signature: $(find "$SIGS")"
	run -0 skopeo_verify "$KEY_A" "$SIGS" "$R/remote/app:1"
	run -125 --separate-stderr berth_gpg "$GPG_A" image sign --sign-by "$FPR_A" \
		--cert-dir "$CERTS" "docker://$R/nosuch/app:1"
	assert_contains "$stderr" "Error: "
	assert_contains "$stderr" "nosuch/app"
	run -125 --separate-stderr berth_gpg "$GPG_A" image sign --cert-dir "$CERTS" \
		"docker://$R/remote/app:1"
	assert_eq "$stderr" "Error: please provide an identity" "stderr"
	assert_eq "$(find "$SIGS" -name 'signature-*' | wc -l)" "1" "signatures"
}

@test "berth-sign: its sandbox lets gpg run and nothing else (try-syscall); it needs the home at fd 5" {
	local lib=$BERTH_TOP/libexec/berth home=$BATS_TEST_TMPDIR/gpghome
	install -d -m 0700 "$home"
	run --separate-stderr "$lib/berth-sign" --sandbox-status --gnupghome "$home" 5<"$home"
	assert_line_re "$output" '^Seccomp: 2$'
	assert_line_re "$output" '^NoNewPrivs: 1$'
	assert_line_re "$output" '^CapEff:[[:space:]]+0+$'
	# The agent it started for that run ended with it.
	wait_until no_agent_for "$home"
	# A worker its sandbox kills cannot end an agent it started: give it one to find instead.
	GNUPGHOME=$home gpgconf --launch gpg-agent
	# execve is in the filter (for gpg); Landlock refuses any other program.
	run --separate-stderr "$lib/berth-sign" --try-syscall execve --gnupghome "$home" 5<"$home"
	if [[ "$(landlock_abi)" -gt 0 ]]; then
		assert_eq "$output" "denied: EACCES" "execve of /bin/echo"
	fi
	# Sockets: AF_UNIX only (the agent); an AF_INET socket kills the worker.
	run --separate-stderr "$lib/berth-sign" --try-syscall socket --gnupghome "$home" 5<"$home"
	assert_eq "$status" "159" "socket(AF_INET) status"
	run --separate-stderr "$lib/berth-sign" --try-syscall mount --gnupghome "$home" 5<"$home"
	assert_eq "$status" "159" "mount status"
	# The user's agent is still there.
	[ -n "$(gpg_agents_of "$home")" ] || fail "berth-sign ended an agent it did not start"
	GNUPGHOME=$home gpgconf --kill gpg-agent
	# Without the directory the broker opened, or with another one at fd 5: refused.
	run --separate-stderr "$lib/berth-sign" --sandbox-status --gnupghome "$home"
	assert_eq "$status" "1" "without fd 5"
	run --separate-stderr "$lib/berth-sign" --sandbox-status --gnupghome "$home" 5</tmp
	assert_eq "$status" "1" "another directory at fd 5"
	assert_contains "$stderr" "is not the directory the broker handed over"
}

# ---------------------------------------------------------------- sigstore

# registry_blob REPO DIGEST OUT: a blob of the test registry, fetched with curl.
registry_blob() {
	curl -sSf -L --cacert "$REGISTRY_CA" -o "$3" "https://$REGISTRY_MAIN_ADDR/v2/$1/blobs/$2"
}

@test "push --sign-by-sigstore-private-key: the attachment is in the registry and its signature verifies" {
	local R=$REGISTRY_MAIN_ADDR d m pdig sig
	berth load -q -i "$ARCHIVE" >/dev/null
	run -0 --separate-stderr berth push --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_KEY" --sign-passphrase-file "$PASS_COSIGN" localhost/app:1 "$R/cosigned/app:1"
	assert_contains "$stderr" "Storing signatures"
	d=$(digest_of "$R/cosigned/app:1")
	run -0 skopeo inspect --raw --cert-dir "$CERTS" "docker://$R/cosigned/app:sha256-${d#sha256:}.sig"
	m=$output
	jq -e '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.manifest.v1+json" and
		.config.mediaType == "application/vnd.oci.image.config.v1+json" and
		(.layers | length) == 1 and
		.layers[0].mediaType == "application/vnd.dev.cosign.simplesigning.v1+json"' \
		<<<"$m" >/dev/null || fail "attachment manifest: $m"
	pdig=$(jq -r '.layers[0].digest' <<<"$m")
	sig=$(jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' <<<"$m")
	registry_blob cosigned/app "$pdig" "$BATS_TEST_TMPDIR/payload"
	assert_eq "sha256:$(sha256sum <"$BATS_TEST_TMPDIR/payload" | cut -d' ' -f1)" "$pdig" "payload digest"
	jq -e --arg r "$R/cosigned/app:1" --arg d "$d" '
		.critical.type == "cosign container image signature" and
		.critical.identity["docker-reference"] == $r and
		.critical.image["docker-manifest-digest"] == $d and .optional == null' \
		"$BATS_TEST_TMPDIR/payload" >/dev/null || fail "payload: $(cat "$BATS_TEST_TMPDIR/payload")"
	base64 -d <<<"$sig" >"$BATS_TEST_TMPDIR/sig.der"
	run -0 openssl dgst -sha256 -verify "$COSIGN_PUB" -signature "$BATS_TEST_TMPDIR/sig.der" \
		"$BATS_TEST_TMPDIR/payload"
	assert_eq "$output" "Verified OK" "openssl with the key's public half"
	run -1 openssl dgst -sha256 -verify "$COSIGN_OTHER_PUB" -signature "$BATS_TEST_TMPDIR/sig.der" \
		"$BATS_TEST_TMPDIR/payload"
	# The config names the payload as its one layer.
	registry_blob cosigned/app "$(jq -r .config.digest <<<"$m")" "$BATS_TEST_TMPDIR/config"
	jq -e --arg p "$pdig" '.rootfs.diff_ids == [$p]' "$BATS_TEST_TMPDIR/config" >/dev/null ||
		fail "config: $(cat "$BATS_TEST_TMPDIR/config")"
}

# user_sigstore PUB...: the test user's policy requires a sigstore signature by one of the keys
# PUB (keyPaths), and registries.d turns attachments on for the test registry.
user_sigstore() {
	local keys
	keys=$(printf '"%s",' "$@")
	install -d -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "$USER_CONF" "$USER_CONF/registries.d"
	cat >"$USER_CONF/policy.json" <<EOF
{ "default": [ { "type": "sigstoreSigned", "keyPaths": [ ${keys%,} ] } ] }
EOF
	printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n' "$REGISTRY_MAIN_ADDR" \
		>"$USER_CONF/registries.d/sigstore.yaml"
	chmod -R a+rX "$USER_CONF"
}

# user_sigstore_pull STATUS REF: the rootless pull of REF ends with STATUS; the store is left
# empty either way.
user_sigstore_pull() {
	run -"$1" --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$2"
	berth_as "$TEST_USER" rmi -a -f >/dev/null
}

# attachment REPO DIGEST: the raw sigstore attachment manifest of DIGEST in REPO.
attachment() {
	skopeo inspect --raw --cert-dir "$CERTS" \
		"docker://$REGISTRY_MAIN_ADDR/$1:sha256-${2#sha256:}.sig"
}

# sign_again REPO DIGEST: berth signs REPO:1 (digest DIGEST) with the other key; the attachment
# then has two layers, the first exactly as it was before. M2: the attachment after.
sign_again() {
	local before
	before=$(attachment "$1" "$2")
	run -0 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_OTHER_KEY" --sign-passphrase-file "$PASS_OTHER" localhost/app:1 \
		"$REGISTRY_MAIN_ADDR/$1:1"
	M2=$(attachment "$1" "$2")
	jq -e '(.layers | length) == 2' <<<"$M2" >/dev/null || fail "attachment: $M2"
	assert_eq "$(jq -cS '.layers[0]' <<<"$M2")" "$(jq -cS '.layers[0]' <<<"$before")" \
		"the first layer"
}

# accepted_by_either REF: the rootless pull of REF is accepted under a policy naming either key.
accepted_by_either() {
	user_sigstore "$COSIGN_PUB"
	user_sigstore_pull 0 "$1"
	user_sigstore "$COSIGN_OTHER_PUB"
	user_sigstore_pull 0 "$1"
}

@test "push --sign-by-sigstore-private-key: berth pull accepts it under sigstoreSigned with the key, not with another" {
	local R=$REGISTRY_MAIN_ADDR
	berth load -q -i "$ARCHIVE" >/dev/null
	run -0 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_KEY" --sign-passphrase-file "$PASS_COSIGN" localhost/app:1 "$R/cosverify/app:1"
	user_sigstore "$COSIGN_PUB"
	user_sigstore_pull 0 "$R/cosverify/app:1"
	user_sigstore "$COSIGN_OTHER_PUB"
	user_sigstore_pull 125 "$R/cosverify/app:1"
	assert_eq "$stderr" "Error: image $R/cosverify/app:1 is rejected by $USER_CONF/policy.json for its default: the sigstore signature does not match the payload and the key the policy names" "stderr"
	# Without use-sigstore-attachments berth reads no attachment, as containers/image.
	user_sigstore "$COSIGN_PUB"
	rm "$USER_CONF/registries.d/sigstore.yaml"
	user_sigstore_pull 125 "$R/cosverify/app:1"
	assert_contains "$stderr" "registries.d does not set use-sigstore-attachments"
}

@test "push --sign-by-sigstore-private-key twice: the second signature is appended, the first kept as it was" {
	local R=$REGISTRY_MAIN_ADDR d m2
	berth load -q -i "$ARCHIVE" >/dev/null
	run -0 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_KEY" --sign-passphrase-file "$PASS_COSIGN" localhost/app:1 "$R/cosappend/app:1"
	d=$(digest_of "$R/cosappend/app:1")
	sign_again cosappend/app "$d"
	m2=$M2
	# Both payloads are the same document (same image, same identity): one blob, two layers.
	assert_eq "$(jq -r '.layers[1].digest' <<<"$m2")" "$(jq -r '.layers[0].digest' <<<"$m2")" \
		"payload digests"
	# Each signature verifies with its own key only.
	registry_blob cosappend/app "$(jq -r '.layers[1].digest' <<<"$m2")" "$BATS_TEST_TMPDIR/payload"
	jq -r '.layers[1].annotations["dev.cosignproject.cosign/signature"]' <<<"$m2" | base64 -d \
		>"$BATS_TEST_TMPDIR/sig2.der"
	run -0 openssl dgst -sha256 -verify "$COSIGN_OTHER_PUB" -signature "$BATS_TEST_TMPDIR/sig2.der" \
		"$BATS_TEST_TMPDIR/payload"
	run -1 openssl dgst -sha256 -verify "$COSIGN_PUB" -signature "$BATS_TEST_TMPDIR/sig2.der" \
		"$BATS_TEST_TMPDIR/payload"
	# The config lists both layers, as containers/image's append does.
	registry_blob cosappend/app "$(jq -r .config.digest <<<"$m2")" "$BATS_TEST_TMPDIR/config"
	jq -e --argjson m "$m2" '.rootfs.diff_ids == [$m.layers[].digest]' \
		"$BATS_TEST_TMPDIR/config" >/dev/null || fail "config: $(cat "$BATS_TEST_TMPDIR/config")"
	accepted_by_either "$R/cosappend/app:1"
}

@test "push --sign-by-sigstore-private-key appends to an attachment made elsewhere, its annotations verbatim; one berth cannot carry is refused" {
	local R=$REGISTRY_MAIN_ADDR d m1 m2 tag
	berth load -q -i "$ARCHIVE" >/dev/null
	run -0 --separate-stderr berth push -q --cert-dir "$CERTS" localhost/app:1 "$R/cosext/app:1"
	d=$(digest_of "$R/cosext/app:1")
	# cosign's layout, made independently of berth, with a certificate and a bundle.
	/usr/bin/python3 "$BERTH_SRC/tests/integration/cosign-sign.py" "$COSIGN_KEY" 'cos pass' \
		"$REGISTRY_CA" "$R" cosext/app "$d" "$R/cosext/app:1" --extra-annotations
	m1=$(attachment cosext/app "$d")
	jq -e '.layers[0].annotations | has("dev.sigstore.cosign/bundle")' <<<"$m1" >/dev/null ||
		fail "attachment made by cosign-sign.py: $m1"
	sign_again cosext/app "$d"
	m2=$M2
	accepted_by_either "$R/cosext/app:1"
	# A manifest-level annotation would be lost by berth's rewrite: refused, nothing pushed
	# (not the attachment, not the new tag).
	tag=sha256-${d#sha256:}.sig
	jq -c '. + {annotations: {"org.example/kept": "by containers/image"}}' <<<"$m2" \
		>"$BATS_TEST_TMPDIR/annotated.json"
	curl -sSf --cacert "$REGISTRY_CA" -X PUT \
		-H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary "@$BATS_TEST_TMPDIR/annotated.json" \
		"https://$R/v2/cosext/app/manifests/$tag"
	m1=$(attachment cosext/app "$d")
	run -125 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_KEY" --sign-passphrase-file "$PASS_COSIGN" localhost/app:1 "$R/cosext/app:2"
	assert_eq "$stderr" "Error: $R/cosext/app already has sigstore signatures ($tag) with annotations, which berth cannot carry over when it adds one; nothing was pushed" "stderr"
	assert_eq "$(attachment cosext/app "$d")" "$m1" "the attachment after the refusal"
	run -1 skopeo inspect --cert-dir "$CERTS" "docker://$R/cosext/app:2"
}

@test "push --sign-by-sigstore-private-key errors: wrong passphrase, not a key, unreadable key: nothing pushed" {
	local R=$REGISTRY_MAIN_ADDR
	berth load -q -i "$ARCHIVE" >/dev/null
	run -125 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$COSIGN_KEY" --sign-passphrase-file "$PASS_WRONG" localhost/app:1 "$R/cosignfail/app:1"
	assert_eq "$stderr" "Error: decrypting the sigstore private key $COSIGN_KEY: wrong passphrase (--sign-passphrase-file)" "stderr"
	run -125 --separate-stderr berth push -q --cert-dir "$CERTS" --sign-by-sigstore-private-key \
		"$PASS_COSIGN" localhost/app:1 "$R/cosignfail/app:1"
	assert_eq "$stderr" "Error: $PASS_COSIGN is not an encrypted sigstore private key (no ENCRYPTED SIGSTORE PRIVATE KEY block)" "stderr"
	# The frontend reads the key as the user: the user's permissions apply.
	install -m 0600 "$COSIGN_KEY" "$BERTH_IT_TMP/trust-sign-root-only.key"
	run -125 --separate-stderr berth_as "$TEST_USER" push -q --cert-dir "$CERTS" \
		--sign-by-sigstore-private-key "$BERTH_IT_TMP/trust-sign-root-only.key" localhost/app:1 \
		"$R/cosignfail/app:1"
	assert_eq "$stderr" "Error: reading --sign-by-sigstore-private-key $BERTH_IT_TMP/trust-sign-root-only.key: Permission denied" "stderr"
	rm -f "$BERTH_IT_TMP/trust-sign-root-only.key"
	run -1 skopeo inspect --cert-dir "$CERTS" "docker://$R/cosignfail/app:1"
}
