#!/usr/bin/env bats
# The trust policy enforced before anything is stored (issue 5): berth pull from the local TLS
# registry and berth load of skopeo's archives consult policy.json (--signature-policy, the
# rootless user's own file, /etc) for the reference; a rejected image leaves the store exactly
# as it was (no blob, no layer, no image, no tag), and a requirement berth cannot check yet
# (signedBy, sigstoreSigned) is refused, never skipped.

bats_require_minimum_version 1.5.0
load helpers
load registry

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
}

teardown_file() {
	registry_stop main
}

setup() {
	P=$BATS_TEST_TMPDIR/policy.json
	# The store exists before the first snapshot.
	berth images >/dev/null
}

teardown() {
	rm -f "$USER_CONF/policy.json"
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

@test "signedBy cannot be verified yet: refused, never accepted silently" {
	cat >"$P" <<EOF
{ "default": [ { "type": "insecureAcceptAnything" } ],
  "transports": { "docker": { "$REGISTRY_MAIN_ADDR/app": [
      { "type": "signedBy", "keyType": "GPGKeys", "keyPath": "/nonexistent/key.gpg" } ] } } }
EOF
	refused "image $REGISTRY_MAIN_ADDR/app:1: $P for $REGISTRY_MAIN_ADDR/app requires signedBy, which berth cannot verify yet" \
		pull_p "$REGISTRY_MAIN_ADDR/app:1"
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
