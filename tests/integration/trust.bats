#!/usr/bin/env bats
# `berth image trust show`: policy.json and registries.d as Podman shows them (table, --json,
# --raw), which files are read (--signature-policy, --policypath, the rootless user's own
# files, never a home directory's when rootful), and the errors a malformed policy gives
# (the file and the key named, exit 125, nothing accepted).

bats_require_minimum_version 1.5.0
load helpers

USER_CONF=/home/$TEST_USER/.config/containers

setup() {
	P=$BATS_TEST_TMPDIR/policy.json
	cat >"$P" <<'EOF'
{
    "default": [ { "type": "reject" } ],
    "transports": {
        "docker": {
            "quay.io/signed": [ { "type": "signedBy", "keyType": "GPGKeys",
                                  "keyPaths": ["/etc/pki/a.gpg", "/etc/pki/b.gpg"] } ],
            "quay.io": [ { "type": "insecureAcceptAnything" } ],
            "registry.example.com:5000/app": [ { "type": "sigstoreSigned",
                                                 "keyPath": "/etc/pki/cosign.pub" } ]
        },
        "docker-daemon": { "": [ { "type": "insecureAcceptAnything" } ] }
    }
}
EOF
	REGD=$BATS_TEST_TMPDIR/registries.d
	mkdir -p "$REGD"
	cat >"$REGD/default.yaml" <<'EOF'
default-docker:
  lookaside: file:///var/lib/containers/sigstore
EOF
	cat >"$REGD/quay.yaml" <<'EOF'
docker:
  quay.io:
    sigstore: https://sigs.example.com/quay
EOF
}

teardown() {
	# The rootless tests' own files in the test user's home: nothing is left for other suites.
	rm -rf "$USER_CONF/policy.json" "$USER_CONF/registries.d"
	kill_test_pause
	remove_user_dirs
	assert_no_berth_procs
}

@test "trust show prints Podman's columns, one row per requirement, sorted by scope" {
	run -0 --separate-stderr berth --signature-policy "$P" image trust show --registrypath "$REGD"
	# The policy's GPG keys do not exist here: Podman's warning, and no ID.
	assert_eq "$stderr" "WARN[0000] Getting key identity of /etc/pki/a.gpg: open /etc/pki/a.gpg: No such file or directory
WARN[0000] Getting key identity of /etc/pki/b.gpg: open /etc/pki/b.gpg: No such file or directory" "stderr"
	assert_line_re "$output" '^TRANSPORT +NAME +TYPE +ID +STORE$'
	assert_line_re "$output" '^all +default +reject +file:///var/lib/containers/sigstore$'
	assert_line_re "$output" '^repository +quay\.io +accept +https://sigs\.example\.com/quay$'
	# A scope without its own registries.d entry inherits its parent's location.
	assert_line_re "$output" '^repository +quay\.io/signed +signed +https://sigs\.example\.com/quay$'
	assert_line_re "$output" '^repository +registry\.example\.com:5000/app +sigstoreSigned +N/A +file:///var/lib/containers/sigstore$'
	assert_line_re "$output" '^docker-daemon +accept +file:///var/lib/containers/sigstore$'
	assert_eq "$(sed -n 2p <<<"$output" | awk '{print $2}')" "default" "first row"
	assert_eq "$(sed -n 3p <<<"$output" | awk '{print $2}')" "quay.io" "second row"
	assert_eq "$(wc -l <<<"$output")" "6" "line count"
	run -0 --separate-stderr berth --signature-policy "$P" image trust show -n --registrypath "$REGD"
	assert_eq "$(wc -l <<<"$output")" "5" "line count without heading"
}

@test "trust show --json has Podman's fields, keys and the lookaside location" {
	run -0 --separate-stderr berth image trust show --json --policypath "$P" --registrypath "$REGD"
	assert_json 'length == 5'
	assert_json '.[0] == {transport: "all", name: "* (default)", repo_name: "default",
		sigstore: "file:///var/lib/containers/sigstore", type: "reject"}'
	assert_json '.[2].name == "quay.io/signed" and .[2].type == "signed" and
		.[2].keys == ["/etc/pki/a.gpg", "/etc/pki/b.gpg"]'
	assert_json '.[3].type == "sigstoreSigned" and .[3].gpg_id == "N/A" and
		.[3].keys == ["/etc/pki/cosign.pub"]'
	# The transport default "" has no name, as Podman leaves empty fields out.
	assert_json '.[4] | .transport == "docker-daemon" and (has("name") | not)'
}

# gen_key DIR EMAIL: a fresh GPG key made by gpg in DIR/gnupg, exported to DIR/key.asc
# (armored) and DIR/key.gpg (binary).
gen_key() {
	local d=$1 email=$2
	install -d -m 0700 "$d/gnupg"
	GNUPGHOME=$d/gnupg gpg --batch --quiet --passphrase '' \
		--quick-gen-key "Test Signer <$email>" default default never 2>/dev/null
	GNUPGHOME=$d/gnupg gpg --batch --quiet --export --armor "$email" >"$d/key.asc"
	GNUPGHOME=$d/gnupg gpg --batch --quiet --export "$email" >"$d/key.gpg"
	gpgconf --homedir "$d/gnupg" --kill all 2>/dev/null || true
	[ -s "$d/key.asc" ] && [ -s "$d/key.gpg" ] || fail "gpg made no key"
}

@test "trust show: the ID column has the GPG keys' user IDs, read by berth-verify" {
	# In the test user's directory, so that the rootless run below can reach the files.
	local d
	d=$(user_dir "$TEST_USER")/k
	P=$d/policy.json
	gen_key "$d" signer@example.com
	echo 'not a key' >"$d/bad.gpg"
	local kd
	kd=$(base64 -w0 "$d/key.gpg")
	cat >"$P" <<EOF
{"default":[{"type":"reject"}],"transports":{"docker":{
 "a.io":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$d/key.asc"}],
 "b.io":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["$d/key.gpg","$d/bad.gpg","$d/none.gpg"]}],
 "c.io":[{"type":"signedBy","keyType":"GPGKeys","keyData":"$kd"},
         {"type":"signedBy","keyType":"GPGKeys","keyPaths":["$d/key.gpg","$d/key.asc"]}]}}}
EOF
	run -0 --separate-stderr berth --signature-policy "$P" image trust show
	assert_line_re "$output" '^repository +a\.io +signed +signer@example\.com *$'
	# A key that cannot be read is a warning, as in Podman; the others still show.
	assert_line_re "$output" '^repository +b\.io +signed +signer@example\.com *$'
	assert_contains "$stderr" "$d/bad.gpg: OpenPGP key: not an OpenPGP packet"
	assert_contains "$stderr" "$d/none.gpg: No such file or directory"
	assert_line_re "$output" '^repository +c\.io +signed +signer@example\.com, signer@example\.com *$'
	assert_eq "$(grep -c '^repository *c\.io' <<<"$output")" "2" "rows for c.io"
	run -0 --separate-stderr berth --signature-policy "$P" image trust show --json
	assert_json '[.[] | select(.name == "c.io")] | .[0].keys == ["keyData"] and
		.[0].gpg_id == "signer@example.com"'
	# Rootless: the same, the key files read with the user's rights.
	chmod 0755 "$d"
	chmod 0644 "$P" "$d"/key.* "$d/bad.gpg"
	run -0 --separate-stderr berth_as "$TEST_USER" --signature-policy "$P" image trust show
	assert_line_re "$output" '^repository +a\.io +signed +signer@example\.com *$'
	chmod 0600 "$d/key.asc"
	run -0 --separate-stderr berth_as "$TEST_USER" --signature-policy "$P" image trust show
	assert_contains "$stderr" "$d/key.asc: Permission denied"
	assert_line_re "$output" '^repository +a\.io +signed *$'
}

@test "trust show --raw prints the policy file the broker read" {
	run -0 --separate-stderr berth --signature-policy "$P" image trust show --raw
	assert_eq "$output" "$(cat "$P")" "raw output"
}

@test "--policypath wins over --signature-policy; a relative path is the caller's" {
	local other=$BATS_TEST_TMPDIR/other.json
	echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$other"
	run -0 --separate-stderr berth --signature-policy "$P" image trust show --json \
		--policypath "$other"
	assert_json 'length == 1 and .[0].type == "accept"'
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr berth --signature-policy other.json image trust show --json
	assert_json 'length == 1 and .[0].type == "accept"'
}

@test "a malformed policy is an error naming the file and the key, never accept" {
	local bad=$BATS_TEST_TMPDIR/bad.json
	echo '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"quay.io":[{"type":"signedby","keyType":"GPGKeys","keyPath":"/k"}]}}}' >"$bad"
	run -125 --separate-stderr berth --signature-policy "$bad" image trust show
	assert_eq "$output" "" "stdout"
	assert_eq "$stderr" "Error: reading the image trust policy: $bad: transports.docker[\"quay.io\"][0]: unknown requirement type \"signedby\""
	echo '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","keyData":"YWJj"}]}' >"$bad"
	run -125 --separate-stderr berth --signature-policy "$bad" image trust show
	assert_contains "$stderr" "$bad: default[0]: exactly one of keyPath, keyPaths and keyData"
	echo '{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/ca"},"rekorPublicKeyPath":"/r"}]}' >"$bad"
	run -125 --separate-stderr berth --signature-policy "$bad" image trust show
	assert_contains "$stderr" "$bad: default[0]: fulcio is not supported"
	echo '{"default":[{"type":"reject"}],"transports":{"dokcer":{}}}' >"$bad"
	run -125 --separate-stderr berth --signature-policy "$bad" image trust show
	assert_contains "$stderr" "$bad: transports: unknown transport \"dokcer\""
	echo '{"default":[{"type":"reject"}]' >"$bad"
	run -125 --separate-stderr berth --signature-policy "$bad" image trust show --raw
	assert_contains "$stderr" "$bad: invalid JSON"
	assert_eq "$output" "" "raw output of a malformed policy"
	# A named file must exist; a directory is not a policy.
	run -125 --separate-stderr berth --signature-policy "$BATS_TEST_TMPDIR/none.json" image trust show
	assert_contains "$stderr" "none.json: No such file or directory"
	run -125 --separate-stderr berth --signature-policy "$BATS_TEST_TMPDIR" image trust show
	assert_contains "$stderr" "is not a regular file"
}

@test "a malformed registries.d file is an error naming the file and line" {
	echo 'docker:
  quay.io:
    lookside: file:///x' >"$REGD/typo.yaml"
	run -125 --separate-stderr berth --signature-policy "$P" image trust show --registrypath "$REGD"
	assert_contains "$stderr" "$REGD/typo.yaml:3: docker: quay.io: unknown key \"lookside\""
	rm "$REGD/typo.yaml"
	echo 'docker:
  quay.io:
    lookaside: file:///other' >"$REGD/zz.yaml"
	run -125 --separate-stderr berth --signature-policy "$P" image trust show --registrypath "$REGD"
	assert_contains "$stderr" "docker scope \"quay.io\" is defined both in $REGD/quay.yaml and in $REGD/zz.yaml"
}

@test "rootless: the user's own policy.json and registries.d come first" {
	install -d -o "$TEST_USER" -g "$TEST_USER" "/home/$TEST_USER/.config" "$USER_CONF" \
		"$USER_CONF/registries.d"
	install -m 0644 -o "$TEST_USER" "$P" "$USER_CONF/policy.json"
	install -m 0644 -o "$TEST_USER" "$REGD/quay.yaml" "$USER_CONF/registries.d/quay.yaml"
	run -0 --separate-stderr berth_as "$TEST_USER" image trust show --json
	assert_json 'length == 5 and .[0].type == "reject"'
	# Only the user's registries.d is read when it exists (no default-docker from /etc).
	assert_json '.[1].sigstore == "https://sigs.example.com/quay" and (.[0] | has("sigstore") | not)'
	run -0 --separate-stderr berth_as "$TEST_USER" image trust show --raw
	assert_eq "$output" "$(cat "$P")" "raw output"
	# A malformed user policy is an error, not a fallback to the system's.
	echo '{"default":[]}' >"$USER_CONF/policy.json"
	run -125 --separate-stderr berth_as "$TEST_USER" image trust show
	assert_contains "$stderr" "$USER_CONF/policy.json: default: the list of requirements must not be empty"
}

@test "rootful: no policy.json in a home directory is read" {
	local home=$BATS_TEST_TMPDIR/home
	mkdir -p "$home/.config/containers"
	echo '{"default":[]}' >"$home/.config/containers/policy.json"
	# Whatever the system policy says, the malformed file in HOME is not looked at.
	if [ -e /etc/containers/policy.json ]; then
		HOME=$home run -0 --separate-stderr berth image trust show --raw
		assert_eq "$output" "$(cat /etc/containers/policy.json)" "raw output"
	else
		HOME=$home run -0 --separate-stderr berth image trust show
		assert_contains "$stderr" "no image trust policy (policy.json) was found: berth accepts every image"
		assert_line_re "$output" '^all +default +accept'
	fi
}

@test "trust show refuses arguments it does not know" {
	run -125 --separate-stderr berth image trust show --bogus
	assert_contains "$stderr" "bogus"
	run -125 --separate-stderr berth image trust frobnicate
	assert_contains "$stderr" "frobnicate"
	run -0 --separate-stderr berth image trust show --help
	assert_contains "$output" "--raw"
}

# ---------------------------------------------------------------- trust set

@test "trust set writes the scopes as Podman does, checked and atomically" {
	local n=$BATS_TEST_TMPDIR/new.json key=$BATS_TEST_TMPDIR/key.gpg
	echo key >"$key"
	run -125 --separate-stderr berth image trust set --policypath "$n" -t accept quay.io
	assert_eq "$stderr" "Error: default trust policy must be set"
	[ ! -e "$n" ] || fail "a refused set created $n"
	run -0 --separate-stderr berth image trust set --policypath "$n" -t reject default
	run -0 --separate-stderr berth image trust set --policypath "$n" -t accept quay.io
	cd "$BATS_TEST_TMPDIR"
	# -f twice: one requirement per key; a relative key path is stored absolute.
	run -0 --separate-stderr berth image trust set --policypath new.json -f key.gpg -f "$key" \
		quay.io/signed
	run -0 --separate-stderr berth image trust set --policypath "$n" -t sigstoreSigned \
		-f "$key" registry.example.com:5000/app
	assert_eq "$(stat -c %a "$n")" "644" "mode of $n"
	output=$(cat "$n")
	assert_json '.default == [{type: "reject"}]'
	assert_json '.transports.docker["quay.io"] == [{type: "insecureAcceptAnything"}]'
	assert_json '.transports.docker["quay.io/signed"] == [
		{type: "signedBy", keyType: "GPGKeys", keyPath: $k},
		{type: "signedBy", keyType: "GPGKeys", keyPath: $k}]' --arg k "$key"
	assert_json '.transports.docker["registry.example.com:5000/app"] ==
		[{type: "sigstoreSigned", keyPath: $k}]' --arg k "$key"
	# An existing scope is replaced where it is; the rest of the file is kept.
	run -0 --separate-stderr berth image trust set --policypath "$n" -t reject quay.io/signed
	run -0 --separate-stderr berth image trust show --policypath "$n" --json
	assert_json 'length == 4'
	assert_json '[.[] | select(.name == "quay.io/signed")] == [{transport: "repository",
		name: "quay.io/signed", repo_name: "quay.io/signed", type: "reject"}]'
	# The global option names the file too.
	run -0 --separate-stderr berth --signature-policy "$n" image trust set -t accept default
	run -0 --separate-stderr berth --signature-policy "$n" image trust show
	assert_line_re "$output" '^all +default +accept'
	ls "$BATS_TEST_TMPDIR" | grep -q 'new\.json\.tmp' && fail "a temporary file was left"
	return 0
}

@test "trust set refuses what Podman refuses, and never writes a policy berth cannot read" {
	local n=$BATS_TEST_TMPDIR/p.json key=$BATS_TEST_TMPDIR/key.gpg
	echo key >"$key"
	echo '{"default":[{"type":"reject"}]}' >"$n"
	run -125 --separate-stderr berth image trust set --policypath "$n" -t bogus default
	assert_eq "$stderr" "Error: invalid choice: bogus (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')"
	run -125 --separate-stderr berth image trust set --policypath "$n" quay.io
	assert_eq "$stderr" "Error: at least one public key must be defined for type 'signedBy'"
	run -125 --separate-stderr berth image trust set --policypath "$n" -t reject -f "$key" quay.io
	assert_eq "$stderr" "Error: 1 public keys unexpectedly provided for trust type reject"
	run -125 --separate-stderr berth image trust set --policypath "$n" -f "$BATS_TEST_TMPDIR/nokey" quay.io
	assert_contains "$stderr" "nokey: No such file or directory"
	run -125 --separate-stderr berth image trust set --policypath "$n" -t accept docker.io/Busybox
	assert_contains "$stderr" "invalid scope \"docker.io/Busybox\""
	run -125 --separate-stderr berth image trust set --policypath "$n" -t accept
	assert_contains "$stderr" "accepts 1 arg(s), received 0"
	assert_eq "$(cat "$n")" '{"default":[{"type":"reject"}]}' "policy after refusals"
	# A malformed policy is left for the user to fix, untouched.
	echo '{"default":[{"type":"reject"}],"transports":{"docker":{"q.io":[{"type":"nope"}]}}}' >"$n"
	run -125 --separate-stderr berth image trust set --policypath "$n" -t accept default
	assert_contains "$stderr" "$n: transports.docker[\"q.io\"][0]: unknown requirement type \"nope\""
	assert_contains "$(cat "$n")" '"nope"' "malformed policy"
}

@test "rootless: trust set edits the user's own policy.json, owned by the user" {
	install -d -o "$TEST_USER" -g "$TEST_USER" "/home/$TEST_USER/.config" "$USER_CONF"
	install -m 0644 -o "$TEST_USER" -g "$TEST_USER" /dev/stdin "$USER_CONF/policy.json" \
		<<<'{"default":[{"type":"insecureAcceptAnything"}]}'
	run -0 --separate-stderr berth_as "$TEST_USER" image trust set -t reject quay.io/blocked
	assert_eq "$(stat -c %U "$USER_CONF/policy.json")" "$TEST_USER" "owner"
	run -0 --separate-stderr berth_as "$TEST_USER" image trust show --json
	assert_json '.[1] == {transport: "repository", name: "quay.io/blocked",
		repo_name: "quay.io/blocked", type: "reject"}'
	# The system policy is not the user's to change.
	run -125 --separate-stderr berth_as "$TEST_USER" image trust set \
		--policypath /etc/containers/policy.json -t reject default
	assert_contains "$stderr" "Permission denied"
}
