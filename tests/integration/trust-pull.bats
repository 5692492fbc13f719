#!/usr/bin/env bats
# The trust policy enforced before anything is stored (issue 5): berth pull from the local TLS
# registry and berth load of skopeo's archives consult policy.json (--signature-policy, the
# rootless user's own file, /etc) for the reference; a rejected image leaves the store exactly
# as it was (no blob, no layer, no image, no tag); archives carry no signatures, so a
# signature requirement rejects a load (sigstoreSigned on a pull: trust-sigstore.bats).
# signedBy: GPG keys made
# here, signatures made by skopeo copy --sign-by into a file:// lookaside that the rootless
# user's registries.d names, checked by berth-verify in its gpg mode; the same tree served over
# https by a small server started here (a certificate from the test registry's CA) for the
# https:// lookaside, which berth-fetch reads until the first 404.

bats_require_minimum_version 1.5.0
load helpers
load registry
load signing

USER_CONF=/home/$TEST_USER/.config/containers

setup_file() {
	registry_start main
	export IMG=$BERTH_IT_TMP/trust-pull-image
	make_test_image "$IMG"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/app:1"
	push_test_image "$IMG" "$REGISTRY_MAIN_ADDR/team/app:1"
	export CERTS=$BERTH_IT_TMP/trust-pull-certs
	install -d -m 0755 "$CERTS"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	export A=$BERTH_IT_TMP/trust-pull-archives
	install -d -m 0755 "$A"
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "docker-archive:$A/docker.tar:bb:v1"
	skopeo --insecure-policy copy -q "oci:$IMG:latest" "oci-archive:$A/oci.tar:localhost/bb:v2"
	make_signed_images
	https_lookaside_start
}

# A copy of the signature tree, served over https on 127.0.0.1 with the test PKI's server
# certificate: $LOOKASIDE_URL. $LOOKASIDE_DOWN is a URL where nothing listens.
https_lookaside_start() {
	local pki dir=$BERTH_IT_TMP/trust-pull-https
	pki=$(registry_pki)
	rm -rf "$dir"
	install -d -m 0755 "$dir"
	cp -r "$SIGS" "$dir/sigs"
	chmod -R a+rX "$dir"
	"$REGISTRY_PYTHON" -c '
import functools, http.server, ssl, sys
root, cert, key, portfile = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
handler.log_message = lambda *a: None
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
' "$dir/sigs" "$pki/server.crt" "$pki/server.key" "$dir/port" </dev/null >"$dir/log" 2>&1 3>&- &
	echo $! >"$dir/pid"
	wait_for_file "$dir/port" 10 || { cat "$dir/log" >&2; return 1; }
	export LOOKASIDE_URL LOOKASIDE_DOWN LOOKASIDE_HOST
	LOOKASIDE_HOST=127.0.0.1:$(cat "$dir/port")
	LOOKASIDE_URL=https://$LOOKASIDE_HOST
	LOOKASIDE_DOWN=https://127.0.0.1:$(free_port)
	curl -sf -o /dev/null --cacert "$pki/ca.crt" \
		"$LOOKASIDE_URL/signed/app@sha256=${D1#sha256:}/signature-1" ||
		{ echo "the https lookaside does not serve" >&2; return 1; }
}

teardown_file() {
	stop_pidfile "$BERTH_IT_TMP/trust-pull-https/pid"
	GNUPGHOME=$GPG_A gpgconf --kill gpg-agent 2>/dev/null || true
	GNUPGHOME=$GPG_B gpgconf --kill gpg-agent 2>/dev/null || true
	registry_stop main
}

# sign_push GNUPGHOME FPR IMAGE-DIR REF [--sign-identity REF]: skopeo signs into the lookaside.
sign_push() {
	local home=$1 fpr=$2 dir=$3 ref=$4
	shift 4
	GNUPGHOME=$home skopeo --insecure-policy --registries.d "$SKOPEO_REGD" copy --quiet \
		--dest-cert-dir "$(registry_pki)/certs.d" --sign-by "$fpr" "$@" "oci:$dir:latest" \
		"docker://$ref" 3>&-
}


make_signed_images() {
	local R=$REGISTRY_MAIN_ADDR k=$BERTH_IT_TMP/trust-pull-keys
	export GPG_A=$BERTH_IT_TMP/trust-pull-gpg-a GPG_B=$BERTH_IT_TMP/trust-pull-gpg-b
	export FPR_A FPR_B KEY_A=$k/a.asc SIGS=$BERTH_IT_TMP/trust-pull-sigs
	FPR_A=$(gpg_gen_key "$GPG_A" alice)
	FPR_B=$(gpg_gen_key "$GPG_B" bob)
	install -d -m 0755 "$k" "$SIGS"
	GNUPGHOME=$GPG_A gpg --batch --armor --export "$FPR_A" >"$KEY_A"
	# Two armored keys one after the other, as `cat a.asc b.asc` makes them.
	export KEY_AB=$k/ab.asc
	{ cat "$KEY_A"; GNUPGHOME=$GPG_B gpg --batch --armor --export "$FPR_B"; } >"$KEY_AB"
	chmod 0644 "$KEY_A" "$KEY_AB"
	export SKOPEO_REGD=$BERTH_IT_TMP/trust-pull-regd
	install -d -m 0755 "$SKOPEO_REGD"
	printf 'docker:\n  %s:\n    lookaside: file://%s\n' "$R" "$SIGS" >"$SKOPEO_REGD/sigs.yaml"
	export IMG2=$BERTH_IT_TMP/trust-pull-image2
	mkdir -p "$BERTH_IT_TMP/trust-pull-layer2"
	echo two >"$BERTH_IT_TMP/trust-pull-layer2/two"
	make_test_image "$IMG2" "$BERTH_IT_TMP/trust-pull-layer2"
	sign_push "$GPG_A" "$FPR_A" "$IMG" "$R/signed/app:1"
	sign_push "$GPG_B" "$FPR_B" "$IMG" "$R/otherkey/app:1"
	sign_push "$GPG_A" "$FPR_A" "$IMG" "$R/renamed/app:1" --sign-identity "$R/signed/app:1"
	push_test_image "$IMG" "$R/unsigned/app:1"
	push_test_image "$IMG" "$R/closed/app:1"
	push_test_image "$IMG" "$R/closed/open/app:1"
	push_test_image "$IMG2" "$R/moved/app:1"
	export D1 D2
	D1=$(digest_of "$R/signed/app:1")
	D2=$(digest_of "$R/moved/app:1")
	# A valid signature, moved to where another image's signatures are looked for.
	install -d "$SIGS/moved/app@sha256=${D2#sha256:}"
	cp "$SIGS/signed/app@sha256=${D1#sha256:}/signature-1" "$SIGS/moved/app@sha256=${D2#sha256:}/"
	chmod -R a+rX "$SIGS"
}

setup() {
	P=$BATS_TEST_TMPDIR/policy.json
	# The store exists before the first snapshot.
	berth images >/dev/null
}

teardown() {
	rm -rf "$USER_CONF/policy.json" "$USER_CONF/registries.d" "$USER_CONF/certs.d"
	kill_test_pause
	remove_user_dirs
	assert_no_berth_procs
}

# policy DEFAULT-TYPE [SCOPE TYPE]...: writes $P with a docker scope per pair.
policy() {
	local def=$1 scopes="" sep=""
	shift
	while [ $# -gt 0 ]; do
		scopes+="$sep\"$1\": [ { \"type\": \"$2\" } ]"
		sep=", "
		shift 2
	done
	cat >"$P" <<EOF
{ "default": [ { "type": "$def" } ], "transports": { "docker": { $scopes } } }
EOF
}

# Everything a pull or a load could have left in the rootful test store.
store_state() {
	(cd "$BATS_TEST_TMPDIR/root" && find blobs layers -mindepth 1 | sort)
	berth images -a --noheading --no-trunc
}

# refused MESSAGE COMMAND...: COMMAND exits 125 with "Error: MESSAGE" alone on stderr, and the
# store is exactly as it was before.
refused() {
	local want=$1 before
	shift
	before=$(store_state)
	run -125 --separate-stderr "$@"
	assert_eq "$stderr" "Error: $want" "stderr"
	assert_eq "$output" "" "stdout"
	assert_eq "$(store_state)" "$before" "the store after: $*"
}

# pull_p ARGS...: a rootful pull from the test registry under $P.
pull_p() {
	berth --signature-policy "$P" pull -q --cert-dir "$CERTS" "$@"
}

@test "a reject scope refuses the pull before anything is stored" {
	policy insecureAcceptAnything "$REGISTRY_MAIN_ADDR" reject
	refused "image $REGISTRY_MAIN_ADDR/app:1 is rejected by $P for $REGISTRY_MAIN_ADDR" \
		pull_p "$REGISTRY_MAIN_ADDR/app:1"
}

@test "a reject default refuses every pull; its message says the default decided" {
	policy reject
	refused "image $REGISTRY_MAIN_ADDR/team/app:1 is rejected by $P for its default" \
		pull_p "$REGISTRY_MAIN_ADDR/team/app:1"
}

@test "insecureAcceptAnything inside a stricter default pulls; a longer scope overrides a shorter one" {
	policy reject "$REGISTRY_MAIN_ADDR" insecureAcceptAnything "$REGISTRY_MAIN_ADDR/team" reject
	run -0 --separate-stderr pull_p "$REGISTRY_MAIN_ADDR/app:1"
	run -0 berth images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "$REGISTRY_MAIN_ADDR/app:1" "images after the accepted pull"
	# Not even a new tag for blobs the store already has.
	refused "image $REGISTRY_MAIN_ADDR/team/app:1 is rejected by $P for $REGISTRY_MAIN_ADDR/team" \
		pull_p "$REGISTRY_MAIN_ADDR/team/app:1"
}

@test "run pulls under the same policy: a rejected image is not run, even one already stored" {
	policy insecureAcceptAnything "$REGISTRY_MAIN_ADDR/team" reject
	refused "image $REGISTRY_MAIN_ADDR/team/app:1 is rejected by $P for $REGISTRY_MAIN_ADDR/team" \
		berth --signature-policy "$P" run --rm --cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/team/app:1" true
	# Stored while the policy accepted it: --pull always asks again, and the refusal stands.
	policy insecureAcceptAnything
	run -0 --separate-stderr berth --signature-policy "$P" run --rm --cert-dir "$CERTS" \
		"$REGISTRY_MAIN_ADDR/team/app:1" true
	policy insecureAcceptAnything "$REGISTRY_MAIN_ADDR/team" reject
	run -125 --separate-stderr berth --signature-policy "$P" run --rm --pull always \
		--cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/team/app:1" true
	[[ "$stderr" == *"is rejected by $P"* ]] || fail "run --pull always: $stderr"
	# --pull newer keeps the stored image when the registry cannot be asked, but a refusal
	# by the policy is not hidden: the stored image is not run in its place.
	run -125 --separate-stderr berth --signature-policy "$P" run --rm --pull newer \
		--cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/team/app:1" echo ran
	[[ "$stderr" == *"is rejected by $P"* ]] || fail "run --pull newer: $stderr"
	assert_eq "$output" "" "run --pull newer ran the stored image"
	berth rmi -a -f >/dev/null
}

@test "sigstoreSigned without use-sigstore-attachments; signedBy without a lookaside: refused" {
	cat >"$P" <<EOF
{ "default": [ { "type": "insecureAcceptAnything" } ],
  "transports": { "docker": { "$REGISTRY_MAIN_ADDR/app": [
      { "type": "sigstoreSigned", "keyPath": "/nonexistent/cosign.pub" } ],
      "$REGISTRY_MAIN_ADDR/team": [
      { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "/nonexistent/key.gpg" } ] } } }
EOF
	refused "image $REGISTRY_MAIN_ADDR/app:1 is rejected by $P for $REGISTRY_MAIN_ADDR/app: it requires a sigstore signature, and registries.d does not set use-sigstore-attachments for it" \
		pull_p "$REGISTRY_MAIN_ADDR/app:1"
	refused "image $REGISTRY_MAIN_ADDR/team/app:1 is rejected by $P for $REGISTRY_MAIN_ADDR/team: it requires a signature, and registries.d names no lookaside location for it" \
		pull_p "$REGISTRY_MAIN_ADDR/team/app:1"
}

@test "a malformed policy fails the pull, naming the file and the key" {
	echo '{ "default": [ { "type": "acceptEverything" } ] }' >"$P"
	run -125 --separate-stderr pull_p "$REGISTRY_MAIN_ADDR/app:1"
	assert_contains "$stderr" "$P: default[0]: unknown requirement type"
	run -0 berth images -q
	assert_eq "$output" "" "images after a failed pull"
	# A named policy that does not exist is an error too, not the lookup order.
	run -125 --separate-stderr berth --signature-policy "$BATS_TEST_TMPDIR/none.json" pull -q \
		--cert-dir "$CERTS" "$REGISTRY_MAIN_ADDR/app:1"
	assert_contains "$stderr" "none.json"
}

@test "rootless: the user's own policy.json is consulted" {
	install -d -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "$USER_CONF"
	policy insecureAcceptAnything "$REGISTRY_MAIN_ADDR/app" reject
	install -m 0644 -o "$TEST_USER" "$P" "$USER_CONF/policy.json"
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" \
		"$REGISTRY_MAIN_ADDR/app:1"
	assert_eq "$stderr" "Error: image $REGISTRY_MAIN_ADDR/app:1 is rejected by $USER_CONF/policy.json for $REGISTRY_MAIN_ADDR/app" "stderr"
	run -0 --separate-stderr berth_as "$TEST_USER" images -q
	assert_eq "$output" "" "the user's images"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" \
		"$REGISTRY_MAIN_ADDR/team/app:1"
}

@test "load consults the archive transports: reject leaves the store as it was" {
	cat >"$P" <<'EOF'
{ "default": [ { "type": "insecureAcceptAnything" } ],
  "transports": { "docker-archive": { "": [ { "type": "reject" } ] } } }
EOF
	refused "image from a docker-archive is rejected by $P for the docker-archive transport" \
		berth --signature-policy "$P" load -q -i "$A/docker.tar"
	# The staging directory is gone too.
	run -0 find "$BATS_TEST_TMPDIR/root/layers" -maxdepth 1 -name 'tmp-*'
	assert_eq "$output" "" "staging directories"
	# oci-archive falls to the default, which accepts.
	run -0 --separate-stderr berth --signature-policy "$P" load -q -i "$A/oci.tar"
	assert_eq "$output" "Loaded image: localhost/bb:v2" "loaded"
	# A reject default reaches oci-archive too.
	policy reject
	refused "image from a docker-archive is rejected by $P for its default" \
		berth --signature-policy "$P" load -q -i "$A/docker.tar"
}

@test "load: an archive carries no signatures, so a signature requirement rejects it" {
	cat >"$P" <<EOF
{ "default": [ { "type": "insecureAcceptAnything" } ],
  "transports": { "docker-archive": { "": [
      { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEY_A" } ] },
    "oci-archive": { "": [
      { "type": "sigstoreSigned", "keyPath": "/nonexistent/cosign.pub" } ] } } }
EOF
	refused "image from a docker-archive is rejected by $P for the docker-archive transport: it requires a signature (signedBy), and a docker-archive carries no signatures; pull the image from its registry instead" \
		berth --signature-policy "$P" load -q -i "$A/docker.tar"
	refused "image from an oci-archive is rejected by $P for the oci-archive transport: it requires a signature (sigstoreSigned), and an oci-archive carries no signatures; pull the image from its registry instead" \
		berth --signature-policy "$P" load -q -i "$A/oci.tar"
}

# ---------------------------------------------------------------- signedBy (rootless)

# user_policy [DOCKER-SCOPES-JSON [LOOKASIDE]]: the test user's policy.json (default: signedBy
# KEY_A) and its registries.d naming the lookaside (default: the file:// one skopeo signed into).
user_policy() {
	install -d -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "$USER_CONF" "$USER_CONF/registries.d"
	cat >"$USER_CONF/policy.json" <<EOF
{ "default": [ { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "$KEY_A" } ],
  "transports": { "docker": { ${1:-} } } }
EOF
	if [ -n "${2:-}" ]; then
		printf 'docker:\n  %s:\n    lookaside: %s\n' "$REGISTRY_MAIN_ADDR" "$2" \
			>"$USER_CONF/registries.d/sigs.yaml"
	else
		cp "$SKOPEO_REGD/sigs.yaml" "$USER_CONF/registries.d/"
	fi
	chmod -R a+rX "$USER_CONF"
}

# user_refused MESSAGE-PART REF: the rootless pull fails naming why, and stores nothing.
user_refused() {
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$2"
	assert_contains "$stderr" "Error: image $2 is rejected by $USER_CONF/policy.json for "
	assert_contains "$stderr" "$1"
	run -0 --separate-stderr berth_as "$TEST_USER" images -q
	assert_eq "$output" "" "the user's images after a refused pull"
}

@test "signedBy: unsigned rejected, valid signature accepted, another key rejected" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy
	user_refused "it is not signed (no signature for $D1 at file://$SIGS)" "$R/unsigned/app:1"
	user_refused "signed by key $FPR_B, which the policy does not name" "$R/otherkey/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "$R/signed/app:1" "images after the signed pull"
}

@test "signedBy: a signature for another digest or another identity is rejected; remapIdentity accepts" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy
	user_refused "signature is for digest $D1, pulled manifest is $D2" "$R/moved/app:1"
	user_refused "signature identity names \"$R/signed/app:1\"" "$R/renamed/app:1"
	user_policy "\"$R/renamed\": [ { \"type\": \"signedBy\", \"keyType\": \"GPGKeys\",
		\"keyPath\": \"$KEY_A\", \"signedIdentity\": { \"type\": \"remapIdentity\",
		\"prefix\": \"$R/renamed\", \"signedPrefix\": \"$R/signed\" } } ]"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/renamed/app:1"
}

@test "signedBy default: a reject scope, insecureAcceptAnything inside it, the longer scope wins" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy "\"$R/closed\": [ { \"type\": \"reject\" } ],
		\"$R/closed/open\": [ { \"type\": \"insecureAcceptAnything\" } ]"
	user_refused "it is not signed" "$R/unsigned/app:1"
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/closed/app:1"
	assert_eq "$stderr" "Error: image $R/closed/app:1 is rejected by $USER_CONF/policy.json for $R/closed" "stderr"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/closed/open/app:1"
}

@test "https lookaside: signed accepted, unsigned (404) rejected, another key rejected" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy "" "$LOOKASIDE_URL"
	user_refused "it is not signed (no signature for $D1 at $LOOKASIDE_URL)" "$R/unsigned/app:1"
	user_refused "signed by key $FPR_B, which the policy does not name" "$R/otherkey/app:1"
	user_refused "signature is for digest $D1, pulled manifest is $D2" "$R/moved/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}} {{.Verified}}'
	assert_eq "$output" "$R/signed/app:1 signedBy:$FPR_A" "images after the signed pull"
}

@test "signedBy: a key file of several armored keys; the accepting key is checked against them and recorded" {
	local R=$REGISTRY_MAIN_ADDR
	# berth-verify's gpg accepts bob's signature; the broker accepts that only because the
	# key walker of another berth-verify found bob's fingerprint in the file too.
	user_policy "\"$R/otherkey\": [ { \"type\": \"signedBy\", \"keyType\": \"GPGKeys\",
		\"keyPath\": \"$KEY_AB\" } ]"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/otherkey/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Verified}}'
	assert_eq "$output" "signedBy:$FPR_B" "provenance"
}

@test "provenance: recorded by the pull that verified, kept by an unverified one and by a tag" {
	local R=$REGISTRY_MAIN_ADDR
	# Accepted without a check: recorded as not verified; the default columns do not change.
	user_policy "\"$R/signed\": [ { \"type\": \"insecureAcceptAnything\" } ]"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Verified}}'
	assert_eq "$output" "not verified" "before any verification"
	run -0 --separate-stderr berth_as "$TEST_USER" images
	assert_line_re "$output" '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
	# A later pull that verifies the same image records the key.
	user_policy
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" image inspect --format '{{.Verified}}' "$R/signed/app:1"
	assert_eq "$output" "signedBy:$FPR_A" "inspect after the verified pull"
	# A tag shows the image's record; an unverified pull of it later keeps it.
	run -0 --separate-stderr berth_as "$TEST_USER" tag "$R/signed/app:1" localhost/mine:1
	user_policy "\"$R/signed\": [ { \"type\": \"insecureAcceptAnything\" } ]"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}} {{.Verified}}'
	assert_eq "$(sort <<<"$output")" "$(printf '%s\n' "localhost/mine:1 signedBy:$FPR_A" \
		"$R/signed/app:1 signedBy:$FPR_A" | sort)" "images after tag and an unverified pull"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format 'table {{.Verified}}'
	assert_line_re "$output" '^VERIFIED'
}

@test "https lookaside: TLS verified with the lookaside host's certs.d, whatever --tls-verify says; a server that is down is an error" {
	local R=$REGISTRY_MAIN_ADDR certsd=$USER_CONF/certs.d
	user_policy "" "$LOOKASIDE_URL"
	# The registry's CA alone: the lookaside's certificate is not trusted, and
	# --tls-verify=false (which names the registry) does not change that.
	install -d -o "$TEST_USER" "$certsd" "$certsd/$R"
	install -m 0644 "$REGISTRY_CA" "$certsd/$R/ca.crt"
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --tls-verify=false "$R/signed/app:1"
	assert_contains "$stderr" "Error: image $R/signed/app:1: reading its signatures: GET \"$LOOKASIDE_URL/signed/app@sha256=${D1#sha256:}/signature-1\": x509: certificate signed by unknown authority"
	assert_contains "$stderr" "certs.d/$LOOKASIDE_HOST/ca.crt when rootless)"
	[[ "$stderr" != *"--tls-verify"* ]] || fail "the hint names --tls-verify, which does not apply to a lookaside"
	run -0 --separate-stderr berth_as "$TEST_USER" images -q
	assert_eq "$output" "" "the user's images after a refused pull"
	# The lookaside host's own certs.d directory is read, as a registry's is.
	install -d -o "$TEST_USER" "$certsd/$LOOKASIDE_HOST"
	install -m 0644 "$REGISTRY_CA" "$certsd/$LOOKASIDE_HOST/ca.crt"
	run -0 --separate-stderr berth_as "$TEST_USER" pull -q "$R/signed/app:1"
	rm -rf "$certsd"
	# Nothing listens: an error naming the location, not "not signed".
	user_policy "" "$LOOKASIDE_DOWN"
	run -125 --separate-stderr berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$R/signed/app:1"
	assert_contains "$stderr" "Error: image $R/signed/app:1: reading its signatures: GET \"$LOOKASIDE_DOWN/signed/app@sha256=${D1#sha256:}/signature-1\": cannot connect"
}

@test "berth-verify --gpg: its sandbox lets gpg run and nothing else (try-syscall)" {
	local lib=$BERTH_TOP/libexec/berth dir=$BATS_TEST_TMPDIR/gpgdir
	install -d -m 0700 "$dir"
	run --separate-stderr "$lib/berth-verify" --sandbox-status --gpg "$dir" 5<"$dir"
	assert_line_re "$output" '^Seccomp: 2$'
	assert_line_re "$output" '^NoNewPrivs: 1$'
	# execve is in this mode's filter (for gpg); Landlock refuses any other program.
	run --separate-stderr "$lib/berth-verify" --try-syscall execve --gpg "$dir" 5<"$dir"
	if [[ "$(landlock_abi)" -gt 0 ]]; then
		assert_eq "$output" "denied: EACCES" "execve of /bin/echo"
	fi
	# Sockets: AF_UNIX only; an AF_INET socket kills the worker.
	run --separate-stderr "$lib/berth-verify" --try-syscall socket --gpg "$dir" 5<"$dir"
	assert_eq "$status" "159" "socket(AF_INET) status"
	# The mode needs the directory the broker opened for it, at fd 5.
	run --separate-stderr "$lib/berth-verify" --sandbox-status --gpg "$dir"
	assert_eq "$status" "1" "without fd 5"
}
