# Signing keys and digests for the trust suites (trust-pull, trust-sign, trust-sigstore):
# `load signing` after `load helpers` and `load registry`.
#
#   gpg_gen_key DIR NAME [PASSPHRASE [USER]]
#       A fresh GnuPG home DIR (0700, owned by USER, root by default) holding one ed25519
#       signing key "NAME <NAME@berth.test>" (no passphrase unless one is given); the agent
#       gpg started for it is ended. Prints the key's fingerprint.
#   digest_of REF
#       The manifest digest the test registry serves for REF, read by skopeo with $CERTS.

gpg_gen_key() {
	local dir=$1 name=$2 pass=${3:-} user=${4:-root}
	install -d -m 0700 -o "$user" -g "$(id -g "$user")" "$dir"
	runuser -u "$user" -- env GNUPGHOME="$dir" gpg --batch --quiet --pinentry-mode loopback \
		--passphrase "$pass" --quick-gen-key "$name <$name@berth.test>" ed25519 sign never \
		2>/dev/null
	runuser -u "$user" -- env GNUPGHOME="$dir" gpgconf --kill gpg-agent
	runuser -u "$user" -- env GNUPGHOME="$dir" gpg --batch --with-colons --list-keys |
		awk -F: '/^fpr/ {print $10; exit}'
}

digest_of() {
	skopeo inspect --cert-dir "$CERTS" --format '{{.Digest}}' "docker://$1"
}
