#!/usr/bin/env bats
# sigstoreSigned (issue 5): signatures attached to the image in its registry (the
# "sha256-<hex>.sig" tag, cosign's layout), read when the rootless user's registries.d sets
# use-sigstore-attachments, checked by berth-verify with the policy's public keys (ECDSA P-256
# made by cosign-keygen.py, Ed25519 by openssl). The signatures are made independently of
# berth by cosign-sign.py (python3-cryptography), since Debian has no cosign and its skopeo
# cannot sign with sigstore. Every rejection leaves the user's store empty.

bats_require_minimum_version 1.5.0
load helpers
load registry
load signing

USER_CONF=/home/$TEST_USER/.config/containers
PY=/usr/bin/python3

setup_file() {
	registry_start main
	local R=$REGISTRY_MAIN_ADDR k=$BERTH_IT_TMP/trust-sigstore-keys
	export IMG=$BERTH_IT_TMP/trust-sigstore-image IMG2=$BERTH_IT_TMP/trust-sigstore-image2
	export CERTS=$BERTH_IT_TMP/trust-sigstore-certs K=$k
	install -d -m 0755 "$CERTS" "$k"
	install -m 0644 "$REGISTRY_CA" "$CERTS/ca.crt"
	make_test_image "$IMG"
	mkdir -p "$BERTH_IT_TMP/trust-sigstore-layer2"
	echo two >"$BERTH_IT_TMP/trust-sigstore-layer2/two"
	make_test_image "$IMG2" "$BERTH_IT_TMP/trust-sigstore-layer2"
	"$PY" "$BATS_TEST_DIRNAME/cosign-keygen.py" "$k/ec" pass-ec
	"$PY" "$BATS_TEST_DIRNAME/cosign-keygen.py" "$k/other" pass-other
	openssl genpkey -algorithm ed25519 -out "$k/ed.key" 2>/dev/null
	openssl pkey -in "$k/ed.key" -pubout -out "$k/ed.pub"
	chmod 0644 "$k"/*.pub
	for repo in ec ed tampered otherkey renamed unsigned nosig annotated; do
		push_test_image "$IMG" "$R/sig/$repo:1"
	done
	push_test_image "$IMG2" "$R/sig/moved:1"
	push_test_image "$IMG" "$R/off/app:1"
	export D1 D2
	D1=$(digest_of "$R/sig/ec:1")
	D2=$(digest_of "$R/sig/moved:1")
	sign ec "$R/sig/ec" "$D1" "$R/sig/ec:1"
	sign ed "$R/sig/ed" "$D1" "$R/sig/ed:1"
	sign ec "$R/sig/tampered" "$D1" "$R/sig/tampered:1" --tamper
	sign other "$R/sig/otherkey" "$D1" "$R/sig/otherkey:1"
	sign ec "$R/sig/renamed" "$D1" "$R/sig/ec:1"
	sign ec "$R/sig/moved" "$D2" "$R/sig/moved:1" --payload-digest "$D1"
	sign ec "$R/sig/nosig" "$D1" "$R/sig/nosig:1" --no-signature
	sign ec "$R/off/app" "$D1" "$R/off/app:1"
	sign ec "$R/sig/annotated" "$D1" "$R/sig/annotated:1" --extra-annotations
}

teardown_file() {
	registry_stop main
}

# sign KEY-NAME REPOSITORY-REF DIGEST IDENTITY [OPTIONS]: cosign-sign.py with key $K/NAME.
sign() {
	local key=$K/$1.key pass=pass-$1 repo=${2#*/}
	[ "$1" = ed ] && pass=
	"$PY" "$BATS_TEST_DIRNAME/cosign-sign.py" "$key" "$pass" "$REGISTRY_CA" \
		"$REGISTRY_MAIN_ADDR" "$repo" "$3" "$4" "${@:5}"
}


setup() {
	berth_as "$TEST_USER" images >/dev/null
}

teardown() {
	rm -rf "$USER_CONF/policy.json" "$USER_CONF/registries.d"
	kill_test_pause
	remove_user_dirs
	assert_no_berth_procs
}

# user_policy [DOCKER-SCOPES-JSON]: the test user's policy.json (default: sigstoreSigned with
# the ECDSA key, matchRepoDigestOrExact) and a registries.d that turns attachments on for
# $R/sig only.
user_policy() {
	install -d -o "$TEST_USER" -g "$(id -g "$TEST_USER")" "$USER_CONF" "$USER_CONF/registries.d"
	cat >"$USER_CONF/policy.json" <<EOF
{ "default": [ { "type": "sigstoreSigned", "keyPath": "$K/ec.pub" } ],
  "transports": { "docker": { ${1:-} } } }
EOF
	printf 'docker:\n  %s/sig:\n    use-sigstore-attachments: true\n' "$REGISTRY_MAIN_ADDR" \
		>"$USER_CONF/registries.d/sigstore.yaml"
	chmod -R a+rX "$USER_CONF"
}

user_pull() {
	berth_as "$TEST_USER" pull -q --cert-dir "$CERTS" "$1"
}

# accepted REF [KEY.pub]: the rootless pull succeeds and the image is stored under REF; with a
# key, the image records that key (the first 16 hex digits of its SubjectPublicKeyInfo's
# SHA-256) as what accepted it.
accepted() {
	local want=
	run -0 --separate-stderr user_pull "$1"
	run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "$1" "images after the accepted pull of $1"
	if [ -n "${2:-}" ]; then
		want=sigstoreSigned:$(openssl pkey -pubin -in "$2" -outform DER | sha256sum | cut -c1-16)
		run -0 --separate-stderr berth_as "$TEST_USER" images --format '{{.Verified}}'
		assert_eq "$output" "$want" "provenance of $1"
	fi
	berth_as "$TEST_USER" rmi -a -f >/dev/null
}

# The user's store: every file of blobs/ and layers/, and the images.
store_state() {
	local data
	data=$(user_dir "$TEST_USER")/data/berth
	find "$data/blobs" "$data/layers" -mindepth 1 2>/dev/null | sort
	berth_as "$TEST_USER" images -a --noheading --no-trunc
}

# user_refused MESSAGE-PART REF: the rootless pull fails (125, one line) naming why, and the
# store is exactly as it was (no blob, no layer, no image).
user_refused() {
	local before
	before=$(store_state)
	run -125 --separate-stderr user_pull "$2"
	assert_contains "$stderr" "Error: image $2 is rejected by $USER_CONF/policy.json for "
	assert_contains "$stderr" "$1"
	assert_eq "$(wc -l <<<"$stderr")" "1" "lines of stderr"
	assert_eq "$(store_state)" "$before" "the store after the refused pull of $2"
}

@test "sigstoreSigned: ECDSA P-256 and Ed25519 signatures are accepted" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy "\"$R/sig/ed\": [ { \"type\": \"sigstoreSigned\", \"keyPath\": \"$K/ed.pub\" } ]"
	accepted "$R/sig/ec:1"
	accepted "$R/sig/ed:1" "$K/ed.pub"
	# Certificate and bundle annotations are not used with keys: still accepted.
	accepted "$R/sig/annotated:1"
	# keyPaths: the second key verifies it.
	user_policy "\"$R/sig\": [ { \"type\": \"sigstoreSigned\",
		\"keyPaths\": [ \"$K/other.pub\", \"$K/ed.pub\" ] } ]"
	accepted "$R/sig/ed:1" "$K/ed.pub"
	user_refused "the sigstore signature does not match the payload and any of the keys the policy names" \
		"$R/sig/ec:1"
}

@test "sigstoreSigned: tampered payload, another key, missing annotation: rejected" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy
	user_refused "the sigstore signature does not match the payload and the key the policy names" \
		"$R/sig/tampered:1"
	user_refused "the sigstore signature does not match the payload and the key the policy names" \
		"$R/sig/otherkey:1"
	user_refused "sigstore signature 1 has no dev.cosignproject.cosign/signature annotation" \
		"$R/sig/nosig:1"
	# The Ed25519 key does not verify an ECDSA signature either.
	user_policy "\"$R/sig\": [ { \"type\": \"sigstoreSigned\", \"keyPath\": \"$K/ed.pub\" } ]"
	user_refused "does not match the payload" "$R/sig/ec:1"
}

@test "sigstoreSigned: a signature for another digest or another identity is rejected; remapIdentity and matchRepository accept" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy
	user_refused "signature is for digest $D1, pulled manifest is $D2" "$R/sig/moved:1"
	user_refused "signature identity names \"$R/sig/ec:1\"" "$R/sig/renamed:1"
	user_policy "\"$R/sig/renamed\": [ { \"type\": \"sigstoreSigned\", \"keyPath\": \"$K/ec.pub\",
		\"signedIdentity\": { \"type\": \"remapIdentity\",
		\"prefix\": \"$R/sig/renamed\", \"signedPrefix\": \"$R/sig/ec\" } } ]"
	accepted "$R/sig/renamed:1"
	# matchRepository: the signature's repository must be the pulled one.
	user_policy "\"$R/sig\": [ { \"type\": \"sigstoreSigned\", \"keyPath\": \"$K/ec.pub\",
		\"signedIdentity\": { \"type\": \"matchRepository\" } } ]"
	accepted "$R/sig/ec:1"
	user_refused "signature identity names \"$R/sig/ec:1\"" "$R/sig/renamed:1"
}

@test "sigstoreSigned: no .sig tag is 'not signed'; use-sigstore-attachments off is said" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy
	user_refused "it is not signed (no sigstore signature for $D1: the registry has no tag sha256-${D1#sha256:}.sig)" \
		"$R/sig/unsigned:1"
	# $R/off is signed but not under the registries.d scope: the attachments are not read.
	user_refused "it requires a sigstore signature, and registries.d does not set use-sigstore-attachments for it" \
		"$R/off/app:1"
	# A registries.d entry that says false is the same.
	printf 'docker:\n  %s/off:\n    use-sigstore-attachments: false\n' "$R" \
		>"$USER_CONF/registries.d/off.yaml"
	chmod a+r "$USER_CONF/registries.d/off.yaml"
	user_refused "registries.d does not set use-sigstore-attachments" "$R/off/app:1"
}

@test "sigstoreSigned with Fulcio or Rekor: a clear unsupported error, nothing pulled" {
	local R=$REGISTRY_MAIN_ADDR
	user_policy "\"$R/sig/ec\": [ { \"type\": \"sigstoreSigned\", \"fulcio\": {
		\"caPath\": \"/nonexistent/ca.pem\", \"oidcIssuer\": \"https://issuer.example\",
		\"subjectEmail\": \"a@example.com\" }, \"rekorPublicKeyPath\": \"/nonexistent/rekor.pub\" } ]"
	run -125 --separate-stderr user_pull "$R/sig/ec:1"
	assert_contains "$stderr" "is not supported: berth verifies sigstore signatures with public keys (keyPath, keyPaths or keyData) only, without Fulcio certificates or Rekor"
	run -0 --separate-stderr berth_as "$TEST_USER" images -a -q
	assert_eq "$output" "" "the user's images"
}
